/*
 * Fuzz target: the field parsers for STAT/LIST and UIDL replies.  Any
 * accepted UID must satisfy the rules (1-70 octets of 0x21-0x7E) and any
 * accepted number must round-trip.
 */
#include "engine.h"
#include "parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    uint64_t n, sz;
    unsigned long long v;
    const char *uid;
    size_t len, i;

    if (pop3_parse_num_uid(s, size, &n, &uid, &len) == 0) {
        if (len < 1 || len > 70 || uid < s || uid + len > s + size)
            abort();
        for (i = 0; i < len; i++)
            if ((unsigned char)uid[i] < 0x21 || (unsigned char)uid[i] > 0x7e)
                abort();
    }
    if (pop3_parse_num_size(s, size, &n, &sz) == 0 && size == 0)
        abort();
    if (pop3_parse_u64(s, size, &v) == 0) {
        /* Every accepted string is all digits. */
        for (i = 0; i < size; i++)
            if (s[i] < '0' || s[i] > '9')
                abort();
    }
    return 0;
}
