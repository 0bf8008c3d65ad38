/* utf8: strict UTF-8 decoding, as Go's unicode/utf8 accepts it (no
 * overlong forms, no surrogates, nothing above U+10FFFF). Every module that
 * escapes or quotes text for a Go-compatible output decodes through here.
 * Ownership rule: pure functions; nothing is allocated. */
#ifndef HEED_BASE_UTF8_H
#define HEED_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1 to 4) of the valid sequence at s, n >= 1 bytes available, with
 * its code point in *cp; 0 when the bytes there are not valid UTF-8. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Whether all len bytes of s are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

#endif
