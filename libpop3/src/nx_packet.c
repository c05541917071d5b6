/*
 * NetX packet pools over caller memory: fixed-size packets on a free list,
 * a lock and a condition variable so threads can share a pool and wait
 * for a packet as NetX's wait_option allows.  Nothing is allocated here:
 * the caller's memory is all a pool ever uses.
 */
#include "nx_internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Packet headers and payloads start on this boundary. */
#define NX_ALIGN                                                             \
    (sizeof(void *) > sizeof(ULONG) ? sizeof(void *) : sizeof(ULONG))

static ULONG round_up(ULONG n)
{
    return (n + (ULONG)NX_ALIGN - 1) & ~((ULONG)NX_ALIGN - 1);
}

int nx__ticks_to_ms(ULONG ticks)
{
    unsigned long long ms;

    if (ticks == NX_WAIT_FOREVER)
        return -1;
    ms = (unsigned long long)ticks * 1000u / NX_IP_PERIODIC_RATE;
    if (ticks > 0 && ms == 0)
        ms = 1; /* a short wait stays a wait */
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int nx__pool_ok(const NX_PACKET_POOL *pool)
{
    return pool != NULL && pool->nx_packet_pool_id == NX_PACKET_POOL_ID;
}

UINT nx_packet_pool_create(NX_PACKET_POOL *pool_ptr, CHAR *name,
                           ULONG payload_size, VOID *memory_ptr,
                           ULONG memory_size)
{
    pthread_condattr_t attr;
    uintptr_t start, end;
    ULONG block, count, i;

    if (pool_ptr == NULL || memory_ptr == NULL || nx__pool_ok(pool_ptr))
        return NX_PTR_ERROR;
    /* Align the start of the caller's area, then cut whole blocks. */
    start = ((uintptr_t)memory_ptr + NX_ALIGN - 1) & ~(uintptr_t)(NX_ALIGN - 1);
    end = (uintptr_t)memory_ptr + memory_size;
    if (payload_size > memory_size || start >= end)
        return NX_SIZE_ERROR;
    block = round_up((ULONG)sizeof(NX_PACKET)) + round_up(payload_size);
    count = (ULONG)((end - start) / block);
    if (count == 0)
        return NX_SIZE_ERROR;

    memset(pool_ptr, 0, sizeof *pool_ptr);
    if (pthread_mutex_init(&pool_ptr->nx_packet_pool_lock, NULL) != 0)
        return NX_POOL_ERROR;
    /* Waits are measured on the monotonic clock, immune to clock steps. */
    if (pthread_condattr_init(&attr) != 0)
        goto fail_lock;
    if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&pool_ptr->nx_packet_pool_freed, &attr) != 0) {
        pthread_condattr_destroy(&attr);
        goto fail_lock;
    }
    pthread_condattr_destroy(&attr);

    pool_ptr->nx_packet_pool_name = name;
    pool_ptr->nx_packet_pool_start = (CHAR *)start;
    pool_ptr->nx_packet_pool_size = count * block;
    pool_ptr->nx_packet_pool_payload_size = payload_size;
    pool_ptr->nx_packet_pool_block_size = block;
    pool_ptr->nx_packet_pool_total = count;
    pool_ptr->nx_packet_pool_available = count;
    /* Build the free list back to front so packets go out in order. */
    for (i = count; i-- > 0;) {
        NX_PACKET *p = (NX_PACKET *)(start + (uintptr_t)i * block);
        memset(p, 0, sizeof *p);
        p->nx_packet_pool_owner = pool_ptr;
        p->nx_packet_data_start =
            (UCHAR *)p + round_up((ULONG)sizeof(NX_PACKET));
        p->nx_packet_data_end = p->nx_packet_data_start + payload_size;
        p->nx_packet_queue_next = pool_ptr->nx_packet_pool_available_list;
        pool_ptr->nx_packet_pool_available_list = p;
    }
    pool_ptr->nx_packet_pool_id = NX_PACKET_POOL_ID;
    return NX_SUCCESS;

fail_lock:
    pthread_mutex_destroy(&pool_ptr->nx_packet_pool_lock);
    return NX_POOL_ERROR;
}

