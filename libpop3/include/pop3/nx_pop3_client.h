/*
 * libpop3 -- the NetX Duo style POP3 client API, over OS sockets.
 *
 * For C code written for (or ported from) the NetX Duo POP3 Client: the
 * same nine services with the same names, parameter lists, types and
 * status values, plus the few NetX services such code calls to set up an
 * IP instance and a packet pool.  It is a layer over the core client in
 * pop3/pop3.h and lives in the same library (link with -lpop3).
 * docs/netx.md is the porting guide and lists every difference from
 * upstream; in short:
 *
 *   - There is no ThreadX and no IP thread.  Every service runs in the
 *     calling thread and blocks until it is done or a deadline passes.
 *     Clients are independent: each thread may drive its own.  Packet
 *     pools are locked, so threads may share one.
 *   - The IP instance is a record (address, mask, default packet pool):
 *     the OS routes and sends.  Link drivers are never called.
 *   - Ticks are converted with NX_IP_PERIODIC_RATE ticks per second.
 *   - Message data is delivered dot-unstuffed and without the end-of-
 *     message line, unless NX_POP3_CLIENT_RAW_MESSAGE is defined.
 *   - The session is cleartext (TLS is not part of NetX's POP3 client).
 *
 * Ownership: the caller allocates every control block (NX_POP3_CLIENT,
 * NX_IP, NX_PACKET_POOL) and the pool's memory, and keeps them alive and
 * unmoved until the matching delete.  Strings passed to the services are
 * BORROWED for the call only.  A packet handed out by
 * nx_pop3_client_mail_item_message_get() or nx_packet_allocate() is OWNED
 * by the caller until nx_packet_release().  No service keeps a global or
 * static state.
 */
#ifndef POP3_NX_POP3_CLIENT_H
#define POP3_NX_POP3_CLIENT_H

#include <pthread.h>

#include "pop3/pop3.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * NetX's basic types (as in ThreadX's port headers for Linux).
 */
#ifndef VOID
#define VOID void
#endif
typedef char CHAR;
typedef unsigned char UCHAR;
typedef int INT;
typedef unsigned int UINT;
typedef long LONG;
typedef unsigned long ULONG;
typedef short SHORT;
typedef unsigned short USHORT;

#define NX_NULL 0
#define NX_TRUE 1
#define NX_FALSE 0
#define NX_NO_WAIT 0
#define NX_WAIT_FOREVER ((ULONG)0xFFFFFFFF)

/* Ticks per second for every timeout and wait option; compiled into the
 * library, like the configuration below. */
#ifndef NX_IP_PERIODIC_RATE
#define NX_IP_PERIODIC_RATE 100
#endif

/* Build an IPv4 address, host byte order: IP_ADDRESS(127,0,0,1). */
#define IP_ADDRESS(a, b, c, d)                                               \
    ((((ULONG)(a)) << 24) | (((ULONG)(b)) << 16) | (((ULONG)(c)) << 8) |    \
     ((ULONG)(d)))

#define NX_IP_VERSION_V4 0x4
#define NX_IP_VERSION_V6 0x6

/* Room reserved in front of a packet's data for the link, IP and TCP
 * headers, as NetX does: nx_packet_allocate()'s packet_type. */
#define NX_PHYSICAL_HEADER 16
#define NX_IPv4_PACKET (NX_PHYSICAL_HEADER + 20)
#define NX_IPv4_TCP_PACKET (NX_IPv4_PACKET + 20)
#define NX_IPv6_PACKET (NX_PHYSICAL_HEADER + 40)
#define NX_IPv6_TCP_PACKET (NX_IPv6_PACKET + 20)
#define NX_TCP_PACKET NX_IPv6_TCP_PACKET
#define NX_RECEIVE_PACKET 0

/* ------------------------------------------------------------------------
 * Status values (NetX's names and numbers).  Every service returns one.
 */
