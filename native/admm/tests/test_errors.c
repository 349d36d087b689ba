/* test_errors.c: admm unit tests: invalid input and NULL views. */
#include "admm_test_util.h"

void test_null_views(void)
{
    /* l, u NULL: free rows; q NULL: zero cost; lb only */
    double P[] = {1, 0, 0, 1}, A[] = {1, 1}, lb[] = {1, -INFINITY};
    Qp p = qp_make(2, 1, P, NULL, A, NULL, NULL, lb, NULL);
    AdmmProblem pr = qp_view(&p);
    AdmmWorkspace *w = NULL;
    AdmmSettings s;
    int n = 0, m = 0;
    admm_default_settings(&s);
    s.polish = 1;
    pr.q = NULL;
    pr.l = NULL;
    pr.u = NULL;
    CHECK(admm_setup(&w, &pr, &s) == ADMM_OK, "setup");
    if (w) {
        admm_dims(w, &n, &m);
        CHECK(n == 2 && m == 1, "dims %d %d", n, m);
        admm_solve(w, NULL);
        /* min 1/2|x|^2, x0 >= 1 -> x = (1, 0), z0 = -1, y = 0 */
        CHECK(admm_info(w)->status == ADMM_SOLVED, "status");
        CHECK_NEAR(admm_x(w)[0], 1, 1e-8, "x0");
        CHECK_NEAR(admm_x(w)[1], 0, 1e-8, "x1");
        CHECK_NEAR(admm_z(w)[0], -1, 1e-8, "z0");
        CHECK_NEAR(admm_y(w)[0], 0, 1e-12, "y0");
        admm_cleanup(w);
    }
    qp_free(&p);
}

void test_errors(void)
{
    char msg[256];
    AdmmWorkspace *w = NULL;
    AdmmSettings s;
    /* P given as upper triangle */
    {
        int Pp[] = {0, 1, 3}, Pi[] = {0, 0, 1};
        double Px[] = {1, 0.5, 1}, q[] = {0, 0};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 2;
        pr.m = 0;
        pr.Pp = Pp;
        pr.Pi = Pi;
        pr.Px = Px;
        pr.q = q;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_P, "upper P");
        CHECK(strstr(msg, "above the diagonal") != NULL, "message: %s", msg);
        CHECK(admm_setup(&w, &pr, NULL) == ADMM_ERR_INVALID_P && w == NULL, "setup upper P");
    }
    /* non-convex P */
    {
        int Pp[] = {0, 1, 2}, Pi[] = {0, 1};
        double Px[] = {1, -1}, q[] = {0, 0};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 2;
        pr.Pp = Pp;
        pr.Pi = Pi;
        pr.Px = Px;
        pr.q = q;
        CHECK(admm_setup(&w, &pr, NULL) == ADMM_ERR_NONCVX && w == NULL, "non-convex");
    }
    /* unsorted A, out of range A, NaN Ax */
    {
        int Ap[] = {0, 2, 2}, Ai[] = {1, 0}, Ai2[] = {0, 5};
        double Ax[] = {1, 1}, Ax2[] = {1, NAN}, l[] = {0, 0}, u[] = {1, 1};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 2;
        pr.m = 2;
        pr.Ap = Ap;
        pr.Ai = Ai;
        pr.Ax = Ax;
        pr.l = l;
        pr.u = u;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_A, "unsorted A");
        pr.Ai = Ai2;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_A, "A row out of range");
        CHECK(strstr(msg, "Ai[1] = 5") != NULL, "message: %s", msg);
        pr.Ai = Ai;
        Ai[0] = 0;
        Ai[1] = 1;
        pr.Ax = Ax2;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_A, "NaN in A");
    }
    /* bounds */
    {
        double l[] = {2}, u[] = {1}, q[] = {NAN};
        int Ap[] = {0, 1}, Ai[] = {0};
        double Ax[] = {1}, lb[] = {INFINITY}, lbn[] = {NAN};
        AdmmProblem pr;
        memset(&pr, 0, sizeof(pr));
        pr.n = 1;
        pr.m = 1;
        pr.Ap = Ap;
        pr.Ai = Ai;
        pr.Ax = Ax;
        pr.l = l;
        pr.u = u;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_BOUNDS, "l > u");
        CHECK(strstr(msg, "l[0]") != NULL, "message: %s", msg);
        l[0] = 0;
        pr.lb = lb;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_BOUNDS, "lb = +inf");
        pr.lb = lbn;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_BOUNDS, "lb NaN");
        pr.lb = NULL;
        pr.q = q;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_Q, "q NaN");
        pr.q = NULL;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_OK, "valid: %s", msg);
        pr.n = 0;
        CHECK(admm_check_problem(&pr, msg, sizeof msg) == ADMM_ERR_INVALID_DIMENSION, "n = 0");
    }
    /* settings */
    admm_default_settings(&s);
    s.alpha = 2.0;
    CHECK(admm_check_settings(&s, msg, sizeof msg) == ADMM_ERR_INVALID_SETTINGS, "alpha = 2");
    CHECK(strstr(msg, "alpha") != NULL, "message: %s", msg);
    admm_default_settings(&s);
    s.rho = 0;
    CHECK(admm_check_settings(&s, NULL, 0) == ADMM_ERR_INVALID_SETTINGS, "rho = 0");
    CHECK(admm_setup(NULL, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NULL work");
    CHECK(admm_setup(&w, NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "NULL problem");
    CHECK(admm_solve(NULL, NULL) == ADMM_ERR_INVALID_ARGUMENT, "solve NULL");
    CHECK(strcmp(admm_error_message(-5), "unknown error code") == 0, "unknown code");
    CHECK(strlen(admm_error_message(ADMM_ERR_NONCVX)) > 0, "message");
    admm_cleanup(NULL);
}
