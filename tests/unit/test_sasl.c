/*
 * The SASL mechanisms against their published test vectors (RFC 4616,
 * RFC 2195, RFC 5802, RFC 7677, RFC 7628, Google's XOAUTH2 example), the
 * checks on hostile challenges, and the strict base64 they rely on.
 */
#include "base64.h"
#include "sasl.h"
#include "secbuf.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

/* ---- base64 ------------------------------------------------------------ */

static int decodes(const char *in, const char *want, size_t want_len)
{
    unsigned char out[256];
    size_t n;
    return pop3_b64_decode(in, strlen(in), out, sizeof out, &n) == 0 &&
           n == want_len && memcmp(out, want, n) == 0;
}

static int refused(const char *in)
{
    unsigned char out[256];
    size_t n;
    return pop3_b64_decode(in, strlen(in), out, sizeof out, &n) == -1;
}

static void test_base64(void)
{
    /* RFC 4648 10 vectors, both ways. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob",
                                        "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[64];
    size_t i;

    for (i = 0; i < 7; i++) {
        CU_ASSERT(pop3_b64_encode((const unsigned char *)plain[i],
                                  strlen(plain[i]), out, sizeof out) == 0);
        CU_ASSERT_STRING_EQUAL(out, enc[i]);
        CU_ASSERT(decodes(enc[i], plain[i], strlen(plain[i])));
    }
    CU_ASSERT(decodes("AAEC/w==", "\0\1\2\377", 4));
    CU_ASSERT(pop3_b64_encoded_len(0) == 0);
    CU_ASSERT(pop3_b64_encoded_len(4) == 8);
    /* Too small an output buffer is refused, not overrun. */
    CU_ASSERT(pop3_b64_encode((const unsigned char *)"foobar", 6, out, 8) ==
              -1);

    /* Anything not canonical is refused. */
    CU_ASSERT(refused("Zg="));       /* length not a multiple of 4 */
    CU_ASSERT(refused("Zg"));
    CU_ASSERT(refused("Zm9v\r\n"));  /* line breaks */
    CU_ASSERT(refused(" Zm9v"));     /* whitespace */
    CU_ASSERT(refused("Zm9v "));
    CU_ASSERT(refused("Zm 9"));
    CU_ASSERT(refused("Z==="));      /* three pads */
    CU_ASSERT(refused("=Zm9"));      /* pad not at the end */
    CU_ASSERT(refused("Zm=v"));
    CU_ASSERT(refused("Zh=="));      /* non-zero padding bits */
    CU_ASSERT(refused("Zm9="));
    CU_ASSERT(refused("Zm9-"));      /* base64url alphabet */
    CU_ASSERT(refused("Zm9_"));
    CU_ASSERT(refused("-ERR"));      /* fetchmail CVE-2012-3482 */
    CU_ASSERT(refused("\xc3\xa4\xc3\xa4"));
}

static void test_secbuf(void)
{
    pop3_secbuf b = {0};
    size_t i;

    for (i = 0; i < 1000; i++)
        CU_ASSERT_FATAL(pop3_secbuf_add(&b, "0123456789", 10) == 0);
    CU_ASSERT(b.len == 10000 && b.data[b.len] == '\0');
    CU_ASSERT(memcmp(b.data + 9990, "0123456789", 10) == 0);
    /* Bounded: an attempt to pass the limit changes nothing. */
    CU_ASSERT(pop3_secbuf_extend(&b, POP3_SECBUF_MAX) == NULL);
    CU_ASSERT(b.len == 10000);
    pop3_secbuf_reset(&b);
    CU_ASSERT(b.len == 0);
    pop3_secbuf_free(&b);
    CU_ASSERT(b.data == NULL && b.cap == 0);
}

/* ---- running a mechanism ---------------------------------------------- */

typedef struct run {
    pop3_sasl s;
    pop3_secbuf out;
} run;

static void start(run *r, const pop3_sasl_mech *m, const char *user,
                  const char *secret)
{
    memset(r, 0, sizeof *r);
    pop3_sasl_init(&r->s, m, user, secret);
}

/* One step with a text challenge (NULL: the initial response). */
static pop3_status step(run *r, const char *challenge)
{
    return pop3_sasl_step(&r->s, (const unsigned char *)challenge,
                          challenge ? strlen(challenge) : 0, &r->out);
}

static int out_is(run *r, const char *want, size_t len)
{
    return r->out.len == len && memcmp(r->out.data, want, len) == 0;
}

static void finish(run *r)
{
    pop3_sasl_clear(&r->s);
    pop3_secbuf_free(&r->out);
}

