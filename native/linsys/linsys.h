/* ========================================================================== */
/* linsys.h: the sparse LDL' layer of diffqp's native tree (C99)              */
/* ========================================================================== */
/*
 * One symmetric matrix K of order N, given by the pattern of its UPPER triangle
 * (diagonal included, CSC, rows sorted within columns, no duplicates) or, through
 * linsys_ldl_analyze_ex, by its FULL symmetric pattern (both triangles).  Analysed
 * once (AMD fill-reducing ordering of the pattern, the upper triangle of the
 * permuted matrix P K P', LDL's elimination tree and column counts), factorised
 * numerically as often as the values change (SuiteSparse LDL, up-looking, no
 * pivoting: meant for quasi-definite and regularised indefinite matrices), solved
 * with optional iterative refinement against any matrix of the same pattern.
 *
 * The inertia of the last factorisation (number of positive pivots) tells a
 * caller whether a quasi-definite matrix came out as it should.
 *
 * No global state; one LinsysLdl is used by one thread at a time (linsys_ldl_solve
 * and the refined solve write into its workspace), except that functions taking a
 * const LinsysLdl (linsys_ldl_solve_work, linsys_sym_multiply, the queries) may run
 * concurrently with one another.  Every function that allocates returns LINSYS_OK or an
 * error code and leaves nothing allocated on error.
 */
#ifndef DIFFQP_LINSYS_H
#define DIFFQP_LINSYS_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    LINSYS_OK = 0,
    LINSYS_ERR_INVALID = 1, /* bad arguments or pattern (lower entry, unsorted) */
    LINSYS_ERR_OUT_OF_MEMORY = 2,
    LINSYS_ERR_TOO_LARGE = 3, /* the factor would exceed int32 indices           */
    LINSYS_ERR_ZERO_PIVOT = 4 /* linsys_ldl_factor: a pivot is exactly zero       */
};

typedef struct LinsysLdl LinsysLdl;

/* Order and analyse.
 *   out: [out] new object or NULL on error;
 *   N:   order, >= 0;
 *   Kp:  [in] size N+1, Ki: [in] size Kp[N]: upper-triangle pattern (copied). */
int linsys_ldl_analyze(LinsysLdl **out, int N, const int *Kp, const int *Ki);

/* Flags of linsys_ldl_analyze_ex. */
enum {
    /* Kp, Ki give the FULL symmetric pattern: both triangles, every entry (i, j) with
     * its mirror (j, i), rows sorted within columns, no duplicates.  AMD orders the
     * full pattern; the factorisation reads, of each mirrored pair, the entry that
     * falls on or above the diagonal of P K P' (the values need not be exactly
     * symmetric).  Values given to linsys_ldl_factor, linsys_sym_multiply and
     * linsys_ldl_solve_refined are then on the full pattern (size Kp[N]). */
    LINSYS_PATTERN_FULL = 1,
    /* Rows of each column of triu(P K P') in increasing (permuted) order, instead of
     * the order of the original indices, which is the order LDL's own permutation
     * visits.  The order changes only the round-off of the factorisation (it is the
     * order of LDL's sparse triangular solves): native/admm keeps the one it has
     * always factorised with, so that its iterates do not move. */
    LINSYS_ROWS_SORTED = 2,
    /* The natural order instead of AMD's.  For a small quasi-definite K = [P C'; C 0]
     * held in that order: the primal block is eliminated first, so that a tiny pivot
     * means a (nearly) singular K rather than a dual row AMD put first, whose pivot is
     * its regularisation alone; and a small K skips the ordering's cost. */
    LINSYS_ORDER_NATURAL = 4
};

/* linsys_ldl_analyze with flags (a bitwise or of the above, or 0: the same as
 * linsys_ldl_analyze).
 *   Kp:  [in] size N+1, Ki: [in] size Kp[N]: upper or full pattern (copied). */
int linsys_ldl_analyze_ex(LinsysLdl **out, int N, const int *Kp, const int *Ki, int flags);

/* Numeric factorisation of the matrix whose values are Kx (size Kp[N], in the order
 * of Ki: upper-triangle values, or full ones with LINSYS_PATTERN_FULL).
 * Returns LINSYS_OK or LINSYS_ERR_ZERO_PIVOT (see linsys_ldl_zero_pivot). */
int linsys_ldl_factor(LinsysLdl *s, const double *Kx);

/* b: [in/out] size N, overwritten with (L D L')^{-1} b of the last factorisation.
 * Uses the object's workspace: one solve at a time. */
void linsys_ldl_solve(LinsysLdl *s, double *b);

/* The same with the caller's workspace: reads the object only, so several threads
 * may solve with one factorisation at once.
 *   b: [in/out] size N;  work: [workspace] size N. */
