/* ipm_setup.c: checking, copying and equilibrating the data, the convexity test,
 * the list of constraints and the pattern of the KKT matrix. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipm_internal.h"

void ipm_default_settings(IpmSettings *s) {
    if (!s) return;
    s->eps_abs = 1e-8;
    s->eps_rel = 0;
    s->eps_inf = 1e-8;
    s->max_iter = 250;
    s->time_limit = 0;
    s->scaling = 10;
    s->rho_init = 1e-6;
    s->delta_init = 1e-4;
    s->reg_min = 1e-13;
    s->refine_iter = 4;
    s->check_convexity = 1;
    s->centrality_correctors = 1;
    s->normal_equations = -1;
    s->verbose = 0;
}

const char *ipm_error_message(int code) {
    static const char *const text[IPM_ERR_COUNT_] = {
        "ok",
        "invalid argument",
        "invalid dimension",
        "invalid P",
        "invalid A",
        "invalid q",
        "invalid bounds",
        "invalid settings",
        "P is not positive semidefinite",
        "ordering or symbolic analysis of the KKT matrix failed",
        "out of memory",
        "the update changes the problem's structure",
    };
    return code >= 0 && code < IPM_ERR_COUNT_ ? text[code] : "unknown error code";
}

const char *ipm_status_message(IpmStatus status) {
    switch (status) {
        case IPM_UNSOLVED: return "unsolved";
        case IPM_SOLVED: return "solved";
        case IPM_PRIMAL_INFEASIBLE: return "primal infeasible";
        case IPM_DUAL_INFEASIBLE: return "dual infeasible";
        case IPM_MAX_ITER: return "maximum iterations reached";
        case IPM_TIME_LIMIT: return "time limit reached";
        case IPM_CANCELLED: return "cancelled";
        case IPM_NUMERICAL: return "numerical difficulties";
    }
    return "unknown status";
}

static int fail(char *msg, int len, int code, const char *fmt, const char *field, long index, double value) {
    if (msg && len > 0) snprintf(msg, (size_t)len, fmt, field, index, value);
    return code;
}

static double infinite_as_inf(double v) {
    if (v >= IPM_INFTY) return INFINITY;
    if (v <= -IPM_INFTY) return -INFINITY;
    return v;
}

/* CSC pattern and values: sorted rows in [lo_row(j), nrows), finite values. */
static int check_csc(int ncols, int nrows, const int *p, const int *i, const double *x, int lower, const char *name, int code, char *msg,
                     int len) {
    if (!p || p[0] != 0) return fail(msg, len, code, "%s: column pointers must start at 0 (index %ld, value %g)", name, 0, p ? p[0] : NAN);
    for (int j = 0; j < ncols; j++) {
        if (p[j + 1] < p[j]) return fail(msg, len, code, "%s: column pointers decrease at column %ld (%g)", name, j, p[j + 1]);
        if (p[j + 1] > p[j] && (!i || !x)) return fail(msg, len, code, "%s: missing row indices or values (column %ld, %g)", name, j, 0);
        for (int k = p[j]; k < p[j + 1]; k++) {
            const int r = i[k];
            if (r < (lower ? j : 0) || r >= nrows)
                return fail(msg, len, code, "%s: row index out of range at entry %ld (row %g)", name, k, r);
            if (k > p[j] && r <= i[k - 1])
                return fail(msg, len, code, "%s: row indices not strictly increasing at entry %ld (row %g)", name, k, r);
            if (!isfinite(x[k])) return fail(msg, len, code, "%s: value not finite at entry %ld (%g)", name, k, x[k]);
        }
    }
    return IPM_OK;
}

static int check_sides(int count, const double *lo, const double *hi, const char *lname, const char *hname, char *msg, int len) {
    for (int k = 0; k < count; k++) {
        const double a = lo ? infinite_as_inf(lo[k]) : -INFINITY, b = hi ? infinite_as_inf(hi[k]) : INFINITY;
        if (a != a) return fail(msg, len, IPM_ERR_INVALID_BOUNDS, "%s: NaN at index %ld (%g)", lname, k, a);
        if (b != b) return fail(msg, len, IPM_ERR_INVALID_BOUNDS, "%s: NaN at index %ld (%g)", hname, k, b);
        if (a == INFINITY) return fail(msg, len, IPM_ERR_INVALID_BOUNDS, "%s: +Infinity at index %ld (%g)", lname, k, a);
        if (b == -INFINITY) return fail(msg, len, IPM_ERR_INVALID_BOUNDS, "%s: -Infinity at index %ld (%g)", hname, k, b);
        if (a > b) return fail(msg, len, IPM_ERR_INVALID_BOUNDS, "%s: above the upper side at index %ld (%g)", lname, k, a);
    }
    return IPM_OK;
}

