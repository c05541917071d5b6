"""libpop3 from Python: fetch every message into memory, print the octets.

    python3 pop3_fetch.py HOST PORT USER PASS

fetch_all() is the one place that knows how messages are retrieved: one
pipelined batch (Client.retrieve_many) with QUIT after its last command.
CAPA goes out with the connection, before the greeting (early_capa), so
that a server listing PIPELINING gets USER, PASS, CAPA and STAT in one
write (pipeline_login: Dovecot keeps what arrives before the login for
the session).
"""
import sys

import pop3


def fetch_all(client, count):
    octets = 0
    for _, body in client.retrieve_many(range(1, count + 1), then_quit=True):
        for chunk in body:
            octets += len(chunk)
    return octets


def main():
    host, port, user, password = sys.argv[1:5]
    with pop3.Client(host, int(port), tls="none", early_capa=True,
                     pipeline_login=True) as client:
        client.login(user, password)
        octets = fetch_all(client, client.stat().count)
    print(octets)


if __name__ == "__main__":
    main()
