/*
 * nx_pop3_client_mail_item_message_get: the body of a RETR, one packet
 * per call, drawn from the IP instance's default pool as NetX's received
 * segments are.  Each packet is filled from the core's body chunks; the
 * part of a chunk that does not fit stays borrowed from the core until
 * the next call, so nothing is copied twice and nothing is lost when the
 * pool runs dry.  The core has already found the terminator, however the
 * segments fell, so the last packet is marked final without waiting.
 */
#include "nx_internal.h"

#include <string.h>

static const char TERMINATOR[] = ".\r\n";

/* Cooked: the stored message, as the core delivers it. */
static size_t copy_cooked(NX_POP3_CLIENT *c, UCHAR *out, size_t room)
{
    size_t n = c->nx_pop3_client_pending_length;

    if (n > room)
        n = room;
    if (n == 0)
        return 0; /* pending may be NULL: memcpy must not see it */
    memcpy(out, c->nx_pop3_client_pending, n);
    c->nx_pop3_client_pending += n;
    c->nx_pop3_client_pending_length -= n;
    return n;
}

/* Raw: stuff the dots back (RFC 1939 3: a line starting with "." gets
 * one more), giving the bytes the server sent. */
static size_t copy_raw(NX_POP3_CLIENT *c, UCHAR *out, size_t room)
{
    size_t used = 0, n;
    const char *nl;

    while (used < room && c->nx_pop3_client_pending_length > 0) {
        if (c->nx_pop3_client_line_start && !c->nx_pop3_client_dot_added &&
            *c->nx_pop3_client_pending == '.') {
            out[used++] = '.';
            c->nx_pop3_client_dot_added = NX_TRUE;
            continue;
        }
        /* Copy up to the end of the line, or as much as fits. */
        n = room - used;
        if (n > c->nx_pop3_client_pending_length)
            n = c->nx_pop3_client_pending_length;
        nl = memchr(c->nx_pop3_client_pending, '\n', n);
        if (nl != NULL)
            n = (size_t)(nl - c->nx_pop3_client_pending) + 1;
        memcpy(out + used, c->nx_pop3_client_pending, n);
        used += n;
        c->nx_pop3_client_pending += n;
        c->nx_pop3_client_pending_length -= n;
        c->nx_pop3_client_dot_added = NX_FALSE;
        c->nx_pop3_client_line_start = nl != NULL;
    }
    return used;
}

/* Raw: as much of the terminating ".\r\n" as fits. */
static size_t copy_tail(NX_POP3_CLIENT *c, UCHAR *out, size_t room)
{
    size_t n = 0;

    while (n < room && c->nx_pop3_client_tail_sent < 3)
        out[n++] = (UCHAR)TERMINATOR[c->nx_pop3_client_tail_sent++];
    return n;
}

static void end_retrieval(NX_POP3_CLIENT *c)
{
    c->nx_pop3_client_ready_to_download = NX_FALSE;
    c->nx_pop3_client_body_done = NX_FALSE;
    c->nx_pop3_client_pending = NULL;
    c->nx_pop3_client_pending_length = 0;
}

/* Fill p (room octets) from the pending chunk and further core chunks
 * until it is full or the body has ended.  *used is what went in and
 * *body what of that was message data (not terminator). */
static pop3_status fill(NX_POP3_CLIENT *c, UCHAR *out, size_t room, int raw,
                        size_t *used, size_t *body)
{
    const char *data;
    size_t len;
    pop3_status ps;

    *used = 0;
    for (;;) {
        *used += raw ? copy_raw(c, out + *used, room - *used)
                     : copy_cooked(c, out + *used, room - *used);
        *body = *used;
        if (*used == room)
            return POP3_OK;
        if (c->nx_pop3_client_body_done) {
            if (raw)
                *used += copy_tail(c, out + *used, room - *used);
            return POP3_OK;
        }
        ps = pop3_body_next(c->nx_pop3_client_session, &data, &len);
        if (ps == POP3_DONE) {
            c->nx_pop3_client_body_done = NX_TRUE;
            continue;
        }
        if (ps != POP3_OK)
            return ps;
        c->nx_pop3_client_pending = data;
        c->nx_pop3_client_pending_length = len;
    }
}

