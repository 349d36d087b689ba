/* linsys.c: AMD + LDL' (SuiteSparse) behind the small interface of linsys.h.
 *
 * The permuted upper triangle C = triu(P K P') is built once with a map from
 * each entry of K to its place in C, so a numeric factorisation is one scatter
 * and one ldl_numeric call with no permutation inside LDL (which would need the
 * full symmetric pattern).  From a full pattern, C takes the entry (i, j) with
 * pinv[i] <= pinv[j] of each mirrored pair; its mirror maps to -1.  Either way the
 * rows of column k of C come in increasing original index of the neighbours of
 * perm[k] (the order ldl_numeric with a permutation on the full pattern visits), so
 * for one ordering both patterns give the same factorisation, to the bit; or, with
 * LINSYS_ROWS_SORTED, in increasing permuted index. */
#include "linsys.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <amd.h>
#include <ldl.h>

struct LinsysLdl {
    int N;
    int *Kp, *Ki;       /* upper pattern of K (copies)                      */
    int *perm, *pinv;   /* AMD ordering: perm[k] = original index at place k */
    int *Cp, *Ci, *map; /* triu(P K P') and K entry -> C entry              */
    double *Cx;
    int *Lp, *Parent, *Lnz, *Li, *Flag, *Pattern; /* Lnz: in r; Pattern: Flag + N */
    double *Lx, *D, *Y;
    double *r, *d, *xt; /* refinement workspace (d: in Flag's block) (Y is the solve's: a solve never
                           overlaps a factorisation of the same object)   */
    int full;           /* Kp, Ki hold both triangles                       */
    int diagonal;       /* every column of C has its diagonal, stored last  */
    int sorted;         /* LINSYS_ROWS_SORTED                               */
    int positive;       /* of the last factorisation: positive pivots,     */
    int nonfinite;      /* NaN or infinite pivots,                         */
    int zero;           /* permuted column of a zero pivot or -1           */
    double fflops, sflops;
};

void linsys_ldl_free(LinsysLdl *s) {
    if (!s) return;
    free(s->Kp);
    free(s->Ki);
    free(s->perm);
    free(s->pinv);
    free(s->Cp);
    free(s->Ci);
    free(s->map);
    free(s->Cx);
    free(s->Lp);
    free(s->Parent);
    free(s->Li);
    free(s->Flag); /* Lnz in r, Pattern and d in Flag */
    free(s->Lx);
    free(s->D);
    free(s->Y);
    free(s->r);
    free(s->xt);
    free(s);
}

/* calloc / malloc of count elements of size bytes, at least one element (never NULL
 * for 0).  alloc for arrays written in full before they are read. */
static void *alloc0(size_t count, size_t size) { return calloc(count > 0 ? count : 1, size); }
static void *alloc(size_t count, size_t size) { return malloc((count > 0 ? count : 1) * size); }

/* 1 when (N, Kp, Ki) is a valid pattern (0 when not, -1 out of memory): CSC, rows in
 * range and strictly increasing within columns (Ki may be NULL when there are none);
 * upper (full == 0): no row below the diagonal; full: symmetric. */
static int valid_pattern(int N, const int *Kp, const int *Ki, int full) {
    if (N < 0 || !Kp || (N > 0 && (Kp[0] != 0 || (Kp[N] != 0 && !Ki)))) return 0;
    for (int j = 0; j < N; j++) {
        if (Kp[j + 1] < Kp[j]) return 0;
        for (int p = Kp[j]; p < Kp[j + 1]; p++) {
            if (Ki[p] < 0 || Ki[p] > (full ? N - 1 : j) || (p > Kp[j] && Ki[p] <= Ki[p - 1])) return 0;
        }
    }
    if (full && N > 0) {
        /* Visiting the columns in order, the mirrors (j, i) of column i's entries come in
         * increasing j: one cursor per column checks them all. */
        int *next = (int *)malloc((size_t)N * sizeof(int));
        int ok = 1;
        if (!next) return -1;
        memcpy(next, Kp, (size_t)N * sizeof(int));
        for (int j = 0; j < N && ok; j++) {
            for (int p = Kp[j]; p < Kp[j + 1]; p++) {
                const int i = Ki[p];
                if (next[i] >= Kp[i + 1] || Ki[next[i]] != j) {
                    ok = 0;
                    break;
                }
                next[i]++;
            }
        }
        for (int i = 0; i < N && ok; i++) ok = next[i] == Kp[i + 1];
        free(next);
        return ok;
    }
    return 1;
}