#define NX_SUCCESS 0x00
#define NX_NO_PACKET 0x01          /* pool empty, or no reply in time */
#define NX_POOL_ERROR 0x06         /* out of memory, or pool in use */
#define NX_PTR_ERROR 0x07          /* NULL or not-created control block */
#define NX_SIZE_ERROR 0x09         /* pool memory too small for a packet */
#define NX_ALREADY_ENABLED 0x15    /* nx_tcp_enable() twice */
#define NX_NOT_ENABLED 0x14        /* TCP not enabled on the IP instance */
#define NX_NOT_CONNECTED 0x38      /* no session (closed, failed, quit) */
#define NX_INVALID_PARAMETERS 0x4D /* packet_type larger than the payload */
#define NX_PACKET_OFFSET_ERROR 0x53 /* offset past the packet's data */

#define NX_POP3_CLIENT_ERROR_CONSTANT 0xB0
/* An argument out of range: port 0, address 0, a name or password too
 * long, empty, or holding CR or LF, an IP instance not created. */
#define NX_POP3_PARAM_ERROR (NX_POP3_CLIENT_ERROR_CONSTANT | 0x1)
/* A message number above the count of the last mail_items_get (STAT). */
#define NX_POP3_INVALID_MAIL_ITEM (NX_POP3_CLIENT_ERROR_CONSTANT | 0x2)
/* APOP was tried but no MD5 is available to make the digest. */
#define NX_POP3_APOP_FAILED_MD5_DIGEST (NX_POP3_CLIENT_ERROR_CONSTANT | 0x3)
/* The server answered -ERR, or with a reply that is not POP3. */
#define NX_POP3_SERVER_ERROR_STATUS (NX_POP3_CLIENT_ERROR_CONSTANT | 0x4)
/* Defined for compatibility; never returned (no fixed mail buffer). */
#define NX_POP3_MAIL_BUFFER_OVERFLOW (NX_POP3_CLIENT_ERROR_CONSTANT | 0x5)
/* A pool's packets are too small for a command, or for any data. */
#define NX_POP3_INSUFFICIENT_PACKET_PAYLOAD (NX_POP3_CLIENT_ERROR_CONSTANT | 0x6)
/* message_get without a mail_item_get (RETR) in progress. */
#define NX_POP3_CLIENT_INVALID_STATE (NX_POP3_CLIENT_ERROR_CONSTANT | 0x7)
/* Message number 0. */
#define NX_POP3_CLIENT_INVALID_INDEX (NX_POP3_CLIENT_ERROR_CONSTANT | 0x8)

/* ------------------------------------------------------------------------
 * Configuration, with upstream's defaults.  Like every NetX setting these
 * are compiled in: they take effect when libpop3 itself is built with
 * them (e.g. cmake -DCMAKE_C_FLAGS="-DNX_POP3_MAX_PASSWORD=64"); defining
 * them only in an application changes nothing in the library.
 */
#ifndef NX_POP3_MAX_USERNAME
#define NX_POP3_MAX_USERNAME 40 /* longest user name, octets */
#endif
#ifndef NX_POP3_MAX_PASSWORD
#define NX_POP3_MAX_PASSWORD 20 /* longest password (APOP secret) */
#endif
#ifndef NX_POP3_CLIENT_CONNECTION_TIMEOUT
#define NX_POP3_CLIENT_CONNECTION_TIMEOUT (30 * NX_IP_PERIODIC_RATE)
#endif
#ifndef NX_POP3_SERVER_REPLY_TIMEOUT
#define NX_POP3_SERVER_REPLY_TIMEOUT (10 * NX_IP_PERIODIC_RATE)
#endif
/* Kept for source compatibility: sends share the reply deadline. */
#ifndef NX_POP3_TCP_SOCKET_SEND_WAIT
#define NX_POP3_TCP_SOCKET_SEND_WAIT (10 * NX_IP_PERIODIC_RATE)
#endif
/* Kept for source compatibility: closing a socket does not wait. */
#ifndef NX_POP3_CLIENT_DISCONNECT_TIMEOUT
#define NX_POP3_CLIENT_DISCONNECT_TIMEOUT (10 * NX_IP_PERIODIC_RATE)
#endif
/* How long a service waits for a free packet in a pool. */
#ifndef NX_POP3_CLIENT_PACKET_TIMEOUT
#define NX_POP3_CLIENT_PACKET_TIMEOUT (1 * NX_IP_PERIODIC_RATE)
#endif

