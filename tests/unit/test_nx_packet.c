/*
 * The NetX packet pool and IP instance services (no server needed):
 * pools carved from caller memory, exhaustion and waiting, double and
 * foreign releases, the data helpers, and every NULL or never-created
 * control block.
 */
#define _DEFAULT_SOURCE
#include <pop3/nx_pop3_client.h>

#include "testlib.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define PAYLOAD 100

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static ULONG free_packets(NX_PACKET_POOL *pool)
{
    ULONG n = 0;
    CU_ASSERT(nx_packet_pool_info_get(pool, NULL, &n, NULL, NULL, NULL) ==
              NX_SUCCESS);
    return n;
}

static void test_pool_create_delete(void)
{
    NX_PACKET_POOL pool;
    ULONG mem[512];
    ULONG total = 0, avail = 0;

    memset(&pool, 0, sizeof pool);
    CU_ASSERT(nx_packet_pool_create(NULL, "p", PAYLOAD, mem, sizeof mem) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_packet_pool_create(&pool, "p", PAYLOAD, NULL, sizeof mem) ==
              NX_PTR_ERROR);
    /* Not even one packet fits. */
    CU_ASSERT(nx_packet_pool_create(&pool, "p", PAYLOAD, mem, PAYLOAD) ==
              NX_SIZE_ERROR);
    CU_ASSERT(nx_packet_pool_create(&pool, "p", sizeof mem + 1, mem,
                                    sizeof mem) == NX_SIZE_ERROR);

    CU_ASSERT_FATAL(nx_packet_pool_create(&pool, "p", PAYLOAD, mem,
                                          sizeof mem) == NX_SUCCESS);
    CU_ASSERT(nx_packet_pool_info_get(&pool, &total, &avail, NULL, NULL,
                                      NULL) == NX_SUCCESS);
    CU_ASSERT(total > 10 && total == avail);
    CU_ASSERT(pool.nx_packet_pool_available == total);
    CU_ASSERT(pool.nx_packet_pool_payload_size == PAYLOAD);
    /* A created pool cannot be created again over itself. */
    CU_ASSERT(nx_packet_pool_create(&pool, "p", PAYLOAD, mem, sizeof mem) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_SUCCESS);
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_PTR_ERROR);
    CU_ASSERT(nx_packet_pool_delete(NULL) == NX_PTR_ERROR);
    CU_ASSERT(nx_packet_pool_info_get(&pool, &total, NULL, NULL, NULL,
                                      NULL) == NX_PTR_ERROR);
}

/* Memory that is not aligned still gives aligned packets. */
static void test_pool_unaligned_memory(void)
{
    NX_PACKET_POOL pool;
    unsigned char mem[4096];
    NX_PACKET *p;

    memset(&pool, 0, sizeof pool);
    CU_ASSERT_FATAL(nx_packet_pool_create(&pool, "odd", 33, mem + 3,
                                          sizeof mem - 3) == NX_SUCCESS);
    CU_ASSERT_FATAL(nx_packet_allocate(&pool, &p, 0, NX_NO_WAIT) ==
                    NX_SUCCESS);
    CU_ASSERT((uintptr_t)p % sizeof(void *) == 0);
    CU_ASSERT((unsigned char *)p >= mem + 3);
    CU_ASSERT(p->nx_packet_data_end - p->nx_packet_data_start == 33);
    CU_ASSERT(p->nx_packet_data_end <= mem + sizeof mem);
    CU_ASSERT(nx_packet_release(p) == NX_SUCCESS);
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_SUCCESS);
}

