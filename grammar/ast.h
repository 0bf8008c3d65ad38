/* ast: the PromQL syntax tree, its constructors, walker and canonical printer.
 * The parser builds it, the engine walks it, rules keep it; nothing here
 * evaluates. Ownership rule: every node, string and compiled regex of a tree
 * lives in the arena passed to parse (regexes are freed by an arena cleanup);
 * a tree is freed only by releasing that arena.
 * Times and durations are int64 milliseconds; numbers are doubles. */
#ifndef HEED_GRAMMAR_AST_H
#define HEED_GRAMMAR_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"

struct arena;
struct strbuf;

/* PromQL value types, as Prometheus names them in error messages. */
enum ast_type {
    AST_TYPE_NONE = 0,
    AST_TYPE_SCALAR,  /* "scalar" */
    AST_TYPE_VECTOR,  /* "instant vector" */
    AST_TYPE_MATRIX,  /* "range vector" */
    AST_TYPE_STRING,  /* "string" */
};
const char *ast_type_name(enum ast_type t);

enum ast_kind {
    AST_NUMBER,          /* number literal (also a duration used as a number) */
    AST_STRING,          /* string literal */
    AST_VECTOR_SELECTOR, /* metric{matchers} offset/@ */
    AST_MATRIX_SELECTOR, /* vector selector [range] */
    AST_SUBQUERY,        /* expr[range:step] offset/@ */
    AST_CALL,            /* function call */
    AST_AGGREGATE,       /* sum by (..) (expr), topk(k, expr), ... */
    AST_BINARY,          /* lhs op lhs with bool / on / ignoring / group_* */
    AST_UNARY,           /* -expr, +expr */
    AST_PAREN,           /* (expr): kept so the printer reproduces it */
};

/* ORDER binop: grouped by precedence, lowest first (or < and/unless <
 * comparisons and trims < + - < * / % atan2 < ^). */
enum ast_binop {
    AST_OP_LOR,    /* or */
    AST_OP_LAND,   /* and */
    AST_OP_LUNLESS,/* unless */
    AST_OP_EQLC,   /* == */
    AST_OP_NEQ,    /* != */
    AST_OP_LTE,    /* <= */
    AST_OP_LSS,    /* < */
    AST_OP_GTE,    /* >= */
    AST_OP_GTR,    /* > */
    AST_OP_TRIM_UPPER, /* </ (native histograms: keep observations below) */
    AST_OP_TRIM_LOWER, /* >/ (keep observations above) */
    AST_OP_ADD,    /* + */
    AST_OP_SUB,    /* - */
    AST_OP_MUL,    /* * */
    AST_OP_DIV,    /* / */
    AST_OP_MOD,    /* % */
    AST_OP_ATAN2,  /* atan2 */
    AST_OP_POW,    /* ^ */
};
const char *ast_binop_name(enum ast_binop op); /* "+", "and", "atan2", ... */
bool ast_binop_is_comparison(enum ast_binop op);
bool ast_binop_is_set(enum ast_binop op); /* and, or, unless */

/* ORDER aggop */
enum ast_aggop {
    AST_AGG_SUM,
    AST_AGG_AVG,
    AST_AGG_COUNT,
    AST_AGG_MIN,
    AST_AGG_MAX,
    AST_AGG_GROUP,
    AST_AGG_STDDEV,
    AST_AGG_STDVAR,
    AST_AGG_TOPK,         /* param: scalar k */
    AST_AGG_BOTTOMK,      /* param: scalar k */
    AST_AGG_COUNT_VALUES, /* param: string label name */
    AST_AGG_QUANTILE,     /* param: scalar phi */
    AST_AGG_LIMITK,       /* param: scalar k (experimental) */
    AST_AGG_LIMIT_RATIO,  /* param: scalar ratio (experimental) */
};
const char *ast_aggop_name(enum ast_aggop op);

enum ast_match_op {
    AST_MATCH_EQ,  /* = */
    AST_MATCH_NEQ, /* != */
    AST_MATCH_RE,  /* =~ */
    AST_MATCH_NRE, /* !~ */
};

struct ast_matcher {
    enum ast_match_op op; /* how value is compared */
    const char *name;     /* label name (UTF-8 allowed) */
    const char *value;    /* literal value or regex source, unescaped */
    void *re;             /* pcre2_code* for =~ and !~, anchored; NULL otherwise */
    bool re_literal;      /* regex is a plain literal (match by strcmp); set by the parser */
};

