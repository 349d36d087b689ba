/* linsys_tests.c: unit tests of the sparse LDL' layer (plain C, no framework).
 * Prints "N passed, N failed" at the end; exit status 1 if anything failed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linsys.h"

#define CHECK_DEFINE_GLOBALS
#include "../../testing/check.h"

/* The quasi-definite KKT matrix of order 5
 *     [ 4 1 0 | 1 0 ]
 *     [ 1 3 0 | 1 1 ]
 *     [ 0 0 2 | 0 1 ]
 *     [ 1 1 0 |-1 0 ]
 *     [ 0 1 1 | 0 -1]
 * as its upper triangle and as its full pattern. */
enum { N5 = 5 };
static const int Up[N5 + 1] = {0, 1, 3, 4, 7, 10};
static const int Ui[10] = {0, 0, 1, 2, 0, 1, 3, 1, 2, 4};
static const double Ux[10] = {4, 1, 3, 2, 1, 1, -1, 1, 1, -1};
static const int Fp[N5 + 1] = {0, 3, 7, 9, 12, 15};
static const int Fi[15] = {0, 1, 3, 0, 1, 3, 4, 2, 4, 0, 1, 3, 1, 2, 4};
static const double Fx[15] = {4, 1, 1, 1, 3, 1, 1, 2, 1, 1, 1, -1, 1, 1, -1};

static double max_diff(const double *a, const double *b, int n) {
    double r = 0;
    for (int i = 0; i < n; i++) r = fmax(r, fabs(a[i] - b[i]));
    return r;
}

static void test_upper_and_full_agree(void) {
    LinsysLdl *u = NULL, *f = NULL;
    const double b[N5] = {1, -2, 3, 0.5, -1};
    double xu[N5], xf[N5], yu[N5], yf[N5], w[N5];
    CHECK(linsys_ldl_analyze(&u, N5, Up, Ui) == LINSYS_OK, "analyze (upper)");
    CHECK(linsys_ldl_analyze_ex(&f, N5, Fp, Fi, LINSYS_PATTERN_FULL) == LINSYS_OK, "analyze_full");
    if (!u || !f) goto done;
    CHECK(linsys_ldl_factor(u, Ux) == LINSYS_OK, "factor (upper)");
    CHECK(linsys_ldl_factor(f, Fx) == LINSYS_OK, "factor (full)");
    CHECK(linsys_ldl_positive_pivots(f) == 3, "inertia: %d positive pivots, expected 3", linsys_ldl_positive_pivots(f));
    CHECK(linsys_ldl_zero_pivot(f) == -1 && linsys_ldl_nonfinite_pivots(f) == 0, "clean factorisation");
    CHECK(linsys_ldl_solve_refined(u, Ux, b, xu, 2) < 1e-14, "upper: residual");
    CHECK(linsys_ldl_solve_refined(f, Fx, b, xf, 2) < 1e-14, "full: residual");
    CHECK(max_diff(xu, xf, N5) < 1e-14, "solutions differ by %g", max_diff(xu, xf, N5));
    /* K x through either pattern */
    linsys_sym_multiply(u, Ux, xu, yu);
    linsys_sym_multiply(f, Fx, xu, yf);
    CHECK(max_diff(yu, yf, N5) < 1e-14, "multiply: upper and full differ by %g", max_diff(yu, yf, N5));
    CHECK(max_diff(yu, b, N5) < 1e-13, "multiply: K x != b");
    /* the caller's-workspace solve is the object's solve */
    memcpy(xu, b, sizeof b);
    memcpy(xf, b, sizeof b);
    linsys_ldl_solve(f, xu);
    linsys_ldl_solve_work(f, xf, w);
    CHECK(memcmp(xu, xf, sizeof xu) == 0, "solve_work differs from solve");
done:
    linsys_ldl_free(u);
    linsys_ldl_free(f);
}

