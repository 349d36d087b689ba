/* ipm_solve.c: the iterations.  Notation (all on the equilibrated data):
 *
 * A constraint k has a value t_k (a row of A x, or a variable x_j), sides
 * lo_k <= t_k <= hi_k, and for each finite side of an inequality a slack and a
 * dual: t - hi + su = 0, -t + lo + sl = 0, su, sl, zu, zl >= 0.  Its aggregated
 * dual is y_k = zu - zl (docs/METHODS.md §2 signs); an equality has a free dual.
 *
 * One iteration is one Newton step of the proximal-barrier subproblem centred at
 * the current iterate, so the proximal terms vanish from the residuals and only
 * regularise the matrix: rho on the primal block, delta on every dual block.
 * Eliminating slacks and side duals leaves, per constraint,
 *     dt - D_k dy_k = -rt_k,   D_k = 1 / (sum over sides of 1/d),  d = s/z + delta
 * (D_k = delta for an equality).  Rows stay in the KKT matrix; bounds are
 * eliminated onto its diagonal (1/D_k), so bounds never enlarge it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipm_internal.h"

/* The sides of constraint k (scaled): a row's l, u or a variable's lb, ub. */
static inline double con_lo(const IpmWorkspace *w, int k) { return k < w->mr ? w->l[w->con_index[k]] : w->lb[w->con_index[k]]; }
static inline double con_hi(const IpmWorkspace *w, int k) { return k < w->mr ? w->u[w->con_index[k]] : w->ub[w->con_index[k]]; }

typedef struct {
    double rp, rd, gap; /* unscaled docs/METHODS.md §3 measures                 */
    double sp, sd, sg;  /* their scales, for eps_rel                      */
} Measures;

static double bound_term(double lo, double hi, double mult) {
    if (mult > 0) return hi * mult;
    if (mult < 0) return lo * mult;
    return 0;
}

static double fmax3(double a, double b, double c) { return fmax(a, fmax(b, c)); }

/* rd = P x + q + A'y + zb (scaled), t = constraint values, and the unscaled measures. */
static void residuals(IpmWorkspace *w, Measures *ms) {
    const int n = w->n, m = w->m;
    double *Px = w->work_n, *Ax = w->work_m;
    ipm_p_mul(w, w->x, Px);
    ipm_a_mul(w, w->x, Ax);
    double xPx = 0, qx = 0, bt = 0, rp = 0, rd = 0, sp = 0, sd = 0;
    for (int j = 0; j < n; j++) {
        xPx += w->x[j] * Px[j];
        qx += w->q[j] * w->x[j];
        w->rd[j] = Px[j] + w->q[j] + ipm_zb(w, j);
    }
    ipm_at_mul_add(w, w->y, w->rd);
    for (int j = 0; j < n; j++) {
        const double un = 1 / (w->cost * w->Dx[j]);
        rd = ipm_accmax(rd, fabs(w->rd[j]) * un);
        sd = ipm_accmax(ipm_accmax(ipm_accmax(sd, fabs(Px[j]) * un), fabs(w->q[j]) * un), fabs(ipm_zb(w, j)) * un);
        const double xj = w->x[j] * w->Dx[j];
        sp = ipm_accmax(sp, fabs(xj));
        rp = ipm_accmax(ipm_accmax(rp, xj - ipm_ub(w, j) * w->Dx[j]), ipm_lb(w, j) * w->Dx[j] - xj);
        bt += bound_term(ipm_lb(w, j), ipm_ub(w, j), ipm_zb(w, j));
    }
    for (int i = 0; i < m; i++) {
        const double ax = Ax[i] / w->Er[i];
        sp = ipm_accmax(sp, fabs(ax));
        rp = ipm_accmax(ipm_accmax(rp, ax - w->u[i] / w->Er[i]), w->l[i] / w->Er[i] - ax);
        bt += bound_term(w->l[i], w->u[i], w->y[i]);
    }
    for (int k = 0; k < w->mc; k++) {
        const int i = w->con_index[k];
        w->t[k] = k < w->mr ? Ax[i] : w->x[i];
    }
    ms->rp = rp;
    ms->rd = rd;
    ms->gap = fabs(xPx + qx + bt) / w->cost;
    ms->sp = sp;
    ms->sd = sd; /* A'y is inside rd; its size is bounded by the others near a solution */
    ms->sg = fmax3(fabs(xPx), fabs(qx), fabs(bt)) / w->cost;
}