static void test_allocate_and_exhaust(void)
{
    NX_PACKET_POOL pool;
    ULONG mem[1024];
    NX_PACKET *held[64], *p = (NX_PACKET *)&pool;
    ULONG total = 0, empty = 0, susp = 0, i;
    long t0;

    memset(&pool, 0, sizeof pool);
    CU_ASSERT_FATAL(nx_packet_pool_create(&pool, "p", PAYLOAD, mem,
                                          sizeof mem) == NX_SUCCESS);
    CU_ASSERT(nx_packet_allocate(NULL, &p, 0, NX_NO_WAIT) == NX_PTR_ERROR);
    CU_ASSERT(p == NULL);
    CU_ASSERT(nx_packet_allocate(&pool, NULL, 0, NX_NO_WAIT) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_packet_allocate(&pool, &p, PAYLOAD + 1, NX_NO_WAIT) ==
              NX_INVALID_PARAMETERS);

    /* The header room comes off the front of the payload. */
    CU_ASSERT_FATAL(nx_packet_allocate(&pool, &p, NX_IPv4_TCP_PACKET,
                                       NX_NO_WAIT) == NX_SUCCESS);
    CU_ASSERT(p->nx_packet_data_end - p->nx_packet_prepend_ptr ==
              PAYLOAD - NX_IPv4_TCP_PACKET);
    CU_ASSERT(p->nx_packet_length == 0 && p->nx_packet_next == NULL);
    CU_ASSERT(p->nx_packet_append_ptr == p->nx_packet_prepend_ptr);
    CU_ASSERT(nx_packet_release(p) == NX_SUCCESS);

    nx_packet_pool_info_get(&pool, &total, NULL, NULL, NULL, NULL);
    CU_ASSERT_FATAL(total <= 64);
    for (i = 0; i < total; i++)
        CU_ASSERT_FATAL(nx_packet_allocate(&pool, &held[i], 0, NX_NO_WAIT) ==
                        NX_SUCCESS);
    CU_ASSERT(free_packets(&pool) == 0);
    CU_ASSERT(nx_packet_allocate(&pool, &p, 0, NX_NO_WAIT) == NX_NO_PACKET);
    CU_ASSERT(p == NULL);
    /* A bounded wait that nobody ends: NX_NO_PACKET after about 50 ms. */
    t0 = now_ms();
    CU_ASSERT(nx_packet_allocate(&pool, &p, 0, NX_IP_PERIODIC_RATE / 20) ==
              NX_NO_PACKET);
    CU_ASSERT(now_ms() - t0 >= 40 && now_ms() - t0 < 2000);
    nx_packet_pool_info_get(&pool, NULL, NULL, &empty, &susp, NULL);
    CU_ASSERT(empty == 2 && susp == 1);

    for (i = 0; i < total; i++)
        CU_ASSERT(nx_packet_release(held[i]) == NX_SUCCESS);
    CU_ASSERT(free_packets(&pool) == total);
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_SUCCESS);
}

static void test_release_errors(void)
{
    NX_PACKET_POOL pool, other;
    ULONG mem[512], mem2[512], invalid = 0;
    NX_PACKET *p, fake;

    memset(&pool, 0, sizeof pool);
    memset(&other, 0, sizeof other);
    CU_ASSERT_FATAL(nx_packet_pool_create(&pool, "p", PAYLOAD, mem,
                                          sizeof mem) == NX_SUCCESS);
    CU_ASSERT_FATAL(nx_packet_pool_create(&other, "o", PAYLOAD, mem2,
                                          sizeof mem2) == NX_SUCCESS);
    CU_ASSERT(nx_packet_release(NULL) == NX_PTR_ERROR);

    CU_ASSERT_FATAL(nx_packet_allocate(&pool, &p, 0, NX_NO_WAIT) ==
                    NX_SUCCESS);
    CU_ASSERT(nx_packet_release(p) == NX_SUCCESS);
    CU_ASSERT(nx_packet_release(p) == NX_PTR_ERROR); /* twice */
    nx_packet_pool_info_get(&pool, NULL, NULL, NULL, NULL, &invalid);
    CU_ASSERT(invalid == 1);

    /* A packet that claims a pool but is not one of its packets. */
    memset(&fake, 0, sizeof fake);
    fake.nx_packet_pool_owner = &pool;
    fake.nx_packet_allocated = 1;
    CU_ASSERT(nx_packet_release(&fake) == NX_PTR_ERROR);
    /* One of another pool's packets, relabelled. */
    CU_ASSERT_FATAL(nx_packet_allocate(&other, &p, 0, NX_NO_WAIT) ==
                    NX_SUCCESS);
    p->nx_packet_pool_owner = &pool;
    CU_ASSERT(nx_packet_release(p) == NX_PTR_ERROR);
    p->nx_packet_pool_owner = &other;
    CU_ASSERT(nx_packet_release(p) == NX_SUCCESS);

    CU_ASSERT(free_packets(&pool) == pool.nx_packet_pool_total);
    CU_ASSERT(nx_packet_pool_delete(&other) == NX_SUCCESS);
    /* A packet of a deleted pool is refused, not put back. */
    CU_ASSERT(nx_packet_release(p) == NX_PTR_ERROR);
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_SUCCESS);
}

typedef struct waiter {
    NX_PACKET_POOL *pool;
    NX_PACKET *got;
    UINT status;
} waiter;

