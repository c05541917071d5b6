/* The CUnit runner every test program uses. */
#include "testlib.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

int test_run_suite(const char *suite_name, const test_case *tests)
{
    CU_pSuite suite;
    unsigned failed;
    const test_case *t;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    suite = CU_add_suite(suite_name, NULL, NULL);
    if (suite == NULL)
        return 2;
    for (t = tests; t->name != NULL; t++)
        if (CU_add_test(suite, t->name, t->fn) == NULL)
            return 2;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed == 0 ? 0 : 1;
}

void test_trace_directions(void *ctx, pop3_trace_dir dir, const char *line,
                           size_t len)
{
    char *order = ctx;
    size_t n = strlen(order);

    (void)line;
    (void)len;
    if (n < 7)
        order[n] = dir == POP3_TRACE_SEND ? '>' : '<';
}
