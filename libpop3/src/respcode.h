/*
 * Response codes (RFC 2449 8, RFC 3206, RFC 6856): the "[CODE]" after
 * +OK or -ERR, and what a -ERR with each code means for the caller.
 * Pure functions over bytes.
 */
#ifndef POP3_RESPCODE_H
#define POP3_RESPCODE_H

#include <stddef.h>

#include "pop3/pop3.h"

/* The longest code kept, without brackets; longer ones are not codes. */
#define POP3_MAX_RESP_CODE 63

/* 1 when s[0..n) is a well-formed code without its brackets:
 * resp-level *("/" resp-level), resp-level = 1*rchar, rchar = any
 * printable ASCII but "/" and "]" (RFC 2449 9), at most
 * POP3_MAX_RESP_CODE octets.  Else 0. */
int pop3_resp_code_valid(const char *s, size_t n);

/* pop3_resp_code_status() (pop3.h) maps a -ERR's code to a status. */

#endif /* POP3_RESPCODE_H */
