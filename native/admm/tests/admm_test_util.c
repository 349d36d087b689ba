/* admm_test_util.c: the test problems (dense data turned into CSC), the residuals computed
 * from the dense data, a seeded generator and the solve-and-check helpers of the admm tests. */
#include "admm_test_util.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------- */
/* Test problems from dense data                                              */
/* ------------------------------------------------------------------------- */

double *dup(const double *v, int n)
{
    double *r = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (v && n > 0) memcpy(r, v, (size_t)n * sizeof(double));
    return r;
}

/* dense row-major rows-by-cols -> CSC (lower triangle only if lower) */
void dense_to_csc(int rows, int cols, const double *M, int lower, int **Mp, int **Mi, double **Mx)
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
            if (v != 0.0 && (!lower || i >= j)) {
                (*Mi)[k] = i;
                (*Mx)[k] = v;
                k++;
            }
        }
    }
    (*Mp)[cols] = k;
}

Qp qp_make(int n, int m, const double *P, const double *q, const double *A, const double *l, const double *u,
           const double *lb, const double *ub)
{
    Qp p;
    memset(&p, 0, sizeof(p));
    p.n = n;
    p.m = m;
    p.P = dup(P, n * n);
    if (!P) memset(p.P, 0, (size_t)n * n * sizeof(double));
    p.A = dup(A, m * n);
    p.q = dup(q, n);
    p.l = dup(l, m);
    p.u = dup(u, m);
    p.has_lb = lb != NULL;
    p.has_ub = ub != NULL;
    p.lb = dup(lb, n);
    p.ub = dup(ub, n);
    if (!lb) {
        int j;
        for (j = 0; j < n; j++) p.lb[j] = -INFINITY;
    }
    if (!ub) {
        int j;
        for (j = 0; j < n; j++) p.ub[j] = INFINITY;
    }
    dense_to_csc(n, n, p.P, 1, &p.Pp, &p.Pi, &p.Px);
    if (m > 0)
        dense_to_csc(m, n, p.A, 0, &p.Ap, &p.Ai, &p.Ax);
    else
        dense_to_csc(0, n, p.A, 0, &p.Ap, &p.Ai, &p.Ax);
    return p;
}

void qp_free(Qp *p)
{
    free(p->P);
    free(p->A);
    free(p->q);
    free(p->l);
    free(p->u);
    free(p->lb);
    free(p->ub);
    free(p->Pp);
    free(p->Pi);
    free(p->Px);
    free(p->Ap);
    free(p->Ai);
    free(p->Ax);
}

AdmmProblem qp_view(const Qp *p)
{
    AdmmProblem pr;
    pr.n = p->n;
    pr.m = p->m;
    pr.Pp = p->Pp;
    pr.Pi = p->Pi;
    pr.Px = p->Px;
    pr.q = p->q;
    pr.Ap = p->Ap;
    pr.Ai = p->Ai;
    pr.Ax = p->Ax;
    pr.l = p->l;
    pr.u = p->u;
    pr.lb = p->has_lb ? p->lb : NULL;
    pr.ub = p->has_ub ? p->ub : NULL;
    return pr;
}

/* docs/METHODS.md §3 measures computed from the dense original data. */
void measures(const Qp *p, const double *x, const double *y, const double *z, double *rp, double *rd, double *rg)
{
    int n = p->n, m = p->m, i, j;
    double P = 0, D = 0, G = 0;
    for (i = 0; i < m; i++) {
        double ax = 0;
        for (j = 0; j < n; j++) ax += p->A[i * n + j] * x[j];
        if (ax - p->u[i] > P) P = ax - p->u[i];
        if (p->l[i] - ax > P) P = p->l[i] - ax;
        if (y[i] > 0)
            G += p->u[i] * y[i];
        else if (y[i] < 0)
            G += p->l[i] * y[i];
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
        if (z[j] > 0)
            G += p->ub[j] * z[j];
        else if (z[j] < 0)
            G += p->lb[j] * z[j];
    }
    *rp = P;
    *rd = D;
    *rg = fabs(G);
}

double objective(const Qp *p, const double *x)
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
double urand(void) /* uniform in [0, 1) */
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}
double nrand(void)
{
    double a = urand() + 1e-300, b = urand();
    return sqrt(-2 * log(a)) * cos(6.283185307179586 * b);
}

/* A random feasible QP: P = M'M + reg I (dense-ish lower), A sparse with
 * density dens, l/u around A x0 for a random x0 (some equalities, some one-sided,
 * some free), bounds on a subset of variables. */
Qp random_qp(int n, int m, double dens, double reg, int with_bounds)
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
    for (j = 0; j < n; j++) {
        q[j] = nrand();
        x0[j] = nrand();
    }
    for (i = 0; i < m; i++) {
        double ax = 0;
        int any = 0;
        for (j = 0; j < n; j++)
            if (urand() < dens) {
                A[i * n + j] = nrand();
                any = 1;
            }
        if (!any) A[i * n + (i % n)] = 1.0;
        for (j = 0; j < n; j++) ax += A[i * n + j] * x0[j];
        {
            double t = urand();
            if (t < 0.15) {
                l[i] = u[i] = ax;
            } else if (t < 0.45) {
                l[i] = -INFINITY;
                u[i] = ax + urand();
            } else if (t < 0.75) {
                l[i] = ax - urand();
                u[i] = INFINITY;
            } else if (t < 0.95) {
                l[i] = ax - urand();
                u[i] = ax + urand();
            } else {
                l[i] = -INFINITY;
                u[i] = INFINITY;
            }
        }
    }
    for (j = 0; j < n; j++) {
        double t = urand();
        lb[j] = -INFINITY;
        ub[j] = INFINITY;
        if (!with_bounds) continue;
        if (t < 0.3) {
            lb[j] = x0[j] - urand();
            ub[j] = x0[j] + urand();
        } else if (t < 0.5)
            lb[j] = x0[j] - 0.1;
        else if (t < 0.6)
            ub[j] = x0[j] + 0.1;
    }
    p = qp_make(n, m, P, q, A, l, u, with_bounds ? lb : NULL, with_bounds ? ub : NULL);
    free(P);
    free(A);
    free(q);
    free(l);
    free(u);
    free(lb);
    free(ub);
    free(x0);
    free(M);
    return p;
}

/* Solve, return workspace (caller cleans up); NULL on setup failure */
AdmmWorkspace *solve_qp(const Qp *p, const AdmmSettings *s)
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
void expect_solution(const Qp *p, AdmmWorkspace *w, const double *xs, const double *ys, const double *zs, double tol_x,
                     double tol_res)
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
void run_known(const Qp *p, const double *xs, const double *ys, const double *zs)
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
