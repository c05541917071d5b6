/*
 * The NetX Duo POP3 Client services over the core client (public API
 * only).  Each service checks its arguments as upstream does, draws the
 * packet its command is built in from the client's pool (so an exhausted
 * or too small pool fails as it would on NetX), then makes one core call
 * and maps the core status to NetX's.  Where upstream is wrong (a refused
 * password accepted, numbers parsed from fixed-width fields, no cleanup
 * after a failed create) this does it right; docs/netx.md lists each.
 */
#include "nx_internal.h"

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

UINT nx__status(pop3_status st)
{
    switch (pop3_status_family(st)) {
    case POP3_FAMILY_OK:
        return NX_SUCCESS;
    case POP3_FAMILY_ARG:
        return st == POP3_E_NOMEM ? NX_POOL_ERROR : NX_POP3_PARAM_ERROR;
    case POP3_FAMILY_STATE:
        return NX_POP3_CLIENT_INVALID_STATE;
    case POP3_FAMILY_SERVER:
    case POP3_FAMILY_AUTH:
    case POP3_FAMILY_PROTOCOL: /* upstream: a reply it cannot parse */
        return NX_POP3_SERVER_ERROR_STATUS;
    case POP3_FAMILY_TIMEOUT: /* NetX's receive says NX_NO_PACKET */
        return NX_NO_PACKET;
    default:
        return NX_NOT_CONNECTED;
    }
}

static void end_body(NX_POP3_CLIENT *c)
{
    c->nx_pop3_client_ready_to_download = NX_FALSE;
    c->nx_pop3_client_pending = NULL;
    c->nx_pop3_client_pending_length = 0;
    c->nx_pop3_client_body_done = NX_FALSE;
}

UINT nx__finish(NX_POP3_CLIENT *c, pop3_status st)
{
    switch (pop3_status_family(st)) {
    case POP3_FAMILY_IO:
    case POP3_FAMILY_TIMEOUT:
    case POP3_FAMILY_PROTOCOL:
    case POP3_FAMILY_TLS:
        /* The core refuses everything after these; say so plainly. */
        pop3_close(c->nx_pop3_client_session);
        end_body(c);
        break;
    default:
        break;
    }
    return nx__status(st);
}

ULONG nx__packet_type(const NX_POP3_CLIENT *c)
{
    return c->nx_pop3_client_ip_version == NX_IP_VERSION_V6
               ? NX_IPv6_TCP_PACKET
               : NX_IPv4_TCP_PACKET;
}

/*
 * The packet a command of `len` octets (CRLF included) is built in, from
 * the client's pool, held while the command is in flight.  It carries no
 * bytes: the core formats and sends the command itself (and so a
 * password never lands in pool memory).
 */
static UINT command_packet(NX_POP3_CLIENT *c, size_t len, NX_PACKET **out)
{
    UINT st = nx_packet_allocate(c->nx_pop3_client_packet_pool_ptr, out,
                                 nx__packet_type(c),
                                 NX_POP3_CLIENT_PACKET_TIMEOUT);

    if (st == NX_INVALID_PARAMETERS)
        return NX_POP3_INSUFFICIENT_PACKET_PAYLOAD;
    if (st != NX_SUCCESS)
        return st;
    if ((size_t)((*out)->nx_packet_data_end - (*out)->nx_packet_prepend_ptr) <
        len) {
        nx_packet_release(*out);
        *out = NULL;
        return NX_POP3_INSUFFICIENT_PACKET_PAYLOAD;
    }
    return NX_SUCCESS;
}

/* Release the command's packet and map what the core call returned. */
static UINT run(NX_POP3_CLIENT *c, NX_PACKET *cmd, pop3_status st)
{
    nx_packet_release(cmd);
    return nx__finish(c, st);
}

/* Octets of a command with one numeric argument: "VERB n\r\n". */
static size_t num_command(UINT n)
{
    size_t len = 4 + 1 + 2;

    do {
        len++;
        n /= 10;
    } while (n != 0);
    return len;
}

static int connected(const NX_POP3_CLIENT *c)
{
    return c->nx_pop3_client_session != NULL &&
           pop3_get_state(c->nx_pop3_client_session) ==
               POP3_STATE_TRANSACTION;
}

/*
 * What every transaction service does after its pointer checks: refuse a
 * block that is not a created client, or a session that is gone, then
 * end a retrieval in progress so the next command has the line to itself.
 */