static void test_analyze_flags(void) {
    const double b[N5] = {1, -2, 3, 0.5, -1};
    const int flags[4] = {LINSYS_ROWS_SORTED, LINSYS_ROWS_SORTED | LINSYS_PATTERN_FULL, 0, LINSYS_PATTERN_FULL | LINSYS_ORDER_NATURAL};
    double x0[N5], x[N5];
    LinsysLdl *s = NULL;
    CHECK(linsys_ldl_analyze(&s, N5, Up, Ui) == LINSYS_OK && linsys_ldl_factor(s, Ux) == LINSYS_OK, "reference");
    if (!s) return;
    linsys_ldl_solve_refined(s, Ux, b, x0, 2);
    linsys_ldl_free(s);
    for (int t = 0; t < 4; t++) {
        const int full = (flags[t] & LINSYS_PATTERN_FULL) != 0;
        s = NULL;
        CHECK(linsys_ldl_analyze_ex(&s, N5, full ? Fp : Up, full ? Fi : Ui, flags[t]) == LINSYS_OK, "flags %d: analyze", flags[t]);
        if (!s) continue;
        CHECK(linsys_ldl_factor(s, full ? Fx : Ux) == LINSYS_OK && linsys_ldl_positive_pivots(s) == 3, "flags %d: factor", flags[t]);
        CHECK(linsys_ldl_solve_refined(s, full ? Fx : Ux, b, x, 2) < 1e-14, "flags %d: residual", flags[t]);
        CHECK(max_diff(x, x0, N5) < 1e-14, "flags %d: solution differs by %g", flags[t], max_diff(x, x0, N5));
        linsys_ldl_free(s);
    }
    s = (LinsysLdl *)1;
    CHECK(linsys_ldl_analyze_ex(&s, N5, Up, Ui, 8) == LINSYS_ERR_INVALID && s == NULL, "unknown flag accepted");
}

static void test_full_pattern_checked(void) {
    LinsysLdl *s = (LinsysLdl *)1;
    /* (0, 1) without its mirror (1, 0) */
    const int Ap[3] = {0, 1, 3}, Ai[3] = {0, 0, 1};
    CHECK(linsys_ldl_analyze_ex(&s, 2, Ap, Ai, LINSYS_PATTERN_FULL) == LINSYS_ERR_INVALID && s == NULL, "asymmetric pattern accepted");
    /* unsorted column */
    const int Bp[3] = {0, 2, 4}, Bi[4] = {1, 0, 0, 1};
    CHECK(linsys_ldl_analyze_ex(&s, 2, Bp, Bi, LINSYS_PATTERN_FULL) == LINSYS_ERR_INVALID, "unsorted pattern accepted");
    /* the full pattern is not an upper one */
    CHECK(linsys_ldl_analyze(&s, N5, Fp, Fi) == LINSYS_ERR_INVALID, "analyze took a full pattern");
    /* order 0 */
    const int Zp[1] = {0};
    CHECK(linsys_ldl_analyze_ex(&s, 0, Zp, NULL, LINSYS_PATTERN_FULL) == LINSYS_OK && s, "order 0");
    if (s) CHECK(linsys_ldl_factor(s, NULL) == LINSYS_OK, "order 0: factor");
    linsys_ldl_free(s);
}

static void test_pivot_queries(void) {
    /* diag(1, 2, 0, 3): the zero pivot is original column 2 whatever AMD does */
    const int Dp[5] = {0, 1, 2, 3, 4}, Di[4] = {0, 1, 2, 3};
    const double Dx[4] = {1, 2, 0, 3}, Dnan[4] = {1, NAN, 5, 3};
    LinsysLdl *s = NULL;
    CHECK(linsys_ldl_analyze_ex(&s, 4, Dp, Di, LINSYS_PATTERN_FULL) == LINSYS_OK, "analyze");
    if (!s) return;
    CHECK(linsys_ldl_factor(s, Dx) == LINSYS_ERR_ZERO_PIVOT, "zero pivot not reported");
    CHECK(linsys_ldl_zero_pivot(s) == 2, "zero pivot at %d, expected 2", linsys_ldl_zero_pivot(s));
    CHECK(linsys_ldl_factor(s, Dnan) == LINSYS_OK, "a NaN is not a zero pivot");
    CHECK(linsys_ldl_zero_pivot(s) == -1, "zero pivot after a clean factorisation");
    CHECK(linsys_ldl_nonfinite_pivots(s) == 1, "%d non-finite pivots, expected 1", linsys_ldl_nonfinite_pivots(s));
    CHECK(linsys_ldl_factor_flops(s) == 0 && linsys_ldl_solve_flops(s) == 4, "flops of a diagonal: %g, %g", linsys_ldl_factor_flops(s),
          linsys_ldl_solve_flops(s));
    linsys_ldl_free(s);
}

/* The held-values path: K written straight into C by the map (value_index and
 * map_pattern agree), factorised in place, the pattern dropped; it must factor to the
 * bits of linsys_ldl_factor, keep the pivot queries, and refine against values changed
 * after the factorisation (here the (5,5) entry -1 -> -1.25) to that matrix's solution,
 * checked by multiplying with the dense values outside linsys. */