int ipm_check_problem(const IpmProblem *prob, char *msg, int len) {
    if (msg && len > 0) msg[0] = 0;
    if (!prob) return fail(msg, len, IPM_ERR_INVALID_ARGUMENT, "%s: NULL (%ld, %g)", "problem", 0, 0);
    if (prob->n < 1 || prob->m < 0 || (long)prob->n + prob->m > INT_MAX / 2)
        return fail(msg, len, IPM_ERR_INVALID_DIMENSION, "%s: n = %ld, m = %g out of range", "problem", prob->n, prob->m);
    int err;
    if (prob->Pp && (err = check_csc(prob->n, prob->n, prob->Pp, prob->Pi, prob->Px, 1, "P", IPM_ERR_INVALID_P, msg, len))) return err;
    if (prob->m > 0 || prob->Ap) {
        if (!prob->Ap) return fail(msg, len, IPM_ERR_INVALID_A, "%s: missing although m = %ld (%g)", "A", prob->m, 0);
        if ((err = check_csc(prob->n, prob->m, prob->Ap, prob->Ai, prob->Ax, 0, "A", IPM_ERR_INVALID_A, msg, len))) return err;
    }
    if (prob->q) {
        for (int j = 0; j < prob->n; j++) {
            if (!isfinite(prob->q[j])) return fail(msg, len, IPM_ERR_INVALID_Q, "%s: not finite at index %ld (%g)", "q", j, prob->q[j]);
        }
    }
    if ((err = check_sides(prob->m, prob->l, prob->u, "l", "u", msg, len))) return err;
    return check_sides(prob->n, prob->lb, prob->ub, "lb", "ub", msg, len);
}

int ipm_check_settings(const IpmSettings *s, char *msg, int len) {
    if (msg && len > 0) msg[0] = 0;
    if (!s) return fail(msg, len, IPM_ERR_INVALID_ARGUMENT, "%s: NULL (%ld, %g)", "settings", 0, 0);
#define IPM_CHECK(cond, field, value)                                                                                                      \
    if (!(cond)) return fail(msg, len, IPM_ERR_INVALID_SETTINGS, "settings.%s = %.0ld%g is out of range", field, 0, value)
    IPM_CHECK(s->eps_abs >= 0 && isfinite(s->eps_abs), "eps_abs", s->eps_abs);
    IPM_CHECK(s->eps_rel >= 0 && isfinite(s->eps_rel), "eps_rel", s->eps_rel);
    IPM_CHECK(s->eps_abs > 0 || s->eps_rel > 0, "eps_abs", s->eps_abs);
    IPM_CHECK(s->eps_inf > 0 && s->eps_inf < 1, "eps_inf", s->eps_inf);
    IPM_CHECK(s->max_iter >= 1, "max_iter", (double)s->max_iter);
    IPM_CHECK(s->time_limit == s->time_limit, "time_limit", s->time_limit);
    IPM_CHECK(s->scaling >= 0 && s->scaling <= 100, "scaling", (double)s->scaling);
    IPM_CHECK(s->rho_init > 0 && s->rho_init <= 1e6, "rho_init", s->rho_init);
    IPM_CHECK(s->delta_init > 0 && s->delta_init <= 1e6, "delta_init", s->delta_init);
    IPM_CHECK(s->reg_min > 0 && s->reg_min <= s->rho_init && s->reg_min <= s->delta_init, "reg_min", s->reg_min);
    IPM_CHECK(s->refine_iter >= 0 && s->refine_iter <= 100, "refine_iter", (double)s->refine_iter);
    IPM_CHECK(s->normal_equations >= -1 && s->normal_equations <= 1, "normal_equations", (double)s->normal_equations);
    IPM_CHECK(s->centrality_correctors >= 0 && s->centrality_correctors <= 10, "centrality_correctors", (double)s->centrality_correctors);
#undef IPM_CHECK
    return IPM_OK;
}

void ipm_free_workspace(IpmWorkspace *w) {
    if (!w) return;
    void *arrays[] = {w->own_pattern[0],
                      w->own_pattern[1],
                      w->own_pattern[2],
                      w->own_pattern[3],
                      w->own_Px,
                      w->q,
                      w->own_Ax,
                      w->l,
                      w->u,
                      w->lb,
                      w->ub,
                      w->Dx,
                      w->Er,
                      w->con_index,
                      w->con_kind,
                      w->x,
                      w->y,
                      w->zb,
                      w->sl,
                      w->su,
                      w->zl,
                      w->zu,
                      w->t,
                      w->rd,
                      w->rhs,
                      w->Dc,
                      w->dzl,
                      w->dzu,
                      w->cl,
                      w->cu,
                      w->work_n,
                      w->work_m,
                      w->own_backup[0],
                      w->own_backup[1],
                      w->prim_cert,
                      w->dual_cert,
                      w->H,
                      w->rpos,
                      w->pair_at};
    for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++) free(arrays[k]);
    if (!w->outputs_borrowed) {
        free(w->xo);
        free(w->yo);
        free(w->zo);
    }
    linsys_ldl_free(w->ldl);
    free(w);
}

