/* Helpers shared by the CUnit test programs. */
#ifndef POP3_TESTLIB_H
#define POP3_TESTLIB_H

#include <CUnit/CUnit.h>
#include <stddef.h>

/* A test: name and function. */
typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

/* Run one suite of tests (terminated by {NULL, NULL}); returns the exit
 * status for main: 0 when every assertion passed. */
int test_run_suite(const char *suite, const test_case *tests);

#endif /* POP3_TESTLIB_H */
