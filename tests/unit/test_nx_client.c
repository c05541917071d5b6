/*
 * The NetX-style client against the scripted server: upstream's
 * regression scenarios (one mail in three segments, two mails, a segment
 * holding only the terminator, one-byte replies) and what upstream never
 * tested: APOP and its fallback, LIST sizes of any width, every -ERR
 * path, a wrong password, timeouts, the terminator split at every
 * position, dot-stuffing in both delivery modes, IPv6, every NULL and
 * bad argument, pool exhaustion and packets too small.
 *
 * Built from the nx sources with short timeouts (NetX settings are
 * compile-time; see tests/CMakeLists.txt), so a silent server costs a
 * second, not ten.  Every test ends with every packet back in its pool.
 */
#define _DEFAULT_SOURCE
#include <pop3/nx_pop3_client.h>

#include "server.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char MSG1[] = "From: a@example.org\r\nSubject: one\r\n\r\n"
                           "hello\r\n";
static const char MSG2[] = "From: b@example.org\r\nSubject: dots\r\n\r\n"
                           ".hidden\r\n..two\r\n.\r\nend\r\n";
/* MSG2 as the server sends it: dot-stuffed, then the terminator. */
static const char MSG2_WIRE[] = "From: b@example.org\r\nSubject: dots\r\n\r\n"
                                "..hidden\r\n...two\r\n..\r\nend\r\n.\r\n";

#define DEFAULT_PAYLOAD 1460
#define POOL_BYTES (64 * 1024)

/* Everything a NetX application sets up before the client. */
static struct {
    NX_PACKET_POOL client_pool, ip_pool;
    NX_IP ip;
    ULONG client_mem[POOL_BYTES / sizeof(ULONG)];
    ULONG ip_mem[POOL_BYTES / sizeof(ULONG)];
} env;

static test_server srv;

static void env_up(ULONG client_payload, ULONG ip_payload)
{
    memset(&env.client_pool, 0, sizeof env.client_pool);
    memset(&env.ip_pool, 0, sizeof env.ip_pool);
    memset(&env.ip, 0, sizeof env.ip);
    CU_ASSERT_FATAL(nx_packet_pool_create(&env.client_pool, "client",
                                          client_payload, env.client_mem,
                                          sizeof env.client_mem) ==
                    NX_SUCCESS);
    CU_ASSERT_FATAL(nx_packet_pool_create(&env.ip_pool, "ip", ip_payload,
                                          env.ip_mem, sizeof env.ip_mem) ==
                    NX_SUCCESS);
    CU_ASSERT_FATAL(nx_ip_create(&env.ip, "ip", IP_ADDRESS(127, 0, 0, 1),
                                 0xFF000000UL, &env.ip_pool, NULL, NULL, 0,
                                 1) == NX_SUCCESS);
    CU_ASSERT_FATAL(nx_tcp_enable(&env.ip) == NX_SUCCESS);
}

/* Tear down, checking that no packet was leaked. */
static void env_down(void)
{
    CU_ASSERT(env.client_pool.nx_packet_pool_available ==
              env.client_pool.nx_packet_pool_total);
    CU_ASSERT(env.ip_pool.nx_packet_pool_available ==
              env.ip_pool.nx_packet_pool_total);
    CU_ASSERT(nx_ip_delete(&env.ip) == NX_SUCCESS);
    CU_ASSERT(nx_packet_pool_delete(&env.ip_pool) == NX_SUCCESS);
    CU_ASSERT(nx_packet_pool_delete(&env.client_pool) == NX_SUCCESS);
}

static const char *const USERS[] = {"--user", "alice:secret", NULL};

/* The maildrop server with alice's two messages, plus args. */
static void start(const char *const *args)
{
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "1-one", MSG1, sizeof MSG1 - 1);
    test_server_add(&srv, "alice", "2-dots", MSG2, sizeof MSG2 - 1);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
}

static void start_with(const char *fault)
{
    const char *args[] = {"--user", "alice:secret", "--fault", fault, NULL};
    start(args);
}

static void start_scenario(const char *name)
{
    char path[600];
    const char *args[] = {"--scenario", path, NULL};

    snprintf(path, sizeof path, "%s/tests/scenarios/%s",
             getenv("POP3_SOURCE_DIR"), name);
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
}

