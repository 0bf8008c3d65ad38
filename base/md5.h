/* md5: the MD5 digest (RFC 1321), for the hashmod relabel action, whose
 * results must equal Prometheus's. Not for anything security-related. */
#ifndef HEED_BASE_MD5_H
#define HEED_BASE_MD5_H

#include <stddef.h>
#include <stdint.h>

void md5_sum(const void *data, size_t len, unsigned char out[16]);

#endif