/* Places the entries of K in C (Cp counted) with the rows of each column in
 * increasing order: bucket the entries by their row in C, then deal them out to
 * their columns row by row.  Returns LINSYS_OK or LINSYS_ERR_OUT_OF_MEMORY. */
static int place_sorted(LinsysLdl *s, const int *Kp, const int *Ki, int *map) {
    const int N = s->N, nnzC = s->Cp[N];
    int *rowptr = (int *)alloc0((size_t)N + 1, sizeof(int));
    int *col = (int *)alloc((size_t)nnzC, sizeof(int)); /* per bucket slot: column in C */
    int *src = (int *)alloc((size_t)nnzC, sizeof(int)); /* per bucket slot: entry of K  */
    if (!rowptr || !col || !src) {
        free(rowptr);
        free(col);
        free(src);
        return LINSYS_ERR_OUT_OF_MEMORY;
    }
    for (int j = 0; j < N; j++) {
        for (int p = Kp[j]; p < Kp[j + 1]; p++) {
            const int a = s->pinv[Ki[p]], b = s->pinv[j];
            if (s->full && a > b) continue;
            rowptr[(a < b ? a : b) + 1]++;
        }
    }
    for (int k = 0; k < N; k++) rowptr[k + 1] += rowptr[k];
    memcpy(s->Flag, rowptr, (size_t)N * sizeof(int));
    for (int j = 0; j < N; j++) {
        for (int p = Kp[j]; p < Kp[j + 1]; p++) {
            const int a = s->pinv[Ki[p]], b = s->pinv[j];
            if (s->full && a > b) {
                map[p] = -1;
                continue;
            }
            const int at = s->Flag[a < b ? a : b]++;
            col[at] = a > b ? a : b;
            src[at] = p;
        }
    }
    memcpy(s->Flag, s->Cp, (size_t)N * sizeof(int));
    for (int r = 0; r < N; r++) {
        for (int q = rowptr[r]; q < rowptr[r + 1]; q++) {
            const int at = s->Flag[col[q]]++;
            s->Ci[at] = r;
            map[src[q]] = at;
        }
    }
    free(rowptr);
    free(col);
    free(src);
    return LINSYS_OK;
}

/* Places the entries of K in C (Ci, and map: K entry -> C entry or -1), in the order
 * the flags of the analysis chose; the same pattern always gets the same places. */
static int place(LinsysLdl *s, const int *Kp, const int *Ki, int *map) {
    if (s->sorted) return place_sorted(s, Kp, Ki, map);
    /* the diagonal goes last in its column (where it is with sorted rows too): its place
       changes nothing in ldl_numeric, and callers find it without a map */
    const int N = s->N;
    memcpy(s->Flag, s->Cp, (size_t)N * sizeof(int));
    for (int j = 0; j < N; j++) {
        for (int p = Kp[j]; p < Kp[j + 1]; p++) {
            const int a = s->pinv[Ki[p]], b = s->pinv[j];
            if (s->full && a > b) {
                map[p] = -1;
                continue;
            }
            const int col = a > b ? a : b, row = a > b ? b : a;
            const int at = a == b ? s->Cp[col + 1] - 1 : s->Flag[col]++;
            s->Ci[at] = row;
            map[p] = at;
        }
    }
    return LINSYS_OK;
}

