#include "compat/protobuf.h"

#include <string.h>

#include "base/strbuf.h"

size_t protobuf_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v's varint into out (at least PROTOBUF_VARINT_MAX bytes); returns its length. */
static size_t varint_encode(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

void protobuf_put_varint(struct strbuf *sb, uint64_t v)
{
    uint8_t tmp[PROTOBUF_VARINT_MAX];
    strbuf_add(sb, tmp, varint_encode(tmp, v));
}

void protobuf_put_tag(struct strbuf *sb, uint32_t field, enum protobuf_wire wire)
{
    protobuf_put_varint(sb, ((uint64_t)field << 3) | (uint64_t)wire);
}

void protobuf_put_int64(struct strbuf *sb, uint32_t field, int64_t v)
{
    if (v == 0)
        return;
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_VARINT);
    protobuf_put_varint(sb, (uint64_t)v);
}

void protobuf_put_double(struct strbuf *sb, uint32_t field, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    /* Only +0.0 is the proto3 default; -0.0 has a bit set and is kept. */
    if (bits == 0)
        return;
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_FIXED64);
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(bits >> (8 * i));
    strbuf_add(sb, le, sizeof le);
}

static void put_le64(struct strbuf *sb, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(bits >> (8 * i));
    strbuf_add(sb, le, sizeof le);
}

void protobuf_put_double_present(struct strbuf *sb, uint32_t field, double v)
{
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_FIXED64);
    put_le64(sb, v);
}

uint64_t protobuf_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

int64_t protobuf_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void protobuf_put_sint64(struct strbuf *sb, uint32_t field, int64_t v)
{
    if (v == 0)
        return;
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_VARINT);
    protobuf_put_varint(sb, protobuf_zigzag(v));
}

void protobuf_put_uint64(struct strbuf *sb, uint32_t field, uint64_t v)
{
    if (v == 0)
        return;
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_VARINT);
    protobuf_put_varint(sb, v);
}

void protobuf_put_packed_doubles(struct strbuf *sb, uint32_t field, const double *v, size_t n)
{
    if (n == 0)
        return;
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_LEN);
    protobuf_put_varint(sb, n * 8);
    for (size_t i = 0; i < n; i++)
        put_le64(sb, v[i]);
}

void protobuf_put_bytes(struct strbuf *sb, uint32_t field, const void *p, size_t n)
{
    if (n == 0)
        return;
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_LEN);
    protobuf_put_varint(sb, n);
    strbuf_add(sb, p, n);
}

void protobuf_put_string(struct strbuf *sb, uint32_t field, const char *s)
{
    protobuf_put_bytes(sb, field, s, strlen(s));
}

size_t protobuf_msg_begin(struct strbuf *sb, uint32_t field)
{
    protobuf_put_tag(sb, field, PROTOBUF_WIRE_LEN);
    return sb->len;
}

/* The length is known only once the fields are written; shifting them right
 * by the varint's size keeps the encoding canonical (shortest varint) without
 * a separate sizing pass. */
void protobuf_msg_end(struct strbuf *sb, size_t mark)
{
    size_t body = sb->len - mark;
    uint8_t tmp[PROTOBUF_VARINT_MAX];
    size_t n = varint_encode(tmp, body);
    strbuf_grow(sb, n);
    memmove(sb->buf + mark + n, sb->buf + mark, body);
    memcpy(sb->buf + mark, tmp, n);
    strbuf_setlen(sb, sb->len + n);
}

void protobuf_reader_init(struct protobuf_reader *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
}

static int read_varint(struct protobuf_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p == r->end)
            return -1;
        uint8_t b = *r->p++;
        /* The tenth byte may carry only the top bit of a 64-bit value. */
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int read_fixed(struct protobuf_reader *r, int nbytes, uint64_t *out)
{
    if (r->end - r->p < nbytes)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += nbytes;
    *out = v;
    return 0;
}

int protobuf_next(struct protobuf_reader *r, struct protobuf_field *f)
{
    if (r->p == r->end)
        return 0;
    uint64_t tag;
    if (read_varint(r, &tag) < 0 || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
        return -1;
    memset(f, 0, sizeof *f);
    f->number = (uint32_t)(tag >> 3);
    f->wire = (enum protobuf_wire)(tag & 7);
    switch (f->wire) {
    case PROTOBUF_WIRE_VARINT:
        return read_varint(r, &f->bits) < 0 ? -1 : 1;
    case PROTOBUF_WIRE_FIXED64:
        return read_fixed(r, 8, &f->bits) < 0 ? -1 : 1;
    case PROTOBUF_WIRE_FIXED32:
        return read_fixed(r, 4, &f->bits) < 0 ? -1 : 1;
    case PROTOBUF_WIRE_LEN: {
        uint64_t n;
        if (read_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
            return -1;
        f->data = r->p;
        f->len = (size_t)n;
        r->p += n;
        return 1;
    }
    default: /* groups (3, 4) are deprecated and never used by remote write */
        return -1;
    }
}

double protobuf_field_double(const struct protobuf_field *f)
{
    double d;
    memcpy(&d, &f->bits, sizeof d);
    return d;
}
