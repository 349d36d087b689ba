/* ipm_linalg.c: sparse products on the workspace's CSC data, norms and the clock. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <string.h>
#include <time.h>

#include "ipm_internal.h"

/* The scalings are applied to the vectors, not stored in the matrices: the workspace
 * keeps P and A as given (or borrows them). */

void ipm_p_mul(const IpmWorkspace *w, const double *x, double *y) {
    const int n = w->n;
    const double *D = w->Dx;
    memset(y, 0, (size_t)n * sizeof(double));
    for (int j = 0; j < n; j++) {
        const double xj = D[j] * x[j];
        double acc = 0;
        for (int k = w->Pp[j]; k < w->Pp[j + 1]; k++) {
            const int i = w->Pi[k];
            y[i] += w->Px[k] * xj;
            if (i != j) acc += w->Px[k] * (D[i] * x[i]);
        }
        y[j] += acc;
    }
    for (int j = 0; j < n; j++) y[j] *= w->cost * D[j];
}

void ipm_a_mul(const IpmWorkspace *w, const double *x, double *y) {
    memset(y, 0, (size_t)w->m * sizeof(double));
    for (int j = 0; j < w->n; j++) {
        const double xj = w->Dx[j] * x[j];
        if (xj == 0) continue;
        for (int k = w->Ap[j]; k < w->Ap[j + 1]; k++) y[w->Ai[k]] += w->Ax[k] * xj;
    }
    for (int i = 0; i < w->m; i++) y[i] *= w->Er[i];
}

void ipm_at_mul_add(const IpmWorkspace *w, const double *x, double *y) {
    for (int j = 0; j < w->n; j++) {
        double acc = 0;
        for (int k = w->Ap[j]; k < w->Ap[j + 1]; k++) acc += w->Ax[k] * (w->Er[w->Ai[k]] * x[w->Ai[k]]);
        y[j] += w->Dx[j] * acc;
    }
}

double ipm_norm_inf(const double *v, int n) {
    double r = 0;
    int nan = 0; /* apart from the maximum, which then stays branch-free */
    for (int i = 0; i < n; i++) {
        const double a = fabs(v[i]);
        r = a > r ? a : r;
        nan |= a != a;
    }
    return nan ? NAN : r;
}

double ipm_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
