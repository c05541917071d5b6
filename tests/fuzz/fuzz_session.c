/*
 * Fuzz target: a whole client session against fuzzer-chosen server
 * bytes, through an in-memory transport (pop3__connect_transport).
 * Byte 0 sets the read sizes, byte 1 the login method, the line limit,
 * opts.pipeline_login (0x40) and whether QUIT goes with the batch (0x20);
 * the rest is everything the server says.  The client runs a fixed script: greeting, CAPA, login (pipelined
 * when the CAPA listed PIPELINING), STAT, LIST and UIDL iteration,
 * LIST/UIDL n, RETR and TOP bodies, a pipelined RETR batch (with
 * pop3_many_then_quit), DELE, QUIT.
 *
 * Checked: every command written is one line of at most 255 octets
 * ending in CRLF with no other CR or LF (nothing the server says can
 * inject a command); every borrowed span lies in readable memory of the
 * stated length (ASan checks the read); a UID is 1-70 printable octets;
 * a failure sticks (the next call returns it and writes nothing); every
 * loop ends.
 */
#include "client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct mem_server {
    const char *data;
    size_t len, pos;
    unsigned int seed; /* read sizes */
    size_t writes;
    const char *user, *pass; /* what the script logs in with */
} mem_server;

#ifndef FUZZ_SESSION_RECORD
/* The in-memory transport: reads serve the input, writes are checked. */
static pop3_status mem_read(pop3_transport *t, char *buf, size_t cap,
                            size_t *n_out, const pop3_deadline *dl)
{
    mem_server *m = t->ctx;
    size_t n;

    (void)dl;
    if (m->pos >= m->len)
        return POP3_E_EOF;
    /* Read sizes from 1 byte up, varying with the seed and position. */
    n = m->seed == 0 ? cap : 1 + (m->pos * 7 + m->seed) % (m->seed * 3);
    if (n > cap)
        n = cap;
    if (n > m->len - m->pos)
        n = m->len - m->pos;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    *n_out = n;
    return POP3_OK;
}

static pop3_status mem_write(pop3_transport *t, const char *buf, size_t len,
                             const pop3_deadline *dl)
{
    mem_server *m = t->ctx;
    const char *p = buf, *end = buf + len;

    (void)dl;
    m->writes++;
    /* Pipelined writes hold several lines; each must be a clean one. */
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        size_t n;
        if (lf == NULL)
            abort(); /* a line without its LF */
        n = (size_t)(lf - p) + 1;
        if (n < 2 || n > POP3_MAX_COMMAND || lf[-1] != '\r' ||
            memchr(p, '\r', n - 2) != NULL || memchr(p, '\0', n) != NULL)
            abort();
        p = lf + 1;
    }
    return POP3_OK;
}

static void mem_close(pop3_transport *t)
{
    (void)t;
}

static const pop3_transport_ops mem_ops = {mem_read, mem_write, mem_close};
#endif

/* Touch every byte of a borrowed span, so ASan sees a bad one. */
static unsigned int touch(const char *p, size_t n)
{
    unsigned int sum = 0;
    size_t i;
    for (i = 0; i < n; i++)
        sum += (unsigned char)p[i];
    return sum;
}

/* After a failure (protocol, I/O...) the client is failed: the next call
 * returns the same status and writes nothing.  (A malformed listing line
 * alone is a POP3_E_PROTOCOL that does not fail the client.) */
static void check_sticky(pop3_client *c, mem_server *m, pop3_status st)
{
    size_t before = m->writes;
    if (c->failed == POP3_OK)
        return;
    if (st != c->failed || pop3_noop(c) != c->failed ||
        m->writes != before ||
        pop3_get_state(c) != POP3_STATE_DISCONNECTED)
        abort();
}

/* A listing goes on after a line that was only malformed. */
static int more(const pop3_client *c, pop3_status st)
{
    return st == POP3_OK || (st == POP3_E_PROTOCOL && c->failed == POP3_OK);
}

static void check_uid(const char *uid)
{
    size_t n = strlen(uid), i;
    if (n < 1 || n > POP3_MAX_UID)
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)uid[i] < 0x21 || (unsigned char)uid[i] > 0x7e)
            abort();
}

static void read_body(pop3_client *c, mem_server *m, pop3_status st)
{
    const char *p;
    size_t n;
    int guard = 0;

    if (st != POP3_OK) {
        check_sticky(c, m, st);
        return;
    }
    while (guard++ < 100000 && (st = pop3_body_next(c, &p, &n)) == POP3_OK)
        touch(p, n);
    if (st == POP3_OK)
        abort(); /* a body that never ends on finite input */
    check_sticky(c, m, st == POP3_DONE ? POP3_OK : st);
}

