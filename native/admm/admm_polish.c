/* admm_polish.c: solution polishing.
 *
 * From the ADMM iterate (x, z, y), guess the active set: row i is taken at its
 * lower bound when the slack z_i - l_i is smaller than -y_i, at its upper bound
 * when u_i - z_i is smaller than y_i, and always when l_i == u_i.  Then solve
 * the equality-constrained QP on that set,
 *
 *     [ P     A_J' ] [x]   [ -q  ]
 *     [ A_J   0    ] [w] = [ b_J ]
 *
 * by factorising the regularised matrix [P + delta I, A_J'; A_J, -delta I] (AMD +
 * LDL, like the ADMM system) and taking polish_refine_iter + 1 proximal steps
 * from the ADMM iterate (x, y_J): each solves the regularised system for the
 * residual of the exact one.  Where the exact system is singular (a degenerate
 * vertex: more active rows than the solution needs, common in LPs) the steps
 * leave the undetermined part of the multipliers at the iterate's values, which
 * have the right signs; started from zero, that part came out with arbitrary
 * signs and the polish failed (Maros–Meszaros QSHIP*, docs/ADMM.md).
 *
 * A guess made from a low-accuracy iterate is often slightly wrong.  So the
 * guess is corrected a few times, primal-dual active-set style: a row whose
 * multiplier comes out with the wrong sign for its side leaves the set, an
 * inactive row that the new x violates enters it, and the system is solved again
 * (at most POLISH_PASSES solves).  Multipliers of the wrong sign are set to 0
 * in the candidate (the dual residual then shows what that costs).
 *
 * The best candidate (smallest worst-of-three docs/METHODS.md §3 measure: primal
 * residual, dual residual, duality gap) replaces the iterate only if it is not
 * worse in that sense, i.e. if it would count as solved at every tolerance at
 * which the ADMM iterate counts as solved; a candidate that is no worse in each
 * of the three separately is accepted as well.  Where the caller asks
 * (must_converge: a try during the iteration, or after SOLVED), the candidate
 * must also meet the termination test, so a solved iterate is never replaced by
 * one that is not. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admm_internal.h"

/* below this, a measure counts as "exact" and is never a reason to reject */
#define POLISH_FLOOR 1e-12
/* at most this many reduced KKT solves (guess + corrections) */
#define POLISH_PASSES 4

#define SIDE_NONE 0
#define SIDE_LOWER 1
#define SIDE_UPPER 2
#define SIDE_EQ 3

static int not_worse(double after, double before, double floor)
{
    if (!(after == after)) return 0; /* NaN */
    return after <= before || after <= floor;
}

static double max3(double a, double b, double c)
{
    double m = a > b ? a : b;
    return m > c ? m : c;
}

/* Solve the reduced system for the rows with side != SIDE_NONE.
 * Writes x (n) and the raw multipliers into yraw (mt, 0 for inactive rows), and
 * *relres = |rhs - K_exact sol|_inf / (1 + |rhs|_inf) after refinement (large when
 * the exact system is singular or inconsistent).  Returns 0 or an error code. */
static int solve_reduced(AdmmWorkspace *w, const int *side, int *rows, double *bd, double *sol, double *rhs,
                         double *res, double *kx, double *x, double *yraw, double *relres)
{
    int n = w->n, mt = w->mt, nr = 0, N, i, it, err;
    AdmmKkt *kkt = NULL;
    double rn;
    for (i = 0; i < mt; i++) {
        if (side[i] == SIDE_NONE) continue;
        rows[nr] = i;
        bd[nr] = -w->set.delta;
        nr++;
    }
    err = admm_kkt_create(&kkt, n, w->Pp, w->Pi, w->Px, w->set.delta, mt, w->ATp, w->ATi, w->ATx, nr, rows, bd);
    if (err) return err;
    N = n + nr;
    for (i = 0; i < n; i++) rhs[i] = -w->q[i];
    for (i = 0; i < nr; i++) {
        int r = rows[i];
        rhs[n + i] = side[r] == SIDE_UPPER ? w->u[r] : w->l[r];
    }
    /* proximal steps from the ADMM iterate: where the exact system is singular
     * (degenerate vertex, dependent active rows) they keep the part of (x, y) it
     * leaves free at the iterate's value, whose multipliers have the right signs */
    memcpy(sol, w->x, (size_t)n * sizeof(double));
    for (i = 0; i < nr; i++) sol[n + i] = w->y[rows[i]];
    rn = admm_norm_inf(N, rhs);
    for (it = 0;; it++) {
        admm_kkt_matvec_exact(kkt, sol, kx);
        for (i = 0; i < N; i++) res[i] = rhs[i] - kx[i];
        *relres = admm_norm_inf(N, res) / (1.0 + rn);
        if (it > w->set.polish_refine_iter || *relres <= 1e-15) break;
        admm_kkt_solve(kkt, res);
        for (i = 0; i < N; i++) sol[i] += res[i];
    }
    admm_kkt_free(kkt);
    memcpy(x, sol, (size_t)n * sizeof(double));
    for (i = 0; i < mt; i++) yraw[i] = 0.0;
    for (i = 0; i < nr; i++) yraw[rows[i]] = sol[n + i];
    return 0;
}