/* Stop the server; for a scenario, check it saw what it expected. */
static void stop(void)
{
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

static UINT create(NX_POP3_CLIENT *c, UINT apop, const char *user,
                   const char *pass)
{
    return nx_pop3_client_create(c, apop, &env.ip, &env.client_pool,
                                 IP_ADDRESS(127, 0, 0, 1), srv.port,
                                 (CHAR *)user, (CHAR *)pass);
}

static void logged_in(NX_POP3_CLIENT *c)
{
    CU_ASSERT_FATAL(create(c, NX_FALSE, "alice", "secret") == NX_SUCCESS);
}

typedef UINT (*getter)(NX_POP3_CLIENT *, NX_PACKET **, ULONG *, UINT *);

/* The demo's message_get loop: collect the packets of the retrieval in
 * progress into buf; returns the length, *packets how many came. */
static size_t drain(NX_POP3_CLIENT *c, getter get, char *buf, size_t cap,
                    int *packets)
{
    NX_PACKET *p;
    ULONG bytes, copied;
    UINT final = NX_FALSE;
    size_t len = 0;
    int n;

    for (n = 0; n < 100000 && !final; n++) {
        CU_ASSERT_FATAL(get(c, &p, &bytes, &final) == NX_SUCCESS);
        CU_ASSERT_FATAL(p != NULL);
        CU_ASSERT(p->nx_packet_next == NULL);
        CU_ASSERT_FATAL(len + p->nx_packet_length <= cap);
        CU_ASSERT(nx_packet_data_retrieve(p, buf + len, &copied) ==
                  NX_SUCCESS);
        CU_ASSERT(copied == p->nx_packet_length);
        if (get == nx_pop3_client_mail_item_message_get)
            CU_ASSERT(bytes == p->nx_packet_length);
        len += copied;
        CU_ASSERT(nx_packet_release(p) == NX_SUCCESS);
    }
    CU_ASSERT(final == NX_TRUE);
    *packets = n;
    return len;
}

/* RETR n and read it whole; checks it equals want. */
static void expect_message(NX_POP3_CLIENT *c, UINT n, const char *want,
                           size_t want_len, getter get)
{
    static char buf[256 * 1024];
    ULONG size = 12345;
    size_t len;
    int packets;

    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(c, n, &size) ==
                    NX_SUCCESS);
    len = drain(c, get, buf, sizeof buf, &packets);
    CU_ASSERT(len == want_len);
    CU_ASSERT(len == want_len && memcmp(buf, want, len) == 0);
}

#define COOKED nx_pop3_client_mail_item_message_get
#define RAW nx_pop3_client_mail_item_message_get_raw

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* ------------------------------------------------------------------------
 * The demo flow and its variants.
 */

/* The flow of the upstream demo, against a faithful server. */
static void demo_flow(void)
{
    NX_POP3_CLIENT c;
    UINT items = 0;
    ULONG total = 0, size = 0;

    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT(items == 2);
    CU_ASSERT(total == sizeof MSG1 - 1 + sizeof MSG2 - 1);
    CU_ASSERT(c.nx_pop3_client_maildrop_items == 2);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, &size) ==
              NX_SUCCESS);
    CU_ASSERT(size == sizeof MSG1 - 1);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 2, &size) ==
              NX_SUCCESS);
    CU_ASSERT(size == sizeof MSG2 - 1);

    /* RETR gives the size from its reply. */
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    CU_ASSERT(size == sizeof MSG2 - 1);
    CU_ASSERT(c.nx_pop3_client_ready_to_download == NX_TRUE);
    {
        static char buf[4096];
        int packets;
        size_t len = drain(&c, COOKED, buf, sizeof buf, &packets);
        CU_ASSERT(len == sizeof MSG2 - 1 && memcmp(buf, MSG2, len) == 0);
    }
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 2) == NX_SUCCESS);
    expect_message(&c, 1, MSG1, sizeof MSG1 - 1, COOKED);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) == NX_SUCCESS);
    /* Nothing is deleted before QUIT. */
    CU_ASSERT(test_server_has(&srv, "alice", "1-one"));
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(!test_server_has(&srv, "alice", "1-one"));
    CU_ASSERT(!test_server_has(&srv, "alice", "2-dots"));
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(test_server_sent(&srv, "USER alice"));
    env_down();
}

static void test_demo_flow(void)
{
    start(USERS);
    demo_flow();
    stop();
}

/* The same with every byte in its own segment, then with replies
 * coalesced into as few segments as possible. */
static void test_demo_flow_one_byte(void)
{
    start_with("one-byte");
    demo_flow();
    stop();
}

static void test_demo_flow_coalesced(void)
{
    start_with("coalesce");
    demo_flow();
    stop();
}

