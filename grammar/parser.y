/* parser: the PromQL grammar (bison 3.8, pure, reentrant).
 * It mirrors Prometheus's promql/parser/generated_parser.y for the language
 * over float samples: the same precedences, the same places where an `error`
 * token turns a syntax error into Prometheus's "unexpected X in Y, expected Z"
 * message. Tree building and parse-time checks live in build.c.
 * Ownership: every value is allocated from the parse arena, so no value needs
 * a %destructor (the arena frees them whether or not the parse succeeds). */
%require "3.8"
%define api.pure full
%define api.prefix {pq_yy}
%define api.token.prefix {TOK_}
%define api.location.type {struct span}
%define parse.error custom
%locations
%expect 0
%param {struct pq_ctx *c}

%code top {
/* Bison's helper for listing expected tokens is generated but not needed:
 * Prometheus's messages come from the error rules instead. */
#pragma GCC diagnostic ignored "-Wunused-function"
}

%code requires {
#include "grammar/pq.h"
}

%code provides {
int pq_yyparse(struct pq_ctx *c);
}

%code {
#include "grammar/build.h"

/* Spans: from the first symbol's start to the last one's end; an empty rule
 * sits at the end of the symbol before it, as jq does it. */
#define YYLLOC_DEFAULT(cur, rhs, n)                    \
    do {                                               \
        if (n) {                                       \
            (cur).start = YYRHSLOC(rhs, 1).start;      \
            (cur).end = YYRHSLOC(rhs, n).end;          \
        } else {                                       \
            (cur).start = (cur).end = YYRHSLOC(rhs, 0).end; \
        }                                              \
    } while (0)

static int pq_yylex(PQ_YYSTYPE *lval, PQ_YYLTYPE *lloc, struct pq_ctx *c)
{
    return pq_lex(c, &lval->tok, lloc);
}

/* Bison reports itself only when its stack is exhausted (YYMAXDEPTH), which
 * right-recursive input such as "-------x" or "x^x^x^..." can reach. */
static void pq_yyerror(PQ_YYLTYPE *loc, struct pq_ctx *c, const char *msg)
{
    pq_error(c, DIAG_LIMIT, *loc, "expression nesting too deep (parser %s)", msg);
}

}

%union {
    struct pq_tok tok;
    struct ast_node *node;
    struct pq_nodes nodes;
    struct pq_strs strs;
    struct pq_matchers matchers;
    struct ast_matcher matcher;
    struct pq_aggmod aggmod;
    struct pq_binmod binmod;
    double num;
    struct ast_dur *dur;
}

%token <tok> EOF 0 "end of input"
%token <tok> NUMBER DURATION STRING IDENTIFIER METRIC_IDENTIFIER
%token <tok> LEFT_PAREN RIGHT_PAREN LEFT_BRACE RIGHT_BRACE LEFT_BRACKET RIGHT_BRACKET
%token <tok> COMMA COLON EQL AT
%token <tok> ADD SUB MUL DIV MOD POW ATAN2 EQLC NEQ LTE LSS GTE GTR EQL_REGEX NEQ_REGEX
%token <tok> TRIM_UPPER TRIM_LOWER
%token <tok> LAND LOR LUNLESS
%token <tok> SUM AVG COUNT MIN MAX GROUP STDDEV STDVAR TOPK BOTTOMK COUNT_VALUES QUANTILE
%token <tok> LIMITK LIMIT_RATIO
%token <tok> BOOL BY WITHOUT ON IGNORING GROUP_LEFT GROUP_RIGHT OFFSET
%token <tok> ANCHORED SMOOTHED
%token <tok> FILL FILL_LEFT FILL_RIGHT
%token <tok> STEP RANGE MIN_OF MAX_OF

