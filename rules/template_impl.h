/* template_impl: what the template engine's files share (parse tree, Go
 * types, execution state, the function table, Go-style formatting).
 * Not for use outside rules/template*.c.
 * Ownership rule: parse nodes live in the struct tmpl's arena; values made
 * during execution live in the execution arena (texec.a). */
#ifndef HEED_RULES_TEMPLATE_IMPL_H
#define HEED_RULES_TEMPLATE_IMPL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "rules/template.h"

/* A Go type, as far as messages and assignability need it. */
struct tmpl_type {
    enum tmpl_kind kind;
    const char *name;             /* Go's spelling, as %T and errors print it */
    const struct tmpl_type *elem; /* map/slice element; pointee of a pointer type */
    bool ptr;                     /* a pointer type (*T); elem is T */
    size_t nfields;               /* TMPL_STRUCT */
    const char *const *fields;    /* field names in declaration order */
};

/* Parameter markers: interface{} and reflect.Value parameters. */
extern const struct tmpl_type tmpl_type_any, tmpl_type_rv, tmpl_type_nil;
extern const struct tmpl_type tmpl_type_html, tmpl_type_map_string_any, tmpl_type_query_result,
    tmpl_type_sample_ptr, tmpl_type_alert_data, tmpl_type_time, tmpl_type_time_ptr,
    tmpl_type_duration, tmpl_type_duration_ptr;

/* ORDER tnode_kind: Go's parse.NodeType order is not needed, only names. */
enum tnode_kind {
    TN_TEXT,
    TN_ACTION,
    TN_BOOL,
    TN_CHAIN,
    TN_COMMAND,
    TN_DOT,
    TN_ELSE,
    TN_END,
    TN_FIELD,
    TN_IDENT,
    TN_IF,
    TN_LIST,
    TN_NIL,
    TN_NUMBER,
    TN_PIPE,
    TN_RANGE,
    TN_STRING,
    TN_TEMPLATE,
    TN_VARIABLE,
    TN_WITH,
    TN_BREAK,
    TN_CONTINUE,
};

struct tfunc;

/* One parse-tree node; which fields matter depends on kind. */
struct tnode {
    enum tnode_kind kind;
    uint32_t pos;              /* byte offset in the template text */
    int line;                  /* line of the token that started it */
    struct tnode **items;      /* LIST: nodes; COMMAND: args; PIPE: commands */
    size_t nitems;
    struct tnode **decl;       /* PIPE: declared/assigned variables */
    size_t ndecl;
    bool is_assign;            /* PIPE: "=" rather than ":=" */
    struct tnode *pipe;        /* ACTION, IF, RANGE, WITH, TEMPLATE (may be NULL) */
    struct tnode *list;        /* IF, RANGE, WITH */
    struct tnode *else_list;   /* IF, RANGE, WITH (NULL: no else) */
    struct tnode *chain_node;  /* CHAIN: the term the fields apply to */
    const char **ident;        /* FIELD: names; VARIABLE: "$x" then fields; CHAIN: fields */
    size_t nident;
    const char *text;          /* TEXT, STRING (unquoted), IDENT, TEMPLATE name */
    size_t len;
    const char *src;           /* STRING: quoted form; NUMBER: literal text */
    size_t srclen;
    bool truth;                /* BOOL */
    bool is_int, is_uint, is_float, is_complex; /* NUMBER */
    int64_t i64;
    uint64_t u64;
    double f64;
    const struct tfunc *func;  /* IDENT: the function it names */
};

/* A named tree: the main template or a {{define}}d one. */
struct tdef {
    const char *name;
    struct tnode *root;
};

struct tmpl {
    struct arena arena;  /* owns everything below */
    const char *name;    /* the top-level name (Go's ParseName) */
    const char *text;    /* the parsed text (positions point into it) */
    size_t len;
    char *error;         /* parse error (in arena) or NULL */
    struct tdef *defs;   /* defs[0] is the main template */
    size_t ndefs, capdefs;
};

struct tvar {
    const char *name;
    struct tmpl_value value;
};

/* Execution state (Go's text/template state). */
struct texec {
    const struct tmpl *t;
    const char *cur_name;       /* name of the template being executed */
    struct arena arena;         /* owns the values made during this execution */
    struct arena *a;            /* &arena */
    struct strbuf *out;
    const struct tnode *node;   /* current node, for errors */
    struct tvar *vars;
    size_t nvars, capvars;
    size_t var_base;            /* first variable the current template sees */
    int depth;
    const struct tmpl_env *env;
    jmp_buf fail;               /* errors unwind here */
    char *err;                  /* the message, in a */
    struct strbuf callerr;      /* a function's own error text */
    const char *callee;         /* `call`: its first argument as written */
};

/* A template function. A method has recv set: argv[0] is then the receiver. */
struct tfunc {
    const char *name;
    int nin;                         /* parameters, the variadic one included */
    bool variadic;                   /* last parameter is ...in[nin-1] */
    const struct tmpl_type *in[4];
    const struct tmpl_type *recv;    /* methods: the receiver's type */
    bool builtin;                    /* text/template's own (and/or short-circuit) */
    /* Returns 0 with *ret set, or -1 with the message in s->callerr. */
    int (*fn)(struct texec *s, struct tmpl_value *argv, int argc, struct tmpl_value *ret);
};

