/* ipm_internal.h: the workspace of diffqp's interior-point solver (private). */
#ifndef DIFFQP_IPM_INTERNAL_H
#define DIFFQP_IPM_INTERNAL_H

#include <math.h>

#include "ipm.h"
#include "linsys.h"

/* A constraint is a row of A or a variable bound with at least one finite side.
 * Rows come first (kkt_row >= 0: their place in the KKT matrix), then bounds. */
enum { IPM_SIDE_LOWER = 1, IPM_SIDE_UPPER = 2, IPM_EQUALITY = 4 };

struct IpmWorkspace {
    IpmSettings settings;
    IpmInfo info;
    int n, m;

    /* data: P (lower CSC), A (CSC); q and the sides scaled */
    /* P and A unscaled: copies, or the caller's (IPM_BORROW_MATRICES); their scaled
       entries are formed where used (ipm_p_scaled, ipm_a_scaled) */
    const int *Pp, *Pi;
    const double *Px;
    double *q;
    const int *Ap, *Ai;
    const double *Ax;
    int *own_pattern[4];     /* what of Pp, Pi, Ap, Ai the workspace allocated      */
    double *own_Px, *own_Ax; /* and of Px, Ax                                       */
    int borrowed;            /* IPM_BORROW_MATRICES                                 */
    double *l, *u, *lb, *ub; /* scaled, +-INFINITY for infinite sides               */
    double *Dx, *Er, cost;   /* x = Dx xs, rows scaled by Er, cost by `cost`         */

    /* constraints: mc in all, mr of them rows */
    int mc, mr;
    int *con_index;          /* row i or variable j                                 */
    unsigned char *con_kind; /* IPM_SIDE_* / IPM_EQUALITY                           */
    int nsides;              /* finite inequality sides (for mu)                     */

    /* KKT: [P + rho I + B, A_K'; A_K, -D_K], order n + mr, held once: in the matrix
       the factorisation reads (linsys_ldl_values).  Its off-diagonal entries (those of P
       and of the rows of A in K) change only with the data; the diagonal every iteration. */
    int N;
    LinsysLdl *ldl;

    /* Normal equations (settings.normal_equations): with P diagonal, x is eliminated and
       ldl factorises S = A_K H^-1 A_K' + D_K (order mr), H the primal block's diagonal.
       Half the memory of K and less work for projections (P = I); see normal_* below. */
    int normal;
    double *H;    /* n: P_jj + rho + the bounds' 1/D, set with S          */
    int *rpos;    /* m: row i -> its place among K's rows, or -1          */
    int *pair_at; /* per pair of K rows sharing a column of A (in column
                     order): its entry in the factorisation's values      */
    long npairs;  /* entries of pair_at */

    /* iterates (scaled) */
    double *x, *y, *zb;        /* y: rows (m), zb: bounds (n), aggregated duals       */
    double *sl, *su, *zl, *zu; /* per constraint: slacks, side duals (an equality's
                                  free dual in zu, its step in dzu)                 */
    double rho, delta;
    int started; /* the iterates hold a starting point                 */

    /* per-iteration work */
    double *t;                   /* constraint values                                   */
    double *rd, *rhs;            /* dual residual (n); KKT right-hand side in, solution out
                                    (its first n entries: the last step dx) */
    double *Dc;                  /* D per constraint                                    */
    double *dzl, *dzu, *cl, *cu; /* side dual steps (the slacks' follow from them);
                                    complementarity residuals                          */
    double *work_n, *work_m;
    double *cl2, *cu2; /* complementarity residuals before a corrector: in
                          work_n / work_m when they fit (those are free from
                          an iteration's residuals to its step), else own    */
    double *own_backup[2];

    /* outputs (unscaled) */
    double *xo, *yo, *zo, *prim_cert, *dual_cert;
    int outputs_borrowed; /* xo, yo, zo are the caller's (ipm_set_outputs)       */
    int certs_written;    /* a certificate array holds values (cleared lazily)   */
};

/* Variable bounds and their aggregated duals: lb, ub, zb are NULL when no variable
 * has a finite bound (a chain of rows needs none of the three n-vectors). */
static inline double ipm_lb(const IpmWorkspace *w, int j) { return w->lb ? w->lb[j] : -INFINITY; }
static inline double ipm_ub(const IpmWorkspace *w, int j) { return w->ub ? w->ub[j] : INFINITY; }
static inline double ipm_zb(const IpmWorkspace *w, int j) { return w->zb ? w->zb[j] : 0; }

/* Entry k of P (row i, column j) and of A, equilibrated: cost Dx P Dx and Er A Dx. */
static inline double ipm_p_scaled(const IpmWorkspace *w, int k, int i, int j) { return w->cost * (w->Dx[i] * w->Px[k] * w->Dx[j]); }
static inline double ipm_a_scaled(const IpmWorkspace *w, int k, int i, int j) { return w->Er[i] * w->Ax[k] * w->Dx[j]; }

/* fmax/fmin without the library call (NaN handling is not needed on these paths) */
static inline double ipm_max(double a, double b) { return a > b ? a : b; }
static inline double ipm_min(double a, double b) { return a < b ? a : b; }
/* r = max(r, v) for a running maximum that keeps a NaN once it has seen one */
static inline double ipm_accmax(double r, double v) { return (v > r || v != v) ? v : r; }

/* ipm_setup.c */
int ipm_build_kkt_pattern(IpmWorkspace *w);
int ipm_reload_kkt_values(IpmWorkspace *w); /* after an update of the data */

/* ipm_normal.c: the normal equations.  setup: 1 chosen and built, 0 not chosen, -error.
   assemble: S from H and d (K's row diagonal, size mr; overwritten with S's), its
   off-diagonal entries too unless only the rows changed.  solve: K's system through S
   (rhs in, solution out, as kkt_solve). */
int ipm_normal_setup(IpmWorkspace *w);
void ipm_normal_assemble(IpmWorkspace *w, double *d, int offdiagonal);
void ipm_normal_solve(IpmWorkspace *w, double *rhs, int refine, double tol);
void ipm_free_workspace(IpmWorkspace *w);

/* ipm_linalg.c: products with the equilibrated P and A */
void ipm_p_mul(const IpmWorkspace *w, const double *x, double *y);      /* y = P x  (size n) */
void ipm_a_mul(const IpmWorkspace *w, const double *x, double *y);      /* y = A x  (size m) */
void ipm_at_mul_add(const IpmWorkspace *w, const double *x, double *y); /* y += A'x (size n) */
double ipm_norm_inf(const double *v, int n);
double ipm_now(void);

#endif
