/*
 * Secrets leave no copy behind.  Logins of every kind (USER/PASS, plain
 * and pipelined; APOP; SASL PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1/256,
 * XOAUTH2, OAUTHBEARER) run against the scripted server while
 *
 *  - every block the library frees or reallocates is copied aside first
 *    (free and realloc are wrapped at link time, -Wl,--wrap; the library
 *    is linked from its static archive, so its calls are wrapped too);
 *  - the stack below the test is wiped before a login and copied aside
 *    after it, to catch the library's frames (not under ASan, whose
 *    frames may live elsewhere);
 *  - the trace hook keeps every line it was shown.
 *
 * Then those copies and the trace are searched for the password and for
 * what is derived from it: the client messages and their base64 lines,
 * the APOP and CRAM-MD5 digests, SCRAM's salted password and keys
 * (computed here from the salt and count the server sent).  OpenSSL's own
 * memory (libcrypto is a shared library) is not seen.
 */
#define _GNU_SOURCE /* memmem */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Under valgrind, copied bytes the library never wrote are undefined;
 * searching them is still right, so they are marked defined. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif
#endif
#ifndef HAVE_MEMCHECK
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#define NOINLINE __attribute__((noinline))
#define STACK_SCAN (128u * 1024u)
#define JOURNAL_MAX (32u << 20)

/* ---- the journal of freed memory ----
 * The one mutable global of this program: a free() wrapper gets no
 * context to carry it.  The test is single-threaded. */
typedef struct kept {
    struct kept *next;
    const char *what; /* "free", "realloc" or "stack" */
    size_t len;
    unsigned char data[];
} kept;

static struct {
    int armed;
    kept *head;
    size_t bytes, frees, largest;
    int overflow;
} journal;

void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);

static void keep(const void *p, size_t n, const char *what)
{
    kept *k;

    if (journal.bytes + n > JOURNAL_MAX) {
        journal.overflow = 1;
        return;
    }
    k = malloc(sizeof *k + n); /* malloc is not wrapped */
    if (k == NULL) {
        journal.overflow = 1;
        return;
    }
    memcpy(k->data, p, n);
    VALGRIND_MAKE_MEM_DEFINED(k->data, n);
    k->what = what;
    k->len = n;
    k->next = journal.head;
    journal.head = k;
    journal.bytes += n;
}

static void keep_block(void *p, const char *what)
{
    size_t n;

    if (!journal.armed || p == NULL)
        return;
    n = malloc_usable_size(p);
    journal.frees++;
    if (n > journal.largest)
        journal.largest = n;
    keep(p, n, what);
}

void __wrap_free(void *p)
{
    keep_block(p, "free");
    __real_free(p);
}

/* realloc may free the old block without wiping it. */
void *__wrap_realloc(void *p, size_t n)
{
    keep_block(p, "realloc");
    return __real_realloc(p, n);
}

/* Wipe and drop every copy (they may hold secrets). */
static void journal_clear(void)
{
    kept *k = journal.head, *next;

    journal.armed = 0;
    for (; k != NULL; k = next) {
        next = k->next;
        OPENSSL_cleanse(k->data, k->len);
        __real_free(k);
    }
    memset(&journal, 0, sizeof journal);
}

/* ---- the stack below the caller ----
 * Called from the function that makes the library calls, these frames
 * start where the library's did. */
static NOINLINE void stack_wipe(void)
{
    unsigned char region[STACK_SCAN];

    OPENSSL_cleanse(region, sizeof region);
    __asm__ volatile("" : : "r"(region) : "memory");
}

static NOINLINE void stack_keep(void)
{
#ifndef UNDER_ASAN
    unsigned char region[STACK_SCAN];

    __asm__ volatile("" : : "r"(region) : "memory");
    VALGRIND_MAKE_MEM_DEFINED(region, sizeof region);
    keep(region, sizeof region, "stack");
#endif
}

/* ---- what must not be found ---- */
typedef struct needles {
    size_t n;
    const char *name[24];
    unsigned char data[24][512];
    size_t len[24];
} needles;

static void add(needles *w, const char *name, const void *p, size_t len)
{
    if (w->n == 24 || len > sizeof w->data[0] || len < 8) {
        CU_FAIL("needle table: too many, too long or too short");
        return;
    }
    memcpy(w->data[w->n], p, len);
    w->len[w->n] = len;
    w->name[w->n++] = name;
}

/* A needle and its base64 form (as a response line carries it). */
static void add_b64(needles *w, const char *name, const void *p, size_t len)
{
    unsigned char b64[700];

    add(w, name, p, len);
    if (len * 4 / 3 + 4 < sizeof b64)
        add(w, name, b64, (size_t)EVP_EncodeBlock(b64, p, (int)len));
}

