/* ynode: a YAML document as a tree of nodes, built from libyaml's event stream.
 * Every node keeps its position (1-based line and column as libyaml counts
 * them, which is what Go's YAML library reports, plus the byte offset), so
 * rule-file errors can name file:line:col. Aliases are kept as nodes that
 * point at their anchored node (never copied), so alias bombs cost nothing
 * here; whoever walks the tree bounds the expansion.
 * Only the first document of a stream is built; a second one is noted.
 * Errors are worded as Go's YAML library (yaml.v3, a port of libyaml) words
 * them ("yaml: line 3: did not find expected key"), because Prometheus tools
 * print that text and heed must print the same.
 * Ownership rule: every node and string lives in the arena passed to
 * ynode_parse and dies with it. */
#ifndef HEED_RULES_YNODE_H
#define HEED_RULES_YNODE_H

#include <stddef.h>
#include <stdint.h>

struct arena;

enum ynode_kind {
    YNODE_SCALAR = 1, /* a string; tag tells how it resolves */
    YNODE_SEQ,        /* items[0..n) */
    YNODE_MAP,        /* items[0..2n): key, value, key, value ... */
    YNODE_ALIAS,      /* *name: target is the anchored node */
};

/* Scalar styles; anything but PLAIN is always a string. */
enum ynode_style {
    YNODE_PLAIN = 0,
    YNODE_SINGLE_QUOTED,
    YNODE_DOUBLE_QUOTED,
    YNODE_LITERAL,
    YNODE_FOLDED,
    YNODE_FLOW, /* a flow sequence or mapping ([..], {..}) */
};

struct ynode {
    const char *tag;   /* short resolved tag: "!!str", "!!int", "!!null", "!!map", ... */
    const char *value; /* scalar text (NUL-terminated; may contain NULs), or alias name */
    union {
        struct ynode **items; /* children (see kind) */
        struct ynode *target; /* YNODE_ALIAS: the anchored node */
    };
    uint32_t len;    /* bytes in value */
    uint32_t n;      /* number of items (a map has 2n entries) */
    uint32_t line;   /* 1-based line of the node's start */
    uint32_t col;    /* 1-based column, in characters */
    uint32_t offset; /* byte offset of the node's start in the source */
    uint8_t kind;    /* enum ynode_kind: what this node is */
    uint8_t style;   /* enum ynode_style: how it was written */
};

/* Bounds on what a document may hold (0 in a field: the default). */
struct ynode_limits {
    size_t max_depth; /* nesting of collections (default 10000, as Go's yaml) */
    size_t max_nodes; /* nodes in the document (default 10 million: ~500 MB; 10,000 rules take ~120,000) */
    size_t max_bytes; /* source size (default 1 GiB; never above 4 GiB, offsets are 32-bit) */
};

struct ynode_doc {
    struct ynode *root; /* NULL: the stream held no document (empty input) */
    int more_docs;      /* a second document follows (it is not read) */
    size_t nodes;       /* how many nodes were built */
};

struct ynode_error {
    char msg[256]; /* e.g. "yaml: line 3: did not find expected key" */
    uint32_t line; /* 1-based line of the problem (0: unknown) */
    uint32_t col;  /* 1-based column (0: unknown) */
};

/* Parses src (len bytes) into doc. Returns 0, or -1 with err filled. */
int ynode_parse(const char *src, size_t len, struct arena *a, const struct ynode_limits *limits,
                struct ynode_doc *doc, struct ynode_error *err);

/* The tag Go's yaml.v3 resolves an untagged plain scalar to: "!!null",
 * "!!bool", "!!int", "!!float", "!!timestamp", "!!merge" or "!!str". */
const char *ynode_resolve(const char *s, size_t len);

/* Follows aliases to the node they stand for (NULL stays NULL). */
const struct ynode *ynode_deref(const struct ynode *n);

/* For a mapping: the value under key (a plain string match on scalar keys), or NULL. */
const struct ynode *ynode_map_get(const struct ynode *map, const char *key);

#endif
