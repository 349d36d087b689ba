/* admm_tests.c: unit tests of the ADMM solver core (plain C, no framework).
 * Prints "N passed, N failed" at the end; exit status 1 if anything failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admm.h"

/* ------------------------------------------------------------------------- */
/* Tiny harness                                                               */
/* ------------------------------------------------------------------------- */
#include "../../testing/check.h"

/* ------------------------------------------------------------------------- */
/* Test problems from dense data                                              */
/* ------------------------------------------------------------------------- */
typedef struct {
    int n, m;
    double *P, *A;             /* dense, row-major: n*n, m*n */
    double *q, *l, *u, *lb, *ub;
    int *Pp, *Pi, *Ap, *Ai;
    double *Px, *Ax;
    int has_lb, has_ub;
} Qp;

static double *dup(const double *v, int n)
{
    double *r = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (v && n > 0) memcpy(r, v, (size_t)n * sizeof(double));
    return r;
}

/* dense row-major rows-by-cols -> CSC (lower triangle only if lower) */
static void dense_to_csc(int rows, int cols, const double *M, int lower, int **Mp, int **Mi, double **Mx)
{
    int nnz = 0, i, j, k = 0;
    for (i = 0; i < rows; i++)
        for (j = 0; j < cols; j++)
            if (M[i * cols + j] != 0.0 && (!lower || i >= j)) nnz++;
    *Mp = (int *)malloc((size_t)(cols + 1) * sizeof(int));
    *Mi = (int *)malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(int));
    *Mx = (double *)malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(double));
    for (j = 0; j < cols; j++) {
        (*Mp)[j] = k;
        for (i = 0; i < rows; i++) {
            double v = M[i * cols + j];
            if (v != 0.0 && (!lower || i >= j)) { (*Mi)[k] = i; (*Mx)[k] = v; k++; }
        }
    }
    (*Mp)[cols] = k;
}

static Qp qp_make(int n, int m, const double *P, const double *q, const double *A, const double *l,
                  const double *u, const double *lb, const double *ub)
{
    Qp p;
    memset(&p, 0, sizeof(p));
    p.n = n; p.m = m;
    p.P = dup(P, n * n);
    if (!P) memset(p.P, 0, (size_t)n * n * sizeof(double));
    p.A = dup(A, m * n);
    p.q = dup(q, n);
    p.l = dup(l, m);
    p.u = dup(u, m);
    p.has_lb = lb != NULL; p.has_ub = ub != NULL;
    p.lb = dup(lb, n);
    p.ub = dup(ub, n);
    if (!lb) { int j; for (j = 0; j < n; j++) p.lb[j] = -INFINITY; }
    if (!ub) { int j; for (j = 0; j < n; j++) p.ub[j] = INFINITY; }
    dense_to_csc(n, n, p.P, 1, &p.Pp, &p.Pi, &p.Px);
    if (m > 0) dense_to_csc(m, n, p.A, 0, &p.Ap, &p.Ai, &p.Ax);
    else dense_to_csc(0, n, p.A, 0, &p.Ap, &p.Ai, &p.Ax);
    return p;
}

static void qp_free(Qp *p)
{
    free(p->P); free(p->A); free(p->q); free(p->l); free(p->u); free(p->lb); free(p->ub);
    free(p->Pp); free(p->Pi); free(p->Px); free(p->Ap); free(p->Ai); free(p->Ax);
}

static AdmmProblem qp_view(const Qp *p)
{
    AdmmProblem pr;
    pr.n = p->n; pr.m = p->m;
    pr.Pp = p->Pp; pr.Pi = p->Pi; pr.Px = p->Px; pr.q = p->q;
    pr.Ap = p->Ap; pr.Ai = p->Ai; pr.Ax = p->Ax;
    pr.l = p->l; pr.u = p->u;
    pr.lb = p->has_lb ? p->lb : NULL;
    pr.ub = p->has_ub ? p->ub : NULL;
    return pr;
}

/* docs/METHODS.md §3 measures computed from the dense original data. */
static void measures(const Qp *p, const double *x, const double *y, const double *z, double *rp, double *rd,
                     double *rg)
{
    int n = p->n, m = p->m, i, j;
    double P = 0, D = 0, G = 0;
    for (i = 0; i < m; i++) {
        double ax = 0;
        for (j = 0; j < n; j++) ax += p->A[i * n + j] * x[j];
        if (ax - p->u[i] > P) P = ax - p->u[i];
        if (p->l[i] - ax > P) P = p->l[i] - ax;
        if (y[i] > 0) G += p->u[i] * y[i];
        else if (y[i] < 0) G += p->l[i] * y[i];
    }
    for (j = 0; j < n; j++) {
        double r = p->q[j] + z[j];
        double px = 0;
        if (x[j] - p->ub[j] > P) P = x[j] - p->ub[j];
        if (p->lb[j] - x[j] > P) P = p->lb[j] - x[j];
        for (i = 0; i < n; i++) px += p->P[j * n + i] * x[i];
        r += px;
        for (i = 0; i < m; i++) r += p->A[i * n + j] * y[i];
        if (fabs(r) > D) D = fabs(r);
        G += x[j] * px + p->q[j] * x[j];
        if (z[j] > 0) G += p->ub[j] * z[j];
        else if (z[j] < 0) G += p->lb[j] * z[j];
    }
    *rp = P; *rd = D; *rg = fabs(G);
}

static double objective(const Qp *p, const double *x)
{
    int n = p->n, i, j;
    double s = 0;
    for (i = 0; i < n; i++) {
        double px = 0;
        for (j = 0; j < n; j++) px += p->P[i * n + j] * x[j];
        s += 0.5 * x[i] * px + p->q[i] * x[i];
    }
    return s;
}

static unsigned long long g_rng = 88172645463325252ULL;
static double urand(void) /* uniform in [0, 1) */
{
    g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}
static double nrand(void)
{
    double a = urand() + 1e-300, b = urand();
    return sqrt(-2 * log(a)) * cos(6.283185307179586 * b);
}

/* A random feasible QP: P = M'M + reg I (dense-ish lower), A sparse with
 * density dens, l/u around A x0 for a random x0 (some equalities, some one-sided,
 * some free), bounds on a subset of variables. */