int linsys_ldl_analyze_ex(LinsysLdl **out, int N, const int *Kp, const int *Ki, int flags) {
    if (!out) return LINSYS_ERR_INVALID;
    *out = NULL;
    const int full = (flags & LINSYS_PATTERN_FULL) != 0;
    if (flags & ~(LINSYS_PATTERN_FULL | LINSYS_ROWS_SORTED | LINSYS_ORDER_NATURAL)) return LINSYS_ERR_INVALID;
    const int valid = valid_pattern(N, Kp, Ki, full);
    if (valid < 0) return LINSYS_ERR_OUT_OF_MEMORY;
    if (!valid) return LINSYS_ERR_INVALID;
    const int nnz = N > 0 ? Kp[N] : 0;
    LinsysLdl *s = (LinsysLdl *)calloc(1, sizeof *s);
    if (!s) return LINSYS_ERR_OUT_OF_MEMORY;
    s->N = N;
    s->full = full;
    s->zero = -1;
    s->Kp = (int *)alloc((size_t)N + 1, sizeof(int));
    s->Ki = (int *)alloc((size_t)nnz, sizeof(int));
    s->perm = (int *)alloc((size_t)N, sizeof(int));
    s->pinv = (int *)alloc((size_t)N, sizeof(int));
    s->Cp = (int *)alloc0((size_t)N + 1, sizeof(int));
    s->map = (int *)alloc((size_t)nnz, sizeof(int));
    s->Lp = (int *)alloc((size_t)N + 1, sizeof(int));
    s->Parent = (int *)alloc((size_t)N, sizeof(int));
    /* LDL's integer workspace (Flag, Pattern, Lnz) is idle while a solve refines, and
       the refinement's doubles (d, r) are idle while LDL factorises: they share memory */
    s->Flag = (int *)alloc((size_t)N, sizeof(double));
    s->D = (double *)alloc0((size_t)N, sizeof(double)); /* pivot queries before a factorisation read 0 */
    s->Y = (double *)alloc((size_t)N, sizeof(double));
    s->r = (double *)alloc((size_t)N, sizeof(double));
    s->xt = (double *)alloc((size_t)N, sizeof(double));
    if (!s->Kp || !s->Ki || !s->perm || !s->pinv || !s->Cp || !s->map || !s->Lp || !s->Parent || !s->Flag || !s->D || !s->Y || !s->r ||
        !s->xt) {
        linsys_ldl_free(s);
        return LINSYS_ERR_OUT_OF_MEMORY;
    }
    s->Pattern = s->Flag + N;
    s->d = (double *)s->Flag;
    s->Lnz = (int *)s->r;
    memcpy(s->Kp, Kp, ((size_t)N + 1) * sizeof(int));
    if (nnz > 0) memcpy(s->Ki, Ki, (size_t)nnz * sizeof(int));

    if (flags & LINSYS_ORDER_NATURAL) {
        for (int k = 0; k < N; k++) s->perm[k] = k;
    } else if (N > 0) {
        double control[AMD_CONTROL], info[AMD_INFO];
        amd_defaults(control);
        const int status = amd_order(N, s->Kp, s->Ki, s->perm, control, info);
        if (status != AMD_OK && status != AMD_OK_BUT_JUMBLED) {
            linsys_ldl_free(s);
            return status == AMD_OUT_OF_MEMORY ? LINSYS_ERR_OUT_OF_MEMORY : LINSYS_ERR_INVALID;
        }
    }
    for (int k = 0; k < N; k++) s->pinv[s->perm[k]] = k;

    /* C = triu(P K P'): count, then place, remembering where each K entry went (a
     * full pattern's entries below the diagonal of P K P' go nowhere: -1). */
    for (int j = 0; j < N; j++) {
        for (int p = Kp[j]; p < Kp[j + 1]; p++) {
            const int a = s->pinv[Ki[p]], b = s->pinv[j];
            if (full && a > b) continue;
            s->Cp[(a > b ? a : b) + 1]++;
        }
    }
    for (int k = 0; k < N; k++) s->Cp[k + 1] += s->Cp[k];
    s->Ci = (int *)alloc((size_t)s->Cp[N], sizeof(int));
    s->Cx = (double *)alloc((size_t)s->Cp[N], sizeof(double));
    if (!s->Ci || !s->Cx) {
        linsys_ldl_free(s);
        return LINSYS_ERR_OUT_OF_MEMORY;
    }
    s->sorted = (flags & LINSYS_ROWS_SORTED) != 0;
    if (place(s, Kp, Ki, s->map) != LINSYS_OK) {
        linsys_ldl_free(s);
        return LINSYS_ERR_OUT_OF_MEMORY;
    }
    s->diagonal = 1;
    for (int k = 0; k < N && s->diagonal; k++) s->diagonal = s->Cp[k + 1] > s->Cp[k] && s->Ci[s->Cp[k + 1] - 1] == k;

    ldl_symbolic(N, s->Cp, s->Ci, s->Lp, s->Parent, s->Lnz, s->Flag, NULL, NULL);
    long total = 0;
    for (int k = 0; k < N; k++) {
        total += s->Lnz[k];
        s->fflops += (double)s->Lnz[k] * (double)s->Lnz[k] + (double)s->Lnz[k];
    }
    if (total > INT_MAX - 1) {
        linsys_ldl_free(s);
        return LINSYS_ERR_TOO_LARGE;
    }
    s->sflops = 4.0 * (double)total + (double)N;
    s->Li = (int *)alloc0((size_t)total, sizeof(int));
    s->Lx = (double *)alloc0((size_t)total, sizeof(double));
    if (!s->Li || !s->Lx) {
        linsys_ldl_free(s);
        return LINSYS_ERR_OUT_OF_MEMORY;
    }
    *out = s;
    return LINSYS_OK;
}

