/* pq: state shared by the re2c lexer, the bison parser and parse.c.
 * Private to grammar/: nothing outside this folder includes it.
 * Ownership rule: a struct pq_ctx lives on parse_expr's stack; every string
 * and node it hands out is allocated from ctx->arena. */
#ifndef HEED_GRAMMAR_PQ_H
#define HEED_GRAMMAR_PQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "grammar/ast.h"

struct arena;
struct diag_list;

/* A token's text: the source bytes, or for STRING the unescaped value. */
struct pq_tok {
    const char *s; /* NUL-terminated (arena copy for strings, source view otherwise) */
    size_t len;    /* bytes in s */
};

/* Growable arrays backed by the arena (old storage is simply abandoned). */
struct pq_nodes {
    struct ast_node **items; /* the nodes */
    size_t n, cap;           /* used and allocated entries */
};
struct pq_strs {
    const char **items; /* the strings */
    size_t n, cap;      /* used and allocated entries */
};
struct pq_matchers {
    struct ast_matcher *items; /* the matchers */
    size_t n, cap;             /* used and allocated entries */
};

/* by/without of an aggregation, before it is attached. */
struct pq_aggmod {
    struct pq_strs labels; /* grouping labels */
    bool without;          /* without (...) */
    bool present;          /* by/without was written */
};

/* bool / on / ignoring / group_x of a binary operator, before it is attached. */
struct pq_binmod {
    bool return_bool;           /* bool */
    struct ast_matching *match; /* never NULL */
};

struct pq_ctx {
    const char *src;        /* the source text */
    size_t len;             /* its length */
    const char *cur;        /* lexer cursor */
    const char *tok;        /* start of the token being scanned */
    const char *mar;        /* re2c backtracking marker */
    int cond;               /* re2c start condition (expression, braces, brackets, strings) */
    int paren_depth;        /* open ( */
    bool bracket_dur_state; /* inside [ ]: expecting a duration (after [ ( : or an operator) */
    bool got_colon;         /* ':' seen in the current [ ] */
    bool in_bracket;        /* a [ is open */
    bool lex_started;       /* the first token was asked for */
    bool lex_done;          /* end of input or an error was returned */
    bool got_duration;      /* a number was seen in some [ ] (sticky, as upstream) */
    struct strbuf sbuf;     /* scratch for decoding strings */

    /* The token most recently handed to the parser, for "unexpected ..." messages. */
    int last_type;          /* bison token kind */
    struct span last_span;  /* where */
    bool last_lex_error;    /* the lexer reported an error for it */

    struct arena *arena;          /* where the tree goes */
    const struct parse_opts *opts; /* limits and feature flags */
    struct diag_list *diags;      /* where errors go */
    int nerrors;                  /* errors seen; only the first is reported */
    size_t depth;                 /* current nesting (parentheses, brackets, braces) */
    size_t max_depth;             /* limit on depth */
    struct ast_node *root;        /* the result */
};

/* Records an error; only the first of a parse is kept, as Prometheus reports only that. */
void pq_error(struct pq_ctx *c, enum diag_code code, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "unexpected <last token>[ in context][, expected what]" as Prometheus words it. */
void pq_unexpected(struct pq_ctx *c, const char *context, const char *expected);

/* The lexer entry (lexer.re); returns a bison token kind, 0 at end of input. */
int pq_lex(struct pq_ctx *c, struct pq_tok *val, struct span *loc);

/* Go-style quoting (strconv.Quote with '"'): appends "..." with Go escapes. */
void pq_quote(struct strbuf *out, const char *s, size_t len);
/* Go's %q of a rune ('x'), for lexer messages. */
void pq_quote_rune(struct strbuf *out, uint32_t r);

/* Parses a duration as Prometheus's model.ParseDuration does: 0 and *ms, or
 * -1 and a message ("not a valid duration string: ...") in *err (static or arena). */
int pq_parse_duration(const char *s, size_t len, int64_t *ms, struct strbuf *err);

/* Type checking after a successful parse, as Prometheus's checkAST. */
void pq_check(struct pq_ctx *c, struct ast_node *root);

/* The string form of a number for error messages and the printer (Go's FormatFloat 'f' -1). */
void pq_format_float(struct strbuf *out, double v);

#endif
