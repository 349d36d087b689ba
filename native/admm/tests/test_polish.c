/* test_polish.c: admm unit tests: polishing: random problems, tight tolerances, after the
 * iteration limit. */
#include "admm_test_util.h"

void test_polish_random(void)
{
    int trial, polished = 0;
    for (trial = 0; trial < 10; trial++) {
        Qp p = random_qp(20, 15, 0.3, 1e-2, 1);
        AdmmSettings s;
        AdmmWorkspace *w;
        admm_default_settings(&s);
        s.polish = 1;
        w = solve_qp(&p, &s);
        if (w) {
            const AdmmInfo *info = admm_info(w);
            double rp, rd, rg;
            CHECK(info->status == ADMM_SOLVED, "trial %d status %s", trial, admm_status_message(info->status));
            measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            if (info->polish_status == 1) {
                polished++;
                CHECK(rp <= 1e-9 && rd <= 1e-9 && rg <= 1e-8, "trial %d polished: rp %.2e rd %.2e gap %.2e", trial, rp,
                      rd, rg);
            } else {
                CHECK(rp <= 1e-2 && rd <= 1e-2, "trial %d: rp %.2e rd %.2e", trial, rp, rd);
            }
            admm_cleanup(w);
        }
        qp_free(&p);
    }
    CHECK(polished >= 8, "only %d of 10 random problems polished", polished);
}

void test_polish_tight_tolerance(void)
{
    /* with eps 1e-6 the active set is right, and polishing must reach 1e-9 */
    int trial;
    for (trial = 0; trial < 5; trial++) {
        Qp p = random_qp(40, 30, 0.2, 1e-3, 1);
        AdmmSettings s;
        AdmmWorkspace *w;
        admm_default_settings(&s);
        s.polish = 1;
        s.eps_abs = s.eps_rel = 1e-6;
        s.max_iter = 20000;
        w = solve_qp(&p, &s);
        if (w) {
            double rp, rd, rg;
            CHECK(admm_info(w)->status == ADMM_SOLVED, "status %s", admm_status_message(admm_info(w)->status));
            CHECK(admm_info(w)->polish_status == 1, "trial %d polish_status %d", trial, admm_info(w)->polish_status);
            measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
            CHECK(rp <= 1e-9 && rd <= 1e-9 && rg <= 1e-8, "trial %d: rp %.2e rd %.2e gap %.2e", trial, rp, rd, rg);
            admm_cleanup(w);
        }
        qp_free(&p);
    }
}

void test_polish_after_max_iter(void)
{
    /* stopped early with an unreachable tolerance: polishing still lands on the
     * exact solution and upgrades the status */
    Qp p = random_qp(30, 20, 0.3, 1e-1, 1);
    AdmmSettings s;
    AdmmWorkspace *w;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-9;
    s.max_iter = 60;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->status == ADMM_MAX_ITER, "without polish: %s", admm_status_message(admm_info(w)->status));
        admm_cleanup(w);
    }
    s.polish = 1;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->iter == 60, "iter %d", admm_info(w)->iter);
        expect_solution(&p, w, NULL, NULL, NULL, 0, 1e-9);
        admm_cleanup(w);
    }
    qp_free(&p);
}