/* The trace, as the hook saw it. */
typedef struct trace_log {
    char text[32768];
    size_t len;
} trace_log;

static void on_trace(void *ctx, pop3_trace_dir dir, const char *line,
                     size_t len)
{
    trace_log *t = ctx;

    if (t->len + len + 4 >= sizeof t->text)
        return;
    t->text[t->len++] = dir == POP3_TRACE_SEND ? '>' : '<';
    memcpy(t->text + t->len, line, len);
    t->len += len;
    t->text[t->len++] = '\n';
    t->text[t->len] = '\0';
}

/* Count every needle found in the journal and the trace; say where. */
static int search(const needles *w, const trace_log *t)
{
    const kept *k;
    int hits = 0;
    size_t i;

    for (i = 0; i < w->n; i++) {
        for (k = journal.head; k != NULL; k = k->next)
            if (memmem(k->data, k->len, w->data[i], w->len[i]) != NULL) {
                printf("\n  %s found in memory left by %s (%zu octets)",
                       w->name[i], k->what, k->len);
                hits++;
            }
        if (t != NULL && memmem(t->text, t->len, w->data[i], w->len[i])) {
            printf("\n  %s found in the trace", w->name[i]);
            hits++;
        }
    }
    return hits;
}

/* ---- the server and the sessions ---- */
static test_server srv;

#define PW_USER "pw-user-Q7x2Lm9T"
#define PW_PIPE "pw-pipe-H3k8Rw2Z"
#define PW_APOP "pw-apop-V5n1Ct6Y"
#define PW_SASL "pw-sasl-B9d4Jq7S"

/* Started by the first test that needs it, stopped by main. */
static void start_server(void)
{
    static const char *const args[] = {
        "--user", "u1:" PW_USER, "--user", "u2:" PW_PIPE,
        "--user", "u3:" PW_APOP, "--user", "u4:" PW_SASL,
        "--apop", "--sasl", "all", "--capa-line", "PIPELINING", NULL};
    static const char msg[] = "Subject: x\r\n\r\nbody\r\n";

    if (srv.pid != 0)
        return;
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "u1", "m1", msg, sizeof msg - 1);
    test_server_add(&srv, "u2", "m1", msg, sizeof msg - 1);
    test_server_add(&srv, "u3", "m1", msg, sizeof msg - 1);
    test_server_add(&srv, "u4", "m1", msg, sizeof msg - 1);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
}

static pop3_client *connected(trace_log *t)
{
    pop3_options o;
    pop3_client *c = NULL;

    start_server();
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.io_timeout_ms = 5000;
    o.connect_timeout_ms = 5000;
    o.trace = on_trace;
    o.trace_ctx = t;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    return c;
}

/* After the login: a command, QUIT, free (its blocks are journalled). */
static void finish(pop3_client *c)
{
    uint64_t count = 0, size = 0;

    CU_ASSERT(pop3_stat(c, &count, &size) == POP3_OK);
    CU_ASSERT(count == 1);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
}

/* The journal really saw the library's frees: the client's 64 KiB read
 * buffer among them. */
static void check_journal_live(void)
{
    CU_ASSERT(!journal.overflow);
    CU_ASSERT(journal.frees >= 5);
    CU_ASSERT(journal.largest >= 65536);
}

/* The positive control: a leak of ours is found, in a freed block and
 * on the stack, so a clean result below means something. */
#ifndef UNDER_ASAN
static NOINLINE void leave_on_stack(const char *s)
{
    char copy[64];

    strcpy(copy, s);
    __asm__ volatile("" : : "r"(copy) : "memory");
}
#endif

static void test_a_leak_is_found(void)
{
    static const char secret[] = "control-secret-1234";
    needles w = {0};
    char *p;

    add(&w, "control", secret, sizeof secret - 1);
    journal.armed = 1;
    p = malloc(100);
    CU_ASSERT_FATAL(p != NULL);
    strcpy(p, "x ");
    strcat(p, secret);
    /* Else the compiler may drop the writes as dead before free. */
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
    CU_ASSERT(journal.frees == 1);
    CU_ASSERT(search(&w, NULL) == 1);
    journal_clear();
#ifndef UNDER_ASAN
    stack_wipe();
    leave_on_stack(secret);
    stack_keep();
    CU_ASSERT(search(&w, NULL) == 1);
    journal_clear();
#endif
}

