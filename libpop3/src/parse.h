/* Fields of POP3 replies and listing lines (RFC 1939 5, 7). */
#ifndef POP3_PARSE_H
#define POP3_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* "N SIZE[ anything]": two decimal numbers.  0 on success, -1 if not. */
int pop3_parse_num_size(const char *s, size_t len, uint64_t *n_out,
                        uint64_t *size_out);

/* "N UID": a number and a UID of 1-70 octets in 0x21-0x7E, then the end
 * of the line.  *uid_out points into s.  0 on success, -1 if not. */
int pop3_parse_num_uid(const char *s, size_t len, uint64_t *n_out,
                       const char **uid_out, size_t *uid_len_out);

/* A message number that fits an unsigned int and is not 0. */
int pop3_msg_ok(uint64_t n);

#endif /* POP3_PARSE_H */
