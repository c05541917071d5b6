/*
 * POP URLs: RFC 2384 pop://[user[;AUTH=mech]@]host[:port], and the
 * pop3:// and pop3s:// forms people know from curl.  A password in the URL
 * is refused: it would be visible to every user of the machine (ps).
 */
#include "pop3tool.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode n bytes; NULL on a bad escape or a control character
 * (which could only be an attempt to inject a command). */
static char *decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t i, j = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            free(out);
            return NULL;
        }
        out[j++] = (char)c;
    }
    out[j] = '\0';
    return out;
}

static int fail(char *err, size_t err_len, const char *msg)
{
    snprintf(err, err_len, "%s", msg);
    return -1;
}

/* host[:port] or [v6][:port], up to `end`. */
static int parse_hostport(const char *s, const char *end, tool_url *url,
                          char *err, size_t err_len)
{
    const char *host_end, *port = NULL;

    if (*s == '[') {
        host_end = memchr(s, ']', (size_t)(end - s));
        if (host_end == NULL)
            return fail(err, err_len, "unclosed '[' in the host");
        s++;
        if (host_end + 1 < end) {
            if (host_end[1] != ':')
                return fail(err, err_len, "junk after ']' in the host");
            port = host_end + 2;
        }
    } else {
        host_end = memchr(s, ':', (size_t)(end - s));
        if (host_end != NULL)
            port = host_end + 1;
        else
            host_end = end;
    }
    if (host_end == s)
        return fail(err, err_len, "no host name");
    if ((url->host = decode(s, (size_t)(host_end - s))) == NULL ||
        strpbrk(url->host, "@/ ") != NULL)
        return fail(err, err_len, "bad host name");
    if (port != NULL) {
        unsigned long v = 0;
        const char *p;

        if (port == end)
            return fail(err, err_len, "empty port");
        for (p = port; p < end; p++) {
            if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned)(*p - '0')) >
                                            65535)
                return fail(err, err_len, "bad port number");
        }
        if (v == 0)
            return fail(err, err_len, "bad port number");
        url->port = (unsigned int)v;
    }
    return 0;
}

/* user[;AUTH=mech], up to `end`. */
static int parse_userinfo(const char *s, const char *end, tool_url *url,
                          char *err, size_t err_len)
{
    const char *semi = memchr(s, ';', (size_t)(end - s));
    const char *user_end = semi ? semi : end;

    if (memchr(s, ':', (size_t)(user_end - s)) != NULL)
        return fail(err, err_len,
                    "a password in the URL would be visible to other users;"
                    " use --password-file, POP3_PASSWORD, ~/.netrc or the"
                    " prompt");
    if (user_end > s && (url->user = decode(s, (size_t)(user_end - s))) ==
                            NULL)
        return fail(err, err_len, "bad user name in the URL");
    if (semi != NULL) {
        if ((size_t)(end - semi) < 6 || strncasecmp(semi, ";AUTH=", 6) != 0)
            return fail(err, err_len, "expected ;AUTH=mechanism after the"
                                      " user name");
        if ((url->auth = decode(semi + 6, (size_t)(end - semi - 6))) ==
                NULL ||
            url->auth[0] == '\0')
            return fail(err, err_len, "bad ;AUTH= value");
    }
    return 0;
}

int tool_url_parse(const char *text, tool_url *url, char *err,
                   size_t err_len)
{
    static const struct {
        const char *prefix;
        int tls;
    } schemes[] = {{"pop://", 0}, {"pop3://", 0}, {"pop3s://", 1}};
    const char *s = NULL, *end, *at;
    size_t i;

    memset(url, 0, sizeof *url);
    if (err_len > 0)
        err[0] = '\0';
    for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncasecmp(text, schemes[i].prefix, n) == 0) {
            s = text + n;
            url->implicit_tls = schemes[i].tls;
        }
    }
    if (s == NULL)
        return fail(err, err_len, "the URL must start with pop://, pop3://"
                                  " or pop3s://");
    end = s + strcspn(s, "/?#");
    if (*end == '?' || *end == '#' || (*end == '/' && end[1] != '\0'))
        return fail(err, err_len, "POP URLs have no path, query or fragment"
                                  " (use the cat command for one message)");
    at = NULL;
    for (i = 0; s + i < end; i++)
        if (s[i] == '@')
            at = s + i; /* the last '@': a user name may hold a %40 only */
    if (at != NULL &&
        (memchr(s, '@', (size_t)(at - s)) != NULL ||
         parse_userinfo(s, at, url, err, err_len) != 0)) {
        if (err[0] == '\0')
            fail(err, err_len, "more than one '@' in the URL");
        tool_url_free(url);
        return -1;
    }
    if (parse_hostport(at ? at + 1 : s, end, url, err, err_len) != 0) {
        tool_url_free(url);
        return -1;
    }
    return 0;
}

void tool_url_free(tool_url *url)
{
    free(url->host);
    free(url->user);
    free(url->auth);
    memset(url, 0, sizeof *url);
}
