/* admm_internal.h: private declarations shared by the admm_*.c files. */
#ifndef DIFFQP_ADMM_INTERNAL_H
#define DIFFQP_ADMM_INTERNAL_H

#include <math.h>

#include "admm.h"
#include "admm_kkt.h"

/* double-typed infinity and NaN (INFINITY and NAN are float constants) */
#define ADMM_INF HUGE_VAL
#define ADMM_NAN ((double)NAN)

/* rho of rows with both bounds infinite, clipping range of the adaptive rule,
 * factor applied to the rho of equality rows */
#define ADMM_RHO_MIN 1e-6
#define ADMM_RHO_MAX 1e6
#define ADMM_RHO_EQ_FACTOR 1e3
/* a row whose scaled range u - l is below this counts as an equality for rho */
#define ADMM_RHO_EQ_TOL 1e-4
/* row kinds */
#define ADMM_ROW_FREE (-1)
#define ADMM_ROW_INEQ 0
#define ADMM_ROW_EQ 1

/* Everything one solver instance owns.  "Scaled" data are
 *   Pbar = c D P D,  qbar = c D q,  Abar = E A D,  lbar = E l,  ubar = E u,
 * and scaled iterates relate to the user's ones by
 *   x = D xbar,  y = E ybar / c,  (A x) = E^-1 (Abar xbar). */
struct AdmmWorkspace {
    int n;     /* variables                                         */
    int m;     /* user rows                                         */
    int nb;    /* appended bound rows                               */
    int mt;    /* m + nb: rows of the internal A                    */
    int *bvar; /* size nb: variable of bound row m+k                */
    int *brow; /* size n: bound row of variable j, or -1            */

    /* scaled data */
    int *Pp, *Pi;
    double *Px; /* upper triangle of Pbar, n-by-n CSC  */
    double *q;  /* size n                              */
    int *Ap, *Ai;
    double *Ax; /* Abar, mt-by-n CSC                   */
    int *ATp, *ATi;
    double *ATx;   /* Abar', n-by-mt CSC (rows of Abar)   */
    double *l, *u; /* size mt, +-INFINITY for no bound    */

    /* scaling */
    double *D, *Dinv; /* size n  */
    double *E, *Einv; /* size mt */
    double c, cinv;

    /* step sizes */
    double rho;                /* scalar rho (inequality rows)        */
    double *rho_vec, *rho_inv; /* size mt                             */
    int *rtype;                /* size mt: ADMM_ROW_*                  */
    double *bdiag;             /* size mt: -1/rho_i, KKT bottom block  */
    AdmmKkt *kkt;
    int interval; /* adaptive rho interval in force      */

    /* iterates (scaled), previous iterates, work */
    double *x, *z, *y, *xp, *zp, *yp;
    double *rhs;              /* size n+mt                           */
    double *Axv, *Pxv, *ATyv; /* mt, n, n                            */
    double *wn, *wn2, *wm;    /* size n + mt (Ruiz work), n, mt      */

    /* outputs (unscaled) */
    double *xs, *ys, *zs;  /* n, m, n                             */
    double *pcert, *dcert; /* m+n, n                              */

    AdmmSettings set;
    AdmmInfo info;
    int warm_pending; /* admm_warm_start called since the last solve       */
    int reset_next;   /* last outcome was an infeasibility/failure: next
                         solve starts from zero unless warm-started       */
};

/* When to stop early (setup or solve): a deadline on admm_now(), an int flag and
 * a callback, any of which may be absent (+inf, NULL, NULL). */
typedef struct {
    double deadline;
    volatile const int *cancel;
    AdmmStopCallback should_stop;
    void *data;
} AdmmStop;

/* ADMM_TIME_LIMIT or ADMM_CANCELLED if it is time to stop, else 0. */
int admm_stop_reason(const AdmmStop *st);

/* Residual summary of one check (see admm_solver.c). */
typedef struct {
    double rp, rp_norm;                      /* primal residual and its relative scale (termination norm) */
    double rd, rd_norm;                      /* dual residual and its relative scale                     */
    double gap, gap_norm;                    /* duality gap (docs/METHODS.md §3) and its relative scale      */
    double rp_s, rp_norm_s, rd_s, rd_norm_s; /* same, on the scaled problem (for rho) */
} AdmmResiduals;

