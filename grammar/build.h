/* build: tree construction and the checks Prometheus makes while parsing
 * (in its grammar actions), called from parser.y's actions.
 * Private to grammar/. Ownership rule: every node and string goes into
 * the parse arena of the struct pq_ctx. */
#ifndef HEED_GRAMMAR_BUILD_H
#define HEED_GRAMMAR_BUILD_H

#include "grammar/pq.h"

void pq_nodes_push(struct pq_ctx *c, struct pq_nodes *l, struct ast_node *n);
void pq_strs_push(struct pq_ctx *c, struct pq_strs *l, const char *s);
void pq_matchers_push(struct pq_ctx *c, struct pq_matchers *l, const struct ast_matcher *m);

struct ast_node *pq_build_number_tok(struct pq_ctx *c, const struct pq_tok *t, struct span sp, bool duration);
struct ast_node *pq_build_number(struct pq_ctx *c, double v, struct span sp, bool duration);
double pq_number_value(struct pq_ctx *c, const struct pq_tok *t, struct span sp, bool duration);
struct ast_node *pq_build_string(struct pq_ctx *c, const struct pq_tok *t, struct span sp);

/* Duration expressions (ast_dur.c), built as upstream's grammar actions do. */
bool pq_dur_is_literal(const struct ast_dur *d);
struct ast_dur *pq_dur_literal(struct pq_ctx *c, const struct pq_tok *t, struct span sp, bool duration);
struct ast_dur *pq_dur_checked(struct pq_ctx *c, struct ast_dur *d);
struct ast_dur *pq_dur_paren(struct pq_ctx *c, struct ast_dur *d, struct span sp);
struct ast_dur *pq_dur_unary(struct pq_ctx *c, const struct pq_tok *op, struct span opsp, struct ast_dur *d,
                             bool wrapped);
struct ast_dur *pq_dur_binary(struct pq_ctx *c, enum ast_dur_op op, struct span opsp, struct ast_dur *l,
                              struct ast_dur *r);
struct ast_dur *pq_dur_call(struct pq_ctx *c, enum ast_dur_op op, struct span sp, struct ast_dur *l,
                            struct ast_dur *r);
struct ast_dur *pq_dur_signed_call(struct pq_ctx *c, const struct pq_tok *op, struct span opsp, struct ast_dur *d);
struct ast_dur *pq_dur_positive(struct pq_ctx *c, struct ast_dur *d);

struct ast_node *pq_build_aggregate(struct pq_ctx *c, const struct pq_tok *op, const struct span *opsp,
                                    const struct pq_aggmod *mod, const struct pq_nodes *args,
                                    struct span sp, bool overread);
struct pq_binmod pq_build_binmod(struct pq_ctx *c, bool return_bool);
void pq_build_matching_labels(struct pq_ctx *c, struct pq_binmod *m, bool on, const struct pq_strs *l);
void pq_build_matching_group(struct pq_ctx *c, struct pq_binmod *m, enum ast_card card,
                             const struct pq_strs *l);
void pq_build_fill(struct pq_ctx *c, struct pq_binmod *m, bool lhs, double lv, bool rhs, double rv);
struct pq_tok pq_build_grouping_label(struct pq_ctx *c, const struct pq_tok *t, struct span sp,
                                      bool quoted);
struct ast_node *pq_build_binary(struct pq_ctx *c, struct ast_node *lhs, enum ast_binop op,
                                 const struct pq_binmod *mod, struct ast_node *rhs, struct span sp);
struct ast_node *pq_build_call(struct pq_ctx *c, const struct pq_tok *name, struct span namesp,
                               const struct pq_nodes *args, struct span sp);
struct ast_node *pq_build_paren(struct pq_ctx *c, struct ast_node *e, struct span sp);
struct ast_node *pq_build_unary(struct pq_ctx *c, const struct pq_tok *op, struct ast_node *e,
                                struct span sp);
struct ast_node *pq_build_offset(struct pq_ctx *c, struct ast_node *e, struct ast_dur *d, struct span sp);
struct ast_node *pq_build_at(struct pq_ctx *c, struct ast_node *e, double ts, struct span sp);
struct ast_node *pq_build_at_fn(struct pq_ctx *c, struct ast_node *e, const struct pq_tok *fn,
                                struct span fnsp, struct span sp);
/* expr anchored / expr smoothed (build_ext.c). */
struct ast_node *pq_build_ext(struct pq_ctx *c, struct ast_node *e, enum ast_ext ext);
struct ast_node *pq_build_matrix(struct pq_ctx *c, struct ast_node *e, struct ast_dur *range,
                                 struct span brackets, struct span sp);
struct ast_node *pq_build_subquery(struct pq_ctx *c, struct ast_node *e, struct ast_dur *range,
                                   struct ast_dur *step, struct span sp);
struct ast_node *pq_build_selector(struct pq_ctx *c, const struct pq_tok *name, struct ast_node *matchers,
                                   struct span sp);
struct ast_node *pq_build_matchers(struct pq_ctx *c, const struct pq_matchers *l, struct span sp);
struct ast_matcher pq_build_matcher(struct pq_ctx *c, const struct pq_tok *name, const struct pq_tok *op,
                                    const struct pq_tok *value, struct span sp);
struct ast_matcher pq_build_name_matcher(struct pq_ctx *c, const struct pq_tok *value);

#endif