static UINT begin(NX_POP3_CLIENT *c)
{
    UINT st = NX_SUCCESS;

    if (c->nx_pop3_client_id != NX_POP3_CLIENT_ID)
        return NX_PTR_ERROR;
    if (!connected(c))
        return NX_NOT_CONNECTED;
    if (c->nx_pop3_client_ready_to_download && !c->nx_pop3_client_body_done)
        st = nx__finish(c, pop3_discard(c->nx_pop3_client_session));
    end_body(c);
    return st;
}

/* ------------------------------------------------------------------------
 * Create and delete.
 */

/* A user name or password: at most max octets, no CR or LF (they would
 * end the command early and let the rest be read as another). */
static int credential_ok(const CHAR *s, size_t max, int may_be_empty)
{
    size_t n;

    for (n = 0; n <= max && s[n] != '\0'; n++)
        if (s[n] == '\r' || s[n] == '\n')
            return 0;
    return n <= max && (n > 0 || may_be_empty);
}

/* The server's address as text for the core's connect; -1 if invalid. */
static int address_text(const NXD_ADDRESS *a, char *buf, socklen_t size)
{
    unsigned char b[16];
    int i, words, nonzero = 0;

    if (a->nxd_ip_version == NX_IP_VERSION_V4)
        words = 1;
    else if (a->nxd_ip_version == NX_IP_VERSION_V6)
        words = 4;
    else
        return -1;
    for (i = 0; i < words; i++) {
        ULONG w = words == 1 ? a->nxd_ip_address.v4 : a->nxd_ip_address.v6[i];
        if ((w >> 16) >> 16 != 0) /* more than 32 bits in a word */
            return -1;
        nonzero |= w != 0;
        b[4 * i] = (unsigned char)(w >> 24);
        b[4 * i + 1] = (unsigned char)(w >> 16);
        b[4 * i + 2] = (unsigned char)(w >> 8);
        b[4 * i + 3] = (unsigned char)w;
    }
    if (!nonzero)
        return -1;
    return inet_ntop(words == 1 ? AF_INET : AF_INET6, b, buf, size) ? 0 : -1;
}

/* APOP when asked for and offered, falling back to USER/PASS on -ERR as
 * upstream does; a refused USER/PASS is a failure (upstream let a wrong
 * password through). */
static UINT log_in(NX_POP3_CLIENT *c, const char *name, const char *pass)
{
    pop3_client *s = c->nx_pop3_client_session;
    size_t nlen = strlen(name), plen = strlen(pass);
    NX_PACKET *cmd;
    pop3_status ps;
    pop3_family fam;
    UINT st;

    if (c->nx_pop3_client_enable_APOP_authentication &&
        pop3_apop_timestamp(s) != NULL) {
        st = command_packet(c, 5 + nlen + 1 + 32 + 2, &cmd);
        if (st != NX_SUCCESS)
            return st;
        ps = pop3_apop(s, name, pass);
        nx_packet_release(cmd);
        if (ps == POP3_E_UNSUPPORTED)
            return NX_POP3_APOP_FAILED_MD5_DIGEST;
        fam = pop3_status_family(ps);
        if (fam != POP3_FAMILY_SERVER && fam != POP3_FAMILY_AUTH)
            return nx__finish(c, ps);
    } else {
        /* No timestamp: the server does not do APOP (as upstream). */
        c->nx_pop3_client_enable_APOP_authentication = NX_FALSE;
    }
    st = command_packet(c, 5 + (nlen > plen ? nlen : plen) + 2, &cmd);
    if (st != NX_SUCCESS)
        return st;
    return run(c, cmd, pop3_login(s, name, pass));
}

static UINT create(NX_POP3_CLIENT *c, UINT apop, NX_IP *ip,
                   NX_PACKET_POOL *pool, NXD_ADDRESS *server, ULONG port,
                   CHAR *name, CHAR *password)
{
    char host[INET6_ADDRSTRLEN];
    pop3_options o;
    pop3_client *s = NULL;
    pop3_status ps;

    if (ip->nx_ip_id != NX_IP_ID)
        return NX_POP3_PARAM_ERROR; /* upstream's check */
    if (!nx__pool_ok(pool))
        return NX_PTR_ERROR;
    if (!ip->nx_ip_tcp_enabled)
        return NX_NOT_ENABLED;
    if (port == 0 || port > 65535 ||
        address_text(server, host, sizeof host) != 0 ||
        !credential_ok(name, NX_POP3_MAX_USERNAME, 0) ||
        !credential_ok(password, NX_POP3_MAX_PASSWORD, 1))
        return NX_POP3_PARAM_ERROR;

    c->nx_pop3_client_ip_ptr = ip;
    c->nx_pop3_client_packet_pool_ptr = pool;
    c->nx_pop3_client_enable_APOP_authentication = apop ? NX_TRUE : NX_FALSE;
    c->nx_pop3_client_ip_version = (UINT)server->nxd_ip_version;

    /* NetX's client speaks cleartext only; so does this layer. */
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.connect_timeout_ms = nx__ticks_to_ms(NX_POP3_CLIENT_CONNECTION_TIMEOUT);
    o.io_timeout_ms = nx__ticks_to_ms(NX_POP3_SERVER_REPLY_TIMEOUT);
    ps = pop3_client_new(&o, &s);
    if (ps != POP3_OK)
        return nx__status(ps);
    c->nx_pop3_client_session = s;
    ps = pop3_connect(s, host, (unsigned int)port);
    if (ps != POP3_OK)
        return nx__status(ps);
    return log_in(c, name, password);
}

