/*
 * The scripted test server (tests/server/pop3d.py) from C: start it on an
 * ephemeral loopback port in a private temporary directory, read what the
 * client sent, stop it and remove everything it made.
 */
#ifndef POP3_TEST_SERVER_H
#define POP3_TEST_SERVER_H

#include <sys/types.h>

typedef struct test_server {
    pid_t pid;
    unsigned int port;
    char dir[256];     /* private temporary directory */
    char maildrop[300];
    char log[300];
} test_server;

/* Make the temporary directory and an empty maildrop.  0 on success. */
int test_server_prepare(test_server *s);

/* Put a message file into user's maildrop (name becomes the UIDL). */
void test_server_add(test_server *s, const char *user, const char *name,
                     const char *data, size_t len);

/* Whether a message file is still in the maildrop. */
int test_server_has(test_server *s, const char *user, const char *name);

/* Start pop3d.py with extra arguments (NULL-terminated), after --maildrop
 * (unless a --scenario is given), --port-file and --log.  0 on success. */
int test_server_start(test_server *s, const char *const *args);

/* Prepare and start pop3d.py in scenario mode on `script` (the text of a
 * scenario: tests/server/README.md), written into the server's
 * directory.  0 on success. */
int test_server_start_scenario(test_server *s, const char *script);

/* The log of lines the client sent.  OWNED: free() it. */
char *test_server_log(test_server *s);

/* Lines the client sent since the last #CONNECT (commands only). */
int test_server_sent(test_server *s, const char *needle);

/* Stop the server (SIGTERM, then SIGKILL) and remove the directory. */
void test_server_stop(test_server *s);

/* Throw-away TLS files (tests/server/certs.py) in a new temporary
 * directory, named into dir: ca.pem, server.pem, server.key,
 * other-ca.pem, client.pem, client.key.  0 on success. */
int test_make_certs(char *dir, size_t size);

/* Remove a directory made by test_make_certs (or any test directory). */
void test_remove_dir(const char *dir);

/* A loopback port with nothing listening on it. */
unsigned int test_free_port(void);

#endif /* POP3_TEST_SERVER_H */
