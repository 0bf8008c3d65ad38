/* promfmt: numbers and times spelled exactly as Prometheus and Go spell them.
 * Prometheus's JSON API, promtool's messages, Alertmanager payloads and Go
 * templates each print floats and times in a particular way; heed's output
 * must be byte-identical, so every such spelling lives here and nowhere else.
 * Ownership rule: functions append to a caller-owned strbuf. */
#ifndef HEED_COMPAT_PROMFMT_H
#define HEED_COMPAT_PROMFMT_H

#include <stdint.h>

struct strbuf;

/* Go's strconv.FormatFloat(v, fmt, -1, 64) for fmt 'f', 'e', 'E' or 'g':
 * the shortest decimal that reads back as v; "+Inf", "-Inf", "NaN". */
void promfmt_go_float(struct strbuf *out, double v, char fmt);

/* A sample value in the query API's vector/matrix results: plain decimal,
 * exponent form when |v| < 1e-6 or |v| >= 1e21 (v != 0). No quotes. */
void promfmt_api_value(struct strbuf *out, double v);

/* A vector/matrix timestamp: integer seconds, then ".mmm" when the
 * millisecond part is not zero ("1.500", "-2.050"). */
void promfmt_api_time(struct strbuf *out, int64_t ms);

/* RFC 3339 in UTC. frac_digits 3 gives Alertmanager's fixed milliseconds
 * ("2025-01-01T00:00:00.000Z"); -1 gives Go's RFC3339Nano (fraction with
 * trailing zeros removed, none when zero). */
void promfmt_rfc3339(struct strbuf *out, int64_t ms, int frac_digits);

#endif