static void test_user_pass(void)
{
    trace_log t = {{0}, 0};
    needles w = {0};
    pop3_client *c;
    pop3_status st;
    int pipelined;

    add(&w, "password", PW_USER, strlen(PW_USER));
    add(&w, "password", PW_PIPE, strlen(PW_PIPE));
    /* Plain USER/PASS: no CAPA before it. */
    journal.armed = 1;
    c = connected(&t);
    stack_wipe();
    st = pop3_login(c, "u1", PW_USER);
    stack_keep();
    CU_ASSERT(st == POP3_OK);
    finish(c);
    check_journal_live();
    CU_ASSERT(search(&w, &t) == 0);
    CU_ASSERT(strstr(t.text, ">PASS ****\n") != NULL);
    journal_clear();

    /* After a CAPA listing PIPELINING: USER and PASS in one write when
     * the library pipelines the login. */
    t.len = 0;
    journal.armed = 1;
    c = connected(&t);
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    pipelined = pop3_capa_arg(c, "PIPELINING") != NULL;
    CU_ASSERT(pipelined);
    stack_wipe();
    st = pop3_login(c, "u2", PW_PIPE);
    stack_keep();
    CU_ASSERT(st == POP3_OK);
    finish(c);
    check_journal_live();
    CU_ASSERT(search(&w, &t) == 0);
    /* The pipelined path was the one taken: USER and PASS went out
     * before the first reply came in. */
    CU_ASSERT(strstr(t.text, ">USER u2\n>PASS ****\n<") != NULL);
    journal_clear();
}

static void test_apop(void)
{
    trace_log t = {{0}, 0};
    needles w = {0};
    char digest[33];
    pop3_client *c;
    pop3_status st;

    add(&w, "password", PW_APOP, strlen(PW_APOP));
    journal.armed = 1;
    c = connected(&t);
    CU_ASSERT_FATAL(pop3_apop_timestamp(c) != NULL);
    CU_ASSERT_FATAL(pop3_apop_digest(pop3_apop_timestamp(c), PW_APOP,
                                     digest) == POP3_OK);
    add(&w, "APOP digest", digest, 32);
    stack_wipe();
    st = pop3_apop(c, "u3", PW_APOP);
    stack_keep();
    CU_ASSERT(st == POP3_OK);
    finish(c);
    check_journal_live();
    CU_ASSERT(search(&w, &t) == 0);
    CU_ASSERT(strstr(t.text, ">APOP ****\n") != NULL);
    journal_clear();
}

/* The base64 text after "+ " in the n-th challenge of the trace,
 * decoded into out (NUL-terminated); its length, or 0. */
static size_t challenge(const trace_log *t, int nth, unsigned char *out,
                        size_t cap)
{
    const char *p = t->text, *end;
    int len;

    while ((p = strstr(p, "<+ ")) != NULL && nth-- > 0)
        p += 3;
    if (p == NULL)
        return 0;
    p += 3;
    end = strchr(p, '\n');
    if (end == NULL || (size_t)(end - p) / 4 * 3 + 1 > cap)
        return 0;
    len = EVP_DecodeBlock(out, (const unsigned char *)p, (int)(end - p));
    if (len < 0)
        return 0;
    while (len > 0 && end[-1] == '=') { /* EVP counts padding as bytes */
        len--;
        end--;
    }
    out[len] = '\0';
    return (size_t)len;
}

/* CRAM-MD5's response: "u4 " + hex HMAC-MD5(secret, challenge). */
static void cram_needles(needles *w, const trace_log *t)
{
    unsigned char chal[512], mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char reply[64];
    size_t len = challenge(t, 0, chal, sizeof chal);

    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_FATAL(HMAC(EVP_md5(), PW_SASL, (int)strlen(PW_SASL), chal,
                         len, mac, &n) != NULL);
    strcpy(reply, "u4 ");
    for (i = 0; i < n; i++)
        sprintf(reply + 3 + 2 * i, "%02x", mac[i]);
    add(w, "CRAM-MD5 digest", reply + 3, 2 * n);
    add_b64(w, "CRAM-MD5 response", reply, strlen(reply));
    OPENSSL_cleanse(mac, sizeof mac);
}

/* SCRAM's salted password and keys, from the server-first message's
 * salt (s=) and count (i=). */
