/* ========================================================================== */
/* ipm.h: public API of diffqp's proximal interior-point QP solver (C99)       */
/* ========================================================================== */
/*
 * Solves the convex quadratic program (canonical form of docs/METHODS.md §1)
 *
 *     minimize    1/2 x'P x + q'x
 *     subject to  l  <= A x <= u          (A is m-by-n; l_i == u_i: equality)
 *                 lb <=  x  <= ub          (optional variable bounds; lb_j == ub_j: fixed)
 *
 * by an infeasible primal-dual interior-point method combined with the proximal
 * method of multipliers (Pougkakiotis & Gondzio, Comput. Optim. Appl. 2021;
 * Schwan, Jiang, Kuhn & Jones, "PIQP", 2023).  Each iteration is one Newton step
 * on the proximal-barrier subproblem, solved through the quasi-definite matrix
 *
 *     [ P + rho I + diag(bound terms)    A_k'          ]
 *     [ A_k                             -diag(D_k)     ]
 *
 * (one row per row of A with a finite side; variable bounds stay on the
 * diagonal), ordered and analysed once per setup, factorised numerically once
 * per iteration (native/linsys: AMD + LDL'), with a Mehrotra predictor-corrector
 * step and iterative refinement.  No assumption of independent rows or of a
 * strict interior: the proximal terms regularise both.  See docs/IPM.md.
 *
 * Conventions (as admm.h)
 *  - CSC, 0-based, int32 indices, rows strictly increasing within each column.
 *  - P is given by its LOWER triangle; Pp == NULL means P = 0 (an LP).
 *  - Infinite bounds: +-INFINITY, or any |v| >= IPM_INFTY (1e20).
 *  - Duals follow docs/METHODS.md §2:  P x + q + A'y + z = 0, y_i > 0 only at u_i,
 *    y_i < 0 only at l_i, z_j > 0 only at ub_j, z_j < 0 only at lb_j.
 *  - Problem arrays are borrowed during the call that receives them only (but see
 *    IPM_BORROW_MATRICES).
 *  - No global or static mutable state: distinct workspaces may run in
 *    distinct threads at once; one workspace is used by one thread at a time.
 *
 * Typical use:
 *     IpmSettings s;  ipm_default_settings(&s);
 *     IpmWorkspace *w = NULL;
 *     int err = ipm_setup(&w, &prob, &s);
 *     if (!err) err = ipm_solve(w, NULL, NULL);
 *     if (!err && ipm_info(w)->status == IPM_SOLVED) use ipm_x(w), ipm_y(w), ipm_z(w);
 *     ipm_cleanup(w);
 */
#ifndef DIFFQP_IPM_H
#define DIFFQP_IPM_H

