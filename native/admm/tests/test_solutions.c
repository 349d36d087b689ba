/* test_solutions.c: admm unit tests: known optima and residuals: equalities, ranges, bounds,
 * free rows, LPs, singular P, dependent equalities, unconstrained, larger sparse, the gap
 * test. */
#include "admm_test_util.h"

void test_equality(void)
{
    /* min 1/2 |x|^2 s.t. x1 + x2 = 1  ->  x = (.5, .5), y = -.5 */
    double P[] = {1, 0, 0, 1}, q[] = {0, 0}, A[] = {1, 1}, l[] = {1}, u[] = {1};
    double xs[] = {0.5, 0.5}, ys[] = {-0.5}, zs[] = {0, 0};
    Qp p = qp_make(2, 1, P, q, A, l, u, NULL, NULL);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

void test_ranges(void)
{
    /* min 1/2|x|^2 - 3x1 - x2 s.t. 0 <= x1 + x2 <= 2, -1 <= x1 - x2 <= 1
     * -> x = (1.5, .5), y = (1, .5), both upper-active, obj = -3.75 */
    double P[] = {1, 0, 0, 1}, q[] = {-3, -1}, A[] = {1, 1, 1, -1}, l[] = {0, -1}, u[] = {2, 1};
    double xs[] = {1.5, 0.5}, ys[] = {1, 0.5}, zs[] = {0, 0};
    Qp p = qp_make(2, 2, P, q, A, l, u, NULL, NULL);
    AdmmWorkspace *w;
    AdmmSettings s;
    run_known(&p, xs, ys, zs);
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK_NEAR(admm_info(w)->obj_val, -3.75, 1e-8, "obj");
        admm_cleanup(w);
    }
    qp_free(&p);
}

void test_bounds_only(void)
{
    /* min 1/2|x|^2 - 2x1 + x2, 0 <= x <= 1, no rows -> x = (1, 0), z = (1, -1) */
    double P[] = {1, 0, 0, 1}, q[] = {-2, 1}, lb[] = {0, 0}, ub[] = {1, 1};
    double xs[] = {1, 0}, zs[] = {1, -1};
    Qp p = qp_make(2, 0, P, q, NULL, NULL, NULL, lb, ub);
    run_known(&p, xs, NULL, zs);
    qp_free(&p);
}

void test_mixed_free(void)
{
    /* min x0^2 + x1^2 + x2^2 - 4x0 + 2x1 - 2x2
     *   s.t. x2 <= 0.5 (row 0), x0 + x1 free row (row 1), x0 <= 1, x1 >= 0, x2 free
     * -> x = (1, 0, .5), y = (1, 0), z = (2, -2, 0), obj = -3.75 */
    double P[] = {2, 0, 0, 0, 2, 0, 0, 0, 2}, q[] = {-4, 2, -2};
    double A[] = {0, 0, 1, 1, 1, 0};
    double l[] = {-INFINITY, -INFINITY}, u[] = {0.5, INFINITY};
    double lb[] = {-INFINITY, 0, -INFINITY}, ub[] = {1, INFINITY, INFINITY};
    double xs[] = {1, 0, 0.5}, ys[] = {1, 0}, zs[] = {2, -2, 0};
    Qp p = qp_make(3, 2, P, q, A, l, u, lb, ub);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

void test_huge_bounds_are_infinite(void)
{
    /* the same problem with 1e20 / 1e30 standing for infinity */
    double P[] = {2, 0, 0, 0, 2, 0, 0, 0, 2}, q[] = {-4, 2, -2};
    double A[] = {0, 0, 1, 1, 1, 0};
    double l[] = {-1e30, -1e20}, u[] = {0.5, 1e20};
    double lb[] = {-1e20, 0, -1e30}, ub[] = {1, 1e30, 1e20};
    double xs[] = {1, 0, 0.5}, ys[] = {1, 0}, zs[] = {2, -2, 0};
    Qp p = qp_make(3, 2, P, q, A, l, u, lb, ub);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

void test_lp(void)
{
    /* min -x0 - x1 s.t. x0 + 2x1 <= 4, 3x0 + x1 <= 6, x >= 0
     * -> x = (1.6, 1.2), y = (.4, .2), obj = -2.8 */
    double q[] = {-1, -1}, A[] = {1, 2, 3, 1}, l[] = {-INFINITY, -INFINITY}, u[] = {4, 6};
    double lb[] = {0, 0};
    double xs[] = {1.6, 1.2}, ys[] = {0.4, 0.2}, zs[] = {0, 0};
    Qp p = qp_make(2, 2, NULL, q, A, l, u, lb, NULL);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

void test_lp_no_P_pointer(void)
{
    /* same LP with Pp == NULL and q given */
    double q[] = {-1, -1}, A[] = {1, 2, 3, 1}, l[] = {-INFINITY, -INFINITY}, u[] = {4, 6};
    double lb[] = {0, 0};
    Qp p = qp_make(2, 2, NULL, q, A, l, u, lb, NULL);
    AdmmProblem pr = qp_view(&p);
    AdmmSettings s;
    AdmmWorkspace *w = NULL;
    admm_default_settings(&s);
    s.polish = 1;
    pr.Pp = NULL;
    pr.Pi = NULL;
    pr.Px = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        admm_solve(w, NULL);
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], 1.6, 1e-7, "x0");
        CHECK_NEAR(admm_x(w)[1], 1.2, 1e-7, "x1");
        admm_cleanup(w);
    }
    qp_free(&p);
}

