/*
 * Strict base64 (RFC 4648 section 4) over OpenSSL's EVP block coder, for
 * SASL (RFC 5034 4).  The decoder accepts only canonical input: a length
 * that is a multiple of 4, the standard alphabet, at most two "=" and
 * only at the end, and zero padding bits -- no whitespace, no line
 * breaks.  Anything else is an error, never a guess (fetchmail
 * CVE-2012-3482 decoded -ERR text as a challenge).
 */
#ifndef POP3_BASE64_H
#define POP3_BASE64_H

#include <stddef.h>

/* The longest input either function takes: far above any SASL message,
 * and small enough that no size computation can overflow, even where
 * size_t or int has 32 bits (curl CVE-2016-8617). */
#define POP3_B64_MAX_INPUT (1u << 20)

/* Encoded length of n bytes, without the NUL. */
size_t pop3_b64_encoded_len(size_t n);

/* Encode in[0..n) into out with a terminating NUL; out must hold
 * pop3_b64_encoded_len(n) + 1 bytes.  0 on success, -1 when n is over
 * POP3_B64_MAX_INPUT or cap is too small. */
int pop3_b64_encode(const unsigned char *in, size_t n, char *out,
                    size_t cap);

/* Decode in[0..n) into out (n / 4 * 3 bytes suffice); *len_out is the
 * decoded length.  0 on success, -1 for any non-canonical input. */
int pop3_b64_decode(const char *in, size_t n, unsigned char *out,
                    size_t cap, size_t *len_out);

#endif /* POP3_BASE64_H */