static void test_ipv6(void)
{
    const char *args[] = {"--user", "alice:secret", "--host", "::1", NULL};
    NX_POP3_CLIENT c;
    NXD_ADDRESS a;
    UINT items = 0;
    ULONG total = 0;

    start(args);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    memset(&a, 0, sizeof a);
    a.nxd_ip_version = NX_IP_VERSION_V6;
    a.nxd_ip_address.v6[3] = 1; /* ::1 */
    CU_ASSERT_FATAL(nxd_pop3_client_create(&c, NX_FALSE, &env.ip,
                                           &env.client_pool, &a, srv.port,
                                           "alice", "secret") == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT(items == 2);
    {
        NX_PACKET *p;
        ULONG bytes;
        UINT final;
        CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &total) ==
                        NX_SUCCESS);
        CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
        CU_ASSERT(p->nx_packet_ip_version == NX_IP_VERSION_V6);
        /* Data starts after the room for IPv6 and TCP headers. */
        CU_ASSERT(p->nx_packet_prepend_ptr - p->nx_packet_data_start ==
                  NX_IPv6_TCP_PACKET);
        CU_ASSERT(final && bytes == sizeof MSG1 - 1);
        nx_packet_release(p);
    }
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* ------------------------------------------------------------------------
 * Authentication.
 */

static void test_apop(void)
{
    const char *args[] = {"--user", "alice:secret", "--apop", NULL};
    NX_POP3_CLIENT c;
    UINT items = 0;
    ULONG total = 0;

    start(args);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    CU_ASSERT_FATAL(create(&c, NX_TRUE, "alice", "secret") == NX_SUCCESS);
    CU_ASSERT(c.nx_pop3_client_enable_APOP_authentication == NX_TRUE);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 2);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(test_server_sent(&srv, "APOP alice "));
    CU_ASSERT(!test_server_sent(&srv, "USER"));

    /* A wrong APOP secret: refused, then USER/PASS refused too. */
    CU_ASSERT(create(&c, NX_TRUE, "alice", "wrong") ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(test_server_sent(&srv, "PASS wrong"));
    env_down();
    stop();
}

