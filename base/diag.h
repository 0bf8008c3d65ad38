/* diag: diagnostics with source positions, and their one renderer.
 * Library code never prints: it appends a diag to a diag_list and returns -1.
 * Positions are byte offsets into the source; line and column (1-based,
 * columns counted in bytes as Prometheus counts them) are computed only when
 * a diag is rendered.
 * Ownership rule: a diag_list owns its messages; diag_list_release() frees them. */
#ifndef HEED_BASE_DIAG_H
#define HEED_BASE_DIAG_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* A half-open byte range [start, end) in some source text. */
struct span {
    uint32_t start;
    uint32_t end;
};

enum diag_code {
    DIAG_SYNTAX = 1, /* lexing or parsing */
    DIAG_TYPE,       /* PromQL type checking */
    DIAG_SEMANTIC,   /* well-formed but invalid (rule file validation, bad directive) */
    DIAG_LIMIT,      /* an input bound was exceeded */
    DIAG_IO,         /* file could not be read */
    DIAG_WARNING,    /* not an error: lint and duplicate-rule warnings */
};

struct diag {
    enum diag_code code;
    struct span span; /* where in the source */
    const char *file; /* file name, not owned (NULL: none) */
    char *msg;        /* owned message, without position prefix */
};

struct diag_list {
    struct diag *items; /* owned array */
    size_t len;         /* number of diags */
    size_t cap;         /* allocated entries */
    size_t max;         /* keep at most this many (0: 100); further ones are counted */
    size_t dropped;     /* diags not kept because of max */
};

void diag_list_init(struct diag_list *dl);
void diag_list_release(struct diag_list *dl);
void diag_add(struct diag_list *dl, enum diag_code code, struct span span, const char *file,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* 1-based line and column of byte offset off in src (len bytes). */
void diag_line_col(const char *src, size_t len, uint32_t off, int *line, int *col);

/* Appends "file:line:col: msg\n" (file and its colon omitted when NULL);
 * with caret != 0 also the source line and a caret under the column. */
void diag_render(struct strbuf *out, const struct diag *d, const char *src, size_t len, int caret);

#endif
