/*
 * pop3_codec_sasl, the SASL mechanisms for event-loop clients, without a
 * server: the AUTH line with and without an initial response, a SCRAM
 * exchange driven from here up to the server's last message, the cancel
 * line after a server error, failures that stick until start (a
 * failed start too), and the retry rule for the token mechanisms.
 */
#include <pop3/pop3.h>

#include "testlib.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* Base64 of len octets into out (NUL-terminated). */
static void b64(const void *data, size_t len, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
}

static size_t unb64(const char *in, size_t len, char *out)
{
    int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in,
                            (int)len);
    while (n > 0 && len > 0 && in[len - 1] == '=') { /* padding */
        n--;
        len--;
    }
    out[n < 0 ? 0 : n] = '\0';
    return n < 0 ? 0 : (size_t)n;
}

static pop3_codec_sasl *made(const char *mech, const char *secret)
{
    pop3_codec_sasl *s = NULL;
    CU_ASSERT_FATAL(pop3_codec_sasl_new(mech, "alice", secret, "mail.test",
                                        110, &s) == POP3_OK);
    return s;
}

static void test_plain_on_the_auth_line(void)
{
    pop3_codec_sasl *s = made("PLAIN", "secret");
    const char *line;
    size_t n;
    char want[96], enc[64];

    CU_ASSERT(pop3_codec_sasl_step(s, "", 0, &line, &n) == POP3_E_STATE);
    CU_ASSERT(pop3_codec_sasl_start(s, 1, &line, &n) == POP3_OK);
    b64("\0alice\0secret", 13, enc);
    snprintf(want, sizeof want, "AUTH PLAIN %s\r\n", enc);
    CU_ASSERT(n == strlen(want) && memcmp(line, want, n) == 0);
    CU_ASSERT(pop3_codec_sasl_finish(s) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_codec_sasl_name(s), "PLAIN");
    pop3_codec_sasl_free(s);
}

static void test_plain_after_an_empty_challenge(void)
{
    pop3_codec_sasl *s = made("PLAIN", "secret");
    const char *line;
    size_t n;
    char enc[64];

    CU_ASSERT(pop3_codec_sasl_start(s, 0, &line, &n) == POP3_OK);
    CU_ASSERT(n == 12 && memcmp(line, "AUTH PLAIN\r\n", 12) == 0);
    /* +OK before the client said anything cannot be a login. */
    CU_ASSERT(pop3_codec_sasl_finish(s) == POP3_E_PROTOCOL);
    CU_ASSERT(pop3_codec_sasl_step(s, "", 0, &line, &n) == POP3_OK);
    b64("\0alice\0secret", 13, enc);
    CU_ASSERT(n == strlen(enc) + 2 && memcmp(line, enc, n - 2) == 0);
    CU_ASSERT(pop3_codec_sasl_finish(s) == POP3_OK);
    pop3_codec_sasl_free(s);
}

/* Run SCRAM-SHA-256 up to the client-final message; out: the
 * client-final line as sent. */
static void scram_to_final(pop3_codec_sasl *s, char *server_first,
                           size_t cap)
{
    const char *line;
    size_t n;
    char raw[512], chal[512];
    const char *nonce;

    CU_ASSERT_FATAL(pop3_codec_sasl_start(s, 1, &line, &n) == POP3_OK);
    CU_ASSERT_FATAL(n > 21 && memcmp(line, "AUTH SCRAM-SHA-256 ", 19) == 0);
    unb64(line + 19, n - 21, raw); /* n,,n=alice,r=NONCE */
    nonce = strstr(raw, ",r=");
    CU_ASSERT_FATAL(nonce != NULL);
    snprintf(server_first, cap, "r=%sSERVER,s=%s,i=4096", nonce + 3,
             "c2FsdHNhbHRzYWx0");
    b64(server_first, strlen(server_first), chal);
    CU_ASSERT_FATAL(pop3_codec_sasl_step(s, chal, strlen(chal), &line, &n) ==
                    POP3_OK);
    unb64(line, n - 2, raw);
    CU_ASSERT(strncmp(raw, "c=biws,r=", 9) == 0 && strstr(raw, ",p="));
}

static void test_scram_server_error_cancels_and_sticks(void)
{
    pop3_codec_sasl *s = made("SCRAM-SHA-256", "pencil");
    const char *line;
    size_t n;
    char first[256], chal[64];

    scram_to_final(s, first, sizeof first);
    b64("e=other-error", 13, chal);
    CU_ASSERT(pop3_codec_sasl_step(s, chal, strlen(chal), &line, &n) ==
              POP3_E_AUTH);
    CU_ASSERT(n == 3 && memcmp(line, "*\r\n", 3) == 0);
    CU_ASSERT(strlen(pop3_codec_sasl_detail(s)) > 0);
    /* Failed: no more lines, and +OK does not count. */
    CU_ASSERT(pop3_codec_sasl_step(s, chal, strlen(chal), &line, &n) ==
              POP3_E_AUTH);
    CU_ASSERT(line == NULL && n == 0);
    CU_ASSERT(pop3_codec_sasl_finish(s) == POP3_E_AUTH);
    /* A new start is a new exchange. */
    CU_ASSERT(pop3_codec_sasl_start(s, 1, &line, &n) == POP3_OK);
    pop3_codec_sasl_free(s);
}

