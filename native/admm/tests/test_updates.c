/* test_updates.c: admm unit tests: warm starts, updates of q and the bounds, settings. */
#include "admm_test_util.h"

void test_warm_start(void)
{
    Qp p = random_qp(60, 40, 0.15, 1e-2, 1);
    AdmmSettings s;
    AdmmWorkspace *w = NULL, *w2 = NULL;
    AdmmProblem pr;
    int j, cold_iter = 0, warm_iter = 0;
    double *q2 = (double *)malloc((size_t)p.n * sizeof(double));
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-5;
    w = solve_qp(&p, &s);
    if (!w) {
        free(q2);
        qp_free(&p);
        return;
    }
    CHECK(admm_info(w)->status == ADMM_SOLVED, "first solve");
    for (j = 0; j < p.n; j++) q2[j] = p.q[j] * (1.0 + 0.01 * nrand());

    /* warm: update q in place and re-solve from the previous iterates */
    CHECK(admm_update_q(w, q2) == ADMM_OK, "update_q");
    admm_solve(w, NULL);
    CHECK(admm_info(w)->status == ADMM_SOLVED, "warm re-solve");
    warm_iter = admm_info(w)->iter;

    /* cold: new workspace for the perturbed problem */
    memcpy(p.q, q2, (size_t)p.n * sizeof(double));
    pr = qp_view(&p);
    CHECK(admm_setup(&w2, &pr, &s) == ADMM_OK, "setup 2");
    if (w2) {
        admm_solve(w2, NULL);
        CHECK(admm_info(w2)->status == ADMM_SOLVED, "cold solve");
        cold_iter = admm_info(w2)->iter;
        CHECK(warm_iter < cold_iter, "warm %d iterations, cold %d", warm_iter, cold_iter);
        /* same answer */
        for (j = 0; j < p.n; j++) CHECK_NEAR(admm_x(w)[j], admm_x(w2)[j], 1e-3, "x warm vs cold");
        admm_cleanup(w2);
        w2 = NULL;
    }

    /* explicit warm start with the solution in a fresh workspace */
    {
        double *x = (double *)malloc((size_t)p.n * sizeof(double));
        double *y = (double *)malloc((size_t)p.m * sizeof(double));
        double *z = (double *)malloc((size_t)p.n * sizeof(double));
        memcpy(x, admm_x(w), (size_t)p.n * sizeof(double));
        memcpy(y, admm_y(w), (size_t)p.m * sizeof(double));
        memcpy(z, admm_z(w), (size_t)p.n * sizeof(double));
        s.warm_start = 0; /* admm_warm_start must still take effect */
        CHECK(admm_setup(&w2, &pr, &s) == ADMM_OK, "setup 3");
        if (w2) {
            CHECK(admm_warm_start(w2, x, y, z) == ADMM_OK, "warm_start");
            admm_solve(w2, NULL);
            CHECK(admm_info(w2)->status == ADMM_SOLVED, "warm-started solve");
            CHECK(admm_info(w2)->iter <= 50 && admm_info(w2)->iter < cold_iter,
                  "warm-started from solution: %d iterations (cold %d)", admm_info(w2)->iter, cold_iter);
            /* settings.warm_start = 0: the next solve starts from zero again */
            admm_solve(w2, NULL);
            CHECK(admm_info(w2)->iter == cold_iter, "cold again: %d vs %d", admm_info(w2)->iter, cold_iter);
            x[0] = NAN;
            CHECK(admm_warm_start(w2, x, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NaN warm start rejected");
            admm_cleanup(w2);
        }
        free(x);
        free(y);
        free(z);
    }
    admm_cleanup(w);
    free(q2);
    qp_free(&p);
}

void test_update_bounds(void)
{
    /* min 1/2|x|^2 - 2x1 + x2, 0 <= x <= 1, row x1 + x2 <= 5 */
    double P[] = {1, 0, 0, 1}, q[] = {-2, 1}, A[] = {1, 1}, l[] = {-INFINITY}, u[] = {5};
    double lb[] = {0, 0}, ub[] = {1, 1};
    Qp p = qp_make(2, 1, P, q, A, l, u, lb, ub);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        double ub2[] = {3, 3}, u2[] = {1.5}, lb2[] = {-1, -1};
        double u3[] = {0.5}, l3[] = {0.5};
        CHECK_NEAR(admm_x(w)[0], 1, 1e-8, "x0");
        /* ub 3: x0 = 2 unconstrained optimum, row 1.5 now binding: x0 + x1 <= 1.5 */
        CHECK(admm_update_bounds(w, NULL, u2, lb2, ub2) == ADMM_OK, "update_bounds");
        admm_solve(w, NULL);
        /* min 1/2(x0^2 + x1^2) - 2x0 + x1, x0 + x1 <= 1.5, x >= -1:
         * x1 = -1 (lb), x0 = 2 > 2.5? x0 <= 1.5 - x1 = 2.5, so x0 = 2: row 2-1 = 1 < 1.5 inactive */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], 2, 1e-7, "x0");
        CHECK_NEAR(admm_x(w)[1], -1, 1e-7, "x1");
        CHECK_NEAR(admm_z(w)[1], -0.0 - (-1 + 1), 1e-7, "z1"); /* x1 + 1 + z1 = 0 -> z1 = 0 */
        /* turn the row into an equality x0 + x1 = 0.5 (row kind changes) */
        CHECK(admm_update_bounds(w, l3, u3, NULL, NULL) == ADMM_OK, "update_bounds eq");
        admm_solve(w, NULL);
        /* x0 + x1 = .5, min: x0 - 2 + y = 0, x1 + 1 + y = 0 -> x0 - x1 = 3, x0 = 1.75, x1 = -1.25 < -1
         * so x1 = -1 (lb active), x0 = 1.5 */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status eq");
        CHECK_NEAR(admm_x(w)[0], 1.5, 1e-7, "x0 eq");
        CHECK_NEAR(admm_x(w)[1], -1.0, 1e-7, "x1 eq");
        {
            double rp, rd, rg;
            Qp p2 = qp_make(2, 1, P, q, A, l3, u3, lb2, ub2);
            measures(&p2, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            CHECK(rp < 1e-8 && rd < 1e-8 && rg < 1e-8, "rp %.2e rd %.2e gap %.2e", rp, rd, rg);
            qp_free(&p2);
        }
        {
            double bad_l[] = {2}, bad_u[] = {1};
            CHECK(admm_update_bounds(w, bad_l, bad_u, NULL, NULL) == ADMM_ERR_INVALID_BOUNDS, "l > u rejected");
        }
        admm_cleanup(w);
    }
    qp_free(&p);
    {
        /* a variable without bounds cannot get one */
        double P2[] = {1, 0, 0, 1}, q2[] = {1, 1}, lbx[] = {0, -INFINITY}, lb_new[] = {0, 0};
        Qp p3 = qp_make(2, 0, P2, q2, NULL, NULL, NULL, lbx, NULL);
        AdmmProblem pr = qp_view(&p3);
        AdmmWorkspace *w3 = NULL;
        CHECK(admm_setup(&w3, &pr, NULL) == ADMM_OK, "setup");
        if (w3) {
            CHECK(admm_update_bounds(w3, NULL, NULL, lb_new, NULL) == ADMM_ERR_STRUCTURE, "structure change");
            admm_cleanup(w3);
        }
        qp_free(&p3);
    }
}

