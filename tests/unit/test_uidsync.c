/*
 * The UIDL sync helper: UID checks, safe file names, and the NEW / SEEN /
 * BAD / VANISHED sets -- including the hostile cases (duplicates, empty,
 * too long, control characters, path tricks).  The last test runs it
 * against the scripted server with a UIDL listing that has a bad line.
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>

#define S(lit) lit, sizeof lit - 1

static void test_check_text(void)
{
    char long_uid[POP3_UID_MAX + 2];

    memset(long_uid, 'u', sizeof long_uid);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("abc")), POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("!~")), POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uid_check_text("", 0), POP3_UID_EMPTY);
    CU_ASSERT_EQUAL(pop3_uid_check_text(NULL, 0), POP3_UID_EMPTY);
    CU_ASSERT_EQUAL(pop3_uid_check_text(NULL, 3), POP3_UID_EMPTY);
    CU_ASSERT_EQUAL(pop3_uid_check_text(long_uid, POP3_UID_MAX),
                    POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uid_check_text(long_uid, POP3_UID_MAX + 1),
                    POP3_UID_TOO_LONG);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("a b")), POP3_UID_BAD_CHAR);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("a\tb")), POP3_UID_BAD_CHAR);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("a\r\nb")), POP3_UID_BAD_CHAR);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("a\0b")), POP3_UID_BAD_CHAR);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("a\x7f")), POP3_UID_BAD_CHAR);
    CU_ASSERT_EQUAL(pop3_uid_check_text(S("caf\xc3\xa9")),
                    POP3_UID_BAD_CHAR);
}

/* The safe form of uid, or "(refused)". */
static const char *safe(const char *uid, size_t len, char *buf)
{
    if (pop3_uid_safe_name(uid, len, buf, POP3_UID_SAFE_SIZE) != POP3_OK) {
        CU_ASSERT_STRING_EQUAL(buf, "");
        return "(refused)";
    }
    /* Whatever went in, the result is one harmless path component. */
    CU_ASSERT(strchr(buf, '/') == NULL);
    CU_ASSERT(buf[0] != '.' && buf[0] != '-' && buf[0] != '\0');
    return buf;
}

static void test_safe_name(void)
{
    char buf[POP3_UID_SAFE_SIZE], all[POP3_UID_MAX], small[4];

    CU_ASSERT_STRING_EQUAL(safe(S("0001-abc.x"), buf), "0001-abc.x");
    CU_ASSERT_STRING_EQUAL(safe(S("../x"), buf), "%2E.%2Fx");
    CU_ASSERT_STRING_EQUAL(safe(S("a/b"), buf), "a%2Fb");
    CU_ASSERT_STRING_EQUAL(safe(S("."), buf), "%2E");
    CU_ASSERT_STRING_EQUAL(safe(S(".."), buf), "%2E.");
    CU_ASSERT_STRING_EQUAL(safe(S("-rf"), buf), "%2Drf");
    CU_ASSERT_STRING_EQUAL(safe(S("a%2Fb"), buf), "a%252Fb");
    CU_ASSERT_STRING_EQUAL(safe(S("x:2,S"), buf), "x%3A2%2CS");
    CU_ASSERT_STRING_EQUAL(safe(S("a\\b~"), buf), "a%5Cb%7E");
    /* Invalid UIDs get no name at all. */
    CU_ASSERT_STRING_EQUAL(safe(S("a b"), buf), "(refused)");
    CU_ASSERT_STRING_EQUAL(safe("", 0, buf), "(refused)");
    CU_ASSERT_STRING_EQUAL(safe(S("x\n/etc"), buf), "(refused)");
    /* The worst case fits POP3_UID_SAFE_SIZE exactly. */
    memset(all, '/', sizeof all);
    CU_ASSERT_EQUAL(strlen(safe(all, sizeof all, buf)), 3 * POP3_UID_MAX);
    /* Too small a buffer: refused, left empty, not truncated. */
    CU_ASSERT_EQUAL(pop3_uid_safe_name(S("abcd"), small, sizeof small),
                    POP3_E_ARG);
    CU_ASSERT_STRING_EQUAL(small, "");
    CU_ASSERT_EQUAL(pop3_uid_safe_name(S("abc"), small, sizeof small),
                    POP3_OK);
    CU_ASSERT_EQUAL(pop3_uid_safe_name(S("abc"), NULL, 10), POP3_E_ARG);
}

/* Different UIDs never share a safe form, whatever their bytes. */
static void test_safe_name_injective(void)
{
    static const char *const uids[] = {"a/b", "a%2Fb", "a%2fb", ".a", "%2Ea",
                                       "-", "%2D", "a-", "a.", "a%", NULL};
    char names[16][POP3_UID_SAFE_SIZE];
    size_t i, j;

    for (i = 0; uids[i] != NULL; i++)
        CU_ASSERT_FATAL(pop3_uid_safe_name(uids[i], strlen(uids[i]),
                                           names[i], sizeof names[i]) ==
                        POP3_OK);
    for (i = 0; uids[i] != NULL; i++)
        for (j = i + 1; uids[j] != NULL; j++)
            CU_ASSERT(strcmp(names[i], names[j]) != 0);
}

