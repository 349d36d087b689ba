/* admm_kkt.c: assembly of the quasi-definite KKT matrix (see admm_kkt.h); its
 * ordering, factorisation and solves are the sparse LDL' layer's (native/linsys).
 *
 * The upper triangle U of K is assembled once, column by column (the columns of P
 * with every diagonal present, then one column per selected row of A: its entries
 * of A' and the bottom diagonal), with index maps from the entries of P, of A' and
 * of both diagonals to their slots in U.  A value change (new rho, new sigma) is
 * written through the maps in O(nnz) before a numeric refactorisation. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "admm.h"
#include "admm_kkt.h"
#include "linsys.h"

struct AdmmKkt {
    int n, nr, N; /* blocks and total size                    */
    /* borrowed data */
    const int *Pp, *Pi;
    const double *Px;
    const int *ATp, *ATi;
    const double *ATx;
    int *rows; /* size nr                                  */
    double sigma;
    double *bdiag; /* size nr                                  */
    /* values of the upper triangle U of K */
    int nnzU;
    double *Kx;     /* size nnzU                                */
    int *mapP;      /* size Pp[n]: slot of each P entry          */
    int *mapD;      /* size n: slot of (j, j), j < n            */
    int *mapA;      /* size nnz of selected rows: slot of each A' entry */
    int *mapB;      /* size nr: slot of (n+r, n+r)              */
    LinsysLdl *ldl; /* AMD ordering and L D L' of U's pattern   */
};

static void *xmalloc(size_t count, size_t size)
{
    if (count == 0) count = 1;
    return malloc(count * size);
}

void admm_kkt_free(AdmmKkt *k)
{
    if (!k) return;
    free(k->rows);
    free(k->bdiag);
    free(k->Kx);
    free(k->mapP);
    free(k->mapD);
    free(k->mapA);
    free(k->mapB);
    linsys_ldl_free(k->ldl);
    free(k);
}

/* Write the values of K into Kx through the maps. */
static void kkt_fill_values(AdmmKkt *k)
{
    int n = k->n, r, j, p, t = 0;
    memset(k->Kx, 0, (size_t)(k->nnzU > 0 ? k->nnzU : 1) * sizeof(double));
    if (k->Pp) {
        for (p = 0; p < k->Pp[n]; p++) k->Kx[k->mapP[p]] += k->Px[p];
    }
    for (j = 0; j < n; j++) k->Kx[k->mapD[j]] += k->sigma;
    for (r = 0; r < k->nr; r++) {
        int row = k->rows[r];
        for (p = k->ATp[row]; p < k->ATp[row + 1]; p++) k->Kx[k->mapA[t++]] = k->ATx[p];
        k->Kx[k->mapB[r]] = k->bdiag[r];
    }
}

/* Numeric factorisation and inertia check. */
static int kkt_factor(AdmmKkt *k)
{
    kkt_fill_values(k);
    if (linsys_ldl_factor(k->ldl, k->Kx) != LINSYS_OK) {
        /* zero pivot: with sigma > 0 and bdiag < 0 only if P + sigma I is singular */
        return ADMM_ERR_NONCVX;
    }
    if (linsys_ldl_nonfinite_pivots(k->ldl) > 0) return ADMM_ERR_FACTORIZATION;
    /* a quasi-definite matrix has exactly n positive pivots */
    if (linsys_ldl_positive_pivots(k->ldl) != k->n) return ADMM_ERR_NONCVX;
    return 0;
}