void ipm_cleanup(IpmWorkspace *w) { ipm_free_workspace(w); }

/* ---- equilibration ----------------------------------------------------- */

static double clamp_norm(double v) {
    if (v < 1e-4) return 1.0; /* an empty or tiny column/row is left alone */
    return v > 1e4 ? 1e4 : v;
}

/* Equilibration of the data as given (Ruiz on [P A'; A 0], then the cost): the factors
 * Dx, Er and cost, applied to q and the sides in place and to P and A where used.  With
 * `ruiz` 0 the Ruiz factors are kept (they depend on P and A alone: an update of q or the
 * sides gives the factors a fresh setup would) and only the cost is found again. */
static void equilibrate(IpmWorkspace *w, int ruiz) {
    const int n = w->n, m = w->m;
    double *cn = w->work_n, *rn = w->work_m;
    double *Dx = w->Dx, *Er = w->Er;
    if (!ruiz) goto cost;
    for (int j = 0; j < n; j++) Dx[j] = 1;
    for (int i = 0; i < m; i++) Er[i] = 1;
    w->cost = 1;
    for (int pass = 0; pass < w->settings.scaling; pass++) {
        for (int j = 0; j < n; j++) cn[j] = 0;
        for (int i = 0; i < m; i++) rn[i] = 0;
        for (int j = 0; j < n; j++) {
            for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++) {
                const int i = w->Pi[k];
                const double a = fabs(Dx[i] * w->Px[k] * Dx[j]);
                if (a > cn[j]) cn[j] = a;
                if (a > cn[i]) cn[i] = a;
            }
            for (int k = w->Ap[j]; k < w->Ap[j + 1]; k++) {
                const int i = w->Ai[k];
                const double a = fabs(Er[i] * w->Ax[k] * Dx[j]);
                if (a > cn[j]) cn[j] = a;
                if (a > rn[i]) rn[i] = a;
            }
        }
        int unit = 1; /* every factor exactly 1: the later passes would change nothing */
        for (int j = 0; j < n; j++) {
            const double f = 1 / sqrt(clamp_norm(cn[j]));
            unit &= f == 1;
            Dx[j] *= f;
        }
        for (int i = 0; i < m; i++) {
            const double f = 1 / sqrt(clamp_norm(rn[i]));
            unit &= f == 1;
            Er[i] *= f;
        }
        if (unit) break;
    }
cost:;
    /* cost: bring the larger of the mean column norm of P and |q|_inf near 1 */
    double pmean = 0, qmax = 0;
    for (int j = 0; j < n; j++) cn[j] = 0;
    for (int j = 0; j < n; j++) {
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++) {
            const int i = w->Pi[k];
            const double a = fabs(Dx[i] * w->Px[k] * Dx[j]);
            if (a > cn[j]) cn[j] = a;
            if (a > cn[i]) cn[i] = a;
        }
    }
    for (int j = 0; j < n; j++) {
        pmean += cn[j] / n;
        const double a = fabs(w->q[j] * Dx[j]);
        if (a > qmax) qmax = a;
    }
    if (w->settings.scaling > 0) {
        double c = pmean > qmax ? pmean : qmax;
        c = clamp_norm(c);
        w->cost = 1 / c;
    }
    for (int j = 0; j < n; j++) {
        w->q[j] *= w->cost * Dx[j];
        if (!w->lb) continue;
        w->lb[j] /= Dx[j];
        w->ub[j] /= Dx[j];
    }
    for (int i = 0; i < m; i++) {
        w->l[i] *= Er[i];
        w->u[i] *= Er[i];
    }
}

/* Back to the values as given (before an update keeps some of them). */
static void unscale(IpmWorkspace *w) {
    const int n = w->n, m = w->m;
    for (int j = 0; j < n; j++) {
        w->q[j] /= w->cost * w->Dx[j];
        if (!w->lb) continue;
        w->lb[j] *= w->Dx[j];
        w->ub[j] *= w->Dx[j];
    }
    for (int i = 0; i < m; i++) {
        w->l[i] /= w->Er[i];
        w->u[i] /= w->Er[i];
    }
}

