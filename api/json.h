/* json: a streaming JSON writer and Prometheus's API response envelope.
 * Output is byte-compatible with what Prometheus's API writes (jsoniter in
 * its encoding/json-compatible mode): strings escape ", \, control
 * characters, <, >, & and U+2028/U+2029; invalid UTF-8 becomes U+FFFD;
 * numbers use encoding/json's float64 spelling; object keys appear in the
 * order the caller writes them (label maps are sorted by json_labels).
 * Ownership rule: the writer appends to a caller-owned strbuf and owns
 * nothing itself. */
#ifndef HEED_API_JSON_H
#define HEED_API_JSON_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct api_labels;

#define JSON_MAX_DEPTH 32

struct json_writer {
    struct strbuf *out;                    /* where text goes */
    int depth;                             /* open objects/arrays */
    unsigned char first[JSON_MAX_DEPTH];   /* 1 while the container at this depth is empty */
    unsigned char after_key;               /* a key was just written: no comma before the value */
};

void json_init(struct json_writer *w, struct strbuf *out);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s); /* NULL writes null */
void json_stringn(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, int v);
void json_null(struct json_writer *w);
/* A float64 as encoding/json spells it ("0.5", "1e-7", "1e+21"); NaN and
 * infinities, which encoding/json refuses, are written as strings. */
void json_float(struct json_writer *w, double v);
/* Appends already-encoded JSON text as one value. */
void json_raw(struct json_writer *w, const char *text, size_t len);

/* Go's time.Time in JSON: RFC 3339 with up to nanosecond digits, in UTC.
 * JSON_TIME_ZERO writes Go's zero time "0001-01-01T00:00:00Z". */
#define JSON_TIME_ZERO INT64_MIN
void json_time(struct json_writer *w, int64_t ms);

/* A label set as a JSON object with keys in byte order, as Go's map
 * encoding sorts them. */
void json_labels(struct json_writer *w, const struct api_labels *ls);

/* Query-result pieces: [<ts>,"<value>"] with the vector/matrix spellings,
 * and the scalar/string spelling [<ts as shortest float>,"<text>"]. */
void json_sample(struct json_writer *w, int64_t ms, double v);
void json_scalar(struct json_writer *w, int64_t ms, double v);
void json_string_sample(struct json_writer *w, int64_t ms, const char *s);

/* Escapes s into out as the body of a JSON string (no quotes). */
void json_escape(struct strbuf *out, const char *s, size_t len);

/* Prometheus's errorType values. ORDER api_error_type: the first six
 * follow eval's error types one to one. */
enum api_error_type {
    API_ERR_NONE = 0,
    API_ERR_BAD_DATA,       /* "bad_data": 400 */
    API_ERR_EXECUTION,      /* "execution": 422 */
    API_ERR_TIMEOUT,        /* "timeout": 503 */
    API_ERR_CANCELED,       /* "canceled": 499 */
    API_ERR_INTERNAL,       /* "internal": 500 */
    API_ERR_UNAVAILABLE,    /* "unavailable": 500 */
    API_ERR_NOT_FOUND,      /* "not_found": 404 */
    API_ERR_NOT_ACCEPTABLE, /* "not_acceptable": 406 */
};

/* An API error as handlers return it. */
struct api_error {
    enum api_error_type type; /* API_ERR_NONE: no error */
    char msg[512];            /* Prometheus's message text */
};

void api_error_set(struct api_error *e, enum api_error_type t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *api_error_type_name(enum api_error_type t);
/* The one place an errorType becomes an HTTP status. */
int api_error_http_status(enum api_error_type t);

/* Envelope: json_envelope_begin writes {"status":"success","data": and the
 * caller writes the data value; json_envelope_end adds warnings and infos
 * (each omitted when empty) and closes the object. */
void json_envelope_begin(struct json_writer *w);
void json_envelope_end(struct json_writer *w, const char *const *warnings, size_t nwarnings,
                       const char *const *infos, size_t ninfos);
/* {"status":"error","errorType":"<t>","error":"<msg>"} */
void json_error_body(struct strbuf *out, const struct api_error *e);

#endif