static void *wait_forever(void *arg)
{
    waiter *w = arg;
    w->status = nx_packet_allocate(w->pool, &w->got, 0, NX_WAIT_FOREVER);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Threads share a pool: one waits for a packet another releases. */
static void test_wait_for_release(void)
{
    NX_PACKET_POOL pool;
    ULONG mem[64];
    NX_PACKET *held[8];
    ULONG total, i;
    pthread_t t;
    waiter w;
    int tries;

    memset(&pool, 0, sizeof pool);
    CU_ASSERT_FATAL(nx_packet_pool_create(&pool, "p", 32, mem, sizeof mem) ==
                    NX_SUCCESS);
    total = pool.nx_packet_pool_total;
    CU_ASSERT_FATAL(total >= 1 && total <= 8);
    for (i = 0; i < total; i++)
        CU_ASSERT_FATAL(nx_packet_allocate(&pool, &held[i], 0, NX_NO_WAIT) ==
                        NX_SUCCESS);
    w.pool = &pool;
    w.got = NULL;
    w.status = 0xFF;
    CU_ASSERT_FATAL(pthread_create(&t, NULL, wait_forever, &w) == 0);
    /* Wait (bounded) until the thread is suspended in the pool: the
     * count is taken under the pool's lock, which only the wait drops. */
    for (tries = 0; tries < 500; tries++) {
        ULONG susp = 0;
        nx_packet_pool_info_get(&pool, NULL, NULL, NULL, &susp, NULL);
        if (susp == 1)
            break;
        sleep_ms(2);
    }
    /* Deleting a pool under a waiting thread is refused. */
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_POOL_ERROR);
    CU_ASSERT(nx_packet_release(held[0]) == NX_SUCCESS);
    pthread_join(t, NULL);
    CU_ASSERT(w.status == NX_SUCCESS);
    CU_ASSERT(w.got == held[0]);
    held[0] = w.got;
    for (i = 0; i < total; i++)
        CU_ASSERT(nx_packet_release(held[i]) == NX_SUCCESS);
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_SUCCESS);
}

static void test_data_helpers(void)
{
    NX_PACKET_POOL pool;
    ULONG mem[512], n = 99, len = 99;
    NX_PACKET *p;
    char buf[64];

    memset(&pool, 0, sizeof pool);
    CU_ASSERT_FATAL(nx_packet_pool_create(&pool, "p", PAYLOAD, mem,
                                          sizeof mem) == NX_SUCCESS);
    CU_ASSERT_FATAL(nx_packet_allocate(&pool, &p, NX_IPv4_TCP_PACKET,
                                       NX_NO_WAIT) == NX_SUCCESS);
    memcpy(p->nx_packet_prepend_ptr, "hello, world", 12);
    p->nx_packet_append_ptr = p->nx_packet_prepend_ptr + 12;
    p->nx_packet_length = 12;

    CU_ASSERT(nx_packet_length_get(p, &len) == NX_SUCCESS && len == 12);
    CU_ASSERT(nx_packet_length_get(NULL, &len) == NX_PTR_ERROR);
    CU_ASSERT(nx_packet_length_get(p, NULL) == NX_PTR_ERROR);

    memset(buf, 0, sizeof buf);
    CU_ASSERT(nx_packet_data_retrieve(p, buf, &n) == NX_SUCCESS);
    CU_ASSERT(n == 12 && memcmp(buf, "hello, world", 12) == 0);
    CU_ASSERT(nx_packet_data_retrieve(NULL, buf, &n) == NX_PTR_ERROR);
    CU_ASSERT(nx_packet_data_retrieve(p, NULL, &n) == NX_PTR_ERROR);
    CU_ASSERT(nx_packet_data_retrieve(p, buf, NULL) == NX_PTR_ERROR);

    memset(buf, 0, sizeof buf);
    CU_ASSERT(nx_packet_data_extract_offset(p, 7, buf, sizeof buf, &n) ==
              NX_SUCCESS);
    CU_ASSERT(n == 5 && memcmp(buf, "world", 5) == 0);
    CU_ASSERT(nx_packet_data_extract_offset(p, 0, buf, 5, &n) ==
              NX_SUCCESS);
    CU_ASSERT(n == 5 && memcmp(buf, "hello", 5) == 0);
    CU_ASSERT(nx_packet_data_extract_offset(p, 12, buf, 5, &n) ==
              NX_SUCCESS);
    CU_ASSERT(n == 0);
    CU_ASSERT(nx_packet_data_extract_offset(p, 13, buf, 5, &n) ==
              NX_PACKET_OFFSET_ERROR);
    CU_ASSERT(n == 0);
    CU_ASSERT(nx_packet_data_extract_offset(NULL, 0, buf, 5, &n) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_packet_data_extract_offset(p, 0, NULL, 5, &n) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_packet_data_extract_offset(p, 0, buf, 5, NULL) ==
              NX_PTR_ERROR);

    /* A length set past the payload never reads beyond it. */
    p->nx_packet_length = 100000;
    CU_ASSERT(nx_packet_data_extract_offset(p, 0, buf, sizeof buf, &n) ==
              NX_SUCCESS);
    CU_ASSERT(n == PAYLOAD - NX_IPv4_TCP_PACKET);
    CU_ASSERT(nx_packet_release(p) == NX_SUCCESS);
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_SUCCESS);
}

