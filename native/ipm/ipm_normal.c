/* ipm_normal.c: the rows' normal equations, an equivalent positive definite system.
 *
 * When P is diagonal, the primal block H = P + rho I + (the bounds' 1/D) of the KKT
 * matrix [H A_K'; A_K -D_K] is diagonal, and eliminating dx leaves
 *     S dy = A_K H^-1 b1 - b2,   S = A_K H^-1 A_K' + D_K,   dx = H^-1 (b1 - A_K' dy),
 * S of order mr (the rows in K) and positive definite.  For projections (P = I) S is
 * far smaller than K: a chain's S is tridiagonal of order m where K has order n + m, a
 * simplex's S is 1 x 1, so the factorisation and its memory shrink by half or more.
 * Only the dy block is refined (against S with the Newton rows, as K is in
 * ipm_solve.c): with H diagonal, dx follows from dy exactly.
 *
 * S has the pattern of A_K A_K'.  A pair of K rows sharing a column of A adds
 * A_aj A_bj / H_j to S_ab; pair_at holds, per pair in column order, the entry of the
 * factorisation's values it adds to, so S is assembled without a search. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ipm_internal.h"

/* Is P diagonal with a positive diagonal (then H >= P_jj > 0 whatever rho is)? */
static int p_diagonal_positive(const IpmWorkspace *w) {
    for (int j = 0; j < w->n; j++) {
        const int k = w->Pp[j];
        if (w->Pp[j + 1] - k != 1 || w->Pi[k] != j || !(w->Px[k] > 0)) return 0;
    }
    return 1;
}

/* Pairs of K rows sharing a column (the off-diagonal entries S can have, repeats
 * counted), or -1 past `cap`. */
static long count_pairs(const IpmWorkspace *w, long cap) {
    long pairs = 0;
    for (int j = 0; j < w->n; j++) {
        long t = 0;
        for (int p = w->Ap[j]; p < w->Ap[j + 1]; p++) t += w->rpos[w->Ai[p]] >= 0;
        pairs += t * (t - 1) / 2;
        if (pairs > cap) return -1;
    }
    return pairs;
}

