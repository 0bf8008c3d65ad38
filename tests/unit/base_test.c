/* Unit tests of base/: arena, strbuf, diag. */
#include <stdint.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "tests/t.h"

static int cleanup_calls;
static void count_cleanup(void *p)
{
    (void)p;
    cleanup_calls++;
}

static void test_arena_alloc_and_reset(void)
{
    struct arena a;
    arena_init(&a, 128);
    char *s = arena_strdup(&a, "hello");
    T_EQ_STR(s, "hello");
    T_CHECK(((uintptr_t)arena_alloc(&a, 3) & 15) == 0);
    struct arena_mark m = arena_mark(&a);
    cleanup_calls = 0;
    arena_on_release(&a, count_cleanup, NULL);
    for (int i = 0; i < 100; i++)
        arena_alloc(&a, 100); /* forces new chunks */
    char *big = arena_alloc(&a, 10000);
    big[9999] = 'x';
    arena_reset(&a, m);
    T_EQ_INT(cleanup_calls, 1);
    T_EQ_STR(s, "hello"); /* allocations before the mark survive */
    T_EQ_STR(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    arena_on_release(&a, count_cleanup, NULL);
    arena_release(&a);
    T_EQ_INT(cleanup_calls, 2);
}

static void test_strbuf(void)
{
    struct strbuf sb = STRBUF_INIT;
    T_EQ_STR(sb.buf, "");
    strbuf_addstr(&sb, "ab");
    strbuf_addch(&sb, 'c');
    strbuf_addf(&sb, "%05d", 7);
    T_EQ_STR(sb.buf, "abc00007");
    for (int i = 0; i < 1000; i++)
        strbuf_addf(&sb, "%d,", i);
    T_CHECK(sb.len > 2000);
    strbuf_setlen(&sb, 3);
    T_EQ_STR(sb.buf, "abc");
    char *d = strbuf_detach(&sb);
    T_EQ_STR(d, "abc");
    T_EQ_STR(sb.buf, "");
    free(d);
    strbuf_release(&sb);
}

static void test_diag_render(void)
{
    const char *src = "groups:\n  - name: x\n    bad: 1\n";
    struct diag_list dl;
    diag_list_init(&dl);
    diag_add(&dl, DIAG_SEMANTIC, (struct span){24, 27}, "r.yml", "field %s not found", "bad");
    T_EQ_INT(dl.len, 1);
    int line, col;
    diag_line_col(src, strlen(src), 24, &line, &col);
    T_EQ_INT(line, 3);
    T_EQ_INT(col, 5);
    struct strbuf out = STRBUF_INIT;
    diag_render(&out, &dl.items[0], src, strlen(src), 1);
    T_EQ_STR(out.buf, "r.yml:3:5: field bad not found\n      bad: 1\n      ^\n");
    strbuf_release(&out);
    dl.max = 1;
    diag_add(&dl, DIAG_SEMANTIC, (struct span){0, 0}, NULL, "dropped");
    T_EQ_INT(dl.dropped, 1);
    diag_list_release(&dl);
}

int main(void)
{
    t_run("arena alloc and reset", test_arena_alloc_and_reset);
    t_run("strbuf", test_strbuf);
    t_run("diag render", test_diag_render);
    return t_done();
}
