/* ipm_linalg.c: sparse products on the workspace's CSC data, norms and the clock. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <string.h>
#include <time.h>

#include "ipm_internal.h"

void ipm_sym_lower_mul(int n, const int *Pp, const int *Pi, const double *Px, const double *x, double *y) {
    memset(y, 0, (size_t)n * sizeof(double));
    for (int j = 0; j < n; j++) {
        const double xj = x[j];
        double acc = 0;
        for (int k = Pp[j]; k < Pp[j + 1]; k++) {
            const int i = Pi[k];
            y[i] += Px[k] * xj;
            if (i != j) acc += Px[k] * x[i];
        }
        y[j] += acc;
    }
}

void ipm_csc_mul(int n, const int *Ap, const int *Ai, const double *Ax, const double *x, double *y, int m) {
    memset(y, 0, (size_t)m * sizeof(double));
    for (int j = 0; j < n; j++) {
        const double xj = x[j];
        if (xj == 0) continue;
        for (int k = Ap[j]; k < Ap[j + 1]; k++) y[Ai[k]] += Ax[k] * xj;
    }
}

void ipm_csc_tmul_add(int n, const int *Ap, const int *Ai, const double *Ax, const double *x, double *y) {
    for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int k = Ap[j]; k < Ap[j + 1]; k++) acc += Ax[k] * x[Ai[k]];
        y[j] += acc;
    }
}

double ipm_norm_inf(const double *v, int n) {
    double r = 0;
    for (int i = 0; i < n; i++) {
        const double a = fabs(v[i]);
        if (a > r || a != a) r = a;
    }
    return r;
}

double ipm_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