/* ------------------------------------------------------------------------
 * Addresses.
 */
typedef struct NXD_ADDRESS_STRUCT {
    ULONG nxd_ip_version; /* NX_IP_VERSION_V4 or NX_IP_VERSION_V6 */
    union {
        ULONG v4;    /* host byte order, as IP_ADDRESS() builds it */
        ULONG v6[4]; /* 32 bits each, most significant word first */
    } nxd_ip_address;
} NXD_ADDRESS;

/* ------------------------------------------------------------------------
 * Packets and packet pools.  A pool carves the caller's memory into
 * packets of a fixed payload size; nothing else is ever allocated for a
 * packet.  Packets are never chained: nx_packet_next is always NULL.
 * Read the data at nx_packet_prepend_ptr, nx_packet_length octets long.
 */
struct NX_PACKET_POOL_STRUCT;

typedef struct NX_PACKET_STRUCT {
    struct NX_PACKET_POOL_STRUCT *nx_packet_pool_owner;
    struct NX_PACKET_STRUCT *nx_packet_next; /* always NULL */
    UCHAR *nx_packet_prepend_ptr;            /* first octet of data */
    UCHAR *nx_packet_append_ptr;             /* one past the last */
    UCHAR *nx_packet_data_start;             /* the payload area */
    UCHAR *nx_packet_data_end;
    struct NX_PACKET_STRUCT *nx_packet_last;
    struct NX_PACKET_STRUCT *nx_packet_queue_next; /* the pool's use */
    ULONG nx_packet_length;                        /* octets of data */
    UCHAR nx_packet_ip_version;
    ULONG nx_packet_allocated; /* the pool's use: set while allocated */
} NX_PACKET;

typedef struct NX_PACKET_POOL_STRUCT {
    ULONG nx_packet_pool_id; /* set while created */
    CHAR *nx_packet_pool_name;
    ULONG nx_packet_pool_available; /* free packets now */
    ULONG nx_packet_pool_total;
    ULONG nx_packet_pool_empty_requests;
    ULONG nx_packet_pool_empty_suspensions;
    ULONG nx_packet_pool_invalid_releases;
    NX_PACKET *nx_packet_pool_available_list;
    CHAR *nx_packet_pool_start;
    ULONG nx_packet_pool_size;
    ULONG nx_packet_pool_payload_size;
    /* Not in NetX: what makes the pool safe to share between threads. */
    ULONG nx_packet_pool_block_size;
    ULONG nx_packet_pool_waiting;
    pthread_mutex_t nx_packet_pool_lock;
    pthread_cond_t nx_packet_pool_freed;
} NX_PACKET_POOL;

/*
 * Make a pool in memory_ptr (memory_size octets, BORROWED until
 * nx_packet_pool_delete): as many packets of payload_size octets as fit.
 * `name` is BORROWED and kept.  Returns NX_SUCCESS, NX_PTR_ERROR (NULL,
 * or a pool already created), NX_SIZE_ERROR (not one packet fits),
 * NX_POOL_ERROR (the lock could not be made).
 */
POP3_API UINT nx_packet_pool_create(NX_PACKET_POOL *pool_ptr, CHAR *name,
                                    ULONG payload_size, VOID *memory_ptr,
                                    ULONG memory_size);

/* Delete a pool; its packets must no longer be used.  Returns NX_SUCCESS,
 * NX_PTR_ERROR (not a created pool), NX_POOL_ERROR (a thread waits in
 * nx_packet_allocate on it). */
POP3_API UINT nx_packet_pool_delete(NX_PACKET_POOL *pool_ptr);

