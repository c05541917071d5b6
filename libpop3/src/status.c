/* Names and families of status codes; the version string. */
#include "pop3/pop3.h"

const char *pop3_strerror(pop3_status status)
{
    switch (status) {
    case POP3_OK: return "success";
    case POP3_DONE: return "iteration finished";
    case POP3_E_ARG: return "invalid argument";
    case POP3_E_NOMEM: return "out of memory";
    case POP3_E_UNSUPPORTED: return "not supported";
    case POP3_E_STATE: return "command not allowed in this session state";
    case POP3_E_BUSY: return "a multi-line reply is still being read";
    case POP3_E_SERVER: return "server replied -ERR";
    case POP3_E_IN_USE: return "maildrop in use by another session";
    case POP3_E_LOGIN_DELAY: return "login refused: too soon since the last";
    case POP3_E_SYS_TEMP: return "temporary server failure";
    case POP3_E_SYS_PERM: return "permanent server failure";
    case POP3_E_AUTH: return "authentication failed";
    case POP3_E_AUTH_UNAVAILABLE: return "no usable authentication mechanism";
    case POP3_E_AUTH_SERVER:
        return "server failed to prove its identity (SCRAM signature)";
    case POP3_E_PROTOCOL: return "protocol error in server reply";
    case POP3_E_LINE_TOO_LONG: return "server line too long";
    case POP3_E_IO: return "network I/O error";
    case POP3_E_EOF: return "connection closed by server";
    case POP3_E_CONNECT: return "could not connect";
    case POP3_E_RESOLVE: return "host name did not resolve";
    case POP3_E_TIMEOUT: return "timed out";
    case POP3_E_TLS: return "TLS failure";
    case POP3_E_CERT: return "server certificate not trusted";
    case POP3_E_TLS_UNAVAILABLE: return "TLS required but not offered";
    }
    return "unknown status";
}

pop3_family pop3_status_family(pop3_status status)
{
    int family = (int)status / 100;
    return family >= 0 && family <= 8 ? (pop3_family)family
                                      : POP3_FAMILY_PROTOCOL;
}

const char *pop3_version(void)
{
    return POP3_VERSION_STRING;
}
