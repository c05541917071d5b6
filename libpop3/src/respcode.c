/* Response codes: syntax (RFC 2449 9) and meaning (RFC 2449 8.1,
 * RFC 3206 4-5). */
#include "respcode.h"

#include <string.h>

#include "ascii.h"

int pop3_resp_code_valid(const char *s, size_t n)
{
    size_t i, level = 0;

    if (n == 0 || n > POP3_MAX_RESP_CODE)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '/') {
            if (level == 0)
                return 0; /* empty level: "//", a leading "/" */
            level = 0;
        } else if (ch < 0x21 || ch > 0x7e || ch == ']') {
            return 0;
        } else {
            level++;
        }
    }
    return level > 0; /* no trailing "/" */
}

/* `code` is `want` or starts with want + "/" (a more specific code). */
static int code_is(const char *code, const char *want)
{
    size_t n = strlen(want);
    return strlen(code) >= n && pop3_ascii_ncaseeq(code, want, n) &&
           (code[n] == '\0' || code[n] == '/');
}

pop3_status pop3_resp_code_status(const char *code, pop3_status dflt)
{
    static const struct {
        const char *code;
        pop3_status status;
    } table[] = {
        {"IN-USE", POP3_E_IN_USE},         /* maildrop locked: later */
        {"LOGIN-DELAY", POP3_E_LOGIN_DELAY}, /* too soon: later */
        {"SYS/TEMP", POP3_E_SYS_TEMP},     /* server trouble: later */
        {"SYS/PERM", POP3_E_SYS_PERM},     /* server trouble: give up */
        {"AUTH", POP3_E_AUTH},             /* the credentials: fix them */
    };
    size_t i;

    if (code == NULL)
        return dflt;
    for (i = 0; i < sizeof table / sizeof table[0]; i++)
        if (code_is(code, table[i].code))
            return table[i].status;
    return dflt;
}
