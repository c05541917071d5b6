/*
 * UIDL synchronisation: which messages are new, which seen UIDs are gone,
 * and a safe file name per UID (RFC 1939 7).  UIDs come from the server
 * or from a caller's state file, so both are checked and never trusted:
 * a UID such as "../x" must never become a path (Mutt CVE-2018-14362),
 * an empty one must never match anything (NeoMutt CVE-2018-14356).
 */
#include "pop3/pop3.h"

#include <stdlib.h>
#include <string.h>

typedef struct uid_entry {
    unsigned int msg;     /* message number; 0 for a seen UID */
    unsigned char check;  /* pop3_uid_check */
    unsigned char kind;   /* pop3_uidsync_kind once run */
    unsigned char marked; /* a seen UID found on the server */
    char uid[POP3_UID_MAX + 1];
} uid_entry;

typedef struct entry_list {
    uid_entry *items;
    size_t count, cap;
} entry_list;

struct pop3_uidsync {
    entry_list seen, server;
    int ran;
    /* After run: per kind, pointers into seen or server, in order. */
    const uid_entry **results[4];
    size_t counts[4];
};

pop3_uid_check pop3_uid_check_text(const char *uid, size_t len)
{
    size_t i;

    if (len == 0)
        return POP3_UID_EMPTY;
    if (len > POP3_UID_MAX)
        return POP3_UID_TOO_LONG;
    if (uid == NULL)
        return POP3_UID_EMPTY;
    for (i = 0; i < len; i++)
        if ((unsigned char)uid[i] < 0x21 || (unsigned char)uid[i] > 0x7e)
            return POP3_UID_BAD_CHAR;
    return POP3_UID_VALID;
}

/* Bytes kept as they are in a safe name; "-" and "." not in front, so
 * the name is never ".", "..", hidden, or mistaken for an option. */
static int keep_byte(unsigned char ch, size_t pos)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '=')
        return 1;
    return (ch == '-' || ch == '.') && pos > 0;
}

pop3_status pop3_uid_safe_name(const char *uid, size_t len, char *out,
                               size_t out_size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, n = 0;

    if (out == NULL || out_size == 0)
        return POP3_E_ARG;
    out[0] = '\0';
    if (pop3_uid_check_text(uid, len) != POP3_UID_VALID)
        return POP3_E_ARG;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)uid[i];
        size_t need = keep_byte(ch, i) ? 1 : 3;

        if (n + need >= out_size) {
            out[0] = '\0';
            return POP3_E_ARG;
        }
        if (need == 1) {
            out[n++] = (char)ch;
        } else {
            out[n++] = '%';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        }
    }
    out[n] = '\0';
    return POP3_OK;
}

pop3_status pop3_uidsync_new(pop3_uidsync **sync_out)
{
    if (sync_out == NULL)
        return POP3_E_ARG;
    *sync_out = calloc(1, sizeof **sync_out);
    return *sync_out ? POP3_OK : POP3_E_NOMEM;
}

void pop3_uidsync_free(pop3_uidsync *s)
{
    int k;

    if (s == NULL)
        return;
    for (k = 0; k < 4; k++)
        free(s->results[k]);
    free(s->seen.items);
    free(s->server.items);
    free(s);
}

/* Room for one more entry; NULL when out of memory. */
static uid_entry *append(entry_list *l)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        uid_entry *p;

        if (cap > (size_t)-1 / sizeof *p)
            return NULL;
        p = realloc(l->items, cap * sizeof *p);
        if (p == NULL)
            return NULL;
        l->items = p;
        l->cap = cap;
    }
    memset(&l->items[l->count], 0, sizeof l->items[0]);
    return &l->items[l->count++];
}