/* The script after the greeting (st: how connecting went). */
static void run_session(pop3_client *c, mem_server *m, unsigned int how,
                        pop3_status st)
{
    static const unsigned int batch[] = {1, 2, 3};
    uint64_t n, sz;
    unsigned int msg;
    const char *uid;
    int guard;

    touch(pop3_greeting(c), strlen(pop3_greeting(c)));
    if (st != POP3_OK)
        return;
    st = pop3_capa(c);
    check_sticky(c, m, st);
    switch (how % 3) {
    case 0:
        st = pop3_login(c, m->user, m->pass);
        break;
    case 1:
        st = pop3_apop(c, m->user, m->pass);
        break;
    default:
        st = pop3_authenticate(c, m->user, m->pass);
        break;
    }
    touch(pop3_server_text(c), strlen(pop3_server_text(c)));
    touch(pop3_resp_code(c), strlen(pop3_resp_code(c)));
    /* A refused pipelined login answers with the refusal even when the
     * connection failed while the replies after it were read (it says
     * why, as a login one command at a time would); the failure sticks
     * from the next call on, which check_sticky checks. */
    if (c->failed != POP3_OK && st != c->failed &&
        (pop3_status_family(st) == POP3_FAMILY_SERVER ||
         pop3_status_family(st) == POP3_FAMILY_AUTH))
        st = c->failed;
    check_sticky(c, m, st);
    if (pop3_get_state(c) != POP3_STATE_TRANSACTION)
        return;

    check_sticky(c, m, pop3_stat(c, &n, &sz));
    st = pop3_list_begin(c);
    for (guard = 0; more(c, st) && guard < 100000; guard++)
        st = pop3_list_next(c, &msg, &sz);
    check_sticky(c, m, st == POP3_DONE ? POP3_OK : st);
    st = pop3_uidl_begin(c);
    for (guard = 0; more(c, st) && guard < 100000; guard++) {
        st = pop3_uidl_next(c, &msg, &uid);
        if (st == POP3_OK)
            check_uid(uid);
    }
    check_sticky(c, m, st == POP3_DONE ? POP3_OK : st);
    check_sticky(c, m, pop3_list_one(c, 1, &sz));
    st = pop3_uidl_one(c, 1, &uid);
    if (st == POP3_OK)
        check_uid(uid);
    check_sticky(c, m, st);
    read_body(c, m, pop3_retr_begin(c, 1));
    read_body(c, m, pop3_top_begin(c, 2, 3));

    st = pop3_retr_many_begin(c, batch, 3);
    if (st == POP3_OK && (how & 0x20)) /* QUIT with the last RETR */
        check_sticky(c, m, pop3_many_then_quit(c));
    for (guard = 0; st != POP3_DONE && c->failed == POP3_OK && guard < 100;
         guard++) {
        st = pop3_many_next(c, &msg);
        if (st == POP3_OK) {
            read_body(c, m, st);
            if (c->failed != POP3_OK) /* the body failed (checked) */
                st = c->failed;
        }
    }
    check_sticky(c, m, st == POP3_DONE ? POP3_OK : st);
    check_sticky(c, m, pop3_discard(c));
    if (c->quit_sent && c->failed == POP3_OK) {
        /* QUIT is out: a DELE now would be lost; it must be refused
         * without a byte written.  (A failed client repeats its failure
         * instead, checked below.) */
        size_t before = m->writes;
        if (pop3_dele(c, 1) != POP3_E_STATE || m->writes != before)
            abort();
    } else {
        check_sticky(c, m, pop3_dele(c, 1));
    }
    check_sticky(c, m, pop3_quit(c));
}

static pop3_client *new_client(unsigned int how)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.allow_cleartext = 1;
    o.io_timeout_ms = 5000;
    o.pipeline_login = (how & 0x40) != 0; /* USER to STAT in one write */
    if (how & 0x10) { /* a short line limit and a tight buffer */
        o.max_line = 64;
        o.buffer_size = 128;
    }
    return pop3_client_new(&o, &c) == POP3_OK ? c : NULL;
}

#ifndef FUZZ_SESSION_RECORD
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pop3_client *c;
    mem_server m;

    if (size < 2 || (c = new_client(data[1])) == NULL)
        return 0;
    memset(&m, 0, sizeof m);
    m.seed = data[0] % 16;
    m.data = (const char *)data + 2;
    m.len = size - 2;
    m.user = "user";
    m.pass = "secret";
    run_session(c, &m, data[1], pop3__connect_transport(c, &mem_ops, &m));
    pop3_client_free(c);
    return 0;
}
#else
/* Seed recording (record_session.py): the same script over a real
 * connection, through a proxy that keeps what the server says.
 * Usage: fuzz_session_record HOST PORT HOW USER PASSWORD */
#include <stdio.h>

int main(int argc, char **argv)
{
    pop3_client *c;
    mem_server m;
    unsigned int how;

    if (argc != 6)
        return 2;
    how = (unsigned int)strtoul(argv[3], NULL, 0);
    if ((c = new_client(how)) == NULL)
        return 1;
    memset(&m, 0, sizeof m);
    m.user = argv[4];
    m.pass = argv[5];
    run_session(c, &m, how,
                pop3_connect(c, argv[1], (unsigned int)atoi(argv[2])));
    printf("last status: %s\n", pop3_strerror(pop3_last_status(c)));
    pop3_client_free(c);
    return 0;
}
#endif