static int compare_int(const void *a, const void *b) {
    const int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Position of row a in column b of the pattern (Si sorted within columns). */
static int find_entry(const int *Sp, const int *Si, int a, int b) {
    int lo = Sp[b], hi = Sp[b + 1] - 1;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (Si[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Pattern of triu(S), its analysis and pair_at.  Returns IPM_OK, or an error. */
static int build(IpmWorkspace *w, long pairs) {
    const int n = w->n, mr = w->mr;
    int err = IPM_ERR_OUT_OF_MEMORY;
    int *Sp = (int *)calloc((size_t)mr + 1, sizeof(int));
    int *Si = (int *)calloc((size_t)pairs + mr + 1, sizeof(int)); /* calloc: GCC cannot see the fill */
    int *next = (int *)malloc(((size_t)mr + 1) * sizeof(int));
    w->pair_at = (int *)malloc(((size_t)pairs + 1) * sizeof(int));
    if (!Sp || !Si || !next || !w->pair_at) goto done;
    /* every pair (a, b), a < b, lands in column b, repeats included; then the diagonal */
    for (int j = 0; j < n; j++) {
        int t = 0;
        for (int p = w->Ap[j]; p < w->Ap[j + 1]; p++) {
            const int r = w->rpos[w->Ai[p]];
            if (r < 0) continue;
            Sp[r + 1] += t++;
        }
    }
    for (int r = 0; r < mr; r++) Sp[r + 1] += Sp[r] + 1;
    for (int r = 0; r < mr; r++) next[r] = Sp[r];
    for (int j = 0; j < n; j++) {
        const int first = w->Ap[j];
        for (int p = first; p < w->Ap[j + 1]; p++) {
            const int b = w->rpos[w->Ai[p]];
            if (b < 0) continue;
            for (int q = first; q < p; q++) {
                const int a = w->rpos[w->Ai[q]];
                if (a >= 0) Si[next[b]++] = a;
            }
        }
    }
    /* sort each column, drop repeats, close it with its diagonal; compact in place */
    int out = 0;
    for (int b = 0; b < mr; b++) {
        const int lo = Sp[b], hi = next[b];
        qsort(Si + lo, (size_t)(hi - lo), sizeof(int), compare_int);
        const int start = out;
        int last = -1;
        for (int p = lo; p < hi; p++)
            if (Si[p] != last) Si[out++] = last = Si[p];
        Si[out++] = b;
        Sp[b] = start;
    }
    Sp[mr] = out;
    const int status = linsys_ldl_analyze(&w->ldl, mr, Sp, Si);
    if (status != LINSYS_OK) {
        err = status == LINSYS_ERR_OUT_OF_MEMORY ? IPM_ERR_OUT_OF_MEMORY : IPM_ERR_FACTORIZATION;
        goto done;
    }
    long t = 0;
    for (int j = 0; j < n; j++) {
        const int first = w->Ap[j];
        for (int p = first; p < w->Ap[j + 1]; p++) {
            const int b = w->rpos[w->Ai[p]];
            if (b < 0) continue;
            for (int q = first; q < p; q++) {
                const int a = w->rpos[w->Ai[q]];
                if (a >= 0) w->pair_at[t++] = linsys_ldl_value_index(w->ldl, find_entry(Sp, Si, a, b));
            }
        }
    }
    w->npairs = pairs;
    linsys_ldl_drop_pattern(w->ldl); /* S lives in the factorisation's own matrix */
    w->info.factor_nnz = linsys_ldl_factor_nnz(w->ldl);
    err = IPM_OK;
done:
    free(Sp);
    free(Si);
    free(next);
    return err;
}

/* Chooses the normal equations when the settings and P allow them (and, by default,
 * when S has fewer than half the entries of K's upper triangle) and builds them.  Returns
 * 1 when chosen and built, 0 when not chosen, or minus an error code. */
int ipm_normal_setup(IpmWorkspace *w) {
    const int mode = w->settings.normal_equations;
    if (mode == 0 || !p_diagonal_positive(w)) return 0;
    w->rpos = (int *)malloc(((size_t)w->m + 1) * sizeof(int));
    if (!w->rpos) return -IPM_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < w->m; i++) w->rpos[i] = -1;
    for (int k = 0; k < w->mr; k++) w->rpos[w->con_index[k]] = k;
    long annz = 0;
    for (int p = 0; p < w->Ap[w->n]; p++) annz += w->rpos[w->Ai[p]] >= 0;
    const long k_upper = (long)w->n + annz + w->mr;
    /* by default S must have fewer than half of K's entries: where the two are close
       (POWELL20), K's better conditioning is worth more than S's smaller size */
    const long cap = mode < 0 ? (k_upper - 1) / 2 - w->mr : INT_MAX - 1 - (long)w->mr;
    const long pairs = cap < 0 ? -1 : count_pairs(w, cap);
    if (pairs < 0) {
        free(w->rpos);
        w->rpos = NULL;
        return 0;
    }
    w->H = (double *)calloc((size_t)w->n, sizeof(double));
    if (!w->H) return -IPM_ERR_OUT_OF_MEMORY;
    const int err = build(w, pairs);
    if (err) return -err;
    w->normal = 1;
    w->info.normal_equations = 1;
    return 1;
}

void ipm_normal_assemble(IpmWorkspace *w, double *d, int offdiagonal) {
    const int n = w->n, mr = w->mr;
    double *Cx = linsys_ldl_values(w->ldl);
    long t = 0;
    /* an entry may gather several pairs: cleared first */
    for (long e = 0; offdiagonal && e < w->npairs; e++) Cx[w->pair_at[e]] = 0;
    for (int r = 0; r < mr; r++) d[r] = -d[r];
    for (int j = 0; j < n; j++) {
        const double h = 1 / w->H[j];
        const int first = w->Ap[j];
        for (int p = first; p < w->Ap[j + 1]; p++) {
            const int i = w->Ai[p], b = w->rpos[i];
            if (b < 0) continue;
            const double ab = ipm_a_scaled(w, p, i, j);
            d[b] += ab * ab * h;
            if (!offdiagonal) continue;
            for (int q = first; q < p; q++) {
                const int ia = w->Ai[q];
                if (w->rpos[ia] >= 0) Cx[w->pair_at[t++]] += ipm_a_scaled(w, q, ia, j) * ab * h;
            }
        }
    }
    linsys_ldl_set_diagonal(w->ldl, d);
}

void ipm_normal_solve(IpmWorkspace *w, double *rhs, int refine, double tol) {
    const int n = w->n, mr = w->mr;
    double *dy = rhs + n;
    for (int r = 0; r < mr; r++) dy[r] = -dy[r];
    for (int j = 0; j < n; j++) {
        const double v = rhs[j] / w->H[j];
        for (int p = w->Ap[j]; p < w->Ap[j + 1]; p++) {
            const int i = w->Ai[p], r = w->rpos[i];
            if (r >= 0) dy[r] += ipm_a_scaled(w, p, i, j) * v;
        }
    }
    linsys_ldl_solve_refined_held(w->ldl, dy, refine, tol);
    for (int j = 0; j < n; j++) {
        double v = rhs[j];
        for (int p = w->Ap[j]; p < w->Ap[j + 1]; p++) {
            const int i = w->Ai[p], r = w->rpos[i];
            if (r >= 0) v -= ipm_a_scaled(w, p, i, j) * dy[r];
        }
        rhs[j] = v / w->H[j];
    }
}
