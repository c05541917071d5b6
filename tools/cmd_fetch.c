/*
 * pop3 fetch: the mail-fetcher job.
 *
 * Nothing is lost, whatever fails when: a message is deleted from the
 * server (DELE) only after its store committed it durably, deletions only
 * take effect at QUIT, and the UID of every stored message is recorded in
 * the state file before anything else happens.  A rerun after a crash or
 * a dropped connection therefore skips (and, without --keep, deletes)
 * what was stored already: at worst a message stored in the instant
 * before its UID was recorded is fetched once more.
 *
 * Speed without giving any of that up (RFC 2449 6.6): the RETRs of all
 * the messages to fetch go out pipelined (pop3_retr_many_begin, a window
 * of commands ahead of the replies, when the server lists PIPELINING),
 * and each message is stored and recorded as it arrives; then the DELEs
 * of every stored message go out pipelined too (pop3_dele_many), and QUIT
 * commits them.  DELE therefore never precedes the durable store of its
 * message, as before -- it only comes later.
 */
#include "pop3tool.h"
#include "state.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

typedef enum { WORK_FETCH, WORK_DELETE } work_kind;

typedef struct work {
    unsigned int msg;
    const char *uid; /* borrowed from the sync; NULL when untrackable */
    work_kind kind;
    uint64_t size;
    int stored, deleted; /* what happened (DELE accepted) */
} work;

typedef struct fetch_run {
    const tool_opts *o;
    tool_session s;
    tool_store *store;
    pop3_uidsync *sync;
    char *state; /* state file path, or NULL */
    int uidl;    /* the server has UIDL */
    work *items;
    size_t n, cap;
    tool_progress bar;
    unsigned int fetched, deleted, failed;
    uint64_t bytes;
    int rc; /* first fatal exit code */
} fetch_run;

static const char *check_text(pop3_uid_check c)
{
    switch (c) {
    case POP3_UID_EMPTY: return "empty UID";
    case POP3_UID_TOO_LONG: return "UID over 70 characters";
    case POP3_UID_BAD_CHAR: return "UID with a space or control character";
    case POP3_UID_DUPLICATE: return "UID shared with another message";
    case POP3_UID_MISSING: return "no readable UID";
    case POP3_UID_VALID: break;
    }
    return "valid UID";
}

static int add_work(fetch_run *r, unsigned int msg, const char *uid,
                    work_kind kind)
{
    work *w;

    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        if ((w = realloc(r->items, cap * sizeof *w)) == NULL)
            return -1;
        r->items = w;
        r->cap = cap;
    }
    w = &r->items[r->n++];
    memset(w, 0, sizeof *w);
    w->msg = msg;
    w->uid = uid;
    w->kind = kind;
    return 0;
}

static int by_msg(const void *a, const void *b)
{
    const work *x = a, *y = b;
    return (x->msg > y->msg) - (x->msg < y->msg);
}

/* The state file, loaded into the sync as the seen side. */
static int load_state(fetch_run *r)
{
    const tool_opts *o = r->o;
    char err[600];
    size_t bad;
    int torn;

    if (o->state_file != NULL)
        r->state = strdup(o->state_file);
    else
        r->state = tool_state_default_path(
            r->s.user, o->url.host, r->s.port,
            o->maildir ? o->maildir : o->mbox ? o->mbox : o->eml_dir);
    if (r->state == NULL) {
        fprintf(stderr, "pop3: fetch: no place for the UIDL state file"
                        " (no $HOME): use --state FILE\n");
        return TOOL_EXIT_USAGE;
    }
    if (tool_state_load(r->state, r->sync, &bad, &torn, err, sizeof err)) {
        fprintf(stderr, "pop3: fetch: %s\n", err);
        return TOOL_EXIT_STORAGE;
    }
    if (bad > 0)
        tool_warn("%s: %zu line%s not a valid UID, ignored", r->state, bad,
                  bad == 1 ? "" : "s");
    if (torn)
        tool_warn("%s: last line cut short (an interrupted run), ignored",
                  r->state);
    return bad || torn ? -1 : TOOL_EXIT_OK; /* -1: rewrite it clean */
}

/* Rewrite the state file with the UIDs still needed: every message of
 * the maildrop we have stored, unless its deletion was committed. */