int linsys_ldl_analyze(LinsysLdl **out, int N, const int *Kp, const int *Ki) { return linsys_ldl_analyze_ex(out, N, Kp, Ki, 0); }

int linsys_ldl_factor(LinsysLdl *s, const double *Kx) {
    const int N = s->N;
    const int nnz = N > 0 ? s->Kp[N] : 0;
    if (s->full) {
        for (int p = 0; p < nnz; p++) {
            if (s->map[p] >= 0) s->Cx[s->map[p]] = Kx[p];
        }
    } else {
        for (int p = 0; p < nnz; p++) s->Cx[s->map[p]] = Kx[p];
    }
    return linsys_ldl_factor_held(s);
}

int linsys_ldl_factor_held(LinsysLdl *s) {
    const int N = s->N;
    const int done =
        ldl_numeric(N, s->Cp, s->Ci, s->Cx, s->Lp, s->Parent, s->Lnz, s->Li, s->Lx, s->D, s->Y, s->Pattern, s->Flag, NULL, NULL);
    s->positive = 0;
    s->nonfinite = 0;
    for (int k = 0; k < N; k++) {
        s->positive += s->D[k] > 0;
        s->nonfinite += !(fabs(s->D[k]) < HUGE_VAL);
    }
    s->zero = done == N ? -1 : done;
    return done == N ? LINSYS_OK : LINSYS_ERR_ZERO_PIVOT;
}

void linsys_ldl_solve_work(const LinsysLdl *s, double *b, double *work) {
    const int N = s->N;
    /* LDL's solves take non-const arrays but only read them. */
    int *Lp = s->Lp, *Li = s->Li;
    double *Lx = s->Lx, *D = s->D;
    for (int k = 0; k < N; k++) work[k] = b[s->perm[k]];
    ldl_lsolve(N, work, Lp, Li, Lx);
    ldl_dsolve(N, work, D);
    ldl_ltsolve(N, work, Lp, Li, Lx);
    for (int k = 0; k < N; k++) b[s->perm[k]] = work[k];
}

void linsys_ldl_solve(LinsysLdl *s, double *b) { linsys_ldl_solve_work(s, b, s->Y); }

void linsys_sym_multiply(const LinsysLdl *s, const double *Kx, const double *x, double *y) {
    const int N = s->N;
    memset(y, 0, (size_t)N * sizeof(double));
    if (s->full) {
        for (int j = 0; j < N; j++) {
            const double xj = x[j];
            for (int p = s->Kp[j]; p < s->Kp[j + 1]; p++) y[s->Ki[p]] += Kx[p] * xj;
        }
        return;
    }
    for (int j = 0; j < N; j++) {
        const double xj = x[j];
        double acc = 0;
        for (int p = s->Kp[j]; p < s->Kp[j + 1]; p++) {
            const int i = s->Ki[p];
            y[i] += Kx[p] * xj;
            if (i != j) acc += Kx[p] * x[i];
        }
        y[j] += acc;
    }
}