static void test_plain(void)
{
    run r;

    /* RFC 4616 4: "tim" / "tanstaaftanstaaf", no authorization id. */
    start(&r, &pop3_sasl_plain, "tim", "tanstaaftanstaaf");
    CU_ASSERT(step(&r, NULL) == POP3_OK);
    CU_ASSERT(out_is(&r, "\0tim\0tanstaaftanstaaf", 21));
    /* A challenge after the one message is not PLAIN. */
    CU_ASSERT(step(&r, "x") == POP3_E_PROTOCOL);
    finish(&r);

    /* RFC 4616 4: acting as "Ursel" with Kurt's credentials. */
    start(&r, &pop3_sasl_plain, "Kurt", "xipj3plmq");
    r.s.authzid = "Ursel";
    CU_ASSERT(step(&r, NULL) == POP3_OK);
    CU_ASSERT(out_is(&r, "Ursel\0Kurt\0xipj3plmq", 20));
    finish(&r);

    /* The two-step form: the answer to an empty challenge. */
    start(&r, &pop3_sasl_plain, "tim", "tanstaaftanstaaf");
    CU_ASSERT(step(&r, "") == POP3_OK);
    CU_ASSERT(out_is(&r, "\0tim\0tanstaaftanstaaf", 21));
    finish(&r);
    start(&r, &pop3_sasl_plain, "tim", "x");
    CU_ASSERT(step(&r, "garbage") == POP3_E_PROTOCOL);
    finish(&r);
    CU_ASSERT(pop3_sasl_plain.flags & POP3_SASL_REVEALS);
}

static void test_login(void)
{
    run r;

    start(&r, &pop3_sasl_login, "tim", "tanstaaf");
    CU_ASSERT(step(&r, NULL) == POP3_E_PROTOCOL); /* server speaks first */
    finish(&r);
    start(&r, &pop3_sasl_login, "tim", "tanstaaf");
    CU_ASSERT(step(&r, "Username:") == POP3_OK && out_is(&r, "tim", 3));
    CU_ASSERT(step(&r, "Password:") == POP3_OK && out_is(&r, "tanstaaf", 8));
    CU_ASSERT(step(&r, "More?") == POP3_E_PROTOCOL);
    finish(&r);
}

