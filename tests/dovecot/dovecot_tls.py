"""A throwaway test CA and server certificate, made with the openssl command
line (no Python TLS packages needed)."""

import os
import subprocess

# The server name list: 127.0.0.2 too, so TLS-required tests that connect
# there (see dovecot_conf) still verify the certificate.
SAN = "DNS:localhost,IP:127.0.0.1,IP:127.0.0.2"

EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = {san}
"""


def _openssl(*args):
    subprocess.run(("openssl",) + args, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make(tls_dir):
    """ca.pem, ca.key, server.pem, server.key in tls_dir (kept if present)."""
    os.makedirs(tls_dir, mode=0o755, exist_ok=True)
    p = lambda name: os.path.join(tls_dir, name)
    if all(os.path.exists(p(n)) for n in ("ca.pem", "server.pem",
                                          "server.key")):
        return
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
             "-days", "3650", "-subj", "/CN=libpop3 test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", p("ca.key"), "-out", p("ca.pem"))
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256",
             "-subj", "/CN=localhost",
             "-keyout", p("server.key"), "-out", p("server.csr"))
    with open(p("server.ext"), "w") as f:
        f.write(EXT.format(san=SAN))
    _openssl("x509", "-req", "-sha256", "-days", "3650",
             "-in", p("server.csr"), "-CA", p("ca.pem"),
             "-CAkey", p("ca.key"), "-CAcreateserial",
             "-extfile", p("server.ext"), "-out", p("server.pem"))
    # Dovecot reads the key as root; tests only need the public parts.
    os.chmod(p("server.key"), 0o600)
    os.chmod(p("ca.key"), 0o600)