%type <node> expr aggregate_expr binary_expr paren_expr unary_expr matrix_selector subquery_expr
%type <node> offset_expr at_expr number_literal string_literal vector_selector label_matchers function_call
%type <node> extended_expr
%type <dur> duration_expr paren_duration_expr offset_duration_expr offset_chain positive_duration_expr
%type <dur> dur_literal dur_call
%type <nodes> function_call_body function_call_args
%type <strs> grouping_labels grouping_label_list maybe_grouping_labels
%type <tok> grouping_label maybe_label metric_identifier aggregate_op unary_op match_op string_identifier
%type <tok> function_name
%type <matchers> label_match_list
%type <matcher> label_matcher
%type <aggmod> aggregate_modifier
%type <binmod> bool_modifier on_or_ignoring group_modifiers bin_modifier
%type <num> fill_value
%type <num> number signed_number signed_or_unsigned_number

%start start

/* Operators with increasing precedence, as upstream; the postfix modifiers
 * (offset, @, [range]) bind tightest. An empty label list after group_x
 * loses against a following "(", as goyacc's default shift does upstream. */
%precedence OFFSET_CHAIN
%precedence EMPTY_LABELS
%precedence EMPTY_FILL
%precedence FILL FILL_LEFT FILL_RIGHT
%left LOR
%left LAND LUNLESS
%left EQLC GTE GTR LSS LTE NEQ TRIM_UPPER TRIM_LOWER
%left ADD SUB
%left MUL DIV MOD ATAN2
%right POW
%precedence OFFSET AT
%precedence ANCHORED SMOOTHED
%precedence LEFT_BRACKET
%precedence LEFT_PAREN

%%

start:
    expr                { c->root = $1; }
  | %empty              { pq_error(c, DIAG_SYNTAX, (struct span){0, 0}, "no expression found in input"); }
  | error               { pq_unexpected(c, "", ""); }
  ;

expr:
    aggregate_expr
  | binary_expr
  | function_call
  | number_literal
  | string_literal
  | vector_selector
  | paren_expr
  | unary_expr
  | matrix_selector
  | subquery_expr
  | offset_expr
  | at_expr
  | extended_expr
  ;

/* Aggregations. */

aggregate_expr:
    aggregate_op aggregate_modifier function_call_body
        { $$ = pq_build_aggregate(c, &$1, &@1, &$2, &$3, @$, false); }
  | aggregate_op function_call_body aggregate_modifier
        { $$ = pq_build_aggregate(c, &$1, &@1, &$3, &$2, @$, false); }
  | aggregate_op function_call_body
        { struct pq_aggmod none = {0}; $$ = pq_build_aggregate(c, &$1, &@1, &none, &$2, @$, true); }
  | aggregate_op error
        {
            pq_unexpected(c, "aggregation", "");
            $$ = pq_build_number(c, 0, @$, false);
        }
  ;

aggregate_modifier:
    BY grouping_labels       { $$ = (struct pq_aggmod){$2, false, true}; }
  | WITHOUT grouping_labels  { $$ = (struct pq_aggmod){$2, true, true}; }
  ;

aggregate_op:
    SUM | AVG | COUNT | MIN | MAX | GROUP | STDDEV | STDVAR | TOPK | BOTTOMK | COUNT_VALUES
  | QUANTILE | LIMITK | LIMIT_RATIO
  ;

/* Binary expressions: each operator listed on its own for the precedences. */

binary_expr:
    expr ADD     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_ADD, &$3, $4, @$); }
  | expr ATAN2   bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_ATAN2, &$3, $4, @$); }
  | expr DIV     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_DIV, &$3, $4, @$); }
  | expr EQLC    bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_EQLC, &$3, $4, @$); }
  | expr GTE     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_GTE, &$3, $4, @$); }
  | expr GTR     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_GTR, &$3, $4, @$); }
  | expr LAND    bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_LAND, &$3, $4, @$); }
  | expr LOR     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_LOR, &$3, $4, @$); }
  | expr LSS     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_LSS, &$3, $4, @$); }
  | expr LTE     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_LTE, &$3, $4, @$); }
  | expr LUNLESS bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_LUNLESS, &$3, $4, @$); }
  | expr MOD     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_MOD, &$3, $4, @$); }
  | expr MUL     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_MUL, &$3, $4, @$); }
  | expr NEQ     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_NEQ, &$3, $4, @$); }
  | expr POW     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_POW, &$3, $4, @$); }
  | expr SUB     bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_SUB, &$3, $4, @$); }
  | expr TRIM_UPPER bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_TRIM_UPPER, &$3, $4, @$); }
  | expr TRIM_LOWER bin_modifier expr { $$ = pq_build_binary(c, $1, AST_OP_TRIM_LOWER, &$3, $4, @$); }
  ;