#ifdef __cplusplus
extern "C" {
#endif

#define IPM_INFTY 1e20

typedef struct {
    int n;            /* variables, n >= 1                                     */
    int m;            /* rows of A, m >= 0                                     */
    const int *Pp;    /* size n+1: column pointers of tril(P); NULL: P = 0      */
    const int *Pi;    /* size Pp[n]: row indices (>= column), sorted            */
    const double *Px; /* size Pp[n]                                            */
    const double *q;  /* size n; NULL: q = 0                                   */
    const int *Ap;    /* size n+1: column pointers of A; may be NULL if m == 0  */
    const int *Ai;    /* size Ap[n]: row indices in [0, m), sorted              */
    const double *Ax; /* size Ap[n]                                            */
    const double *l;  /* size m; NULL: all -inf                                */
    const double *u;  /* size m; NULL: all +inf                                */
    const double *lb; /* size n; NULL: all -inf                                */
    const double *ub; /* size n; NULL: all +inf                                */
} IpmProblem;

typedef struct {
    double eps_abs;            /* [1e-8]  absolute tolerance on r_p, r_d, r_g (unscaled)     */
    double eps_rel;            /* [0]     relative tolerance (docs/METHODS.md §3 scale)            */
    double eps_inf;            /* [1e-8]  infeasibility certificate tolerance (relative)      */
    int max_iter;              /* [250]   iteration limit, >= 1                               */
    double time_limit;         /* [0]     seconds of ipm_solve; <= 0: none                    */
    int scaling;               /* [10]    Ruiz equilibration passes, >= 0                     */
    double rho_init;           /* [1e-6]  initial primal proximal weight, > 0 (scaled data)   */
    double delta_init;         /* [1e-4]  initial dual proximal weight, > 0                   */
    double reg_min;            /* [1e-13] floor of rho and delta, > 0                         */
    int refine_iter;           /* [4]     iterative refinement steps per linear solve, >= 0   */
    int check_convexity;       /* [1]     reject a P that is not PSD to 1e-4 relative (an LDL' of
                                          P + 1e-4 max(1, max P_jj) I after equilibration)  */
    int centrality_correctors; /* [1] Gondzio correctors per iteration, 0..10      */
    int normal_equations;      /* [-1] with P diagonal and positive, factorise the rows' normal
                                         equations A H^-1 A' + D (x eliminated) instead of the KKT
                                         matrix: -1 when they are the smaller system, 0 never,
                                         1 whenever P allows                              */
    int verbose;               /* [0]     print one line per iteration to stdout              */
} IpmSettings;

void ipm_default_settings(IpmSettings *s);

typedef enum {
    IPM_UNSOLVED = 0,
    IPM_SOLVED = 1,        /* r_p, r_d, r_g within tolerance (unscaled, METHODS §3) */
    IPM_PRIMAL_INFEASIBLE, /* certificate in ipm_prim_inf_cert, verified            */
    IPM_DUAL_INFEASIBLE,   /* certificate in ipm_dual_inf_cert, verified            */
    IPM_MAX_ITER,
    IPM_TIME_LIMIT,
    IPM_CANCELLED,
    IPM_NUMERICAL /* the Newton systems could not be solved accurately     */
} IpmStatus;

typedef struct {
    IpmStatus status;
    int iter;        /* interior-point iterations                                  */
    double obj_val;  /* 1/2 x'Px + q'x of the returned x                           */
    double prim_res; /* docs/METHODS.md §3 measures of the returned (x, y, z), unscaled */
    double dual_res;
    double gap;
    double mu;            /* complementarity at the end (scaled)                        */
    double rho, delta;    /* proximal weights at the end (scaled)                       */
    double setup_time;    /* seconds: ipm_setup (scaling, convexity check, ordering)     */
    double solve_time;    /* seconds: last ipm_solve                                    */
    double factor_time;   /* seconds of numeric factorisation in the last ipm_solve     */
    long factor_nnz;      /* nonzeros of L                                              */
    int normal_equations; /* 1: the rows' normal equations were factorised, 0: the KKT matrix */
    int refactorizations; /* extra factorisations after a bad pivot (regularisation up) */
} IpmInfo;

enum {
    IPM_OK = 0,
    IPM_ERR_INVALID_ARGUMENT = 1,
    IPM_ERR_INVALID_DIMENSION = 2,
    IPM_ERR_INVALID_P = 3,
    IPM_ERR_INVALID_A = 4,
    IPM_ERR_INVALID_Q = 5,
    IPM_ERR_INVALID_BOUNDS = 6,
    IPM_ERR_INVALID_SETTINGS = 7,
    IPM_ERR_NONCVX = 8,        /* P is not positive semidefinite                          */
    IPM_ERR_FACTORIZATION = 9, /* ordering or symbolic analysis failed                    */
    IPM_ERR_OUT_OF_MEMORY = 10,
    IPM_ERR_STRUCTURE = 11, /* an update changes the structure (pattern, finite sides)  */
    IPM_ERR_COUNT_ = 12
};

const char *ipm_error_message(int code);
const char *ipm_status_message(IpmStatus status);

typedef struct IpmWorkspace IpmWorkspace;

/* Check a problem / settings without allocating; msg (may be NULL) names the
 * field, index and value at fault.  Returns IPM_OK or the error ipm_setup gives. */
int ipm_check_problem(const IpmProblem *prob, char *msg, int msg_len);
int ipm_check_settings(const IpmSettings *s, char *msg, int msg_len);

/* Validate, copy and scale the data, check convexity, order and analyse the
 * KKT pattern.  *work = new workspace or NULL on error. */
int ipm_setup(IpmWorkspace **work, const IpmProblem *prob, const IpmSettings *s);

/* Flags of ipm_setup_ex. */
enum {
    /* P and A (Pp, Pi, Px, Ap, Ai, Ax) are borrowed, not copied: the caller keeps them
     * alive and unchanged until ipm_cleanup (and the Px, Ax of an ipm_update, which are
     * borrowed in turn).  The workspace never writes them: it scales on the fly. */
    IPM_BORROW_MATRICES = 1
};

/* ipm_setup with flags (a bitwise or of the above, or 0: the same as ipm_setup). */
int ipm_setup_ex(IpmWorkspace **work, const IpmProblem *prob, const IpmSettings *s, int flags);

/* Callback polled once per iteration; non-zero stops the solve (IPM_CANCELLED). */
typedef int (*IpmStopCallback)(void *data);

/* Run the method.  Returns IPM_OK when it ran (outcome in ipm_info(w)->status). */
int ipm_solve(IpmWorkspace *w, IpmStopCallback should_stop, void *data);

/* Replace the data of a set-up workspace with data of the same structure (same
 * patterns of P and A, same finite sides of l, u, lb, ub, same equality rows and
 * fixed variables): the ordering and symbolic analysis are kept.  NULL keeps a part.
 * Returns IPM_OK, an IPM_ERR_INVALID_* code, or IPM_ERR_STRUCTURE (nothing changed). */
int ipm_update(IpmWorkspace *w, const double *Px, const double *q, const double *Ax, const double *l, const double *u, const double *lb,
               const double *ub);

int ipm_update_settings(IpmWorkspace *w, const IpmSettings *s);

/* Have ipm_solve write x, y, z into the caller's arrays (sizes n, m, n; y may be NULL
 * when m == 0) instead of the workspace's own: no second copy of the results.  They
 * must stay valid while the workspace solves; ipm_x, ipm_y, ipm_z then return them.
 * Returns IPM_OK or IPM_ERR_INVALID_ARGUMENT. */
int ipm_set_outputs(IpmWorkspace *w, double *x, double *y, double *z);

/* Results (owned by the workspace unless ipm_set_outputs gave arrays, valid until the
 * next ipm_solve / cleanup).
 * For MAX_ITER / TIME_LIMIT / CANCELLED / NUMERICAL: the last iterate. */
const double *ipm_x(const IpmWorkspace *w);
const double *ipm_y(const IpmWorkspace *w); /* NULL if m == 0 */
const double *ipm_z(const IpmWorkspace *w);
const IpmInfo *ipm_info(const IpmWorkspace *w);

/* Primal infeasibility certificate (IPM_PRIMAL_INFEASIBLE), size m + n:
 * [dy; dz] with A'dy + dz ~ 0 and u'max(dy,0) + l'min(dy,0) + ub'max(dz,0)
 * + lb'min(dz,0) < 0 (entries on infinite sides are 0).  Unscaled. */
const double *ipm_prim_inf_cert(const IpmWorkspace *w);
/* Dual infeasibility certificate (IPM_DUAL_INFEASIBLE), size n: dx with P dx ~ 0,
 * q'dx < 0 and A dx, dx in the recession cones of [l, u], [lb, ub].  Unscaled. */
const double *ipm_dual_inf_cert(const IpmWorkspace *w);

void ipm_cleanup(IpmWorkspace *w);

#ifdef __cplusplus
}
#endif

#endif /* DIFFQP_IPM_H */