/* Half the absolute tolerance: the caller re-measures on its own unscaled data,
 * where round-off in large products (|A'y| ~ 1e10) moves the last digits. A
 * twentieth of the relative one: an interior point that only meets a relative gap
 * test sits visibly inside (x = 2 - 2.5e-6 for min x^2/2 - 3x, x <= 2, at 1e-6). */
static int converged(const IpmWorkspace *w, const Measures *ms) {
    const double ea = 0.5 * w->settings.eps_abs, er = 0.05 * w->settings.eps_rel;
    return ms->rp <= ea + er * ms->sp && ms->rd <= ea + er * ms->sd && ms->gap <= ea + er * ms->sg;
}

/* The worst measure over its tolerance (<= 1: converged): ranks iterates. */
static double merit(const IpmWorkspace *w, const Measures *ms) {
    const double ea = 0.5 * w->settings.eps_abs, er = 0.05 * w->settings.eps_rel;
    const double v = fmax(fmax(ms->rp / (ea + er * ms->sp), ms->rd / (ea + er * ms->sd)), ms->gap / (ea + er * ms->sg));
    return v == v ? v : INFINITY;
}

/* The diagonal of K for the current D (Dc) and regularisation (its off-diagonal
 * entries are in place since setup), built in rhs, which is free until the solve.
 * With `newton`, the rows get what the Newton matrix has there instead: -1 / (z/s
 * summed over the sides), 0 for an equality, in place of -D.  Set after the
 * factorisation (which keeps the regularised rows: they steady it), the refinement
 * then corrects the solve towards the unregularised rows, which lets the primal
 * residual reach round-off on problems whose duals are huge (e.g. LISWET); the bound
 * and primal blocks keep their regularisation, where refinement would not converge. */
static void assemble(IpmWorkspace *w, int newton) {
    const int n = w->n;
    double *d = w->rhs;
    for (int j = 0; j < n && !newton; j++) { /* newton: rhs still holds these */
        const int k = w->Pp[j];
        d[j] = (k < w->Pp[j + 1] && w->Pi[k] == j ? ipm_p_scaled(w, k, j, j) : 0) + w->rho; /* rows sorted: P_jj first */
    }
    for (int k = w->mr; k < w->mc && !newton; k++) d[w->con_index[k]] += 1 / w->Dc[k];
    for (int r = 0; r < w->mr; r++) {
        const unsigned char kind = w->con_kind[r];
        double dtrue = 0;
        if (newton && !(kind & IPM_EQUALITY)) {
            double inv = 0;
            if (kind & IPM_SIDE_UPPER) inv += w->zu[r] / w->su[r];
            if (kind & IPM_SIDE_LOWER) inv += w->zl[r] / w->sl[r];
            dtrue = inv > 0 && inv < INFINITY ? 1 / inv : 0;
        }
        d[n + r] = newton ? -dtrue : -w->Dc[r];
    }
    if (w->normal) {
        if (!newton) memcpy(w->H, d, (size_t)n * sizeof(double));
        ipm_normal_assemble(w, d + n, !newton);
        return;
    }
    linsys_ldl_set_diagonal(w->ldl, d);
}

/* Factor K, raising rho and delta until it factors with the inertia of a
 * quasi-definite matrix (n positive pivots).  Returns 0 or -1. */
static int factor(IpmWorkspace *w, void (*set_d)(IpmWorkspace *)) {
    for (int attempt = 0; attempt < 12; attempt++) {
        set_d(w);
        assemble(w, 0);
        const double t0 = ipm_now();
        const int st = linsys_ldl_factor_held(w->ldl);
        w->info.factor_time += ipm_now() - t0;
        /* K quasi-definite: n positive pivots; S positive definite: all of them */
        if (st == LINSYS_OK && linsys_ldl_positive_pivots(w->ldl) == (w->normal ? w->mr : w->n)) {
            if (w->started) assemble(w, 1); /* the values refined against (rhs is untouched since) */
            return 0;
        }
        w->rho = fmin(w->rho * 100, 1e2);
        w->delta = fmin(w->delta * 100, 1e2);
        w->info.refactorizations++;
    }
    return -1;
}

