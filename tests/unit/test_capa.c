/*
 * The capability set (RFC 2449 5) and the response-code parser (RFC 2449
 * 8, RFC 3206): well-formed input, and every malformed kind we could
 * think of.  Pure functions: no server needed.
 */
#include "capa.h"
#include "engine.h"
#include "respcode.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>

static int add(pop3_capa_set *s, const char *line)
{
    return pop3_capa_add(s, line, strlen(line));
}

static void test_capa_lines(void)
{
    static pop3_capa_set s; /* 9 KiB: not on the stack */

    pop3_capa_clear(&s);
    CU_ASSERT(add(&s, "TOP"));
    CU_ASSERT(add(&s, "SASL PLAIN SCRAM-SHA-256  cram-md5"));
    CU_ASSERT(add(&s, "LOGIN-DELAY 900 USER"));
    CU_ASSERT(add(&s, "EXPIRE NEVER"));
    CU_ASSERT(add(&s, "IMPLEMENTATION Dovecot(Debian)"));
    CU_ASSERT(add(&s, "RESP-CODES"));
    CU_ASSERT(add(&s, "X-EXT a=b/c~!"));

    CU_ASSERT(pop3_capa_find(&s, "top") != NULL);
    CU_ASSERT(pop3_capa_find(&s, "TO") == NULL);
    CU_ASSERT(pop3_capa_find(&s, "TOPS") == NULL);
    CU_ASSERT(pop3_capa_find(&s, "STLS") == NULL);
    CU_ASSERT(pop3_capa_find(&s, NULL) == NULL);
    CU_ASSERT_STRING_EQUAL(pop3_capa_args(&s, "TOP"), "");
    CU_ASSERT_STRING_EQUAL(pop3_capa_args(&s, "login-delay"), "900 USER");
    CU_ASSERT_STRING_EQUAL(pop3_capa_args(&s, "EXPIRE"), "NEVER");
    CU_ASSERT_STRING_EQUAL(pop3_capa_args(&s, "IMPLEMENTATION"),
                           "Dovecot(Debian)");
    CU_ASSERT(pop3_capa_args(&s, "UIDL") == NULL);

    CU_ASSERT(pop3_capa_has_word(&s, "SASL", "PLAIN"));
    CU_ASSERT(pop3_capa_has_word(&s, "SASL", "scram-sha-256"));
    CU_ASSERT(pop3_capa_has_word(&s, "SASL", "CRAM-MD5"));
    CU_ASSERT(!pop3_capa_has_word(&s, "SASL", "SCRAM-SHA-1"));
    CU_ASSERT(!pop3_capa_has_word(&s, "SASL", "SCRAM"));
    CU_ASSERT(!pop3_capa_has_word(&s, "SASL", ""));
    CU_ASSERT(!pop3_capa_has_word(&s, "SASL", "SASL"));
    CU_ASSERT(!pop3_capa_has_word(&s, "TOP", "TOP"));
    CU_ASSERT(!pop3_capa_has_word(&s, "NONE", "PLAIN"));

    CU_ASSERT_STRING_EQUAL(pop3_capa_get(&s, 0), "TOP");
    CU_ASSERT_STRING_EQUAL(pop3_capa_get(&s, 6), "X-EXT a=b/c~!");
    CU_ASSERT(pop3_capa_get(&s, 7) == NULL);
    pop3_capa_clear(&s);
    CU_ASSERT(pop3_capa_find(&s, "TOP") == NULL);
    CU_ASSERT(pop3_capa_get(&s, 0) == NULL);
}

static void test_capa_malformed(void)
{
    static pop3_capa_set s;
    static const char *const bad[] = {
        "",          " TOP",     "  ",         ".",       "X.Y",
        "TOP\tUIDL", "SASL\x01", "UTF8 \x7f",  "T\xc3\xa4", "SASL PLAIN\r",
        NULL};
    char line[40];
    size_t i;

    pop3_capa_clear(&s);
    for (i = 0; bad[i] != NULL; i++)
        CU_ASSERT(!add(&s, bad[i]));
    CU_ASSERT(!pop3_capa_add(&s, "TOP\0X", 5)); /* NUL */
    CU_ASSERT(s.count == 0);
    /* Trailing and repeated spaces are tolerated. */
    CU_ASSERT(add(&s, "USER "));
    CU_ASSERT(pop3_capa_find(&s, "USER") != NULL);

    /* Bounded: 128 lines at most, then lines are left out. */
    pop3_capa_clear(&s);
    for (i = 0; i < POP3_CAPA_MAX_LINES; i++) {
        snprintf(line, sizeof line, "X-CAP-%u", (unsigned)i);
        CU_ASSERT(add(&s, line));
    }
    CU_ASSERT(!add(&s, "STLS"));
    CU_ASSERT(pop3_capa_find(&s, "STLS") == NULL);
    /* ...and so many bytes. */
    pop3_capa_clear(&s);
    {
        static char big[POP3_CAPA_MAX_BYTES];
        memset(big, 'X', sizeof big);
        CU_ASSERT(!pop3_capa_add(&s, big, sizeof big)); /* + NUL: over */
        CU_ASSERT(pop3_capa_add(&s, big, sizeof big / 2));
        CU_ASSERT(!pop3_capa_add(&s, big, sizeof big / 2));
    }
}