int admm_kkt_analyze(AdmmKkt **out, int n, const int *Pp, const int *Pi, const double *Px, double sigma, int mt,
                     const int *ATp, const int *ATi, const double *ATx, int nr, const int *rows, const double *bdiag)
{
    AdmmKkt *k;
    int *Up = NULL, *Ui = NULL;
    long long nnzU_ll = 0;
    int N, nnzU, nnzP, nnzAsel = 0, j, r, p, e, err = ADMM_ERR_OUT_OF_MEMORY;

    *out = NULL;
    (void)mt;
    if (n < 1 || nr < 0 || (long long)n + nr > INT_MAX) return ADMM_ERR_INVALID_DIMENSION;
    N = n + nr;
    nnzP = Pp ? Pp[n] : 0;

    k = (AdmmKkt *)calloc(1, sizeof(AdmmKkt));
    if (!k) return ADMM_ERR_OUT_OF_MEMORY;
    k->n = n;
    k->nr = nr;
    k->N = N;
    k->Pp = Pp;
    k->Pi = Pi;
    k->Px = Px;
    k->ATp = ATp;
    k->ATi = ATi;
    k->ATx = ATx;
    k->sigma = sigma;
    k->rows = (int *)xmalloc((size_t)nr, sizeof(int));
    k->bdiag = (double *)xmalloc((size_t)nr, sizeof(double));
    if (!k->rows || !k->bdiag) goto fail;
    for (r = 0; r < nr; r++) {
        k->rows[r] = rows ? rows[r] : r;
        k->bdiag[r] = bdiag[r];
        nnzAsel += ATp[k->rows[r] + 1] - ATp[k->rows[r]];
    }

    /* ---- upper triangle U of K (rows sorted: P's are, A' rows are < n) -- */
    nnzU_ll = (long long)nnzP + n + nnzAsel + nr;
    if (nnzU_ll > INT_MAX) {
        err = ADMM_ERR_INVALID_DIMENSION;
        goto fail;
    }
    nnzU = (int)nnzU_ll;
    Up = (int *)xmalloc((size_t)N + 1, sizeof(int));
    Ui = (int *)xmalloc((size_t)nnzU, sizeof(int));
    k->mapP = (int *)xmalloc((size_t)nnzP, sizeof(int));
    k->mapD = (int *)xmalloc((size_t)n, sizeof(int));
    k->mapA = (int *)xmalloc((size_t)nnzAsel, sizeof(int));
    k->mapB = (int *)xmalloc((size_t)nr, sizeof(int));
    if (!Up || !Ui || !k->mapP || !k->mapD || !k->mapA || !k->mapB) goto fail;
    e = 0;
    for (j = 0; j < n; j++) {
        int has_diag = 0;
        Up[j] = e;
        if (Pp) {
            for (p = Pp[j]; p < Pp[j + 1]; p++) {
                Ui[e] = Pi[p];
                k->mapP[p] = e;
                if (Pi[p] == j) {
                    k->mapD[j] = e;
                    has_diag = 1;
                }
                e++;
            }
        }
        if (!has_diag) {
            Ui[e] = j;
            k->mapD[j] = e;
            e++;
        }
    }
    {
        int t = 0;
        for (r = 0; r < nr; r++) {
            int row = k->rows[r];
            Up[n + r] = e;
            for (p = ATp[row]; p < ATp[row + 1]; p++) {
                Ui[e] = ATi[p];
                k->mapA[t++] = e++;
            }
            Ui[e] = n + r;
            k->mapB[r] = e++;
        }
    }
    Up[N] = e;
    k->nnzU = e;
    k->Kx = (double *)xmalloc((size_t)e, sizeof(double));
    if (!k->Kx) goto fail;

    /* ---- ordering and symbolic analysis (linsys copies the pattern) ----- */
    /* rows sorted within the permuted columns: the order admm has always
     * factorised with (its iterates amplify a change of round-off) */
    switch (linsys_ldl_analyze_ex(&k->ldl, N, Up, Ui, LINSYS_ROWS_SORTED)) {
    case LINSYS_OK: break;
    case LINSYS_ERR_OUT_OF_MEMORY: goto fail;
    default: err = ADMM_ERR_FACTORIZATION; goto fail; /* invalid pattern, factor too large */
    }
    free(Up);
    free(Ui);
    *out = k;
    return 0;

fail:
    free(Up);
    free(Ui);
    admm_kkt_free(k);
    return err;
}

int admm_kkt_create(AdmmKkt **out, int n, const int *Pp, const int *Pi, const double *Px, double sigma, int mt,
                    const int *ATp, const int *ATi, const double *ATx, int nr, const int *rows, const double *bdiag)
{
    int err = admm_kkt_analyze(out, n, Pp, Pi, Px, sigma, mt, ATp, ATi, ATx, nr, rows, bdiag);
    if (err) return err;
    err = kkt_factor(*out);
    if (err) {
        admm_kkt_free(*out);
        *out = NULL;
    }
    return err;
}

int admm_kkt_refactor(AdmmKkt *k, double sigma, const double *bdiag)
{
    k->sigma = sigma;
    if (bdiag) memcpy(k->bdiag, bdiag, (size_t)k->nr * sizeof(double));
    return kkt_factor(k);
}

void admm_kkt_solve(AdmmKkt *k, double *b) { linsys_ldl_solve(k->ldl, b); }

void admm_kkt_matvec_exact(const AdmmKkt *k, const double *x, double *y)
{
    int n = k->n, j, p, r;
    for (j = 0; j < k->N; j++) y[j] = 0.0;
    if (k->Pp) {
        for (j = 0; j < n; j++) {
            for (p = k->Pp[j]; p < k->Pp[j + 1]; p++) {
                int i = k->Pi[p];
                y[i] += k->Px[p] * x[j];
                if (i != j) y[j] += k->Px[p] * x[i];
            }
        }
    }
    for (r = 0; r < k->nr; r++) {
        int row = k->rows[r];
        double acc = 0.0, xr = x[n + r];
        for (p = k->ATp[row]; p < k->ATp[row + 1]; p++) {
            int i = k->ATi[p];
            acc += k->ATx[p] * x[i];
            y[i] += k->ATx[p] * xr;
        }
        y[n + r] = acc;
    }
}

double admm_kkt_factor_flops(const AdmmKkt *k) { return linsys_ldl_factor_flops(k->ldl); }
double admm_kkt_solve_flops(const AdmmKkt *k) { return linsys_ldl_solve_flops(k->ldl); }
