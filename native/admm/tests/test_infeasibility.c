/* test_infeasibility.c: admm unit tests: infeasibility certificates, verified from the data. */
#include "admm_test_util.h"

void test_primal_infeasible(void)
{
    /* x0 + x1 >= 3 with x0 <= 1, x1 <= 1 (bounds) */
    double P[] = {1, 0, 0, 1}, q[] = {1, 1}, A[] = {1, 1}, l[] = {3}, u[] = {INFINITY};
    double ub[] = {1, 1};
    Qp p = qp_make(2, 1, P, q, A, l, u, NULL, ub);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        const AdmmInfo *info = admm_info(w);
        const double *c = admm_prim_inf_cert(w), *dy = c, *dz = c + 1;
        double norm = 0, at[2], supp = 0;
        int j;
        CHECK(info->status == ADMM_PRIMAL_INFEASIBLE, "status %s", admm_status_message(info->status));
        for (j = 0; j < 3; j++) norm = fmax(norm, fabs(c[j]));
        CHECK(norm > 0, "certificate is zero");
        at[0] = dy[0] + dz[0];
        at[1] = dy[0] + dz[1];
        CHECK(fmax(fabs(at[0]), fabs(at[1])) <= 1e-3 * norm, "|A'dy + dz| = %.3e, |dy| = %.3e",
              fmax(fabs(at[0]), fabs(at[1])), norm);
        /* u'dy+ + l'dy- + ub'dz+ + lb'dz- < 0, with dy+ only at finite u etc. */
        CHECK(dy[0] <= 0, "dy on a row without upper bound must be <= 0 (%g)", dy[0]);
        supp += dy[0] < 0 ? l[0] * dy[0] : 0;
        for (j = 0; j < 2; j++) {
            CHECK(dz[j] >= 0, "dz on a variable without lower bound must be >= 0 (%g)", dz[j]);
            if (dz[j] > 0) supp += ub[j] * dz[j];
        }
        CHECK(supp < -1e-3 * norm, "support value %.3e not negative", supp);
        CHECK(isnan(admm_x(w)[0]), "x should be NaN");
        CHECK(isinf(info->obj_val) && info->obj_val > 0, "obj should be +inf");
        admm_cleanup(w);
    }
    qp_free(&p);
}

void test_primal_infeasible_rows(void)
{
    /* rows only: x0 + x1 <= 1, x0 + x1 >= 2 (two separate rows), x2 = x0 (eq) */
    double P[] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, q[] = {0, 0, 0};
    double A[] = {1, 1, 0, 1, 1, 0, 1, 0, -1};
    double l[] = {-INFINITY, 2, 0}, u[] = {1, INFINITY, 0};
    Qp p = qp_make(3, 3, P, q, A, l, u, NULL, NULL);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    w = solve_qp(&p, &s);
    if (w) {
        const double *dy = admm_prim_inf_cert(w);
        double at, norm = 0, supp = 0;
        int i, j;
        CHECK(admm_info(w)->status == ADMM_PRIMAL_INFEASIBLE, "status %s", admm_status_message(admm_info(w)->status));
        for (i = 0; i < 3; i++) norm = fmax(norm, fabs(dy[i]));
        for (j = 0; j < 3; j++) {
            at = 0;
            for (i = 0; i < 3; i++) at += A[i * 3 + j] * dy[i];
            CHECK(fabs(at) <= 1e-3 * norm, "(A'dy)_%d = %.3e", j, at);
        }
        for (i = 0; i < 3; i++) {
            if (dy[i] > 0) {
                CHECK(isfinite(u[i]), "dy_%d > 0 at infinite u", i);
                supp += u[i] * dy[i];
            }
            if (dy[i] < 0) {
                CHECK(isfinite(l[i]), "dy_%d < 0 at infinite l", i);
                supp += l[i] * dy[i];
            }
        }
        CHECK(supp < 0, "support %.3e", supp);
        admm_cleanup(w);
    }
    qp_free(&p);
}

void test_dual_infeasible(void)
{
    /* min -x0 + 1/2 x1^2 s.t. x0 - x1 >= -1 (row), x0 >= 0: unbounded along (1, 0) */
    double P[] = {0, 0, 0, 1}, q[] = {-1, 0}, A[] = {1, -1}, l[] = {-1}, u[] = {INFINITY};
    double lb[] = {0, -INFINITY};
    Qp p = qp_make(2, 1, P, q, A, l, u, lb, NULL);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    w = solve_qp(&p, &s);
    if (w) {
        const AdmmInfo *info = admm_info(w);
        const double *dx = admm_dual_inf_cert(w);
        double nx = fmax(fabs(dx[0]), fabs(dx[1]));
        double pdx1 = dx[1]; /* P dx = (0, dx1) */
        double qdx = -dx[0], adx = dx[0] - dx[1];
        CHECK(info->status == ADMM_DUAL_INFEASIBLE, "status %s", admm_status_message(info->status));
        CHECK(nx > 0, "certificate is zero");
        CHECK(fabs(pdx1) <= 1e-3 * nx, "|P dx| = %.3e", fabs(pdx1));
        CHECK(qdx < -1e-3 * nx, "q'dx = %.3e", qdx);
        CHECK(adx >= -1e-3 * nx, "A dx = %.3e must be >= 0 (row has finite l only)", adx);
        CHECK(dx[0] >= -1e-3 * nx, "dx0 = %.3e must be >= 0 (lb finite)", dx[0]);
        CHECK(isinf(info->obj_val) && info->obj_val < 0, "obj should be -inf");
        admm_cleanup(w);
    }
    qp_free(&p);
}

void test_dual_infeasible_lp(void)
{
    /* min -x0 - x1 s.t. x0 - x1 = 0, x >= 0: unbounded along (1, 1) */
    double q[] = {-1, -1}, A[] = {1, -1}, l[] = {0}, u[] = {0}, lb[] = {0, 0};
    Qp p = qp_make(2, 1, NULL, q, A, l, u, lb, NULL);
    AdmmWorkspace *w = solve_qp(&p, NULL);
    if (w) {
        const double *dx = admm_dual_inf_cert(w);
        double nx = fmax(fabs(dx[0]), fabs(dx[1]));
        CHECK(admm_info(w)->status == ADMM_DUAL_INFEASIBLE, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(nx > 0 && -dx[0] - dx[1] < 0, "q'dx = %.3e", -dx[0] - dx[1]);
        CHECK(fabs(dx[0] - dx[1]) <= 1e-3 * nx, "A dx = %.3e", dx[0] - dx[1]);
        admm_cleanup(w);
    }
    qp_free(&p);
}
