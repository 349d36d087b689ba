/* check.h: the harness of the C unit tests (native/admm, native/ipm, native/linsys).
 * One test program per core; each test function sets g_test and uses CHECK, which
 * counts and prints a failure without stopping the program.  The file holding main()
 * defines CHECK_DEFINE_GLOBALS before including this (a program may span files). */
#ifndef DIFFQP_TESTING_CHECK_H
#define DIFFQP_TESTING_CHECK_H

#include <math.h>
#include <stdio.h>

#ifdef CHECK_DEFINE_GLOBALS
int g_failed_checks = 0;
const char *g_test = "";
#else
extern int g_failed_checks;
extern const char *g_test;
#endif

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            g_failed_checks++;                                                                                         \
            printf("  FAIL %s (%s:%d): ", g_test, __FILE__, __LINE__);                                                 \
            printf(__VA_ARGS__);                                                                                       \
            printf("\n");                                                                                              \
        }                                                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol, what)                                                                                    \
    CHECK(fabs((a) - (b)) <= (tol), "%s = %.12g, expected %.12g (tol %g)", what, (double)(a), (double)(b),             \
          (double)(tol))

#endif
