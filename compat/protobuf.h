/* protobuf: the few pieces of the protocol-buffers wire format that remote
 * write needs, written from the public encoding spec (no protoc, no generated
 * code): varints, length-delimited fields, fixed64 doubles, and a pull reader
 * that walks the fields of one message for decoding in tests.
 * Values follow proto3: scalar fields equal to their default (0, +0.0, "")
 * are not written, embedded messages always are.
 * Ownership rule: the encoder appends to a caller-owned strbuf; the reader
 * only points into the caller's buffer and allocates nothing. */
#ifndef HEED_COMPAT_PROTOBUF_H
#define HEED_COMPAT_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* The wire types a tag carries in its low three bits. */
enum protobuf_wire {
    PROTOBUF_WIRE_VARINT = 0,  /* int32/64, uint32/64, bool, enum */
    PROTOBUF_WIRE_FIXED64 = 1, /* double, fixed64, sfixed64 */
    PROTOBUF_WIRE_LEN = 2,     /* string, bytes, embedded message, packed */
    PROTOBUF_WIRE_FIXED32 = 5, /* float, fixed32, sfixed32 */
};

/* Longest varint: 64 bits in 7-bit groups. */
#define PROTOBUF_VARINT_MAX 10

size_t protobuf_varint_size(uint64_t v);
void protobuf_put_varint(struct strbuf *sb, uint64_t v);
void protobuf_put_tag(struct strbuf *sb, uint32_t field, enum protobuf_wire wire);

/* int64 as protobuf's int64 type: two's complement in a varint, so a negative
 * value always takes ten bytes (sint64's zigzag is a different type). */
void protobuf_put_int64(struct strbuf *sb, uint32_t field, int64_t v);
/* double as fixed64, little-endian IEEE 754 bits: NaN payloads such as
 * Prometheus's staleness marker travel unchanged. */
void protobuf_put_double(struct strbuf *sb, uint32_t field, double v);
/* A double that is written even when it is +0.0: a member of a oneof,
 * whose presence says which member is set. */
void protobuf_put_double_present(struct strbuf *sb, uint32_t field, double v);
/* sint32/sint64: zigzag-encoded varint (-1 -> 1, 1 -> 2), so small negative
 * numbers stay short. */
void protobuf_put_sint64(struct strbuf *sb, uint32_t field, int64_t v);
/* uint32/uint64/enum: a plain varint. */
void protobuf_put_uint64(struct strbuf *sb, uint32_t field, uint64_t v);
/* repeated double, packed (proto3's default): one length-delimited field
 * of little-endian fixed64 values; nothing when n is 0. */
void protobuf_put_packed_doubles(struct strbuf *sb, uint32_t field, const double *v, size_t n);
uint64_t protobuf_zigzag(int64_t v);
int64_t protobuf_unzigzag(uint64_t v);
void protobuf_put_bytes(struct strbuf *sb, uint32_t field, const void *p, size_t n);
void protobuf_put_string(struct strbuf *sb, uint32_t field, const char *s);

/* An embedded message: begin writes the tag and returns a mark; the caller
 * appends the message's fields; end inserts the length varint before them. */
size_t protobuf_msg_begin(struct strbuf *sb, uint32_t field);
void protobuf_msg_end(struct strbuf *sb, size_t mark);

/* Pull reader over the fields of one message. */
struct protobuf_reader {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* one past the message's last byte */
};

/* One decoded field; which members are set depends on wire. */
struct protobuf_field {
    uint32_t number;         /* field number from the tag */
    enum protobuf_wire wire; /* wire type from the tag */
    uint64_t bits;           /* VARINT value, or FIXED64/FIXED32 raw little-endian bits */
    const uint8_t *data;     /* LEN: payload, pointing into the reader's buffer */
    size_t len;              /* LEN: payload length */
};

void protobuf_reader_init(struct protobuf_reader *r, const void *p, size_t n);
/* Reads the next field: 1 read, 0 at the end of the message, -1 malformed
 * (truncated, overlong varint, field number 0 or an unsupported wire type). */
int protobuf_next(struct protobuf_reader *r, struct protobuf_field *f);
double protobuf_field_double(const struct protobuf_field *f);

#endif