static void test_bad_base64_drops_and_sticks(void)
{
    pop3_codec_sasl *s = made("SCRAM-SHA-256", "pencil");
    const char *line;
    size_t n;

    CU_ASSERT(pop3_codec_sasl_start(s, 1, &line, &n) == POP3_OK);
    CU_ASSERT(pop3_codec_sasl_step(s, "!!not*base64", 12, &line, &n) ==
              POP3_E_PROTOCOL);
    CU_ASSERT(line == NULL); /* drop the session: nothing to send */
    CU_ASSERT(pop3_codec_sasl_step(s, "", 0, &line, &n) == POP3_E_PROTOCOL);
    CU_ASSERT(line == NULL);
    CU_ASSERT(pop3_codec_sasl_finish(s) == POP3_E_PROTOCOL);
    pop3_codec_sasl_free(s);
}

/* +OK after the client-final, without the server's proof, never counts
 * for SCRAM (the server may not know the password). */
static void test_scram_ok_without_proof(void)
{
    pop3_codec_sasl *s = made("SCRAM-SHA-256", "pencil");
    char first[256];

    scram_to_final(s, first, sizeof first);
    CU_ASSERT(pop3_codec_sasl_finish(s) == POP3_E_AUTH_SERVER);
    pop3_codec_sasl_free(s);
}

/* A start that fails (a token with a framing octet) sends nothing, and
 * step and finish report that failure rather than carry on. */
static void test_failed_start_sticks(void)
{
    pop3_codec_sasl *s = made("XOAUTH2", "to\001ken");
    const char *line = "x";
    size_t n = 1;

    CU_ASSERT(pop3_codec_sasl_start(s, 1, &line, &n) == POP3_E_ARG);
    CU_ASSERT(line == NULL && n == 0);
    CU_ASSERT(pop3_codec_sasl_step(s, "", 0, &line, &n) == POP3_E_ARG);
    CU_ASSERT(line == NULL && n == 0);
    CU_ASSERT(pop3_codec_sasl_finish(s) == POP3_E_ARG);
    /* A retry starts over, and fails the same way. */
    CU_ASSERT(pop3_codec_sasl_start(s, 0, &line, &n) == POP3_E_ARG);
    pop3_codec_sasl_free(s);
}

static void test_token_retry_rule(void)
{
    pop3_codec_sasl *s = made("XOAUTH2", "tok");
    const char *line;
    size_t n;

    CU_ASSERT(pop3_codec_sasl_retry(s, "") == 0); /* not started */
    CU_ASSERT(pop3_codec_sasl_start(s, 1, &line, &n) == POP3_OK);
    CU_ASSERT(n > 13 && memcmp(line, "AUTH XOAUTH2 ", 13) == 0);
    CU_ASSERT(pop3_codec_sasl_retry(s, "AUTH") == 0); /* a real refusal */
    CU_ASSERT(pop3_codec_sasl_retry(s, NULL) == 1);   /* one-step refused */
    CU_ASSERT(pop3_codec_sasl_start(s, 0, &line, &n) == POP3_OK);
    CU_ASSERT(n == 14 && memcmp(line, "AUTH XOAUTH2\r\n", 14) == 0);
    CU_ASSERT(pop3_codec_sasl_retry(s, "") == 0); /* only once */
    pop3_codec_sasl_free(s);
}

static void test_arguments(void)
{
    pop3_codec_sasl *s = NULL;

    CU_ASSERT(pop3_codec_sasl_new("NTLM", "a", "b", NULL, 0, &s) ==
              POP3_E_UNSUPPORTED);
    CU_ASSERT(pop3_codec_sasl_new("PLAIN", "a", "", NULL, 0, &s) ==
              POP3_E_ARG);
    CU_ASSERT(pop3_codec_sasl_new("PLAIN", "a", "b", NULL, 70000, &s) ==
              POP3_E_ARG);
    CU_ASSERT(s == NULL);
    CU_ASSERT(pop3_codec_sasl_finish(NULL) == POP3_E_ARG);
    pop3_codec_sasl_free(NULL);
}

int main(void)
{
    static const test_case tests[] = {
        {"PLAIN on the AUTH line", test_plain_on_the_auth_line},
        {"PLAIN after an empty challenge", test_plain_after_an_empty_challenge},
        {"SCRAM e= cancels with *, then sticks",
         test_scram_server_error_cancels_and_sticks},
        {"bad base64: drop, sticks", test_bad_base64_drops_and_sticks},
        {"SCRAM +OK without the server's proof", test_scram_ok_without_proof},
        {"XOAUTH2 retry in two steps, once", test_token_retry_rule},
        {"a failed start sticks", test_failed_start_sticks},
        {"arguments", test_arguments},
        {NULL, NULL}};
    return test_run_suite("sasl_codec", tests);
}