void test_settings_variants(void)
{
    /* no scaling, scaled termination, no adaptive rho, alpha 1: same answer */
    Qp p = random_qp(30, 20, 0.2, 1e-1, 1);
    AdmmSettings s;
    AdmmWorkspace *ref;
    int v;
    admm_default_settings(&s);
    s.polish = 1;
    s.eps_abs = s.eps_rel = 1e-6;
    s.max_iter = 50000;
    ref = solve_qp(&p, &s);
    if (!ref) {
        qp_free(&p);
        return;
    }
    CHECK(admm_info(ref)->status == ADMM_SOLVED, "reference status");
    for (v = 0; v < 5; v++) {
        AdmmWorkspace *w;
        AdmmSettings t = s;
        int j;
        if (v == 0) t.scaling = 0;
        if (v == 1) t.scaled_termination = 1;
        if (v == 2) t.adaptive_rho = 0;
        if (v == 3) {
            t.alpha = 1.0;
            t.rho = 1.0;
        }
        if (v == 4) {
            t.adaptive_rho_interval = 10;
            t.check_termination = 5;
        }
        w = solve_qp(&p, &t);
        if (!w) continue;
        CHECK(admm_info(w)->status == ADMM_SOLVED, "variant %d status %s", v,
              admm_status_message(admm_info(w)->status));
        if (v == 2) CHECK(admm_info(w)->rho_updates == 0, "adaptive_rho off but %d updates", admm_info(w)->rho_updates);
        if (v == 4) CHECK(admm_info(w)->rho_updates > 0, "no rho update with interval 10");
        for (j = 0; j < p.n; j++) CHECK_NEAR(admm_x(w)[j], admm_x(ref)[j], 1e-5, "x variant");
        admm_cleanup(w);
    }
    /* update_settings: new rho and tolerance on an existing workspace */
    {
        AdmmSettings t = s;
        int j;
        t.rho = 3.0;
        t.eps_abs = t.eps_rel = 1e-7;
        CHECK(admm_update_settings(ref, &t) == ADMM_OK, "update_settings");
        admm_solve(ref, NULL);
        CHECK(admm_info(ref)->status == ADMM_SOLVED, "after update_settings");
        t.scaling = 3;
        CHECK(admm_update_settings(ref, &t) == ADMM_ERR_STRUCTURE, "scaling change rejected");
        t.scaling = s.scaling;
        t.alpha = 2.5;
        CHECK(admm_update_settings(ref, &t) == ADMM_ERR_INVALID_SETTINGS, "alpha 2.5 rejected");
        for (j = 0; j < p.n; j++) CHECK(isfinite(admm_x(ref)[j]), "finite x");
    }
    admm_cleanup(ref);
    qp_free(&p);
}
