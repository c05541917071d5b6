/* Exit codes from library statuses, and the messages the user sees. */
#include "pop3tool.h"

#include <stdarg.h>

int tool_exit_for(pop3_status st)
{
    switch (pop3_status_family(st)) {
    case POP3_FAMILY_OK:
        return TOOL_EXIT_OK;
    case POP3_FAMILY_ARG:
        return st == POP3_E_ARG ? TOOL_EXIT_USAGE : TOOL_EXIT_FAIL;
    case POP3_FAMILY_STATE:
        return TOOL_EXIT_FAIL;
    case POP3_FAMILY_SERVER:
    case POP3_FAMILY_PROTOCOL:
        return TOOL_EXIT_SERVER;
    case POP3_FAMILY_AUTH:
        return TOOL_EXIT_AUTH;
    case POP3_FAMILY_IO:
    case POP3_FAMILY_TIMEOUT:
        return TOOL_EXIT_NETWORK;
    case POP3_FAMILY_TLS:
        return TOOL_EXIT_TLS;
    }
    return TOOL_EXIT_FAIL;
}

int tool_fail(pop3_client *c, const char *what, pop3_status st)
{
    pop3_family fam = pop3_status_family(st);
    const char *text = c ? pop3_server_text(c) : "";
    const char *code = c ? pop3_resp_code(c) : "";
    /* The library's sentence on why (a certificate, a TLS file, no login
     * method); a local refusal leaves an older one in place. */
    const char *detail = c && fam != POP3_FAMILY_ARG &&
                                 fam != POP3_FAMILY_STATE
                             ? pop3_error_detail(c)
                             : "";

    fprintf(stderr, "pop3: %s: %s", what, pop3_strerror(st));
    if (*detail != '\0')
        fprintf(stderr, ": %s", detail);
    /* The server's words only when they are about this failure. */
    if ((fam == POP3_FAMILY_SERVER || fam == POP3_FAMILY_AUTH) &&
        (*text != '\0' || *code != '\0')) {
        fprintf(stderr, " (server said:");
        if (*code != '\0')
            fprintf(stderr, " [%s]", code);
        fprintf(stderr, " %s)", text);
    }
    fputc('\n', stderr);
    return tool_exit_for(st);
}

void tool_warn(const char *fmt, ...)
{
    va_list ap;

    fputs("pop3: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