/*
 * Take a packet, its data starting packet_type octets into the payload
 * (NX_IPv4_TCP_PACKET, ... or 0).  Waits up to wait_option ticks for one
 * to be released (NX_NO_WAIT, NX_WAIT_FOREVER).  *packet_ptr is OWNED:
 * give it back with nx_packet_release(); NULL on failure.  Returns
 * NX_SUCCESS, NX_NO_PACKET (none free in time), NX_PTR_ERROR,
 * NX_INVALID_PARAMETERS (packet_type above the payload size).
 */
POP3_API UINT nx_packet_allocate(NX_PACKET_POOL *pool_ptr,
                                 NX_PACKET **packet_ptr, ULONG packet_type,
                                 ULONG wait_option);

/* Give a packet back to its pool.  Returns NX_SUCCESS, NX_PTR_ERROR (NULL,
 * not a packet of a created pool, or already released). */
POP3_API UINT nx_packet_release(NX_PACKET *packet_ptr);

/* Copy all of a packet's data to buffer_start, which must hold
 * nx_packet_length octets.  Returns NX_SUCCESS, NX_PTR_ERROR. */
POP3_API UINT nx_packet_data_retrieve(NX_PACKET *packet_ptr,
                                      VOID *buffer_start,
                                      ULONG *bytes_copied);

/* Copy at most buffer_length octets of data from `offset` on.  Returns
 * NX_SUCCESS, NX_PTR_ERROR, NX_PACKET_OFFSET_ERROR (offset > length). */
POP3_API UINT nx_packet_data_extract_offset(NX_PACKET *packet_ptr,
                                            ULONG offset,
                                            VOID *buffer_start,
                                            ULONG buffer_length,
                                            ULONG *bytes_copied);

/* The packet's data length.  Returns NX_SUCCESS, NX_PTR_ERROR. */
POP3_API UINT nx_packet_length_get(NX_PACKET *packet_ptr, ULONG *length);

/* Counters of a pool; any output may be NULL.  Returns NX_SUCCESS,
 * NX_PTR_ERROR. */
POP3_API UINT nx_packet_pool_info_get(NX_PACKET_POOL *pool_ptr,
                                      ULONG *total_packets,
                                      ULONG *free_packets,
                                      ULONG *empty_pool_requests,
                                      ULONG *empty_pool_suspensions,
                                      ULONG *invalid_packet_releases);

/* ------------------------------------------------------------------------
 * The IP instance: a record of the local address and the default packet
 * pool, from which received message data is drawn.
 */
typedef struct NX_IP_DRIVER_STRUCT NX_IP_DRIVER; /* never defined */

typedef struct NX_IP_STRUCT {
    ULONG nx_ip_id; /* set while created */
    CHAR *nx_ip_name;
    ULONG nx_ip_address; /* recorded; the OS picks the source address */
    ULONG nx_ip_network_mask;
    NX_PACKET_POOL *nx_ip_default_packet_pool;
    UINT nx_ip_tcp_enabled;
} NX_IP;

/*
 * Create an IP instance.  default_pool must be a created pool; `name` and
 * the pool are BORROWED until nx_ip_delete.  ip_link_driver, memory_ptr,
 * memory_size and priority are accepted for source compatibility and not
 * used (there is no driver and no IP thread); they may be NULL / 0.
 * Returns NX_SUCCESS, NX_PTR_ERROR.
 */
POP3_API UINT nx_ip_create(NX_IP *ip_ptr, CHAR *name, ULONG ip_address,
                           ULONG network_mask, NX_PACKET_POOL *default_pool,
                           VOID (*ip_link_driver)(NX_IP_DRIVER *),
                           VOID *memory_ptr, ULONG memory_size,
                           UINT priority);

/* Delete an IP instance (not its pool).  Returns NX_SUCCESS,
 * NX_PTR_ERROR. */
POP3_API UINT nx_ip_delete(NX_IP *ip_ptr);

/* Enable TCP, which POP3 clients need.  Returns NX_SUCCESS,
 * NX_PTR_ERROR, NX_ALREADY_ENABLED. */
POP3_API UINT nx_tcp_enable(NX_IP *ip_ptr);

/* ------------------------------------------------------------------------
 * The POP3 client.  The caller allocates the control block; every field
 * is the library's and may only be read.
 */
