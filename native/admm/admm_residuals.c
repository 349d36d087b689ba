/* admm_residuals.c: what the solve loop measures and decides on (as OSQP's auxiliary
 * module): residuals and the termination test, the infeasibility certificates, the
 * step rho (row classes, its estimate, its updates and their interval), and the
 * unscaled measures of a solution that admm_polish.c judges by. */
#include <math.h>
#include <stddef.h>

#include "admm_internal.h"

#define DIV_TINY 1e-30
/* early polishing is tried once the residuals are within POLISH_TRIAL_FACTOR of the
 * tolerances or POLISH_TRIAL_RELATIVE of the sizes they are measured against */
#define POLISH_TRIAL_FACTOR 1e3
#define POLISH_TRIAL_RELATIVE 1e-3
/* relative round-off of the duality gap (a sum of products of size gap_norm) */
#define GAP_ROUNDOFF 1e-15

/* Classify the rows and set rho_vec, rho_inv and the KKT bottom diagonal from
 * the scalar w->rho.  Returns 1 if a row changed kind. */
int admm_set_rho_vec(AdmmWorkspace *w)
{
    int i, changed = 0;
    for (i = 0; i < w->mt; i++) {
        int t;
        double r;
        if (w->l[i] == -ADMM_INF && w->u[i] == ADMM_INF)
            t = ADMM_ROW_FREE;
        else if (w->u[i] - w->l[i] < ADMM_RHO_EQ_TOL)
            t = ADMM_ROW_EQ;
        else
            t = ADMM_ROW_INEQ;
        if (t != w->rtype[i]) changed = 1;
        w->rtype[i] = t;
        r = t == ADMM_ROW_FREE ? ADMM_RHO_MIN : (t == ADMM_ROW_EQ ? ADMM_RHO_EQ_FACTOR * w->rho : w->rho);
        w->rho_vec[i] = r;
        w->rho_inv[i] = 1.0 / r;
        w->bdiag[i] = -1.0 / r;
    }
    return changed;
}

/* How many ADMM iterations one numeric factorisation of the KKT matrix costs
 * (flop counts: a deterministic stand-in for measured times). */
double admm_factor_in_iterations(const AdmmWorkspace *w)
{
    double per_iter = admm_kkt_solve_flops(w->kkt) + 10.0 * (w->n + w->mt);
    return admm_kkt_factor_flops(w->kkt) / per_iter;
}

void admm_rho_interval(AdmmWorkspace *w)
{
    const AdmmSettings *s = &w->set;
    if (!s->adaptive_rho) {
        w->interval = 0;
        return;
    }
    if (s->adaptive_rho_interval > 0) {
        w->interval = s->adaptive_rho_interval;
        return;
    }
    {
        /* deterministic stand-in for "iterate for a fraction of the setup time":
         * as many iterations as one numeric factorisation costs */
        double ratio = admm_factor_in_iterations(w);
        int ct = s->check_termination > 0 ? s->check_termination : 25;
        int it;
        if (ratio < 25) ratio = 25;
        if (ratio > 1e7) ratio = 1e7;
        it = (int)ceil(ratio);
        it = ((it + ct - 1) / ct) * ct;
        w->interval = it;
    }
}

