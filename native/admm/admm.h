/* ========================================================================== */
/* admm.h: public API of diffqp's ADMM solver (the OSQP algorithm, C99)        */
/* ========================================================================== */
/*
 * Solves the convex quadratic program (canonical form of docs docs/METHODS.md §1)
 *
 *     minimize    1/2 x'P x + q'x
 *     subject to  l  <= A x <= u          (A is m-by-n, l_i == u_i: equality)
 *                 lb <=  x  <= ub          (optional variable bounds)
 *
 * with the operator-splitting method of Stellato, Banjac, Goulart, Bemporad and
 * Boyd ("OSQP: an operator splitting solver for quadratic programs", Math.
 * Prog. Comp. 2020): ADMM on the quasi-definite KKT matrix
 * [P + sigma I, A'; A, -diag(1/rho)] factorised once with AMD + LDL' (SuiteSparse),
 * refactorised numerically when rho changes; over-relaxation, per-row rho,
 * adaptive rho, Ruiz equilibration, infeasibility detection, polishing.
 *
 * Variable bounds are handled by appending one identity row per variable that
 * has at least one finite bound; their multipliers are returned as z.
 *
 * Conventions
 *  - Sparse matrices are CSC, 0-based, int32 indices, row indices strictly
 *    increasing within each column (sorted, no duplicates).
 *  - P is given as its LOWER triangle (diagonal included; entries with row <
 *    column are rejected).  Pp == NULL means P = 0.
 *  - Infinite bounds: +-INFINITY; any value with |v| >= ADMM_INFTY (1e20) is
 *    treated as infinite as well (QPS files often use 1e20 / 1e30).
 *  - Duals follow docs/METHODS.md §2:  P x + q + A'y + z = 0,
 *    y_i > 0 only at the upper side (A_i x = u_i), y_i < 0 only at the lower side;
 *    z_j > 0 only at ub_j, z_j < 0 only at lb_j.
 *  - Problem arrays are borrowed only during the call that receives them
 *    (admm_setup, admm_update_*): the workspace keeps its own scaled copies, so
 *    the caller may release them afterwards.
 *  - No global mutable state: distinct workspaces may be used from distinct
 *    threads concurrently; one workspace must not be used by two threads at once.
 *
 * Errors and outcomes are kept apart (OSQP style): functions returning int
 * return ADMM_OK (0) or an ADMM_ERR_* code (admm_error_message gives the text);
 * the outcome of a solve that ran is admm_info(w)->status (an AdmmStatus,
 * admm_status_message gives the text).
 *
 * Typical use:
 *     AdmmSettings s;  admm_default_settings(&s);  s.polish = 1;
 *     AdmmWorkspace *w = NULL;
 *     int err = admm_setup(&w, &prob, &s);       (prob: an AdmmProblem view)
 *     if (!err) err = admm_solve(w, NULL);
 *     if (!err && admm_info(w)->status == ADMM_SOLVED) use admm_x(w), admm_y(w), admm_z(w);
 *     admm_cleanup(w);
 */
#ifndef DIFFQP_ADMM_H
#define DIFFQP_ADMM_H

