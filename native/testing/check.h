/* check.h: the harness of the C unit tests (native/admm, native/ipm, native/linsys).
 * One test program per core; each test function sets g_test and uses CHECK, which
 * counts and prints a failure without stopping the program. */
#ifndef DIFFQP_TESTING_CHECK_H
#define DIFFQP_TESTING_CHECK_H

#include <math.h>
#include <stdio.h>

static int g_failed_checks = 0;
static const char *g_test = "";

#define CHECK(cond, ...)                                                 \
    do {                                                                 \
        if (!(cond)) {                                                   \
            g_failed_checks++;                                           \
            printf("  FAIL %s (%s:%d): ", g_test, __FILE__, __LINE__);   \
            printf(__VA_ARGS__);                                         \
            printf("\n");                                                \
        }                                                                \
    } while (0)

#define CHECK_NEAR(a, b, tol, what) \
    CHECK(fabs((a) - (b)) <= (tol), "%s = %.12g, expected %.12g (tol %g)", what, (double)(a), (double)(b), (double)(tol))

#endif