pop3_status pop3_uidsync_add_seen(pop3_uidsync *s, const char *uid,
                                  size_t len, pop3_uid_check *check_out)
{
    pop3_uid_check check = pop3_uid_check_text(uid, len);
    uid_entry *e;

    if (check_out != NULL)
        *check_out = check;
    if (s == NULL || check != POP3_UID_VALID)
        return POP3_E_ARG;
    if (s->ran)
        return POP3_E_STATE;
    if ((e = append(&s->seen)) == NULL)
        return POP3_E_NOMEM;
    memcpy(e->uid, uid, len);
    return POP3_OK;
}

pop3_status pop3_uidsync_add_server(pop3_uidsync *s, unsigned int msg,
                                    const char *uid, size_t len,
                                    pop3_uid_check *check_out)
{
    pop3_uid_check check = pop3_uid_check_text(uid, len);
    uid_entry *e;

    if (check_out != NULL)
        *check_out = check;
    if (s == NULL || msg == 0 ||
        (s->server.count > 0 &&
         msg <= s->server.items[s->server.count - 1].msg))
        return POP3_E_ARG;
    if (s->ran)
        return POP3_E_STATE;
    if ((e = append(&s->server)) == NULL)
        return POP3_E_NOMEM;
    e->msg = msg;
    e->check = (unsigned char)check;
    if (check == POP3_UID_VALID)
        memcpy(e->uid, uid, len);
    return POP3_OK;
}

pop3_status pop3_uidsync_read_server(pop3_uidsync *s, pop3_client *c)
{
    uint64_t count, size, next = 1;
    unsigned int msg;
    const char *uid;
    pop3_status st;

    if (s == NULL || c == NULL)
        return POP3_E_ARG;
    if (s->ran)
        return POP3_E_STATE;
    if ((st = pop3_stat(c, &count, &size)) != POP3_OK)
        return st;
    if ((st = pop3_uidl_begin(c)) != POP3_OK)
        return st;
    for (;;) {
        st = pop3_uidl_next(c, &msg, &uid);
        if (st == POP3_DONE)
            break;
        if (st == POP3_E_PROTOCOL &&
            pop3_get_state(c) == POP3_STATE_TRANSACTION)
            continue; /* one malformed line: its message stays MISSING */
        if (st != POP3_OK)
            return st;
        /* Out of order, repeated, or beyond STAT: not to be trusted. */
        if (msg < next || msg > count)
            continue;
        for (; next < msg; next++)
            if (pop3_uidsync_add_server(s, (unsigned int)next, NULL, 0,
                                        NULL) != POP3_OK)
                return POP3_E_NOMEM;
        if ((st = pop3_uidsync_add_server(s, msg, uid, strlen(uid), NULL)) !=
            POP3_OK)
            return st;
        next = (uint64_t)msg + 1;
    }
    for (; next <= count; next++)
        if (pop3_uidsync_add_server(s, (unsigned int)next, NULL, 0, NULL) !=
            POP3_OK)
            return POP3_E_NOMEM;
    /* An invalid UID from the listing cannot happen (the library checks
     * each line), so every empty server UID here is a missing one. */
    for (next = 0; next < s->server.count; next++)
        if (s->server.items[next].check == POP3_UID_EMPTY)
            s->server.items[next].check = POP3_UID_MISSING;
    return POP3_OK;
}

static int by_uid(const void *a, const void *b)
{
    const uid_entry *x = *(const uid_entry *const *)a;
    const uid_entry *y = *(const uid_entry *const *)b;
    return strcmp(x->uid, y->uid);
}

static int by_msg(const void *a, const void *b)
{
    const uid_entry *x = *(const uid_entry *const *)a;
    const uid_entry *y = *(const uid_entry *const *)b;
    return (x->msg > y->msg) - (x->msg < y->msg);
}

/* Pointers to every entry of a list (at least one slot, so that an empty
 * list is not mistaken for a failed allocation). */
static const uid_entry **pointers(const entry_list *l)
{
    const uid_entry **p = malloc((l->count ? l->count : 1) * sizeof *p);
    size_t i;

    if (p != NULL)
        for (i = 0; i < l->count; i++)
            p[i] = &l->items[i];
    return p;
}