/* APOP asked for, but the greeting has no timestamp: USER/PASS. */
static void test_apop_not_offered(void)
{
    NX_POP3_CLIENT c;

    start(USERS);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    CU_ASSERT_FATAL(create(&c, NX_TRUE, "alice", "secret") == NX_SUCCESS);
    CU_ASSERT(c.nx_pop3_client_enable_APOP_authentication == NX_FALSE);
    CU_ASSERT(!test_server_sent(&srv, "APOP"));
    CU_ASSERT(test_server_sent(&srv, "USER alice"));
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_apop_fallback(void)
{
    NX_POP3_CLIENT c;

    start_scenario("nx-apop-fallback.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    CU_ASSERT_FATAL(create(&c, NX_TRUE, "alice", "secret") == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(test_server_sent(&srv, "APOP alice "));
    env_down();
    stop();
}

/* Upstream returned NX_SUCCESS for a refused password. */
static void test_wrong_password(void)
{
    NX_POP3_CLIENT c;
    UINT items = 7;
    ULONG total = 7;

    start(USERS);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    CU_ASSERT(create(&c, NX_FALSE, "alice", "wrong") ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(c.nx_pop3_client_session == NULL); /* cleaned up */
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_NOT_CONNECTED);
    CU_ASSERT(items == 0 && total == 0);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_PTR_ERROR);
    CU_ASSERT(create(&c, NX_FALSE, "nobody", "secret") ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    /* The failed sessions left no lock behind. */
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(test_server_has(&srv, "alice", "1-one"));
    env_down();
    stop();
}

static void expect_create_fails(const char *fault, UINT want)
{
    NX_POP3_CLIENT c;
    long t0;

    start_with(fault);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    t0 = now_ms();
    CU_ASSERT(create(&c, NX_TRUE, "alice", "secret") == want);
    CU_ASSERT(now_ms() - t0 < 5000);
    CU_ASSERT(c.nx_pop3_client_session == NULL);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_create_failures(void)
{
    NX_POP3_CLIENT c;

    expect_create_fails("greeting-err", NX_POP3_SERVER_ERROR_STATUS);
    expect_create_fails("in-use", NX_POP3_SERVER_ERROR_STATUS);
    expect_create_fails("login-delay", NX_POP3_SERVER_ERROR_STATUS);
    expect_create_fails("close-after-greeting", NX_NOT_CONNECTED);
    /* A server that never speaks: the reply timeout (1 s here). */
    expect_create_fails("silent", NX_NO_PACKET);

    /* Nothing listening. */
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    srv.port = test_free_port();
    CU_ASSERT(create(&c, NX_FALSE, "alice", "secret") == NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
}

/* ------------------------------------------------------------------------
 * Arguments and states.
 */

/* Each bad create argument, refused before any connection. */
static void test_create_arguments(void)
{
    static const char long_name[] = "0123456789012345678901234567890123456789X";
    static const char long_pass[] = "012345678901234567890";
    NX_POP3_CLIENT c, live;
    NX_PACKET_POOL never;
    NX_IP ip_off;
    NXD_ADDRESS a;
    ULONG lo = IP_ADDRESS(127, 0, 0, 1);

    start(USERS);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    memset(&never, 0, sizeof never);
    memset(&ip_off, 0, sizeof ip_off);
    CU_ASSERT(sizeof long_name - 1 == NX_POP3_MAX_USERNAME + 1);
    CU_ASSERT(sizeof long_pass - 1 == NX_POP3_MAX_PASSWORD + 1);

    CU_ASSERT(nx_pop3_client_create(NULL, 0, &env.ip, &env.client_pool, lo,
                                    srv.port, "alice", "secret") ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, NULL, &env.client_pool, lo,
                                    srv.port, "alice", "secret") ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &env.ip, NULL, lo, srv.port,
                                    "alice", "secret") == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &env.ip, &env.client_pool, lo,
                                    srv.port, NULL, "secret") ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &env.ip, &env.client_pool, lo,
                                    srv.port, "alice", NULL) ==
              NX_PTR_ERROR);
    CU_ASSERT(nxd_pop3_client_create(&c, 0, &env.ip, &env.client_pool, NULL,
                                     srv.port, "alice", "secret") ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &env.ip, &never, lo, srv.port,
                                    "alice", "secret") == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &ip_off, &env.client_pool, lo,
                                    srv.port, "alice", "secret") ==
              NX_POP3_PARAM_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &env.ip, &env.client_pool, lo, 0,
                                    "alice", "secret") ==
              NX_POP3_PARAM_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &env.ip, &env.client_pool, lo,
                                    65536, "alice", "secret") ==
              NX_POP3_PARAM_ERROR);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &env.ip, &env.client_pool, 0,
                                    srv.port, "alice", "secret") ==
              NX_POP3_PARAM_ERROR);
    CU_ASSERT(create(&c, 0, long_name, "secret") == NX_POP3_PARAM_ERROR);
    CU_ASSERT(create(&c, 0, "alice", long_pass) == NX_POP3_PARAM_ERROR);
    CU_ASSERT(create(&c, 0, "", "secret") == NX_POP3_PARAM_ERROR);
    CU_ASSERT(create(&c, 0, "alice\r\nDELE 1", "secret") ==
              NX_POP3_PARAM_ERROR);
    CU_ASSERT(create(&c, 0, "alice", "se\ncret") == NX_POP3_PARAM_ERROR);
    CU_ASSERT(create(&c, 0, "alice", "se\rcret") == NX_POP3_PARAM_ERROR);
    memset(&a, 0, sizeof a);
    a.nxd_ip_version = 5;
    a.nxd_ip_address.v4 = lo;
    CU_ASSERT(nxd_pop3_client_create(&c, 0, &env.ip, &env.client_pool, &a,
                                     srv.port, "alice", "secret") ==
              NX_POP3_PARAM_ERROR);
    a.nxd_ip_version = NX_IP_VERSION_V6; /* :: */
    a.nxd_ip_address.v6[0] = 0;
    CU_ASSERT(nxd_pop3_client_create(&c, 0, &env.ip, &env.client_pool, &a,
                                     srv.port, "alice", "secret") ==
              NX_POP3_PARAM_ERROR);
    /* Nothing reached the server. */
    CU_ASSERT(!test_server_sent(&srv, "#CONNECT"));

    /* TCP not enabled on the IP instance. */
    CU_ASSERT_FATAL(nx_ip_create(&ip_off, "off", lo, 0, &env.ip_pool, NULL,
                                 NULL, 0, 1) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_create(&c, 0, &ip_off, &env.client_pool, lo,
                                    srv.port, "alice", "secret") ==
              NX_NOT_ENABLED);
    CU_ASSERT(nx_ip_delete(&ip_off) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);

    /* The longest name and password are allowed (and then refused by
     * the server, which knows no such user). */
    CU_ASSERT(create(&c, 0, long_name + 1, long_pass + 1) ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);

    /* A block holding a live client is not created over. */
    logged_in(&live);
    CU_ASSERT(create(&live, 0, "alice", "secret") ==
              NX_POP3_CLIENT_INVALID_STATE);
    CU_ASSERT(nx_pop3_client_delete(&live) == NX_SUCCESS);
    env_down();
    stop();
}