static void test_held_values(void) {
    const double b[N5] = {1, -2, 3, 0.5, -1};
    LinsysLdl *ref = NULL, *s = NULL;
    int map[10], map2[10];
    double x0[N5], x[N5];
    CHECK(linsys_ldl_analyze(&ref, N5, Up, Ui) == LINSYS_OK && linsys_ldl_factor(ref, Ux) == LINSYS_OK, "reference");
    CHECK(linsys_ldl_analyze(&s, N5, Up, Ui) == LINSYS_OK, "analyze");
    if (!ref || !s) goto done;
    linsys_ldl_solve_refined(ref, Ux, b, x0, 0);
    CHECK(linsys_ldl_map_pattern(s, Up, Ui, map) == LINSYS_OK, "map_pattern");
    for (int p = 0; p < 10; p++)
        CHECK(map[p] == linsys_ldl_value_index(s, p), "entry %d: map %d, value_index %d", p, map[p], linsys_ldl_value_index(s, p));
    double *Cx = linsys_ldl_values(s);
    for (int p = 0; p < 10; p++) Cx[map[p]] = 99; /* the diagonal comes from set_diagonal */
    for (int j = 0; j < N5; j++)
        for (int p = Up[j]; p < Up[j + 1]; p++)
            if (Ui[p] != j) Cx[map[p]] = Ux[p];
    const double diag[N5] = {4, 3, 2, -1, -1};
    CHECK(linsys_ldl_set_diagonal(s, diag) == LINSYS_OK, "set_diagonal");
    linsys_ldl_drop_pattern(s);
    CHECK(linsys_ldl_value_index(s, 0) == -1, "value_index after the pattern is dropped");
    CHECK(linsys_ldl_map_pattern(s, Up, Ui, map2) == LINSYS_OK && memcmp(map, map2, sizeof map) == 0, "map_pattern after the drop");
    CHECK(linsys_ldl_factor_held(s) == LINSYS_OK && linsys_ldl_positive_pivots(s) == 3, "factor_held");
    for (int i = 0; i < N5; i++)
        CHECK(linsys_ldl_pivot_of(s, i) == linsys_ldl_pivot_of(ref, i), "pivot of %d: %g, reference %g", i, linsys_ldl_pivot_of(s, i),
              linsys_ldl_pivot_of(ref, i));
    memcpy(x, b, sizeof b);
    linsys_ldl_solve_refined_held(s, x, 0, 0);
    CHECK(memcmp(x, x0, sizeof x) == 0, "held solve differs from linsys_ldl_solve by %g", max_diff(x, x0, N5));
    /* refine towards K with K_55 = -1.25 (the factorisation keeps -1) */
    const double diag2[N5] = {4, 3, 2, -1, -1.25};
    linsys_ldl_set_diagonal(s, diag2);
    memcpy(x, b, sizeof b);
    const double res = linsys_ldl_solve_refined_held(s, x, 30, 1e-15);
    const double K[N5][N5] = {{4, 1, 0, 1, 0}, {1, 3, 0, 1, 1}, {0, 0, 2, 0, 1}, {1, 1, 0, -1, 0}, {0, 1, 1, 0, -1.25}};
    double worst = 0;
    for (int i = 0; i < N5; i++) {
        double r = b[i];
        for (int j = 0; j < N5; j++) r -= K[i][j] * x[j];
        worst = fmax(worst, fabs(r));
    }
    CHECK(worst < 1e-12 && res < 1e-12, "refined towards the changed values: residual %g (reported %g)", worst, res);
    CHECK(max_diff(x, x0, N5) > 1e-3, "the refinement did not move the solution");
done:
    linsys_ldl_free(ref);
    linsys_ldl_free(s);
}

int main(void) {
    struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"upper_and_full_agree", test_upper_and_full_agree},
        {"analyze_flags", test_analyze_flags},
        {"full_pattern_checked", test_full_pattern_checked},
        {"pivot_queries", test_pivot_queries},
        {"held_values", test_held_values},
    };
    int passed = 0, failed = 0;
    for (size_t t = 0; t < sizeof tests / sizeof tests[0]; t++) {
        const int before = g_failed_checks;
        g_test = tests[t].name;
        tests[t].fn();
        if (g_failed_checks == before) {
            passed++;
        } else {
            failed++;
            printf("FAILED %s\n", tests[t].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
