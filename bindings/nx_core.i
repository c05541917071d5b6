/*
 * nx_core.i -- the NetX-style API (pop3/nx_pop3_client.h) for SWIG,
 * language-neutral like pop3_core.i, for scripts that test embedded code.
 * Include it after pop3_core.i (it reuses that file's typemap for
 * (const char **data_out, size_t *len_out)).
 *
 * CONTRACT for a language file: besides pop3_core.i's typemaps, an
 * "argout" typemap for `NX_PACKET **packet_out` (a wrapped NX_PACKET *,
 * or nil/None when `result` is not NX_SUCCESS).  Every packet handed out
 * must be given back with nx_packet_release.
 *
 * Control blocks (NX_IP, NX_PACKET_POOL, NX_POP3_CLIENT) are created
 * zero-filled by their SWIG constructors and are read-only from scripts.
 * The services that take caller memory or a driver are replaced by
 * nxswig_ helpers that own the memory themselves.
 */

%{
#include <stdlib.h>
#include "pop3/nx_pop3_client.h"
%}

%include <typemaps.i>

/* Scalar outputs: the standard typemaps, present in every language. */
%apply unsigned int *OUTPUT { UINT *number_mail_items, UINT *final_packet };
%apply unsigned long *OUTPUT { ULONG *maildrop_total_size, ULONG *size,
                               ULONG *item_size, ULONG *bytes_retrieved,
                               ULONG *length };

/* The packet outputs of message_get and allocate. */
%typemap(in, numinputs=0) NX_PACKET **packet_out ($*1_ltype temp) {
    temp = NULL;
    $1 = &temp;
}
%apply NX_PACKET **packet_out { NX_PACKET **recv_packet_ptr,
                                NX_PACKET **packet_ptr };

/* Replaced by the helpers below (caller memory, driver functions, raw
 * output buffers). */
%ignore nx_packet_pool_create;
%ignore nx_packet_pool_delete;
%ignore nx_ip_create;
%ignore nx_packet_data_retrieve;
%ignore nx_packet_data_extract_offset;
%ignore nx_packet_pool_info_get;
%ignore NX_PACKET_POOL_STRUCT::nx_packet_pool_lock;
%ignore NX_PACKET_POOL_STRUCT::nx_packet_pool_freed;

%immutable;
%include "pop3/nx_pop3_client.h"
%mutable;

%inline %{
/*
 * A packet pool of at least `packets` packets of `payload_size` octets,
 * in memory the helper allocates; nxswig_packet_pool_delete frees it.
 * The block size below matches nx_packet.c's (header and payload, each
 * rounded up), with slack for the rounding.
 */
static UINT nxswig_packet_pool_create(NX_PACKET_POOL *pool,
                                      ULONG payload_size, ULONG packets)
{
    static CHAR name[] = "nxswig pool";
    ULONG block = (ULONG)sizeof(NX_PACKET) + payload_size + 64;
    void *memory = NULL;
    UINT st;

    if (pool == NULL || packets == 0 || payload_size == 0 ||
        packets > 65536 || payload_size > 16 * 1024 * 1024)
        return NX_PTR_ERROR;
    /* Aligned beyond what the pool needs, so it starts exactly here and
     * pool->nx_packet_pool_start is the pointer to free. */
    if (posix_memalign(&memory, 64, (size_t)block * packets) != 0)
        return NX_POOL_ERROR;
    st = nx_packet_pool_create(pool, name, payload_size, memory,
                               block * packets);
    if (st != NX_SUCCESS || (void *)pool->nx_packet_pool_start != memory) {
        if (st == NX_SUCCESS)
            nx_packet_pool_delete(pool);
        free(memory);
        return st != NX_SUCCESS ? st : NX_POOL_ERROR;
    }
    return NX_SUCCESS;
}

/* Delete a pool made by nxswig_packet_pool_create and free its memory
 * (refused with NX_POOL_ERROR while packets are out). */
static UINT nxswig_packet_pool_delete(NX_PACKET_POOL *pool)
{
    void *memory = pool ? (void *)pool->nx_packet_pool_start : NULL;
    UINT st;

    /* Freeing the memory under a packet still out would let its release
     * write to freed memory: refuse, as the header's NX_POOL_ERROR says. */
    if (pool && pool->nx_packet_pool_available != pool->nx_packet_pool_total)
        return NX_POOL_ERROR;
    st = nx_packet_pool_delete(pool);

    if (st == NX_SUCCESS)
        free(memory);
    return st;
}

/* nx_ip_create without driver, stack or priority (the OS does those). */
static UINT nxswig_ip_create(NX_IP *ip, ULONG ip_address,
                             ULONG network_mask, NX_PACKET_POOL *pool)
{
    static CHAR name[] = "nxswig ip";

    return nx_ip_create(ip, name, ip_address, network_mask, pool, NULL,
                        NULL, 0, 0);
}

/* Fill an NXD_ADDRESS: version 4 uses w0 (as IP_ADDRESS builds it),
 * version 6 the four 32-bit words, most significant first. */
static UINT nxswig_address_set(NXD_ADDRESS *a, ULONG version, ULONG w0,
                               ULONG w1, ULONG w2, ULONG w3)
{
    if (a == NULL || (version != NX_IP_VERSION_V4 &&
                      version != NX_IP_VERSION_V6))
        return NX_PTR_ERROR;
    a->nxd_ip_version = version;
    if (version == NX_IP_VERSION_V4) {
        a->nxd_ip_address.v4 = w0;
    } else {
        a->nxd_ip_address.v6[0] = w0;
        a->nxd_ip_address.v6[1] = w1;
        a->nxd_ip_address.v6[2] = w2;
        a->nxd_ip_address.v6[3] = w3;
    }
    return NX_SUCCESS;
}

/* The data of a packet, BORROWED until it is released: the language's
 * data_out typemap copies it. */
static UINT nxswig_packet_data(NX_PACKET *packet, const char **data_out,
                               size_t *len_out)
{
    if (packet == NULL)
        return NX_PTR_ERROR;
    *data_out = (const char *)packet->nx_packet_prepend_ptr;
    *len_out = (size_t)packet->nx_packet_length;
    return NX_SUCCESS;
}
%}
