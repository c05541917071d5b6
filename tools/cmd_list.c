/* pop3 list: number, size and UID of every message; with --headers also
 * From, Subject and Date (TOP n 0); --json for scripts. */
#include "pop3tool.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    unsigned int msg;
    uint64_t size;
    char uid[POP3_UID_MAX + 1];
    tool_headers hdr;
} entry;

static int by_msg(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->msg > y->msg) - (x->msg < y->msg);
}

/* LIST into a growing array (never sized by what the server claims). */
static pop3_status read_list(pop3_client *c, entry **out, size_t *n_out)
{
    entry *v = NULL, *p;
    size_t n = 0, cap = 0;
    unsigned int msg;
    uint64_t size;
    pop3_status st = pop3_list_begin(c);

    while (st == POP3_OK && (st = pop3_list_next(c, &msg, &size)) !=
                                POP3_DONE) {
        if (st == POP3_E_PROTOCOL &&
            pop3_get_state(c) == POP3_STATE_TRANSACTION) {
            tool_warn("skipped a malformed LIST line");
            st = POP3_OK;
            continue;
        }
        if (st != POP3_OK)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            if ((p = realloc(v, cap * sizeof *v)) == NULL) {
                st = POP3_E_NOMEM;
                break;
            }
            v = p;
        }
        memset(&v[n], 0, sizeof v[n]);
        v[n].msg = msg;
        v[n].size = size;
        tool_headers_init(&v[n].hdr);
        n++;
    }
    if (st != POP3_DONE) {
        free(v);
        return st;
    }
    qsort(v, n, sizeof *v, by_msg);
    *out = v;
    *n_out = n;
    return POP3_OK;
}

/* UIDs where the server has UIDL; -ERR just leaves them out. */
static pop3_status read_uids(pop3_client *c, entry *v, size_t n)
{
    unsigned int msg;
    const char *uid;
    entry key, *e;
    pop3_status st = pop3_uidl_begin(c);

    if (st == POP3_E_SERVER)
        return POP3_OK;
    while (st == POP3_OK && (st = pop3_uidl_next(c, &msg, &uid)) !=
                                POP3_DONE) {
        if (st == POP3_E_PROTOCOL &&
            pop3_get_state(c) == POP3_STATE_TRANSACTION) {
            tool_warn("skipped a malformed UIDL line");
            st = POP3_OK;
            continue;
        }
        if (st != POP3_OK)
            return st;
        key.msg = msg;
        e = n ? bsearch(&key, v, n, sizeof *v, by_msg) : NULL;
        if (e != NULL)
            snprintf(e->uid, sizeof e->uid, "%s", uid);
    }
    return st == POP3_DONE ? POP3_OK : st;
}

/* TOP n 0 of every message, pipelined (RFC 2449 6.6): one round trip
 * for the lot where the server lists PIPELINING. */
static pop3_status read_headers(pop3_client *c, entry *v, size_t n)
{
    const char *data;
    size_t len, i;
    unsigned int *msgs, msg;
    pop3_status st;

    if (n == 0)
        return POP3_OK;
    if ((msgs = malloc(n * sizeof *msgs)) == NULL)
        return POP3_E_NOMEM;
    for (i = 0; i < n; i++)
        msgs[i] = v[i].msg;
    st = pop3_top_many_begin(c, msgs, n, 0); /* copies the numbers */
    free(msgs);
    for (i = 0; st == POP3_OK && (st = pop3_many_next(c, &msg)) != POP3_DONE;
         i++) {
        if (st != POP3_OK) {
            /* -ERR: no TOP, or the message is gone: no headers */
            if (pop3_status_family(st) == POP3_FAMILY_SERVER &&
                pop3_get_state(c) == POP3_STATE_TRANSACTION)
                st = POP3_OK;
            continue;
        }
        while ((st = pop3_body_next(c, &data, &len)) == POP3_OK)
            tool_headers_feed(&v[i].hdr, data, len);
        tool_headers_end(&v[i].hdr);
        if (st == POP3_DONE)
            st = POP3_OK;
    }
    return st == POP3_DONE ? POP3_OK : st;
}

static void json_field(const char *name, const char *value, int null_if_empty)
{
    printf(",\"%s\":", name);
    if (null_if_empty && *value == '\0')
        fputs("null", stdout);
    else
        tool_json_string(stdout, value, strlen(value));
}

static void print_json(const entry *v, size_t n, int headers)
{
    uint64_t total = 0;
    size_t i;

    for (i = 0; i < n; i++)
        total += v[i].size;
    printf("{\"count\":%zu,\"size\":%llu,\"messages\":[", n,
           (unsigned long long)total);
    for (i = 0; i < n; i++) {
        printf("%s{\"number\":%u,\"size\":%llu", i ? "," : "", v[i].msg,
               (unsigned long long)v[i].size);
        json_field("uid", v[i].uid, 1);
        if (headers) {
            json_field("from", v[i].hdr.from, 0);
            json_field("subject", v[i].hdr.subject, 0);
            json_field("date", v[i].hdr.date, 0);
        }
        putchar('}');
    }
    puts("]}");
}

static void print_text(const entry *v, size_t n, int headers, int quiet)
{
    uint64_t total = 0;
    char human[32];
    size_t i;

    for (i = 0; i < n; i++) {
        total += v[i].size;
        printf("%4u %9llu  %s", v[i].msg, (unsigned long long)v[i].size,
               v[i].uid[0] ? v[i].uid : "-");
        if (headers)
            printf("  %s | %s | %s", v[i].hdr.from, v[i].hdr.subject,
                   v[i].hdr.date);
        putchar('\n');
    }
    if (!quiet)
        printf("%zu message%s, %s\n", n, n == 1 ? "" : "s",
               tool_human_size(total, human, sizeof human));
}

int tool_cmd_list(const tool_opts *o)
{
    tool_session s;
    entry *v = NULL;
    size_t n = 0;
    pop3_status st;
    int rc = tool_session_open(o, &s);

    if (rc != TOOL_EXIT_OK)
        return rc;
    st = read_list(s.client, &v, &n);
    if (st == POP3_OK)
        st = read_uids(s.client, v, n);
    if (st == POP3_OK && o->headers)
        st = read_headers(s.client, v, n);
    if (st == POP3_OK)
        st = pop3_quit(s.client); /* nothing marked: nothing to commit */
    if (st != POP3_OK) {
        rc = tool_fail(s.client, "list", st);
    } else if (o->json) {
        print_json(v, n, o->headers);
    } else {
        print_text(v, n, o->headers, o->quiet);
    }
    free(v);
    tool_session_close(&s);
    return rc;
}