UINT nxd_pop3_client_create(NX_POP3_CLIENT *client_ptr,
                            UINT APOP_authentication, NX_IP *ip_ptr,
                            NX_PACKET_POOL *packet_pool_ptr,
                            NXD_ADDRESS *server_duo_address,
                            ULONG server_port, CHAR *client_name,
                            CHAR *client_password)
{
    UINT st;

    if (client_ptr == NULL)
        return NX_PTR_ERROR;
    /* Reusing a live block would leak its session and socket. */
    if (client_ptr->nx_pop3_client_id == NX_POP3_CLIENT_ID &&
        client_ptr->nx_pop3_client_session != NULL)
        return NX_POP3_CLIENT_INVALID_STATE;
    /* Mark the block created first, so delete works after any failure. */
    memset(client_ptr, 0, sizeof *client_ptr);
    client_ptr->nx_pop3_client_id = NX_POP3_CLIENT_ID;
    if (ip_ptr == NULL || packet_pool_ptr == NULL ||
        server_duo_address == NULL || client_name == NULL ||
        client_password == NULL)
        return NX_PTR_ERROR;

    st = create(client_ptr, APOP_authentication, ip_ptr, packet_pool_ptr,
                server_duo_address, server_port, client_name,
                client_password);
    if (st != NX_SUCCESS) {
        /* Undo everything: no socket or session outlives a failure. */
        pop3_client_free(client_ptr->nx_pop3_client_session);
        client_ptr->nx_pop3_client_session = NULL;
        end_body(client_ptr);
    }
    return st;
}

UINT nx_pop3_client_create(NX_POP3_CLIENT *client_ptr,
                           UINT APOP_authentication, NX_IP *ip_ptr,
                           NX_PACKET_POOL *packet_pool_ptr,
                           ULONG server_ip_address, ULONG server_port,
                           CHAR *client_name, CHAR *client_password)
{
    NXD_ADDRESS a;

    memset(&a, 0, sizeof a);
    a.nxd_ip_version = NX_IP_VERSION_V4;
    a.nxd_ip_address.v4 = server_ip_address;
    return nxd_pop3_client_create(client_ptr, APOP_authentication, ip_ptr,
                                  packet_pool_ptr, &a, server_port,
                                  client_name, client_password);
}

UINT nx_pop3_client_delete(NX_POP3_CLIENT *client_ptr)
{
    if (client_ptr == NULL || client_ptr->nx_pop3_client_id !=
                                  NX_POP3_CLIENT_ID)
        return NX_PTR_ERROR;
    /* Closes without QUIT: the server commits no deletion. */
    pop3_client_free(client_ptr->nx_pop3_client_session);
    memset(client_ptr, 0, sizeof *client_ptr);
    return NX_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Transaction services.
 */

UINT nx_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr,
                                   UINT *number_mail_items,
                                   ULONG *maildrop_total_size)
{
    uint64_t count = 0, size = 0;
    NX_PACKET *cmd;
    UINT st;

    if (client_ptr == NULL || number_mail_items == NULL ||
        maildrop_total_size == NULL)
        return NX_PTR_ERROR;
    *number_mail_items = 0;
    *maildrop_total_size = 0;
    st = begin(client_ptr);
    if (st == NX_SUCCESS)
        st = command_packet(client_ptr, sizeof "STAT\r\n" - 1, &cmd);
    if (st != NX_SUCCESS)
        return st;
    /* The old bound is gone once STAT is sent, whatever the answer. */
    client_ptr->nx_pop3_client_maildrop_items = 0;
    client_ptr->nx_pop3_client_total_message_size = 0;
    st = run(client_ptr, cmd,
             pop3_stat(client_ptr->nx_pop3_client_session, &count, &size));
    if (st != NX_SUCCESS)
        return st;
    if (count > UINT_MAX || (uint64_t)(ULONG)size != size)
        return NX_POP3_SERVER_ERROR_STATUS;
    client_ptr->nx_pop3_client_maildrop_items = (UINT)count;
    client_ptr->nx_pop3_client_total_message_size = (ULONG)size;
    *number_mail_items = (UINT)count;
    *maildrop_total_size = (ULONG)size;
    return NX_SUCCESS;
}

