/* replay_out: a replay's timelines as text for a terminal (80 columns,
 * heed's and Prometheus's semantics side by side with the reason of every
 * transition and difference), as JSON (issue 10's shape: an object whose
 * `instances` lists {alertname, labels, semantics, transitions}) and as a
 * self-contained SVG picture. Also the short time spellings and the SVG
 * pieces `heed report` shares.
 * Ownership rule: every function appends to a caller-owned strbuf. */
#ifndef HEED_RULES_REPLAY_OUT_H
#define HEED_RULES_REPLAY_OUT_H

#include <stddef.h>
#include <stdint.h>

struct replay;
struct strbuf;

void replay_out_text(struct strbuf *out, const struct replay *rp);
void replay_out_json(struct strbuf *out, const struct replay *rp);
void replay_out_svg(struct strbuf *out, const struct replay *rp);

/* A time as short as the range allows: "15:04:05" when from..to lies in one
 * UTC day, else "01-02 15:04". */
void replay_out_time_short(struct strbuf *out, int64_t t_ms, int64_t from_ms, int64_t to_ms);

/* A duration as "1h30m", "45s", "2d3h" (largest units, no zero parts). */
void replay_out_duration(struct strbuf *out, int64_t ms);

/* Appends prefix then text wrapped at 80 columns between words,
 * continuation lines indented by indent spaces, and a newline. */
void replay_out_wrapped(struct strbuf *out, const char *prefix, const char *text, size_t indent);

/* Text escaped for XML character data and attribute values. */
void replay_out_xml(struct strbuf *out, const char *s);

#endif