bool_modifier:
    %empty  { $$ = pq_build_binmod(c, false); }
  | BOOL    { $$ = pq_build_binmod(c, true); }
  ;

on_or_ignoring:
    bool_modifier IGNORING grouping_labels
        { $$ = $1; pq_build_matching_labels(c, &$$, false, &$3); }
  | bool_modifier ON grouping_labels
        { $$ = $1; pq_build_matching_labels(c, &$$, true, &$3); }
  ;

group_modifiers:
    bool_modifier
  | on_or_ignoring
  | on_or_ignoring GROUP_LEFT maybe_grouping_labels
        { $$ = $1; pq_build_matching_group(c, &$$, AST_CARD_MANY_TO_ONE, &$3); }
  | on_or_ignoring GROUP_RIGHT maybe_grouping_labels
        { $$ = $1; pq_build_matching_group(c, &$$, AST_CARD_ONE_TO_MANY, &$3); }
  ;

/* fill(), fill_left(), fill_right() after the matching modifiers (experimental):
 * the value a missing sample on that side takes. A following fill keyword is
 * always the modifier, never a metric named fill. */
bin_modifier:
    group_modifiers %prec EMPTY_FILL
  | group_modifiers FILL fill_value
        { $$ = $1; pq_build_fill(c, &$$, true, $3, true, $3); }
  | group_modifiers FILL_LEFT fill_value %prec EMPTY_FILL
        { $$ = $1; pq_build_fill(c, &$$, true, $3, false, 0); }
  | group_modifiers FILL_RIGHT fill_value %prec EMPTY_FILL
        { $$ = $1; pq_build_fill(c, &$$, false, 0, true, $3); }
  | group_modifiers FILL_LEFT fill_value FILL_RIGHT fill_value
        { $$ = $1; pq_build_fill(c, &$$, true, $3, true, $5); }
  | group_modifiers FILL_RIGHT fill_value FILL_LEFT fill_value
        { $$ = $1; pq_build_fill(c, &$$, true, $5, true, $3); }
  ;

fill_value:
    LEFT_PAREN number RIGHT_PAREN           { $$ = $2; }
  | LEFT_PAREN unary_op number RIGHT_PAREN  { $$ = $2.s[0] == '-' ? -$3 : $3; }
  ;

grouping_labels:
    LEFT_PAREN grouping_label_list RIGHT_PAREN        { $$ = $2; }
  | LEFT_PAREN grouping_label_list COMMA RIGHT_PAREN  { $$ = $2; }
  | LEFT_PAREN RIGHT_PAREN                            { $$ = (struct pq_strs){0}; }
  | error  { pq_unexpected(c, "grouping opts", "\"(\""); $$ = (struct pq_strs){0}; }
  ;

grouping_label_list:
    grouping_label_list COMMA grouping_label  { $$ = $1; pq_strs_push(c, &$$, $3.s); }
  | grouping_label                            { $$ = (struct pq_strs){0}; pq_strs_push(c, &$$, $1.s); }
  | grouping_label_list error
        { pq_unexpected(c, "grouping opts", "\",\" or \")\""); $$ = $1; }
  ;

grouping_label:
    maybe_label  { $$ = pq_build_grouping_label(c, &$1, @1, false); }
  | STRING       { $$ = pq_build_grouping_label(c, &$1, @1, true); }
  | error        { pq_unexpected(c, "grouping opts", "label"); $$ = (struct pq_tok){"", 0}; }
  ;

maybe_grouping_labels:
    %empty %prec EMPTY_LABELS  { $$ = (struct pq_strs){0}; }
  | grouping_labels
  ;

/* Function calls. */

function_call:
    function_name function_call_body  { $$ = pq_build_call(c, &$1, @1, &$2, @$); }
  ;

/* step, range, min_of and max_of are words of duration expressions, and
 * also name (experimental) functions. */
