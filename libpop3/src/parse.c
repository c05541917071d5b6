/* Strict field parsing: every number checked for overflow, every UID for
 * length and charset, so a hostile listing cannot smuggle in a path, a
 * control character or a huge allocation. */
#include "parse.h"

#include <limits.h>
#include <string.h>

#include "client.h"
#include "engine.h"

int pop3_msg_ok(uint64_t n)
{
    return n >= 1 && n <= UINT_MAX;
}

/* Length of the run of digits at s (at most len). */
static size_t digits(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

int pop3_parse_num_size(const char *s, size_t len, uint64_t *n_out,
                        uint64_t *size_out)
{
    unsigned long long n, size;
    size_t a = digits(s, len), b;

    if (a == 0 || a >= len || s[a] != ' ' ||
        pop3_parse_u64(s, a, &n) != 0)
        return -1;
    b = digits(s + a + 1, len - a - 1);
    if (b == 0 || pop3_parse_u64(s + a + 1, b, &size) != 0)
        return -1;
    /* RFC 1939 leaves room for more after the size, separated by space. */
    if (a + 1 + b < len && s[a + 1 + b] != ' ')
        return -1;
    *n_out = n;
    *size_out = size;
    return 0;
}

int pop3_parse_num_uid(const char *s, size_t len, uint64_t *n_out,
                       const char **uid_out, size_t *uid_len_out)
{
    unsigned long long n;
    size_t a = digits(s, len), i;

    if (a == 0 || a >= len || s[a] != ' ' ||
        pop3_parse_u64(s, a, &n) != 0)
        return -1;
    s += a + 1;
    len -= a + 1;
    if (len == 0 || len > POP3_MAX_UID)
        return -1;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return -1;
    *n_out = n;
    *uid_out = s;
    *uid_len_out = len;
    return 0;
}