static UINT message_get(NX_POP3_CLIENT *c, NX_PACKET **recv_packet_ptr,
                        ULONG *bytes_retrieved, UINT *final_packet, int raw)
{
    NX_IP *ip;
    NX_PACKET *p;
    size_t room, used, body;
    pop3_status ps;
    UINT st, done;

    if (c == NULL || recv_packet_ptr == NULL || bytes_retrieved == NULL ||
        final_packet == NULL)
        return NX_PTR_ERROR;
    *recv_packet_ptr = NULL;
    *bytes_retrieved = 0;
    *final_packet = NX_FALSE;
    if (c->nx_pop3_client_id != NX_POP3_CLIENT_ID)
        return NX_PTR_ERROR;
    if (!c->nx_pop3_client_ready_to_download)
        return NX_POP3_CLIENT_INVALID_STATE;
    ip = c->nx_pop3_client_ip_ptr;
    if (ip == NULL || ip->nx_ip_id != NX_IP_ID)
        return NX_PTR_ERROR; /* the IP instance was deleted */

    /* An empty pool loses nothing: the data waits in the core. */
    st = nx_packet_allocate(ip->nx_ip_default_packet_pool, &p,
                            nx__packet_type(c),
                            NX_POP3_CLIENT_PACKET_TIMEOUT);
    if (st == NX_INVALID_PARAMETERS)
        return NX_POP3_INSUFFICIENT_PACKET_PAYLOAD;
    if (st != NX_SUCCESS)
        return st;
    room = (size_t)(p->nx_packet_data_end - p->nx_packet_prepend_ptr);
    if (room == 0) {
        nx_packet_release(p);
        return NX_POP3_INSUFFICIENT_PACKET_PAYLOAD;
    }

    ps = fill(c, p->nx_packet_prepend_ptr, room, raw, &used, &body);
    if (ps != POP3_OK && used == 0) {
        nx_packet_release(p);
        st = nx__finish(c, ps);
        end_retrieval(c);
        return st;
    }
    /* With data in hand, a failure waits for the next call: the core
     * repeats it then. */
    done = c->nx_pop3_client_body_done &&
           c->nx_pop3_client_pending_length == 0 &&
           (!raw || c->nx_pop3_client_tail_sent == 3);

    p->nx_packet_append_ptr = p->nx_packet_prepend_ptr + used;
    p->nx_packet_length = (ULONG)used;
    p->nx_packet_ip_version = (UCHAR)c->nx_pop3_client_ip_version;
    *recv_packet_ptr = p;
    /* As upstream: a packet of nothing but the terminator counts 0. */
    *bytes_retrieved = raw && body == 0 ? 0 : (ULONG)used;
    *final_packet = done ? NX_TRUE : NX_FALSE;
    if (done)
        end_retrieval(c);
    return NX_SUCCESS;
}

UINT nx_pop3_client_mail_item_message_get(NX_POP3_CLIENT *client_ptr,
                                          NX_PACKET **recv_packet_ptr,
                                          ULONG *bytes_retrieved,
                                          UINT *final_packet)
{
    return message_get(client_ptr, recv_packet_ptr, bytes_retrieved,
                       final_packet, 0);
}

UINT nx_pop3_client_mail_item_message_get_raw(NX_POP3_CLIENT *client_ptr,
                                              NX_PACKET **recv_packet_ptr,
                                              ULONG *bytes_retrieved,
                                              UINT *final_packet)
{
    return message_get(client_ptr, recv_packet_ptr, bytes_retrieved,
                       final_packet, 1);
}
