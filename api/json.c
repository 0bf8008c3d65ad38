#include "api/json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "base/strbuf.h"
#include "base/jsonstr.h"
#include "base/xalloc.h"
#include "compat/promfmt.h"

void json_init(struct json_writer *w, struct strbuf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

/* Writes the comma that separates this value from the previous sibling. */
static void before_value(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth - 1])
            strbuf_addch(w->out, ',');
        w->first[w->depth - 1] = 0;
    }
}

static void open_container(struct json_writer *w, char c)
{
    before_value(w);
    strbuf_addch(w->out, c);
    assert(w->depth < JSON_MAX_DEPTH);
    w->first[w->depth++] = 1;
}

static void close_container(struct json_writer *w, char c)
{
    assert(w->depth > 0);
    w->depth--;
    strbuf_addch(w->out, c);
}

void json_object_begin(struct json_writer *w)
{
    open_container(w, '{');
}

void json_object_end(struct json_writer *w)
{
    close_container(w, '}');
}

void json_array_begin(struct json_writer *w)
{
    open_container(w, '[');
}

void json_array_end(struct json_writer *w)
{
    close_container(w, ']');
}


void json_escape(struct strbuf *out, const char *s, size_t len)
{
    jsonstr_escape(out, s, len, 0);
}

void json_key(struct json_writer *w, const char *key)
{
    before_value(w);
    strbuf_addch(w->out, '"');
    json_escape(w->out, key, strlen(key));
    strbuf_add(w->out, "\":", 2);
    w->after_key = 1;
}

void json_stringn(struct json_writer *w, const char *s, size_t len)
{
    before_value(w);
    strbuf_addch(w->out, '"');
    json_escape(w->out, s, len);
    strbuf_addch(w->out, '"');
}

