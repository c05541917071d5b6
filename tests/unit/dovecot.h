/*
 * The Dovecot fixture from C: CTest starts one Dovecot for the suite
 * (tests/dovecot/harness.py start) and stops it afterwards; tests read its
 * port and seed or count a user's maildrop through the harness.
 */
#ifndef POP3_TEST_DOVECOT_H
#define POP3_TEST_DOVECOT_H

/* The plain POP3 port of the running fixture, 0 when there is none. */
unsigned int dovecot_port(void);

/* A port from DOVECOT_DIR/env by its key (e.g. "POP3S_PORT"), or 0. */
unsigned int dovecot_env_port(const char *key);

/* Replace user's messages with files from tests/data (NULL-terminated
 * names), or with generated ones when gen is "COUNT:SIZE".  0 on success. */
int dovecot_seed(const char *user, const char *const *files,
                 const char *gen);

/* Messages in user's Maildir, or -1. */
int dovecot_count(const char *user);

/* Path of a file in tests/data, into buf. */
const char *dovecot_data(const char *name, char *buf, unsigned long size);

#endif /* POP3_TEST_DOVECOT_H */
