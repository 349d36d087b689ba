/* admm_kkt.c: assembly, AMD ordering and LDL' factorisation of the
 * quasi-definite KKT matrix (see admm_kkt.h).
 *
 * The matrix is assembled directly in its permuted form: AMD orders the upper
 * triangle U of K, then every entry (i, j) of U is moved to
 * (min(pinv[i], pinv[j]), max(...)), giving the upper triangle of K(perm, perm),
 * which LDL factorises without a permutation argument.  Index maps from the
 * entries of P, of A' and of both diagonals to their slots in Kx let a value
 * change (new rho, new sigma) be written in O(nnz) before a numeric refactor. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <amd.h>
#include <ldl.h>

#include "admm.h"
#include "admm_kkt.h"

struct AdmmKkt {
    int n, nr, N;           /* blocks and total size                    */
    /* borrowed data */
    const int *Pp, *Pi; const double *Px;
    const int *ATp, *ATi; const double *ATx;
    int *rows;              /* size nr                                  */
    double sigma;
    double *bdiag;          /* size nr                                  */
    /* permuted upper triangle */
    int *Kp, *Ki; double *Kx;
    int *mapP;              /* size Pp[n]: slot of each P entry          */
    int *mapD;              /* size n: slot of (j, j), j < n            */
    int *mapA;              /* size nnz of selected rows: slot of each A' entry */
    int *mapB;              /* size nr: slot of (n+r, n+r)              */
    int *perm, *pinv;       /* size N                                   */
    /* LDL */
    int *Lp, *Parent, *Lnz, *Li, *Pattern, *Flag;
    double *Lx, *D, *Y, *work;
    double fflops, sflops;
};

static void *xmalloc(size_t count, size_t size)
{
    if (count == 0) count = 1;
    return malloc(count * size);
}

void admm_kkt_free(AdmmKkt *k)
{
    if (!k) return;
    free(k->rows); free(k->bdiag);
    free(k->Kp); free(k->Ki); free(k->Kx);
    free(k->mapP); free(k->mapD); free(k->mapA); free(k->mapB);
    free(k->perm); free(k->pinv);
    free(k->Lp); free(k->Parent); free(k->Lnz); free(k->Li); free(k->Pattern);
    free(k->Flag); free(k->Lx); free(k->D); free(k->Y); free(k->work);
    free(k);
}

/* Write the values of K into Kx through the maps. */
static void kkt_fill_values(AdmmKkt *k)
{
    int n = k->n, r, j, p, t = 0;
    int nnzK = k->Kp[k->N];
    memset(k->Kx, 0, (size_t)(nnzK > 0 ? nnzK : 1) * sizeof(double));
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
    int N = k->N, d, i, npos = 0;
    kkt_fill_values(k);
    d = ldl_numeric(N, k->Kp, k->Ki, k->Kx, k->Lp, k->Parent, k->Lnz, k->Li, k->Lx,
                    k->D, k->Y, k->Pattern, k->Flag, NULL, NULL);
    if (d != N) {
        /* zero pivot: with sigma > 0 and bdiag < 0 only if P + sigma I is singular */
        return ADMM_ERR_NONCVX;
    }
    for (i = 0; i < N; i++) {
        if (!(fabs(k->D[i]) < HUGE_VAL)) return ADMM_ERR_FACTORIZATION; /* NaN or inf */
        if (k->D[i] > 0) npos++;
    }
    /* a quasi-definite matrix has exactly n positive pivots */
    if (npos != k->n) return ADMM_ERR_NONCVX;
    return 0;
}

