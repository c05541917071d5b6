/* Deadlines on CLOCK_MONOTONIC, immune to wall-clock changes. */
#include "deadline.h"

#include <limits.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pop3_deadline pop3_deadline_in(int timeout_ms)
{
    pop3_deadline dl;
    dl.at_ms = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
    return dl;
}

int pop3_deadline_left(const pop3_deadline *dl)
{
    int64_t left;

    if (dl->at_ms == INT64_MAX)
        return -1;
    left = dl->at_ms - now_ms();
    if (left < 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}
