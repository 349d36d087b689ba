/* test_limits.c: admm unit tests: limits, cancellation, the stop callback, stops during setup,
 * repeated setup and cleanup. */
#include "admm_test_util.h"

void test_limits_and_cancel(void)
{
    Qp p = random_qp(50, 40, 0.2, 1e-3, 1);
    AdmmSettings s;
    AdmmWorkspace *w;
    AdmmProblem pr = qp_view(&p);
    volatile int cancel = 1;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-12;
    s.max_iter = 30;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->status == ADMM_MAX_ITER, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->iter == 30, "iter %d", admm_info(w)->iter);
        CHECK(isfinite(admm_x(w)[0]), "last iterate returned");
        admm_cleanup(w);
    }
    s.max_iter = 100000000;
    s.time_limit = 1e-5;
    w = solve_qp(&p, &s);
    if (w) {
        CHECK(admm_info(w)->status == ADMM_TIME_LIMIT, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->solve_time < 1.0, "solve_time %g", admm_info(w)->solve_time);
        admm_cleanup(w);
    }
    s.time_limit = 0;
    w = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        CHECK(admm_solve(w, (volatile const int *)&cancel) == ADMM_OK, "solve");
        CHECK(admm_info(w)->status == ADMM_CANCELLED, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->iter == 0, "iter %d", admm_info(w)->iter);
        admm_cleanup(w);
    }
    qp_free(&p);
}

/* admm_solve_cb: the callback gets its data pointer, is polled once per
 * iteration, and a non-zero return stops with ADMM_CANCELLED; a NULL callback
 * never stops and gives the same result as admm_solve. */
typedef struct {
    int calls;
    int stop_at;
} StopCounter;
static int stop_after(void *data)
{
    StopCounter *c = (StopCounter *)data;
    c->calls++;
    return c->calls >= c->stop_at;
}