static int save_state(fetch_run *r, int committed)
{
    size_t i, k = 0, nseen = pop3_uidsync_count(r->sync, POP3_UIDSYNC_SEEN);
    const char **uids = malloc((nseen + r->n + 1) * sizeof *uids);
    char err[600];
    int rc;

    if (uids == NULL)
        return TOOL_EXIT_FAIL;
    for (i = 0; i < r->n; i++)
        if (r->items[i].uid != NULL && r->items[i].stored &&
            !(committed && r->items[i].deleted))
            uids[k++] = r->items[i].uid;
    for (i = 0; i < nseen; i++) {
        const char *uid;
        unsigned int msg;
        size_t j;
        int gone = 0;

        pop3_uidsync_item(r->sync, POP3_UIDSYNC_SEEN, i, &msg, &uid, NULL);
        for (j = 0; committed && j < r->n; j++) /* deleted just now? */
            if (r->items[j].msg == msg && r->items[j].deleted)
                gone = 1;
        if (!gone)
            uids[k++] = uid;
    }
    rc = tool_state_write(r->state, uids, k, err, sizeof err);
    free(uids);
    if (rc != 0) {
        fprintf(stderr, "pop3: fetch: %s\n", err);
        return TOOL_EXIT_STORAGE;
    }
    return TOOL_EXIT_OK;
}

/* Decide what to do with each message. */
static int plan(fetch_run *r)
{
    const tool_opts *o = r->o;
    size_t i, k, fetches = 0;
    unsigned int msg, since = 0;
    const char *uid;
    pop3_uid_check why;
    int kind, found = o->since_uidl == NULL;

    for (kind = POP3_UIDSYNC_NEW; kind <= POP3_UIDSYNC_BAD; kind++) {
        for (i = 0; i < pop3_uidsync_count(r->sync, kind); i++) {
            pop3_uidsync_item(r->sync, kind, i, &msg, &uid, &why);
            if (o->since_uidl && uid && strcmp(uid, o->since_uidl) == 0) {
                since = msg;
                found = 1;
            }
            if (kind == POP3_UIDSYNC_BAD) {
                if (r->uidl)
                    tool_warn("message %u: %s%s%s: %s", msg,
                              check_text(why), uid ? " " : "",
                              uid ? uid : "",
                              o->keep ? "cannot be tracked, left on the"
                                        " server"
                                      : "fetched without tracking");
                if (o->keep)
                    continue;
                uid = NULL;
            }
            if (kind == POP3_UIDSYNC_SEEN && o->keep)
                continue;
            if (add_work(r, msg, uid,
                         kind == POP3_UIDSYNC_SEEN ? WORK_DELETE
                                                   : WORK_FETCH) != 0)
                return TOOL_EXIT_FAIL;
        }
    }
    if (!found) {
        fprintf(stderr, "pop3: fetch: no message has the UID %s"
                        " (--since-uidl)\n", o->since_uidl);
        return TOOL_EXIT_FAIL;
    }
    if (r->n > 0)
        qsort(r->items, r->n, sizeof *r->items, by_msg);
    /* --since-uidl and --max only narrow what is fetched; messages
     * stored by an earlier run are still deleted. */
    for (i = k = 0; i < r->n; i++) {
        if (r->items[i].kind == WORK_FETCH &&
            (r->items[i].msg <= since ||
             (o->max >= 0 && fetches >= (size_t)o->max)))
            continue;
        fetches += r->items[i].kind == WORK_FETCH;
        r->items[k++] = r->items[i];
    }
    r->n = k;
    return TOOL_EXIT_OK;
}

/* Sizes from LIST, for the progress bar and the dry run. */
static pop3_status read_sizes(fetch_run *r)
{
    unsigned int msg;
    uint64_t size;
    work key, *w;
    pop3_status st = pop3_list_begin(r->s.client);

    while (st == POP3_OK &&
           (st = pop3_list_next(r->s.client, &msg, &size)) != POP3_DONE) {
        if (st == POP3_E_PROTOCOL &&
            pop3_get_state(r->s.client) == POP3_STATE_TRANSACTION) {
            st = POP3_OK; /* one bad line: that size stays unknown */
            continue;
        }
        key.msg = msg;
        w = st == POP3_OK && r->n ? bsearch(&key, r->items, r->n,
                                            sizeof key, by_msg)
                                  : NULL;
        if (w != NULL)
            w->size = size;
    }
    return st == POP3_DONE || st == POP3_E_SERVER ? POP3_OK : st;
}