double *linsys_ldl_values(LinsysLdl *s) { return s->Cx; }

int linsys_ldl_value_index(const LinsysLdl *s, int p) { return s->map && p >= 0 && p < s->Kp[s->N] ? s->map[p] : -1; }

int linsys_ldl_set_diagonal(LinsysLdl *s, const double *d) {
    if (!s->diagonal) return LINSYS_ERR_INVALID;
    for (int k = 0; k < s->N; k++) s->Cx[s->Cp[k + 1] - 1] = d[s->perm[k]];
    return LINSYS_OK;
}

int linsys_ldl_map_pattern(LinsysLdl *s, const int *Kp, const int *Ki, int *map) {
    if (s->pinv) return place(s, Kp, Ki, map);
    /* dropped with the pattern: rebuilt for the while */
    s->pinv = (int *)alloc((size_t)s->N, sizeof(int));
    if (!s->pinv) return LINSYS_ERR_OUT_OF_MEMORY;
    for (int k = 0; k < s->N; k++) s->pinv[s->perm[k]] = k;
    const int status = place(s, Kp, Ki, map);
    free(s->pinv);
    s->pinv = NULL;
    return status;
}

void linsys_ldl_drop_pattern(LinsysLdl *s) {
    free(s->Kp);
    free(s->Ki);
    free(s->map);
    free(s->pinv);
    s->Kp = s->Ki = s->map = s->pinv = NULL;
}

/* y = C x in the permuted order (C's upper triangle, mirrored). */
static void permuted_multiply(const LinsysLdl *s, const double *x, double *y) {
    const int N = s->N;
    memset(y, 0, (size_t)N * sizeof(double));
    for (int k = 0; k < N; k++) {
        const double xk = x[k];
        double acc = 0;
        for (int p = s->Cp[k]; p < s->Cp[k + 1]; p++) {
            const int r = s->Ci[p];
            y[r] += s->Cx[p] * xk;
            if (r != k) acc += s->Cx[p] * x[r];
        }
        y[k] += acc;
    }
}

/* r = b - C x, all permuted; returns ||r||_inf (NaN if r has one). */
static double permuted_residual(const LinsysLdl *s, const double *b, const double *x, double *r) {
    permuted_multiply(s, x, r);
    double rn = 0;
    int nan = 0; /* counted apart: the running maximum stays branch-free */
    for (int k = 0; k < s->N; k++) {
        r[k] = b[k] - r[k];
        const double a = fabs(r[k]);
        rn = a > rn ? a : rn;
        nan |= a != a;
    }
    return nan ? NAN : rn;
}

/* x = (L D L')^{-1} x in the permuted order: LDL's forward, diagonal and backward solves
 * with the first two in one pass (x_j is final once column j is reached). */
static void permuted_solve(const LinsysLdl *s, double *x) {
    const int N = s->N;
    const int *Lp = s->Lp, *Li = s->Li;
    const double *Lx = s->Lx;
    for (int j = 0; j < N; j++) {
        const double xj = x[j];
        for (int p = Lp[j]; p < Lp[j + 1]; p++) x[Li[p]] -= Lx[p] * xj;
        x[j] = xj / s->D[j];
    }
    for (int j = N - 1; j >= 0; j--) {
        double xj = x[j];
        for (int p = Lp[j]; p < Lp[j + 1]; p++) xj -= Lx[p] * x[Li[p]];
        x[j] = xj;
    }
}