/* Compiles m->value for =~ and !~ as Prometheus does: RE2 syntax (constructs
 * Go's regexp refuses are refused here too), anchored as ^(?s:re)$, JIT when
 * possible; the code is freed when arena a is. Returns 0, or -1 with Go's
 * "error parsing regexp: ..." text in err. */
int ast_matcher_compile(struct arena *a, struct ast_matcher *m, struct strbuf *err);

/* Whether a value matches; also used by storage implementations. */
bool ast_matcher_matches(const struct ast_matcher *m, const char *value, size_t len);

enum ast_at {
    AST_AT_NONE = 0, /* no @ modifier */
    AST_AT_TIME,     /* @ <timestamp>: at_ms holds it */
    AST_AT_START,    /* @ start() */
    AST_AT_END,      /* @ end() */
};

/* The experimental anchored / smoothed modifier of a selector (Prometheus's
 * promql-extended-range-selectors): how range boundaries pick samples. */
enum ast_ext {
    AST_EXT_NONE = 0, /* neither written */
    AST_EXT_ANCHORED, /* anchored: the last sample at or before the range start is the baseline */
    AST_EXT_SMOOTHED, /* smoothed: values at the boundaries are interpolated */
};

/* Duration expressions (experimental, upstream's promql-duration-expr):
 * arithmetic over numbers and durations in ranges, subquery steps and
 * offsets, with step() and range() known only when a query runs. */
enum ast_dur_op {
    AST_DUR_NUMBER, /* a number or duration literal: number */
    AST_DUR_STEP,   /* step(): the query's step */
    AST_DUR_RANGE,  /* range(): the query's end minus its start */
    AST_DUR_MIN_OF, /* min_of(lhs, rhs) */
    AST_DUR_MAX_OF, /* max_of(lhs, rhs) */
    AST_DUR_NEG,    /* -rhs */
    AST_DUR_ADD, AST_DUR_SUB, AST_DUR_MUL, AST_DUR_DIV, AST_DUR_MOD, AST_DUR_POW, /* lhs op rhs */
};

struct ast_dur {
    enum ast_dur_op op;
    struct span pos;           /* source range, for errors */
    bool wrapped;              /* written in parentheses (printed back so) */
    bool duration;             /* AST_DUR_NUMBER written as a duration ("5m") */
    double number;             /* AST_DUR_NUMBER: seconds */
    struct ast_dur *lhs, *rhs; /* operands; NEG has only rhs */
};

/* Evaluates a duration expression for a query with the given step and range
 * (both ms) as upstream's durationVisitor: returns 0 and *ms, or -1 with
 * upstream's "start:end: ..." message in err. Offsets may be negative. */
int ast_dur_eval(const struct ast_dur *d, int64_t step_ms, int64_t range_ms, bool allow_negative,
                 int64_t *ms, struct strbuf *err);
/* Prints it as upstream's DurationExpr.String(). */
void ast_dur_print(struct strbuf *out, const struct ast_dur *d);
/* S-expression form, for ast_dump. */
void ast_dur_dump(struct strbuf *out, const struct ast_dur *d);

/* offset and @ as written on a selector or subquery. */
struct ast_time_mod {
    struct ast_dur *offset_expr; /* offset given as a duration expression (then offset_ms is 0) */
    int64_t offset_ms; /* offset (negative allowed); 0 when absent */
    enum ast_at at;    /* kind of @ modifier */
    int64_t at_ms;     /* the @ timestamp for AST_AT_TIME */
    bool has_offset;   /* offset was written (even "offset 0s"), for printing */
};

enum ast_card {
    AST_CARD_ONE_TO_ONE = 0,
    AST_CARD_MANY_TO_ONE, /* group_left */
    AST_CARD_ONE_TO_MANY, /* group_right */
    AST_CARD_MANY_TO_MANY,/* set operators */
};

/* Vector matching of a binary operator. */
struct ast_matching {
    enum ast_card card;     /* cardinality */
    bool on;                /* true: on(labels); false: ignoring(labels) */
    bool has_on_ignoring;   /* on/ignoring was written (even empty), for printing */
    const char **labels;    /* on/ignoring label names */
    size_t nlabels;
    const char **include;   /* group_left/group_right extra labels */
    size_t ninclude;
    bool fill_lhs, fill_rhs; /* fill()/fill_left()/fill_right() (experimental): a missing */
    double fill_lhs_v;       /* left or right sample takes this value instead of */
    double fill_rhs_v;       /* leaving its match group out */
};