static void test_cram_md5(void)
{
    static const char challenge[] =
        "<1896.697170952@postoffice.reston.mci.net>";
    unsigned char raw[128];
    char b64[128];
    size_t n;
    run r;

    /* RFC 2195 2, through base64 as on the wire. */
    CU_ASSERT_FATAL(pop3_b64_decode(
                        "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5u"
                        "ZXQ+",
                        56, raw, sizeof raw, &n) == 0);
    CU_ASSERT(n == strlen(challenge) && memcmp(raw, challenge, n) == 0);
    start(&r, &pop3_sasl_cram_md5, "tim", "tanstaaftanstaaf");
    CU_ASSERT(pop3_sasl_step(&r.s, raw, n, &r.out) == POP3_OK);
    CU_ASSERT(out_is(&r, "tim b913a602c7eda7a495b4e6e7334d3890", 36));
    CU_ASSERT(pop3_b64_encode(r.out.data, r.out.len, b64, sizeof b64) == 0);
    CU_ASSERT_STRING_EQUAL(b64,
                           "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    CU_ASSERT(step(&r, challenge) == POP3_E_PROTOCOL); /* one round only */
    finish(&r);

    /* Empty and binary challenges are refused. */
    start(&r, &pop3_sasl_cram_md5, "tim", "x");
    CU_ASSERT(step(&r, "") == POP3_E_PROTOCOL);
    finish(&r);
    start(&r, &pop3_sasl_cram_md5, "tim", "x");
    CU_ASSERT(step(&r, "<a\nb@c>") == POP3_E_PROTOCOL);
    finish(&r);

    /* A secret longer than HMAC's 64-byte block is hashed first
     * (RFC 2104), as the server does: the digest must still work. */
    {
        char secret[200];
        memset(secret, 's', sizeof secret - 1);
        secret[sizeof secret - 1] = '\0';
        start(&r, &pop3_sasl_cram_md5, "tim", secret);
        CU_ASSERT(step(&r, challenge) == POP3_OK && r.out.len == 36);
        finish(&r);
    }
}

typedef struct scram_vector {
    const pop3_sasl_mech *mech;
    const char *nonce, *client_first, *server_first, *client_final,
        *server_final;
} scram_vector;

static void check_scram(const scram_vector *v)
{
    run r;

    start(&r, v->mech, "user", "pencil");
    r.s.nonce = v->nonce;
    CU_ASSERT(step(&r, NULL) == POP3_OK);
    CU_ASSERT(out_is(&r, v->client_first, strlen(v->client_first)));
    CU_ASSERT(step(&r, v->server_first) == POP3_OK);
    CU_ASSERT(out_is(&r, v->client_final, strlen(v->client_final)));
    /* +OK before the server's proof does not count. */
    CU_ASSERT(pop3_sasl_finish(&r.s) == POP3_E_AUTH_SERVER);
    CU_ASSERT(step(&r, v->server_final) == POP3_OK && r.out.len == 0);
    CU_ASSERT(pop3_sasl_finish(&r.s) == POP3_OK);
    CU_ASSERT(step(&r, "x") == POP3_E_PROTOCOL);
    finish(&r);
}

static void test_scram_vectors(void)
{
    /* RFC 5802 5 */
    static const scram_vector sha1 = {
        &pop3_sasl_scram_sha1, "fyko+d2lbbFgONRv9qkxdawL",
        "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,"
        "i=4096",
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
        "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="};
    /* RFC 7677 3 */
    static const scram_vector sha256 = {
        &pop3_sasl_scram_sha256, "rOprNGfwEbeRWgbNEkqO",
        "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="};
    check_scram(&sha1);
    check_scram(&sha256);
}

/* SCRAM-SHA-1 up to the server-first message; returns its step status. */
static pop3_status scram_first(run *r, const char *server_first)
{
    start(r, &pop3_sasl_scram_sha1, "user", "pencil");
    r->s.nonce = "fyko+d2lbbFgONRv9qkxdawL";
    CU_ASSERT_FATAL(step(r, NULL) == POP3_OK);
    return step(r, server_first);
}

static void test_scram_hostile(void)
{
    static const char *const bad_first[] = {
        "",
        "r=fyko+d2lbbFgONRv9qkxdawL",                  /* no salt */
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92", /* no i */
        "r=someoneelse3rfc,s=QSXCR+Q6sek8bf92,i=4096",  /* not our nonce */
        "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", /* no s-nonce */
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=,i=4096",      /* empty salt */
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf9,i=4096", /* b64 */
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=0",
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=1",  /* weak */
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=99999999",
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=-4096",
        "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096x",
        "m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
        "s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096",
        "r=fyko+d2lbbFgONRv9qkxdawL3 rfc,s=QSXCR+Q6sek8bf92,i=4096",
        NULL};
    size_t i;
    run r;

    for (i = 0; bad_first[i] != NULL; i++) {
        CU_ASSERT(scram_first(&r, bad_first[i]) == POP3_E_PROTOCOL);
        finish(&r);
    }
    /* Extensions after i= are allowed and ignored. */
    CU_ASSERT(scram_first(&r, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                              "s=QSXCR+Q6sek8bf92,i=4096,x=ext") == POP3_OK);
    finish(&r);

    /* The server's final message. */
    CU_ASSERT_FATAL(scram_first(&r, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1Z"
                                    "VvWVs7j,s=QSXCR+Q6sek8bf92,i=4096") ==
                    POP3_OK);
    CU_ASSERT(step(&r, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=") == POP3_OK);
    finish(&r);
    CU_ASSERT_FATAL(scram_first(&r, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1Z"
                                    "VvWVs7j,s=QSXCR+Q6sek8bf92,i=4096") ==
                    POP3_OK);
    CU_ASSERT(step(&r, "v=rmF9pqV8S7suAoZWja4dJRkFsKA=") ==
              POP3_E_AUTH_SERVER); /* right length, one bit off */
    finish(&r);
    CU_ASSERT_FATAL(scram_first(&r, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1Z"
                                    "VvWVs7j,s=QSXCR+Q6sek8bf92,i=4096") ==
                    POP3_OK);
    CU_ASSERT(step(&r, "v=c2hvcnQ=") == POP3_E_AUTH_SERVER); /* length */
    finish(&r);
    CU_ASSERT_FATAL(scram_first(&r, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1Z"
                                    "VvWVs7j,s=QSXCR+Q6sek8bf92,i=4096") ==
                    POP3_OK);
    CU_ASSERT(step(&r, "v=not base64") == POP3_E_PROTOCOL);
    finish(&r);
    CU_ASSERT_FATAL(scram_first(&r, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1Z"
                                    "VvWVs7j,s=QSXCR+Q6sek8bf92,i=4096") ==
                    POP3_OK);
    CU_ASSERT(step(&r, "e=invalid-proof") == POP3_E_AUTH);
    CU_ASSERT(strstr(r.s.detail, "invalid-proof") != NULL);
    CU_ASSERT(pop3_sasl_finish(&r.s) == POP3_E_AUTH_SERVER);
    finish(&r);
}

static void test_scram_names(void)
{
    run r;

    /* "," and "=" in a user name are escaped (RFC 5802 5.1). */
    start(&r, &pop3_sasl_scram_sha256, "a,b=c", "pw");
    r.s.nonce = "abc";
    CU_ASSERT(step(&r, NULL) == POP3_OK);
    CU_ASSERT(out_is(&r, "n,,n=a=2Cb=3Dc,r=abc", 20));
    finish(&r);
    /* A random nonce: 24 characters, new each time. */
    {
        char first[64];
        start(&r, &pop3_sasl_scram_sha256, "u", "pw");
        CU_ASSERT_FATAL(step(&r, NULL) == POP3_OK);
        CU_ASSERT(r.out.len == strlen("n,,n=u,r=") + 24);
        strcpy(first, (const char *)r.out.data);
        finish(&r);
        start(&r, &pop3_sasl_scram_sha256, "u", "pw");
        CU_ASSERT_FATAL(step(&r, NULL) == POP3_OK);
        CU_ASSERT(strcmp(first, (const char *)r.out.data) != 0);
        finish(&r);
    }
}

static void test_xoauth2(void)
{
    char b64[256];
    run r;

    /* Google's example (developers.google.com, "OAuth 2.0 Mechanism"). */
    start(&r, &pop3_sasl_xoauth2, "someuser@example.com",
          "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    CU_ASSERT(step(&r, NULL) == POP3_OK);
    CU_ASSERT(pop3_b64_encode(r.out.data, r.out.len, b64, sizeof b64) == 0);
    CU_ASSERT_STRING_EQUAL(
        b64, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZG"
             "OWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
    /* A refused token: an error challenge, answered with nothing. */
    CU_ASSERT(step(&r, "{\"status\":\"401\"}") == POP3_OK && r.out.len == 0);
    CU_ASSERT(r.s.server_error);
    CU_ASSERT(strstr(r.s.detail, "401") != NULL);
    CU_ASSERT(step(&r, "{}") == POP3_E_PROTOCOL); /* only one */
    finish(&r);
    /* ^A would break the framing. */
    start(&r, &pop3_sasl_xoauth2, "a\001b", "tok");
    CU_ASSERT(step(&r, NULL) == POP3_E_ARG);
    finish(&r);
}

static void test_oauthbearer(void)
{
    static const char want[] =
        "n,a=user@example.com,\001host=server.example.com\001port=143\001"
        "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001";
    run r;

    /* RFC 7628 4.1 */
    start(&r, &pop3_sasl_oauthbearer, "user@example.com",
          "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    r.s.host = "server.example.com";
    r.s.port = 143;
    CU_ASSERT(step(&r, NULL) == POP3_OK);
    CU_ASSERT(out_is(&r, want, sizeof want - 1));
    /* RFC 7628 3.2.3: an error challenge is answered with one ^A. */
    CU_ASSERT(step(&r, "{\"status\":\"invalid_token\"}") == POP3_OK);
    CU_ASSERT(out_is(&r, "\001", 1));
    finish(&r);
    /* No authorization identity: "n,,". */
    start(&r, &pop3_sasl_oauthbearer, "", "tok");
    CU_ASSERT(step(&r, NULL) == POP3_OK);
    CU_ASSERT(out_is(&r, "n,,\001auth=Bearer tok\001\001", 21));
    finish(&r);
}

static void test_registry(void)
{
    CU_ASSERT(pop3_sasl_find("scram-sha-256") == &pop3_sasl_scram_sha256);
    CU_ASSERT(pop3_sasl_find("PLAIN") == &pop3_sasl_plain);
    CU_ASSERT(pop3_sasl_find("Cram-Md5") == &pop3_sasl_cram_md5);
    CU_ASSERT(pop3_sasl_find("GSSAPI") == NULL);
    CU_ASSERT(pop3_sasl_find("SCRAM-SHA-25") == NULL);
    CU_ASSERT(pop3_sasl_find(NULL) == NULL);
    CU_ASSERT(pop3_sasl_ranked[0] == &pop3_sasl_scram_sha256);
}

int main(void)
{
    static const test_case tests[] = {
        {"strict base64 (RFC 4648)", test_base64},
        {"wiped, bounded buffers", test_secbuf},
        {"PLAIN (RFC 4616 vectors)", test_plain},
        {"LOGIN", test_login},
        {"CRAM-MD5 (RFC 2195 vector)", test_cram_md5},
        {"SCRAM-SHA-1/256 (RFC 5802, RFC 7677 vectors)", test_scram_vectors},
        {"SCRAM against hostile servers", test_scram_hostile},
        {"SCRAM user names and nonces", test_scram_names},
        {"XOAUTH2 (Google's example)", test_xoauth2},
        {"OAUTHBEARER (RFC 7628 vector)", test_oauthbearer},
        {"mechanism lookup", test_registry},
        {NULL, NULL}};
    return test_run_suite("sasl", tests);
}
