/*
 * The NetX-style client against a real Dovecot (the CTest fixture
 * "dovecot", users netx1-netx4 with password "secret"): the upstream
 * demo's flow with APOP and with USER/PASS, dot-stuffed data in both
 * delivery modes, a large message through small packets, and that only
 * QUIT deletes.
 */
#define _DEFAULT_SOURCE
#include <pop3/nx_pop3_client.h>

#include "dovecot.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BYTES (64 * 1024)

static struct {
    NX_PACKET_POOL client_pool, ip_pool;
    NX_IP ip;
    ULONG client_mem[POOL_BYTES / sizeof(ULONG)];
    ULONG ip_mem[POOL_BYTES / sizeof(ULONG)];
} env;

static void env_up(ULONG ip_payload)
{
    memset(&env.client_pool, 0, sizeof env.client_pool);
    memset(&env.ip_pool, 0, sizeof env.ip_pool);
    memset(&env.ip, 0, sizeof env.ip);
    CU_ASSERT_FATAL(nx_packet_pool_create(&env.client_pool, "client", 1460,
                                          env.client_mem,
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

static UINT create(NX_POP3_CLIENT *c, UINT apop, const char *user,
                   const char *pass)
{
    CU_ASSERT_FATAL(dovecot_port() != 0);
    return nx_pop3_client_create(c, apop, &env.ip, &env.client_pool,
                                 IP_ADDRESS(127, 0, 0, 1), dovecot_port(),
                                 (CHAR *)user, (CHAR *)pass);
}

static char *slurp(const char *name, size_t *len)
{
    char path[600];
    FILE *f = fopen(dovecot_data(name, path, sizeof path), "rb");
    char *buf = malloc(65536);
    *len = f ? fread(buf, 1, 65536, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

typedef UINT (*getter)(NX_POP3_CLIENT *, NX_PACKET **, ULONG *, UINT *);

/* The message_get loop; returns the malloc'd data, its length in *len. */
static char *drain(NX_POP3_CLIENT *c, getter get, size_t *len)
{
    size_t cap = 1024;
    char *out = malloc(cap);
    NX_PACKET *p;
    ULONG bytes, copied;
    UINT final = NX_FALSE;
    long n;

    *len = 0;
    for (n = 0; n < 10000000 && !final; n++) {
        CU_ASSERT_FATAL(get(c, &p, &bytes, &final) == NX_SUCCESS);
        if (*len + p->nx_packet_length > cap) {
            cap = (*len + p->nx_packet_length) * 2;
            out = realloc(out, cap);
            CU_ASSERT_FATAL(out != NULL);
        }
        CU_ASSERT(nx_packet_data_retrieve(p, out + *len, &copied) ==
                  NX_SUCCESS);
        *len += copied;
        CU_ASSERT(nx_packet_release(p) == NX_SUCCESS);
    }
    CU_ASSERT(final == NX_TRUE);
    return out;
}

/* The upstream demo: STAT, then for each message RETR, the packet loop
 * and DELE; QUIT; delete.  Each message is checked against its file. */
static void demo_flow(const char *user, UINT apop)
{
    static const char *const files[] = {"plain.eml", "dots.eml",
                                        "third.eml", NULL};
    NX_POP3_CLIENT c;
    UINT items = 0, i;
    ULONG total = 0, size, listed, sum = 0;
    size_t len, want_len;
    char *got, *want;

    CU_ASSERT_FATAL(dovecot_seed(user, files, NULL) == 0);
    env_up(1460);
    CU_ASSERT_FATAL(create(&c, apop, user, "secret") == NX_SUCCESS);
    CU_ASSERT(c.nx_pop3_client_enable_APOP_authentication == apop);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS);
    CU_ASSERT_FATAL(items == 3);
    for (i = 1; i <= items; i++) {
        CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, i, &listed) ==
                  NX_SUCCESS);
        CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, i, &size) ==
                        NX_SUCCESS);
        CU_ASSERT(size == listed);
        got = drain(&c, nx_pop3_client_mail_item_message_get, &len);
        want = slurp(files[i - 1], &want_len);
        CU_ASSERT(len == want_len && memcmp(got, want, len) == 0);
        CU_ASSERT(len == size);
        sum += (ULONG)len;
        free(got);
        free(want);
        CU_ASSERT(nx_pop3_client_mail_item_delete(&c, i) == NX_SUCCESS);
    }
    CU_ASSERT(sum == total);
    CU_ASSERT(dovecot_count(user) == 3); /* not before QUIT */
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(dovecot_count(user) == 0);
    env_down();
}