/* The user's values (NULL: keep what the workspace holds, unscaled first); P and A
 * copied, or borrowed with IPM_BORROW_MATRICES. */
static void copy_values(IpmWorkspace *w, const double *Px, const double *q, const double *Ax, const double *l, const double *u,
                        const double *lb, const double *ub, int first) {
    const int n = w->n, m = w->m;
    if (Px && w->borrowed)
        w->Px = Px;
    else if (Px)
        memcpy(w->own_Px, Px, (size_t)w->Pp[n] * sizeof(double));
    if (Ax && w->borrowed)
        w->Ax = Ax;
    else if (Ax)
        memcpy(w->own_Ax, Ax, (size_t)w->Ap[n] * sizeof(double));
    if (q)
        memcpy(w->q, q, (size_t)n * sizeof(double));
    else if (first)
        memset(w->q, 0, (size_t)n * sizeof(double));
    for (int i = 0; i < m; i++) {
        if (l || first) w->l[i] = l ? infinite_as_inf(l[i]) : -INFINITY;
        if (u || first) w->u[i] = u ? infinite_as_inf(u[i]) : INFINITY;
    }
    for (int j = 0; j < n && w->lb; j++) {
        if (lb || first) w->lb[j] = lb ? infinite_as_inf(lb[j]) : -INFINITY;
        if (ub || first) w->ub[j] = ub ? infinite_as_inf(ub[j]) : INFINITY;
    }
}

/* Has v (size count, NULL: none) a finite entry? */
static int any_finite(const double *v, int count) {
    for (int k = 0; v && k < count; k++)
        if (isfinite(infinite_as_inf(v[k]))) return 1;
    return 0;
}

static unsigned char kind_of(double lo, double hi) {
    if (lo == hi) return IPM_EQUALITY;
    return (unsigned char)((lo > -INFINITY ? IPM_SIDE_LOWER : 0) | (hi < INFINITY ? IPM_SIDE_UPPER : 0));
}

/* Constraint list from the (scaled) sides; with `check`, only verifies it is unchanged. */
static int build_constraints(IpmWorkspace *w, int check) {
    int k = 0, sides = 0;
    for (int pass = 0; pass < 2; pass++) {
        const int count = pass == 0 ? w->m : w->lb ? w->n : 0;
        const double *lo = pass == 0 ? w->l : w->lb, *hi = pass == 0 ? w->u : w->ub;
        for (int i = 0; i < count; i++) {
            const unsigned char kind = kind_of(lo[i], hi[i]);
            if (!kind) continue;
            if (check) {
                if (k >= w->mc || w->con_index[k] != i || w->con_kind[k] != kind) return IPM_ERR_STRUCTURE;
            } else {
                w->con_index[k] = i;
                w->con_kind[k] = kind;
            }
            sides += !!(kind & IPM_SIDE_LOWER) + !!(kind & IPM_SIDE_UPPER);
            k++;
        }
        if (pass == 0) {
            if (check && k != w->mr) return IPM_ERR_STRUCTURE;
            w->mr = k;
        }
    }
    if (check && k != w->mc) return IPM_ERR_STRUCTURE;
    w->mc = k;
    w->nsides = sides;
    return IPM_OK;
}

/* ---- the convexity test -------------------------------------------------- */

/* P (scaled) + eps I must factor with n positive pivots.  A negative diagonal
 * entry already proves P indefinite; a diagonal P needs nothing more. */