typedef struct NX_POP3_CLIENT_STRUCT {
    ULONG nx_pop3_client_id; /* set from create until delete */
    NX_IP *nx_pop3_client_ip_ptr;
    NX_PACKET_POOL *nx_pop3_client_packet_pool_ptr; /* for commands */
    UINT nx_pop3_client_enable_APOP_authentication;
    UINT nx_pop3_client_maildrop_items;     /* count from the last STAT */
    ULONG nx_pop3_client_total_message_size; /* size from the last STAT */
    UINT nx_pop3_client_maildrop_index;     /* message being retrieved */
    UINT nx_pop3_client_ready_to_download;  /* a RETR is in progress */
    /* The library's own state. */
    pop3_client *nx_pop3_client_session; /* the core client, OWNED */
    UINT nx_pop3_client_ip_version;
    const char *nx_pop3_client_pending;  /* body data not yet delivered */
    ULONG nx_pop3_client_pending_length;
    UINT nx_pop3_client_body_done;       /* the end of the body was read */
    UINT nx_pop3_client_line_start;      /* raw mode: at a line start */
    UINT nx_pop3_client_dot_added;       /* raw mode: stuffing dot out */
    UINT nx_pop3_client_tail_sent;       /* raw mode: ".\r\n" octets out */
} NX_POP3_CLIENT;

/*
 * Create a client, connect to the server (IPv4, host byte order) and log
 * in, all before returning.  With APOP_authentication set and a timestamp
 * in the greeting, APOP is tried first and USER/PASS follows if the
 * server refuses it; otherwise USER/PASS.  client_name and
 * client_password are BORROWED for the call.  Commands are built in
 * packets of packet_pool_ptr; its packets must hold the longest command
 * (e.g. "APOP name digest\r\n") after NX_IPv4_TCP_PACKET octets.
 * On failure everything made is undone; nx_pop3_client_delete() is still
 * safe to call.
 *
 * Returns NX_SUCCESS, NX_PTR_ERROR (a NULL pointer, a pool not created),
 * NX_POP3_PARAM_ERROR (IP instance not created, port 0 or above 65535,
 * address 0, name or password empty, too long or holding CR/LF),
 * NX_NOT_ENABLED (no nx_tcp_enable), NX_NOT_CONNECTED (no connection),
 * NX_NO_PACKET (no reply in time, or no free packet),
 * NX_POP3_INSUFFICIENT_PACKET_PAYLOAD, NX_POP3_SERVER_ERROR_STATUS (-ERR
 * greeting, login refused -- a wrong password included),
 * NX_POP3_APOP_FAILED_MD5_DIGEST, NX_POP3_CLIENT_INVALID_STATE (the
 * control block holds a live client), NX_POOL_ERROR (out of memory).
 */
POP3_API UINT nx_pop3_client_create(NX_POP3_CLIENT *client_ptr,
                                    UINT APOP_authentication, NX_IP *ip_ptr,
                                    NX_PACKET_POOL *packet_pool_ptr,
                                    ULONG server_ip_address,
                                    ULONG server_port, CHAR *client_name,
                                    CHAR *client_password);

/* As nx_pop3_client_create, to an IPv4 or IPv6 address. */
POP3_API UINT nxd_pop3_client_create(NX_POP3_CLIENT *client_ptr,
                                     UINT APOP_authentication,
                                     NX_IP *ip_ptr,
                                     NX_PACKET_POOL *packet_pool_ptr,
                                     NXD_ADDRESS *server_duo_address,
                                     ULONG server_port, CHAR *client_name,
                                     CHAR *client_password);

/*
 * The transaction services.  Each first ends a retrieval still in
 * progress (the rest of that message is read and dropped).  Common
 * returns: NX_SUCCESS, NX_PTR_ERROR (a NULL pointer, a client not
 * created or deleted), NX_NOT_CONNECTED (create failed, after quit, or
 * the session broke), NX_NO_PACKET (no free packet, or no reply in time:
 * the session is then closed), NX_POP3_INSUFFICIENT_PACKET_PAYLOAD,
 * NX_POP3_SERVER_ERROR_STATUS (-ERR, or a reply that is not POP3: the
 * session is then closed).
 */