void test_singular_P(void)
{
    /* min 1/2 x0^2 - x0 + x1 s.t. x1 >= 1 (row) -> x = (1, 1), y = -1, obj = .5 */
    double P[] = {1, 0, 0, 0}, q[] = {-1, 1}, A[] = {0, 1}, l[] = {1}, u[] = {INFINITY};
    double xs[] = {1, 1}, ys[] = {-1}, zs[] = {0, 0};
    Qp p = qp_make(2, 1, P, q, A, l, u, NULL, NULL);
    run_known(&p, xs, ys, zs);
    qp_free(&p);
}

void test_unconstrained(void)
{
    /* m = 0, no bounds: min 1/2 x'Px + q'x with P = [[2,1],[1,2]], q = (-1, -1) -> x = (1/3, 1/3) */
    double P[] = {2, 1, 1, 2}, q[] = {-1, -1};
    double xs[] = {1.0 / 3, 1.0 / 3}, zs[] = {0, 0};
    Qp p = qp_make(2, 0, P, q, NULL, NULL, NULL, NULL, NULL);
    AdmmWorkspace *w = solve_qp(&p, NULL);
    if (w) {
        expect_solution(&p, w, xs, NULL, zs, 1e-3, 1e-3);
        CHECK(admm_y(w) == NULL, "y NULL when m == 0");
        admm_cleanup(w);
    }
    qp_free(&p);
}

void test_dependent_equalities(void)
{
    /* duplicated equality rows (K of the polish step singular): must still solve */
    double P[] = {2, 0, 0, 2}, q[] = {-2, -5};
    double A[] = {1, 1, 1, 1, 2, 2};
    double l[] = {1, 1, 2}, u[] = {1, 1, 2};
    Qp p = qp_make(2, 3, P, q, A, l, u, NULL, NULL);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        double rp, rd, rg;
        /* x0 + x1 = 1, minimise (x0-1)^2 + (x1-2.5)^2 -> x = (-0.25, 1.25) */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], -0.25, 1e-2, "x0");
        CHECK_NEAR(admm_x(w)[1], 1.25, 1e-2, "x1");
        measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
        CHECK(rp <= 1e-2 && rd <= 1e-2, "rp %.2e rd %.2e", rp, rd);
        admm_cleanup(w);
    }
    qp_free(&p);
}

/* With gap_termination (the default), SOLVED means all three docs/METHODS.md §3
 * measures, recomputed here from the returned x, y, z, meet eps_abs (eps_rel 0);
 * polishing off, so ADMM's own iterate is what is checked. */
void test_gap_termination(void)
{
    int trial, solved = 0;
    for (trial = 0; trial < 10; trial++) {
        Qp p = random_qp(30, 20, 0.3, trial % 2 ? 0.0 : 1e-2, 1);
        AdmmSettings s;
        AdmmWorkspace *w;
        admm_default_settings(&s);
        s.eps_abs = 1e-6;
        s.eps_rel = 0;
        s.max_iter = 200000;
        w = solve_qp(&p, &s);
        if (w && admm_info(w)->status == ADMM_SOLVED) {
            double rp, rd, rg;
            measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            CHECK(rp <= 1.001e-6 && rd <= 1.001e-6 && rg <= 1.001e-6, "trial %d: rp %.2e rd %.2e gap %.2e", trial, rp,
                  rd, rg);
            solved++;
        }
        admm_cleanup(w);
        qp_free(&p);
    }
    CHECK(solved >= 8, "only %d of 10 solved", solved);
}

void test_larger_sparse(void)
{
    Qp p = random_qp(300, 200, 0.02, 1e-2, 1);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        const AdmmInfo *info = admm_info(w);
        double rp, rd, rg;
        CHECK(info->status == ADMM_SOLVED, "status %s", admm_status_message(info->status));
        measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
        CHECK(rp <= 1e-2 && rd <= 1e-2, "rp %.2e rd %.2e", rp, rd);
        if (info->polish_status == 1) CHECK(rp <= 1e-8 && rd <= 1e-8, "polished rp %.2e rd %.2e", rp, rd);
        printf("  [larger_sparse n=300 m=200: %d iterations, %d rho updates, polish %d, setup %.2f ms, "
               "solve %.2f ms, rp %.1e rd %.1e gap %.1e]\n",
               info->iter, info->rho_updates, info->polish_status, 1e3 * info->setup_time, 1e3 * info->solve_time, rp,
               rd, rg);
        admm_cleanup(w);
    }
    qp_free(&p);
}
