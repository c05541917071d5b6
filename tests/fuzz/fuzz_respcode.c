/*
 * Fuzz target: response codes (RFC 2449 8).  A code the checker accepts
 * follows the grammar; the status it maps to is one of the known ones;
 * and a "-ERR [code] text" line fed to the engine yields a code only when
 * the checker accepts it, and then exactly those bytes.
 */
#include "engine.h"
#include "respcode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_grammar(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > POP3_MAX_RESP_CODE || s[0] == '/' || s[n - 1] == '/')
        abort();
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x21 || ch > 0x7e || ch == ']')
            abort();
        if (ch == '/' && s[i + 1] == '/')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *code = malloc(size + 1), *line = malloc(size + 16);
    pop3_engine eng;
    pop3_event ev;
    size_t used, n;
    pop3_status st;

    if (code == NULL || line == NULL)
        goto out;
    memcpy(code, data, size);
    code[size] = '\0';
    if (pop3_resp_code_valid(code, size)) {
        check_grammar(code, size);
        st = pop3_resp_code_status(code, POP3_E_SERVER);
        if (st != POP3_E_SERVER && st != POP3_E_IN_USE &&
            st != POP3_E_LOGIN_DELAY && st != POP3_E_SYS_TEMP &&
            st != POP3_E_SYS_PERM && st != POP3_E_AUTH)
            abort();
    }

    /* The same bytes as the code of a status line. */
    memcpy(line, "-ERR [", 6);
    memcpy(line + 6, data, size);
    memcpy(line + 6 + size, "] x\r\n", 5);
    n = size + 11;
    pop3_engine_init(&eng, 4096);
    pop3_engine_expect(&eng, POP3_EXPECT_STATUS);
    st = pop3_engine_feed(&eng, line, n, &used, &ev);
    if (st == POP3_OK && ev.type == POP3_EV_STATUS && ev.code != NULL) {
        if (!pop3_resp_code_valid(ev.code, ev.code_len) ||
            ev.code < line || ev.code + ev.code_len > line + n)
            abort();
    }
out:
    free(code);
    free(line);
    return 0;
}
