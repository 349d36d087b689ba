/* admm_solver.c: the API of admm.h: messages, settings and problem checks, setup, the
 * ADMM iteration and the solve loop, warm starts, updates, results.  Residuals,
 * termination, infeasibility tests and rho live in admm_residuals.c, polishing in
 * admm_polish.c; both are called from here and never call back.
 *
 * Iteration (scaled data, per-row step rho_i, relaxation alpha):
 *   solve  [P + sigma I, A'; A, -diag(1/rho)] [xt; nu] = [sigma x - q; z - y/rho]
 *   zt    = z + (nu - y) / rho
 *   x+    = alpha xt + (1 - alpha) x
 *   zr    = alpha zt + (1 - alpha) z
 *   z+    = clip(zr + y/rho, l, u)
 *   y+    = y + rho (zr - z+)
 * Residuals: r_prim = A x - z, r_dual = P x + q + A'y. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admm_internal.h"

/* early polishing (settings.polish_early, docs/ADMM.md): tried once the residuals
 * are near the tolerances (admm_near_solution); after a failed try, again after
 * POLISH_TRIAL_GROWTH times as many iterations more, and at least
 * POLISH_TRIAL_SPACING factorisations' worth of iterations later */
#define POLISH_TRIAL_GROWTH 0.25
#define POLISH_TRIAL_SPACING 4.0

/* ------------------------------------------------------------------------- */
/* Messages                                                                   */
/* ------------------------------------------------------------------------- */
const char *admm_error_message(int code)
{
    static const char *const msgs[ADMM_ERR_COUNT_] = {
        "no error",
        "invalid argument (NULL pointer or non-finite value)",
        "invalid dimension",
        "invalid P (must be the lower triangle, CSC, sorted, finite, in range)",
        "invalid A (CSC, sorted, finite, in range)",
        "invalid q (non-finite entry)",
        "invalid bounds (NaN, l > u, l = +inf or u = -inf)",
        "invalid settings",
        "problem is non-convex (P + sigma I is not positive definite)",
        "KKT factorisation failed",
        "out of memory",
        "update would change the problem structure",
        "setup stopped at its time limit",
        "setup cancelled",
    };
    if (code < 0 || code >= ADMM_ERR_COUNT_) return "unknown error code";
    return msgs[code];
}

const char *admm_status_message(AdmmStatus status)
{
    switch (status) {
    case ADMM_UNSOLVED: return "unsolved";
    case ADMM_SOLVED: return "solved";
    case ADMM_SOLVED_INACCURATE: return "solved inaccurate";
    case ADMM_PRIMAL_INFEASIBLE: return "primal infeasible";
    case ADMM_DUAL_INFEASIBLE: return "dual infeasible";
    case ADMM_MAX_ITER: return "maximum iterations reached";
    case ADMM_TIME_LIMIT: return "time limit reached";
    case ADMM_CANCELLED: return "cancelled";
    case ADMM_NON_CVX: return "problem non-convex";
    case ADMM_FAILED: return "solver failed";
    }
    return "unknown status";
}