enum fn_id {
#define X(id, name, ret, args, variadic, experimental) FN_##id,
#include "grammar/funcs.def"
#undef X
    FN__COUNT
};

struct fn_info {
    enum fn_id id;        /* index in the table */
    const char *name;     /* PromQL name */
    enum ast_type ret;    /* return type */
    const char *args;     /* argument type letters (see funcs.def) */
    int variadic;         /* see funcs.def */
    bool experimental;    /* gated upstream behind promql-experimental-functions */
};
const struct fn_info *ast_fn_lookup(const char *name, size_t len); /* NULL: unknown */
const struct fn_info *ast_fn_info(enum fn_id id);

struct ast_node {
    enum ast_kind kind;   /* which union member is valid */
    struct span pos;      /* source range, for errors and annotations */
    uint32_t height;      /* levels from here to the deepest leaf (1 for a leaf): bounds recursion */
    bool duration;        /* AST_NUMBER written as a duration ("5m"): printed back as one */
    union {
        double number; /* AST_NUMBER */
        struct {
            const char *val;  /* unescaped bytes, NUL-terminated */
            size_t len;       /* may contain NUL bytes */
        } string;      /* AST_STRING */
        struct {
            const char *name;              /* metric name or NULL when only matchers */
            struct ast_matcher *matchers;  /* all matchers, incl. __name__="name" first when name set */
            size_t nmatchers;
            struct ast_time_mod tm;        /* offset / @ */
            enum ast_ext ext;              /* anchored / smoothed (also for the range of a matrix selector) */
        } vs;          /* AST_VECTOR_SELECTOR */
        struct {
            struct ast_node *vs;           /* the AST_VECTOR_SELECTOR (carries offset/@) */
            int64_t range_ms;              /* the [range] */
            struct ast_dur *range_expr;    /* [range] as a duration expression (then range_ms is 0) */
        } ms;          /* AST_MATRIX_SELECTOR */
        struct {
            struct ast_node *expr;         /* inner instant-vector expression */
            int64_t range_ms;              /* [range:...] */
            int64_t step_ms;               /* [..:step]; 0 when omitted (engine default) */
            struct ast_dur *range_expr;    /* range as a duration expression (then range_ms is 0) */
            struct ast_dur *step_expr;     /* step as a duration expression (then step_ms is 0) */
            struct ast_time_mod tm;        /* offset / @ */
        } sq;          /* AST_SUBQUERY */
        struct {
            const struct fn_info *fn;      /* the function */
            struct ast_node **args;
            size_t nargs;
        } call;        /* AST_CALL */
        struct {
            enum ast_aggop op;
            struct ast_node *expr;         /* aggregated expression */
            struct ast_node *param;        /* topk k, quantile phi, count_values label; else NULL */
            const char **grouping;         /* by/without labels */
            size_t ngrouping;
            bool without;                  /* without(...) instead of by(...) */
            bool has_grouping;             /* by/without was written (even empty), for printing */
        } agg;         /* AST_AGGREGATE */
        struct {
            enum ast_binop op;
            struct ast_node *lhs, *rhs;
            bool return_bool;              /* bool modifier */
            struct ast_matching *matching; /* NULL unless both sides are vectors */
        } bin;         /* AST_BINARY */
        struct {
            char op;                       /* '-' or '+' */
            struct ast_node *expr;
        } unary;       /* AST_UNARY */
        struct {
            struct ast_node *expr;
        } paren;       /* AST_PAREN */
    } u;
};

/* The value type an expression yields. */
enum ast_type ast_node_type(const struct ast_node *n);

/* Canonical PromQL text, as Prometheus's String() prints it. */
void ast_print(struct strbuf *out, const struct ast_node *n);
/* S-expression dump of the tree, for golden tests. */
void ast_dump(struct strbuf *out, const struct ast_node *n);

/* Calls fn on n and every node below it, parents first; stops when fn returns non-zero. */
int ast_walk(const struct ast_node *n, int (*fn)(const struct ast_node *, void *), void *ctx);

#endif
