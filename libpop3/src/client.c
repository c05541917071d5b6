/*
 * The client's life: options, creation, connecting and the greeting,
 * closing, and what callers can read back.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

void pop3_options_init(pop3_options *opts)
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
        if (opts->version != POP3_OPTIONS_VERSION)
            return POP3_E_ARG; /* not filled by pop3_options_init */
        o = *opts;
    }
    if (o.max_line < 64 || o.max_line > 1024 * 1024 ||
        o.buffer_size < 2 * o.max_line || o.tls > POP3_TLS_IMPLICIT ||
        o.tls < POP3_TLS_DEFAULT)
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
    c->start = c->end = 0;
    c->text[0] = c->code[0] = c->greeting[0] = c->stamp[0] = '\0';
    c->uid[0] = '\0';
}

pop3_status pop3_close(pop3_client *c)
{
    if (c == NULL)
        return POP3_E_ARG;
    reset_session(c);
    return pop3__done(c, POP3_OK);
}

/*
 * RFC 1939 7: the APOP timestamp is a msg-id, "<" local "@" domain ">".
 * Only a well-formed one is kept (CVE-2007-1558: a client that accepts any
 * text lets a man in the middle choose what the password is hashed with).
 * A linear scan, so no input can make it slow.
 */
static void find_stamp(pop3_client *c, const char *text)
{
    const char *open = strchr(text, '<'), *p;
    size_t ats = 0, n;

    c->stamp[0] = '\0';
    if (open == NULL)
        return;
    for (p = open + 1; *p != '\0' && *p != '>'; p++) {
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e ||
            *p == '<')
            return;
        if (*p == '@')
            ats++;
    }
    n = (size_t)(p - open) + 1;
    if (*p != '>' || ats != 1 || open[1] == '@' || p[-1] == '@' || n > 255)
        return;
    memcpy(c->stamp, open, n);
    c->stamp[n] = '\0';
}

pop3_status pop3_connect(pop3_client *c, const char *host, unsigned int port)
{
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
    /* TLS arrives with its own issue; until then only cleartext, and only
     * when the caller asked for it by name. */
    if (c->opts.tls != POP3_TLS_NONE)
        return pop3__done(c, POP3_E_UNSUPPORTED);
    if (port == 0)
        port = 110;

    free(c->host);
    c->host = strdup(host);
    if (c->host == NULL)
        return pop3__done(c, POP3_E_NOMEM);

    dl = pop3_deadline_in(c->opts.connect_timeout_ms);
    st = pop3_transport_connect(&c->tp, host, port, &dl);
    if (st != POP3_OK)
        return pop3__done(c, st);

    /* RFC 1939 4: the greeting is a status line. */
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
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