static int report(char *msg, int len, int code, const char *fmt, ...)
{
    if (msg && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)len, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ------------------------------------------------------------------------- */
/* Settings and validation                                                    */
/* ------------------------------------------------------------------------- */
void admm_default_settings(AdmmSettings *s)
{
    if (!s) return;
    s->rho = 0.1;
    s->sigma = 1e-6;
    s->alpha = 1.6;
    s->adaptive_rho = 1;
    s->adaptive_rho_tolerance = 5.0;
    s->adaptive_rho_interval = 0;
    s->scaling = 10;
    s->scaled_termination = 0;
    s->gap_termination = 1;
    s->eps_abs = 1e-3;
    s->eps_rel = 1e-3;
    s->eps_prim_inf = 1e-4;
    s->eps_dual_inf = 1e-4;
    s->max_iter = 4000;
    s->time_limit = 0.0;
    s->check_termination = 25;
    s->polish = 0;
    s->polish_early = 1;
    s->delta = 1e-6;
    s->polish_refine_iter = 3;
    s->verbose = 0;
    s->warm_start = 1;
}

int admm_check_settings(const AdmmSettings *s, char *msg, int len)
{
    const int E = ADMM_ERR_INVALID_SETTINGS;
    if (msg && len > 0) msg[0] = '\0';
    if (!s) return report(msg, len, ADMM_ERR_INVALID_ARGUMENT, "settings: NULL");
    if (!(s->rho > 0 && s->rho < HUGE_VAL)) return report(msg, len, E, "settings.rho = %g: must be > 0", s->rho);
    if (!(s->sigma > 0 && s->sigma < HUGE_VAL))
        return report(msg, len, E, "settings.sigma = %g: must be > 0", s->sigma);
    if (!(s->alpha > 0 && s->alpha < 2)) return report(msg, len, E, "settings.alpha = %g: must be in (0, 2)", s->alpha);
    if (!(s->adaptive_rho_tolerance >= 1 && s->adaptive_rho_tolerance < HUGE_VAL))
        return report(msg, len, E, "settings.adaptive_rho_tolerance = %g: must be >= 1", s->adaptive_rho_tolerance);
    if (s->adaptive_rho_interval < 0)
        return report(msg, len, E, "settings.adaptive_rho_interval = %d: must be >= 0", s->adaptive_rho_interval);
    if (s->scaling < 0) return report(msg, len, E, "settings.scaling = %d: must be >= 0", s->scaling);
    if (!(s->eps_abs >= 0 && s->eps_abs < HUGE_VAL))
        return report(msg, len, E, "settings.eps_abs = %g: must be >= 0", s->eps_abs);
    if (!(s->eps_rel >= 0 && s->eps_rel < HUGE_VAL))
        return report(msg, len, E, "settings.eps_rel = %g: must be >= 0", s->eps_rel);
    if (!(s->eps_prim_inf > 0 && s->eps_prim_inf < HUGE_VAL))
        return report(msg, len, E, "settings.eps_prim_inf = %g: must be > 0", s->eps_prim_inf);
    if (!(s->eps_dual_inf > 0 && s->eps_dual_inf < HUGE_VAL))
        return report(msg, len, E, "settings.eps_dual_inf = %g: must be > 0", s->eps_dual_inf);
    if (s->max_iter < 1) return report(msg, len, E, "settings.max_iter = %d: must be >= 1", s->max_iter);
    if (isnan(s->time_limit)) return report(msg, len, E, "settings.time_limit is NaN");
    if (s->check_termination < 0)
        return report(msg, len, E, "settings.check_termination = %d: must be >= 0", s->check_termination);
    if (!(s->delta > 0 && s->delta < HUGE_VAL))
        return report(msg, len, E, "settings.delta = %g: must be > 0", s->delta);
    if (s->polish_refine_iter < 0)
        return report(msg, len, E, "settings.polish_refine_iter = %d: must be >= 0", s->polish_refine_iter);
    return ADMM_OK;
}

static int check_bound_pair(const char *ln, const char *un, const double *lo, const double *hi, int k, char *msg,
                            int len)
{
    double a = lo ? lo[k] : -ADMM_INF, b = hi ? hi[k] : ADMM_INF;
    const int E = ADMM_ERR_INVALID_BOUNDS;
    if (isnan(a)) return report(msg, len, E, "%s[%d] is NaN", ln, k);
    if (isnan(b)) return report(msg, len, E, "%s[%d] is NaN", un, k);
    if (a >= ADMM_INFTY) return report(msg, len, E, "%s[%d] = %g: a lower bound cannot be +infinity", ln, k, a);
    if (b <= -ADMM_INFTY) return report(msg, len, E, "%s[%d] = %g: an upper bound cannot be -infinity", un, k, b);
    if (a > b) return report(msg, len, E, "%s[%d] = %g > %s[%d] = %g", ln, k, a, un, k, b);
    return ADMM_OK;
}

int admm_check_problem(const AdmmProblem *pr, char *msg, int len)
{
    int n, m, j, p;
    if (msg && len > 0) msg[0] = '\0';
    if (!pr) return report(msg, len, ADMM_ERR_INVALID_ARGUMENT, "problem: NULL");
    n = pr->n;
    m = pr->m;
    if (n < 1) return report(msg, len, ADMM_ERR_INVALID_DIMENSION, "n = %d: must be >= 1", n);
    if (m < 0) return report(msg, len, ADMM_ERR_INVALID_DIMENSION, "m = %d: must be >= 0", m);
    if ((long long)m + n > INT_MAX / 2)
        return report(msg, len, ADMM_ERR_INVALID_DIMENSION, "m + n = %lld: too large", (long long)m + n);

    if (pr->Pp) {
        const int E = ADMM_ERR_INVALID_P;
        if (pr->Pp[0] != 0) return report(msg, len, E, "Pp[0] = %d: must be 0", pr->Pp[0]);
        for (j = 0; j < n; j++)
            if (pr->Pp[j + 1] < pr->Pp[j])
                return report(msg, len, E, "Pp[%d] = %d < Pp[%d] = %d", j + 1, pr->Pp[j + 1], j, pr->Pp[j]);
        if (pr->Pp[n] > 0 && (!pr->Pi || !pr->Px))
            return report(msg, len, ADMM_ERR_INVALID_ARGUMENT, "Pi or Px is NULL with Pp[n] = %d", pr->Pp[n]);
        for (j = 0; j < n; j++) {
            for (p = pr->Pp[j]; p < pr->Pp[j + 1]; p++) {
                int i = pr->Pi[p];
                if (i < 0 || i >= n) return report(msg, len, E, "Pi[%d] = %d out of range [0, %d)", p, i, n);
                if (i < j)
                    return report(msg, len, E,
                                  "Pi[%d] = %d in column %d is above the diagonal: give the lower triangle of P", p, i,
                                  j);
                if (p > pr->Pp[j] && i <= pr->Pi[p - 1])
                    return report(msg, len, E, "Pi[%d] = %d in column %d: row indices must be strictly increasing", p,
                                  i, j);
                if (!isfinite(pr->Px[p])) return report(msg, len, E, "Px[%d] = %g is not finite", p, pr->Px[p]);
            }
        }
    }
    if (pr->q) {
        for (j = 0; j < n; j++)
            if (!isfinite(pr->q[j]))
                return report(msg, len, ADMM_ERR_INVALID_Q, "q[%d] = %g is not finite", j, pr->q[j]);
    }
    if (pr->Ap) {
        const int E = ADMM_ERR_INVALID_A;
        if (pr->Ap[0] != 0) return report(msg, len, E, "Ap[0] = %d: must be 0", pr->Ap[0]);
        for (j = 0; j < n; j++)
            if (pr->Ap[j + 1] < pr->Ap[j])
                return report(msg, len, E, "Ap[%d] = %d < Ap[%d] = %d", j + 1, pr->Ap[j + 1], j, pr->Ap[j]);
        if (pr->Ap[n] > 0 && (!pr->Ai || !pr->Ax))
            return report(msg, len, ADMM_ERR_INVALID_ARGUMENT, "Ai or Ax is NULL with Ap[n] = %d", pr->Ap[n]);
        for (j = 0; j < n; j++) {
            for (p = pr->Ap[j]; p < pr->Ap[j + 1]; p++) {
                int i = pr->Ai[p];
                if (i < 0 || i >= m) return report(msg, len, E, "Ai[%d] = %d out of range [0, %d)", p, i, m);
                if (p > pr->Ap[j] && i <= pr->Ai[p - 1])
                    return report(msg, len, E, "Ai[%d] = %d in column %d: row indices must be strictly increasing", p,
                                  i, j);
                if (!isfinite(pr->Ax[p])) return report(msg, len, E, "Ax[%d] = %g is not finite", p, pr->Ax[p]);
            }
        }
    }
    for (j = 0; j < m; j++) {
        int e = check_bound_pair("l", "u", pr->l, pr->u, j, msg, len);
        if (e) return e;
    }
    for (j = 0; j < n; j++) {
        int e = check_bound_pair("lb", "ub", pr->lb, pr->ub, j, msg, len);
        if (e) return e;
    }
    return ADMM_OK;
}

/* ------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* ------------------------------------------------------------------------- */
static double lo_bound(const double *v, int k)
{
    double a = v ? v[k] : -ADMM_INF;
    return a <= -ADMM_INFTY ? -ADMM_INF : a;
}

static double hi_bound(const double *v, int k)
{
    double a = v ? v[k] : ADMM_INF;
    return a >= ADMM_INFTY ? ADMM_INF : a;
}

static void *xcalloc(size_t count, size_t size) { return calloc(count > 0 ? count : 1, size); }

/* ------------------------------------------------------------------------- */
/* Setup and cleanup                                                          */
/* ------------------------------------------------------------------------- */
void admm_cleanup(AdmmWorkspace *w)
{
    if (!w) return;
    admm_kkt_free(w->kkt);
    free(w->bvar);
    free(w->brow);
    free(w->Pp);
    free(w->Pi);
    free(w->Px);
    free(w->q);
    free(w->Ap);
    free(w->Ai);
    free(w->Ax);
    free(w->ATp);
    free(w->ATi);
    free(w->ATx);
    free(w->l);
    free(w->u);
    free(w->D);
    free(w->Dinv);
    free(w->E);
    free(w->Einv);
    free(w->rho_vec);
    free(w->rho_inv);
    free(w->rtype);
    free(w->bdiag);
    free(w->x);
    free(w->z);
    free(w->y);
    free(w->xp);
    free(w->zp);
    free(w->yp);
    free(w->rhs);
    free(w->Axv);
    free(w->Pxv);
    free(w->ATyv);
    free(w->wn);
    free(w->wn2);
    free(w->wm);
    free(w->xs);
    free(w->ys);
    free(w->zs);
    free(w->pcert);
    free(w->dcert);
    free(w);
}

int admm_stop_reason(const AdmmStop *st)
{
    if (!st) return 0;
    if ((st->cancel && *st->cancel) || (st->should_stop && st->should_stop(st->data))) return ADMM_CANCELLED;
    if (st->deadline < ADMM_INF && admm_now() > st->deadline) return ADMM_TIME_LIMIT;
    return 0;
}

static int stop_error(int reason) { return reason == ADMM_TIME_LIMIT ? ADMM_ERR_TIME_LIMIT : ADMM_ERR_CANCELLED; }

int admm_setup(AdmmWorkspace **work, const AdmmProblem *pr, const AdmmSettings *s_in)
{
    return admm_setup_cb(work, pr, s_in, 0.0, NULL, NULL);
}

int admm_setup_cb(AdmmWorkspace **work, const AdmmProblem *pr, const AdmmSettings *s_in, double time_limit,
                  AdmmStopCallback should_stop, void *data)
{
    double t0 = admm_now();
    AdmmWorkspace *w;
    AdmmStop st;
    int n, m, nb = 0, mt, j, i, p, err, nnzA, nnzP, stop;
    size_t zn, zm;

    if (!work) return ADMM_ERR_INVALID_ARGUMENT;
    *work = NULL;
    if (isnan(time_limit)) return ADMM_ERR_INVALID_ARGUMENT;
    st.deadline = time_limit > 0 ? t0 + time_limit : ADMM_INF;
    st.cancel = NULL;
    st.should_stop = should_stop;
    st.data = data;
    if ((stop = admm_stop_reason(&st)) != 0) return stop_error(stop);
    err = admm_check_problem(pr, NULL, 0);
    if (err) return err;
    if ((stop = admm_stop_reason(&st)) != 0) return stop_error(stop);
    w = (AdmmWorkspace *)calloc(1, sizeof(AdmmWorkspace));
    if (!w) return ADMM_ERR_OUT_OF_MEMORY;
    if (s_in)
        w->set = *s_in;
    else
        admm_default_settings(&w->set);
    err = admm_check_settings(&w->set, NULL, 0);
    if (err) {
        free(w);
        return err;
    }

    n = pr->n;
    m = pr->m;
    for (j = 0; j < n; j++)
        if (lo_bound(pr->lb, j) > -ADMM_INF || hi_bound(pr->ub, j) < ADMM_INF) nb++;
    mt = m + nb;
    nnzA = pr->Ap ? pr->Ap[n] : 0;
    nnzP = (pr->Pp && pr->Pp[n] > 0) ? pr->Pp[n] : 0;
    if ((long long)nnzA + nb > INT_MAX) {
        free(w);
        return ADMM_ERR_INVALID_DIMENSION;
    }
    w->n = n;
    w->m = m;
    w->nb = nb;
    w->mt = mt;
    zn = (size_t)n;
    zm = (size_t)mt;

    err = ADMM_ERR_OUT_OF_MEMORY;
    w->bvar = (int *)xcalloc((size_t)nb, sizeof(int));
    w->brow = (int *)xcalloc(zn, sizeof(int));
    w->q = (double *)xcalloc(zn, sizeof(double));
    w->Ap = (int *)xcalloc(zn + 1, sizeof(int));
    w->Ai = (int *)xcalloc((size_t)nnzA + nb, sizeof(int));
    w->Ax = (double *)xcalloc((size_t)nnzA + nb, sizeof(double));
    w->l = (double *)xcalloc(zm, sizeof(double));
    w->u = (double *)xcalloc(zm, sizeof(double));
    w->D = (double *)xcalloc(zn, sizeof(double));
    w->Dinv = (double *)xcalloc(zn, sizeof(double));
    w->E = (double *)xcalloc(zm, sizeof(double));
    w->Einv = (double *)xcalloc(zm, sizeof(double));
    w->rho_vec = (double *)xcalloc(zm, sizeof(double));
    w->rho_inv = (double *)xcalloc(zm, sizeof(double));
    w->rtype = (int *)xcalloc(zm, sizeof(int));
    w->bdiag = (double *)xcalloc(zm, sizeof(double));
    w->x = (double *)xcalloc(zn, sizeof(double));
    w->xp = (double *)xcalloc(zn, sizeof(double));
    w->z = (double *)xcalloc(zm, sizeof(double));
    w->zp = (double *)xcalloc(zm, sizeof(double));
    w->y = (double *)xcalloc(zm, sizeof(double));
    w->yp = (double *)xcalloc(zm, sizeof(double));
    w->rhs = (double *)xcalloc(zn + zm, sizeof(double));
    w->Axv = (double *)xcalloc(zm, sizeof(double));
    w->Pxv = (double *)xcalloc(zn, sizeof(double));
    w->ATyv = (double *)xcalloc(zn, sizeof(double));
    w->wn = (double *)xcalloc(zn + zm, sizeof(double));
    w->wn2 = (double *)xcalloc(zn, sizeof(double));
    w->wm = (double *)xcalloc(zm, sizeof(double));
    w->xs = (double *)xcalloc(zn, sizeof(double));
    w->ys = (double *)xcalloc((size_t)m, sizeof(double));
    w->zs = (double *)xcalloc(zn, sizeof(double));
    w->pcert = (double *)xcalloc((size_t)m + zn, sizeof(double));
    w->dcert = (double *)xcalloc(zn, sizeof(double));
    if (!w->bvar || !w->brow || !w->q || !w->Ap || !w->Ai || !w->Ax || !w->l || !w->u || !w->D || !w->Dinv || !w->E ||
        !w->Einv || !w->rho_vec || !w->rho_inv || !w->rtype || !w->bdiag || !w->x || !w->xp || !w->z || !w->zp ||
        !w->y || !w->yp || !w->rhs || !w->Axv || !w->Pxv || !w->ATyv || !w->wn || !w->wn2 || !w->wm || !w->xs ||
        !w->ys || !w->zs || !w->pcert || !w->dcert)
        goto fail;

    /* P: upper triangle = transpose of the given lower triangle */
    if (nnzP > 0) {
        if (admm_csc_transpose(n, n, pr->Pp, pr->Pi, pr->Px, &w->Pp, &w->Pi, &w->Px)) goto fail;
    } else {
        w->Pp = (int *)xcalloc(zn + 1, sizeof(int));
        w->Pi = (int *)xcalloc(1, sizeof(int));
        w->Px = (double *)xcalloc(1, sizeof(double));
        if (!w->Pp || !w->Pi || !w->Px) goto fail;
    }
    if (pr->q) memcpy(w->q, pr->q, zn * sizeof(double));

    /* A with one identity row appended per bounded variable */
    {
        int k = 0, e = 0;
        for (j = 0; j < n; j++) {
            w->brow[j] = -1;
            if (lo_bound(pr->lb, j) > -ADMM_INF || hi_bound(pr->ub, j) < ADMM_INF) {
                w->bvar[k] = j;
                w->brow[j] = m + k;
                k++;
            }
        }
        for (j = 0; j < n; j++) {
            w->Ap[j] = e;
            if (pr->Ap) {
                for (p = pr->Ap[j]; p < pr->Ap[j + 1]; p++) {
                    w->Ai[e] = pr->Ai[p];
                    w->Ax[e] = pr->Ax[p];
                    e++;
                }
            }
            if (w->brow[j] >= 0) {
                w->Ai[e] = w->brow[j];
                w->Ax[e] = 1.0;
                e++;
            }
        }
        w->Ap[n] = e;
    }
    for (i = 0; i < m; i++) {
        w->l[i] = lo_bound(pr->l, i);
        w->u[i] = hi_bound(pr->u, i);
    }
    for (i = 0; i < nb; i++) {
        w->l[m + i] = lo_bound(pr->lb, w->bvar[i]);
        w->u[m + i] = hi_bound(pr->ub, w->bvar[i]);
    }

    /* scaling */
    stop =
        admm_ruiz(n, mt, w->Pp, w->Pi, w->Px, w->q, w->Ap, w->Ai, w->Ax, w->set.scaling, w->D, w->E, &w->c, w->wn, &st);
    if (stop) goto stopped;
    w->cinv = 1.0 / w->c;
    for (j = 0; j < n; j++) w->Dinv[j] = 1.0 / w->D[j];
    for (i = 0; i < mt; i++) {
        w->Einv[i] = 1.0 / w->E[i];
        w->l[i] *= w->E[i];
        w->u[i] *= w->E[i];
    }
    if (admm_csc_transpose(mt, n, w->Ap, w->Ai, w->Ax, &w->ATp, &w->ATi, &w->ATx)) goto fail;
    if ((stop = admm_stop_reason(&st)) != 0) goto stopped;

    /* step sizes and factorisation */
    w->rho = w->set.rho;
    for (i = 0; i < mt; i++) w->rtype[i] = -2;
    admm_set_rho_vec(w);
    err =
        admm_kkt_analyze(&w->kkt, n, w->Pp, w->Pi, w->Px, w->set.sigma, mt, w->ATp, w->ATi, w->ATx, mt, NULL, w->bdiag);
    if (err) goto fail;
    if ((stop = admm_stop_reason(&st)) != 0) goto stopped;
    /* a factorisation that cannot end in time even at a rate no machine of today
     * reaches is not started: it could not be interrupted */
    if (st.deadline < ADMM_INF && admm_kkt_factor_flops(w->kkt) > (st.deadline - admm_now()) * ADMM_FLOPS_CEILING) {
        stop = ADMM_TIME_LIMIT;
        goto stopped;
    }
    err = admm_kkt_refactor(w->kkt, w->set.sigma, NULL);
    if (err) goto fail;
    if ((stop = admm_stop_reason(&st)) != 0) goto stopped;
    admm_rho_interval(w);

    w->info.status = ADMM_UNSOLVED;
    w->info.rho = w->rho;
    w->info.rho_estimate = w->rho;
    w->info.obj_val = ADMM_NAN;
    w->info.prim_res = w->info.dual_res = w->info.gap = ADMM_NAN;
    w->info.setup_time = admm_now() - t0;
    *work = w;
    return ADMM_OK;

stopped:
    err = stop_error(stop);
fail:
    admm_cleanup(w);
    return err;
}

/* ------------------------------------------------------------------------- */
/* Iteration                                                                  */
/* ------------------------------------------------------------------------- */
static void swap_ptr(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

static void admm_iterate(AdmmWorkspace *w)
{
    int n = w->n, mt = w->mt, i;
    double sigma = w->set.sigma, alpha = w->set.alpha, beta = 1.0 - alpha;
    double *rhs = w->rhs;
    const double *xp = w->xp, *zp = w->zp, *yp = w->yp;
    for (i = 0; i < n; i++) rhs[i] = sigma * xp[i] - w->q[i];
    for (i = 0; i < mt; i++) rhs[n + i] = zp[i] - w->rho_inv[i] * yp[i];
    admm_kkt_solve(w->kkt, rhs);
    for (i = 0; i < n; i++) w->x[i] = alpha * rhs[i] + beta * xp[i];
    for (i = 0; i < mt; i++) {
        double ri = w->rho_inv[i];
        double zt = zp[i] + ri * (rhs[n + i] - yp[i]);
        double zr = alpha * zt + beta * zp[i];
        double v = zr + ri * yp[i];
        double zn = admm_clip(v, w->l[i], w->u[i]);
        /* y+ = y + rho (zr - z+) = rho (v - z+): written this way it is exactly 0
         * on unclipped rows and has the sign of the active side otherwise */
        w->y[i] = w->rho_vec[i] * (v - zn);
        w->z[i] = zn;
    }
}

/* ------------------------------------------------------------------------- */
/* Solve                                                                      */
/* ------------------------------------------------------------------------- */
static void print_header(const AdmmWorkspace *w)
{
    printf("admm (diffqp): n = %d, m = %d (+%d bound rows), nnz(P) = %d, nnz(A) = %d\n", w->n, w->m, w->nb, w->Pp[w->n],
           w->Ap[w->n]);
    printf("  rho = %.2e, sigma = %.2e, alpha = %.2f, eps_abs = %.1e, eps_rel = %.1e, scaling = %d, "
           "rho interval = %d\n",
           w->rho, w->set.sigma, w->set.alpha, w->set.eps_abs, w->set.eps_rel, w->set.scaling, w->interval);
    printf("  setup %.3es, KKT: n + m = %d, %.2e flops per factorisation, %.2e per solve\n", w->info.setup_time,
           w->n + w->mt, admm_kkt_factor_flops(w->kkt), admm_kkt_solve_flops(w->kkt));
    printf("%6s %14s %10s %10s %10s %10s\n", "iter", "objective", "prim res", "dual res", "rho", "time");
}

static double scaled_objective(const AdmmWorkspace *w, const double *x)
{
    /* uses w->Pxv = P x if fresh; recompute to be safe */
    int i;
    double s = 0.0;
    admm_sym_matvec(w->n, w->Pp, w->Pi, w->Px, x, w->wn2);
    for (i = 0; i < w->n; i++) s += x[i] * (0.5 * w->wn2[i] + w->q[i]);
    return s * w->cinv;
}

/* The solve behind admm_solve and admm_solve_cb: stops when *cancel is non-zero
 * or should_stop(data) returns non-zero (either may be NULL). */
static int solve_impl(AdmmWorkspace *w, volatile const int *cancel, AdmmStopCallback should_stop, void *data)
{
    double t0 = admm_now();
    int n, m, mt, k, i, status = ADMM_UNSOLVED, polished = 0, next_trial;
    double trial_spacing;
    AdmmResiduals res;
    AdmmStop st;
    const AdmmSettings *s;

    if (!w) return ADMM_ERR_INVALID_ARGUMENT;
    s = &w->set;
    st.deadline = s->time_limit > 0 ? t0 + s->time_limit : ADMM_INF;
    st.cancel = cancel;
    st.should_stop = should_stop;
    st.data = data;
    n = w->n;
    m = w->m;
    mt = w->mt;
    w->info.iter = 0;
    w->info.rho_updates = 0;
    w->info.polish_status = 0;
    w->info.polish_time = 0.0;
    memset(&res, 0, sizeof(res));
    for (i = 0; i < m + n; i++) w->pcert[i] = 0.0;
    for (i = 0; i < n; i++) w->dcert[i] = 0.0;
    if ((!s->warm_start || w->reset_next) && !w->warm_pending) {
        memset(w->x, 0, (size_t)n * sizeof(double));
        if (mt > 0) {
            memset(w->z, 0, (size_t)mt * sizeof(double));
            memset(w->y, 0, (size_t)mt * sizeof(double));
        }
    }
    w->warm_pending = 0;
    w->reset_next = 0;
    if (s->verbose) print_header(w);
    /* early polishing: its cost (a few factorisations of the reduced KKT matrix)
     * stays a fraction of the iteration's */
    next_trial = 0;
    trial_spacing = POLISH_TRIAL_SPACING * admm_factor_in_iterations(w);

    for (k = 1; k <= s->max_iter; k++) {
        int check, adapt;
        if ((status = admm_stop_reason(&st)) != 0) break;
        swap_ptr(&w->x, &w->xp);
        swap_ptr(&w->z, &w->zp);
        swap_ptr(&w->y, &w->yp);
        admm_iterate(w);
        w->info.iter = k;
        check = s->check_termination > 0 && k % s->check_termination == 0;
        adapt = w->interval > 0 && k % w->interval == 0;
        if (check || adapt) {
            admm_compute_residuals(w, w->x, w->z, w->y, &res);
            w->info.rho_estimate = admm_estimate_rho(w, &res);
            if (s->verbose)
                printf("%6d %14.6e %10.2e %10.2e %10.2e %9.2es\n", k, scaled_objective(w, w->x), res.rp, res.rd, w->rho,
                       admm_now() - t0);
        }
        if (check) {
            if (admm_converged(w, &res, 1.0)) {
                status = ADMM_SOLVED;
                break;
            }
            if (admm_primal_infeasible(w)) {
                status = ADMM_PRIMAL_INFEASIBLE;
                break;
            }
            if (admm_dual_infeasible(w)) {
                status = ADMM_DUAL_INFEASIBLE;
                break;
            }
            if (s->polish && s->polish_early && k >= next_trial && admm_near_solution(w, &res)) {
                double tp = admm_now();
                int ok = admm_polish(w, &st, 1);
                w->info.polish_time += admm_now() - tp;
                if (s->verbose) printf("%6d polish tried: %s\n", k, ok == 1 ? "solved" : "not yet");
                if (ok == 1) {
                    status = ADMM_SOLVED;
                    polished = 1;
                    break;
                }
                next_trial = k + (int)fmin(fmax(POLISH_TRIAL_GROWTH * k, trial_spacing), (double)INT_MAX / 2);
            }
        }
        if (adapt) {
            int e = admm_adapt_rho(w, w->info.rho_estimate);
            if (e) {
                status = e == ADMM_ERR_NONCVX ? ADMM_NON_CVX : ADMM_FAILED;
                break;
            }
        }
    }
    if (status == ADMM_UNSOLVED) status = ADMM_MAX_ITER;
    if ((status == ADMM_MAX_ITER || status == ADMM_TIME_LIMIT) && w->info.iter > 0) {
        admm_compute_residuals(w, w->x, w->z, w->y, &res);
        w->info.rho_estimate = admm_estimate_rho(w, &res);
        if (admm_converged(w, &res, 1.0))
            status = ADMM_SOLVED;
        else if (admm_converged(w, &res, 10.0))
            status = ADMM_SOLVED_INACCURATE;
    }

    /* polishing; also tried after max_iter, where an exact solve on the guessed
     * active set may still meet the tolerances */
    if (polished) {
        w->info.polish_status = 1;
    } else if (s->polish && (status == ADMM_SOLVED || status == ADMM_SOLVED_INACCURATE || status == ADMM_MAX_ITER)) {
        double tp = admm_now();
        /* a solved iterate is only ever replaced by a solution */
        w->info.polish_status = admm_polish(w, &st, status == ADMM_SOLVED);
        if (w->info.polish_status == 1 && status != ADMM_SOLVED) {
            admm_compute_residuals(w, w->x, w->z, w->y, &res);
            if (admm_converged(w, &res, 1.0))
                status = ADMM_SOLVED;
            else if (admm_converged(w, &res, 10.0))
                status = ADMM_SOLVED_INACCURATE;
        }
        w->info.polish_time += admm_now() - tp;
    }

    /* results in the user's units */
    w->info.status = (AdmmStatus)status;
    if (status == ADMM_PRIMAL_INFEASIBLE || status == ADMM_DUAL_INFEASIBLE || status == ADMM_NON_CVX ||
        status == ADMM_FAILED) {
        for (i = 0; i < n; i++) w->xs[i] = w->zs[i] = ADMM_NAN;
        for (i = 0; i < m; i++) w->ys[i] = ADMM_NAN;
        w->info.obj_val = status == ADMM_PRIMAL_INFEASIBLE ? ADMM_INF
                          : status == ADMM_DUAL_INFEASIBLE ? -ADMM_INF
                                                           : ADMM_NAN;
        w->info.prim_res = w->info.dual_res = w->info.gap = ADMM_NAN;
        w->reset_next = 1; /* diverged iterates make a poor starting point */
    } else {
        for (i = 0; i < n; i++) {
            int r = w->brow[i];
            w->xs[i] = w->D[i] * w->x[i];
            w->zs[i] = r >= 0 ? w->E[r] * w->y[r] * w->cinv : 0.0;
        }
        for (i = 0; i < m; i++) w->ys[i] = w->E[i] * w->y[i] * w->cinv;
        w->info.obj_val = scaled_objective(w, w->x);
        admm_solution_measures(w, w->x, w->y, &w->info.prim_res, &w->info.dual_res, &w->info.gap);
    }
    w->info.rho = w->rho;
    w->info.solve_time = admm_now() - t0;
    if (s->verbose) {
        printf("status: %s, iterations: %d, rho updates: %d, polish: %d\n", admm_status_message(w->info.status),
               w->info.iter, w->info.rho_updates, w->info.polish_status);
        printf("objective: %.10e, prim res %.2e, dual res %.2e, gap %.2e, time %.3es\n", w->info.obj_val,
               w->info.prim_res, w->info.dual_res, w->info.gap, w->info.solve_time);
    }
    return ADMM_OK;
}

int admm_solve(AdmmWorkspace *w, volatile const int *cancel) { return solve_impl(w, cancel, NULL, NULL); }

int admm_solve_cb(AdmmWorkspace *w, AdmmStopCallback should_stop, void *data)
{
    return solve_impl(w, NULL, should_stop, data);
}

/* ------------------------------------------------------------------------- */
/* Accessors                                                                  */
/* ------------------------------------------------------------------------- */
const double *admm_x(const AdmmWorkspace *w) { return w ? w->xs : NULL; }
const double *admm_y(const AdmmWorkspace *w) { return (w && w->m > 0) ? w->ys : NULL; }
const double *admm_z(const AdmmWorkspace *w) { return w ? w->zs : NULL; }
const AdmmInfo *admm_info(const AdmmWorkspace *w) { return w ? &w->info : NULL; }
const double *admm_prim_inf_cert(const AdmmWorkspace *w) { return w ? w->pcert : NULL; }
const double *admm_dual_inf_cert(const AdmmWorkspace *w) { return w ? w->dcert : NULL; }

void admm_dims(const AdmmWorkspace *w, int *n, int *m)
{
    if (n) *n = w ? w->n : 0;
    if (m) *m = w ? w->m : 0;
}

/* ------------------------------------------------------------------------- */
/* Warm start and updates                                                     */
/* ------------------------------------------------------------------------- */
static int all_finite(int n, const double *v)
{
    int i;
    if (!v) return 1;
    for (i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

int admm_warm_start(AdmmWorkspace *w, const double *x0, const double *y0, const double *z0)
{
    int n, m, i;
    if (!w) return ADMM_ERR_INVALID_ARGUMENT;
    n = w->n;
    m = w->m;
    if (!all_finite(n, x0) || !all_finite(m, y0) || !all_finite(n, z0)) return ADMM_ERR_INVALID_ARGUMENT;
    if (x0) {
        for (i = 0; i < n; i++) w->x[i] = w->Dinv[i] * x0[i];
        admm_csc_matvec(w->mt, n, w->Ap, w->Ai, w->Ax, w->x, w->z);
        for (i = 0; i < w->mt; i++) w->z[i] = admm_clip(w->z[i], w->l[i], w->u[i]);
    }
    if (y0) {
        for (i = 0; i < m; i++) w->y[i] = w->c * w->Einv[i] * y0[i];
    }
    if (z0) {
        for (i = 0; i < w->nb; i++) w->y[m + i] = w->c * w->Einv[m + i] * z0[w->bvar[i]];
    }
    w->warm_pending = 1;
    return ADMM_OK;
}

int admm_update_q(AdmmWorkspace *w, const double *q)
{
    int i;
    if (!w || !q) return ADMM_ERR_INVALID_ARGUMENT;
    if (!all_finite(w->n, q)) return ADMM_ERR_INVALID_Q;
    for (i = 0; i < w->n; i++) w->q[i] = w->c * w->D[i] * q[i];
    return ADMM_OK;
}

int admm_update_bounds(AdmmWorkspace *w, const double *l, const double *u, const double *lb, const double *ub)
{
    int n, m, mt, i, err;
    double *nl, *nu;
    if (!w) return ADMM_ERR_INVALID_ARGUMENT;
    n = w->n;
    m = w->m;
    mt = w->mt;
    nl = (double *)xcalloc((size_t)mt, sizeof(double));
    nu = (double *)xcalloc((size_t)mt, sizeof(double));
    if (!nl || !nu) {
        free(nl);
        free(nu);
        return ADMM_ERR_OUT_OF_MEMORY;
    }
    /* current bounds in user units */
    for (i = 0; i < mt; i++) {
        nl[i] = w->l[i] * w->Einv[i];
        nu[i] = w->u[i] * w->Einv[i];
    }
    err = ADMM_OK;
    for (i = 0; i < m && !err; i++) {
        double a = l ? lo_bound(l, i) : nl[i], b = u ? hi_bound(u, i) : nu[i];
        if (isnan(a) || isnan(b) || a >= ADMM_INFTY || b <= -ADMM_INFTY || a > b) err = ADMM_ERR_INVALID_BOUNDS;
        nl[i] = a;
        nu[i] = b;
    }
    for (i = 0; i < n && !err; i++) {
        int r = w->brow[i];
        double a = lb ? lo_bound(lb, i) : (r >= 0 ? nl[r] : -ADMM_INF);
        double b = ub ? hi_bound(ub, i) : (r >= 0 ? nu[r] : ADMM_INF);
        if (isnan(a) || isnan(b) || a >= ADMM_INFTY || b <= -ADMM_INFTY || a > b)
            err = ADMM_ERR_INVALID_BOUNDS;
        else if (r < 0 && (a > -ADMM_INF || b < ADMM_INF))
            err = ADMM_ERR_STRUCTURE;
        else if (r >= 0) {
            nl[r] = a;
            nu[r] = b;
        }
    }
    if (!err) {
        for (i = 0; i < mt; i++) {
            w->l[i] = nl[i] * w->E[i];
            w->u[i] = nu[i] * w->E[i];
        }
        if (admm_set_rho_vec(w)) err = admm_kkt_refactor(w->kkt, w->set.sigma, w->bdiag);
    }
    free(nl);
    free(nu);
    return err;
}

int admm_update_settings(AdmmWorkspace *w, const AdmmSettings *s)
{
    int err;
    if (!w || !s) return ADMM_ERR_INVALID_ARGUMENT;
    err = admm_check_settings(s, NULL, 0);
    if (err) return err;
    if (s->scaling != w->set.scaling) return ADMM_ERR_STRUCTURE;
    if (s->rho != w->set.rho || s->sigma != w->set.sigma) {
        w->set = *s;
        w->rho = s->rho;
        admm_set_rho_vec(w);
        err = admm_kkt_refactor(w->kkt, s->sigma, w->bdiag);
    } else {
        w->set = *s;
    }
    admm_rho_interval(w);
    return err;
}
