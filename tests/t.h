/* t.h: the unit-test harness. A test is a function; checks inside it record
 * failures with file:line; t_run() prints "# case i: name" and the verdict;
 * t_done() prints the closing "N passed, N failed" line and gives the exit code.
 *
 *   static void test_x(void) { T_CHECK(1 + 1 == 2); T_EQ_STR(a, "b"); }
 *   int main(void) { t_run("x", test_x); return t_done(); }
 */
#ifndef HEED_TESTS_T_H
#define HEED_TESTS_T_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_passed_, t_failed_, t_case_, t_case_failed_;

#define T_FAIL_(...)                                                 \
    do {                                                             \
        t_case_failed_ = 1;                                          \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);            \
        fprintf(stderr, __VA_ARGS__);                                \
        fputc('\n', stderr);                                         \
    } while (0)

#define T_CHECK(cond)                                                \
    do {                                                             \
        if (!(cond))                                                 \
            T_FAIL_("check failed: %s", #cond);                      \
    } while (0)

#define T_EQ_INT(got, want)                                          \
    do {                                                             \
        long long g_ = (long long)(got), w_ = (long long)(want);     \
        if (g_ != w_)                                                \
            T_FAIL_("%s: got %lld, want %lld", #got, g_, w_);        \
    } while (0)

#define T_EQ_STR(got, want)                                          \
    do {                                                             \
        const char *g_ = (got), *w_ = (want);                        \
        if (!g_ || !w_ || strcmp(g_, w_) != 0)                       \
            T_FAIL_("%s:\n    got:  %s\n    want: %s", #got,         \
                    g_ ? g_ : "(null)", w_ ? w_ : "(null)");         \
    } while (0)

/* Floats equal within a relative tolerance; NaN equals NaN. */
#define T_EQ_FLOAT(got, want, tol)                                   \
    do {                                                             \
        double g_ = (got), w_ = (want);                              \
        int ok_ = (isnan(g_) && isnan(w_)) || g_ == w_ ||            \
                  fabs(g_ - w_) <= (tol) * fmax(fabs(g_), fabs(w_)); \
        if (!ok_)                                                    \
            T_FAIL_("%s: got %.17g, want %.17g", #got, g_, w_);      \
    } while (0)

static inline void t_run(const char *name, void (*fn)(void))
{
    t_case_failed_ = 0;
    printf("# case %d: %s\n", ++t_case_, name);
    fflush(stdout);
    fn();
    if (t_case_failed_) {
        t_failed_++;
        printf("not ok %d: %s\n", t_case_, name);
    } else {
        t_passed_++;
    }
    fflush(stdout);
}

static inline int t_done(void)
{
    printf("%d passed, %d failed\n", t_passed_, t_failed_);
    return t_failed_ ? 1 : 0;
}

#endif
