/*
 * Fuzz target: the protocol engine.  The first input byte picks the
 * sequence of replies expected, the second a read size; the rest is what
 * the server sent.  The events under that segmentation must equal the
 * events when everything arrives at once (a differential check), and no
 * span may point outside the buffer.
 */
#include "engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CAP 4096

typedef struct sink {
    unsigned char digest[CAP * 2];
    size_t len;
    int error;
} sink;

static void add(sink *s, const void *d, size_t n)
{
    size_t i;
    /* Keep the transcript bounded: fold into the buffer cyclically. */
    for (i = 0; i < n; i++) {
        s->digest[s->len % sizeof s->digest] ^= ((const unsigned char *)d)[i];
        s->len++;
    }
}

static void check_span(const char *p, size_t n, const char *lo, size_t cap,
                       const char *held, size_t held_cap)
{
    int in_buf = p >= lo && p + n <= lo + cap;
    int in_held = p >= held && p + n <= held + held_cap;
    if (n > 0 && !in_buf && !in_held)
        abort();
}

static void run(const uint8_t *data, size_t size, size_t step,
                const pop3_expect *plan, size_t nplan, sink *out)
{
    char *buf = malloc(CAP);
    size_t start = 0, end = 0, fed = 0, e = 0;
    pop3_engine eng;
    int guard = 0;

    pop3_engine_init(&eng, 512);
    pop3_engine_expect(&eng, plan[e++]);
    memset(out, 0, sizeof *out);
    while (guard++ < 1000000) {
        size_t used;
        pop3_event ev;
        pop3_status st = pop3_engine_feed(&eng, buf + start, end - start,
                                          &used, &ev);
        if (st != POP3_OK) {
            out->error = (int)st;
            break;
        }
        if (used > end - start)
            abort();
        check_span(ev.text, ev.text_len, buf, CAP, eng.held,
                   sizeof eng.held);
        start += used;
        if (ev.type == POP3_EV_NEED_MORE) {
            size_t n;
            if (fed == size)
                break;
            memmove(buf, buf + start, end - start);
            end -= start;
            start = 0;
            n = size - fed < step ? size - fed : step;
            if (n > CAP - end)
                n = CAP - end;
            if (n == 0)
                abort(); /* a line longer than the buffer was accepted */
            memcpy(buf + end, data + fed, n);
            end += n;
            fed += n;
            continue;
        }
        /* Chunk boundaries follow the reads, so only their bytes count. */
        if (ev.type != POP3_EV_CHUNK)
            add(out, &ev.type, sizeof ev.type);
        if (ev.type == POP3_EV_STATUS)
            add(out, &ev.reply, sizeof ev.reply);
        add(out, ev.text, ev.text_len);
        if (eng.expect == POP3_EXPECT_NOTHING) {
            if (e == nplan)
                break;
            pop3_engine_expect(&eng, plan[e++]);
        }
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pop3_expect kinds[] = {
        POP3_EXPECT_STATUS, POP3_EXPECT_STATUS_LINES,
        POP3_EXPECT_STATUS_BODY, POP3_EXPECT_STATUS_CONT};
    pop3_expect plan[8];
    sink *whole, *split;
    size_t i, step;

    if (size < 2)
        return 0;
    for (i = 0; i < 8; i++)
        plan[i] = kinds[(data[0] >> (i % 4 * 2)) & 3];
    step = (size_t)data[1] % 64 + 1;
    data += 2;
    size -= 2;

    whole = malloc(sizeof *whole);
    split = malloc(sizeof *split);
    run(data, size, CAP, plan, 8, whole);
    run(data, size, step, plan, 8, split);
    /* Same events, same bytes, same error, whatever the segmentation.
     * (A line over 512 octets fails in both; chunk splits are hashed
     * byte by byte so their boundaries do not matter.) */
    if (whole->error != split->error || whole->len != split->len ||
        memcmp(whole->digest, split->digest, sizeof whole->digest) != 0)
        abort();
    free(whole);
    free(split);
    return 0;
}
