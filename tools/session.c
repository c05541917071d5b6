/*
 * Connecting and logging in as the options say, with secure defaults:
 * pop3s:// is TLS from the first byte, pop:// and pop3:// require STLS,
 * and cleartext only happens when asked for by name (--cleartext).
 */
#include "pop3tool.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* -v: the protocol exchange on stderr.  The library masks PASS, APOP and
 * AUTH arguments already; as a second fence, any stray copy of the
 * password in a line is masked here too. */
static void trace(void *ctx, pop3_trace_dir dir, const char *line,
                  size_t len)
{
    const tool_session *s = ctx;
    size_t plen = s->password ? strlen(s->password) : 0, i = 0;

    fputs(dir == POP3_TRACE_SEND ? "C: " : "S: ", stderr);
    while (i < len) {
        if (plen >= 3 && len - i >= plen &&
            memcmp(line + i, s->password, plen) == 0) {
            fputs("****", stderr);
            i += plen;
        } else {
            unsigned char ch = (unsigned char)line[i++];
            if (ch < 0x20 || ch == 0x7f)
                fprintf(stderr, "\\x%02x", ch);
            else
                fputc(ch, stderr);
        }
    }
    fputc('\n', stderr);
}

static pop3_tls_mode tls_mode(const tool_opts *o)
{
    switch (o->tls) {
    case TOOL_TLS_IMPLICIT:
        return POP3_TLS_IMPLICIT;
    case TOOL_TLS_STARTTLS:
        return POP3_TLS_STLS_REQUIRED;
    case TOOL_TLS_CLEARTEXT:
        return POP3_TLS_NONE;
    case TOOL_TLS_AUTO:
        break;
    }
    return o->url.implicit_tls ? POP3_TLS_IMPLICIT : POP3_TLS_STLS_REQUIRED;
}

/* The user name: --user, the URL, or the login of ~/.netrc's entry. */
static char *user_name(const tool_opts *o)
{
    char *user = NULL, *pw = NULL;

    if (o->user != NULL)
        return strdup(o->user);
    if (o->url.user != NULL)
        return strdup(o->url.user);
    if (tool_netrc_lookup(o->url.host, NULL, &user, &pw) == 0) {
        tool_secret_free(pw);
        return user;
    }
    return NULL;
}

/* The methods --auth and ;AUTH= may name: "*" (the default: the
 * strongest both sides support), USER, APOP (RFC 2384's "+APOP" too), and
 * the SASL mechanisms of libpop3. */
static const char *const methods[] = {
    "*", "USER", "APOP", "+APOP", "PLAIN", "LOGIN", "CRAM-MD5",
    "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"};

int tool_auth_known(const char *mech)
{
    size_t i;

    for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcasecmp(mech, methods[i]) == 0)
            return 1;
    return 0;
}

/* --auth or the URL's ;AUTH=: pop3_login for USER, pop3_apop for APOP, a
 * SASL mechanism through pop3_auth; else pop3_authenticate picks the
 * strongest method both sides allow (SCRAM first; a password sent as it
 * is only under TLS or with --cleartext). */
static pop3_status login(const tool_opts *o, tool_session *s)
{
    const char *mech = o->auth ? o->auth : o->url.auth;

    if (mech == NULL || strcmp(mech, "*") == 0)
        return pop3_authenticate(s->client, s->user, s->password);
    if (strcasecmp(mech, "USER") == 0)
        return pop3_login(s->client, s->user, s->password);
    if (strcasecmp(mech, "+APOP") == 0 || strcasecmp(mech, "APOP") == 0)
        return pop3_apop(s->client, s->user, s->password);
    return pop3_auth(s->client, mech, s->user, s->password);
}