static void test_ip_instance(void)
{
    NX_PACKET_POOL pool, never;
    NX_IP ip;
    ULONG mem[512];

    memset(&pool, 0, sizeof pool);
    memset(&never, 0, sizeof never);
    memset(&ip, 0, sizeof ip);
    CU_ASSERT_FATAL(nx_packet_pool_create(&pool, "p", PAYLOAD, mem,
                                          sizeof mem) == NX_SUCCESS);
    CU_ASSERT(nx_ip_create(NULL, "ip", IP_ADDRESS(127, 0, 0, 1),
                           0xFFFFFF00UL, &pool, NULL, NULL, 0, 1) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_ip_create(&ip, "ip", IP_ADDRESS(127, 0, 0, 1),
                           0xFFFFFF00UL, NULL, NULL, NULL, 0, 1) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_ip_create(&ip, "ip", IP_ADDRESS(127, 0, 0, 1),
                           0xFFFFFF00UL, &never, NULL, NULL, 0, 1) ==
              NX_PTR_ERROR);
    CU_ASSERT(nx_tcp_enable(&ip) == NX_PTR_ERROR);

    CU_ASSERT_FATAL(nx_ip_create(&ip, "ip", IP_ADDRESS(127, 0, 0, 1),
                                 0xFFFFFF00UL, &pool, NULL, NULL, 0, 1) ==
                    NX_SUCCESS);
    CU_ASSERT(ip.nx_ip_address == 0x7F000001UL);
    CU_ASSERT(ip.nx_ip_default_packet_pool == &pool);
    CU_ASSERT(nx_ip_create(&ip, "ip", 0, 0, &pool, NULL, NULL, 0, 1) ==
              NX_PTR_ERROR); /* already created */
    CU_ASSERT(nx_tcp_enable(&ip) == NX_SUCCESS);
    CU_ASSERT(nx_tcp_enable(&ip) == NX_ALREADY_ENABLED);
    CU_ASSERT(nx_tcp_enable(NULL) == NX_PTR_ERROR);
    CU_ASSERT(nx_ip_delete(&ip) == NX_SUCCESS);
    CU_ASSERT(nx_ip_delete(&ip) == NX_PTR_ERROR);
    CU_ASSERT(nx_ip_delete(NULL) == NX_PTR_ERROR);
    CU_ASSERT(nx_tcp_enable(&ip) == NX_PTR_ERROR);
    /* The pool outlives the IP instance. */
    CU_ASSERT(nx_packet_pool_delete(&pool) == NX_SUCCESS);
}

static void test_macros(void)
{
    CU_ASSERT(IP_ADDRESS(192, 2, 2, 61) == 0xC002023DUL);
    CU_ASSERT(NX_POP3_MAX_USERNAME == 40 && NX_POP3_MAX_PASSWORD == 20);
    CU_ASSERT(NX_POP3_SERVER_REPLY_TIMEOUT == 10 * NX_IP_PERIODIC_RATE);
    CU_ASSERT(NX_NO_PACKET == 0x01 && NX_PTR_ERROR == 0x07 &&
              NX_NOT_CONNECTED == 0x38);
    CU_ASSERT(NX_POP3_PARAM_ERROR == 0xB1 &&
              NX_POP3_INVALID_MAIL_ITEM == 0xB2 &&
              NX_POP3_APOP_FAILED_MD5_DIGEST == 0xB3 &&
              NX_POP3_SERVER_ERROR_STATUS == 0xB4 &&
              NX_POP3_MAIL_BUFFER_OVERFLOW == 0xB5 &&
              NX_POP3_INSUFFICIENT_PACKET_PAYLOAD == 0xB6 &&
              NX_POP3_CLIENT_INVALID_STATE == 0xB7 &&
              NX_POP3_CLIENT_INVALID_INDEX == 0xB8);
}

int main(void)
{
    static const test_case tests[] = {
        {"pool create and delete", test_pool_create_delete},
        {"pool in unaligned memory", test_pool_unaligned_memory},
        {"allocate until exhausted", test_allocate_and_exhaust},
        {"release errors", test_release_errors},
        {"wait for a released packet", test_wait_for_release},
        {"packet data helpers", test_data_helpers},
        {"IP instance", test_ip_instance},
        {"status values and macros", test_macros},
        {NULL, NULL}};
    return test_run_suite("nx_packet", tests);
}