static void scram_needles(needles *w, const trace_log *t, const EVP_MD *md)
{
    unsigned char first[512], salt[256], salted[EVP_MAX_MD_SIZE];
    unsigned char ckey[EVP_MAX_MD_SIZE], skey[EVP_MAX_MD_SIZE];
    unsigned char stored[EVP_MAX_MD_SIZE];
    unsigned int n = 0, mdlen = (unsigned int)EVP_MD_size(md);
    const char *s, *i;
    size_t slen;
    int len;

    CU_ASSERT_FATAL(challenge(t, 0, first, sizeof first) > 0);
    s = strstr((const char *)first, ",s=");
    i = strstr((const char *)first, ",i=");
    CU_ASSERT_FATAL(s != NULL && i != NULL && i > s);
    s += 3;
    slen = (size_t)(i - s);
    len = EVP_DecodeBlock(salt, (const unsigned char *)s, (int)slen);
    CU_ASSERT_FATAL(len > 0);
    while (slen > 0 && s[slen - 1] == '=') {
        slen--;
        len--;
    }
    CU_ASSERT_FATAL(PKCS5_PBKDF2_HMAC(PW_SASL, (int)strlen(PW_SASL), salt,
                                      len, atoi(i + 3), md, (int)mdlen,
                                      salted) == 1);
    CU_ASSERT_FATAL(HMAC(md, salted, (int)mdlen,
                         (const unsigned char *)"Client Key", 10, ckey,
                         &n) != NULL);
    CU_ASSERT_FATAL(HMAC(md, salted, (int)mdlen,
                         (const unsigned char *)"Server Key", 10, skey,
                         &n) != NULL);
    CU_ASSERT_FATAL(EVP_Digest(ckey, mdlen, stored, NULL, md, NULL) == 1);
    add(w, "SCRAM SaltedPassword", salted, mdlen);
    add(w, "SCRAM ClientKey", ckey, mdlen);
    add(w, "SCRAM ServerKey", skey, mdlen);
    add(w, "SCRAM StoredKey", stored, mdlen);
}

/* The messages a mechanism sends that hold the secret as it is. */
static void message_needles(needles *w, const char *mech)
{
    static const char plain[] = "\0u4\0" PW_SASL;
    static const char xoauth2[] = "user=u4\001auth=Bearer " PW_SASL
                                  "\001\001";

    if (strcmp(mech, "PLAIN") == 0)
        add_b64(w, "PLAIN message", plain, sizeof plain - 1);
    else if (strcmp(mech, "LOGIN") == 0)
        add_b64(w, "LOGIN password", PW_SASL, strlen(PW_SASL));
    else if (strcmp(mech, "XOAUTH2") == 0)
        add_b64(w, "XOAUTH2 message", xoauth2, sizeof xoauth2 - 1);
}

static void test_sasl(void)
{
    static const char *const mechs[] = {
        "PLAIN",         "LOGIN",   "CRAM-MD5",    "SCRAM-SHA-1",
        "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER", NULL};
    size_t m;

    for (m = 0; mechs[m] != NULL; m++) {
        trace_log t = {{0}, 0};
        needles w = {0};
        pop3_client *c;
        pop3_status st;

        add(&w, "secret", PW_SASL, strlen(PW_SASL));
        message_needles(&w, mechs[m]);
        journal.armed = 1;
        c = connected(&t);
        stack_wipe();
        st = pop3_auth(c, mechs[m], "u4", PW_SASL);
        stack_keep();
        CU_ASSERT(st == POP3_OK);
        finish(c);
        journal.armed = 0;
        if (strcmp(mechs[m], "CRAM-MD5") == 0)
            cram_needles(&w, &t);
        else if (strcmp(mechs[m], "SCRAM-SHA-1") == 0)
            scram_needles(&w, &t, EVP_sha1());
        else if (strcmp(mechs[m], "SCRAM-SHA-256") == 0)
            scram_needles(&w, &t, EVP_sha256());
        check_journal_live();
        if (search(&w, &t) != 0) {
            printf("\n  (in %s)", mechs[m]);
            CU_FAIL("a secret was left behind");
        }
        CU_ASSERT(strstr(t.text, "****") != NULL);
        journal_clear();
        OPENSSL_cleanse(&w, sizeof w);
    }
}

/* A login that fails, and a client freed without QUIT. */
static void test_failures(void)
{
    trace_log t = {{0}, 0};
    needles w = {0};
    pop3_client *c;
    pop3_status st, st2;

    add(&w, "password", "wrong-" PW_USER, strlen("wrong-" PW_USER));
    add_b64(&w, "PLAIN message", "\0u1\0wrong-" PW_USER,
            strlen(PW_USER) + 10);
    journal.armed = 1;
    c = connected(&t);
    stack_wipe();
    st = pop3_login(c, "u1", "wrong-" PW_USER);
    st2 = pop3_auth(c, "PLAIN", "u1", "wrong-" PW_USER);
    stack_keep();
    CU_ASSERT(st == POP3_E_AUTH);
    CU_ASSERT(st2 == POP3_E_AUTH);
    pop3_client_free(c);
    check_journal_live();
    CU_ASSERT(search(&w, &t) == 0);
    journal_clear();
}

int main(void)
{
    static const test_case tests[] = {
        {"the search finds a planted secret", test_a_leak_is_found},
        {"USER/PASS, plain and pipelined", test_user_pass},
        {"APOP", test_apop},
        {"every SASL mechanism", test_sasl},
        {"failed logins, free without QUIT", test_failures},
        {NULL, NULL}};
    int rc;

    rc = test_run_suite("secrets", tests);
    if (srv.pid != 0)
        test_server_stop(&srv);
    return rc;
}
