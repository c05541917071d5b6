/* Helpers shared by the CUnit test programs. */
#ifndef POP3_TESTLIB_H
#define POP3_TESTLIB_H

#include <CUnit/CUnit.h>
#include <pop3/pop3.h>
#include <stddef.h>

/* A test: name and function. */
typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

/* Run one suite of tests (terminated by {NULL, NULL}); returns the exit
 * status for main: 0 when every assertion passed. */
int test_run_suite(const char *suite, const test_case *tests);

/* A trace hook (opts.trace) noting the first lines of a session as '>'
 * (sent) and '<' (received) in the char[8] given as trace_ctx, which
 * starts empty: "<>" is a greeting read, then a command sent. */
void test_trace_directions(void *ctx, pop3_trace_dir dir, const char *line,
                           size_t len);

#endif /* POP3_TESTLIB_H */