void admm_compute_residuals(AdmmWorkspace *w, const double *x, const double *z, const double *y, AdmmResiduals *r)
{
    int n = w->n, mt = w->mt, i;
    int st = w->set.scaled_termination;
    double rp_s = 0, rp_u = 0, ax_s = 0, ax_u = 0, zz_s = 0, zz_u = 0;
    double rd_s = 0, rd_u = 0, px_s = 0, px_u = 0, aty_s = 0, aty_u = 0, q_s = 0, q_u = 0;
    double xpx = 0, qx = 0, supp = 0, gn;

    admm_csc_matvec(mt, n, w->Ap, w->Ai, w->Ax, x, w->Axv);
    admm_sym_matvec(n, w->Pp, w->Pi, w->Px, x, w->Pxv);
    admm_csc_tmatvec(n, w->Ap, w->Ai, w->Ax, y, w->ATyv);

    for (i = 0; i < mt; i++) {
        double ei = w->Einv[i];
        double a = fabs(w->Axv[i] - z[i]), b = fabs(w->Axv[i]), c = fabs(z[i]);
        /* y_i is exactly 0 off the bounds (see admm_iterate), so no infinite bound is used */
        if (y[i] > 0)
            supp += w->u[i] * y[i];
        else if (y[i] < 0)
            supp += w->l[i] * y[i];
        if (a > rp_s) rp_s = a;
        if (b > ax_s) ax_s = b;
        if (c > zz_s) zz_s = c;
        if (a * ei > rp_u) rp_u = a * ei;
        if (b * ei > ax_u) ax_u = b * ei;
        if (c * ei > zz_u) zz_u = c * ei;
    }
    for (i = 0; i < n; i++) {
        double di = w->Dinv[i];
        double a = fabs(w->Pxv[i] + w->q[i] + w->ATyv[i]);
        double b = fabs(w->Pxv[i]), c = fabs(w->ATyv[i]), d = fabs(w->q[i]);
        if (a > rd_s) rd_s = a;
        if (b > px_s) px_s = b;
        if (c > aty_s) aty_s = c;
        if (d > q_s) q_s = d;
        xpx += x[i] * w->Pxv[i];
        qx += w->q[i] * x[i];
        if (a * di > rd_u) rd_u = a * di;
        if (b * di > px_u) px_u = b * di;
        if (c * di > aty_u) aty_u = c * di;
        if (d * di > q_u) q_u = d * di;
    }
    r->rp_s = rp_s;
    r->rp_norm_s = ax_s > zz_s ? ax_s : zz_s;
    r->rd_s = rd_s;
    r->rd_norm_s = px_s > aty_s ? px_s : aty_s;
    if (q_s > r->rd_norm_s) r->rd_norm_s = q_s;
    /* the gap is a sum of products x'Px, q'x, u'y: the scaled one is c times the user's */
    gn = fabs(xpx) > fabs(qx) ? fabs(xpx) : fabs(qx);
    if (fabs(supp) > gn) gn = fabs(supp);
    r->gap = fabs(xpx + qx + supp);
    r->gap_norm = gn;
    if (!st) {
        r->gap *= w->cinv;
        r->gap_norm *= w->cinv;
    }
    if (st) {
        r->rp = r->rp_s;
        r->rp_norm = r->rp_norm_s;
        r->rd = r->rd_s;
        r->rd_norm = r->rd_norm_s;
    } else {
        double dn = px_u > aty_u ? px_u : aty_u;
        if (q_u > dn) dn = q_u;
        r->rp = rp_u;
        r->rp_norm = ax_u > zz_u ? ax_u : zz_u;
        r->rd = rd_u * w->cinv;
        r->rd_norm = dn * w->cinv;
    }
}

int admm_converged(const AdmmWorkspace *w, const AdmmResiduals *r, double f)
{
    const AdmmSettings *s = &w->set;
    /* a gap below what double precision resolves at this size counts as closed:
     * |objective| 1e12 cannot show a gap of 1e-6 (docs/METHODS.md §3) */
    double gap_tol = fmax(s->eps_abs + s->eps_rel * r->gap_norm, GAP_ROUNDOFF * r->gap_norm);
    return r->rp <= f * (s->eps_abs + s->eps_rel * r->rp_norm) && r->rd <= f * (s->eps_abs + s->eps_rel * r->rd_norm) &&
           (!s->gap_termination || r->gap <= f * gap_tol);
}

/* Test dy = y - yp as a certificate of primal infeasibility (in unscaled terms
 * unless scaled_termination):  |A'dy|_inf <= eps |dy|_inf  and
 * u'max(dy,0) + l'min(dy,0) < -eps |dy|_inf.  Components that point at an
 * infinite bound are dropped first (they would make the support term infinite). */
int admm_primal_infeasible(AdmmWorkspace *w)
{
    int n = w->n, m = w->m, mt = w->mt, i;
    int st = w->set.scaled_termination;
    double eps = w->set.eps_prim_inf, ndy, nat, supp = 0.0;
    double *dy = w->wm, *atdy = w->wn;
    if (mt == 0) return 0;
    for (i = 0; i < mt; i++) {
        double d = w->y[i] - w->yp[i];
        if ((d > 0 && w->u[i] == ADMM_INF) || (d < 0 && w->l[i] == -ADMM_INF)) d = 0.0;
        dy[i] = d;
    }
    ndy = admm_scaled_norm_inf(mt, st ? NULL : w->E, dy);
    if (!(ndy > DIV_TINY)) return 0;
    for (i = 0; i < mt; i++) {
        if (dy[i] > 0)
            supp += w->u[i] * dy[i];
        else if (dy[i] < 0)
            supp += w->l[i] * dy[i];
    }
    if (!(supp < -eps * ndy)) return 0;
    admm_csc_tmatvec(n, w->Ap, w->Ai, w->Ax, dy, atdy);
    nat = admm_scaled_norm_inf(n, st ? NULL : w->Dinv, atdy);
    if (!(nat <= eps * ndy)) return 0;
    /* certificate in the user's units: dy_user = E dy / c */
    for (i = 0; i < m + n; i++) w->pcert[i] = 0.0;
    for (i = 0; i < m; i++) w->pcert[i] = w->E[i] * dy[i] * w->cinv;
    for (i = 0; i < w->nb; i++) w->pcert[m + w->bvar[i]] = w->E[m + i] * dy[m + i] * w->cinv;
    return 1;
}