/* A UIDL-less server: every message, none trackable. */
static int plan_without_uidl(fetch_run *r)
{
    uint64_t count, size, i;
    pop3_status st = pop3_stat(r->s.client, &count, &size);

    if (st != POP3_OK)
        return tool_fail(r->s.client, "fetch: STAT", st);
    for (i = 1; i <= count && (r->o->max < 0 || i <= (uint64_t)r->o->max);
         i++)
        if (add_work(r, (unsigned int)i, NULL, WORK_FETCH) != 0)
            return TOOL_EXIT_FAIL;
    return TOOL_EXIT_OK;
}

static void dry_run(fetch_run *r)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        const work *w = &r->items[i];
        printf("would %s %u (%s, %llu octets)\n",
               w->kind == WORK_FETCH ? (r->o->keep ? "fetch"
                                                   : "fetch and delete")
                                     : "delete (stored before)",
               w->msg, w->uid ? w->uid : "no UID",
               (unsigned long long)w->size);
    }
    printf("dry run: %zu message%s to act on; nothing done\n", r->n,
           r->n == 1 ? "" : "s");
}

/* Read the body of message `w`, whose +OK the batch has just read, into
 * the store; commit it durably, then record its UID.  Returns an exit
 * code. */
static int store_body(fetch_run *r, work *w)
{
    tool_store *st = r->store;
    tool_headers hdr;
    const char *data;
    size_t len;
    char where[4200], what[64];
    pop3_status ps;

    snprintf(what, sizeof what, "fetch: message %u", w->msg);
    if (st->ops->begin(st, w->uid) != 0) {
        fprintf(stderr, "pop3: fetch: %s\n", st->err);
        return TOOL_EXIT_STORAGE;
    }
    tool_headers_init(&hdr);
    while ((ps = pop3_body_next(r->s.client, &data, &len)) == POP3_OK) {
        tool_headers_feed(&hdr, data, len);
        tool_progress_bytes(&r->bar, len);
        r->bytes += len;
        if (st->ops->write(st, data, len) != 0) {
            st->ops->abort(st);
            tool_progress_clear(&r->bar);
            fprintf(stderr, "pop3: fetch: %s\n", st->err);
            return TOOL_EXIT_STORAGE;
        }
    }
    tool_headers_end(&hdr);
    if (ps != POP3_DONE) { /* the connection failed mid-body */
        st->ops->abort(st);
        tool_progress_clear(&r->bar);
        return tool_fail(r->s.client, what, ps);
    }
    if (st->ops->commit(st, where, sizeof where) != 0) {
        tool_progress_clear(&r->bar);
        fprintf(stderr, "pop3: fetch: %s\n", st->err);
        return TOOL_EXIT_STORAGE;
    }
    w->stored = 1;
    r->fetched++;
    tool_progress_msg(&r->bar);
    if (!r->o->quiet) {
        tool_progress_clear(&r->bar);
        printf("%4u  %s  %s | %s\n", w->msg, w->uid ? w->uid : "-",
               hdr.from, hdr.subject);
        fflush(stdout);
    }
    if (w->uid != NULL) {
        char err[600];
        if (tool_state_append(r->state, w->uid, err, sizeof err) != 0) {
            fprintf(stderr, "pop3: fetch: %s\n", err);
            return TOOL_EXIT_STORAGE;
        }
    }
    return TOOL_EXIT_OK;
}

/* RETR every message to fetch, pipelined, storing each as it arrives.
 * A -ERR for one message is reported and counted and the batch goes on.
 * Returns an exit code; after a local failure the rest of the batch is
 * read and dropped, so the stored messages can still be deleted. */