function_name: IDENTIFIER | STEP | RANGE | MIN_OF | MAX_OF ;

function_call_body:
    LEFT_PAREN function_call_args RIGHT_PAREN  { $$ = $2; }
  | LEFT_PAREN RIGHT_PAREN                     { $$ = (struct pq_nodes){0}; }
  ;

function_call_args:
    function_call_args COMMA expr  { $$ = $1; pq_nodes_push(c, &$$, $3); }
  | expr                           { $$ = (struct pq_nodes){0}; pq_nodes_push(c, &$$, $1); }
  | function_call_args COMMA
        {
            pq_error(c, DIAG_SYNTAX, @2, "trailing commas not allowed in function call args");
            $$ = $1;
        }
  ;

/* Parentheses. */

paren_expr:
    LEFT_PAREN expr RIGHT_PAREN  { $$ = pq_build_paren(c, $2, @$); }
  ;

/* offset and @ modifiers. An offset takes one literal, step(), range(),
 * min_of()/max_of() or -(...), optionally signed, and leaves any following
 * operator to the enclosing expression ("x offset 1m + 2" adds 2), as
 * upstream's offset_duration_expr does; a parenthesis (or a doubled sign)
 * starts a duration expression that takes the operators after it. */

offset_expr:
    expr OFFSET offset_duration_expr  { $$ = pq_build_offset(c, $1, $3, @$); }
  | expr OFFSET error
        { pq_unexpected(c, "offset", "number, duration, step(), or range()"); $$ = $1; }
  ;

offset_duration_expr:
    dur_literal                 { $$ = pq_dur_checked(c, $1); }
  | unary_op dur_literal        { $$ = pq_dur_unary(c, &$1, @1, $2, false); }
  | dur_call
  | unary_op dur_call           { $$ = pq_dur_signed_call(c, &$1, @1, $2); }
  | unary_op LEFT_PAREN duration_expr RIGHT_PAREN %prec MUL
        { $$ = pq_dur_unary(c, &$1, @1, $3, true); }
  | offset_chain %prec OFFSET_CHAIN
  ;

offset_chain:
    paren_duration_expr
  | unary_op unary_op duration_expr %prec MUL
        { $$ = pq_dur_unary(c, &$1, @1, pq_dur_unary(c, &$2, @2, $3, false), false); }
  | offset_chain ADD duration_expr  { $$ = pq_dur_binary(c, AST_DUR_ADD, @2, $1, $3); }
  | offset_chain SUB duration_expr  { $$ = pq_dur_binary(c, AST_DUR_SUB, @2, $1, $3); }
  | offset_chain MUL duration_expr  { $$ = pq_dur_binary(c, AST_DUR_MUL, @2, $1, $3); }
  | offset_chain DIV duration_expr  { $$ = pq_dur_binary(c, AST_DUR_DIV, @2, $1, $3); }
  | offset_chain MOD duration_expr  { $$ = pq_dur_binary(c, AST_DUR_MOD, @2, $1, $3); }
  | offset_chain POW duration_expr  { $$ = pq_dur_binary(c, AST_DUR_POW, @2, $1, $3); }
  ;

at_expr:
    expr AT signed_or_unsigned_number  { $$ = pq_build_at(c, $1, $3, @$); }
  | expr AT IDENTIFIER LEFT_PAREN RIGHT_PAREN
        { $$ = pq_build_at_fn(c, $1, &$3, @3, @$); }
  | expr AT error  { pq_unexpected(c, "@", "timestamp"); $$ = $1; }
  ;

/* anchored and smoothed modifiers (experimental). */

extended_expr:
    expr ANCHORED  { $$ = pq_build_ext(c, $1, AST_EXT_ANCHORED); }
  | expr SMOOTHED  { $$ = pq_build_ext(c, $1, AST_EXT_SMOOTHED); }
  ;

/* Range selectors and subqueries. */

matrix_selector:
    expr LEFT_BRACKET positive_duration_expr RIGHT_BRACKET
        { $$ = pq_build_matrix(c, $1, $3, (struct span){@2.start, @4.end}, @$); }
  ;

