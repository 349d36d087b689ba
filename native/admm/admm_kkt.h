/* admm_kkt.h: the quasi-definite KKT matrix
 *
 *     K = [ P + sigma I    A_R' ]        (n + nr square)
 *         [ A_R            diag(bdiag) ]
 *
 * where A_R are the rows `rows` of an mt-by-n matrix A (given as the columns of
 * A', i.e. n-by-mt CSC), ordered by AMD once and factorised as L D L' by the
 * sparse LDL' layer native/linsys (SuiteSparse LDL).  Values can be refreshed and
 * refactorised numerically without repeating the ordering or the symbolic analysis. */
#ifndef DIFFQP_ADMM_KKT_H
#define DIFFQP_ADMM_KKT_H

typedef struct AdmmKkt AdmmKkt;

/* Build, order, analyse and factorise K.
 *   out:   [out] new object or NULL on error;
 *   n:     [in] size of the P block;
 *   Pp, Pi, Px: [in] upper triangle of P, n-by-n CSC (diagonal may be absent);
 *          Px is borrowed: it must stay valid for admm_kkt_refactor;
 *   sigma: [in] added to the diagonal of P;
 *   mt:    [in] columns of A' (rows of A);
 *   ATp, ATi, ATx: [in] A' as n-by-mt CSC, borrowed like Px;
 *   nr:    [in] number of selected rows;
 *   rows:  [in] size nr, selected row indices (copied), or NULL for 0..mt-1 (nr == mt);
 *   bdiag: [in] size nr, the bottom diagonal (must be negative).
 * Returns 0, ADMM_ERR_OUT_OF_MEMORY, ADMM_ERR_FACTORIZATION, ADMM_ERR_NONCVX
 * (wrong inertia: P + sigma I not positive definite) or ADMM_ERR_INVALID_DIMENSION. */
int admm_kkt_create(AdmmKkt **out, int n, const int *Pp, const int *Pi, const double *Px, double sigma, int mt,
                    const int *ATp, const int *ATi, const double *ATx, int nr, const int *rows, const double *bdiag);

/* admm_kkt_create without the numeric factorisation (ordering and symbolic
 * analysis only: admm_kkt_factor_flops is known after it); admm_kkt_refactor
 * must run before admm_kkt_solve. */
int admm_kkt_analyze(AdmmKkt **out, int n, const int *Pp, const int *Pi, const double *Px, double sigma, int mt,
                     const int *ATp, const int *ATi, const double *ATx, int nr, const int *rows, const double *bdiag);

/* Replace sigma and/or the bottom diagonal (NULL: unchanged), re-read Px and ATx,
 * and refactorise numerically.  Same return codes as admm_kkt_create. */
int admm_kkt_refactor(AdmmKkt *k, double sigma, const double *bdiag);

/* Solve K x = b in place.  b: [in/out] size n + nr. */
void admm_kkt_solve(AdmmKkt *k, double *b);

/* y = K_0 x where K_0 is K with sigma and bdiag replaced by zero (the exact,
 * unregularised system; used for iterative refinement).  x, y: size n + nr. */
void admm_kkt_matvec_exact(const AdmmKkt *k, const double *x, double *y);

/* Cost estimates in flops: of one numeric factorisation, of one solve. */
double admm_kkt_factor_flops(const AdmmKkt *k);
double admm_kkt_solve_flops(const AdmmKkt *k);

void admm_kkt_free(AdmmKkt *k);

#endif