/* D per constraint from the slacks and side duals. */
static void set_d_iterate(IpmWorkspace *w) {
    for (int k = 0; k < w->mc; k++) {
        const unsigned char kind = w->con_kind[k];
        if (kind & IPM_EQUALITY) {
            w->Dc[k] = w->delta;
            continue;
        }
        double inv = 0;
        if (kind & IPM_SIDE_UPPER) inv += 1 / (w->su[k] / w->zu[k] + w->delta);
        if (kind & IPM_SIDE_LOWER) inv += 1 / (w->sl[k] / w->zl[k] + w->delta);
        w->Dc[k] = 1 / inv;
    }
}

static void set_d_unit(IpmWorkspace *w) {
    for (int k = 0; k < w->mc; k++) w->Dc[k] = 1;
}

/* Solve with the factorised (regularised) K, refined towards the values now held
 * (the Newton rows, see assemble): the regularisation steadies the factorisation,
 * the refinement removes its bias from the step where it converges.  rhs in, the
 * solution out (its first n entries are dx until the next solve). */
static void kkt_solve(IpmWorkspace *w) {
    if (w->normal)
        ipm_normal_solve(w, w->rhs, w->settings.refine_iter, 1e-13);
    else
        linsys_ldl_solve_refined_held(w->ldl, w->rhs, w->settings.refine_iter, 1e-13);
}

/* Constraint k's part of the elimination: per side, d = s/z + delta and g = (linear -
 * complementarity residual / z) / d, what the residuals add to the side dual's step;
 * returns rt = D (gu - gl), the right-hand side of its reduced row (t - hi for an
 * equality).  Computed again after the solve rather than stored: five vectors fewer. */
typedef struct {
    double gu, gl, du, dl;
} SideTerms;

static double reduced_residual(const IpmWorkspace *w, int k, SideTerms *st) {
    const unsigned char kind = w->con_kind[k];
    st->gu = st->gl = 0;
    if (kind & IPM_EQUALITY) return w->t[k] - con_hi(w, k);
    if (kind & IPM_SIDE_UPPER) {
        const double ru = w->t[k] - con_hi(w, k) + w->su[k];
        st->du = w->su[k] / w->zu[k] + w->delta;
        st->gu = (ru - w->cu[k] / w->zu[k]) / st->du;
    }
    if (kind & IPM_SIDE_LOWER) {
        const double rl = -w->t[k] + con_lo(w, k) + w->sl[k];
        st->dl = w->sl[k] / w->zl[k] + w->delta;
        st->gl = (rl - w->cl[k] / w->zl[k]) / st->dl;
    }
    return w->Dc[k] * (st->gu - st->gl);
}

/* The Newton direction for the complementarity residuals in cl, cu (per side:
 * z ds + s dz = -rc) and the current linear residuals.  The proximal terms
 * rho (x - xi) and delta (z - nu) vanish: the centres are the current iterate. */
static void direction(IpmWorkspace *w) {
    const int n = w->n;
    for (int j = 0; j < n; j++) w->rhs[j] = -w->rd[j];
    for (int k = 0; k < w->mc; k++) {
        SideTerms st;
        const double rt = reduced_residual(w, k, &st);
        if (k < w->mr)
            w->rhs[n + k] = -rt;
        else
            w->rhs[w->con_index[k]] -= rt / w->Dc[k];
    }
    kkt_solve(w);
    const double *sol = w->rhs;
    for (int k = 0; k < w->mc; k++) {
        const unsigned char kind = w->con_kind[k];
        const int i = w->con_index[k];
        SideTerms st;
        const double rt = reduced_residual(w, k, &st);
        /* For a row, the side duals are taken from the solved dy (dt = D dy - rt, the
           KKT row itself) so that they add up to it exactly: computing them from A dx
           instead would carry the row's solve error times 1/D (up to 1/delta) into y. */
        const double dt = k < w->mr ? w->Dc[k] * sol[n + k] - rt : sol[i];
        w->dzl[k] = w->dzu[k] = 0;
        if (kind & IPM_EQUALITY) {
            /* an equality has no sides: its free dual lives in zu, its step in dzu */
            w->dzu[k] = k < w->mr ? sol[n + k] : (dt + rt) / w->Dc[k];
            continue;
        }
        if (kind & IPM_SIDE_UPPER) w->dzu[k] = dt / st.du + st.gu;
        if (kind & IPM_SIDE_LOWER) w->dzl[k] = -dt / st.dl + st.gl;
    }
}