/* Expect item `i` of `kind` to be (msg, uid, check). */
static void expect(pop3_uidsync *s, pop3_uidsync_kind kind, size_t i,
                   unsigned int msg, const char *uid, pop3_uid_check check)
{
    unsigned int m = 99;
    const char *u = "x";
    pop3_uid_check c = POP3_UID_MISSING;

    CU_ASSERT_EQUAL_FATAL(pop3_uidsync_item(s, kind, i, &m, &u, &c),
                          POP3_OK);
    CU_ASSERT_EQUAL(m, msg);
    CU_ASSERT_EQUAL(c, check);
    if (uid == NULL) {
        CU_ASSERT_PTR_NULL(u);
    } else {
        CU_ASSERT_PTR_NOT_NULL_FATAL(u);
        CU_ASSERT_STRING_EQUAL(u, uid);
    }
}

static void test_new_seen_vanished(void)
{
    pop3_uidsync *s = NULL;

    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("b"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("gone2"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("d"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("gone1"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("b"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 1, S("a"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 2, S("b"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 4, S("c"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 7, S("d"), NULL), POP3_OK);

    /* Nothing to read before run. */
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_NEW), 0);
    CU_ASSERT_EQUAL(pop3_uidsync_item(s, POP3_UIDSYNC_NEW, 0, NULL, NULL,
                                      NULL),
                    POP3_E_STATE);
    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);

    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_NEW), 2);
    expect(s, POP3_UIDSYNC_NEW, 0, 1, "a", POP3_UID_VALID);
    expect(s, POP3_UIDSYNC_NEW, 1, 4, "c", POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_SEEN), 2);
    expect(s, POP3_UIDSYNC_SEEN, 0, 2, "b", POP3_UID_VALID);
    expect(s, POP3_UIDSYNC_SEEN, 1, 7, "d", POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_BAD), 0);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_VANISHED), 2);
    expect(s, POP3_UIDSYNC_VANISHED, 0, 0, "gone1", POP3_UID_VALID);
    expect(s, POP3_UIDSYNC_VANISHED, 1, 0, "gone2", POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uidsync_item(s, POP3_UIDSYNC_NEW, 2, NULL, NULL,
                                      NULL),
                    POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_item(s, (pop3_uidsync_kind)9, 0, NULL,
                                      NULL, NULL),
                    POP3_E_ARG);
    /* Frozen after run. */
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("z"), NULL), POP3_E_STATE);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 9, S("z"), NULL),
                    POP3_E_STATE);
    pop3_uidsync_free(s);
}

static void test_empty_sets(void)
{
    pop3_uidsync *s = NULL;

    /* Nothing at all. */
    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_NEW), 0);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_VANISHED), 0);
    pop3_uidsync_free(s);

    /* First run: nothing seen, everything new. */
    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 1, S("a"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_NEW), 1);
    pop3_uidsync_free(s);

    /* Empty maildrop: everything vanished. */
    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("a"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_VANISHED), 1);
    pop3_uidsync_free(s);
    pop3_uidsync_free(NULL);
}

static void test_duplicates_and_invalid(void)
{
    pop3_uidsync *s = NULL;
    pop3_uid_check c;
    char long_uid[POP3_UID_MAX + 1];

    memset(long_uid, 'u', sizeof long_uid);
    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    /* A state file line that is not a UID is refused, and reported. */
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, "", 0, &c), POP3_E_ARG);
    CU_ASSERT_EQUAL(c, POP3_UID_EMPTY);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, long_uid, sizeof long_uid, &c),
                    POP3_E_ARG);
    CU_ASSERT_EQUAL(c, POP3_UID_TOO_LONG);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("dup\x01"), &c), POP3_E_ARG);
    CU_ASSERT_EQUAL(c, POP3_UID_BAD_CHAR);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("dup"), &c), POP3_OK);
    CU_ASSERT_EQUAL(c, POP3_UID_VALID);

    /* Server side: accepted, but each one BAD. */
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 1, S("dup"), &c), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 2, "", 0, &c), POP3_OK);
    CU_ASSERT_EQUAL(c, POP3_UID_EMPTY);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 3, long_uid, sizeof long_uid,
                                            &c),
                    POP3_OK);
    CU_ASSERT_EQUAL(c, POP3_UID_TOO_LONG);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 4, S("a b"), &c), POP3_OK);
    CU_ASSERT_EQUAL(c, POP3_UID_BAD_CHAR);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 5, S("ok"), &c), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 6, S("dup"), &c), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 7, "", 0, &c), POP3_OK);
    /* Message numbers only go up. */
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 7, S("x"), NULL), POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 3, S("x"), NULL), POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(s, 0, S("x"), NULL), POP3_E_ARG);

    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_NEW), 1);
    expect(s, POP3_UIDSYNC_NEW, 0, 5, "ok", POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_SEEN), 0);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_BAD), 6);
    expect(s, POP3_UIDSYNC_BAD, 0, 1, "dup", POP3_UID_DUPLICATE);
    expect(s, POP3_UIDSYNC_BAD, 1, 2, NULL, POP3_UID_EMPTY);
    expect(s, POP3_UIDSYNC_BAD, 2, 3, NULL, POP3_UID_TOO_LONG);
    expect(s, POP3_UIDSYNC_BAD, 3, 4, NULL, POP3_UID_BAD_CHAR);
    expect(s, POP3_UIDSYNC_BAD, 4, 6, "dup", POP3_UID_DUPLICATE);
    expect(s, POP3_UIDSYNC_BAD, 5, 7, NULL, POP3_UID_EMPTY);
    /* A seen UID now shared by two messages matched neither: it is not
     * on the server as one message, so it has vanished. */
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_VANISHED), 1);
    pop3_uidsync_free(s);
}

