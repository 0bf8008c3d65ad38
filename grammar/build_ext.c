/* build_ext: the anchored / smoothed selector modifiers (Prometheus's
 * experimental promql-extended-range-selectors), checked as upstream's
 * setAnchored / setSmoothed check them. Kept apart from build.c so the
 * experimental syntax stays in one place. */
#include "grammar/build.h"

#include "grammar/parse.h"

static const char *ext_word(enum ast_ext ext)
{
    return ext == AST_EXT_ANCHORED ? "anchored" : "smoothed";
}

struct ast_node *pq_build_ext(struct pq_ctx *c, struct ast_node *e, enum ast_ext ext)
{
    const char *word = ext_word(ext);
    if (!c->opts->experimental) {
        pq_error(c, DIAG_SYNTAX, e->pos, "%s modifier is experimental and not enabled", word);
        return e;
    }
    struct ast_node *vs = NULL;
    switch (e->kind) {
    case AST_VECTOR_SELECTOR:
        vs = e;
        break;
    case AST_MATRIX_SELECTOR:
        vs = e->u.ms.vs;
        if (!vs || vs->kind != AST_VECTOR_SELECTOR)
            return e;
        break;
    case AST_SUBQUERY:
        pq_error(c, DIAG_SYNTAX, e->pos, "%s modifier is not supported for subqueries", word);
        return e;
    default:
        pq_error(c, DIAG_SYNTAX, e->pos, "%s modifier not implemented", word);
        return e;
    }
    /* Upstream keeps the later flag and reports the pair; re-stating one is harmless. */
    if (vs->u.vs.ext != AST_EXT_NONE && vs->u.vs.ext != ext)
        pq_error(c, DIAG_SYNTAX, e->pos, "anchored and smoothed modifiers cannot be used together");
    vs->u.vs.ext = ext;
    return e;
}
