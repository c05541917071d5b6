/*
 * A progress bar on stderr: messages, bytes, rate and time left.  Drawn
 * at most ten times a second, so it costs nothing next to the network.
 */
#include "pop3tool.h"

#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tool_progress_init(tool_progress *p, int enabled, unsigned int msgs,
                        uint64_t bytes)
{
    p->enabled = enabled;
    p->drawn = 0;
    p->msgs_total = msgs;
    p->msgs_done = 0;
    p->bytes_total = bytes;
    p->bytes_done = 0;
    p->start = p->last = now();
}

static void draw(tool_progress *p, int force)
{
    char done[32], total[32], rate[32], eta[32] = "--:--";
    double t = now(), elapsed = t - p->start, bps;
    int width = 24, filled = 0, i;

    if (!p->enabled || (!force && t - p->last < 0.1))
        return;
    p->last = t;
    bps = elapsed > 0.05 ? (double)p->bytes_done / elapsed : 0;
    if (p->bytes_total > 0) {
        uint64_t shown = p->bytes_done < p->bytes_total ? p->bytes_done
                                                        : p->bytes_total;
        filled = (int)((double)shown * width / (double)p->bytes_total);
        if (bps > 0) {
            double left = (double)(p->bytes_total - shown) / bps;
            snprintf(eta, sizeof eta, "%d:%02d", (int)(left / 60),
                     (int)left % 60);
        }
    }
    fputs("\r[", stderr);
    for (i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', stderr);
    if (bps > 0)
        tool_human_size((uint64_t)bps, rate, sizeof rate);
    else
        snprintf(rate, sizeof rate, "--"); /* too early to tell */
    fprintf(stderr, "] %u/%u msgs  %s/%s  %s/s  ETA %s\033[K", p->msgs_done,
            p->msgs_total, tool_human_size(p->bytes_done, done, sizeof done),
            tool_human_size(p->bytes_total, total, sizeof total), rate, eta);
    fflush(stderr);
    p->drawn = 1;
}

void tool_progress_bytes(tool_progress *p, size_t n)
{
    p->bytes_done += n;
    draw(p, 0);
}

void tool_progress_msg(tool_progress *p)
{
    p->msgs_done++;
    draw(p, 1);
}

void tool_progress_clear(tool_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = 0;
        p->last = 0; /* redraw at the next update */
    }
}