/* The slack steps, from z ds + s dz = -rc, when they are needed rather than stored
 * (cu, su, zu must be those of the direction: so each use takes them before changing
 * constraint k); 0 for a side the constraint lacks. */
static inline double step_su(const IpmWorkspace *w, int k) {
    return (w->con_kind[k] & IPM_SIDE_UPPER) ? (-w->cu[k] - w->su[k] * w->dzu[k]) / w->zu[k] : 0;
}
static inline double step_sl(const IpmWorkspace *w, int k) {
    return (w->con_kind[k] & IPM_SIDE_LOWER) ? (-w->cl[k] - w->sl[k] * w->dzl[k]) / w->zl[k] : 0;
}

/* Largest steps in (0, 1] keeping slacks (primal) and side duals (dual) >= 0. */
static void max_steps(const IpmWorkspace *w, double *ap, double *ad) {
    double p = 1, d = 1;
    for (int k = 0; k < w->mc; k++) {
        const unsigned char kind = w->con_kind[k];
        /* a slack step has its numerator's sign (z > 0): divide only when it limits */
        if (kind & IPM_SIDE_UPPER) {
            if (-w->cu[k] - w->su[k] * w->dzu[k] < 0) p = ipm_min(p, -w->su[k] / step_su(w, k));
            if (w->dzu[k] < 0) d = ipm_min(d, -w->zu[k] / w->dzu[k]);
        }
        if (kind & IPM_SIDE_LOWER) {
            if (-w->cl[k] - w->sl[k] * w->dzl[k] < 0) p = ipm_min(p, -w->sl[k] / step_sl(w, k));
            if (w->dzl[k] < 0) d = ipm_min(d, -w->zl[k] / w->dzl[k]);
        }
    }
    *ap = p;
    *ad = d;
}

static double complementarity(const IpmWorkspace *w, double ap, double ad) {
    double sum = 0;
    if (ap == 0 && ad == 0) { /* at the iterate itself: no step to form */
        for (int k = 0; k < w->mc; k++) {
            const unsigned char kind = w->con_kind[k];
            if (kind & IPM_SIDE_UPPER) sum += w->su[k] * w->zu[k];
            if (kind & IPM_SIDE_LOWER) sum += w->sl[k] * w->zl[k];
        }
    } else {
        for (int k = 0; k < w->mc; k++) {
            const unsigned char kind = w->con_kind[k];
            if (kind & IPM_SIDE_UPPER) sum += (w->su[k] + ap * step_su(w, k)) * (w->zu[k] + ad * w->dzu[k]);
            if (kind & IPM_SIDE_LOWER) sum += (w->sl[k] + ap * step_sl(w, k)) * (w->zl[k] + ad * w->dzl[k]);
        }
    }
    return w->nsides > 0 ? sum / w->nsides : 0;
}

/* Aggregated duals y (rows) and zb (bounds) from the constraint duals. */
static void aggregate(IpmWorkspace *w) {
    memset(w->y, 0, (size_t)w->m * sizeof(double));
    if (w->zb) memset(w->zb, 0, (size_t)w->n * sizeof(double));
    for (int k = 0; k < w->mc; k++) {
        const double v = w->zu[k] - w->zl[k]; /* an equality's zl is 0 */
        if (k < w->mr)
            w->y[w->con_index[k]] = v;
        else
            w->zb[w->con_index[k]] = v;
    }
}

/* Infinity norm of the scaled constraint residuals (without proximal terms). */
static double primal_linear_residual(const IpmWorkspace *w) {
    double r = 0;
    for (int k = 0; k < w->mc; k++) {
        const unsigned char kind = w->con_kind[k];
        if (kind & IPM_EQUALITY) r = ipm_max(r, fabs(w->t[k] - con_hi(w, k)));
        if (kind & IPM_SIDE_UPPER) r = ipm_max(r, fabs(w->t[k] - con_hi(w, k) + w->su[k]));
        if (kind & IPM_SIDE_LOWER) r = ipm_max(r, fabs(-w->t[k] + con_lo(w, k) + w->sl[k]));
    }
    return r;
}