static int check_convexity(IpmWorkspace *w) {
    const int n = w->n;
    int offdiag = 0;
    double dmax = 0;
    for (int j = 0; j < n; j++) {
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++) {
            if (w->Pi[k] != j)
                offdiag = 1;
            else {
                const double v = ipm_p_scaled(w, k, j, j);
                if (v < 0) return IPM_ERR_NONCVX;
                if (v > dmax) dmax = v;
            }
        }
    }
    if (!offdiag) return IPM_OK;
    /* upper pattern of P + diagonal: the transpose of the lower triangle */
    const int nnz = w->Pp[n];
    int *Up = (int *)calloc((size_t)n + 1, sizeof(int));
    int *Ui = (int *)malloc(((size_t)nnz + n + 1) * sizeof(int));
    double *Ux = (double *)malloc(((size_t)nnz + n + 1) * sizeof(double));
    int *next = (int *)malloc(((size_t)n + 1) * sizeof(int));
    int err = IPM_OK;
    if (!Up || !Ui || !Ux || !next) {
        err = IPM_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (int j = 0; j < n; j++) {
        Up[j + 1]++; /* diagonal */
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++)
            if (w->Pi[k] != j) Up[w->Pi[k] + 1]++;
    }
    for (int j = 0; j < n; j++) Up[j + 1] += Up[j];
    memcpy(next, Up, (size_t)n * sizeof(int));
    /* PSD to 1e-4 relative: Maros-Meszaros VALUES has lambda_min = -1.2e-6 lambda_max
       from rounding in its file, and every solver treats it as convex. dmax = 0 with an
       off-diagonal entry is indefinite (a PSD matrix with P_jj = 0 has row j zero): the
       factorisation then meets a zero or negative pivot. */
    const double eps = 1e-4 * dmax; /* relative: the cost scaling must not change the verdict */
    /* the strictly lower entries, transposed into the columns of the upper triangle; then
       each column's diagonal (P_jj + eps) last, after its rows < j */
    for (int j = 0; j < n; j++)
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++)
            if (w->Pi[k] != j) {
                const int at = next[w->Pi[k]]++;
                Ui[at] = j;
                Ux[at] = ipm_p_scaled(w, k, w->Pi[k], j);
            }
    for (int j = 0; j < n; j++) {
        double diag = eps;
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++)
            if (w->Pi[k] == j) diag += ipm_p_scaled(w, k, j, j);
        Ui[next[j]] = j;
        Ux[next[j]] = diag;
    }
    LinsysLdl *ldl = NULL;
    const int status = linsys_ldl_analyze(&ldl, n, Up, Ui);
    if (status != LINSYS_OK) {
        err = status == LINSYS_ERR_OUT_OF_MEMORY ? IPM_ERR_OUT_OF_MEMORY : IPM_ERR_FACTORIZATION;
        goto done;
    }
    if (linsys_ldl_factor(ldl, Ux) != LINSYS_OK || linsys_ldl_positive_pivots(ldl) != n) {
        err = IPM_ERR_NONCVX;
    }
    linsys_ldl_free(ldl);
done:
    free(Up);
    free(Ui);
    free(Ux);
    free(next);
    return err;
}

/* ---- the KKT pattern ----------------------------------------------------- */

/* K's upper triangle: columns j < n hold tril(P)' and the diagonal; column n + r holds
 * row con_index[r] of A and the diagonal.  K_src: the entry of Px (columns < n) or Ax
 * (columns >= n) each entry comes from, -1 for a diagonal.  Built when needed (setup,
 * update) and freed: the workspace keeps K only as the factorisation's values. */
static int kkt_pattern(const IpmWorkspace *w, int **Kp_out, int **Ki_out, int **K_src_out) {
    const int n = w->n, N = w->N, m = w->m, annz = w->Ap[n];
    /* rows of A as columns of A' (At), with the index of each entry in Ax */
    int *Atp = (int *)calloc((size_t)m + 1, sizeof(int));
    int *Ati = (int *)malloc(((size_t)annz + 1) * sizeof(int));
    int *At_src = (int *)malloc(((size_t)annz + 1) * sizeof(int));
    int *next = (int *)malloc(((size_t)(m > n ? m : n) + 1) * sizeof(int));
    int *Kp = NULL, *Ki = NULL, *K_src = NULL;
    int err = IPM_ERR_OUT_OF_MEMORY;
    if (!Atp || !Ati || !At_src || !next) goto done;
    for (int k = 0; k < annz; k++) Atp[w->Ai[k] + 1]++;
    for (int i = 0; i < m; i++) Atp[i + 1] += Atp[i];
    memcpy(next, Atp, (size_t)m * sizeof(int));
    for (int j = 0; j < n; j++) {
        for (int k = w->Ap[j]; k < w->Ap[j + 1]; k++) {
            const int at = next[w->Ai[k]]++;
            Ati[at] = j;
            At_src[at] = k;
        }
    }
    long nnz = (long)N;
    for (int j = 0; j < n; j++)
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++) nnz += w->Pi[k] != j;
    for (int r = 0; r < w->mr; r++) nnz += Atp[w->con_index[r] + 1] - Atp[w->con_index[r]];
    if (nnz > INT_MAX - 1) {
        err = IPM_ERR_FACTORIZATION;
        goto done;
    }
    Kp = (int *)calloc((size_t)N + 1, sizeof(int));
    Ki = (int *)malloc((size_t)nnz * sizeof(int));
    K_src = (int *)malloc((size_t)nnz * sizeof(int));
    if (!Kp || !Ki || !K_src) goto done;
    for (int j = 0; j < n; j++) {
        Kp[j + 1]++;
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++)
            if (w->Pi[k] != j) Kp[w->Pi[k] + 1]++;
    }
    for (int r = 0; r < w->mr; r++) {
        const int i = w->con_index[r];
        Kp[n + r + 1] = Atp[i + 1] - Atp[i] + 1;
    }
    for (int c = 0; c < N; c++) Kp[c + 1] += Kp[c];
    memcpy(next, Kp, (size_t)n * sizeof(int));
    for (int j = 0; j < n; j++) {
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++) {
            if (w->Pi[k] == j) continue;
            const int at = next[w->Pi[k]]++;
            Ki[at] = j;
            K_src[at] = k;
        }
    }
    for (int j = 0; j < n; j++) {
        Ki[next[j]] = j;
        K_src[next[j]] = -1;
    }
    for (int r = 0; r < w->mr; r++) {
        const int i = w->con_index[r];
        int at = Kp[n + r];
        for (int k = Atp[i]; k < Atp[i + 1]; k++, at++) {
            Ki[at] = Ati[k];
            K_src[at] = At_src[k];
        }
        Ki[at] = n + r;
        K_src[at] = -1;
    }
    *Kp_out = Kp;
    *Ki_out = Ki;
    *K_src_out = K_src;
    Kp = Ki = K_src = NULL;
    err = IPM_OK;