double linsys_ldl_solve_refined_held(LinsysLdl *s, double *b, int steps, double tol) {
    const int N = s->N;
    /* in the permuted order throughout: b itself (permuted in place through x), x in Y
       (free between factorisations), the residual in r, the correction in d */
    double *x = s->Y, *r = s->r, *d = s->d;
    double bn = 0;
    for (int k = 0; k < N; k++) {
        x[k] = b[s->perm[k]];
        const double a = fabs(x[k]);
        bn = a > bn ? a : bn;
    }
    memcpy(b, x, (size_t)N * sizeof(double));
    permuted_solve(s, x);
    double best = INFINITY;
    for (int it = 0; it <= steps; it++) {
        const double rn = permuted_residual(s, b, x, r);
        if (it > 0 && !(rn < best)) {
            for (int k = 0; k < N; k++) x[k] -= d[k]; /* undo the last correction */
            break;
        }
        best = rn;
        if (rn <= tol * (1 + bn) || it == steps) break;
        memcpy(d, r, (size_t)N * sizeof(double));
        permuted_solve(s, d);
        for (int k = 0; k < N; k++) x[k] += d[k];
    }
    for (int k = 0; k < N; k++) b[s->perm[k]] = x[k];
    return best;
}

static double inf_norm(const double *v, int n) {
    double r = 0;
    for (int i = 0; i < n; i++) {
        const double a = fabs(v[i]);
        if (a > r || a != a) r = a;
    }
    return r;
}

/* r = b - K x; returns ||r||_inf. */
static double residual(const LinsysLdl *s, const double *Kx, const double *b, const double *x, double *r) {
    linsys_sym_multiply(s, Kx, x, r);
    for (int i = 0; i < s->N; i++) r[i] = b[i] - r[i];
    return inf_norm(r, s->N);
}

double linsys_ldl_solve_refined(LinsysLdl *s, const double *Kx_true, const double *b, double *x, int steps) {
    const int N = s->N;
    const double bnorm = inf_norm(b, N);
    const double scale = bnorm > 1e-300 ? bnorm : 1e-300;
    memcpy(x, b, (size_t)N * sizeof(double));
    linsys_ldl_solve(s, x);
    double rnorm = residual(s, Kx_true, b, x, s->r);
    for (int it = 0; it < steps && rnorm > 1e-15 * scale; it++) {
        memcpy(s->d, s->r, (size_t)N * sizeof(double));
        linsys_ldl_solve(s, s->d);
        for (int i = 0; i < N; i++) s->xt[i] = x[i] + s->d[i];
        const double next = residual(s, Kx_true, b, s->xt, s->d);
        if (!(next < rnorm)) break;
        memcpy(x, s->xt, (size_t)N * sizeof(double));
        memcpy(s->r, s->d, (size_t)N * sizeof(double));
        rnorm = next;
    }
    return rnorm / scale;
}

int linsys_ldl_order(const LinsysLdl *s) { return s->N; }
long linsys_ldl_factor_nnz(const LinsysLdl *s) { return s->N > 0 ? (long)s->Lp[s->N] : 0; }
int linsys_ldl_positive_pivots(const LinsysLdl *s) { return s->positive; }

double linsys_ldl_min_abs_pivot(const LinsysLdl *s) {
    double r = INFINITY;
    for (int k = 0; k < s->N; k++) r = fmin(r, fabs(s->D[k]));
    return r;
}

double linsys_ldl_max_abs_pivot(const LinsysLdl *s) {
    double r = 0;
    for (int k = 0; k < s->N; k++) r = fmax(r, fabs(s->D[k]));
    return r;
}

double linsys_ldl_pivot_of(const LinsysLdl *s, int i) {
    if (s->pinv) return s->D[s->pinv[i]];
    for (int k = 0; k < s->N; k++) /* after linsys_ldl_drop_pattern */
        if (s->perm[k] == i) return s->D[k];
    return NAN;
}
int linsys_ldl_zero_pivot(const LinsysLdl *s) { return s->zero < 0 ? -1 : s->perm[s->zero]; }
int linsys_ldl_nonfinite_pivots(const LinsysLdl *s) { return s->nonfinite; }
double linsys_ldl_factor_flops(const LinsysLdl *s) { return s->fflops; }
double linsys_ldl_solve_flops(const LinsysLdl *s) { return s->sflops; }