/* Test dx = x - xp as a certificate of dual infeasibility:  |P dx| <= eps |dx|,
 * q'dx < -eps |dx|, and A dx in the recession cone of [l, u] up to eps |dx|. */
int admm_dual_infeasible(AdmmWorkspace *w)
{
    int n = w->n, mt = w->mt, i;
    int st = w->set.scaled_termination;
    double eps = w->set.eps_dual_inf, ndx, cc = st ? 1.0 : w->c, t;
    double *dx = w->wn, *pdx = w->wn2, *adx = w->wm;
    for (i = 0; i < n; i++) dx[i] = w->x[i] - w->xp[i];
    ndx = admm_scaled_norm_inf(n, st ? NULL : w->D, dx);
    if (!(ndx > DIV_TINY)) return 0;
    t = eps * ndx;
    if (!(admm_dot(n, w->q, dx) < -cc * t)) return 0;
    admm_sym_matvec(n, w->Pp, w->Pi, w->Px, dx, pdx);
    if (!(admm_scaled_norm_inf(n, st ? NULL : w->Dinv, pdx) <= cc * t)) return 0;
    admm_csc_matvec(mt, n, w->Ap, w->Ai, w->Ax, dx, adx);
    for (i = 0; i < mt; i++) {
        double v = st ? adx[i] : adx[i] * w->Einv[i];
        if (w->u[i] < ADMM_INF && v > t) return 0;
        if (w->l[i] > -ADMM_INF && v < -t) return 0;
    }
    for (i = 0; i < n; i++) w->dcert[i] = w->D[i] * dx[i];
    return 1;
}

double admm_estimate_rho(const AdmmWorkspace *w, const AdmmResiduals *r)
{
    double a = r->rp_s / (r->rp_norm_s + DIV_TINY);
    double b = r->rd_s / (r->rd_norm_s + DIV_TINY);
    double v = w->rho * sqrt(a / (b + DIV_TINY));
    if (!(v == v)) v = w->rho;
    return admm_clip(v, ADMM_RHO_MIN, ADMM_RHO_MAX);
}

int admm_adapt_rho(AdmmWorkspace *w, double rho_new)
{
    double tol = w->set.adaptive_rho_tolerance, rho_old = w->rho;
    int err;
    if (rho_new > w->rho * tol || rho_new < w->rho / tol) {
        w->rho = rho_new;
        admm_set_rho_vec(w);
        w->info.rho_updates++;
        err = admm_kkt_refactor(w->kkt, w->set.sigma, w->bdiag);
        if (err) {
            /* keep a usable factorisation for later solves */
            w->rho = rho_old;
            admm_set_rho_vec(w);
            admm_kkt_refactor(w->kkt, w->set.sigma, w->bdiag);
        }
        return err;
    }
    return 0;
}

void admm_solution_measures(const AdmmWorkspace *w, const double *x, const double *y, double *rp, double *rd,
                            double *gap)
{
    int n = w->n, mt = w->mt, i;
    double *ax = w->wm, *px = w->wn, *aty = w->wn2;
    double p = 0.0, d = 0.0, g = 0.0;
    admm_csc_matvec(mt, n, w->Ap, w->Ai, w->Ax, x, ax);
    admm_sym_matvec(n, w->Pp, w->Pi, w->Px, x, px);
    admm_csc_tmatvec(n, w->Ap, w->Ai, w->Ax, y, aty);
    for (i = 0; i < mt; i++) {
        double v = 0.0;
        if (ax[i] > w->u[i])
            v = ax[i] - w->u[i];
        else if (ax[i] < w->l[i])
            v = w->l[i] - ax[i];
        v *= w->Einv[i];
        if (v > p) p = v;
        if (y[i] > 0)
            g += w->u[i] * y[i];
        else if (y[i] < 0)
            g += w->l[i] * y[i];
    }
    for (i = 0; i < n; i++) {
        double v = fabs(px[i] + w->q[i] + aty[i]) * w->Dinv[i];
        if (v > d) d = v;
        g += x[i] * px[i] + w->q[i] * x[i];
    }
    *rp = p;
    *rd = d * w->cinv;
    *gap = fabs(g) * w->cinv;
}

/* Close enough to a solution for the active set to be worth a guess: the
 * residuals within POLISH_TRIAL_FACTOR of the tolerances, or small relative to
 * the sizes they are measured against (large data: absolute 1e-3 may be far off). */
int admm_near_solution(const AdmmWorkspace *w, const AdmmResiduals *r)
{
    if (admm_converged(w, r, POLISH_TRIAL_FACTOR)) return 1;
    return r->rp <= POLISH_TRIAL_RELATIVE * r->rp_norm && r->rd <= POLISH_TRIAL_RELATIVE * r->rd_norm;
}