done:
    free(Atp);
    free(Ati);
    free(At_src);
    free(next);
    free(Kp);
    free(Ki);
    free(K_src);
    return err;
}

/* The off-diagonal entries of K (scaled P and A) into the factorisation's values; its
 * diagonal is set each iteration. */
static int load_offdiagonal(IpmWorkspace *w, const int *Kp, const int *Ki, const int *K_src) {
    int *at = (int *)malloc(((size_t)Kp[w->N] + 1) * sizeof(int));
    if (!at) return IPM_ERR_OUT_OF_MEMORY;
    if (linsys_ldl_map_pattern(w->ldl, Kp, Ki, at) != LINSYS_OK) {
        free(at);
        return IPM_ERR_OUT_OF_MEMORY;
    }
    double *Cx = linsys_ldl_values(w->ldl);
    for (int c = 0; c < w->N; c++) {
        /* column j < n holds P's row j (its entries lie in columns Ki of P); column n + r
           holds A's row con_index[r] (entries in columns Ki of A) */
        for (int p = Kp[c]; p < Kp[c + 1]; p++) {
            if (K_src[p] < 0) continue;
            Cx[at[p]] = c < w->n ? ipm_p_scaled(w, K_src[p], c, Ki[p]) : ipm_a_scaled(w, K_src[p], w->con_index[c - w->n], Ki[p]);
        }
    }
    free(at);
    return IPM_OK;
}

int ipm_build_kkt_pattern(IpmWorkspace *w) {
    w->N = w->n + w->mr;
    const int normal = ipm_normal_setup(w);
    if (normal) return normal < 0 ? -normal : IPM_OK;
    int *Kp = NULL, *Ki = NULL, *K_src = NULL;
    int err = kkt_pattern(w, &Kp, &Ki, &K_src);
    if (err) return err;
    const int status = linsys_ldl_analyze(&w->ldl, w->N, Kp, Ki);
    if (status != LINSYS_OK) err = status == LINSYS_ERR_OUT_OF_MEMORY ? IPM_ERR_OUT_OF_MEMORY : IPM_ERR_FACTORIZATION;
    if (!err) {
        /* from here on K lives only in the factorisation's own matrix */
        linsys_ldl_drop_pattern(w->ldl);
        err = load_offdiagonal(w, Kp, Ki, K_src);
    }
    if (!err) w->info.factor_nnz = linsys_ldl_factor_nnz(w->ldl);
    free(Kp);
    free(Ki);
    free(K_src);
    return err;
}

int ipm_reload_kkt_values(IpmWorkspace *w) {
    if (w->normal) return IPM_OK; /* S is assembled from the data at every factorisation */
    int *Kp = NULL, *Ki = NULL, *K_src = NULL;
    int err = kkt_pattern(w, &Kp, &Ki, &K_src);
    if (!err) err = load_offdiagonal(w, Kp, Ki, K_src);
    free(Kp);
    free(Ki);
    free(K_src);
    return err;
}

/* ---- setup, update ------------------------------------------------------- */

#define IPM_ALLOC(ptr, count, type)                                                                                                        \
    do {                                                                                                                                   \
        (ptr) = (type *)calloc((size_t)(count) > 0 ? (size_t)(count) : 1, sizeof(type));                                                   \
        if (!(ptr)) goto oom;                                                                                                              \
    } while (0)

int ipm_setup(IpmWorkspace **work, const IpmProblem *prob, const IpmSettings *s) { return ipm_setup_ex(work, prob, s, 0); }

