/* admm_linalg.c: dense vector and CSC helpers, the clock. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 199309L
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#include "admm_internal.h"

double admm_norm_inf(int n, const double *x)
{
    double v = 0.0;
    int i;
    for (i = 0; i < n; i++) {
        double a = fabs(x[i]);
        if (a > v) v = a;
    }
    return v;
}

double admm_scaled_norm_inf(int n, const double *d, const double *x)
{
    double v = 0.0;
    int i;
    if (!d) return admm_norm_inf(n, x);
    for (i = 0; i < n; i++) {
        double a = fabs(d[i] * x[i]);
        if (a > v) v = a;
    }
    return v;
}

double admm_dot(int n, const double *x, const double *y)
{
    double s = 0.0;
    int i;
    for (i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}

void admm_sym_matvec(int n, const int *Pp, const int *Pi, const double *Px, const double *x, double *y)
{
    int j, p;
    for (j = 0; j < n; j++) y[j] = 0.0;
    if (!Pp) return;
    for (j = 0; j < n; j++) {
        double xj = x[j], acc = 0.0;
        for (p = Pp[j]; p < Pp[j + 1]; p++) {
            int i = Pi[p];
            y[i] += Px[p] * xj;
            if (i != j) acc += Px[p] * x[i];
        }
        y[j] += acc;
    }
}

void admm_csc_matvec(int m, int n, const int *Ap, const int *Ai, const double *Ax, const double *x, double *y)
{
    int j, p;
    for (j = 0; j < m; j++) y[j] = 0.0;
    for (j = 0; j < n; j++) {
        double xj = x[j];
        if (xj == 0.0) continue;
        for (p = Ap[j]; p < Ap[j + 1]; p++) y[Ai[p]] += Ax[p] * xj;
    }
}

void admm_csc_tmatvec(int n, const int *Ap, const int *Ai, const double *Ax, const double *x, double *y)
{
    int j, p;
    for (j = 0; j < n; j++) {
        double acc = 0.0;
        for (p = Ap[j]; p < Ap[j + 1]; p++) acc += Ax[p] * x[Ai[p]];
        y[j] = acc;
    }
}

int admm_csc_transpose(int m, int n, const int *Ap, const int *Ai, const double *Ax, int **Bp_out, int **Bi_out,
                       double **Bx_out)
{
    int nnz = Ap[n], j, p;
    int *Bp = (int *)calloc((size_t)m + 1, sizeof(int));
    int *Bi = (int *)malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(int));
    double *Bx = (double *)malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(double));
    int *next = (int *)malloc((size_t)(m > 0 ? m : 1) * sizeof(int));
    if (!Bp || !Bi || !Bx || !next) {
        free(Bp);
        free(Bi);
        free(Bx);
        free(next);
        return -1;
    }
    for (p = 0; p < nnz; p++) Bp[Ai[p] + 1]++;
    for (j = 0; j < m; j++) Bp[j + 1] += Bp[j];
    if (m > 0) memcpy(next, Bp, (size_t)m * sizeof(int));
    for (j = 0; j < n; j++) {
        for (p = Ap[j]; p < Ap[j + 1]; p++) {
            int s = next[Ai[p]]++;
            Bi[s] = j;
            Bx[s] = Ax[p];
        }
    }
    free(next);
    *Bp_out = Bp;
    *Bi_out = Bi;
    *Bx_out = Bx;
    return 0;
}

double admm_clip(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

double admm_now(void)
{
#ifdef _WIN32
    LARGE_INTEGER f, t;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
}