static int fetch_all(fetch_run *r)
{
    pop3_client *c = r->s.client;
    unsigned int *msgs, msg;
    work **todo;
    size_t i, k = 0;
    char what[64];
    pop3_status ps;
    int rc = TOOL_EXIT_OK;

    for (i = 0; i < r->n; i++)
        k += r->items[i].kind == WORK_FETCH;
    if (k == 0)
        return TOOL_EXIT_OK;
    msgs = malloc(k * sizeof *msgs);
    todo = malloc(k * sizeof *todo);
    if (msgs == NULL || todo == NULL) {
        free(msgs);
        free(todo);
        return TOOL_EXIT_FAIL;
    }
    for (i = k = 0; i < r->n; i++)
        if (r->items[i].kind == WORK_FETCH) {
            todo[k] = &r->items[i];
            msgs[k++] = r->items[i].msg;
        }
    ps = pop3_retr_many_begin(c, msgs, k); /* copies the numbers */
    free(msgs);
    if (ps != POP3_OK) {
        free(todo);
        return tool_fail(c, "fetch", ps);
    }
    /* The batch answers in the order asked: the i-th reply is todo[i]. */
    for (i = 0; rc == TOOL_EXIT_OK &&
                (ps = pop3_many_next(c, &msg)) != POP3_DONE;
         i++) {
        if (i >= k) { /* more replies than asked: never, but not trusted */
            rc = tool_fail(c, "fetch", POP3_E_PROTOCOL);
            break;
        }
        snprintf(what, sizeof what, "fetch: message %u", todo[i]->msg);
        if (ps == POP3_OK) {
            rc = store_body(r, todo[i]);
        } else if (pop3_get_state(c) == POP3_STATE_TRANSACTION &&
                   pop3_status_family(ps) == POP3_FAMILY_SERVER) {
            tool_progress_clear(&r->bar);
            tool_fail(c, what, ps); /* -ERR: this message only */
            r->failed++;
        } else {
            tool_progress_clear(&r->bar);
            rc = tool_fail(c, what, ps);
        }
    }
    if (rc != TOOL_EXIT_OK && pop3_get_state(c) == POP3_STATE_TRANSACTION)
        pop3_discard(c); /* end the batch: the DELEs may still go out */
    free(todo);
    return rc;
}

/* DELE every stored message (this run's and an earlier run's), pipelined;
 * only a later QUIT commits them.  A refused DELE leaves that message on
 * the server, is reported and counted; the others stay marked. */
static int delete_stored(fetch_run *r)
{
    pop3_client *c = r->s.client;
    unsigned int *msgs;
    pop3_status *res, ps;
    work **marked;
    size_t i, k = 0;

    for (i = 0; i < r->n; i++)
        k += r->items[i].stored;
    if (k == 0)
        return TOOL_EXIT_OK;
    msgs = malloc(k * sizeof *msgs);
    res = malloc(k * sizeof *res);
    marked = malloc(k * sizeof *marked);
    if (msgs == NULL || res == NULL || marked == NULL) {
        free(msgs);
        free(res);
        free(marked);
        return TOOL_EXIT_FAIL;
    }
    for (i = k = 0; i < r->n; i++)
        if (r->items[i].stored) {
            marked[k] = &r->items[i];
            msgs[k++] = r->items[i].msg;
        }
    ps = pop3_dele_many(c, msgs, k, res);
    for (i = 0; i < k && (ps == POP3_OK || ps == POP3_E_SERVER); i++) {
        if (res[i] == POP3_OK) {
            marked[i]->deleted = 1;
            continue;
        }
        /* The server's words are those of the last reply: they belong
         * to this message only when it was the last one. */
        fprintf(stderr, "pop3: fetch: delete %u (kept on the server): %s",
                msgs[i], pop3_strerror(res[i]));
        if (i == k - 1 && *pop3_server_text(c) != '\0')
            fprintf(stderr, " (server said: %s)", pop3_server_text(c));
        fputc('\n', stderr);
        r->failed++;
    }
    free(msgs);
    free(res);
    free(marked);
    if (ps == POP3_OK ||
        (ps == POP3_E_SERVER &&
         pop3_get_state(c) == POP3_STATE_TRANSACTION))
        return TOOL_EXIT_OK;
    return tool_fail(c, "fetch: delete", ps);
}

static void summary(fetch_run *r, int committed)
{
    char human[32];
    size_t i;

    for (i = 0; i < r->n; i++)
        r->deleted += r->items[i].deleted && committed;
    if (r->o->quiet)
        return;
    printf("fetched %u message%s (%s)", r->fetched,
           r->fetched == 1 ? "" : "s",
           tool_human_size(r->bytes, human, sizeof human));
    if (r->o->keep)
        printf(", %zu already here; kept on the server\n",
               pop3_uidsync_count(r->sync, POP3_UIDSYNC_SEEN));
    else
        printf("; deleted %u from the server\n", r->deleted);
}