int admm_kkt_create(AdmmKkt **out, int n, const int *Pp, const int *Pi, const double *Px,
                    double sigma, int mt, const int *ATp, const int *ATi, const double *ATx,
                    int nr, const int *rows, const double *bdiag)
{
    AdmmKkt *k;
    int *Up = NULL, *Ui = NULL, *rowptr = NULL, *tc = NULL, *te = NULL, *next = NULL;
    int *ekind = NULL;
    long long nnzU_ll = 0, nnzL_ll = 0;
    int N, nnzU, nnzP, nnzAsel = 0, j, r, p, e, err = ADMM_ERR_OUT_OF_MEMORY;
    double Control[AMD_CONTROL], Info[AMD_INFO];

    *out = NULL;
    (void)mt;
    if (n < 1 || nr < 0 || (long long)n + nr > INT_MAX) return ADMM_ERR_INVALID_DIMENSION;
    N = n + nr;
    nnzP = Pp ? Pp[n] : 0;

    k = (AdmmKkt *)calloc(1, sizeof(AdmmKkt));
    if (!k) return ADMM_ERR_OUT_OF_MEMORY;
    k->n = n; k->nr = nr; k->N = N;
    k->Pp = Pp; k->Pi = Pi; k->Px = Px;
    k->ATp = ATp; k->ATi = ATi; k->ATx = ATx;
    k->sigma = sigma;
    k->rows = (int *)xmalloc((size_t)nr, sizeof(int));
    k->bdiag = (double *)xmalloc((size_t)nr, sizeof(double));
    if (!k->rows || !k->bdiag) goto fail;
    for (r = 0; r < nr; r++) {
        k->rows[r] = rows ? rows[r] : r;
        k->bdiag[r] = bdiag[r];
        nnzAsel += ATp[k->rows[r] + 1] - ATp[k->rows[r]];
    }

    /* ---- upper triangle U of K, unpermuted ---------------------------- */
    nnzU_ll = (long long)nnzP + n + nnzAsel + nr;
    if (nnzU_ll > INT_MAX) { err = ADMM_ERR_INVALID_DIMENSION; goto fail; }
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
                k->mapP[p] = e;             /* temporarily: index into U */
                if (Pi[p] == j) { k->mapD[j] = e; has_diag = 1; }
                e++;
            }
        }
        if (!has_diag) { Ui[e] = j; k->mapD[j] = e; e++; }
    }
    {
        int t = 0;
        for (r = 0; r < nr; r++) {
            int row = k->rows[r];
            Up[n + r] = e;
            for (p = ATp[row]; p < ATp[row + 1]; p++) { Ui[e] = ATi[p]; k->mapA[t++] = e++; }
            Ui[e] = n + r; k->mapB[r] = e++;
        }
    }
    Up[N] = e;
    nnzU = e;

    /* ---- AMD ordering --------------------------------------------------- */
    k->perm = (int *)xmalloc((size_t)N, sizeof(int));
    k->pinv = (int *)xmalloc((size_t)N, sizeof(int));
    if (!k->perm || !k->pinv) goto fail;
    amd_defaults(Control);
    {
        int st = amd_order(N, Up, Ui, k->perm, Control, Info);
        if (st == AMD_OUT_OF_MEMORY) goto fail;
        if (st != AMD_OK && st != AMD_OK_BUT_JUMBLED) { err = ADMM_ERR_FACTORIZATION; goto fail; }
    }
    for (j = 0; j < N; j++) k->pinv[k->perm[j]] = j;

    /* ---- permuted upper triangle, rows sorted within columns ----------- */
    /* bucket the entries by their new row (min index), then deal them out to
     * their new columns in increasing row order */
    rowptr = (int *)calloc((size_t)N + 1, sizeof(int));
    tc = (int *)xmalloc((size_t)nnzU, sizeof(int));
    te = (int *)xmalloc((size_t)nnzU, sizeof(int));
    next = (int *)xmalloc((size_t)N + 1, sizeof(int));
    ekind = (int *)xmalloc((size_t)nnzU, sizeof(int)); /* final slot of U entry */
    k->Kp = (int *)calloc((size_t)N + 1, sizeof(int));
    k->Ki = (int *)xmalloc((size_t)nnzU, sizeof(int));
    k->Kx = (double *)xmalloc((size_t)nnzU, sizeof(double));
    if (!rowptr || !tc || !te || !next || !ekind || !k->Kp || !k->Ki || !k->Kx) goto fail;
    for (j = 0; j < N; j++) {
        for (p = Up[j]; p < Up[j + 1]; p++) {
            int a = k->pinv[Ui[p]], b = k->pinv[j];
            int lo = a < b ? a : b, hi = a < b ? b : a;
            rowptr[lo + 1]++;
            k->Kp[hi + 1]++;
        }
    }
    for (j = 0; j < N; j++) { rowptr[j + 1] += rowptr[j]; k->Kp[j + 1] += k->Kp[j]; }
    memcpy(next, rowptr, (size_t)N * sizeof(int));
    for (j = 0; j < N; j++) {
        for (p = Up[j]; p < Up[j + 1]; p++) {
            int a = k->pinv[Ui[p]], b = k->pinv[j];
            int lo = a < b ? a : b, hi = a < b ? b : a;
            int s = next[lo]++;
            tc[s] = hi;
            te[s] = p;
        }
    }
    memcpy(next, k->Kp, (size_t)N * sizeof(int));
    for (r = 0; r < N; r++) {
        for (p = rowptr[r]; p < rowptr[r + 1]; p++) {
            int s = next[tc[p]]++;
            k->Ki[s] = r;
            ekind[te[p]] = s;
        }
    }
    for (p = 0; p < nnzP; p++) k->mapP[p] = ekind[k->mapP[p]];
    for (j = 0; j < n; j++) k->mapD[j] = ekind[k->mapD[j]];
    for (p = 0; p < nnzAsel; p++) k->mapA[p] = ekind[k->mapA[p]];
    for (r = 0; r < nr; r++) k->mapB[r] = ekind[k->mapB[r]];
    free(Up); free(Ui); free(rowptr); free(tc); free(te); free(next); free(ekind);
    Up = Ui = rowptr = tc = te = next = ekind = NULL;

    /* ---- symbolic analysis ---------------------------------------------- */
    k->Lp = (int *)xmalloc((size_t)N + 1, sizeof(int));
    k->Parent = (int *)xmalloc((size_t)N, sizeof(int));
    k->Lnz = (int *)xmalloc((size_t)N, sizeof(int));
    k->Flag = (int *)xmalloc((size_t)N, sizeof(int));
    k->Pattern = (int *)xmalloc((size_t)N, sizeof(int));
    k->D = (double *)xmalloc((size_t)N, sizeof(double));
    k->Y = (double *)xmalloc((size_t)N, sizeof(double));
    k->work = (double *)xmalloc((size_t)N, sizeof(double));
    if (!k->Lp || !k->Parent || !k->Lnz || !k->Flag || !k->Pattern || !k->D || !k->Y || !k->work)
        goto fail;
    ldl_symbolic(N, k->Kp, k->Ki, k->Lp, k->Parent, k->Lnz, k->Flag, NULL, NULL);
    k->fflops = 0;
    for (j = 0; j < N; j++) {
        nnzL_ll += k->Lnz[j];
        k->fflops += (double)k->Lnz[j] * (double)k->Lnz[j] + (double)k->Lnz[j];
    }
    if (nnzL_ll > INT_MAX) { err = ADMM_ERR_FACTORIZATION; goto fail; }
    k->sflops = 4.0 * (double)nnzL_ll + (double)N;
    k->Li = (int *)xmalloc((size_t)nnzL_ll, sizeof(int));
    k->Lx = (double *)xmalloc((size_t)nnzL_ll, sizeof(double));
    if (!k->Li || !k->Lx) goto fail;

    /* ---- numeric factorisation ------------------------------------------ */
    err = kkt_factor(k);
    if (err) goto fail;
    *out = k;
    return 0;

fail:
    free(Up); free(Ui); free(rowptr); free(tc); free(te); free(next); free(ekind);
    admm_kkt_free(k);
    return err;
}

int admm_kkt_refactor(AdmmKkt *k, double sigma, const double *bdiag)
{
    k->sigma = sigma;
    if (bdiag) memcpy(k->bdiag, bdiag, (size_t)k->nr * sizeof(double));
    return kkt_factor(k);
}

void admm_kkt_solve(AdmmKkt *k, double *b)
{
    int N = k->N, i;
    double *w = k->work;
    for (i = 0; i < N; i++) w[i] = b[k->perm[i]];
    ldl_lsolve(N, w, k->Lp, k->Li, k->Lx);
    ldl_dsolve(N, w, k->D);
    ldl_ltsolve(N, w, k->Lp, k->Li, k->Lx);
    for (i = 0; i < N; i++) b[k->perm[i]] = w[i];
}

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

double admm_kkt_factor_flops(const AdmmKkt *k) { return k->fflops; }
double admm_kkt_solve_flops(const AdmmKkt *k) { return k->sflops; }
