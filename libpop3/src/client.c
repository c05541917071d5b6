/*
 * The client's life: options, creation, connecting and the greeting,
 * closing, and what callers can read back.
 */
#include "client.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ALL_METHODS                                                       \
    (POP3_AUTH_USER | POP3_AUTH_APOP | POP3_AUTH_PLAIN | POP3_AUTH_LOGIN | \
     POP3_AUTH_CRAM_MD5 | POP3_AUTH_SCRAM_SHA_1 | POP3_AUTH_SCRAM_SHA_256 | \
     POP3_AUTH_XOAUTH2 | POP3_AUTH_OAUTHBEARER)

/* The size of the options as versions 1 to 3 of the header declared
 * them: callers built against those pass a struct that ends there. */
#define OPTIONS_V1_SIZE offsetof(pop3_options, auth_methods)
#define OPTIONS_V2_SIZE offsetof(pop3_options, pipeline_login)
#define OPTIONS_V3_SIZE offsetof(pop3_options, early_capa)

static void defaults(pop3_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->version = POP3_OPTIONS_VERSION;
    opts->connect_timeout_ms = 30000;
    opts->io_timeout_ms = 60000;
    opts->max_line = POP3_DEFAULT_MAX_LINE;
    opts->buffer_size = 65536;
    opts->tls = POP3_TLS_DEFAULT;
    opts->tls_verify = 1;
}

void pop3_options_init_size(pop3_options *opts, size_t size)
{
    pop3_options o;

    if (opts == NULL || size < OPTIONS_V1_SIZE)
        return; /* not a pop3_options: pop3_client_new refuses it */
    defaults(&o);
    if (size >= sizeof o) { /* ours, or a newer one: its extras zero */
        memset(opts, 0, size);
        memcpy(opts, &o, sizeof o);
        return;
    }
    /* An older, smaller struct: only its own fields, and its version. */
    o.version = size >= OPTIONS_V3_SIZE   ? 3
                : size >= OPTIONS_V2_SIZE ? 2
                                          : 1;
    memcpy(opts, &o, size);
}

/* The entry point of programs built before the size was passed (the
 * version 2 header): it fills no more than a version 2 struct. */
POP3_API void(pop3_options_init)(pop3_options *opts);
void(pop3_options_init)(pop3_options *opts)
{
    pop3_options_init_size(opts, OPTIONS_V2_SIZE);
}

static int copy_string(pop3_client *c, int slot, const char **field)
{
    if (*field == NULL)
        return 0;
    c->owned_strings[slot] = strdup(*field);
    if (c->owned_strings[slot] == NULL)
        return -1;
    *field = c->owned_strings[slot];
    return 0;
}

pop3_status pop3_client_new(const pop3_options *opts,
                            pop3_client **client_out)
{
    pop3_client *c;
    pop3_options o;

    if (client_out == NULL)
        return POP3_E_ARG;
    *client_out = NULL;
    pop3_options_init(&o);
    if (opts != NULL) {
        if (opts->version == POP3_OPTIONS_VERSION)
            o = *opts;
        else if (opts->version == 1)
            memcpy(&o, opts, OPTIONS_V1_SIZE); /* newer fields: defaults */
        else if (opts->version == 2)
            memcpy(&o, opts, OPTIONS_V2_SIZE);
        else if (opts->version == 3)
            memcpy(&o, opts, OPTIONS_V3_SIZE);
        else
            return POP3_E_ARG; /* not filled by pop3_options_init */
        o.version = POP3_OPTIONS_VERSION;
    }
    if (o.max_line < 64 || o.max_line > 1024 * 1024 ||
        o.buffer_size < 2 * o.max_line || o.tls > POP3_TLS_IMPLICIT ||
        o.tls < POP3_TLS_DEFAULT || o.pipelining < POP3_PIPELINING_AUTO ||
        o.pipelining > POP3_PIPELINING_OFF ||
        (o.auth_methods & ~(unsigned int)ALL_METHODS) != 0)
        return POP3_E_ARG;

    c = calloc(1, sizeof *c);
    if (c == NULL)
        return POP3_E_NOMEM;
    c->opts = o;
    c->tp.fd = -1;
    c->cap = o.buffer_size;
    c->buf = malloc(c->cap);
    c->text = calloc(1, o.max_line);
    c->greeting = calloc(1, o.max_line);
    c->stamp = calloc(1, o.max_line);
    if (c->buf == NULL || c->text == NULL || c->greeting == NULL ||
        c->stamp == NULL || copy_string(c, 0, &c->opts.ca_file) ||
        copy_string(c, 1, &c->opts.ca_path) ||
        copy_string(c, 2, &c->opts.cert_file) ||
        copy_string(c, 3, &c->opts.key_file) ||
        copy_string(c, 4, &c->opts.server_name)) {
        pop3_client_free(c);
        return POP3_E_NOMEM;
    }
    pop3_engine_init(&c->eng, o.max_line);
    *client_out = c;
    return POP3_OK;
}