/* Create the client and connect, TLS as the options say. */
static int connect_client(const tool_opts *o, tool_session *s)
{
    pop3_options opts;
    pop3_tls_mode mode = tls_mode(o);
    unsigned int port = o->url.port;
    pop3_status st;
    char what[600];

    s->verbose = o->verbose;
    pop3_options_init(&opts);
    opts.tls = mode;
    opts.tls_verify = !o->insecure;
    opts.ca_file = o->ca_file;
    if (o->timeout_s > 0)
        opts.connect_timeout_ms = opts.io_timeout_ms = o->timeout_s * 1000;
    if (o->verbose) {
        opts.trace = trace;
        opts.trace_ctx = s;
    }
    if ((st = pop3_client_new(&opts, &s->client)) != POP3_OK)
        return tool_fail(NULL, "cannot create a client", st);
    if (port == 0)
        port = mode == POP3_TLS_IMPLICIT ? 995 : 110;
    s->port = port;
    snprintf(what, sizeof what, "connect to %s port %u", o->url.host, port);
    st = pop3_connect(s->client, o->url.host, port);
    if (st == POP3_E_TLS_UNAVAILABLE) {
        fprintf(stderr, "pop3: %s: the server offers no STLS; use"
                        " pop3s:// if it has POP3S, or --cleartext to send"
                        " the password unencrypted\n", what);
        return TOOL_EXIT_TLS;
    }
    if (st != POP3_OK) {
        int rc = tool_fail(s->client, what, st);
        if (st == POP3_E_CERT)
            fprintf(stderr, "pop3: --ca-file FILE trusts a private CA;"
                            " --insecure skips the check\n");
        return rc;
    }
    if (o->verbose)
        fprintf(stderr, "* connected to %s port %u%s\n", o->url.host, port,
                pop3_is_tls(s->client) ? " over TLS" : ", no TLS");
    return TOOL_EXIT_OK;
}

int tool_session_connect(const tool_opts *o, tool_session *s)
{
    int rc;

    memset(s, 0, sizeof *s);
    if ((rc = connect_client(o, s)) != TOOL_EXIT_OK)
        tool_session_close(s);
    return rc;
}

int tool_session_open(const tool_opts *o, tool_session *s)
{
    pop3_status st;
    char what[600];
    int rc;

    memset(s, 0, sizeof *s);
    if ((s->user = user_name(o)) == NULL) {
        fprintf(stderr, "pop3: no user name: put it in the URL"
                        " (pop3://USER@%s) or use --user\n", o->url.host);
        return TOOL_EXIT_USAGE;
    }
    /* Ask for the password before connecting: a prompt must not race a
     * server's idle timeout. */
    if ((rc = tool_password(o, s->user, &s->password)) != TOOL_EXIT_OK ||
        (rc = connect_client(o, s)) != TOOL_EXIT_OK) {
        tool_session_close(s);
        return rc;
    }
    if ((st = login(o, s)) != POP3_OK) {
        snprintf(what, sizeof what, "login as %s", s->user);
        rc = tool_fail(s->client, what, st);
        tool_session_close(s);
        return rc;
    }
    if (o->verbose)
        fprintf(stderr, "* logged in as %s with %s\n", s->user,
                pop3_auth_used(s->client) ? pop3_auth_used(s->client)
                                          : "?");
    return TOOL_EXIT_OK;
}

void tool_session_close(tool_session *s)
{
    pop3_client_free(s->client); /* no QUIT: nothing is committed */
    tool_secret_free(s->password);
    free(s->user);
    memset(s, 0, sizeof *s);
}

pop3_status tool_find_uid(pop3_client *c, const char *uid,
                          unsigned int *msg_out)
{
    unsigned int msg, found = 0;
    const char *u;
    pop3_status st = pop3_uidl_begin(c);

    while (st == POP3_OK && (st = pop3_uidl_next(c, &msg, &u)) != POP3_DONE)
        if (st == POP3_OK && found == 0 && strcmp(u, uid) == 0)
            found = msg;
        else if (st == POP3_E_PROTOCOL &&
                 pop3_get_state(c) == POP3_STATE_TRANSACTION)
            st = POP3_OK; /* a malformed line: not the one we want */
    if (st != POP3_DONE)
        return st;
    *msg_out = found;
    return found ? POP3_OK : POP3_DONE;
}
