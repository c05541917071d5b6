/*
 * What the NetX-style files share: the ids that mark a created control
 * block, tick conversion, and the client helpers message_get needs.
 * Private to the library.
 */
#ifndef POP3_NX_INTERNAL_H
#define POP3_NX_INTERNAL_H

#include "pop3/nx_pop3_client.h"

/* Set in a control block from create to delete, so a NULL, never-created
 * or deleted block is refused with NX_PTR_ERROR instead of being used. */
#define NX_PACKET_POOL_ID 0x5041434BUL /* "PACK" */
#define NX_IP_ID 0x49502020UL          /* "IP  " */
#define NX_POP3_CLIENT_ID 0x504F5033UL /* "POP3" */

/* Ticks to milliseconds for the core's options and for waits; -1 for
 * NX_WAIT_FOREVER. */
int nx__ticks_to_ms(ULONG ticks);

/* Whether a pool was created and not deleted. */
int nx__pool_ok(const NX_PACKET_POOL *pool);

/* The NetX status for a core status. */
UINT nx__status(pop3_status st);

/*
 * Finish a core call: map its status, and after a failure that leaves no
 * usable session (I/O, timeout, protocol) close the connection and end
 * any retrieval, so later calls say NX_NOT_CONNECTED.
 */
UINT nx__finish(NX_POP3_CLIENT *c, pop3_status st);

/* The header room (packet_type) for packets of this client's session. */
ULONG nx__packet_type(const NX_POP3_CLIENT *c);

#endif /* POP3_NX_INTERNAL_H */
