/* admm_tests.c: the admm unit tests' entry point (plain C99, no framework); the tests live in
 * test_*.c by feature, their shared helpers in admm_test_util.c. */
#define CHECK_DEFINE_GLOBALS
#include "admm_test_util.h"

/* ------------------------------------------------------------------------- */
/* admm_tests [NAME...]: run the named tests only (e.g. under valgrind) */
int main(int argc, char **argv)
{
    struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"equality", test_equality},
        {"ranges", test_ranges},
        {"bounds_only", test_bounds_only},
        {"mixed_free", test_mixed_free},
        {"huge_bounds_are_infinite", test_huge_bounds_are_infinite},
        {"lp", test_lp},
        {"lp_no_P_pointer", test_lp_no_P_pointer},
        {"singular_P", test_singular_P},
        {"unconstrained", test_unconstrained},
        {"primal_infeasible", test_primal_infeasible},
        {"primal_infeasible_rows", test_primal_infeasible_rows},
        {"dual_infeasible", test_dual_infeasible},
        {"dual_infeasible_lp", test_dual_infeasible_lp},
        {"polish_random", test_polish_random},
        {"polish_tight_tolerance", test_polish_tight_tolerance},
        {"dependent_equalities", test_dependent_equalities},
        {"warm_start", test_warm_start},
        {"update_bounds", test_update_bounds},
        {"settings_variants", test_settings_variants},
        {"limits_and_cancel", test_limits_and_cancel},
        {"solve_callback", test_solve_callback},
        {"setup_stops", test_setup_stops},
        {"gap_termination", test_gap_termination},
        {"polish_after_max_iter", test_polish_after_max_iter},
        {"null_views", test_null_views},
        {"errors", test_errors},
        {"larger_sparse", test_larger_sparse},
        {"setup_solve_cleanup_x50", test_loop},
    };
    int i, passed = 0, failed = 0, nt = (int)(sizeof tests / sizeof tests[0]);
    for (i = 0; i < nt; i++) {
        int before = g_failed_checks, a, wanted = argc < 2;
        for (a = 1; a < argc; a++) wanted |= strcmp(argv[a], tests[i].name) == 0;
        if (!wanted) continue;
        g_test = tests[i].name;
        tests[i].fn();
        if (g_failed_checks == before) {
            passed++;
            printf("ok   %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL %s\n", tests[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