/* ---- starting point ------------------------------------------------------ */

/* x from the regularised least-squares problem with every constraint pulled to a
 * target (its finite side; 0 clipped into a two-sided range), then slacks
 * s = max(raw, 1) and duals z = 1/s (every product s z = 1). */
static int start(IpmWorkspace *w) {
    const int n = w->n;
    w->rho = w->settings.rho_init;
    w->delta = w->settings.delta_init;
    w->started = 0;
    if (factor(w, set_d_unit)) return -1;
    for (int j = 0; j < n; j++) w->rhs[j] = -w->q[j];
    for (int k = 0; k < w->mc; k++) {
        const double lo = con_lo(w, k), hi = con_hi(w, k);
        double target;
        if (lo > -INFINITY && hi < INFINITY)
            target = fmin(fmax(0, lo), hi);
        else
            target = lo > -INFINITY ? lo : hi;
        if (k < w->mr)
            w->rhs[n + k] = target;
        else
            w->rhs[w->con_index[k]] += target / w->Dc[k];
    }
    kkt_solve(w);
    memcpy(w->x, w->rhs, (size_t)n * sizeof(double));
    Measures ms;
    memset(w->y, 0, (size_t)w->m * sizeof(double));
    if (w->zb) memset(w->zb, 0, (size_t)n * sizeof(double));
    residuals(w, &ms); /* t, and rd at zero duals */
    /* Slacks and duals are sized by the residuals they must absorb (a Newton step
       from z = 1 towards a dual residual of 1e6 is cut to a step of 1e-6); the
       square root keeps well-scaled problems near s z = 1 (measured on MM). */
    double viol = 0;
    for (int k = 0; k < w->mc; k++) {
        if (w->con_kind[k] & IPM_SIDE_UPPER) viol = fmax(viol, w->t[k] - con_hi(w, k));
        if (w->con_kind[k] & IPM_SIDE_LOWER) viol = fmax(viol, con_lo(w, k) - w->t[k]);
    }
    const double theta_p = sqrt(fmax(1, viol)), theta_d = sqrt(fmax(1, ipm_norm_inf(w->rd, n)));
    const double product = theta_p * theta_d;
    for (int k = 0; k < w->mc; k++) {
        const unsigned char kind = w->con_kind[k];
        w->su[k] = w->sl[k] = w->zu[k] = w->zl[k] = 0;
        if (kind & IPM_EQUALITY) {
            w->zu[k] = k < w->mr ? w->rhs[n + k] : w->x[w->con_index[k]] - con_hi(w, k);
            continue;
        }
        if (kind & IPM_SIDE_UPPER) {
            w->su[k] = fmax(con_hi(w, k) - w->t[k], theta_p);
            w->zu[k] = product / w->su[k];
        }
        if (kind & IPM_SIDE_LOWER) {
            w->sl[k] = fmax(w->t[k] - con_lo(w, k), theta_p);
            w->zl[k] = product / w->sl[k];
        }
    }
    aggregate(w);
    w->started = 1;
    return 0;
}

/* ---- infeasibility ------------------------------------------------------- */

/* Is the dual step (dy on rows, dz on bounds, from the constraint steps) a
 * certificate of primal infeasibility?  Writes the unscaled, normalised one. */