static void test_demo_flow_apop(void)
{
    demo_flow("netx1", NX_TRUE);
}

static void test_demo_flow_user_pass(void)
{
    demo_flow("netx2", NX_FALSE);
}

static void test_wrong_password(void)
{
    static const char *const files[] = {"plain.eml", NULL};
    NX_POP3_CLIENT c;

    CU_ASSERT_FATAL(dovecot_seed("netx3", files, NULL) == 0);
    env_up(1460);
    CU_ASSERT(create(&c, NX_TRUE, "netx3", "wrong") ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(create(&c, NX_FALSE, "netx3", "wrong") ==
              NX_POP3_SERVER_ERROR_STATUS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    env_down();
}

/* Raw mode gives Dovecot's wire bytes: stuffed, with the terminator. */
static void test_raw_dots(void)
{
    static const char *const files[] = {"dots.eml", NULL};
    NX_POP3_CLIENT c;
    UINT items;
    ULONG total, size;
    size_t len, want_len, i, w = 0;
    char *got, *want, *wire;
    int line_start = 1;

    CU_ASSERT_FATAL(dovecot_seed("netx3", files, NULL) == 0);
    want = slurp("dots.eml", &want_len);
    wire = malloc(want_len * 2 + 3);
    for (i = 0; i < want_len; i++) {
        if (line_start && want[i] == '.')
            wire[w++] = '.';
        wire[w++] = want[i];
        line_start = want[i] == '\n';
    }
    memcpy(wire + w, ".\r\n", 3);
    w += 3;

    env_up(NX_IPv4_TCP_PACKET + 3); /* three octets a packet */
    CU_ASSERT_FATAL(create(&c, NX_FALSE, "netx3", "secret") == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 1);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    got = drain(&c, nx_pop3_client_mail_item_message_get_raw, &len);
    CU_ASSERT(len == w && memcmp(got, wire, len) == 0);
    free(got);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    got = drain(&c, nx_pop3_client_mail_item_message_get, &len);
    CU_ASSERT(len == want_len && memcmp(got, want, len) == 0);
    free(got);
    free(want);
    free(wire);
    /* DELE, then delete without QUIT: nothing is removed. */
    CU_ASSERT(nx_pop3_client_mail_item_delete(&c, 1) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(dovecot_count("netx3") == 1);
    env_down();
}

/* A 2 MB message through 500-octet packets from a 64 KB pool: the pool
 * is reused, not outgrown. */
static void test_large_message(void)
{
    NX_POP3_CLIENT c;
    NX_PACKET *p;
    UINT items, final = NX_FALSE;
    ULONG total, size, listed, bytes, got = 0, packets = 0;

    CU_ASSERT_FATAL(dovecot_seed("netx4", NULL, "1:2m") == 0);
    env_up(NX_IPv4_TCP_PACKET + 500);
    CU_ASSERT_FATAL(create(&c, NX_TRUE, "netx4", "secret") == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_mail_items_get(&c, &items, &total) ==
              NX_SUCCESS && items == 1);
    CU_ASSERT(nx_pop3_client_mail_item_size_get(&c, 1, &listed) ==
              NX_SUCCESS);
    CU_ASSERT(listed > 2000000);
    CU_ASSERT_FATAL(nx_pop3_client_mail_item_get(&c, 1, &size) ==
                    NX_SUCCESS);
    while (!final && packets < 100000) {
        CU_ASSERT_FATAL(nx_pop3_client_mail_item_message_get(
                            &c, &p, &bytes, &final) == NX_SUCCESS);
        CU_ASSERT(bytes <= 500);
        got += bytes;
        packets++;
        nx_packet_release(p);
    }
    CU_ASSERT(final == NX_TRUE);
    CU_ASSERT(got == listed);
    CU_ASSERT(packets >= listed / 500);
    CU_ASSERT(nx_pop3_client_quit(&c) == NX_SUCCESS);
    CU_ASSERT(nx_pop3_client_delete(&c) == NX_SUCCESS);
    CU_ASSERT(dovecot_count("netx4") == 1);
    env_down();
}

int main(void)
{
    static const test_case tests[] = {
        {"demo flow with APOP", test_demo_flow_apop},
        {"demo flow with USER/PASS", test_demo_flow_user_pass},
        {"wrong password", test_wrong_password},
        {"raw and cooked dot-stuffed data", test_raw_dots},
        {"large message through small packets", test_large_message},
        {NULL, NULL}};
    return test_run_suite("nx_dovecot", tests);
}