/* The checks and the command packet every one-message service starts
 * with: index 1 or more, a session, and within the last STAT's count. */
static UINT begin_item(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                       NX_PACKET **cmd)
{
    UINT st;

    if (mail_item == 0)
        return NX_POP3_CLIENT_INVALID_INDEX;
    st = begin(client_ptr);
    if (st == NX_SUCCESS &&
        mail_item > client_ptr->nx_pop3_client_maildrop_items)
        st = NX_POP3_INVALID_MAIL_ITEM;
    if (st == NX_SUCCESS)
        st = command_packet(client_ptr, num_command(mail_item), cmd);
    return st;
}

UINT nx_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr,
                                       UINT mail_item, ULONG *size)
{
    uint64_t value = 0;
    NX_PACKET *cmd;
    UINT st;

    if (client_ptr == NULL || size == NULL)
        return NX_PTR_ERROR;
    *size = 0;
    st = begin_item(client_ptr, mail_item, &cmd);
    if (st != NX_SUCCESS)
        return st;
    st = run(client_ptr, cmd,
             pop3_list_one(client_ptr->nx_pop3_client_session, mail_item,
                           &value));
    if (st != NX_SUCCESS)
        return st;
    if ((uint64_t)(ULONG)value != value)
        return NX_POP3_SERVER_ERROR_STATUS;
    *size = (ULONG)value;
    return NX_SUCCESS;
}

/* The size in "+OK 1234 octets"; 0 when the text does not start with a
 * number that fits (the size there is only advice, RFC 1939 7). */
static ULONG reply_size(const char *text)
{
    ULONG n = 0;

    for (; *text >= '0' && *text <= '9'; text++) {
        if (n > (ULONG_MAX - (ULONG)(*text - '0')) / 10)
            return 0;
        n = n * 10 + (ULONG)(*text - '0');
    }
    return n;
}

UINT nx_pop3_client_mail_item_get(NX_POP3_CLIENT *client_ptr,
                                  UINT mail_item, ULONG *item_size)
{
    NX_PACKET *cmd;
    UINT st;

    if (client_ptr == NULL || item_size == NULL)
        return NX_PTR_ERROR;
    *item_size = 0;
    st = begin_item(client_ptr, mail_item, &cmd);
    if (st != NX_SUCCESS)
        return st;
    st = run(client_ptr, cmd,
             pop3_retr_begin(client_ptr->nx_pop3_client_session, mail_item));
    if (st != NX_SUCCESS)
        return st;
    *item_size =
        reply_size(pop3_server_text(client_ptr->nx_pop3_client_session));
    client_ptr->nx_pop3_client_maildrop_index = mail_item;
    client_ptr->nx_pop3_client_ready_to_download = NX_TRUE;
    client_ptr->nx_pop3_client_line_start = NX_TRUE;
    client_ptr->nx_pop3_client_dot_added = NX_FALSE;
    client_ptr->nx_pop3_client_tail_sent = 0;
    return NX_SUCCESS;
}

UINT nx_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr,
                                     UINT mail_index)
{
    NX_PACKET *cmd;
    UINT st;

    if (client_ptr == NULL)
        return NX_PTR_ERROR;
    if (mail_index == 0)
        return NX_POP3_CLIENT_INVALID_INDEX;
    /* Like upstream, no bound from STAT here: the server checks. */
    st = begin(client_ptr);
    if (st == NX_SUCCESS)
        st = command_packet(client_ptr, num_command(mail_index), &cmd);
    if (st != NX_SUCCESS)
        return st;
    return run(client_ptr, cmd,
               pop3_dele(client_ptr->nx_pop3_client_session, mail_index));
}

UINT nx_pop3_client_quit(NX_POP3_CLIENT *client_ptr)
{
    NX_PACKET *cmd;
    UINT st;

    if (client_ptr == NULL)
        return NX_PTR_ERROR;
    st = begin(client_ptr);
    if (st == NX_SUCCESS)
        st = command_packet(client_ptr, sizeof "QUIT\r\n" - 1, &cmd);
    if (st != NX_SUCCESS)
        return st;
    /* The core closes the connection after QUIT, whatever the reply. */
    return run(client_ptr, cmd, pop3_quit(client_ptr->nx_pop3_client_session));
}