/* template_lex.c: Go's text/template lexer. */
/* ORDER titype: keywords after IT_KEYWORD, as in Go, so "> IT_KEYWORD" works. */
enum titype {
    IT_ERROR,
    IT_BOOL,
    IT_CHAR,
    IT_CHARCONST,
    IT_COMPLEX,
    IT_ASSIGN,
    IT_DECLARE,
    IT_EOF,
    IT_FIELD,
    IT_IDENT,
    IT_LDELIM,
    IT_LPAREN,
    IT_NUMBER,
    IT_PIPE,
    IT_RAWSTRING,
    IT_RDELIM,
    IT_RPAREN,
    IT_SPACE,
    IT_STRING,
    IT_TEXT,
    IT_VARIABLE,
    IT_KEYWORD,
    IT_BLOCK,
    IT_BREAK,
    IT_CONTINUE,
    IT_DOT,
    IT_DEFINE,
    IT_ELSE,
    IT_END,
    IT_IF,
    IT_NIL,
    IT_RANGE,
    IT_TEMPLATE,
    IT_WITH,
};

/* One token. */
struct titem {
    enum titype typ;
    uint32_t pos;    /* byte offset of its start */
    const char *val; /* into the input, or an error message */
    size_t len;      /* bytes in val */
    int line;        /* line where it starts (Go's item.line) */
};

/* Lexer state (Go's lexer struct). */
struct tlexer {
    const char *in;     /* the template text */
    size_t len;         /* its length; 0 after an error, as Go empties the input */
    size_t pos, start;  /* current position; start of the pending token */
    int line;           /* 1 + newlines before pos */
    int start_line;     /* line of start */
    int paren_depth;    /* open parentheses in the current action */
    bool inside_action; /* between {{ and }} */
    bool at_eof;        /* next() hit the end (backup is then a no-op, as in Go) */
    struct titem item;  /* the token being returned */
    struct arena *a;    /* for error messages */
};

/* The next token (Go's lexer.nextItem). Error messages go to l->a. */
struct titem tlex_next(struct tlexer *l);

/* template_funcs.c */
const struct tfunc *tfunc_lookup(const char *name, size_t len);
/* Helpers for function bodies: an error message (returns -1), a string
 * value copied into the execution arena, nil interface to no value, a
 * NUL-terminated copy, bytewise string order, url.QueryEscape. */
int tfunc_fail(struct texec *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct tmpl_value tfunc_str(struct texec *s, const struct strbuf *sb, const struct tmpl_type *t);
struct tmpl_value tfunc_iface(struct tmpl_value v);
const char *tfunc_cstr(struct texec *s, const struct tmpl_value *v);
int tfunc_str_cmp(const struct tmpl_value *a, const struct tmpl_value *b);
void tfunc_url_query_escape(struct strbuf *out, const char *s, size_t n);

/* template_builtins.c */
extern const struct tfunc tfunc_builtins[];
extern const size_t tfunc_nbuiltins;
const struct tfunc *tfunc_method(const struct tmpl_value *recv, const char *name);
bool tmpl_truth(const struct tmpl_value *v, bool *ok);

/* template_parse.c */
void tnode_string(struct strbuf *sb, const struct tnode *n);
void tmpl_position(const struct tmpl *t, uint32_t pos, int *line, int *col);

/* template_exec.c */
__attribute__((noreturn, format(printf, 2, 3))) void texec_errorf(struct texec *s,
                                                                   const char *fmt, ...);
struct tmpl_value tmpl_zero(const struct tmpl_type *t);

/* template_fmt.c: Go's fmt, strconv and time formatting. */
void gofmt_print(struct strbuf *sb, const struct tmpl_value *v);           /* fmt.Sprint(v) */
void gofmt_sprint(struct strbuf *sb, const struct tmpl_value *v, int n);   /* fmt.Sprint(v...) */
void gofmt_sprintln(struct strbuf *sb, const struct tmpl_value *v, int n); /* fmt.Sprintln */
void gofmt_sprintf(struct strbuf *sb, const char *fmt, size_t flen, const struct tmpl_value *v,
                   int n);
void gofmt_float(struct strbuf *sb, double f, char verb, int prec); /* prec -1: shortest */
void gofmt_quote(struct strbuf *sb, const char *s, size_t n);       /* strconv.Quote */
const char *gofmt_type_name(const struct tmpl_value *v);
void gotime_string(struct strbuf *sb, int64_t ns);   /* time.Time.String, UTC */
void gotime_format(struct strbuf *sb, int64_t ns, const char *layout, size_t n);
void goduration_string(struct strbuf *sb, int64_t ns);
int goutf8_decode(const char *s, size_t n, uint32_t *r); /* bytes used (>=1); U+FFFD if bad */
void goutf8_encode(struct strbuf *sb, uint32_t r);
bool gouni_is_letter(uint32_t r);
bool gouni_is_digit(uint32_t r);
bool gouni_is_print(uint32_t r);
uint32_t gouni_upper(uint32_t r);
uint32_t gouni_lower(uint32_t r);
void gofmt_rune_u(struct strbuf *sb, uint32_t r); /* %#U */

#endif