#ifdef __cplusplus
extern "C" {
#endif

/* Values at or beyond +-ADMM_INFTY are infinite bounds. */
#define ADMM_INFTY 1e20

/* A sparse LDL' factorisation rate (flops per second) well above any this code
 * reaches (about 1e9 measured, docs/ADMM.md): admm_setup_cb does not start a
 * factorisation that would overrun its time limit even at this rate. */
#define ADMM_FLOPS_CEILING 1e10

/* -------------------------------------------------------------------------- */
/* Problem: borrowed views (nothing is copied by the struct itself)            */
/* -------------------------------------------------------------------------- */
typedef struct {
    int n;            /* number of variables, n >= 1                          */
    int m;            /* number of rows of A, m >= 0                          */
    const int *Pp;    /* size n+1: column pointers of tril(P); NULL: P = 0     */
    const int *Pi;    /* size Pp[n]: row indices (Pi >= column), sorted        */
    const double *Px; /* size Pp[n]: values                                   */
    const double *q;  /* size n: linear cost; NULL: q = 0                     */
    const int *Ap;    /* size n+1: column pointers of A; may be NULL if m == 0 */
    const int *Ai;    /* size Ap[n]: row indices in [0, m), sorted             */
    const double *Ax; /* size Ap[n]: values                                   */
    const double *l;  /* size m: lower row bounds (-INFINITY ok); NULL: all -inf */
    const double *u;  /* size m: upper row bounds (+INFINITY ok); NULL: all +inf */
    const double *lb; /* size n: lower variable bounds; NULL: all -inf        */
    const double *ub; /* size n: upper variable bounds; NULL: all +inf        */
} AdmmProblem;

/* -------------------------------------------------------------------------- */
/* Settings (defaults in brackets, set by admm_default_settings)               */
/* -------------------------------------------------------------------------- */
typedef struct {
    double rho;                    /* [0.1]   initial ADMM step, > 0                      */
    double sigma;                  /* [1e-6]  primal regularisation, > 0                 */
    double alpha;                  /* [1.6]   over-relaxation, in (0, 2)                 */
    int adaptive_rho;              /* [1]     adapt rho by balancing the residuals       */
    double adaptive_rho_tolerance; /* [5]     refactor only if rho changes by more than
                                                this factor, >= 1                       */
    int adaptive_rho_interval;     /* [0]     iterations between rho updates; 0: automatic,
                                                chosen deterministically from the ratio of
                                                factorisation to iteration cost (>= 25,
                                                multiple of check_termination)           */
    int scaling;                   /* [10]    Ruiz equilibration passes, >= 0 (0: none)   */
    int scaled_termination;        /* [0]     1: measure tolerances on the scaled problem */
    int gap_termination;           /* [1]     1: the duality gap must meet the tolerances too
                                                (0: the paper's test on the two residuals) */
    double eps_abs;                /* [1e-3]  absolute tolerance, >= 0                    */
    double eps_rel;                /* [1e-3]  relative tolerance, >= 0                    */
    double eps_prim_inf;           /* [1e-4]  primal infeasibility tolerance, > 0         */
    double eps_dual_inf;           /* [1e-4]  dual infeasibility tolerance, > 0
                                                (the paper's defaults; on nearly infeasible
                                                or nearly unbounded problems they are loose:
                                                Maros-Meszaros PRIMALC1/2/8 are declared dual
                                                and HUES-MOD primal infeasible at 1e-4, all
                                                four solve at 1e-6, which detects real
                                                infeasibility about 2x later)            */
    int max_iter;                  /* [4000]  iteration limit, >= 1                       */
    double time_limit;             /* [0]     seconds of admm_solve (setup not counted);
                                                <= 0: none                              */
    int check_termination;         /* [25]    test convergence every this many iterations;
                                                0: only after max_iter                  */
    int polish;                    /* [0]     polish on the guessed active set (after
                                                SOLVED, SOLVED_INACCURATE or MAX_ITER; a
                                                polished point that meets the tolerances
                                                upgrades the status to SOLVED)          */
    int polish_early;              /* [1]     with polish: also try it during the iteration,
                                                once the residuals are within 1000x the
                                                tolerances or 1e-3 of the sizes they are
                                                measured against (again after 25% more
                                                iterations each time); a polished point
                                                that meets the tolerances ends the solve */
    double delta;                  /* [1e-6]  regularisation of the polishing KKT, > 0    */
    int polish_refine_iter;        /* [3]     proximal refinement steps of polishing (one
                                                more is always taken), >= 0 */
    int verbose;                   /* [0]     print progress to stdout                   */
    int warm_start;                /* [1]     start each solve from the previous iterates
                                                (0: from zero, unless admm_warm_start was
                                                called since the last solve; also from
                                                zero after an infeasible or failed solve) */
} AdmmSettings;

/* Fill *s with the defaults above.  s: [out] settings. */
void admm_default_settings(AdmmSettings *s);

/* -------------------------------------------------------------------------- */
/* Outcome of a solve                                                          */
/* -------------------------------------------------------------------------- */
typedef enum {
    ADMM_UNSOLVED = 0,      /* admm_solve has not run yet                       */
    ADMM_SOLVED = 1,        /* tolerances met                                   */
    ADMM_SOLVED_INACCURATE, /* limit reached, tolerances met only 10x looser    */
    ADMM_PRIMAL_INFEASIBLE, /* certificate in admm_prim_inf_cert                */
    ADMM_DUAL_INFEASIBLE,   /* certificate in admm_dual_inf_cert                */
    ADMM_MAX_ITER,          /* max_iter reached                                 */
    ADMM_TIME_LIMIT,        /* time_limit reached                               */
    ADMM_CANCELLED,         /* *cancel became non-zero                          */
    ADMM_NON_CVX,           /* P + sigma I found not positive definite          */
    ADMM_FAILED             /* numerical failure (e.g. zero pivot)              */
} AdmmStatus;

typedef struct {
    AdmmStatus status;   /* outcome of the last admm_solve                                */
    int iter;            /* ADMM iterations run                                           */
    int rho_updates;     /* numeric refactorisations caused by rho changes (this solve)   */
    double obj_val;      /* 1/2 x'Px + q'x of the returned x (+inf if primal infeasible,
                            -inf if dual infeasible)                                      */
    double prim_res;     /* docs/METHODS.md §3 residuals of the returned (x, y, z), unscaled:   */
    double dual_res;     /*   prim_res = max bound violation of A x and x,                */
    double gap;          /*   dual_res = |P x + q + A'y + z|_inf, gap = duality gap;
                              NaN when the status is an infeasibility                      */
    double setup_time;   /* seconds spent in admm_setup                                   */
    double solve_time;   /* seconds spent in the last admm_solve (polishing included)     */
    double polish_time;  /* seconds spent polishing                                       */
    double rho;          /* rho in force at the end (scalar, inequality rows)             */
    double rho_estimate; /* the adaptive rule's suggestion at the last residual check     */
    int polish_status;   /* 1: polished solution accepted, 0: not run, -1: rejected/failed */
} AdmmInfo;

/* -------------------------------------------------------------------------- */
/* Error codes (return values)                                                 */
/* -------------------------------------------------------------------------- */
enum {
    ADMM_OK = 0,
    ADMM_ERR_INVALID_ARGUMENT = 1,  /* NULL pointer where one is required, or a
                                       non-finite warm-start value                    */
    ADMM_ERR_INVALID_DIMENSION = 2, /* n < 1, m < 0, or sizes that overflow int       */
    ADMM_ERR_INVALID_P = 3,         /* bad pattern/values of P (not lower, unsorted, NaN) */
    ADMM_ERR_INVALID_A = 4,         /* bad pattern/values of A                        */
    ADMM_ERR_INVALID_Q = 5,         /* non-finite q                                   */
    ADMM_ERR_INVALID_BOUNDS = 6,    /* NaN, l > u, l = +inf or u = -inf (rows or vars) */
    ADMM_ERR_INVALID_SETTINGS = 7,  /* a setting out of range                         */
    ADMM_ERR_NONCVX = 8,            /* P + sigma I not positive definite: P not PSD   */
    ADMM_ERR_FACTORIZATION = 9,     /* AMD/LDL failed (zero pivot, too large)         */
    ADMM_ERR_OUT_OF_MEMORY = 10,
    ADMM_ERR_STRUCTURE = 11,  /* update would change the problem's structure
                                 (a variable without bound rows gets a bound,
                                 or settings.scaling changed)                  */
    ADMM_ERR_TIME_LIMIT = 12, /* admm_setup_cb: stopped at its time limit      */
    ADMM_ERR_CANCELLED = 13,  /* admm_setup_cb: stopped by its callback        */
    ADMM_ERR_COUNT_ = 14
};

/* Static text for an error code ("unknown error code" if out of range). */
const char *admm_error_message(int code);
/* Static text for a status. */
const char *admm_status_message(AdmmStatus status);

/* -------------------------------------------------------------------------- */
/* Workspace                                                                   */
/* -------------------------------------------------------------------------- */
typedef struct AdmmWorkspace AdmmWorkspace;

/* Check a problem without allocating anything.  Returns ADMM_OK or the error
 * code admm_setup would return for it, and (if msg != NULL) writes a message
 * naming the offending field, index and value.
 *   prob: [in] problem view;  msg: [out] size msg_len, NUL-terminated, may be NULL. */
int admm_check_problem(const AdmmProblem *prob, char *msg, int msg_len);

/* Check settings (same contract as admm_check_problem). */
int admm_check_settings(const AdmmSettings *s, char *msg, int msg_len);

/* Validate, copy and scale the data, order and factorise the KKT matrix.
 *   work: [out] *work = new workspace, or NULL on error;
 *   prob: [in] problem (borrowed for the call only);
 *   s:    [in] settings, NULL for the defaults (copied).
 * Returns ADMM_OK or an ADMM_ERR_* code (ADMM_ERR_NONCVX if P is not PSD). */
int admm_setup(AdmmWorkspace **work, const AdmmProblem *prob, const AdmmSettings *s);

/* Set the starting point of the next admm_solve (used whatever settings.warm_start).
 * Values are in the user's units and sign convention (docs/METHODS.md §2).
 *   x0: [in] size n or NULL (keep current primal iterate); the ADMM slack
 *       z = clip(A x0, l, u) is derived from it;
 *   y0: [in] size m or NULL (keep current row duals);
 *   z0: [in] size n or NULL (keep current bound duals; entries of variables
 *       without finite bounds are ignored).
 * Returns ADMM_OK or ADMM_ERR_INVALID_ARGUMENT (w NULL, or a non-finite entry:
 * nothing is changed then). */
int admm_warm_start(AdmmWorkspace *w, const double *x0, const double *y0, const double *z0);

/* Callback that admm_setup_cb and admm_solve_cb poll: return non-zero to stop. */
typedef int (*AdmmStopCallback)(void *data);

/* admm_setup that can be stopped: setup on a large problem (scaling, KKT
 * assembly, ordering, symbolic and numeric factorisation) can take longer than
 * the whole budget of the solve.
 *   time_limit:  [in] seconds; <= 0 or +inf: none.  Checked between the phases
 *                of setup and between Ruiz passes; the numeric factorisation is
 *                not started when its flop count (known after the symbolic
 *                analysis) could not be done in the time left even at
 *                ADMM_FLOPS_CEILING flops per second;
 *   should_stop: [in] polled at the same points; non-zero stops; may be NULL;
 *   data:        [in] passed to should_stop unchanged.
 * Returns what admm_setup returns, or ADMM_ERR_TIME_LIMIT / ADMM_ERR_CANCELLED
 * (then *work is NULL and everything allocated so far is freed). */
int admm_setup_cb(AdmmWorkspace **work, const AdmmProblem *prob, const AdmmSettings *s, double time_limit,
                  AdmmStopCallback should_stop, void *data);

/* Run ADMM (and polishing if enabled).
 *   w:      [in/out] workspace;
 *   cancel: [in] polled once per iteration and before each polishing
 *           factorisation (e.g. set from another thread on abort); non-zero
 *           stops with ADMM_CANCELLED; may be NULL.  The time limit is checked
 *           at the same points.
 * Convergence (tested every check_termination iterations, on the user's
 * unscaled data unless scaled_termination):
 *   |A x - z|_inf           <= eps_abs + eps_rel max(|A x|_inf, |z|_inf)
 *   |P x + q + A'y|_inf     <= eps_abs + eps_rel max(|P x|_inf, |A'y|_inf, |q|_inf)
 *   |x'Px + q'x + s(y)|     <= eps_abs + eps_rel max(|x'Px|, |q'x|, |s(y)|)
 *                              (gap_termination; s(y) = u'max(y,0) + l'min(y,0);
 *                              a gap below 1e-15 max(...) counts as met: double
 *                              precision cannot resolve it)
 * (A, y include the bound rows), where z = clip(.., l, u) is ADMM's slack.
 * These are the docs/METHODS.md §3 measures (the primal one bounds the bound
 * violation of A x from above), so "solved" means what diffqp's residual check
 * means by it.
 * Polishing (settings.polish): solves the reduced KKT system of the guessed
 * active set (regularised by delta; polish_refine_iter + 1 proximal steps from
 * the ADMM iterate), corrects the guess up to 3 times (rows with wrongly signed
 * multipliers leave, violated rows enter), and keeps the result only if its
 * worst docs/METHODS.md §3 measure is not worse than that of the ADMM iterate and,
 * after SOLVED, only if it meets the tolerances too.  With polish_early it is
 * also tried during the iteration (see AdmmSettings).
 * Returns ADMM_OK if the solve ran (the outcome is admm_info(w)->status), an
 * ADMM_ERR_* code otherwise. */
int admm_solve(AdmmWorkspace *w, volatile const int *cancel);

/* admm_solve with the cancellation test done by a callback instead of an int
 * flag, for callers whose flag is not an int (e.g. a C++ std::atomic<bool>):
 *   should_stop: [in] called wherever admm_solve reads
 *                *cancel (from the solving thread); a non-zero return
 *                stops with ADMM_CANCELLED; may be NULL (never stops);
 *   data:        [in] passed to should_stop unchanged.
 * Everything else (settings, results, return value) is as for admm_solve. */
int admm_solve_cb(AdmmWorkspace *w, AdmmStopCallback should_stop, void *data);

/* Results of the last solve (arrays owned by the workspace, valid until the next
 * admm_solve or admm_cleanup).  x, z: size n; y: size m (NULL if m == 0).
 * For ADMM_MAX_ITER / TIME_LIMIT / CANCELLED they hold the last iterate; for
 * infeasibility statuses they are NaN and the certificates are set. */
const double *admm_x(const AdmmWorkspace *w);
const double *admm_y(const AdmmWorkspace *w);
const double *admm_z(const AdmmWorkspace *w);
const AdmmInfo *admm_info(const AdmmWorkspace *w);

/* Certificate of primal infeasibility (valid when status == ADMM_PRIMAL_INFEASIBLE,
 * zeros otherwise), size m + n: [dy (m rows); dz (n variables, 0 if unbounded)], with
 *     A'dy + dz ~ 0  and  u'max(dy,0) + l'min(dy,0) + ub'max(dz,0) + lb'min(dz,0) < 0
 * (every positive entry sits on a finite upper bound, every negative one on a
 * finite lower bound). */
const double *admm_prim_inf_cert(const AdmmWorkspace *w);

/* Certificate of dual infeasibility (status == ADMM_DUAL_INFEASIBLE), size n: dx with
 *     P dx ~ 0,  q'dx < 0,  (A dx)_i <= ~0 if u_i finite, >= ~0 if l_i finite
 * (likewise dx_j for finite ub_j / lb_j). */
const double *admm_dual_inf_cert(const AdmmWorkspace *w);

/* Dimensions as the workspace sees them.  n, m: [out], may be NULL. */
void admm_dims(const AdmmWorkspace *w, int *n, int *m);

/* Replace q (size n, finite).  Keeps the factorisation and the iterates. */
int admm_update_q(AdmmWorkspace *w, const double *q);

/* Replace bounds; any NULL argument leaves that part unchanged.
 *   l, u: [in] size m;  lb, ub: [in] size n.
 * A variable that had no finite bound at setup cannot get one
 * (ADMM_ERR_STRUCTURE; set it up with a huge finite bound instead).  Rows whose
 * kind changes (equality / inequality / free) get their rho reset, which costs a
 * numeric refactorisation.  On error nothing is changed. */
int admm_update_bounds(AdmmWorkspace *w, const double *l, const double *u, const double *lb, const double *ub);

/* Replace the settings (scaling must stay the same: ADMM_ERR_STRUCTURE).  A new
 * rho or sigma resets rho and refactorises. */
int admm_update_settings(AdmmWorkspace *w, const AdmmSettings *s);

/* Free everything (NULL is fine). */
void admm_cleanup(AdmmWorkspace *w);

#ifdef __cplusplus
}
#endif

#endif /* DIFFQP_ADMM_H */