static int primal_infeasible(IpmWorkspace *w) {
    const int n = w->n, m = w->m;
    double *dy = w->work_m, *v = w->work_n;
    memset(dy, 0, (size_t)m * sizeof(double));
    memset(v, 0, (size_t)n * sizeof(double));
    double norm = 0;
    for (int k = 0; k < w->mc; k++) {
        const double d = w->dzu[k] - w->dzl[k];
        norm = fmax(norm, fabs(d));
    }
    if (!(norm > 0) || !isfinite(norm)) return 0;
    const double eps = w->settings.eps_inf * norm;
    double support = 0;
    for (int k = 0; k < w->mc; k++) {
        double d = w->dzu[k] - w->dzl[k];
        if ((d > 0 && con_hi(w, k) == INFINITY) || (d < 0 && con_lo(w, k) == -INFINITY)) {
            if (fabs(d) > eps) return 0;
            d = 0;
        }
        support += bound_term(con_lo(w, k), con_hi(w, k), d);
        if (k < w->mr)
            dy[w->con_index[k]] = d;
        else
            v[w->con_index[k]] = d;
    }
    ipm_at_mul_add(w, dy, v); /* v = A'dy + dz */
    const double res = ipm_norm_inf(v, n);
    double x1 = 0;
    for (int j = 0; j < n; j++) x1 += fabs(w->x[j]);
    if (!(res <= eps && support < -eps && res * fmax(1, x1) < -support / 2)) return 0;
    /* unscale: dy_i E_i, dz_j / D_j (dz taken again from the bound constraints); normalise */
    memset(w->prim_cert, 0, (size_t)(m + n) * sizeof(double));
    double cn = 0;
    for (int i = 0; i < m; i++) cn = fmax(cn, fabs(w->prim_cert[i] = dy[i] * w->Er[i]));
    for (int k = w->mr; k < w->mc; k++) {
        double d = w->dzu[k] - w->dzl[k];
        if ((d > 0 && con_hi(w, k) == INFINITY) || (d < 0 && con_lo(w, k) == -INFINITY)) d = 0;
        const int j = w->con_index[k];
        cn = fmax(cn, fabs(w->prim_cert[m + j] = d / w->Dx[j]));
    }
    for (int k = 0; k < m + n; k++) w->prim_cert[k] /= cn;
    w->certs_written = 1;
    return 1;
}

/* Is the primal step dx a certificate of dual infeasibility (P dx ~ 0, q'dx < 0,
 * dx in the recession cone)? */
static int dual_infeasible(IpmWorkspace *w) {
    const int n = w->n, m = w->m;
    const double *dx = w->rhs; /* the last step's, still there */
    const double norm = ipm_norm_inf(dx, n);
    if (!(norm > 0) || !isfinite(norm)) return 0;
    const double eps = w->settings.eps_inf * norm;
    double *Pd = w->work_n, *Ad = w->work_m;
    ipm_p_mul(w, dx, Pd);
    const double pres = ipm_norm_inf(Pd, n);
    double qd = 0;
    for (int j = 0; j < n; j++) qd += w->q[j] * dx[j];
    if (!(pres <= eps && qd < -eps)) return 0;
    ipm_a_mul(w, dx, Ad);
    double viol = 0;
    for (int k = 0; k < w->mc; k++) {
        const int i = w->con_index[k];
        const double d = k < w->mr ? Ad[i] : dx[i];
        if (con_hi(w, k) < INFINITY) viol = fmax(viol, d);
        if (con_lo(w, k) > -INFINITY) viol = fmax(viol, -d);
    }
    if (viol > eps) return 0;
    /* Near a solution of a bounded problem, q'dx ~ -(P x + A'y + z)'dx >= -x'P dx
       - (violation of the cone) |(y, z)|_1: a certificate must beat that bound, with x'P dx
       taken exactly (|x| itself grows without bound along the ray). */
    double xPd = 0, y1 = 0;
    for (int j = 0; j < n; j++) {
        xPd += w->x[j] * Pd[j];
        y1 += fabs(ipm_zb(w, j));
    }
    for (int i = 0; i < m; i++) y1 += fabs(w->y[i]);
    if (!(qd < -2 * (fabs(xPd) + viol * y1))) return 0;
    double cn = 0;
    for (int j = 0; j < n; j++) cn = fmax(cn, fabs(w->dual_cert[j] = dx[j] * w->Dx[j]));
    for (int j = 0; j < n; j++) w->dual_cert[j] /= cn;
    w->certs_written = 1;
    return 1;
}

/* ---- outputs ------------------------------------------------------------- */

static void write_outputs(IpmWorkspace *w, const Measures *ms) {
    const int n = w->n, m = w->m;
    for (int j = 0; j < n; j++) {
        w->xo[j] = w->x[j] * w->Dx[j];
        w->zo[j] = ipm_zb(w, j) / (w->Dx[j] * w->cost);
    }
    for (int i = 0; i < m; i++) w->yo[i] = w->y[i] * w->Er[i] / w->cost;
    double *Px = w->work_n, obj = 0;
    ipm_p_mul(w, w->x, Px);
    for (int j = 0; j < n; j++) obj += w->x[j] * (0.5 * Px[j] + w->q[j]);
    w->info.obj_val = obj / w->cost;
    w->info.prim_res = ms->rp;
    w->info.dual_res = ms->rd;
    w->info.gap = ms->gap;
}