/* Every service with each NULL, and on blocks never created. */
static void test_service_pointers(void)
{
    NX_POP3_CLIENT c, never;
    NX_PACKET *p = NULL;
    UINT items, final;
    ULONG total, size, bytes;

    start(USERS);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    memset(&never, 0, sizeof never);

    CU_ASSERT(nx_pop3_client_mail_items_get(NULL, &items, &total) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, NULL, &total) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, NULL) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(NULL, 1, &size) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, NULL) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_get(NULL, 1, &size) == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_get(&c, 1, NULL) == NX_PTR_ERROR);
    CU_ASSERT(COOKED(NULL, &p, &bytes, &final) == NX_PTR_ERROR);
    CU_ASSERT(COOKED(&c, NULL, &bytes, &final) == NX_PTR_ERROR);
    CU_ASSERT(COOKED(&c, &p, NULL, &final) == NX_PTR_ERROR);
    CU_ASSERT(COOKED(&c, &p, &bytes, NULL) == NX_PTR_ERROR);
    CU_ASSERT(RAW(&c, &p, &bytes, NULL) == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_delete(NULL, 1) == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_quit(NULL) == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_delete(NULL) == NX_PTR_ERROR);

    /* A control block never created (or already deleted). */
    CU_ASSERT(nx_pop3_client_mail_items_get(&never, &items, &total) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&never, 1, &size) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_get(&never, 1, &size) ==
              NX_PTR_ERROR);
    CU_ASSERT(COOKED(&never, &p, &bytes, &final) == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&never, 1) == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_quit(&never) == NX_PTR_ERROR);
    CU_ASSERT(nx_pop3_client_delete(&never) == NX_PTR_ERROR);

    /* None of that disturbed the session. */
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 2);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_PTR_ERROR);
    env_down();
    stop();
}

static void test_index_and_state(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p = NULL;
    UINT items, final;
    ULONG total, size, bytes;

    start(USERS);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 0, &size) ==
              NX_POP3_CLIENT_INVALID_INDEX);
    CU_ASSERT(nx_pop3_client_mail_item_get(&c, 0, &size) ==
              NX_POP3_CLIENT_INVALID_INDEX);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 0) ==
              NX_POP3_CLIENT_INVALID_INDEX);
    /* The bound comes from STAT: before it, there is no message. */
    CU_ASSERT(nx_pop3_client_mail_item_get(&c, 1, &size) ==
              NX_POP3_INVALID_MAIL_ITEM);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, &size) ==
              NX_POP3_INVALID_MAIL_ITEM);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 2);
    CU_ASSERT(nx_pop3_client_mail_item_get(&c, 3, &size) ==
              NX_POP3_INVALID_MAIL_ITEM);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 3, &size) ==
              NX_POP3_INVALID_MAIL_ITEM);
    CU_ASSERT(!test_server_sent(&srv, "RETR"));
    CU_ASSERT(!test_server_sent(&srv, "LIST"));

    /* message_get needs a RETR in progress. */
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) ==
              NX_POP3_CLIENT_INVALID_STATE);
    CU_ASSERT(p == NULL);
    expect_message(&c, 1, MSG1, sizeof MSG1 - 1, COOKED);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) ==
              NX_POP3_CLIENT_INVALID_STATE);

    /* -ERR from the server: a deleted message; the session goes on. */
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_mail_item_get(&c, 1, &size) ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) ==
              NX_POP3_CLIENT_INVALID_STATE);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, &size) ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) ==
              NX_POP3_SERVER_ERROR_STATUS);
    /* DELE has no STAT bound (as upstream); the server refuses. */
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 9) ==
              NX_POP3_SERVER_ERROR_STATUS);
    expect_message(&c, 2, MSG2, sizeof MSG2 - 1, COOKED);

    /* After QUIT there is no session. */
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(!test_server_has(&srv, "alice", "1-one"));
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, &size) ==
              NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_mail_item_get(&c, 1, &size) ==
              NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) == NX_NOT_CONNECTED);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) ==
              NX_POP3_CLIENT_INVALID_STATE);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* ------------------------------------------------------------------------
 * Server errors and broken sessions.
 */