/* ---- admm_linalg.c ------------------------------------------------------- */
double admm_norm_inf(int n, const double *x);
/* max_i |d_i x_i| ; d NULL means ones */
double admm_scaled_norm_inf(int n, const double *d, const double *x);
double admm_dot(int n, const double *x, const double *y);
/* y = P x for symmetric P given by one triangle (n-by-n CSC) */
void admm_sym_matvec(int n, const int *Pp, const int *Pi, const double *Px, const double *x, double *y);
/* y = A x, A m-by-n CSC */
void admm_csc_matvec(int m, int n, const int *Ap, const int *Ai, const double *Ax, const double *x, double *y);
/* y = A' x, A m-by-n CSC (y has size n) */
void admm_csc_tmatvec(int n, const int *Ap, const int *Ai, const double *Ax, const double *x, double *y);
/* B = A' (A m-by-n CSC -> B n-by-m CSC, rows sorted).  Returns 0 or -1 (no memory).
 * *Bp (m+1), *Bi, *Bx are allocated with malloc. */
int admm_csc_transpose(int m, int n, const int *Ap, const int *Ai, const double *Ax, int **Bp, int **Bi, double **Bx);
double admm_clip(double v, double lo, double hi);
double admm_now(void); /* monotonic seconds */

/* ---- admm_scaling.c ------------------------------------------------------ */
/* Ruiz equilibration of (P, q, A) in place; writes D (n), E (mt), *c.
 * work: size n + mt. */
/* Stops between passes when st says so and returns the reason (0: all passes done). */
int admm_ruiz(int n, int mt, const int *Pp, const int *Pi, double *Px, double *q, const int *Ap, const int *Ai,
              double *Ax, int passes, double *D, double *E, double *c, double *work, const AdmmStop *st);

/* ---- admm_residuals.c (called by admm_solver.c and admm_polish.c) -------- */
/* Row classes (free, equality, inequality) and rho_vec, rho_inv and the KKT's bottom
 * diagonal from the scalar w->rho.  Returns 1 if a row changed class. */
int admm_set_rho_vec(AdmmWorkspace *w);
/* How many iterations one numeric factorisation costs (flop counts). */
double admm_factor_in_iterations(const AdmmWorkspace *w);
/* Sets w->interval, the iterations between rho updates. */
void admm_rho_interval(AdmmWorkspace *w);
/* Residuals of scaled iterate (x, z, y); fills w->Axv, w->Pxv, w->ATyv. */
void admm_compute_residuals(AdmmWorkspace *w, const double *x, const double *z, const double *y, AdmmResiduals *r);
int admm_converged(const AdmmWorkspace *w, const AdmmResiduals *r, double factor);
/* Close enough for a guess of the active set (early polishing). */
int admm_near_solution(const AdmmWorkspace *w, const AdmmResiduals *r);
/* Certificates from the last step (y - yp, x - xp); 1 when found, written unscaled. */
int admm_primal_infeasible(AdmmWorkspace *w);
int admm_dual_infeasible(AdmmWorkspace *w);
/* rho from the balance of the scaled residuals; a refactorisation when it moved enough. */
double admm_estimate_rho(const AdmmWorkspace *w, const AdmmResiduals *r);
int admm_adapt_rho(AdmmWorkspace *w, double rho_new);
/* docs/METHODS.md §3 measures of the unscaled solution represented by scaled (x, y). */
void admm_solution_measures(const AdmmWorkspace *w, const double *x, const double *y, double *rp, double *rd,
                            double *gap);

/* ---- admm_polish.c ------------------------------------------------------- */
/* Polish the current scaled iterates w->x, w->z, w->y.  On acceptance they are
 * replaced by the polished ones and 1 is returned; -1 if rejected or failed.
 * Accepted: a candidate no worse than the iterate that, if must_converge, also
 * meets the termination test (a try during the iteration, or after SOLVED).
 * No reduced system is factorised once st says stop (the best so far is kept). */
int admm_polish(AdmmWorkspace *w, const AdmmStop *st, int must_converge);

#endif
