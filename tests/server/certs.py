#!/usr/bin/env python3
"""Throw-away certificates for TLS tests, made with the openssl command
line (no Python TLS packages needed):

    python3 tests/server/certs.py DIR

writes into DIR (and keeps what is already there):

    ca.pem, ca.key            the test CA
    server.pem, server.key    signed by it; SAN localhost, 127.0.0.1, ::1
    other-ca.pem              an unrelated CA ("wrong CA" tests)
    client.pem, client.key    a client certificate signed by the test CA

EC P-256 keys, so generating all of them takes a fraction of a second."""

import os
import subprocess
import sys

SAN = "DNS:localhost,IP:127.0.0.1,IP:::1"

SERVER_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = {san}
"""

CLIENT_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
"""

FILES = ("ca.pem", "server.pem", "server.key", "other-ca.pem",
         "client.pem", "client.key")


def _openssl(*args):
    subprocess.run(("openssl",) + args, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _ca(p, name, cn):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-sha256", "-days", "3650",
             "-subj", "/CN=" + cn,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", p(name + ".key"), "-out", p(name + ".pem"))


def _leaf(p, name, cn, ext):
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-sha256",
             "-subj", "/CN=" + cn,
             "-keyout", p(name + ".key"), "-out", p(name + ".csr"))
    with open(p(name + ".ext"), "w") as f:
        f.write(ext)
    _openssl("x509", "-req", "-sha256", "-days", "3650",
             "-in", p(name + ".csr"), "-CA", p("ca.pem"),
             "-CAkey", p("ca.key"), "-set_serial", str(os.getpid()),
             "-extfile", p(name + ".ext"), "-out", p(name + ".pem"))


def make(tls_dir):
    """Make the files above in tls_dir unless they all exist."""
    os.makedirs(tls_dir, mode=0o755, exist_ok=True)
    p = lambda name: os.path.join(tls_dir, name)
    if all(os.path.exists(p(n)) for n in FILES):
        return
    _ca(p, "ca", "libpop3 test CA")
    _ca(p, "other-ca", "unrelated test CA")
    _leaf(p, "server", "localhost", SERVER_EXT.format(san=SAN))
    _leaf(p, "client", "libpop3 test client", CLIENT_EXT)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: certs.py DIR")
    try:
        make(sys.argv[1])
    except subprocess.CalledProcessError as e:
        sys.exit("certs.py: openssl failed: %s" % e.stderr.decode(errors="replace"))