static Qp random_qp(int n, int m, double dens, double reg, int with_bounds)
{
    double *P = (double *)calloc((size_t)n * n, sizeof(double));
    double *A = (double *)calloc((size_t)(m > 0 ? m : 1) * n, sizeof(double));
    double *q = (double *)malloc((size_t)n * sizeof(double));
    double *l = (double *)malloc((size_t)(m > 0 ? m : 1) * sizeof(double));
    double *u = (double *)malloc((size_t)(m > 0 ? m : 1) * sizeof(double));
    double *lb = (double *)malloc((size_t)n * sizeof(double));
    double *ub = (double *)malloc((size_t)n * sizeof(double));
    double *x0 = (double *)malloc((size_t)n * sizeof(double));
    int i, j, k, r = n / 2 + 1;
    double *M = (double *)calloc((size_t)r * n, sizeof(double));
    Qp p;
    for (k = 0; k < r; k++)
        for (j = 0; j < n; j++)
            if (urand() < (dens * 2 < 1 ? dens * 2 : 1)) M[k * n + j] = nrand();
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            double s = 0;
            for (k = 0; k < r; k++) s += M[k * n + i] * M[k * n + j];
            P[i * n + j] = s + (i == j ? reg : 0.0);
        }
    for (j = 0; j < n; j++) { q[j] = nrand(); x0[j] = nrand(); }
    for (i = 0; i < m; i++) {
        double ax = 0;
        int any = 0;
        for (j = 0; j < n; j++)
            if (urand() < dens) { A[i * n + j] = nrand(); any = 1; }
        if (!any) A[i * n + (i % n)] = 1.0;
        for (j = 0; j < n; j++) ax += A[i * n + j] * x0[j];
        {
            double t = urand();
            if (t < 0.15) { l[i] = u[i] = ax; }
            else if (t < 0.45) { l[i] = -INFINITY; u[i] = ax + urand(); }
            else if (t < 0.75) { l[i] = ax - urand(); u[i] = INFINITY; }
            else if (t < 0.95) { l[i] = ax - urand(); u[i] = ax + urand(); }
            else { l[i] = -INFINITY; u[i] = INFINITY; }
        }
    }
    for (j = 0; j < n; j++) {
        double t = urand();
        lb[j] = -INFINITY; ub[j] = INFINITY;
        if (!with_bounds) continue;
        if (t < 0.3) { lb[j] = x0[j] - urand(); ub[j] = x0[j] + urand(); }
        else if (t < 0.5) lb[j] = x0[j] - 0.1;
        else if (t < 0.6) ub[j] = x0[j] + 0.1;
    }
    p = qp_make(n, m, P, q, A, l, u, with_bounds ? lb : NULL, with_bounds ? ub : NULL);
    free(P); free(A); free(q); free(l); free(u); free(lb); free(ub); free(x0); free(M);
    return p;
}

/* Solve, return workspace (caller cleans up); NULL on setup failure */
static AdmmWorkspace *solve_qp(const Qp *p, const AdmmSettings *s)
{
    AdmmWorkspace *w = NULL;
    AdmmProblem pr = qp_view(p);
    int err = admm_setup(&w, &pr, s);
    CHECK(err == ADMM_OK, "setup returned %d (%s)", err, admm_error_message(err));
    if (err) return NULL;
    err = admm_solve(w, NULL);
    CHECK(err == ADMM_OK, "solve returned %d", err);
    return w;
}

/* Check status solved, KKT residuals within tol and x against expected (if given). */
static void expect_solution(const Qp *p, AdmmWorkspace *w, const double *xs, const double *ys, const double *zs,
                            double tol_x, double tol_res)
{
    const AdmmInfo *info = admm_info(w);
    const double *x = admm_x(w), *y = admm_y(w), *z = admm_z(w);
    double rp, rd, rg;
    double zero[1] = {0};
    int j;
    CHECK(info->status == ADMM_SOLVED, "status %s", admm_status_message(info->status));
    if (info->status != ADMM_SOLVED) return;
    measures(p, x, p->m > 0 ? y : zero, z, &rp, &rd, &rg);
    CHECK(rp <= tol_res, "primal residual %.3e > %.1e", rp, tol_res);
    CHECK(rd <= tol_res, "dual residual (P x + q + A'y + z) %.3e > %.1e", rd, tol_res);
    CHECK(rg <= tol_res * 10, "gap %.3e > %.1e", rg, tol_res * 10);
    /* the solver's own measures agree with ours */
    CHECK(fabs(info->prim_res - rp) <= 1e-9 + 1e-6 * rp, "info.prim_res %.3e vs %.3e", info->prim_res, rp);
    CHECK(fabs(info->dual_res - rd) <= 1e-9 + 1e-6 * rd, "info.dual_res %.3e vs %.3e", info->dual_res, rd);
    CHECK(fabs(info->obj_val - objective(p, x)) <= 1e-9 * (1 + fabs(info->obj_val)), "obj_val %.12g vs %.12g",
          info->obj_val, objective(p, x));
    for (j = 0; xs && j < p->n; j++) CHECK_NEAR(x[j], xs[j], tol_x, "x");
    for (j = 0; ys && j < p->m; j++) CHECK_NEAR(y[j], ys[j], tol_x, "y");
    for (j = 0; zs && j < p->n; j++) CHECK_NEAR(z[j], zs[j], tol_x, "z");
}

/* run one small known problem with polish off (loose) and on (tight) */
static void run_known(const Qp *p, const double *xs, const double *ys, const double *zs)
{
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    w = solve_qp(p, &s);
    if (w) {
        expect_solution(p, w, xs, ys, zs, 2e-2, 2e-2);
        admm_cleanup(w);
    }
    s.polish = 1;
    w = solve_qp(p, &s);
    if (w) {
        expect_solution(p, w, xs, ys, zs, 1e-7, 1e-8);
        CHECK(admm_info(w)->polish_status == 1, "polish_status %d", admm_info(w)->polish_status);
        admm_cleanup(w);
    }
}