static void test_dele_refused(void)
{
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total;

    start_with("dele-err");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(test_server_has(&srv, "alice", "1-one"));
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_stat_garbage(void)
{
    NX_POP3_CLIENT c;
    UINT items = 9;
    ULONG total = 9;

    start_with("stat-garbage");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(items == 0 && total == 0);
    /* The client does not guess after a reply it cannot read. */
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_quit_unanswered(void)
{
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total;

    start_with("close-on-quit");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_NOT_CONNECTED);
    CU_ASSERT(test_server_has(&srv, "alice", "1-one"));
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* A body that never ends: data first, then the reply timeout. */
static void test_body_timeout(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final;
    ULONG total, size, bytes;
    long t0;

    start_with("never-end-body");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    t0 = now_ms();
    CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
    CU_ASSERT(bytes == sizeof MSG1 - 1 && !final);
    CU_ASSERT(memcmp(p->nx_packet_prepend_ptr, MSG1, sizeof MSG1 - 1) == 0);
    nx_packet_release(p);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) == NX_NO_PACKET);
    CU_ASSERT(now_ms() - t0 < 5000);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) ==
              NX_POP3_CLIENT_INVALID_STATE);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(test_server_has(&srv, "alice", "1-one"));
    env_down();
    stop();
}

static void test_body_cut(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final = NX_FALSE, st = NX_SUCCESS;
    ULONG total, size, bytes;
    int n;

    start_with("close-mid-body");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    for (n = 0; n < 10 && st == NX_SUCCESS; n++) {
        st = COOKED(&c, &p, &bytes, &final);
        if (st == NX_SUCCESS)
            nx_packet_release(p);
        CU_ASSERT(!final);
    }
    CU_ASSERT(st == NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_NOT_CONNECTED);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* ------------------------------------------------------------------------
 * Pools.
 */

/* Hold every packet of a pool; returns how many. */
static ULONG hold_all(NX_PACKET_POOL *pool, NX_PACKET **held, ULONG max)
{
    ULONG n = 0;
    while (n < max && nx_packet_allocate(pool, &held[n], 0, NX_NO_WAIT) ==
                          NX_SUCCESS)
        n++;
    return n;
}

static void release_all(NX_PACKET **held, ULONG n)
{
    while (n-- > 0)
        CU_ASSERT(nx_packet_release(held[n]) == NX_SUCCESS);
}

static void test_pool_exhaustion(void)
{
    static NX_PACKET *held[2048];
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final;
    ULONG total, size, bytes, n;
    static char buf[4096];
    size_t len;
    int packets;

    start(USERS);
    env_up(DEFAULT_PAYLOAD, NX_IPv4_TCP_PACKET + 16);

    /* No packet for USER/PASS: create fails, and cleans up. */
    n = hold_all(&env.client_pool, held, 2048);
    CU_ASSERT(create(&c, NX_FALSE, "alice", "secret") == NX_NO_PACKET);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    release_all(held, n);

    logged_in(&c);
    /* No packet for the command: nothing is sent. */
    n = hold_all(&env.client_pool, held, 2048);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_NO_PACKET);
    CU_ASSERT(!test_server_sent(&srv, "STAT"));
    release_all(held, n);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);

    /* No packet for message data: nothing is lost either. */
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
    CU_ASSERT_FATAL(bytes == 16 && !final);
    memcpy(buf, p->nx_packet_prepend_ptr, 16);
    nx_packet_release(p);
    n = hold_all(&env.ip_pool, held, 2048);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) == NX_NO_PACKET);
    CU_ASSERT(p == NULL);
    release_all(held, n);
    len = 16 + drain(&c, COOKED, buf + 16, sizeof buf - 16, &packets);
    CU_ASSERT(len == sizeof MSG2 - 1 && memcmp(buf, MSG2, len) == 0);

    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_small_payloads(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final;
    ULONG total, size, bytes;
    static char buf[4096];
    size_t len;
    int packets;

    start(USERS);
    /* Not even the header room fits. */
    env_up(NX_IPv4_TCP_PACKET - 1, DEFAULT_PAYLOAD);
    CU_ASSERT(create(&c, NX_FALSE, "alice", "secret") ==
              NX_POP3_INSUFFICIENT_PACKET_PAYLOAD);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    /* "PASS secret\r\n" is 13 octets: 12 is one short. */
    env_up(NX_IPv4_TCP_PACKET + 12, DEFAULT_PAYLOAD);
    CU_ASSERT(create(&c, NX_FALSE, "alice", "secret") ==
              NX_POP3_INSUFFICIENT_PACKET_PAYLOAD);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();

    /* 13 is enough for every command of this session; received data
     * with no room at all is refused, and loses nothing. */
    env_up(NX_IPv4_TCP_PACKET + 13, NX_IPv4_TCP_PACKET);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) ==
              NX_POP3_INSUFFICIENT_PACKET_PAYLOAD);
    CU_ASSERT(c.nx_pop3_client_ready_to_download == NX_TRUE);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();

    /* Seven octets of data per packet: many packets, same message. */
    env_up(NX_IPv4_TCP_PACKET + 13, NX_IPv4_TCP_PACKET + 7);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    len = drain(&c, COOKED, buf, sizeof buf, &packets);
    CU_ASSERT(len == sizeof MSG2 - 1 && memcmp(buf, MSG2, len) == 0);
    CU_ASSERT(packets == (int)((sizeof MSG2 - 1 + 6) / 7) ||
              packets == (int)((sizeof MSG2 - 1 + 6) / 7) + 1);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* A command ends a retrieval in progress: its rest is read and dropped. */
