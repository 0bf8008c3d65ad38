/* goquote: Go's strconv.Quote, QuoteToASCII and QuoteRune, which Prometheus
 * and promtool use wherever they print a string in quotes (label sets, error
 * messages, canonical PromQL, template %q). One implementation, so heed
 * quotes the same text the same way everywhere.
 * Ownership rule: appends to the caller's strbuf. */
#ifndef HEED_BASE_GOQUOTE_H
#define HEED_BASE_GOQUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define GOQUOTE_ASCII 1 /* QuoteToASCII: every non-ASCII rune escaped */

/* Go's unicode.IsPrint, closely: controls, format characters, separators
 * other than ' ', surrogates, private use and non-characters are not. */
bool goquote_is_print(uint32_t r);

/* Appends s (len bytes) in double quotes, escaped as strconv.Quote does
 * (invalid UTF-8 bytes as \xNN). */
void goquote(struct strbuf *out, const char *s, size_t len, int flags);

/* Appends r in single quotes, as strconv.QuoteRune (QuoteRuneToASCII with
 * GOQUOTE_ASCII) does. */
void goquote_rune(struct strbuf *out, uint32_t r, int flags);

#endif