/* ------------------------------------------------------------------------- */
/* Tests                                                                      */
/* ------------------------------------------------------------------------- */
static void test_equality(void)
{
    /* min 1/2 |x|^2 s.t. x1 + x2 = 1  ->  x = (.5, .5), y = -.5 */
    double P[] = {1, 0, 0, 1}, q[] = {0, 0}, A[] = {1, 1}, l[] = {1}, u[] = {1};
    double xs[] = {0.5, 0.5}, ys[] = {-0.5}, zs[] = {0, 0};
    Qp p = qp_make(2, 1, P, q, A, l, u, NULL, NULL);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

static void test_ranges(void)
{
    /* min 1/2|x|^2 - 3x1 - x2 s.t. 0 <= x1 + x2 <= 2, -1 <= x1 - x2 <= 1
     * -> x = (1.5, .5), y = (1, .5), both upper-active, obj = -3.75 */
    double P[] = {1, 0, 0, 1}, q[] = {-3, -1}, A[] = {1, 1, 1, -1}, l[] = {0, -1}, u[] = {2, 1};
    double xs[] = {1.5, 0.5}, ys[] = {1, 0.5}, zs[] = {0, 0};
    Qp p = qp_make(2, 2, P, q, A, l, u, NULL, NULL);
    AdmmWorkspace *w;
    AdmmSettings s;
    run_known(&p, xs, ys, zs);
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK_NEAR(admm_info(w)->obj_val, -3.75, 1e-8, "obj");
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_bounds_only(void)
{
    /* min 1/2|x|^2 - 2x1 + x2, 0 <= x <= 1, no rows -> x = (1, 0), z = (1, -1) */
    double P[] = {1, 0, 0, 1}, q[] = {-2, 1}, lb[] = {0, 0}, ub[] = {1, 1};
    double xs[] = {1, 0}, zs[] = {1, -1};
    Qp p = qp_make(2, 0, P, q, NULL, NULL, NULL, lb, ub);
    run_known(&p, xs, NULL, zs);
    qp_free(&p);
}

static void test_mixed_free(void)
{
    /* min x0^2 + x1^2 + x2^2 - 4x0 + 2x1 - 2x2
     *   s.t. x2 <= 0.5 (row 0), x0 + x1 free row (row 1), x0 <= 1, x1 >= 0, x2 free
     * -> x = (1, 0, .5), y = (1, 0), z = (2, -2, 0), obj = -3.75 */
    double P[] = {2, 0, 0, 0, 2, 0, 0, 0, 2}, q[] = {-4, 2, -2};
    double A[] = {0, 0, 1, 1, 1, 0};
    double l[] = {-INFINITY, -INFINITY}, u[] = {0.5, INFINITY};
    double lb[] = {-INFINITY, 0, -INFINITY}, ub[] = {1, INFINITY, INFINITY};
    double xs[] = {1, 0, 0.5}, ys[] = {1, 0}, zs[] = {2, -2, 0};
    Qp p = qp_make(3, 2, P, q, A, l, u, lb, ub);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

static void test_huge_bounds_are_infinite(void)
{
    /* the same problem with 1e20 / 1e30 standing for infinity */
    double P[] = {2, 0, 0, 0, 2, 0, 0, 0, 2}, q[] = {-4, 2, -2};
    double A[] = {0, 0, 1, 1, 1, 0};
    double l[] = {-1e30, -1e20}, u[] = {0.5, 1e20};
    double lb[] = {-1e20, 0, -1e30}, ub[] = {1, 1e30, 1e20};
    double xs[] = {1, 0, 0.5}, ys[] = {1, 0}, zs[] = {2, -2, 0};
    Qp p = qp_make(3, 2, P, q, A, l, u, lb, ub);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

static void test_lp(void)
{
    /* min -x0 - x1 s.t. x0 + 2x1 <= 4, 3x0 + x1 <= 6, x >= 0
     * -> x = (1.6, 1.2), y = (.4, .2), obj = -2.8 */
    double q[] = {-1, -1}, A[] = {1, 2, 3, 1}, l[] = {-INFINITY, -INFINITY}, u[] = {4, 6};
    double lb[] = {0, 0};
    double xs[] = {1.6, 1.2}, ys[] = {0.4, 0.2}, zs[] = {0, 0};
    Qp p = qp_make(2, 2, NULL, q, A, l, u, lb, NULL);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

static void test_lp_no_P_pointer(void)
{
    /* same LP with Pp == NULL and q given */
    double q[] = {-1, -1}, A[] = {1, 2, 3, 1}, l[] = {-INFINITY, -INFINITY}, u[] = {4, 6};
    double lb[] = {0, 0};
    Qp p = qp_make(2, 2, NULL, q, A, l, u, lb, NULL);
    AdmmProblem pr = qp_view(&p);
    AdmmSettings s;
    AdmmWorkspace *w = NULL;
    admm_default_settings(&s);
    s.polish = 1;
    pr.Pp = NULL; pr.Pi = NULL; pr.Px = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        admm_solve(w, NULL);
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], 1.6, 1e-7, "x0");
        CHECK_NEAR(admm_x(w)[1], 1.2, 1e-7, "x1");
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_singular_P(void)
{
    /* min 1/2 x0^2 - x0 + x1 s.t. x1 >= 1 (row) -> x = (1, 1), y = -1, obj = .5 */
    double P[] = {1, 0, 0, 0}, q[] = {-1, 1}, A[] = {0, 1}, l[] = {1}, u[] = {INFINITY};
    double xs[] = {1, 1}, ys[] = {-1}, zs[] = {0, 0};
    Qp p = qp_make(2, 1, P, q, A, l, u, NULL, NULL);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

static void test_primal_infeasible(void)
{
    /* x0 + x1 >= 3 with x0 <= 1, x1 <= 1 (bounds) */
    double P[] = {1, 0, 0, 1}, q[] = {1, 1}, A[] = {1, 1}, l[] = {3}, u[] = {INFINITY};
    double ub[] = {1, 1};
    Qp p = qp_make(2, 1, P, q, A, l, u, NULL, ub);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        const AdmmInfo *info = admm_info(w);
        const double *c = admm_prim_inf_cert(w), *dy = c, *dz = c + 1;
        double norm = 0, at[2], supp = 0;
        int j;
        CHECK(info->status == ADMM_PRIMAL_INFEASIBLE, "status %s", admm_status_message(info->status));
        for (j = 0; j < 3; j++) norm = fmax(norm, fabs(c[j]));
        CHECK(norm > 0, "certificate is zero");
        at[0] = dy[0] + dz[0];
        at[1] = dy[0] + dz[1];
        CHECK(fmax(fabs(at[0]), fabs(at[1])) <= 1e-3 * norm, "|A'dy + dz| = %.3e, |dy| = %.3e",
              fmax(fabs(at[0]), fabs(at[1])), norm);
        /* u'dy+ + l'dy- + ub'dz+ + lb'dz- < 0, with dy+ only at finite u etc. */
        CHECK(dy[0] <= 0, "dy on a row without upper bound must be <= 0 (%g)", dy[0]);
        supp += dy[0] < 0 ? l[0] * dy[0] : 0;
        for (j = 0; j < 2; j++) {
            CHECK(dz[j] >= 0, "dz on a variable without lower bound must be >= 0 (%g)", dz[j]);
            if (dz[j] > 0) supp += ub[j] * dz[j];
        }
        CHECK(supp < -1e-3 * norm, "support value %.3e not negative", supp);
        CHECK(isnan(admm_x(w)[0]), "x should be NaN");
        CHECK(isinf(info->obj_val) && info->obj_val > 0, "obj should be +inf");
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_primal_infeasible_rows(void)
{
    /* rows only: x0 + x1 <= 1, x0 + x1 >= 2 (two separate rows), x2 = x0 (eq) */
    double P[] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, q[] = {0, 0, 0};
    double A[] = {1, 1, 0, 1, 1, 0, 1, 0, -1};
    double l[] = {-INFINITY, 2, 0}, u[] = {1, INFINITY, 0};
    Qp p = qp_make(3, 3, P, q, A, l, u, NULL, NULL);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    w = solve_qp(&p, &s);
    if (w) {
        const double *dy = admm_prim_inf_cert(w);
        double at, norm = 0, supp = 0;
        int i, j;
        CHECK(admm_info(w)->status == ADMM_PRIMAL_INFEASIBLE, "status %s", admm_status_message(admm_info(w)->status));
        for (i = 0; i < 3; i++) norm = fmax(norm, fabs(dy[i]));
        for (j = 0; j < 3; j++) {
            at = 0;
            for (i = 0; i < 3; i++) at += A[i * 3 + j] * dy[i];
            CHECK(fabs(at) <= 1e-3 * norm, "(A'dy)_%d = %.3e", j, at);
        }
        for (i = 0; i < 3; i++) {
            if (dy[i] > 0) { CHECK(isfinite(u[i]), "dy_%d > 0 at infinite u", i); supp += u[i] * dy[i]; }
            if (dy[i] < 0) { CHECK(isfinite(l[i]), "dy_%d < 0 at infinite l", i); supp += l[i] * dy[i]; }
        }
        CHECK(supp < 0, "support %.3e", supp);
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_dual_infeasible(void)
{
    /* min -x0 + 1/2 x1^2 s.t. x0 - x1 >= -1 (row), x0 >= 0: unbounded along (1, 0) */
    double P[] = {0, 0, 0, 1}, q[] = {-1, 0}, A[] = {1, -1}, l[] = {-1}, u[] = {INFINITY};
    double lb[] = {0, -INFINITY};
    Qp p = qp_make(2, 1, P, q, A, l, u, lb, NULL);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    w = solve_qp(&p, &s);
    if (w) {
        const AdmmInfo *info = admm_info(w);
        const double *dx = admm_dual_inf_cert(w);
        double nx = fmax(fabs(dx[0]), fabs(dx[1]));
        double pdx1 = dx[1]; /* P dx = (0, dx1) */
        double qdx = -dx[0], adx = dx[0] - dx[1];
        CHECK(info->status == ADMM_DUAL_INFEASIBLE, "status %s", admm_status_message(info->status));
        CHECK(nx > 0, "certificate is zero");
        CHECK(fabs(pdx1) <= 1e-3 * nx, "|P dx| = %.3e", fabs(pdx1));
        CHECK(qdx < -1e-3 * nx, "q'dx = %.3e", qdx);
        CHECK(adx >= -1e-3 * nx, "A dx = %.3e must be >= 0 (row has finite l only)", adx);
        CHECK(dx[0] >= -1e-3 * nx, "dx0 = %.3e must be >= 0 (lb finite)", dx[0]);
        CHECK(isinf(info->obj_val) && info->obj_val < 0, "obj should be -inf");
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_dual_infeasible_lp(void)
{
    /* min -x0 - x1 s.t. x0 - x1 = 0, x >= 0: unbounded along (1, 1) */
    double q[] = {-1, -1}, A[] = {1, -1}, l[] = {0}, u[] = {0}, lb[] = {0, 0};
    Qp p = qp_make(2, 1, NULL, q, A, l, u, lb, NULL);
    AdmmWorkspace *w = solve_qp(&p, NULL);
    if (w) {
        const double *dx = admm_dual_inf_cert(w);
        double nx = fmax(fabs(dx[0]), fabs(dx[1]));
        CHECK(admm_info(w)->status == ADMM_DUAL_INFEASIBLE, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(nx > 0 && -dx[0] - dx[1] < 0, "q'dx = %.3e", -dx[0] - dx[1]);
        CHECK(fabs(dx[0] - dx[1]) <= 1e-3 * nx, "A dx = %.3e", dx[0] - dx[1]);
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_polish_random(void)
{
    int trial, polished = 0;
    for (trial = 0; trial < 10; trial++) {
        Qp p = random_qp(20, 15, 0.3, 1e-2, 1);
        AdmmSettings s;
        AdmmWorkspace *w;
        admm_default_settings(&s);
        s.polish = 1;
        w = solve_qp(&p, &s);
        if (w) {
            const AdmmInfo *info = admm_info(w);
            double rp, rd, rg;
            CHECK(info->status == ADMM_SOLVED, "trial %d status %s", trial, admm_status_message(info->status));
            measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            if (info->polish_status == 1) {
                polished++;
                CHECK(rp <= 1e-9 && rd <= 1e-9 && rg <= 1e-8, "trial %d polished: rp %.2e rd %.2e gap %.2e", trial,
                      rp, rd, rg);
            } else {
                CHECK(rp <= 1e-2 && rd <= 1e-2, "trial %d: rp %.2e rd %.2e", trial, rp, rd);
            }
            admm_cleanup(w);
        }
        qp_free(&p);
    }
    CHECK(polished >= 8, "only %d of 10 random problems polished", polished);
}

static void test_polish_tight_tolerance(void)
{
    /* with eps 1e-6 the active set is right, and polishing must reach 1e-9 */
    int trial;
    for (trial = 0; trial < 5; trial++) {
        Qp p = random_qp(40, 30, 0.2, 1e-3, 1);
        AdmmSettings s;
        AdmmWorkspace *w;
        admm_default_settings(&s);
        s.polish = 1;
        s.eps_abs = s.eps_rel = 1e-6;
        s.max_iter = 20000;
        w = solve_qp(&p, &s);
        if (w) {
            double rp, rd, rg;
            CHECK(admm_info(w)->status == ADMM_SOLVED, "status %s", admm_status_message(admm_info(w)->status));
            CHECK(admm_info(w)->polish_status == 1, "trial %d polish_status %d", trial, admm_info(w)->polish_status);
            measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            CHECK(rp <= 1e-9 && rd <= 1e-9 && rg <= 1e-8, "trial %d: rp %.2e rd %.2e gap %.2e", trial, rp, rd, rg);
            admm_cleanup(w);
        }
        qp_free(&p);
    }
}

static void test_dependent_equalities(void)
{
    /* duplicated equality rows (K of the polish step singular): must still solve */
    double P[] = {2, 0, 0, 2}, q[] = {-2, -5};
    double A[] = {1, 1, 1, 1, 2, 2};
    double l[] = {1, 1, 2}, u[] = {1, 1, 2};
    Qp p = qp_make(2, 3, P, q, A, l, u, NULL, NULL);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        double rp, rd, rg;
        /* x0 + x1 = 1, minimise (x0-1)^2 + (x1-2.5)^2 -> x = (-0.25, 1.25) */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], -0.25, 1e-2, "x0");
        CHECK_NEAR(admm_x(w)[1], 1.25, 1e-2, "x1");
        measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
        CHECK(rp <= 1e-2 && rd <= 1e-2, "rp %.2e rd %.2e", rp, rd);
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_warm_start(void)
{
    Qp p = random_qp(60, 40, 0.15, 1e-2, 1);
    AdmmSettings s;
    AdmmWorkspace *w = NULL, *w2 = NULL;
    AdmmProblem pr;
    int j, cold_iter = 0, warm_iter = 0;
    double *q2 = (double *)malloc((size_t)p.n * sizeof(double));
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-5;
    w = solve_qp(&p, &s);
    if (!w) { free(q2); qp_free(&p); return; }
    CHECK(admm_info(w)->status == ADMM_SOLVED, "first solve");
    for (j = 0; j < p.n; j++) q2[j] = p.q[j] * (1.0 + 0.01 * nrand());

    /* warm: update q in place and re-solve from the previous iterates */
    CHECK(admm_update_q(w, q2) == ADMM_OK, "update_q");
    admm_solve(w, NULL);
    CHECK(admm_info(w)->status == ADMM_SOLVED, "warm re-solve");
    warm_iter = admm_info(w)->iter;

    /* cold: new workspace for the perturbed problem */
    memcpy(p.q, q2, (size_t)p.n * sizeof(double));
    pr = qp_view(&p);
    CHECK(admm_setup(&w2, &pr, &s) == ADMM_OK, "setup 2");
    if (w2) {
        admm_solve(w2, NULL);
        CHECK(admm_info(w2)->status == ADMM_SOLVED, "cold solve");
        cold_iter = admm_info(w2)->iter;
        CHECK(warm_iter < cold_iter, "warm %d iterations, cold %d", warm_iter, cold_iter);
        /* same answer */
        for (j = 0; j < p.n; j++) CHECK_NEAR(admm_x(w)[j], admm_x(w2)[j], 1e-3, "x warm vs cold");
        admm_cleanup(w2);
        w2 = NULL;
    }

    /* explicit warm start with the solution in a fresh workspace */
    {
        double *x = (double *)malloc((size_t)p.n * sizeof(double));
        double *y = (double *)malloc((size_t)p.m * sizeof(double));
        double *z = (double *)malloc((size_t)p.n * sizeof(double));
        memcpy(x, admm_x(w), (size_t)p.n * sizeof(double));
        memcpy(y, admm_y(w), (size_t)p.m * sizeof(double));
        memcpy(z, admm_z(w), (size_t)p.n * sizeof(double));
        s.warm_start = 0; /* admm_warm_start must still take effect */
        CHECK(admm_setup(&w2, &pr, &s) == ADMM_OK, "setup 3");
        if (w2) {
            CHECK(admm_warm_start(w2, x, y, z) == ADMM_OK, "warm_start");
            admm_solve(w2, NULL);
            CHECK(admm_info(w2)->status == ADMM_SOLVED, "warm-started solve");
            CHECK(admm_info(w2)->iter <= 50 && admm_info(w2)->iter < cold_iter, "warm-started from solution: %d iterations (cold %d)",
                  admm_info(w2)->iter, cold_iter);
            /* settings.warm_start = 0: the next solve starts from zero again */
            admm_solve(w2, NULL);
            CHECK(admm_info(w2)->iter == cold_iter, "cold again: %d vs %d", admm_info(w2)->iter, cold_iter);
            x[0] = NAN;
            CHECK(admm_warm_start(w2, x, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NaN warm start rejected");
            admm_cleanup(w2);
        }
        free(x); free(y); free(z);
    }
    admm_cleanup(w);
    free(q2);
    qp_free(&p);
}

static void test_update_bounds(void)
{
    /* min 1/2|x|^2 - 2x1 + x2, 0 <= x <= 1, row x1 + x2 <= 5 */
    double P[] = {1, 0, 0, 1}, q[] = {-2, 1}, A[] = {1, 1}, l[] = {-INFINITY}, u[] = {5};
    double lb[] = {0, 0}, ub[] = {1, 1};
    Qp p = qp_make(2, 1, P, q, A, l, u, lb, ub);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        double ub2[] = {3, 3}, u2[] = {1.5}, lb2[] = {-1, -1};
        double u3[] = {0.5}, l3[] = {0.5};
        CHECK_NEAR(admm_x(w)[0], 1, 1e-8, "x0");
        /* ub 3: x0 = 2 unconstrained optimum, row 1.5 now binding: x0 + x1 <= 1.5 */
        CHECK(admm_update_bounds(w, NULL, u2, lb2, ub2) == ADMM_OK, "update_bounds");
        admm_solve(w, NULL);
        /* min 1/2(x0^2 + x1^2) - 2x0 + x1, x0 + x1 <= 1.5, x >= -1:
         * x1 = -1 (lb), x0 = 2 > 2.5? x0 <= 1.5 - x1 = 2.5, so x0 = 2: row 2-1 = 1 < 1.5 inactive */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], 2, 1e-7, "x0");
        CHECK_NEAR(admm_x(w)[1], -1, 1e-7, "x1");
        CHECK_NEAR(admm_z(w)[1], -0.0 - (-1 + 1), 1e-7, "z1"); /* x1 + 1 + z1 = 0 -> z1 = 0 */
        /* turn the row into an equality x0 + x1 = 0.5 (row kind changes) */
        CHECK(admm_update_bounds(w, l3, u3, NULL, NULL) == ADMM_OK, "update_bounds eq");
        admm_solve(w, NULL);
        /* x0 + x1 = .5, min: x0 - 2 + y = 0, x1 + 1 + y = 0 -> x0 - x1 = 3, x0 = 1.75, x1 = -1.25 < -1
         * so x1 = -1 (lb active), x0 = 1.5 */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status eq");
        CHECK_NEAR(admm_x(w)[0], 1.5, 1e-7, "x0 eq");
        CHECK_NEAR(admm_x(w)[1], -1.0, 1e-7, "x1 eq");
        {
            double rp, rd, rg;
            Qp p2 = qp_make(2, 1, P, q, A, l3, u3, lb2, ub2);
            measures(&p2, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            CHECK(rp < 1e-8 && rd < 1e-8 && rg < 1e-8, "rp %.2e rd %.2e gap %.2e", rp, rd, rg);
            qp_free(&p2);
        }
        {
            double bad_l[] = {2}, bad_u[] = {1};
            CHECK(admm_update_bounds(w, bad_l, bad_u, NULL, NULL) == ADMM_ERR_INVALID_BOUNDS, "l > u rejected");
        }
        admm_cleanup(w);
    }
    qp_free(&p);
    {
        /* a variable without bounds cannot get one */
        double P2[] = {1, 0, 0, 1}, q2[] = {1, 1}, lbx[] = {0, -INFINITY}, lb_new[] = {0, 0};
        Qp p3 = qp_make(2, 0, P2, q2, NULL, NULL, NULL, lbx, NULL);
        AdmmProblem pr = qp_view(&p3);
        AdmmWorkspace *w3 = NULL;
        CHECK(admm_setup(&w3, &pr, NULL) == ADMM_OK, "setup");
        if (w3) {
            CHECK(admm_update_bounds(w3, NULL, NULL, lb_new, NULL) == ADMM_ERR_STRUCTURE, "structure change");
            admm_cleanup(w3);
        }
        qp_free(&p3);
    }
}

static void test_settings_variants(void)
{
    /* no scaling, scaled termination, no adaptive rho, alpha 1: same answer */
    Qp p = random_qp(30, 20, 0.2, 1e-1, 1);
    AdmmSettings s;
    AdmmWorkspace *ref;
    int v;
    admm_default_settings(&s);
    s.polish = 1;
    s.eps_abs = s.eps_rel = 1e-6;
    s.max_iter = 50000;
    ref = solve_qp(&p, &s);
    if (!ref) { qp_free(&p); return; }
    CHECK(admm_info(ref)->status == ADMM_SOLVED, "reference status");
    for (v = 0; v < 5; v++) {
        AdmmWorkspace *w;
        AdmmSettings t = s;
        int j;
        if (v == 0) t.scaling = 0;
        if (v == 1) t.scaled_termination = 1;
        if (v == 2) t.adaptive_rho = 0;
        if (v == 3) { t.alpha = 1.0; t.rho = 1.0; }
        if (v == 4) { t.adaptive_rho_interval = 10; t.check_termination = 5; }
        w = solve_qp(&p, &t);
        if (!w) continue;
        CHECK(admm_info(w)->status == ADMM_SOLVED, "variant %d status %s", v, admm_status_message(admm_info(w)->status));
        if (v == 2) CHECK(admm_info(w)->rho_updates == 0, "adaptive_rho off but %d updates", admm_info(w)->rho_updates);
        if (v == 4) CHECK(admm_info(w)->rho_updates > 0, "no rho update with interval 10");
        for (j = 0; j < p.n; j++) CHECK_NEAR(admm_x(w)[j], admm_x(ref)[j], 1e-5, "x variant");
        admm_cleanup(w);
    }
    /* update_settings: new rho and tolerance on an existing workspace */
    {
        AdmmSettings t = s;
        int j;
        t.rho = 3.0;
        t.eps_abs = t.eps_rel = 1e-7;
        CHECK(admm_update_settings(ref, &t) == ADMM_OK, "update_settings");
        admm_solve(ref, NULL);
        CHECK(admm_info(ref)->status == ADMM_SOLVED, "after update_settings");
        t.scaling = 3;
        CHECK(admm_update_settings(ref, &t) == ADMM_ERR_STRUCTURE, "scaling change rejected");
        t.scaling = s.scaling;
        t.alpha = 2.5;
        CHECK(admm_update_settings(ref, &t) == ADMM_ERR_INVALID_SETTINGS, "alpha 2.5 rejected");
        for (j = 0; j < p.n; j++) CHECK(isfinite(admm_x(ref)[j]), "finite x");
    }
    admm_cleanup(ref);
    qp_free(&p);
}

static void test_limits_and_cancel(void)
{
    Qp p = random_qp(50, 40, 0.2, 1e-3, 1);
    AdmmSettings s;
    AdmmWorkspace *w;
    AdmmProblem pr = qp_view(&p);
    volatile int cancel = 1;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-12;
    s.max_iter = 30;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->status == ADMM_MAX_ITER, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->iter == 30, "iter %d", admm_info(w)->iter);
        CHECK(isfinite(admm_x(w)[0]), "last iterate returned");
        admm_cleanup(w);
    }
    s.max_iter = 100000000;
    s.time_limit = 1e-5;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->status == ADMM_TIME_LIMIT, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->solve_time < 1.0, "solve_time %g", admm_info(w)->solve_time);
        admm_cleanup(w);
    }
    s.time_limit = 0;
    w = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        CHECK(admm_solve(w, (volatile const int *)&cancel) == ADMM_OK, "solve");
        CHECK(admm_info(w)->status == ADMM_CANCELLED, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->iter == 0, "iter %d", admm_info(w)->iter);
        admm_cleanup(w);
    }
    qp_free(&p);
}

/* admm_solve_cb: the callback gets its data pointer, is polled once per
 * iteration, and a non-zero return stops with ADMM_CANCELLED; a NULL callback
 * never stops and gives the same result as admm_solve. */
typedef struct { int calls; int stop_at; } StopCounter;
static int stop_after(void *data)
{
    StopCounter *c = (StopCounter *)data;
    c->calls++;
    return c->calls >= c->stop_at;
}

static void test_solve_callback(void)
{
    Qp p = random_qp(50, 40, 0.2, 1e-3, 1);
    AdmmSettings s;
    AdmmWorkspace *w = NULL, *ref;
    AdmmProblem pr = qp_view(&p);
    StopCounter counter = {0, 8};
    int j;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-12;
    s.max_iter = 1000;
    s.polish = 1;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        CHECK(admm_solve_cb(w, stop_after, &counter) == ADMM_OK, "solve_cb");
        CHECK(admm_info(w)->status == ADMM_CANCELLED, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(counter.calls == 8, "callback called %d times, expected 8", counter.calls);
        CHECK(admm_info(w)->iter == 7, "iter %d, expected 7", admm_info(w)->iter);
        CHECK(admm_info(w)->polish_status == 0, "no polishing after a stop (polish_status %d)",
              admm_info(w)->polish_status);
        CHECK(isfinite(admm_x(w)[0]), "last iterate returned");
        admm_cleanup(w);
    }
    /* NULL callback: runs to the end, like admm_solve(w, NULL) */
    s.eps_abs = s.eps_rel = 1e-6;
    w = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    ref = solve_qp(&p, &s);
    if (w && ref) {
        CHECK(admm_solve_cb(w, NULL, NULL) == ADMM_OK, "solve_cb");
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->iter == admm_info(ref)->iter, "iter %d vs %d", admm_info(w)->iter,
              admm_info(ref)->iter);
        for (j = 0; j < p.n; j++) CHECK(admm_x(w)[j] == admm_x(ref)[j], "x[%d] differs", j);
    }
    admm_cleanup(w);
    admm_cleanup(ref);
    CHECK(admm_solve_cb(NULL, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NULL workspace");
    qp_free(&p);
}

/* With gap_termination (the default), SOLVED means all three docs/METHODS.md §3
 * measures, recomputed here from the returned x, y, z, meet eps_abs (eps_rel 0);
 * polishing off, so ADMM's own iterate is what is checked. */
static void test_gap_termination(void)
{
    int trial, solved = 0;
    for (trial = 0; trial < 10; trial++) {
        Qp p = random_qp(30, 20, 0.3, trial % 2 ? 0.0 : 1e-2, 1);
        AdmmSettings s;
        AdmmWorkspace *w;
        admm_default_settings(&s);
        s.eps_abs = 1e-6;
        s.eps_rel = 0;
        s.max_iter = 200000;
        w = solve_qp(&p, &s);
        if (w && admm_info(w)->status == ADMM_SOLVED) {
            double rp, rd, rg;
            measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            CHECK(rp <= 1.001e-6 && rd <= 1.001e-6 && rg <= 1.001e-6, "trial %d: rp %.2e rd %.2e gap %.2e", trial, rp,
                  rd, rg);
            solved++;
        }
        admm_cleanup(w);
        qp_free(&p);
    }
    CHECK(solved >= 8, "only %d of 10 solved", solved);
}

/* admm_setup_cb stops between the phases of setup: a callback that says stop at
 * its k-th call gives ADMM_ERR_CANCELLED and no workspace, for every k up to the
 * number of polls; past it, setup completes and the solve meets the tolerances
 * (residuals computed here).  A time limit that the KKT factorisation could not
 * meet even at ADMM_FLOPS_CEILING flops per second gives ADMM_ERR_TIME_LIMIT,
 * whichever phase notices first. */
static void test_setup_stops(void)
{
    Qp p = random_qp(40, 30, 0.2, 1e-3, 1), big;
    AdmmProblem pr = qp_view(&p);
    AdmmSettings s;
    AdmmWorkspace *w = NULL;
    StopCounter never = {0, 1 << 30};
    int k, err = ADMM_ERR_CANCELLED, polls = 0;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-7;
    for (k = 1; k <= 100 && err == ADMM_ERR_CANCELLED; k++) {
        StopCounter c = {0, k};
        w = (AdmmWorkspace *)&c; /* setup must set it to NULL */
        err = admm_setup_cb(&w, &pr, &s, 0.0, stop_after, &c);
        if (err != ADMM_ERR_CANCELLED) break;
        CHECK(w == NULL, "stopped at poll %d: workspace not NULL", k);
        CHECK(c.calls == k, "stopped at poll %d after %d calls", k, c.calls);
        polls = k;
    }
    CHECK(err == ADMM_OK, "setup returned %d (%s)", err, admm_error_message(err));
    /* before and after validation, each Ruiz pass, transposition, analysis, factorisation */
    CHECK(polls == 5 + s.scaling, "%d polls, expected %d", polls, 5 + s.scaling);
    if (w) {
        double rp, rd, rg;
        CHECK(admm_solve(w, NULL) == ADMM_OK, "solve");
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status %s", admm_status_message(admm_info(w)->status));
        measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
        CHECK(rp <= 1e-5 && rd <= 1e-5 && rg <= 1e-5, "rp %.2e rd %.2e gap %.2e", rp, rd, rg);
        admm_cleanup(w);
    }
    w = (AdmmWorkspace *)&never;
    CHECK(admm_setup_cb(&w, &pr, &s, NAN, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NaN time limit");
    CHECK(w == NULL, "workspace not NULL after an invalid argument");
    qp_free(&p);

    /* dense P, n = 400: about n^3/3 = 2e7 flops per factorisation */
    big = random_qp(400, 10, 1.0, 1e-3, 0);
    pr = qp_view(&big);
    w = (AdmmWorkspace *)&never;
    err = admm_setup_cb(&w, &pr, &s, 1e-4, stop_after, &never);
    CHECK(err == ADMM_ERR_TIME_LIMIT, "setup returned %d (%s)", err, admm_error_message(err));
    CHECK(w == NULL, "workspace not NULL after a time limit");
    err = admm_setup_cb(&w, &pr, &s, 1e6, NULL, NULL);
    CHECK(err == ADMM_OK, "setup with time to spare returned %d", err);
    admm_cleanup(w);
    qp_free(&big);
}

static void test_polish_after_max_iter(void)
{
    /* stopped early with an unreachable tolerance: polishing still lands on the
     * exact solution and upgrades the status */
    Qp p = random_qp(30, 20, 0.3, 1e-1, 1);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-9;
    s.max_iter = 60;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->status == ADMM_MAX_ITER, "without polish: %s", admm_status_message(admm_info(w)->status));
        admm_cleanup(w);
    }
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->iter == 60, "iter %d", admm_info(w)->iter);
        expect_solution(&p, w, NULL, NULL, NULL, 0, 1e-9);
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_null_views(void)
{
    /* l, u NULL: free rows; q NULL: zero cost; lb only */
    double P[] = {1, 0, 0, 1}, A[] = {1, 1}, lb[] = {1, -INFINITY};
    Qp p = qp_make(2, 1, P, NULL, A, NULL, NULL, lb, NULL);
    AdmmProblem pr = qp_view(&p);
    AdmmWorkspace *w = NULL;
    AdmmSettings s;
    int n = 0, m = 0;
    admm_default_settings(&s);
    s.polish = 1;
    pr.q = NULL; pr.l = NULL; pr.u = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        admm_dims(w, &n, &m);
        CHECK(n == 2 && m == 1, "dims %d %d", n, m);
        admm_solve(w, NULL);
        /* min 1/2|x|^2, x0 >= 1 -> x = (1, 0), z0 = -1, y = 0 */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], 1, 1e-8, "x0");
        CHECK_NEAR(admm_x(w)[1], 0, 1e-8, "x1");
        CHECK_NEAR(admm_z(w)[0], -1, 1e-8, "z0");
        CHECK_NEAR(admm_y(w)[0], 0, 1e-12, "y0");
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_errors(void)
{
    char msg[256];
    AdmmWorkspace *w = NULL;
    AdmmSettings s;
    /* P given as upper triangle */
    {
        int Pp[] = {0, 1, 3}, Pi[] = {0, 0, 1};
        double Px[] = {1, 0.5, 1}, q[] = {0, 0};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 2; pr.m = 0; pr.Pp = Pp; pr.Pi = Pi; pr.Px = Px; pr.q = q;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_P, "upper P");
        CHECK(strstr(msg, "above the diagonal") != NULL, "message: %s", msg);
        CHECK(admm_setup(&w, &pr, NULL) == ADMM_ERR_INVALID_P && w == NULL, "setup upper P");
    }
    /* non-convex P */
    {
        int Pp[] = {0, 1, 2}, Pi[] = {0, 1};
        double Px[] = {1, -1}, q[] = {0, 0};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 2; pr.Pp = Pp; pr.Pi = Pi; pr.Px = Px; pr.q = q;
        CHECK(admm_setup(&w, &pr, NULL) == ADMM_ERR_NONCVX && w == NULL, "non-convex");
    }
    /* unsorted A, out of range A, NaN Ax */
    {
        int Ap[] = {0, 2, 2}, Ai[] = {1, 0}, Ai2[] = {0, 5};
        double Ax[] = {1, 1}, Ax2[] = {1, NAN}, l[] = {0, 0}, u[] = {1, 1};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 2; pr.m = 2; pr.Ap = Ap; pr.Ai = Ai; pr.Ax = Ax; pr.l = l; pr.u = u;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_A, "unsorted A");
        pr.Ai = Ai2;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_A, "A row out of range");
        CHECK(strstr(msg, "Ai[1] = 5") != NULL, "message: %s", msg);
        pr.Ai = Ai; Ai[0] = 0; Ai[1] = 1; pr.Ax = Ax2;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_A, "NaN in A");
    }
    /* bounds */
    {
        double l[] = {2}, u[] = {1}, q[] = {NAN};
        int Ap[] = {0, 1}, Ai[] = {0};
        double Ax[] = {1}, lb[] = {INFINITY}, lbn[] = {NAN};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 1; pr.m = 1; pr.Ap = Ap; pr.Ai = Ai; pr.Ax = Ax; pr.l = l; pr.u = u;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_BOUNDS, "l > u");
        CHECK(strstr(msg, "l[0]") != NULL, "message: %s", msg);
        l[0] = 0;
        pr.lb = lb;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_BOUNDS, "lb = +inf");
        pr.lb = lbn;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_BOUNDS, "lb NaN");
        pr.lb = NULL;
        pr.q = q;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_Q, "q NaN");
        pr.q = NULL;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_OK, "valid: %s", msg);
        pr.n = 0;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_DIMENSION, "n = 0");
    }
    /* settings */
    admm_default_settings(&s);
    s.alpha = 2.0;
    CHECK(admm_check_settings(&s, msg, sizeof msg) == ADMM_ERR_INVALID_SETTINGS, "alpha = 2");
    CHECK(strstr(msg, "alpha") != NULL, "message: %s", msg);
    admm_default_settings(&s);
    s.rho = 0;
    CHECK(admm_check_settings(&s, NULL, 0) == ADMM_ERR_INVALID_SETTINGS, "rho = 0");
    CHECK(admm_setup(NULL, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NULL work");
    CHECK(admm_setup(&w, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NULL problem");
    CHECK(admm_solve(NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "solve NULL");
    CHECK(strcmp(admm_error_message(-5), "unknown error code") == 0, "unknown code");
    CHECK(strlen(admm_error_message(ADMM_ERR_NONCVX)) > 0, "message");
    admm_cleanup(NULL);
}

static void test_unconstrained(void)
{
    /* m = 0, no bounds: min 1/2 x'Px + q'x with P = [[2,1],[1,2]], q = (-1, -1) -> x = (1/3, 1/3) */
    double P[] = {2, 1, 1, 2}, q[] = {-1, -1};
    double xs[] = {1.0 / 3, 1.0 / 3}, zs[] = {0, 0};
    Qp p = qp_make(2, 0, P, q, NULL, NULL, NULL, NULL, NULL);
    AdmmWorkspace *w = solve_qp(&p, NULL);
    if (w) {
        expect_solution(&p, w, xs, NULL, zs, 1e-3, 1e-3);
        CHECK(admm_y(w) == NULL, "y NULL when m == 0");
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_larger_sparse(void)
{
    Qp p = random_qp(300, 200, 0.02, 1e-2, 1);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        const AdmmInfo *info = admm_info(w);
        double rp, rd, rg;
        CHECK(info->status == ADMM_SOLVED, "status %s", admm_status_message(info->status));
        measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
        CHECK(rp <= 1e-2 && rd <= 1e-2, "rp %.2e rd %.2e", rp, rd);
        if (info->polish_status == 1) CHECK(rp <= 1e-8 && rd <= 1e-8, "polished rp %.2e rd %.2e", rp, rd);
        printf("  [larger_sparse n=300 m=200: %d iterations, %d rho updates, polish %d, setup %.2f ms, "
               "solve %.2f ms, rp %.1e rd %.1e gap %.1e]\n",
               info->iter, info->rho_updates, info->polish_status, 1e3 * info->setup_time,
               1e3 * info->solve_time, rp, rd, rg);
        admm_cleanup(w);
    }
    qp_free(&p);
}

static void test_loop(void)
{
    /* 50 setup/solve/cleanup rounds (run under valgrind for leaks) */
    int k, solved = 0;
    for (k = 0; k < 50; k++) {
        Qp p = random_qp(8 + k % 7, 5 + k % 5, 0.4, 1e-2, k % 2);
        AdmmSettings s;
        AdmmWorkspace *w = NULL;
        AdmmProblem pr = qp_view(&p);
        admm_default_settings(&s);
        s.polish = k % 3 != 0;
        if (admm_setup(&w, &pr, &s) == ADMM_OK) {
            admm_solve(w, NULL);
            if (admm_info(w)->status == ADMM_SOLVED) solved++;
            if (k % 5 == 0) {
                admm_update_q(w, p.q);
                admm_solve(w, NULL);
            }
            admm_cleanup(w);
        }
        qp_free(&p);
    }
    CHECK(solved == 50, "%d of 50 solved", solved);
}

/* ------------------------------------------------------------------------- */
/* admm_tests [NAME...]: run the named tests only (e.g. under valgrind) */
int main(int argc, char **argv)
{
    struct { const char *name; void (*fn)(void); } tests[] = {
        {"equality", test_equality},
        {"ranges", test_ranges},
        {"bounds_only", test_bounds_only},
        {"mixed_free", test_mixed_free},
        {"huge_bounds_are_infinite", test_huge_bounds_are_infinite},
        {"lp", test_lp},
        {"lp_no_P_pointer", test_lp_no_P_pointer},
        {"singular_P", test_singular_P},
        {"unconstrained", test_unconstrained},
        {"primal_infeasible", test_primal_infeasible},
        {"primal_infeasible_rows", test_primal_infeasible_rows},
        {"dual_infeasible", test_dual_infeasible},
        {"dual_infeasible_lp", test_dual_infeasible_lp},
        {"polish_random", test_polish_random},
        {"polish_tight_tolerance", test_polish_tight_tolerance},
        {"dependent_equalities", test_dependent_equalities},
        {"warm_start", test_warm_start},
        {"update_bounds", test_update_bounds},
        {"settings_variants", test_settings_variants},
        {"limits_and_cancel", test_limits_and_cancel},
        {"solve_callback", test_solve_callback},
        {"setup_stops", test_setup_stops},
        {"gap_termination", test_gap_termination},
        {"polish_after_max_iter", test_polish_after_max_iter},
        {"null_views", test_null_views},
        {"errors", test_errors},
        {"larger_sparse", test_larger_sparse},
        {"setup_solve_cleanup_x50", test_loop},
    };
    int i, passed = 0, failed = 0, nt = (int)(sizeof tests / sizeof tests[0]);
    for (i = 0; i < nt; i++) {
        int before = g_failed_checks, a, wanted = argc < 2;
        for (a = 1; a < argc; a++) wanted |= strcmp(argv[a], tests[i].name) == 0;
        if (!wanted) continue;
        g_test = tests[i].name;
        tests[i].fn();
        if (g_failed_checks == before) { passed++; printf("ok   %s\n", tests[i].name); }
        else { failed++; printf("FAIL %s\n", tests[i].name); }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