void test_solve_callback(void)
{
    Qp p = random_qp(50, 40, 0.2, 1e-3, 1);
    AdmmSettings s;
    AdmmWorkspace *w = NULL, *ref;
    AdmmProblem pr = qp_view(&p);
    StopCounter counter = {0, 8};
    int j;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-12;
    s.max_iter = 1000;
    s.polish = 1;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        CHECK(admm_solve_cb(w, stop_after, &counter) == ADMM_OK, "solve_cb");
        CHECK(admm_info(w)->status == ADMM_CANCELLED, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(counter.calls == 8, "callback called %d times, expected 8", counter.calls);
        CHECK(admm_info(w)->iter == 7, "iter %d, expected 7", admm_info(w)->iter);
        CHECK(admm_info(w)->polish_status == 0, "no polishing after a stop (polish_status %d)",
              admm_info(w)->polish_status);
        CHECK(isfinite(admm_x(w)[0]), "last iterate returned");
        admm_cleanup(w);
    }
    /* NULL callback: runs to the end, like admm_solve(w, NULL) */
    s.eps_abs = s.eps_rel = 1e-6;
    w = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    ref = solve_qp(&p, &s);
    if (w && ref) {
        CHECK(admm_solve_cb(w, NULL, NULL) == ADMM_OK, "solve_cb");
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status %s", admm_status_message(admm_info(w)->status));
        CHECK(admm_info(w)->iter == admm_info(ref)->iter, "iter %d vs %d", admm_info(w)->iter, admm_info(ref)->iter);
        for (j = 0; j < p.n; j++) CHECK(admm_x(w)[j] == admm_x(ref)[j], "x[%d] differs", j);
    }
    admm_cleanup(w);
    admm_cleanup(ref);
    CHECK(admm_solve_cb(NULL, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NULL workspace");
    qp_free(&p);
}

/* admm_setup_cb stops between the phases of setup: a callback that says stop at
 * its k-th call gives ADMM_ERR_CANCELLED and no workspace, for every k up to the
 * number of polls; past it, setup completes and the solve meets the tolerances
 * (residuals computed here).  A time limit that the KKT factorisation could not
 * meet even at ADMM_FLOPS_CEILING flops per second gives ADMM_ERR_TIME_LIMIT,
 * whichever phase notices first. */
void test_setup_stops(void)
{
    Qp p = random_qp(40, 30, 0.2, 1e-3, 1), big;
    AdmmProblem pr = qp_view(&p);
    AdmmSettings s;
    AdmmWorkspace *w = NULL;
    StopCounter never = {0, 1 << 30};
    int k, err = ADMM_ERR_CANCELLED, polls = 0;
    admm_default_settings(&s);
    s.eps_abs = s.eps_rel = 1e-7;
    for (k = 1; k <= 100 && err == ADMM_ERR_CANCELLED; k++) {
        StopCounter c = {0, k};
        w = (AdmmWorkspace *)&c; /* setup must set it to NULL */
        err = admm_setup_cb(&w, &pr, &s, 0.0, stop_after, &c);
        if (err != ADMM_ERR_CANCELLED) break;
        CHECK(w == NULL, "stopped at poll %d: workspace not NULL", k);
        CHECK(c.calls == k, "stopped at poll %d after %d calls", k, c.calls);
        polls = k;
    }
    CHECK(err == ADMM_OK, "setup returned %d (%s)", err, admm_error_message(err));
    /* before and after validation, each Ruiz pass, transposition, analysis, factorisation */
    CHECK(polls == 5 + s.scaling, "%d polls, expected %d", polls, 5 + s.scaling);
    if (w) {
        double rp, rd, rg;
        CHECK(admm_solve(w, NULL) == ADMM_OK, "solve");
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status %s", admm_status_message(admm_info(w)->status));
        measures(&p, admm_x(w), admm_y(w), admm_z(w), &rp, &rd, &rg);
        CHECK(rp <= 1e-5 && rd <= 1e-5 && rg <= 1e-5, "rp %.2e rd %.2e gap %.2e", rp, rd, rg);
        admm_cleanup(w);
    }
    w = (AdmmWorkspace *)&never;
    CHECK(admm_setup_cb(&w, &pr, &s, NAN, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NaN time limit");
    CHECK(w == NULL, "workspace not NULL after an invalid argument");
    qp_free(&p);

    /* dense P, n = 400: about n^3/3 = 2e7 flops per factorisation */
    big = random_qp(400, 10, 1.0, 1e-3, 0);
    pr = qp_view(&big);
    w = (AdmmWorkspace *)&never;
    err = admm_setup_cb(&w, &pr, &s, 1e-4, stop_after, &never);
    CHECK(err == ADMM_ERR_TIME_LIMIT, "setup returned %d (%s)", err, admm_error_message(err));
    CHECK(w == NULL, "workspace not NULL after a time limit");
    err = admm_setup_cb(&w, &pr, &s, 1e6, NULL, NULL);
    CHECK(err == ADMM_OK, "setup with time to spare returned %d", err);
    admm_cleanup(w);
    qp_free(&big);
}

void test_loop(void)
{
    /* 50 setup/solve/cleanup rounds (run under valgrind for leaks) */
    int k, solved = 0;
    for (k = 0; k < 50; k++) {
        Qp p = random_qp(8 + k % 7, 5 + k % 5, 0.4, 1e-2, k % 2);
        AdmmSettings s;
        AdmmWorkspace *w = NULL;
        AdmmProblem pr = qp_view(&p);
        admm_default_settings(&s);
        s.polish = k % 3 != 0;
        if (admm_setup(&w, &pr, &s) == ADMM_OK) {
            admm_solve(w, NULL);
            if (admm_info(w)->status == ADMM_SOLVED) solved++;
            if (k % 5 == 0) {
                admm_update_q(w, p.q);
                admm_solve(w, NULL);
            }
            admm_cleanup(w);
        }
        qp_free(&p);
    }
    CHECK(solved == 50, "%d of 50 solved", solved);
}