subquery_expr:
    expr LEFT_BRACKET positive_duration_expr COLON positive_duration_expr RIGHT_BRACKET
        { $$ = pq_build_subquery(c, $1, $3, $5, @$); }
  | expr LEFT_BRACKET positive_duration_expr COLON RIGHT_BRACKET
        { $$ = pq_build_subquery(c, $1, $3, NULL, @$); }
  | expr LEFT_BRACKET positive_duration_expr COLON positive_duration_expr error
        { pq_unexpected(c, "subquery selector", "\"]\""); $$ = $1; }
  | expr LEFT_BRACKET positive_duration_expr COLON error
        { pq_unexpected(c, "subquery selector", "number, duration, step(), range(), or \"]\""); $$ = $1; }
  | expr LEFT_BRACKET positive_duration_expr error
        { pq_unexpected(c, "subquery or range", "\":\" or \"]\""); $$ = $1; }
  | expr LEFT_BRACKET error
        { pq_unexpected(c, "subquery or range selector", "number, duration, step(), or range()"); $$ = $1; }
  ;

positive_duration_expr:
    duration_expr  { $$ = pq_dur_positive(c, $1); }
  ;

/* Duration expressions: the same operators and precedences as expressions. */
duration_expr:
    dur_literal                        { $$ = pq_dur_checked(c, $1); }
  | unary_op duration_expr %prec MUL   { $$ = pq_dur_unary(c, &$1, @1, $2, false); }
  | duration_expr ADD duration_expr    { $$ = pq_dur_binary(c, AST_DUR_ADD, @2, $1, $3); }
  | duration_expr SUB duration_expr    { $$ = pq_dur_binary(c, AST_DUR_SUB, @2, $1, $3); }
  | duration_expr MUL duration_expr    { $$ = pq_dur_binary(c, AST_DUR_MUL, @2, $1, $3); }
  | duration_expr DIV duration_expr    { $$ = pq_dur_binary(c, AST_DUR_DIV, @2, $1, $3); }
  | duration_expr MOD duration_expr    { $$ = pq_dur_binary(c, AST_DUR_MOD, @2, $1, $3); }
  | duration_expr POW duration_expr    { $$ = pq_dur_binary(c, AST_DUR_POW, @2, $1, $3); }
  | dur_call
  | paren_duration_expr
  ;

paren_duration_expr:
    LEFT_PAREN duration_expr RIGHT_PAREN  { $$ = pq_dur_paren(c, $2, @$); }
  ;

dur_call:
    STEP LEFT_PAREN RIGHT_PAREN   { $$ = pq_dur_call(c, AST_DUR_STEP, @$, NULL, NULL); }
  | RANGE LEFT_PAREN RIGHT_PAREN  { $$ = pq_dur_call(c, AST_DUR_RANGE, @$, NULL, NULL); }
  | MAX_OF LEFT_PAREN duration_expr COMMA duration_expr RIGHT_PAREN
        { $$ = pq_dur_call(c, AST_DUR_MAX_OF, @$, $3, $5); }
  | MIN_OF LEFT_PAREN duration_expr COMMA duration_expr RIGHT_PAREN
        { $$ = pq_dur_call(c, AST_DUR_MIN_OF, @$, $3, $5); }
  ;

dur_literal:
    NUMBER    { $$ = pq_dur_literal(c, &$1, @1, false); }
  | DURATION  { $$ = pq_dur_literal(c, &$1, @1, true); }
  ;

/* Unary expressions bind like multiplication, so -2^2 is -(2^2). */

unary_expr:
    unary_op expr %prec MUL  { $$ = pq_build_unary(c, &$1, $2, @$); }
  ;

unary_op: ADD | SUB ;

/* Vector selectors. */

vector_selector:
    metric_identifier label_matchers  { $$ = pq_build_selector(c, &$1, $2, @$); }
  | metric_identifier                 { $$ = pq_build_selector(c, &$1, NULL, @$); }
  | label_matchers                    { $$ = pq_build_selector(c, NULL, $1, @$); }
  ;

