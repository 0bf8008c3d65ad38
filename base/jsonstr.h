/* jsonstr: JSON string bodies escaped as Prometheus's and Alertmanager's Go
 * encoders write them: " and \ escaped, \n \r \t short, other control
 * characters and the HTML-sensitive <, > and & as \u00XX, U+2028/U+2029 as
 * \u escapes, each invalid UTF-8 byte as \ufffd.
 * Ownership rule: appends to the caller's strbuf. */
#ifndef HEED_BASE_JSONSTR_H
#define HEED_BASE_JSONSTR_H

#include <stddef.h>

struct strbuf;

/* encoding/json (Go >= 1.22) writes \b and \f short; jsoniter, which
 * Prometheus's HTTP API uses, writes them as \u0008 and \u000c. */
#define JSONSTR_SHORT_BF 1

/* Appends s (len bytes, NULs allowed) escaped, without quotes. */
void jsonstr_escape(struct strbuf *out, const char *s, size_t len, int flags);

#endif