void linsys_ldl_solve_work(const LinsysLdl *s, double *b, double *work);

/* Solve K x = b with refinement against Kx_true (upper values, same pattern; may
 * be the factorised values themselves): x = solve(b), then up to `steps` times
 * x += solve(b - K x) while the residual decreases.
 *   b: [in] size N;  x: [out] size N.
 * Returns ||b - K x||_inf / max(||b||_inf, 1e-300). */
double linsys_ldl_solve_refined(LinsysLdl *s, const double *Kx_true, const double *b, double *x, int steps);

/* y = K x for the values Kx on the analysed pattern (upper or full).
 *   Kx: [in] size Kp[N];  x: [in] size N;  y: [out] size N. */
void linsys_sym_multiply(const LinsysLdl *s, const double *Kx, const double *x, double *y);

/* ---- Values held in the factorisation's own matrix -------------------------
 * A caller that owns no copy of K writes its values straight into C = triu(P K P'),
 * the matrix LDL reads, and lets the object drop its copy of K's pattern: then K is
 * held once.  After linsys_ldl_drop_pattern only these functions (with the solves and
 * queries) apply; linsys_ldl_factor and linsys_sym_multiply need the pattern. */

/* The values of C (size: entries of triu(P K P')), for the caller to write. */
double *linsys_ldl_values(LinsysLdl *s);
/* Where entry p of the analysed pattern (0 <= p < Kp[N]) sits in linsys_ldl_values,
 * or -1 (a full pattern's mirror entry, or after linsys_ldl_drop_pattern). */
int linsys_ldl_value_index(const LinsysLdl *s, int p);
/* Writes the diagonal of K: d[i] for original row/column i (size N).  Returns
 * LINSYS_OK, or LINSYS_ERR_INVALID when the pattern lacks a diagonal entry. */
int linsys_ldl_set_diagonal(LinsysLdl *s, const double *d);
/* linsys_ldl_value_index for every entry at once, for the caller's own copy of the
 * pattern the object was analysed with (also after linsys_ldl_drop_pattern).
 *   Kp, Ki: [in] that pattern;  map: [out] size Kp[N].
 * Returns LINSYS_OK or LINSYS_ERR_OUT_OF_MEMORY. */
int linsys_ldl_map_pattern(LinsysLdl *s, const int *Kp, const int *Ki, int *map);
/* Frees the copy of K's pattern, the map into C and the inverse ordering
 * (linsys_ldl_pivot_of then searches). */
void linsys_ldl_drop_pattern(LinsysLdl *s);
/* linsys_ldl_factor of the values already in linsys_ldl_values. */
int linsys_ldl_factor_held(LinsysLdl *s);
/* Solves K x = b, K the values held now, starting from the last factorisation (of
 * the values held then: a caller may change them between the two, e.g. factor a
 * regularised matrix and refine towards the unregularised one): x = solve(b), then up
 * to `steps` corrections x += solve(b - K x) while the residual falls, stopping once
 * ||b - K x||_inf <= tol (1 + ||b||_inf); a correction that does not lower it is
 * undone.  Works in the permuted order in the object's workspace (one at a time).
 *   b: [in/out] size N: the right-hand side in, x out.
 * Returns the last ||b - K x||_inf. */
double linsys_ldl_solve_refined_held(LinsysLdl *s, double *b, int steps, double tol);

int linsys_ldl_order(const LinsysLdl *s);
long linsys_ldl_factor_nnz(const LinsysLdl *s);     /* nonzeros of L (strictly lower) */
int linsys_ldl_positive_pivots(const LinsysLdl *s); /* of the last factorisation       */
double linsys_ldl_min_abs_pivot(const LinsysLdl *s);
double linsys_ldl_max_abs_pivot(const LinsysLdl *s);
/* The pivot (D entry) of original row/column i in the last factorisation. */
double linsys_ldl_pivot_of(const LinsysLdl *s, int i);
/* The original row/column whose pivot was exactly zero in the last factorisation
 * (where LDL stopped), or -1 when it succeeded. */
int linsys_ldl_zero_pivot(const LinsysLdl *s);
/* Pivots of the last factorisation that are NaN or infinite (LDL stops only at an
 * exact zero: a NaN in the values runs through). */
int linsys_ldl_nonfinite_pivots(const LinsysLdl *s);
/* Cost estimates from the analysis, in flops: one numeric factorisation
 * (sum over columns of L of c^2 + c, c the column count), one solve (4 nnz(L) + N). */
double linsys_ldl_factor_flops(const LinsysLdl *s);
double linsys_ldl_solve_flops(const LinsysLdl *s);

void linsys_ldl_free(LinsysLdl *s);

#ifdef __cplusplus
}
#endif

#endif /* DIFFQP_LINSYS_H */