static void test_abandon_retrieval(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final;
    ULONG total, size, bytes;

    start(USERS);
    env_up(DEFAULT_PAYLOAD, NX_IPv4_TCP_PACKET + 5);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
    CU_ASSERT(bytes == 5 && !final);
    nx_packet_release(p);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, &size) ==
              NX_SUCCESS);
    CU_ASSERT(size == sizeof MSG1 - 1);
    CU_ASSERT(COOKED(&c, &p, &bytes, &final) ==
              NX_POP3_CLIENT_INVALID_STATE);
    /* A new RETR also ends the old one. */
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
    nx_packet_release(p);
    expect_message(&c, 1, MSG1, sizeof MSG1 - 1, COOKED);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* ------------------------------------------------------------------------
 * Message data.
 */

static void test_dot_stuffing(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final;
    ULONG total, size, bytes;
    static char buf[4096];
    size_t len;
    int packets;

    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "1-dots", MSG2, sizeof MSG2 - 1);
    test_server_add(&srv, "alice", "2-empty", "", 0);
    CU_ASSERT_FATAL(test_server_start(&srv, USERS) == 0);
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);

    /* Cooked: the message as stored. */
    expect_message(&c, 1, MSG2, sizeof MSG2 - 1, COOKED);
    /* Raw: the wire bytes, stuffed, with the terminator. */
    expect_message(&c, 1, MSG2_WIRE, sizeof MSG2_WIRE - 1, RAW);

    /* An empty message: one packet, no data, final. */
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    CU_ASSERT(size == 0);
    CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
    CU_ASSERT(bytes == 0 && p->nx_packet_length == 0 && final);
    nx_packet_release(p);
    /* Raw, it is the terminator alone, reported as 0 bytes. */
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    CU_ASSERT_FATAL(RAW(&c, &p, &bytes, &final) == NX_SUCCESS);
    CU_ASSERT(bytes == 0 && final);
    CU_ASSERT(p->nx_packet_length == 3 &&
              memcmp(p->nx_packet_prepend_ptr, ".\r\n", 3) == 0);
    nx_packet_release(p);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();

    /* One octet per packet: stuffing dots and the terminator still come
     * out right across packet boundaries. */
    env_up(DEFAULT_PAYLOAD, NX_IPv4_TCP_PACKET + 1);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    len = drain(&c, RAW, buf, sizeof buf, &packets);
    CU_ASSERT(len == sizeof MSG2_WIRE - 1 &&
              memcmp(buf, MSG2_WIRE, len) == 0);
    CU_ASSERT(packets == (int)(sizeof MSG2_WIRE - 1));
    expect_message(&c, 1, MSG2, sizeof MSG2 - 1, COOKED);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* Upstream's regression scenarios, and the splits upstream mishandled. */