static void test_null_arguments(void)
{
    pop3_uidsync *s = NULL;

    CU_ASSERT_EQUAL(pop3_uidsync_new(NULL), POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(NULL, S("a"), NULL), POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_add_server(NULL, 1, S("a"), NULL),
                    POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_run(NULL), POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_count(NULL, POP3_UIDSYNC_NEW), 0);
    CU_ASSERT_EQUAL(pop3_uidsync_read_server(NULL, NULL), POP3_E_ARG);
    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_read_server(s, NULL), POP3_E_ARG);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, NULL, 3, NULL), POP3_E_ARG);
    pop3_uidsync_free(s);
}

/* Many UIDs: the sets stay right (and the run stays fast). */
static void test_many(void)
{
    pop3_uidsync *s = NULL;
    char uid[32];
    unsigned int i;

    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    for (i = 0; i < 20000; i += 2) { /* every even one seen */
        int n = snprintf(uid, sizeof uid, "u%u", i);
        CU_ASSERT_FATAL(pop3_uidsync_add_seen(s, uid, (size_t)n, NULL) ==
                        POP3_OK);
    }
    for (i = 1; i <= 10000; i++) { /* messages u1..u10000 */
        int n = snprintf(uid, sizeof uid, "u%u", i);
        CU_ASSERT_FATAL(pop3_uidsync_add_server(s, i, uid, (size_t)n,
                                                NULL) == POP3_OK);
    }
    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_NEW), 5000);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_SEEN), 5000);
    /* u0 and u10002..u19998 */
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_VANISHED), 5000);
    expect(s, POP3_UIDSYNC_NEW, 0, 1, "u1", POP3_UID_VALID);
    expect(s, POP3_UIDSYNC_SEEN, 4999, 10000, "u10000", POP3_UID_VALID);
    pop3_uidsync_free(s);
}

/* From a real session: a UIDL listing with a malformed line leaves that
 * one message MISSING and the others tracked. */
static void test_read_server(void)
{
    static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
    static const char *const args[] = {"--user", "alice:secret", "--fault",
                                       "uidl-empty", NULL};
    test_server srv;
    pop3_options o;
    pop3_client *c = NULL;
    pop3_uidsync *s = NULL;

    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "m1", msg, sizeof msg - 1);
    test_server_add(&srv, "alice", "m2", msg, sizeof msg - 1);
    test_server_add(&srv, "alice", "m3", msg, sizeof msg - 1);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.io_timeout_ms = 5000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_FATAL(pop3_uidsync_new(&s) == POP3_OK);
    /* Not logged in yet: refused by the client's state rules. */
    CU_ASSERT_EQUAL(pop3_uidsync_read_server(s, c), POP3_E_STATE);
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_add_seen(s, S("m3"), NULL), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_read_server(s, c), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_run(s), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_BAD), 1);
    expect(s, POP3_UIDSYNC_BAD, 0, 1, NULL, POP3_UID_MISSING);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_NEW), 1);
    expect(s, POP3_UIDSYNC_NEW, 0, 2, "m2", POP3_UID_VALID);
    CU_ASSERT_EQUAL(pop3_uidsync_count(s, POP3_UIDSYNC_SEEN), 1);
    expect(s, POP3_UIDSYNC_SEEN, 0, 3, "m3", POP3_UID_VALID);
    /* The session is still usable afterwards. */
    CU_ASSERT_EQUAL(pop3_noop(c), POP3_OK);
    CU_ASSERT_EQUAL(pop3_uidsync_read_server(s, c), POP3_E_STATE);
    pop3_uidsync_free(s);
    pop3_client_free(c);
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"UID checks", test_check_text},
        {"safe file names", test_safe_name},
        {"safe names never collide", test_safe_name_injective},
        {"new, seen and vanished", test_new_seen_vanished},
        {"empty sets", test_empty_sets},
        {"duplicate and invalid UIDs", test_duplicates_and_invalid},
        {"NULL arguments", test_null_arguments},
        {"20000 UIDs", test_many},
        {"from a session with a bad UIDL line", test_read_server},
        {NULL, NULL}};
    return test_run_suite("uidsync", tests);
}
