/*
 * The NetX Duo POP3 Client demo, ported to libpop3's NetX-style API on
 * Linux.  The POP3 part (demo_thread_entry) follows the upstream demo's
 * flow call for call: create (and log in, with APOP if offered), count
 * the mail, then for each item RETR, the packet loop until final_packet
 * releasing every packet, DELE; then QUIT and delete.
 *
 * What the port changed, as docs/netx.md describes:
 *   - the ThreadX set-up (tx_kernel_enter, tx_application_define,
 *     tx_thread_create) became main() and one POSIX thread;
 *   - the IP instance needs no driver, ARP or ICMP, and no thread stack;
 *   - the server, user and password come from the command line and the
 *     environment instead of compile-time addresses;
 *   - the tx_thread_sleep() pauses are gone (there is no IP thread to
 *     wait for), and message data is printed with its length, since a
 *     packet's data is not NUL-terminated.
 *
 *   netx_pop3_demo SERVER_IPV4 PORT USER     (password from $POP3_PASSWORD)
 *
 * It deletes every message it reads: run it against a test maildrop,
 * e.g. with examples/netx/run-demo.sh.
 */
#include <pop3/nx_pop3_client.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Use the maximum size payload to ensure no packets are dropped. */
#define PAYLOAD_SIZE 1460

/* The POP3 client, its packet pool and IP instance, as upstream has. */
static NX_POP3_CLIENT demo_client;
static NX_PACKET_POOL client_packet_pool;
static NX_IP client_ip;
static ULONG pool_memory[(PAYLOAD_SIZE * 10) / sizeof(ULONG)];

/* What upstream compiled in (SERVER_ADDRESS, SERVER_PORT, LOCALHOST,
 * LOCALHOST_PASSWORD), read at start-up instead. */
static ULONG server_address;
static ULONG server_port;
static CHAR *client_user;
static CHAR *client_password;
static int demo_failed;

static void demo_thread_entry(ULONG info);

static void *demo_thread(void *arg)
{
    (void)arg;
    demo_thread_entry(0);
    return NULL;
}

int main(int argc, char **argv)
{
    struct in_addr a;
    pthread_t thread;
    UINT status;

    client_password = getenv("POP3_PASSWORD");
    if (argc != 4 || inet_pton(AF_INET, argv[1], &a) != 1 ||
        client_password == NULL) {
        fprintf(stderr, "usage: POP3_PASSWORD=... netx_pop3_demo "
                        "SERVER_IPV4 PORT USER\n");
        return 2;
    }
    server_address = (ULONG)ntohl(a.s_addr);
    server_port = strtoul(argv[2], NULL, 10);
    client_user = argv[3];

    /* Create Client packet pool. */
    status = nx_packet_pool_create(&client_packet_pool,
                                   "POP3 Client Packet Pool", PAYLOAD_SIZE,
                                   pool_memory, sizeof pool_memory);
    if (status != NX_SUCCESS)
        return 1;

    /* Create IP instance for demo Client: no driver, stack or priority
     * (the OS routes), and no ARP or ICMP to enable. */
    status = nx_ip_create(&client_ip, "POP3 Client IP Instance",
                          IP_ADDRESS(127, 0, 0, 1), 0xFF000000UL,
                          &client_packet_pool, NX_NULL, NX_NULL, 0, 1);
    if (status != NX_SUCCESS)
        return 1;

    /* Enable TCP for Client IP. */
    nx_tcp_enable(&client_ip);

    /* The client thread, as tx_thread_create started it. */
    if (pthread_create(&thread, NULL, demo_thread, NULL) != 0)
        return 1;
    pthread_join(thread, NULL);

    nx_ip_delete(&client_ip);
    nx_packet_pool_delete(&client_packet_pool);
    return demo_failed;
}

/* Define the application thread entry function. */
static void demo_thread_entry(ULONG info)
{
    UINT status;
    UINT mail_item, number_mail_items;
    UINT bytes_downloaded = 0;
    UINT final_packet = NX_FALSE;
    ULONG total_size, mail_item_size, bytes_retrieved;
    NX_PACKET *packet_ptr;

    (void)info;

    /* Create a POP3 Client instance; it logs in before returning.
       Its password is also its APOP shared secret. */
    status = nx_pop3_client_create(&demo_client,
                                   NX_TRUE /* try APOP first */,
                                   &client_ip, &client_packet_pool,
                                   server_address, server_port,
                                   client_user, client_password);

    /* Check for error. */
    if (status != NX_SUCCESS) {
        printf("Create failed: status 0x%02X\n", status);
        nx_pop3_client_delete(&demo_client);
        demo_failed = 1;
        return;
    }

    /* Find out how many items are in our mailbox.  */
    status = nx_pop3_client_mail_items_get(&demo_client, &number_mail_items,
                                           &total_size);

    printf("Got %u mail items, total size %lu\n", number_mail_items,
           total_size);

    /* If nothing in the mailbox, disconnect. */
    if (status != NX_SUCCESS || number_mail_items == 0) {
        demo_failed = status != NX_SUCCESS;
        nx_pop3_client_delete(&demo_client);
        return;
    }

    /* Download all mail items.  */
    mail_item = 1;

    while (mail_item <= number_mail_items) {

        /* This submits a RETR request and gets the mail message size. */
        status = nx_pop3_client_mail_item_get(&demo_client, mail_item,
                                              &mail_item_size);
        if (status != NX_SUCCESS) {
            printf("RETR %u failed: status 0x%02X\n", mail_item, status);
            demo_failed = 1;
            break;
        }
        printf("Item %u: %lu bytes\n", mail_item, mail_item_size);

        /* Loop to get the next mail message packet until the mail item
           is completely downloaded. */
        do {
            status = nx_pop3_client_mail_item_message_get(
                &demo_client, &packet_ptr, &bytes_retrieved, &final_packet);

            if (status != NX_SUCCESS) {
                demo_failed = 1;
                break;
            }

            if (bytes_retrieved != 0) {
                printf("Received %lu bytes of data for item %u: %.*s\n",
                       packet_ptr->nx_packet_length, mail_item,
                       (int)packet_ptr->nx_packet_length,
                       (char *)packet_ptr->nx_packet_prepend_ptr);
            }

            nx_packet_release(packet_ptr);

            /* Determine if this is the last data packet. */
            if (final_packet) {
                /* It is. Let the server know it can delete this item. */
                status = nx_pop3_client_mail_item_delete(&demo_client,
                                                         mail_item);

                if (status != NX_SUCCESS) {
                    demo_failed = 1;
                    break;
                }
            }

            /* Keep track of how much mail message data is left. */
            bytes_downloaded += bytes_retrieved;

        } while (final_packet == NX_FALSE);

        /* Get the next mail item. */
        mail_item++;
    }

    printf("Downloaded %u bytes\n", bytes_downloaded);

    /* Disconnect from the POP3 server: QUIT commits the deletions. */
    status = nx_pop3_client_quit(&demo_client);
    if (status != NX_SUCCESS)
        demo_failed = 1;

    /* Delete the POP3 Client.  This does not delete the packet pool used
       by the POP3 Client to transmit messages. */
    nx_pop3_client_delete(&demo_client);
}