static void test_three_packets(void)
{
    static const char want[] = "Subject: three\r\n\r\nfirst part, second "
                               "part\r\n";
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total, size;
    static char buf[256];
    int packets;
    size_t len;

    start_scenario("nx-three-packets.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 1 && total == 43);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    CU_ASSERT(size == 43 && size == sizeof want - 1);
    len = drain(&c, COOKED, buf, sizeof buf, &packets);
    CU_ASSERT(len == sizeof want - 1 && memcmp(buf, want, len) == 0);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_two_mails(void)
{
    static const char one[] = "Subject: one\r\n\r\nfirst\r\n";
    static const char two[] = "Subject: two\r\n\r\nsecond\r\n";
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total;

    start_scenario("nx-two-mails.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 2 && total == 47);
    expect_message(&c, 1, one, sizeof one - 1, COOKED);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) == NX_SUCCESS);
    expect_message(&c, 2, two, sizeof two - 1, COOKED);
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 2) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_terminator_alone(void)
{
    static const char want[] = "last\r\nlines\r\n";
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total;

    start_scenario("nx-terminator-alone.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    expect_message(&c, 1, want, sizeof want - 1, COOKED);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_one_byte_replies(void)
{
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total, size;

    start_scenario("nx-one-byte.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 1 && total == 5);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, &size) ==
              NX_SUCCESS && size == 5);
    expect_message(&c, 1, "abc\r\n", 5, COOKED);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_retr_one_segment(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final;
    ULONG total, size, bytes;

    start_scenario("nx-retr-one-segment.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    /* All of it in the first packet, marked final. */
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    CU_ASSERT(size == 5);
    CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
    CU_ASSERT(bytes == 5 && final);
    CU_ASSERT(memcmp(p->nx_packet_prepend_ptr, "abc\r\n", 5) == 0);
    nx_packet_release(p);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 2, &size) ==
                    NX_SUCCESS);
    CU_ASSERT_FATAL(COOKED(&c, &p, &bytes, &final) == NX_SUCCESS);
    CU_ASSERT(bytes == 0 && final);
    nx_packet_release(p);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

/* "\r\n.\r\n" cut at each of its positions: each message ends at once
 * (upstream waited for a timeout when the cut fell inside it). */
static void test_terminator_split(void)
{
    NX_POP3_CLIENT c;
    UINT items, n;
    ULONG total;
    char want[16];
    long t0;

    start_scenario("nx-terminator-split.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 5);
    t0 = now_ms();
    for (n = 1; n <= 5; n++) {
        snprintf(want, sizeof want, "split%u\r\n", n);
        expect_message(&c, n, want, strlen(want), COOKED);
    }
    CU_ASSERT(now_ms() - t0 < 900); /* well under the reply timeout */
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

static void test_list_widths(void)
{
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total, size;

    start_scenario("nx-list-widths.scenario");
    env_up(DEFAULT_PAYLOAD, DEFAULT_PAYLOAD);
    logged_in(&c);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT(items == 12);
    CU_ASSERT(total == 4000000123UL);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 12, &size) ==
              NX_SUCCESS);
    CU_ASSERT(size == 7);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 3, &size) ==
              NX_SUCCESS);
    CU_ASSERT(size == 4000000000UL);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 10, &size) ==
              NX_SUCCESS);
    CU_ASSERT(size == 1);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
    stop();
}

int main(void)
{
    static const test_case tests[] = {
        {"demo flow", test_demo_flow},
        {"demo flow, one byte per segment", test_demo_flow_one_byte},
        {"demo flow, replies coalesced", test_demo_flow_coalesced},
        {"IPv6 through nxd_pop3_client_create", test_ipv6},
        {"APOP", test_apop},
        {"APOP asked for but not offered", test_apop_not_offered},
        {"APOP refused, USER/PASS fallback", test_apop_fallback},
        {"wrong password fails create", test_wrong_password},
        {"create failures", test_create_failures},
        {"create arguments", test_create_arguments},
        {"NULL and never-created pointers", test_service_pointers},
        {"indexes and states", test_index_and_state},
        {"DELE refused", test_dele_refused},
        {"STAT reply garbage", test_stat_garbage},
        {"QUIT unanswered", test_quit_unanswered},
        {"body never ends: timeout", test_body_timeout},
        {"body cut by the server", test_body_cut},
        {"pool exhaustion", test_pool_exhaustion},
        {"packets too small", test_small_payloads},
        {"a command ends a retrieval", test_abandon_retrieval},
        {"dot-stuffing, cooked and raw", test_dot_stuffing},
        {"one mail in three segments", test_three_packets},
        {"two mails", test_two_mails},
        {"a segment of only the terminator", test_terminator_alone},
        {"one-byte replies", test_one_byte_replies},
        {"RETR reply and data in one segment", test_retr_one_segment},
        {"terminator split at every position", test_terminator_split},
        {"LIST and STAT numbers of any width", test_list_widths},
        {NULL, NULL}};
    return test_run_suite("nx_client", tests);
}