int ipm_setup_ex(IpmWorkspace **work, const IpmProblem *prob, const IpmSettings *s, int flags) {
    if (!work) return IPM_ERR_INVALID_ARGUMENT;
    if (flags & ~IPM_BORROW_MATRICES) return IPM_ERR_INVALID_ARGUMENT;
    *work = NULL;
    const double start = ipm_now();
    int err = ipm_check_problem(prob, NULL, 0);
    if (err) return err;
    IpmSettings settings;
    if (s)
        settings = *s;
    else
        ipm_default_settings(&settings);
    if ((err = ipm_check_settings(&settings, NULL, 0))) return err;

    IpmWorkspace *w = (IpmWorkspace *)calloc(1, sizeof *w);
    if (!w) return IPM_ERR_OUT_OF_MEMORY;
    w->settings = settings;
    const int n = prob->n, m = prob->m;
    w->n = n;
    w->m = m;
    const int pnnz = prob->Pp ? prob->Pp[n] : 0, annz = prob->Ap ? prob->Ap[n] : 0;
    /* a missing P or A is an all-zero pattern of the workspace's own */
    const int borrow = (flags & IPM_BORROW_MATRICES) != 0;
    w->borrowed = borrow;
    if (borrow && prob->Pp)
        w->Px = prob->Px;
    else
        IPM_ALLOC(w->own_Px, pnnz, double);
    if (borrow && prob->Ap)
        w->Ax = prob->Ax;
    else
        IPM_ALLOC(w->own_Ax, annz, double);
    if (w->own_Px) w->Px = w->own_Px;
    if (w->own_Ax) w->Ax = w->own_Ax;
    const int *given[4] = {prob->Pp, prob->Pp ? prob->Pi : NULL, prob->Ap, prob->Ap ? prob->Ai : NULL};
    const long sizes[4] = {(long)n + 1, pnnz, (long)n + 1, annz};
    const int **patterns[4] = {&w->Pp, &w->Pi, &w->Ap, &w->Ai};
    for (int k = 0; k < 4; k++) {
        if (borrow && given[k]) {
            *patterns[k] = given[k];
            continue;
        }
        IPM_ALLOC(w->own_pattern[k], sizes[k], int);
        if (given[k] && sizes[k] > 0) memcpy(w->own_pattern[k], given[k], (size_t)sizes[k] * sizeof(int));
        *patterns[k] = w->own_pattern[k];
    }
    IPM_ALLOC(w->q, n, double);
    IPM_ALLOC(w->l, m, double);
    IPM_ALLOC(w->u, m, double);
    if (any_finite(prob->lb, n) || any_finite(prob->ub, n)) {
        IPM_ALLOC(w->lb, n, double);
        IPM_ALLOC(w->ub, n, double);
    }
    IPM_ALLOC(w->Dx, n, double);
    IPM_ALLOC(w->Er, m, double);
    IPM_ALLOC(w->work_n, n, double);
    IPM_ALLOC(w->work_m, m, double);
    copy_values(w, prob->Pp ? prob->Px : NULL, prob->q, prob->Ap ? prob->Ax : NULL, prob->l, prob->u, prob->lb, prob->ub, 1);
    equilibrate(w, 1);

    IPM_ALLOC(w->con_index, m + n, int);
    IPM_ALLOC(w->con_kind, m + n, unsigned char);
    build_constraints(w, 0);

    if (settings.check_convexity && (err = check_convexity(w))) goto fail;
    if ((err = ipm_build_kkt_pattern(w))) goto fail;

    const int mc = w->mc, N = w->N;
    IPM_ALLOC(w->x, n, double);
    IPM_ALLOC(w->y, m, double);
    if (w->lb) IPM_ALLOC(w->zb, n, double);
    IPM_ALLOC(w->rd, n, double);
    IPM_ALLOC(w->rhs, N, double);
    double **per_con[] = {&w->sl, &w->su, &w->zl, &w->zu, &w->t, &w->Dc, &w->dzl, &w->dzu, &w->cl, &w->cu};
    for (size_t k = 0; k < sizeof per_con / sizeof per_con[0]; k++) IPM_ALLOC(*per_con[k], mc, double);
    if (mc > n) IPM_ALLOC(w->own_backup[0], mc, double);
    if (mc > m) IPM_ALLOC(w->own_backup[1], mc, double);
    w->cl2 = mc > n ? w->own_backup[0] : w->work_n;
    w->cu2 = mc > m ? w->own_backup[1] : w->work_m;
    IPM_ALLOC(w->xo, n, double);
    IPM_ALLOC(w->yo, m, double);
    IPM_ALLOC(w->zo, n, double);
    IPM_ALLOC(w->prim_cert, m + n, double);
    IPM_ALLOC(w->dual_cert, n, double);
    w->info.status = IPM_UNSOLVED;
    w->info.setup_time = ipm_now() - start;
    *work = w;
    return IPM_OK;
oom:
    err = IPM_ERR_OUT_OF_MEMORY;
fail:
    ipm_free_workspace(w);
    return err;
}