int ipm_solve(IpmWorkspace *w, IpmStopCallback should_stop, void *data) {
    if (!w) return IPM_ERR_INVALID_ARGUMENT;
    const double t0 = ipm_now();
    const IpmSettings *s = &w->settings;
    w->info.iter = 0;
    w->info.factor_time = 0;
    w->info.refactorizations = 0;
    if (w->certs_written) { /* untouched pages cost no memory: clear only when used */
        memset(w->prim_cert, 0, (size_t)(w->m + w->n) * sizeof(double));
        memset(w->dual_cert, 0, (size_t)w->n * sizeof(double));
        w->certs_written = 0;
    }
    IpmStatus status = IPM_MAX_ITER;
    double mu = 0, ap = 0, ad = 0, best_merit = INFINITY;
    Measures ms;
    memset(&ms, 0, sizeof ms);
    if (start(w)) {
        status = IPM_NUMERICAL;
        residuals(w, &ms);
        goto end;
    }
    double mu0 = 0, res0 = 0, mu_prev = 0;
    int best_iter = 0;
    for (int iter = 0;; iter++) {
        residuals(w, &ms);
        w->info.iter = iter;
        mu = complementarity(w, 0, 0);
        const double res = fmax(primal_linear_residual(w), ipm_norm_inf(w->rd, w->n));
        if (iter == 0) {
            mu0 = mu;
            res0 = res;
        } else {
            /* one Newton step per proximal subproblem, recentred at the new iterate;
               the weights shrink as fast as mu does */
            const double rate = mu_prev > 0 ? fmax(0, fmin(1, (mu_prev - mu) / mu_prev)) : 0;
            w->rho = fmax(s->reg_min, w->rho * (1 - rate));
            w->delta = fmax(s->reg_min, w->delta * (1 - rate));
        }
        mu_prev = mu;
        /* keep complementarity from racing ahead of feasibility (a neighbourhood of
           the central path, mu >= 0.1 mu0 |r| / |r0|): that ruins the conditioning */
        double mu_floor = res0 > 0 ? 0.1 * mu0 * res / res0 : 0;
        /* ... but never above what the gap tolerance needs (gap ~ sides * mu / cost):
           residuals stuck at round-off would otherwise hold the gap up */
        if (w->nsides > 0) mu_floor = fmin(mu_floor, 0.1 * (0.5 * s->eps_abs + 0.05 * s->eps_rel * ms.sg) * w->cost / w->nsides);
        if (s->verbose) {
            printf("ipm %3d  rp %9.2e  rd %9.2e  gap %9.2e  mu %9.2e  ap %5.3f ad %5.3f  rho %7.1e delta %7.1e\n", iter, ms.rp, ms.rd,
                   ms.gap, mu, ap, ad, w->rho, w->delta);
        }
        if (converged(w, &ms)) {
            status = IPM_SOLVED;
            break;
        }
        /* Keep the best iterate: near round-off the measures wander, and a later failure
           (a stall, a singular matrix, the iteration limit) then returns it. */
        const double here = merit(w, &ms);
        if (here < best_merit) {
            best_merit = here;
            best_iter = iter;
            write_outputs(w, &ms);
        } else if (iter - best_iter >= 5 && mu < 1e-30 * mu0) {
            /* mu far below any meaning and no progress: a stall (further steps only
               divide by numbers that underflow) */
            status = IPM_NUMERICAL;
            break;
        }
        if (iter > 0) {
            const double ea = s->eps_abs;
            if (ms.rp > ea + s->eps_rel * ms.sp && ad > 0 && primal_infeasible(w)) {
                status = IPM_PRIMAL_INFEASIBLE;
                break;
            }
            if (ms.rd > ea + s->eps_rel * ms.sd && ap > 0 && dual_infeasible(w)) {
                status = IPM_DUAL_INFEASIBLE;
                break;
            }
        }
        if (should_stop && should_stop(data)) {
            status = IPM_CANCELLED;
            break;
        }
        if (s->time_limit > 0 && ipm_now() - t0 > s->time_limit) {
            status = IPM_TIME_LIMIT;
            break;
        }
        if (iter >= s->max_iter) {
            status = IPM_MAX_ITER;
            break;
        }
        if (factor(w, set_d_iterate)) {
            status = IPM_NUMERICAL;
            break;
        }
        /* predictor (affine scaling) */
        for (int k = 0; k < w->mc; k++) {
            w->cu[k] = w->su[k] * w->zu[k];
            w->cl[k] = w->sl[k] * w->zl[k];
        }
        direction(w);
        max_steps(w, &ap, &ad);
        const double mu_aff = complementarity(w, ap, ad);
        const double sigma = mu > 0 ? fmin(1, pow(mu_aff / mu, 3)) : 0;
        const double target = fmin(mu, fmax(sigma * mu, mu_floor));
        /* Mehrotra's corrector */
        for (int k = 0; k < w->mc; k++) {
            const double dsu = step_su(w, k), dsl = step_sl(w, k);
            w->cu[k] += dsu * w->dzu[k] - target;
            w->cl[k] += dsl * w->dzl[k] - target;
        }
        direction(w);
        max_steps(w, &ap, &ad);
        /* Gondzio's centrality correctors: aim at a longer step by pulling the
           products of the trial point into [0.1, 10] target; keep while it pays */
        for (int c = 0; c < w->settings.centrality_correctors && fmin(ap, ad) < 0.9; c++) {
            const double ap_try = fmin(1, 1.5 * ap + 0.1), ad_try = fmin(1, 1.5 * ad + 0.1);
            const double lo = 0.1 * target, hi = 10 * target;
            for (int k = 0; k < w->mc; k++) {
                w->cu2[k] = w->cu[k];
                w->cl2[k] = w->cl[k];
                if (w->con_kind[k] & IPM_SIDE_UPPER) {
                    const double v = (w->su[k] + ap_try * step_su(w, k)) * (w->zu[k] + ad_try * w->dzu[k]);
                    w->cu[k] += v < lo ? v - lo : v > hi ? fmax(v - hi, -hi) : 0;
                }
                if (w->con_kind[k] & IPM_SIDE_LOWER) {
                    const double v = (w->sl[k] + ap_try * step_sl(w, k)) * (w->zl[k] + ad_try * w->dzl[k]);
                    w->cl[k] += v < lo ? v - lo : v > hi ? fmax(v - hi, -hi) : 0;
                }
            }
            direction(w);
            double ap2, ad2;
            max_steps(w, &ap2, &ad2);
            if (fmin(ap2, ad2) >= 1.01 * fmin(ap, ad) + 0.01) {
                ap = ap2;
                ad = ad2;
            } else {
                /* back to the previous direction: solved again rather than kept, which
                   would take six more vectors per constraint */
                for (int k = 0; k < w->mc; k++) {
                    w->cu[k] = w->cu2[k];
                    w->cl[k] = w->cl2[k];
                }
                direction(w);
                max_steps(w, &ap, &ad);
                break;
            }
        }
        /* fraction to the boundary: 0.99, nearer 1 as mu falls, never 1 (a slack or
           dual of exactly 0 turns the next matrix into NaN) */
        const double tau = fmin(fmax(0.99, 1 - mu), 0.9999);
        ap = fmin(1, tau * ap);
        ad = fmin(1, tau * ad);
        for (int j = 0; j < w->n; j++) w->x[j] += ap * w->rhs[j]; /* dx */
        for (int k = 0; k < w->mc; k++) {
            w->su[k] += ap * step_su(w, k); /* before zu, zl move */
            w->sl[k] += ap * step_sl(w, k);
            w->zu[k] += ad * w->dzu[k];
            w->zl[k] += ad * w->dzl[k];
        }
        aggregate(w);
    }
end:
    w->info.status = status;
    w->info.mu = mu;
    w->info.rho = w->rho;
    w->info.delta = w->delta;
    /* solved, infeasible (last iterate, certificates apart) or never better than the start:
       the current iterate; otherwise the best one, written when it was found */
    if (status == IPM_SOLVED || status == IPM_PRIMAL_INFEASIBLE || status == IPM_DUAL_INFEASIBLE || best_merit == INFINITY)
        write_outputs(w, &ms);
    w->info.solve_time = ipm_now() - t0;
    return IPM_OK;
}