UINT nx_packet_pool_delete(NX_PACKET_POOL *pool_ptr)
{
    ULONG waiting;

    if (!nx__pool_ok(pool_ptr))
        return NX_PTR_ERROR;
    pthread_mutex_lock(&pool_ptr->nx_packet_pool_lock);
    waiting = pool_ptr->nx_packet_pool_waiting;
    if (waiting == 0)
        pool_ptr->nx_packet_pool_id = 0;
    pthread_mutex_unlock(&pool_ptr->nx_packet_pool_lock);
    /* Destroying the lock under a waiting thread would be undefined. */
    if (waiting != 0)
        return NX_POOL_ERROR;
    pthread_cond_destroy(&pool_ptr->nx_packet_pool_freed);
    pthread_mutex_destroy(&pool_ptr->nx_packet_pool_lock);
    memset(pool_ptr, 0, sizeof *pool_ptr);
    return NX_SUCCESS;
}

/* The absolute monotonic time `ms` from now. */
static struct timespec wait_until(int ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

UINT nx_packet_allocate(NX_PACKET_POOL *pool_ptr, NX_PACKET **packet_ptr,
                        ULONG packet_type, ULONG wait_option)
{
    struct timespec until;
    NX_PACKET *p;
    int ms, rc = 0;

    if (packet_ptr == NULL)
        return NX_PTR_ERROR;
    *packet_ptr = NULL;
    if (!nx__pool_ok(pool_ptr))
        return NX_PTR_ERROR;
    if (packet_type > pool_ptr->nx_packet_pool_payload_size)
        return NX_INVALID_PARAMETERS;

    ms = nx__ticks_to_ms(wait_option);
    pthread_mutex_lock(&pool_ptr->nx_packet_pool_lock);
    if (pool_ptr->nx_packet_pool_available_list == NULL) {
        pool_ptr->nx_packet_pool_empty_requests++;
        if (wait_option != NX_NO_WAIT) {
            pool_ptr->nx_packet_pool_empty_suspensions++;
            pool_ptr->nx_packet_pool_waiting++;
            until = wait_until(ms < 0 ? 0 : ms);
            while (pool_ptr->nx_packet_pool_available_list == NULL &&
                   rc != ETIMEDOUT) {
                if (ms < 0)
                    rc = pthread_cond_wait(&pool_ptr->nx_packet_pool_freed,
                                           &pool_ptr->nx_packet_pool_lock);
                else
                    rc = pthread_cond_timedwait(
                        &pool_ptr->nx_packet_pool_freed,
                        &pool_ptr->nx_packet_pool_lock, &until);
            }
            pool_ptr->nx_packet_pool_waiting--;
        }
    }
    p = pool_ptr->nx_packet_pool_available_list;
    if (p != NULL) {
        pool_ptr->nx_packet_pool_available_list = p->nx_packet_queue_next;
        pool_ptr->nx_packet_pool_available--;
        p->nx_packet_queue_next = NULL;
        p->nx_packet_allocated = 1;
    }
    pthread_mutex_unlock(&pool_ptr->nx_packet_pool_lock);
    if (p == NULL)
        return NX_NO_PACKET;

    p->nx_packet_next = NULL;
    p->nx_packet_last = NULL;
    p->nx_packet_prepend_ptr = p->nx_packet_data_start + packet_type;
    p->nx_packet_append_ptr = p->nx_packet_prepend_ptr;
    p->nx_packet_length = 0;
    p->nx_packet_ip_version = 0;
    *packet_ptr = p;
    return NX_SUCCESS;
}

/* Whether p is the start of one of pool's packets. */
static int in_pool(const NX_PACKET_POOL *pool, const NX_PACKET *p)
{
    uintptr_t start = (uintptr_t)pool->nx_packet_pool_start;
    uintptr_t at = (uintptr_t)p;

    return at >= start && at < start + pool->nx_packet_pool_size &&
           (at - start) % pool->nx_packet_pool_block_size == 0;
}

UINT nx_packet_release(NX_PACKET *packet_ptr)
{
    NX_PACKET_POOL *pool;
    UINT st = NX_SUCCESS;

    if (packet_ptr == NULL)
        return NX_PTR_ERROR;
    pool = packet_ptr->nx_packet_pool_owner;
    if (!nx__pool_ok(pool) || !in_pool(pool, packet_ptr))
        return NX_PTR_ERROR;
    pthread_mutex_lock(&pool->nx_packet_pool_lock);
    if (!packet_ptr->nx_packet_allocated) {
        pool->nx_packet_pool_invalid_releases++; /* a double release */
        st = NX_PTR_ERROR;
    } else {
        packet_ptr->nx_packet_allocated = 0;
        packet_ptr->nx_packet_length = 0;
        packet_ptr->nx_packet_queue_next = pool->nx_packet_pool_available_list;
        pool->nx_packet_pool_available_list = packet_ptr;
        pool->nx_packet_pool_available++;
        pthread_cond_signal(&pool->nx_packet_pool_freed);
    }
    pthread_mutex_unlock(&pool->nx_packet_pool_lock);
    return st;
}

/* The data a packet really holds, whatever a caller did to its length. */
static ULONG data_length(const NX_PACKET *p)
{
    ULONG room;

    if (p->nx_packet_prepend_ptr == NULL ||
        p->nx_packet_prepend_ptr > p->nx_packet_data_end)
        return 0;
    room = (ULONG)(p->nx_packet_data_end - p->nx_packet_prepend_ptr);
    return p->nx_packet_length < room ? p->nx_packet_length : room;
}

UINT nx_packet_data_retrieve(NX_PACKET *packet_ptr, VOID *buffer_start,
                             ULONG *bytes_copied)
{
    ULONG n;

    if (packet_ptr == NULL || buffer_start == NULL || bytes_copied == NULL)
        return NX_PTR_ERROR;
    n = data_length(packet_ptr);
    if (n > 0)
        memcpy(buffer_start, packet_ptr->nx_packet_prepend_ptr, n);
    *bytes_copied = n;
    return NX_SUCCESS;
}

UINT nx_packet_data_extract_offset(NX_PACKET *packet_ptr, ULONG offset,
                                   VOID *buffer_start, ULONG buffer_length,
                                   ULONG *bytes_copied)
{
    ULONG len, n;

    if (packet_ptr == NULL || buffer_start == NULL || bytes_copied == NULL)
        return NX_PTR_ERROR;
    *bytes_copied = 0;
    len = data_length(packet_ptr);
    if (offset > len)
        return NX_PACKET_OFFSET_ERROR;
    n = len - offset < buffer_length ? len - offset : buffer_length;
    if (n > 0)
        memcpy(buffer_start, packet_ptr->nx_packet_prepend_ptr + offset, n);
    *bytes_copied = n;
    return NX_SUCCESS;
}

UINT nx_packet_length_get(NX_PACKET *packet_ptr, ULONG *length)
{
    if (packet_ptr == NULL || length == NULL)
        return NX_PTR_ERROR;
    *length = packet_ptr->nx_packet_length;
    return NX_SUCCESS;
}

UINT nx_packet_pool_info_get(NX_PACKET_POOL *pool_ptr, ULONG *total_packets,
                             ULONG *free_packets, ULONG *empty_pool_requests,
                             ULONG *empty_pool_suspensions,
                             ULONG *invalid_packet_releases)
{
    if (!nx__pool_ok(pool_ptr))
        return NX_PTR_ERROR;
    pthread_mutex_lock(&pool_ptr->nx_packet_pool_lock);
    if (total_packets != NULL)
        *total_packets = pool_ptr->nx_packet_pool_total;
    if (free_packets != NULL)
        *free_packets = pool_ptr->nx_packet_pool_available;
    if (empty_pool_requests != NULL)
        *empty_pool_requests = pool_ptr->nx_packet_pool_empty_requests;
    if (empty_pool_suspensions != NULL)
        *empty_pool_suspensions = pool_ptr->nx_packet_pool_empty_suspensions;
    if (invalid_packet_releases != NULL)
        *invalid_packet_releases = pool_ptr->nx_packet_pool_invalid_releases;
    pthread_mutex_unlock(&pool_ptr->nx_packet_pool_lock);
    return NX_SUCCESS;
}