void pop3_client_free(pop3_client *c)
{
    size_t i;

    if (c == NULL)
        return;
    pop3_transport_close(&c->tp);
    pop3_tls_config_free(c->tls);
    pop3__batch_clear(c);
    for (i = 0; i < sizeof c->owned_strings / sizeof c->owned_strings[0];
         i++)
        free(c->owned_strings[i]);
    free(c->buf);
    free(c->text);
    free(c->greeting);
    free(c->stamp);
    free(c->host);
    free(c);
}

/* Reset everything a connection carries, keeping the options. */
static void reset_session(pop3_client *c)
{
    pop3_transport_close(&c->tp);
    pop3_engine_init(&c->eng, c->opts.max_line);
    c->state = POP3_STATE_DISCONNECTED;
    c->failed = POP3_OK;
    c->busy = POP3_BUSY_NONE;
    pop3__batch_clear(c);
    c->start = c->end = 0;
    c->text[0] = c->code[0] = c->greeting[0] = c->stamp[0] = '\0';
    c->uid[0] = '\0';
    c->detail[0] = '\0';
    pop3_capa_clear(&c->capa);
    c->capa_known = POP3_CAPA_UNKNOWN;
    c->utf8 = 0;
    c->auth_used = NULL;
    c->quit_sent = 0;
    c->stat_cached = 0;
}

pop3_status pop3_close(pop3_client *c)
{
    if (c == NULL)
        return POP3_E_ARG;
    reset_session(c);
    return pop3__done(c, POP3_OK);
}

/* The greeting's APOP timestamp, when it has a well-formed one
 * (pop3_apop_stamp, apop.c), else "". */
static void find_stamp(pop3_client *c, const char *text)
{
    const char *stamp;
    size_t n;

    c->stamp[0] = '\0';
    if (pop3_apop_stamp(text, &stamp, &n) == POP3_OK && stamp != NULL) {
        memcpy(c->stamp, stamp, n);
        c->stamp[n] = '\0';
    }
}

/* The mode a connection uses: POP3_TLS_DEFAULT resolved by port
 * (RFC 8314 3.3: 995 is POP3 over implicit TLS). */
static pop3_tls_mode tls_mode(pop3_tls_mode mode, unsigned int port)
{
    if (mode != POP3_TLS_DEFAULT)
        return mode;
    return port == 995 ? POP3_TLS_IMPLICIT : POP3_TLS_STLS_REQUIRED;
}

/* After the greeting in an STLS mode: CAPA, then STLS when offered.
 * When TLS is required, no STLS in CAPA (or no CAPA) ends the session
 * before any credential can be sent. */
static pop3_status negotiate_stls(pop3_client *c, int required)
{
    pop3_status st = POP3_OK;

    if (c->capa_known == POP3_CAPA_UNKNOWN) /* else asked before greeting */
        st = pop3__capa_fetch(c);
    if (c->failed != POP3_OK)
        return st;
    if (pop3_capa_find(&c->capa, "STLS") == NULL) {
        if (!required)
            return POP3_OK; /* cleartext, as the caller allowed */
        pop3__detail(c, c->capa_known == POP3_CAPA_LISTED
                            ? "the server does not offer STLS"
                            : "the server refused CAPA, so no STLS");
        return pop3__fail(c, POP3_E_TLS_UNAVAILABLE);
    }
    st = pop3__stls(c, required);
    return st == POP3_E_TLS_UNAVAILABLE && !required ? POP3_OK : st;
}