label_matchers:
    LEFT_BRACE label_match_list RIGHT_BRACE        { $$ = pq_build_matchers(c, &$2, @$); }
  | LEFT_BRACE label_match_list COMMA RIGHT_BRACE  { $$ = pq_build_matchers(c, &$2, @$); }
  | LEFT_BRACE RIGHT_BRACE                         { struct pq_matchers none = {0}; $$ = pq_build_matchers(c, &none, @$); }
  ;

label_match_list:
    label_match_list COMMA label_matcher  { $$ = $1; pq_matchers_push(c, &$$, &$3); }
  | label_matcher                         { $$ = (struct pq_matchers){0}; pq_matchers_push(c, &$$, &$1); }
  | label_match_list error
        { pq_unexpected(c, "label matching", "\",\" or \"}\""); $$ = $1; }
  ;

label_matcher:
    IDENTIFIER match_op STRING         { $$ = pq_build_matcher(c, &$1, &$2, &$3, (struct span){@1.start, @3.end}); }
  | string_identifier match_op STRING  { $$ = pq_build_matcher(c, &$1, &$2, &$3, (struct span){@1.start, @3.end}); }
  | string_identifier                  { $$ = pq_build_name_matcher(c, &$1); }
  | string_identifier match_op error
        { pq_unexpected(c, "label matching", "string"); $$ = (struct ast_matcher){0}; }
  | IDENTIFIER match_op error
        { pq_unexpected(c, "label matching", "string"); $$ = (struct ast_matcher){0}; }
  | IDENTIFIER error
        { pq_unexpected(c, "label matching", "label matching operator"); $$ = (struct ast_matcher){0}; }
  | error
        { pq_unexpected(c, "label matching", "identifier or \"}\""); $$ = (struct ast_matcher){0}; }
  ;

match_op: EQL | NEQ | EQL_REGEX | NEQ_REGEX ;

string_identifier: STRING ;

/* Words that may name a metric although the lexer makes keywords of them. */
metric_identifier:
    AVG | BOTTOMK | BY | COUNT | COUNT_VALUES | GROUP | IDENTIFIER | LAND | LOR | LUNLESS | MAX
  | METRIC_IDENTIFIER | MIN | OFFSET | QUANTILE | STDDEV | STDVAR | SUM | TOPK | WITHOUT
  | LIMITK | LIMIT_RATIO | FILL | FILL_LEFT | FILL_RIGHT | STEP | RANGE | MIN_OF | MAX_OF
  | ANCHORED | SMOOTHED
  ;

/* Words that may name a label in by/without/on/ignoring/group_x lists. */
maybe_label:
    AVG | BOOL | BOTTOMK | BY | COUNT | COUNT_VALUES | GROUP | GROUP_LEFT | GROUP_RIGHT
  | IDENTIFIER | IGNORING | LAND | LOR | LUNLESS | MAX | METRIC_IDENTIFIER | MIN | OFFSET | ON
  | QUANTILE | STDDEV | STDVAR | SUM | TOPK | ATAN2 | LIMITK | LIMIT_RATIO
  | FILL | FILL_LEFT | FILL_RIGHT | STEP | RANGE | MIN_OF | MAX_OF
  | ANCHORED | SMOOTHED
  ;

/* Literals. */

number_literal:
    NUMBER    { $$ = pq_build_number_tok(c, &$1, @1, false); }
  | DURATION  { $$ = pq_build_number_tok(c, &$1, @1, true); }
  ;

number:
    NUMBER    { $$ = pq_number_value(c, &$1, @1, false); }
  | DURATION  { $$ = pq_number_value(c, &$1, @1, true); }
  ;

signed_number:
    ADD number  { $$ = $2; }
  | SUB number  { $$ = -$2; }
  ;

signed_or_unsigned_number: number | signed_number ;

string_literal:
    STRING  { $$ = pq_build_string(c, &$1, @$); }
  ;

%%

/* Syntax errors are worded by the `error` rules above, as in Prometheus;
 * there is nothing to add when bison detects one. */
static int yyreport_syntax_error(const yypcontext_t *ctx, struct pq_ctx *c)
{
    (void)ctx;
    (void)c;
    return 0;
}
