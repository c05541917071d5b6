/*
 * Absolute deadlines on the monotonic clock.  An operation computes its
 * deadline once; every wait gets only the time that remains, so a server
 * trickling bytes cannot stretch it.
 */
#ifndef POP3_DEADLINE_H
#define POP3_DEADLINE_H

#include <stdint.h>

typedef struct pop3_deadline {
    int64_t at_ms; /* monotonic milliseconds; INT64_MAX: never */
} pop3_deadline;

/* A deadline `timeout_ms` from now; a negative timeout means never. */
pop3_deadline pop3_deadline_in(int timeout_ms);

/* Milliseconds left, clamped to [0, INT32_MAX] for poll(); -1: never. */
int pop3_deadline_left(const pop3_deadline *dl);

#endif /* POP3_DEADLINE_H */