static int run(fetch_run *r)
{
    const tool_opts *o = r->o;
    pop3_status ps;
    uint64_t total = 0;
    unsigned int nfetch = 0;
    size_t i;
    int rc, committed = 0, dirty;

    if ((ps = pop3_uidsync_new(&r->sync)) != POP3_OK)
        return tool_fail(NULL, "fetch", ps);
    if ((dirty = load_state(r)) > 0)
        return dirty;
    ps = pop3_uidsync_read_server(r->sync, r->s.client);
    if (ps == POP3_E_SERVER && !o->keep && o->since_uidl == NULL) {
        tool_warn("the server has no UIDL: an interrupted fetch may fetch"
                  " some messages again");
        if ((rc = plan_without_uidl(r)) != TOOL_EXIT_OK)
            return rc;
        pop3_uidsync_run(r->sync);
    } else if (ps != POP3_OK) {
        if (ps == POP3_E_SERVER)
            fprintf(stderr, "pop3: fetch: the server has no UIDL, so %s"
                            " cannot work\n",
                    o->keep ? "--keep" : "--since-uidl");
        return ps == POP3_E_SERVER ? TOOL_EXIT_SERVER
                                   : tool_fail(r->s.client, "fetch: UIDL",
                                               ps);
    } else {
        r->uidl = 1;
        if ((ps = pop3_uidsync_run(r->sync)) != POP3_OK)
            return tool_fail(NULL, "fetch", ps);
        if ((rc = plan(r)) != TOOL_EXIT_OK)
            return rc;
        if (dirty < 0 && !o->dry_run && save_state(r, 0) != TOOL_EXIT_OK)
            return TOOL_EXIT_STORAGE;
    }
    if ((ps = read_sizes(r)) != POP3_OK)
        return tool_fail(r->s.client, "fetch: LIST", ps);
    if (o->dry_run) {
        dry_run(r);
        pop3_quit(r->s.client);
        return TOOL_EXIT_OK;
    }

    for (i = 0; i < r->n; i++)
        if (r->items[i].kind == WORK_FETCH) {
            nfetch++;
            total += r->items[i].size;
        }
    tool_progress_init(&r->bar, !o->quiet && tool_isatty(stderr) &&
                                    tool_isatty(stdout),
                       nfetch, total);
    /* Items already stored before just need their DELE. */
    for (i = 0; i < r->n; i++)
        if (r->items[i].kind == WORK_DELETE)
            r->items[i].stored = 1;
    rc = fetch_all(r);
    tool_progress_clear(&r->bar);
    /* Only now, with every message of this run stored durably (or the run
     * stopped), are the stored ones marked for deletion -- also after a
     * local storage failure; after a network failure nothing can be. */
    if (!o->keep && pop3_get_state(r->s.client) == POP3_STATE_TRANSACTION) {
        int d = delete_stored(r);
        if (rc == TOOL_EXIT_OK)
            rc = d;
    }
    /* QUIT commits the deletions. */
    if (pop3_get_state(r->s.client) == POP3_STATE_TRANSACTION) {
        ps = pop3_quit(r->s.client);
        committed = ps == POP3_OK;
        if (ps != POP3_OK) {
            int q = tool_fail(r->s.client,
                              "fetch: QUIT (no deletion confirmed)", ps);
            if (rc == TOOL_EXIT_OK)
                rc = q;
        }
    }
    if (r->uidl && save_state(r, committed) != TOOL_EXIT_OK &&
        rc == TOOL_EXIT_OK)
        rc = TOOL_EXIT_STORAGE;
    summary(r, committed);
    if (rc == TOOL_EXIT_OK && r->failed > 0)
        rc = TOOL_EXIT_SERVER;
    return rc;
}

int tool_cmd_fetch(const tool_opts *o)
{
    fetch_run r;
    char err[600];
    int rc;

    if (!!o->maildir + !!o->mbox + !!o->eml_dir != 1) {
        fprintf(stderr, "pop3: fetch: say where to: one of --maildir DIR,"
                        " --mbox FILE, --eml-dir DIR\n");
        return TOOL_EXIT_USAGE;
    }
    memset(&r, 0, sizeof r);
    r.o = o;
    /* The destination first: no point connecting if it is unusable. */
    if (!o->dry_run) {
        r.store = o->maildir ? tool_store_maildir_open(o->maildir, err,
                                                       sizeof err)
                  : o->mbox  ? tool_store_mbox_open(o->mbox, err, sizeof err)
                             : tool_store_eml_open(o->eml_dir, err,
                                                   sizeof err);
        if (r.store == NULL) {
            fprintf(stderr, "pop3: fetch: %s\n", err);
            return TOOL_EXIT_STORAGE;
        }
    }
    if ((rc = tool_session_open(o, &r.s)) == TOOL_EXIT_OK)
        rc = run(&r);
    tool_session_close(&r.s);
    if (r.store != NULL)
        r.store->ops->close(r.store);
    pop3_uidsync_free(r.sync);
    free(r.items);
    free(r.state);
    return rc;
}
