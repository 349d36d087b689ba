/* admm_scaling.c: Ruiz equilibration of the KKT matrix [P A'; A 0] plus a
 * scalar cost scaling.
 *
 * Each pass divides every column j of the first block by sqrt of the largest
 * magnitude in column j of [P; A], and every row i of A by sqrt of the largest
 * magnitude in that row, which drives all infinity norms of rows and columns of
 * the KKT matrix towards 1.  Then the cost (P, q) is multiplied by
 * 1 / max(mean column norm of P, |q|_inf) so that the objective is of order one.
 * Norms are clipped to [1e-4, 1e4] in each pass (so one pass changes a row or
 * column by at most a factor 100; more passes go further); an empty column or
 * row is left alone. */
#include <math.h>

#include "admm_internal.h"

#define SCALE_MIN 1e-4
#define SCALE_MAX 1e4

static double limit_norm(double v)
{
    if (v == 0.0) return 1.0; /* empty column or row: leave alone */
    if (v < SCALE_MIN) return SCALE_MIN;
    if (v > SCALE_MAX) return SCALE_MAX;
    return v;
}

/*  n, mt:        [in] sizes
 *  Pp, Pi, Px:   [in, in, in/out] one triangle of P, n-by-n CSC
 *  q:            [in/out] size n
 *  Ap, Ai, Ax:   [in, in, in/out] A, mt-by-n CSC
 *  passes:       [in] number of Ruiz passes (0: identity scaling)
 *  D, E, c:      [out] sizes n, mt, 1: cumulated scaling
 *  work:         [workspace] size n + mt
 *  st:           [in] polled before each pass */
int admm_ruiz(int n, int mt, const int *Pp, const int *Pi, double *Px, double *q, const int *Ap, const int *Ai,
              double *Ax, int passes, double *D, double *E, double *c, double *work, const AdmmStop *st)
{
    double *dt = work, *et = work + n;
    int it, i, j, p;

    for (j = 0; j < n; j++) D[j] = 1.0;
    for (i = 0; i < mt; i++) E[i] = 1.0;
    *c = 1.0;

    for (it = 0; it < passes; it++) {
        double mean, qn, g;
        int stop = admm_stop_reason(st);
        if (stop) return stop;
        for (j = 0; j < n; j++) dt[j] = 0.0;
        for (i = 0; i < mt; i++) et[i] = 0.0;
        if (Pp) {
            for (j = 0; j < n; j++) {
                for (p = Pp[j]; p < Pp[j + 1]; p++) {
                    double v = fabs(Px[p]);
                    i = Pi[p];
                    if (v > dt[j]) dt[j] = v;
                    if (v > dt[i]) dt[i] = v;
                }
            }
        }
        for (j = 0; j < n; j++) {
            for (p = Ap[j]; p < Ap[j + 1]; p++) {
                double v = fabs(Ax[p]);
                if (v > dt[j]) dt[j] = v;
                if (v > et[Ai[p]]) et[Ai[p]] = v;
            }
        }
        for (j = 0; j < n; j++) dt[j] = 1.0 / sqrt(limit_norm(dt[j]));
        for (i = 0; i < mt; i++) et[i] = 1.0 / sqrt(limit_norm(et[i]));

        if (Pp) {
            for (j = 0; j < n; j++)
                for (p = Pp[j]; p < Pp[j + 1]; p++) Px[p] *= dt[Pi[p]] * dt[j];
        }
        for (j = 0; j < n; j++) {
            q[j] *= dt[j];
            for (p = Ap[j]; p < Ap[j + 1]; p++) Ax[p] *= et[Ai[p]] * dt[j];
            D[j] *= dt[j];
        }
        for (i = 0; i < mt; i++) E[i] *= et[i];

        /* cost scaling */
        for (j = 0; j < n; j++) dt[j] = 0.0;
        if (Pp) {
            for (j = 0; j < n; j++) {
                for (p = Pp[j]; p < Pp[j + 1]; p++) {
                    double v = fabs(Px[p]);
                    i = Pi[p];
                    if (v > dt[j]) dt[j] = v;
                    if (v > dt[i]) dt[i] = v;
                }
            }
        }
        mean = 0.0;
        for (j = 0; j < n; j++) mean += dt[j];
        mean /= (double)n;
        qn = admm_norm_inf(n, q);
        g = 1.0 / limit_norm(mean > qn ? mean : qn);
        if (Pp) {
            for (p = 0; p < Pp[n]; p++) Px[p] *= g;
        }
        for (j = 0; j < n; j++) q[j] *= g;
        *c *= g;
    }
    return 0;
}
