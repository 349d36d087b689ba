/* admm_test_util.h: what every admm test file shares (see admm_test_util.c) and the
 * test functions main() runs (admm_tests.c). */
#ifndef DIFFQP_ADMM_TEST_UTIL_H
#define DIFFQP_ADMM_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../testing/check.h"
#include "admm.h"

typedef struct {
    int n, m;
    double *P, *A; /* dense, row-major: n*n, m*n */
    double *q, *l, *u, *lb, *ub;
    int *Pp, *Pi, *Ap, *Ai;
    double *Px, *Ax;
    int has_lb, has_ub;
} Qp;

double *dup(const double *v, int n);
void dense_to_csc(int rows, int cols, const double *M, int lower, int **Mp, int **Mi, double **Mx);
Qp qp_make(int n, int m, const double *P, const double *q, const double *A, const double *l, const double *u,
           const double *lb, const double *ub);
void qp_free(Qp *p);
AdmmProblem qp_view(const Qp *p);
void measures(const Qp *p, const double *x, const double *y, const double *z, double *rp, double *rd, double *rg);
double objective(const Qp *p, const double *x);
double urand(void);
double nrand(void);
Qp random_qp(int n, int m, double dens, double reg, int with_bounds);
AdmmWorkspace *solve_qp(const Qp *p, const AdmmSettings *s);
void expect_solution(const Qp *p, AdmmWorkspace *w, const double *xs, const double *ys, const double *zs, double tol_x,
                     double tol_res);
void run_known(const Qp *p, const double *xs, const double *ys, const double *zs);

/* test_solutions.c */
void test_equality(void);
void test_ranges(void);
void test_bounds_only(void);
void test_mixed_free(void);
void test_huge_bounds_are_infinite(void);
void test_lp(void);
void test_lp_no_P_pointer(void);
void test_singular_P(void);
void test_unconstrained(void);
void test_dependent_equalities(void);
void test_gap_termination(void);
void test_larger_sparse(void);
/* test_infeasibility.c */
void test_primal_infeasible(void);
void test_primal_infeasible_rows(void);
void test_dual_infeasible(void);
void test_dual_infeasible_lp(void);
/* test_polish.c */
void test_polish_random(void);
void test_polish_tight_tolerance(void);
void test_polish_after_max_iter(void);
/* test_updates.c */
void test_warm_start(void);
void test_update_bounds(void);
void test_settings_variants(void);
/* test_limits.c */
void test_limits_and_cancel(void);
void test_solve_callback(void);
void test_setup_stops(void);
void test_loop(void);
/* test_errors.c */
void test_null_views(void);
void test_errors(void);

#endif