pop3_status pop3_connect(pop3_client *c, const char *host, unsigned int port)
{
    pop3_tls_mode mode;
    pop3_deadline dl;
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (host == NULL || *host == '\0' || port > 65535)
        return pop3__done(c, POP3_E_ARG);
    if (c->failed != POP3_OK) /* sticky until pop3_close */
        return pop3__done(c, c->failed);
    if (c->tp.ops != NULL) /* connected; after QUIT or close it is not */
        return pop3__done(c, POP3_E_STATE);
    reset_session(c);
    mode = tls_mode(c->opts.tls, port);
    if (port == 0)
        port = mode == POP3_TLS_IMPLICIT ? 995 : 110;

    free(c->host);
    c->host = strdup(host);
    if (c->host == NULL)
        return pop3__done(c, POP3_E_NOMEM);
    c->port = port;
    /* Load the CA and certificate files before touching the network, so
     * a mistake there costs no connection. */
    if (mode != POP3_TLS_NONE && c->tls == NULL) {
        st = pop3_tls_config_new(&c->opts, &c->tls, c->detail,
                                 sizeof c->detail);
        if (st != POP3_OK)
            return pop3__done(c, st);
    }

    dl = pop3_deadline_in(c->opts.connect_timeout_ms);
    st = pop3_transport_connect(&c->tp, host, port, &dl);
    if (st != POP3_OK)
        return pop3__done(c, st);

    /* The handshake and the greeting share the I/O deadline, so a server
     * that stalls either way times out (fetchmail CVE-2011-1947). */
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
    if (mode == POP3_TLS_IMPLICIT) {
        st = pop3__tls_handshake(c);
        if (st != POP3_OK)
            return pop3__done(c, st);
    }

    /* CAPA on its way while the greeting is: its reply comes after it. */
    if (c->opts.early_capa) {
        st = pop3__send(c, "CAPA", NULL, NULL, POP3_MASK_NONE);
        if (st != POP3_OK)
            return pop3__done(c, st);
    }

    /* RFC 1939 4: the greeting is a status line. */
    st = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_SERVER, &ev);
    if (st != POP3_OK) {
        /* -ERR greeting: nothing more to say, but keep its text. */
        if (c->failed == POP3_OK)
            pop3_transport_close(&c->tp);
        return pop3__done(c, st);
    }
    strcpy(c->greeting, c->text);
    find_stamp(c, c->greeting);
    c->state = POP3_STATE_AUTHORIZATION;

    if (c->opts.early_capa) {
        /* A -ERR (RFC 1939 only) leaves the session as it is. */
        st = pop3__capa_read(c);
        if (c->failed != POP3_OK)
            return pop3__done(c, st);
    }
    if (mode == POP3_TLS_STLS_REQUIRED || mode == POP3_TLS_STLS_IF_OFFERED) {
        st = negotiate_stls(c, mode == POP3_TLS_STLS_REQUIRED);
        if (st != POP3_OK)
            return pop3__done(c, st);
    }
    if (c->opts.utf8) {
        /* Asked for, so turned on when offered; its absence (or a -ERR)
         * leaves the session as it is. */
        st = pop3__utf8(c);
        if (c->failed != POP3_OK)
            return pop3__done(c, st);
    }
    return pop3__done(c, POP3_OK);
}

/* Internal, for the session fuzzer and tests: a connection over a
 * transport the caller made (e.g. in memory), greeting read as
 * pop3_connect reads it.  No TLS, no STLS, no UTF8; never exported. */
pop3_status pop3__connect_transport(pop3_client *c,
                                    const pop3_transport_ops *ops,
                                    void *ctx)
{
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (ops == NULL)
        return pop3__done(c, POP3_E_ARG);
    if (c->failed != POP3_OK)
        return pop3__done(c, c->failed);
    if (c->tp.ops != NULL)
        return pop3__done(c, POP3_E_STATE);
    reset_session(c);
    c->tp.ops = ops;
    c->tp.ctx = ctx;
    c->tp.fd = -1;
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
    st = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_SERVER, &ev);
    if (st != POP3_OK) {
        if (c->failed == POP3_OK)
            pop3_transport_close(&c->tp);
        return pop3__done(c, st);
    }
    strcpy(c->greeting, c->text);
    find_stamp(c, c->greeting);
    c->state = POP3_STATE_AUTHORIZATION;
    return pop3__done(c, POP3_OK);
}

pop3_state pop3_get_state(const pop3_client *c)
{
    return c ? c->state : POP3_STATE_DISCONNECTED;
}

pop3_status pop3_last_status(const pop3_client *c)
{
    return c ? c->last : POP3_E_ARG;
}

const char *pop3_server_text(const pop3_client *c)
{
    return c ? c->text : "";
}

const char *pop3_resp_code(const pop3_client *c)
{
    return c ? c->code : "";
}

const char *pop3_greeting(const pop3_client *c)
{
    return c ? c->greeting : "";
}

const char *pop3_apop_timestamp(const pop3_client *c)
{
    return c && c->stamp[0] ? c->stamp : NULL;
}