void json_string(struct json_writer *w, const char *s)
{
    if (!s) {
        json_null(w);
        return;
    }
    json_stringn(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
    before_value(w);
    strbuf_addf(w->out, "%" PRId64, v);
}

void json_bool(struct json_writer *w, int v)
{
    before_value(w);
    strbuf_addstr(w->out, v ? "true" : "false");
}

void json_null(struct json_writer *w)
{
    before_value(w);
    strbuf_addstr(w->out, "null");
}

void json_raw(struct json_writer *w, const char *text, size_t len)
{
    before_value(w);
    strbuf_add(w->out, text, len);
}

void json_float(struct json_writer *w, double v)
{
    if (!isfinite(v)) {
        struct strbuf tmp = STRBUF_INIT;
        promfmt_go_float(&tmp, v, 'f');
        json_stringn(w, tmp.buf, tmp.len);
        strbuf_release(&tmp);
        return;
    }
    before_value(w);
    double a = fabs(v);
    if (a < 1e15 && v == (double)(long long)v && !(v == 0 && signbit(v))) {
        /* Integral values print as integers in every spelling: skip the
         * shortest-digits search. */
        strbuf_addf(w->out, "%lld", (long long)v);
        return;
    }
    int exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
    size_t start = w->out->len;
    promfmt_go_float(w->out, v, exp_form ? 'e' : 'f');
    if (exp_form) {
        /* encoding/json shortens a two-digit negative exponent: e-07 -> e-7. */
        char *b = w->out->buf + start;
        size_t n = w->out->len - start;
        if (n >= 4 && b[n - 4] == 'e' && b[n - 3] == '-' && b[n - 2] == '0') {
            b[n - 2] = b[n - 1];
            strbuf_setlen(w->out, w->out->len - 1);
        }
    }
}

void json_time(struct json_writer *w, int64_t ms)
{
    before_value(w);
    strbuf_addch(w->out, '"');
    if (ms == JSON_TIME_ZERO)
        strbuf_addstr(w->out, "0001-01-01T00:00:00Z");
    else
        promfmt_rfc3339(w->out, ms, -1);
    strbuf_addch(w->out, '"');
}

static int label_cmp(const void *a, const void *b)
{
    const struct api_label *x = *(const struct api_label *const *)a;
    const struct api_label *y = *(const struct api_label *const *)b;
    return strcmp(x->name, y->name);
}

void json_labels(struct json_writer *w, const struct api_labels *ls)
{
    json_object_begin(w);
    if (ls && ls->len) {
        const struct api_label *small[32];
        const struct api_label **order = ls->len <= 32 ? small : xmalloc(ls->len * sizeof *order);
        for (size_t i = 0; i < ls->len; i++)
            order[i] = &ls->items[i];
        qsort(order, ls->len, sizeof *order, label_cmp);
        for (size_t i = 0; i < ls->len; i++) {
            /* Go maps hold one value per key: the last one written wins. */
            if (i + 1 < ls->len && !strcmp(order[i]->name, order[i + 1]->name))
                continue;
            json_key(w, order[i]->name);
            json_string(w, order[i]->value ? order[i]->value : "");
        }
        if (order != small)
            free(order);
    }
    json_object_end(w);
}

void json_sample(struct json_writer *w, int64_t ms, double v)
{
    json_array_begin(w);
    before_value(w);
    promfmt_api_time(w->out, ms);
    before_value(w);
    strbuf_addch(w->out, '"');
    promfmt_api_value(w->out, v);
    strbuf_addch(w->out, '"');
    json_array_end(w);
}

/* Scalar and string results carry their time as Go's shortest float of
 * seconds ("1.5", "1700000000"). */
static void scalar_time(struct json_writer *w, int64_t ms)
{
    before_value(w);
    promfmt_go_float(w->out, (double)ms / 1000.0, 'f');
}

void json_scalar(struct json_writer *w, int64_t ms, double v)
{
    json_array_begin(w);
    scalar_time(w, ms);
    before_value(w);
    strbuf_addch(w->out, '"');
    /* Scalars never use the exponent form. */
    promfmt_go_float(w->out, v, 'f');
    strbuf_addch(w->out, '"');
    json_array_end(w);
}

void json_string_sample(struct json_writer *w, int64_t ms, const char *s)
{
    json_array_begin(w);
    scalar_time(w, ms);
    json_string(w, s ? s : "");
    json_array_end(w);
}

/* ---- errors and the envelope ---- */

void api_error_set(struct api_error *e, enum api_error_type t, const char *fmt, ...)
{
    va_list ap;
    e->type = t;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

const char *api_error_type_name(enum api_error_type t)
{
    switch (t) {
    case API_ERR_NONE:
        return "";
    case API_ERR_BAD_DATA:
        return "bad_data";
    case API_ERR_EXECUTION:
        return "execution";
    case API_ERR_TIMEOUT:
        return "timeout";
    case API_ERR_CANCELED:
        return "canceled";
    case API_ERR_INTERNAL:
        return "internal";
    case API_ERR_UNAVAILABLE:
        return "unavailable";
    case API_ERR_NOT_FOUND:
        return "not_found";
    case API_ERR_NOT_ACCEPTABLE:
        return "not_acceptable";
    }
    return "internal";
}

int api_error_http_status(enum api_error_type t)
{
    switch (t) {
    case API_ERR_BAD_DATA:
        return 400;
    case API_ERR_EXECUTION:
        return 422;
    case API_ERR_TIMEOUT:
        return 503;
    case API_ERR_CANCELED:
        return 499;
    case API_ERR_NOT_FOUND:
        return 404;
    case API_ERR_NOT_ACCEPTABLE:
        return 406;
    case API_ERR_NONE:
        return 200;
    case API_ERR_INTERNAL:
    case API_ERR_UNAVAILABLE:
        break;
    }
    return 500;
}

void json_envelope_begin(struct json_writer *w)
{
    json_object_begin(w);
    json_key(w, "status");
    json_string(w, "success");
    json_key(w, "data");
}

static void string_list(struct json_writer *w, const char *key, const char *const *items, size_t n)
{
    if (!n)
        return;
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++)
        json_string(w, items[i]);
    json_array_end(w);
}

void json_envelope_end(struct json_writer *w, const char *const *warnings, size_t nwarnings,
                       const char *const *infos, size_t ninfos)
{
    string_list(w, "warnings", warnings, nwarnings);
    string_list(w, "infos", infos, ninfos);
    json_object_end(w);
}

void json_error_body(struct strbuf *out, const struct api_error *e)
{
    struct json_writer w;
    json_init(&w, out);
    json_object_begin(&w);
    json_key(&w, "status");
    json_string(&w, "error");
    json_key(&w, "errorType");
    json_string(&w, api_error_type_name(e->type == API_ERR_NONE ? API_ERR_INTERNAL : e->type));
    json_key(&w, "error");
    json_string(&w, e->msg);
    json_object_end(&w);
}