static void test_resp_code_syntax(void)
{
    static const char *const good[] = {"IN-USE", "SYS/TEMP", "SYS/TEMP/x",
                                       "AUTH", "a", "X-~!", NULL};
    static const char *const bad[] = {"",       "/",       "SYS/",
                                      "/SYS",   "SYS//TEMP", "IN USE",
                                      "IN]USE", "\x01",     "\xc3\xa4",
                                      NULL};
    char longest[POP3_MAX_RESP_CODE + 2];
    size_t i;

    for (i = 0; good[i] != NULL; i++)
        CU_ASSERT(pop3_resp_code_valid(good[i], strlen(good[i])));
    for (i = 0; bad[i] != NULL; i++)
        CU_ASSERT(!pop3_resp_code_valid(bad[i], strlen(bad[i])));
    memset(longest, 'A', sizeof longest);
    CU_ASSERT(pop3_resp_code_valid(longest, POP3_MAX_RESP_CODE));
    CU_ASSERT(!pop3_resp_code_valid(longest, POP3_MAX_RESP_CODE + 1));
}

static void test_resp_code_status(void)
{
    CU_ASSERT(pop3_resp_code_status("IN-USE", POP3_E_SERVER) ==
              POP3_E_IN_USE);
    CU_ASSERT(pop3_resp_code_status("in-use", POP3_E_SERVER) ==
              POP3_E_IN_USE);
    CU_ASSERT(pop3_resp_code_status("LOGIN-DELAY", POP3_E_SERVER) ==
              POP3_E_LOGIN_DELAY);
    CU_ASSERT(pop3_resp_code_status("SYS/TEMP", POP3_E_SERVER) ==
              POP3_E_SYS_TEMP);
    CU_ASSERT(pop3_resp_code_status("SYS/TEMP/QUOTA", POP3_E_SERVER) ==
              POP3_E_SYS_TEMP);
    CU_ASSERT(pop3_resp_code_status("SYS/PERM", POP3_E_SERVER) ==
              POP3_E_SYS_PERM);
    CU_ASSERT(pop3_resp_code_status("AUTH", POP3_E_SERVER) == POP3_E_AUTH);
    /* Only whole levels match. */
    CU_ASSERT(pop3_resp_code_status("SYS", POP3_E_SERVER) == POP3_E_SERVER);
    CU_ASSERT(pop3_resp_code_status("SYS/TEMPORARY", POP3_E_SERVER) ==
              POP3_E_SERVER);
    CU_ASSERT(pop3_resp_code_status("AUTHX", POP3_E_AUTH) == POP3_E_AUTH);
    CU_ASSERT(pop3_resp_code_status("IN-USEX", POP3_E_SERVER) ==
              POP3_E_SERVER);
    CU_ASSERT(pop3_resp_code_status("UTF8", POP3_E_SERVER) == POP3_E_SERVER);
    CU_ASSERT(pop3_resp_code_status("", POP3_E_AUTH) == POP3_E_AUTH);
    CU_ASSERT(pop3_resp_code_status(NULL, POP3_E_AUTH) == POP3_E_AUTH);
}

/* The engine keeps a code only when it is well-formed. */
static void check_code(const char *line, const char *code, const char *text)
{
    char buf[128];
    pop3_engine eng;
    pop3_event ev;
    size_t used;

    snprintf(buf, sizeof buf, "%s", line);
    pop3_engine_init(&eng, 0);
    pop3_engine_expect(&eng, POP3_EXPECT_STATUS);
    CU_ASSERT_FATAL(pop3_engine_feed(&eng, buf, strlen(buf), &used, &ev) ==
                    POP3_OK);
    CU_ASSERT_FATAL(ev.type == POP3_EV_STATUS);
    if (code == NULL) {
        CU_ASSERT(ev.code == NULL);
    } else {
        CU_ASSERT(ev.code != NULL && ev.code_len == strlen(code) &&
                  memcmp(ev.code, code, ev.code_len) == 0);
    }
    CU_ASSERT(ev.text_len == strlen(text) &&
              memcmp(ev.text, text, ev.text_len) == 0);
}

static void test_engine_codes(void)
{
    check_code("-ERR [IN-USE] locked\r\n", "IN-USE", "locked");
    check_code("-ERR [SYS/TEMP/x] later\r\n", "SYS/TEMP/x", "later");
    check_code("-ERR [AUTH]\r\n", "AUTH", "");
    check_code("-ERR [no such code] x\r\n", NULL, "[no such code] x");
    check_code("-ERR [SYS//TEMP] x\r\n", NULL, "[SYS//TEMP] x");
    check_code("-ERR [IN-USE x\r\n", NULL, "[IN-USE x");
    check_code("-ERR [] x\r\n", NULL, "[] x");
    check_code("+OK [IN-USE] fine\r\n", "IN-USE", "fine");
}

int main(void)
{
    static const test_case tests[] = {
        {"capability lines and queries", test_capa_lines},
        {"malformed and too many capability lines", test_capa_malformed},
        {"response code syntax", test_resp_code_syntax},
        {"response code meaning", test_resp_code_status},
        {"the engine keeps only well-formed codes", test_engine_codes},
        {NULL, NULL}};
    return test_run_suite("capa", tests);
}