/* STAT: message count and total octets; the count bounds the message
 * numbers of the other services.  Outputs are 0 on failure. */
POP3_API UINT nx_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr,
                                            UINT *number_mail_items,
                                            ULONG *maildrop_total_size);

/* LIST n: one message's size.  Also NX_POP3_CLIENT_INVALID_INDEX (0),
 * NX_POP3_INVALID_MAIL_ITEM (above the last STAT count). */
POP3_API UINT nx_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr,
                                                UINT mail_item, ULONG *size);

/* RETR n: start retrieving a message; *item_size is the size the server
 * gave in its reply (0 if it gave none).  Then call message_get until
 * final_packet.  Also NX_POP3_CLIENT_INVALID_INDEX,
 * NX_POP3_INVALID_MAIL_ITEM. */
POP3_API UINT nx_pop3_client_mail_item_get(NX_POP3_CLIENT *client_ptr,
                                           UINT mail_item,
                                           ULONG *item_size);

/*
 * The next part of the message being retrieved, in one packet drawn from
 * the IP instance's default pool: *recv_packet_ptr is OWNED by the caller,
 * who releases it with nx_packet_release() -- also when it holds no data.
 * *bytes_retrieved is its length; *final_packet is NX_TRUE on the last
 * one.  The data is the message as stored: dot-unstuffed, CRLF line ends,
 * without the terminating ".\r\n" (with NX_POP3_CLIENT_RAW_MESSAGE defined
 * when including this header: the wire bytes, still dot-stuffed and with
 * the terminator, as upstream; a packet holding only the terminator then
 * reports 0 bytes).
 * Returns NX_SUCCESS, NX_PTR_ERROR, NX_POP3_CLIENT_INVALID_STATE (no
 * retrieval in progress), NX_NO_PACKET (pool empty: nothing is lost, call
 * again once packets are released; or no data in time: the session is
 * then closed), NX_POP3_INSUFFICIENT_PACKET_PAYLOAD (the pool's packets
 * hold no data after the TCP header room), NX_NOT_CONNECTED,
 * NX_POP3_SERVER_ERROR_STATUS.
 */
POP3_API UINT nx_pop3_client_mail_item_message_get(
    NX_POP3_CLIENT *client_ptr, NX_PACKET **recv_packet_ptr,
    ULONG *bytes_retrieved, UINT *final_packet);

/* The same with upstream's raw wire bytes; what the name above means when
 * NX_POP3_CLIENT_RAW_MESSAGE is defined. */
POP3_API UINT nx_pop3_client_mail_item_message_get_raw(
    NX_POP3_CLIENT *client_ptr, NX_PACKET **recv_packet_ptr,
    ULONG *bytes_retrieved, UINT *final_packet);

#ifdef NX_POP3_CLIENT_RAW_MESSAGE
#define nx_pop3_client_mail_item_message_get                                 \
    nx_pop3_client_mail_item_message_get_raw
#endif

/* DELE n: mark a message deleted; the server removes it only at QUIT.
 * Also NX_POP3_CLIENT_INVALID_INDEX. */
POP3_API UINT nx_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr,
                                              UINT mail_index);

/* QUIT: the server commits the deletions and the session ends.
 * NX_SUCCESS means they were committed. */
POP3_API UINT nx_pop3_client_quit(NX_POP3_CLIENT *client_ptr);

/*
 * Close the connection without QUIT (so nothing is deleted) and clear the
 * control block.  Safe after any create, failed or not.  The client holds
 * no packets between calls, so none are left behind.  Returns
 * NX_SUCCESS, NX_PTR_ERROR (NULL, or not a created client).
 */
POP3_API UINT nx_pop3_client_delete(NX_POP3_CLIENT *client_ptr);

#ifdef __cplusplus
}
#endif

#endif /* POP3_NX_POP3_CLIENT_H */
