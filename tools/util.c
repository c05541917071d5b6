/* Small helpers the commands share. */
#include "pop3tool.h"

#include <limits.h>
#include <unistd.h>

unsigned int tool_msg_number(const char *s)
{
    unsigned long v = 0;

    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > UINT_MAX)
            return 0;
    }
    return (unsigned int)v;
}

const char *tool_human_size(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;

    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

int tool_isatty(FILE *f)
{
    return isatty(fileno(f));
}