/* Mark as DUPLICATE every valid server UID that two messages share. */
static void mark_duplicates(const uid_entry **sorted, size_t n)
{
    size_t i, j;

    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(sorted[i]->uid, sorted[j]->uid) == 0;
             j++)
            ;
        if (j - i > 1 && sorted[i]->check == POP3_UID_VALID)
            for (; i < j; i++)
                ((uid_entry *)sorted[i])->check = POP3_UID_DUPLICATE;
    }
}

pop3_status pop3_uidsync_run(pop3_uidsync *s)
{
    const uid_entry **seen, **server, **found;
    size_t i, nseen = 0;
    int k;

    if (s == NULL)
        return POP3_E_ARG;
    if (s->ran)
        return POP3_OK;
    seen = pointers(&s->seen);
    server = pointers(&s->server);
    for (k = 0; k < 4; k++)
        s->results[k] = malloc((s->seen.count + s->server.count + 1) *
                               sizeof *s->results[k]);
    if (seen == NULL || server == NULL || !s->results[0] || !s->results[1] ||
        !s->results[2] || !s->results[3]) {
        free(seen);
        free(server);
        for (k = 0; k < 4; k++) {
            free(s->results[k]);
            s->results[k] = NULL;
        }
        return POP3_E_NOMEM;
    }

    /* Seen UIDs sorted, repeats dropped, for binary search. */
    qsort(seen, s->seen.count, sizeof *seen, by_uid);
    for (i = 0; i < s->seen.count; i++)
        if (nseen == 0 || strcmp(seen[nseen - 1]->uid, seen[i]->uid) != 0)
            seen[nseen++] = seen[i];

    qsort(server, s->server.count, sizeof *server, by_uid);
    mark_duplicates(server, s->server.count);
    qsort(server, s->server.count, sizeof *server, by_msg);

    for (i = 0; i < s->server.count; i++) {
        uid_entry *e = (uid_entry *)server[i];

        if (e->check != POP3_UID_VALID) {
            e->kind = POP3_UIDSYNC_BAD;
        } else {
            found = nseen ? bsearch(&server[i], seen, nseen, sizeof *seen,
                                    by_uid)
                          : NULL;
            e->kind = found ? POP3_UIDSYNC_SEEN : POP3_UIDSYNC_NEW;
            if (found)
                ((uid_entry *)*found)->marked = 1;
        }
        s->results[e->kind][s->counts[e->kind]++] = e;
    }
    for (i = 0; i < nseen; i++)
        if (!seen[i]->marked)
            s->results[POP3_UIDSYNC_VANISHED]
                      [s->counts[POP3_UIDSYNC_VANISHED]++] = seen[i];
    free(seen);
    free(server);
    s->ran = 1;
    return POP3_OK;
}

size_t pop3_uidsync_count(const pop3_uidsync *s, pop3_uidsync_kind kind)
{
    if (s == NULL || !s->ran || (int)kind < 0 || (int)kind > 3)
        return 0;
    return s->counts[kind];
}

pop3_status pop3_uidsync_item(const pop3_uidsync *s, pop3_uidsync_kind kind,
                              size_t index, unsigned int *msg_out,
                              const char **uid_out,
                              pop3_uid_check *check_out)
{
    const uid_entry *e;

    if (msg_out != NULL)
        *msg_out = 0;
    if (uid_out != NULL)
        *uid_out = NULL;
    if (check_out != NULL)
        *check_out = POP3_UID_VALID;
    if (s == NULL || (int)kind < 0 || (int)kind > 3)
        return POP3_E_ARG;
    if (!s->ran)
        return POP3_E_STATE;
    if (index >= s->counts[kind])
        return POP3_E_ARG;
    e = s->results[kind][index];
    if (msg_out != NULL)
        *msg_out = e->msg;
    if (uid_out != NULL && e->uid[0] != '\0')
        *uid_out = e->uid;
    if (check_out != NULL)
        *check_out = (pop3_uid_check)e->check;
    return POP3_OK;
}