int ipm_update(IpmWorkspace *w, const double *Px, const double *q, const double *Ax, const double *l, const double *u, const double *lb,
               const double *ub) {
    if (!w) return IPM_ERR_INVALID_ARGUMENT;
    /* Check the new parts against the workspace's patterns. */
    IpmProblem p = {w->n, w->m, w->Pp, w->Pi, Px ? Px : w->Px, q, w->Ap, w->Ai, Ax ? Ax : w->Ax, l, u, lb, ub};
    int err = ipm_check_problem(&p, NULL, 0);
    if (err) return err;
    /* A new side must not cross the side it keeps (unscaled values). */
    for (int i = 0; i < w->m && (l || u); i++) {
        const double a = l ? infinite_as_inf(l[i]) : w->l[i] / w->Er[i], b = u ? infinite_as_inf(u[i]) : w->u[i] / w->Er[i];
        if (a > b) return IPM_ERR_INVALID_BOUNDS;
    }
    for (int j = 0; j < w->n && (lb || ub); j++) {
        const double a = lb ? infinite_as_inf(lb[j]) : ipm_lb(w, j) * w->Dx[j], b = ub ? infinite_as_inf(ub[j]) : ipm_ub(w, j) * w->Dx[j];
        if (a > b) return IPM_ERR_INVALID_BOUNDS;
    }
    /* Structure: the finite sides must not change. */
    for (int i = 0; i < w->m; i++) {
        const double a = l ? infinite_as_inf(l[i]) : w->l[i], b = u ? infinite_as_inf(u[i]) : w->u[i];
        const double a0 = w->l[i], b0 = w->u[i];
        if (kind_of(a, b) != kind_of(a0, b0) && !(kind_of(a, b) == IPM_EQUALITY && kind_of(a0, b0) == IPM_EQUALITY))
            return IPM_ERR_STRUCTURE;
    }
    for (int j = 0; j < w->n; j++) {
        const double a = lb ? infinite_as_inf(lb[j]) : ipm_lb(w, j), b = ub ? infinite_as_inf(ub[j]) : ipm_ub(w, j);
        if (kind_of(a, b) != kind_of(ipm_lb(w, j), ipm_ub(w, j))) return IPM_ERR_STRUCTURE;
    }
    const double cost = w->cost;
    unscale(w);
    copy_values(w, Px, q, Ax, l, u, lb, ub, 0);
    equilibrate(w, Px || Ax);
    build_constraints(w, 1);
    /* K's off-diagonal entries are cost Dx P Dx and Er A Dx: unchanged unless P, A or the
       cost (which follows |q|) moved */
    if ((Px || Ax || w->cost != cost) && (err = ipm_reload_kkt_values(w))) return err;
    if (w->settings.check_convexity && Px && (err = check_convexity(w))) return err;
    w->info.status = IPM_UNSOLVED;
    return IPM_OK;
}

int ipm_update_settings(IpmWorkspace *w, const IpmSettings *s) {
    if (!w || !s) return IPM_ERR_INVALID_ARGUMENT;
    const int err = ipm_check_settings(s, NULL, 0);
    if (err) return err;
    if (s->scaling != w->settings.scaling || s->normal_equations != w->settings.normal_equations) return IPM_ERR_STRUCTURE;
    w->settings = *s;
    return IPM_OK;
}

int ipm_set_outputs(IpmWorkspace *w, double *x, double *y, double *z) {
    if (!w || !x || !z || (w->m > 0 && !y)) return IPM_ERR_INVALID_ARGUMENT;
    if (!w->outputs_borrowed) {
        free(w->xo);
        free(w->yo);
        free(w->zo);
    }
    w->xo = x;
    w->yo = y; /* m == 0: never written */
    w->zo = z;
    w->outputs_borrowed = 1;
    return IPM_OK;
}

const double *ipm_x(const IpmWorkspace *w) { return w ? w->xo : NULL; }
const double *ipm_y(const IpmWorkspace *w) { return w && w->m > 0 ? w->yo : NULL; }
const double *ipm_z(const IpmWorkspace *w) { return w ? w->zo : NULL; }
const IpmInfo *ipm_info(const IpmWorkspace *w) { return w ? &w->info : NULL; }
const double *ipm_prim_inf_cert(const IpmWorkspace *w) { return w ? w->prim_cert : NULL; }
const double *ipm_dual_inf_cert(const IpmWorkspace *w) { return w ? w->dual_cert : NULL; }