int admm_polish(AdmmWorkspace *w, const AdmmStop *st, int must_converge)
{
    int n = w->n, mt = w->mt, i, pass, ok = -1;
    size_t zm = (size_t)(mt > 0 ? mt : 1), zN = (size_t)n + zm;
    int *side = (int *)malloc(zm * sizeof(int));
    int *rows = (int *)malloc(zm * sizeof(int));
    double *bd = (double *)malloc(zm * sizeof(double));
    double *sol = (double *)malloc(zN * sizeof(double));
    double *rhs = (double *)malloc(zN * sizeof(double));
    double *res = (double *)malloc(zN * sizeof(double));
    double *kx = (double *)malloc(zN * sizeof(double));
    double *xc = (double *)malloc((size_t)n * sizeof(double));
    double *yc = (double *)malloc(zm * sizeof(double));
    double *ax = (double *)malloc(zm * sizeof(double));
    double *xbest = (double *)malloc((size_t)n * sizeof(double));
    double *ybest = (double *)malloc(zm * sizeof(double));
    double rp0, rd0, g0, best = HUGE_VAL;

    if (!side || !rows || !bd || !sol || !rhs || !res || !kx || !xc || !yc || !ax || !xbest || !ybest) goto done;

    /* initial guess */
    for (i = 0; i < mt; i++) {
        double l = w->l[i], u = w->u[i], z = w->z[i], y = w->y[i];
        int lo, up;
        side[i] = SIDE_NONE;
        if (l == u) {
            side[i] = SIDE_EQ;
            continue;
        }
        lo = l > -ADMM_INF && z - l < -y;
        up = u < ADMM_INF && u - z < y;
        if (lo && up) {
            if (y < 0)
                up = 0;
            else
                lo = 0;
        }
        if (lo)
            side[i] = SIDE_LOWER;
        else if (up)
            side[i] = SIDE_UPPER;
    }
    admm_solution_measures(w, w->x, w->y, &rp0, &rd0, &g0);

    for (pass = 0; pass < POLISH_PASSES; pass++) {
        int changes = 0;
        double ynorm, rp1, rd1, g1, gfloor, relres;
        if (admm_stop_reason(st)) break;
        if (solve_reduced(w, side, rows, bd, sol, rhs, res, kx, xc, yc, &relres)) break;

        /* multipliers of the wrong sign: drop them (and the row, if clearly wrong) */
        ynorm = admm_norm_inf(mt, yc);
        for (i = 0; i < mt; i++) {
            double v = yc[i];
            int wrong = (side[i] == SIDE_LOWER && v > 0) || (side[i] == SIDE_UPPER && v < 0);
            if (!wrong) continue;
            yc[i] = 0.0;
            if (fabs(v) > 1e-10 * (1.0 + ynorm)) {
                side[i] = SIDE_NONE;
                changes++;
            }
        }
        admm_solution_measures(w, xc, yc, &rp1, &rd1, &g1);
        gfloor = POLISH_FLOOR * (1.0 + fabs(admm_dot(n, w->q, xc)) * w->cinv);
#ifdef ADMM_DEBUG_POLISH
        fprintf(stderr, "polish pass %d: admm rp %.2e rd %.2e g %.2e | pol rp %.2e rd %.2e g %.2e relres %.1e\n", pass,
                rp0, rd0, g0, rp1, rd1, g1, relres);
#endif
        if (isfinite(rp1) && isfinite(rd1) && isfinite(g1) && max3(rp1, rd1, g1) < best &&
            ((not_worse(rp1, rp0, POLISH_FLOOR) && not_worse(rd1, rd0, POLISH_FLOOR) && not_worse(g1, g0, gfloor)) ||
             not_worse(max3(rp1, rd1, g1), max3(rp0, rd0, g0), 0.0))) {
            best = max3(rp1, rd1, g1);
            memcpy(xbest, xc, (size_t)n * sizeof(double));
            memcpy(ybest, yc, zm * sizeof(double));
            ok = 1;
        }

        /* a singular or inconsistent reduced system (e.g. an LP guess with the
         * wrong number of active rows): corrections would only chase noise */
        if (relres > 1e-6) break;

        /* inactive rows that x now violates: add them on the violated side */
        admm_csc_matvec(mt, n, w->Ap, w->Ai, w->Ax, xc, ax);
        for (i = 0; i < mt; i++) {
            if (side[i] != SIDE_NONE) continue;
            if (ax[i] > w->u[i] + 1e-10 * (1.0 + fabs(w->u[i]))) {
                side[i] = SIDE_UPPER;
                changes++;
            } else if (ax[i] < w->l[i] - 1e-10 * (1.0 + fabs(w->l[i]))) {
                side[i] = SIDE_LOWER;
                changes++;
            }
        }
        if (changes == 0) break;
    }

    if (ok == 1 && must_converge) {
        AdmmResiduals r;
        admm_csc_matvec(mt, n, w->Ap, w->Ai, w->Ax, xbest, ax);
        for (i = 0; i < mt; i++) ax[i] = admm_clip(ax[i], w->l[i], w->u[i]);
        admm_compute_residuals(w, xbest, ax, ybest, &r);
        if (!admm_converged(w, &r, 1.0)) ok = -1;
    }
    if (ok == 1) {
        memcpy(w->x, xbest, (size_t)n * sizeof(double));
        if (mt > 0) {
            memcpy(w->y, ybest, (size_t)mt * sizeof(double));
            admm_csc_matvec(mt, n, w->Ap, w->Ai, w->Ax, w->x, w->z);
            for (i = 0; i < mt; i++) w->z[i] = admm_clip(w->z[i], w->l[i], w->u[i]);
        }
    }

done:
    free(side);
    free(rows);
    free(bd);
    free(sol);
    free(rhs);
    free(res);
    free(kx);
    free(xc);
    free(yc);
    free(ax);
    free(xbest);
    free(ybest);
    return ok;
}
