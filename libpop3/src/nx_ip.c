/*
 * The NetX IP instance, over the OS: only a record of what the client
 * needs from it (the default packet pool for received data, whether TCP
 * is enabled).  The OS stack routes, so there is no driver and no thread.
 */
#include "nx_internal.h"

#include <string.h>

UINT nx_ip_create(NX_IP *ip_ptr, CHAR *name, ULONG ip_address,
                  ULONG network_mask, NX_PACKET_POOL *default_pool,
                  VOID (*ip_link_driver)(NX_IP_DRIVER *), VOID *memory_ptr,
                  ULONG memory_size, UINT priority)
{
    (void)ip_link_driver;
    (void)memory_ptr;
    (void)memory_size;
    (void)priority;

    if (ip_ptr == NULL || ip_ptr->nx_ip_id == NX_IP_ID ||
        !nx__pool_ok(default_pool))
        return NX_PTR_ERROR;
    memset(ip_ptr, 0, sizeof *ip_ptr);
    ip_ptr->nx_ip_name = name;
    ip_ptr->nx_ip_address = ip_address;
    ip_ptr->nx_ip_network_mask = network_mask;
    ip_ptr->nx_ip_default_packet_pool = default_pool;
    ip_ptr->nx_ip_id = NX_IP_ID;
    return NX_SUCCESS;
}

UINT nx_ip_delete(NX_IP *ip_ptr)
{
    if (ip_ptr == NULL || ip_ptr->nx_ip_id != NX_IP_ID)
        return NX_PTR_ERROR;
    memset(ip_ptr, 0, sizeof *ip_ptr);
    return NX_SUCCESS;
}

UINT nx_tcp_enable(NX_IP *ip_ptr)
{
    if (ip_ptr == NULL || ip_ptr->nx_ip_id != NX_IP_ID)
        return NX_PTR_ERROR;
    if (ip_ptr->nx_ip_tcp_enabled)
        return NX_ALREADY_ENABLED;
    ip_ptr->nx_ip_tcp_enabled = NX_TRUE;
    return NX_SUCCESS;
}
