"""The server side of SASL AUTH (RFC 5034) for maildrop mode: PLAIN,
LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, XOAUTH2 and OAUTHBEARER, with
the --fault hooks that break them. Passwords come from --user; for the
token mechanisms the password is the token."""

import base64
import binascii
import hashlib
import hmac
import json
import os

MECHS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
         "XOAUTH2", "OAUTHBEARER")
MAX_AUTH_LINE = 255          # RFC 5034 4: the AUTH command, CRLF included
SCRAM_ITERATIONS = 4096

TOKEN_ERROR = json.dumps({"status": "401", "schemes": "bearer",
                          "scope": "https://mail.example.org/"}).encode()


class Refused(Exception):
    """End the exchange with this -ERR text."""


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("invalid base64")


def _saslname(text):
    if "=" in text.replace("=2C", "").replace("=3D", ""):
        raise Refused("bad saslname")
    return text.replace("=2C", ",").replace("=3D", "=")


class Exchange:
    """One AUTH command: mech, the initial response (bytes or None)."""

    def __init__(self, session, mech, initial):
        self.s = session
        self.mech = mech
        self.initial = initial
        self.f = session.f
        self.first_challenge = True

    # -- the continuation protocol --------------------------------------
    def challenge(self, data):
        """Send '+ base64', return the client's decoded answer."""
        if self.first_challenge and "sasl-bad-base64" in self.f:
            self.s.status("+ !!not*base64!!")
        else:
            self.s.status("+ " + b64(data))
        self.first_challenge = False
        line = self.s.w.readline()
        if line is None:
            raise Refused("timeout")
        if line == b"*":
            raise Refused("authentication cancelled")
        return unb64(line.decode("latin-1"))

    def first(self):
        """The client's first message: the initial response or the answer
        to an empty challenge."""
        if self.initial is not None:
            return self.initial
        return self.challenge(b"")

    def run(self):
        handler = {"PLAIN": self.plain, "LOGIN": self.login,
                   "CRAM-MD5": self.cram, "SCRAM-SHA-1": self.scram,
                   "SCRAM-SHA-256": self.scram, "XOAUTH2": self.xoauth2,
                   "OAUTHBEARER": self.oauthbearer}[self.mech]
        try:
            name, good = handler()
        except Refused as e:
            return self.s.err(str(e))
        except (UnicodeDecodeError, ValueError):
            return self.s.err("malformed SASL message")
        self.s.login(name, good, "AUTH")

    def password(self, name):
        return self.s.cfg.users.get(name)

    # -- mechanisms -------------------------------------------------------
    def plain(self):
        parts = self.first().split(b"\0")
        if len(parts) != 3:
            raise Refused("malformed PLAIN message")
        name, secret = parts[1].decode("utf-8"), parts[2].decode("utf-8")
        return name, secret == self.password(name)

    def login(self):
        name = self.challenge(b"Username:").decode("utf-8")
        secret = self.challenge(b"Password:").decode("utf-8")
        return name, secret == self.password(name)

    def cram(self):
        stamp = "<%d.%d@localhost>" % (os.getpid(), id(self))
        name, _, digest = self.challenge(stamp.encode()).decode(
            "utf-8").rpartition(" ")
        secret = self.password(name)
        want = None if secret is None else hmac.new(
            secret.encode("utf-8"), stamp.encode(), hashlib.md5).hexdigest()
        return name, digest == want

    def scram(self):
        h = hashlib.sha1 if self.mech == "SCRAM-SHA-1" else hashlib.sha256
        mac = lambda key, msg: hmac.new(key, msg, h).digest()
        first = self.first().decode("utf-8")
        if not first.startswith("n,,"):
            raise Refused("channel binding not supported")
        bare = first[3:]
        attrs = dict(kv.split("=", 1) for kv in bare.split(","))
        name, cnonce = _saslname(attrs["n"]), attrs["r"]
        salt = os.urandom(16)
        nonce = cnonce + b64(os.urandom(18))
        if "scram-bad-nonce" in self.f:
            nonce = "x" + nonce
        server_first = "r=%s,s=%s,i=%d" % (nonce, b64(salt), SCRAM_ITERATIONS)
        final = self.challenge(server_first.encode()).decode("utf-8")
        without_proof, _, proof = final.rpartition(",p=")
        if without_proof != "c=biws,r=" + nonce:
            raise Refused("bad client-final-message")
        secret = self.password(name)
        if secret is None:
            return name, False
        salted = hashlib.pbkdf2_hmac(h().name, secret.encode("utf-8"), salt,
                                     SCRAM_ITERATIONS)
        client_key = mac(salted, b"Client Key")
        auth = ",".join((bare, server_first, without_proof)).encode()
        sig = mac(h(client_key).digest(), auth)
        want = bytes(a ^ b for a, b in zip(client_key, sig))
        if unb64(proof) != want:
            return name, False
        server_sig = mac(mac(salted, b"Server Key"), auth)
        if "scram-server-error" in self.f:
            self.challenge(b"e=other-error")  # "*" raises Refused: -ERR
            raise Refused("the client did not cancel after e=")
        if "scram-bad-signature" in self.f:
            server_sig = bytes([server_sig[0] ^ 1]) + server_sig[1:]
        if "scram-skip-signature" not in self.f:
            if self.challenge(b"v=" + b64(server_sig).encode()) != b"":
                raise Refused("expected an empty response")
        return name, True

    def token_error(self, dummy):
        """A refused token: a JSON challenge, the client's dummy answer."""
        if self.challenge(TOKEN_ERROR) != dummy:
            raise Refused("expected the dummy response")
        raise Refused("[AUTH] invalid token")

    def xoauth2(self):
        msg = self.first().decode("utf-8")
        fields = msg.split("\x01")
        if len(fields) != 4 or fields[2:] != ["", ""] or \
                not fields[0].startswith("user=") or \
                not fields[1].startswith("auth=Bearer "):
            raise Refused("malformed XOAUTH2 message")
        name, token = fields[0][5:], fields[1][12:]
        if token != self.password(name):
            self.token_error(b"")
        return name, True

    def oauthbearer(self):
        msg = self.first().decode("utf-8")
        gs2, _, rest = msg.partition("\x01")
        parts = gs2.split(",")
        if len(parts) != 3 or parts[0] != "n" or parts[2] != "" or \
                not rest.endswith("\x01\x01"):
            raise Refused("malformed OAUTHBEARER message")
        name = _saslname(parts[1][2:]) if parts[1].startswith("a=") else ""
        kv = dict(f.split("=", 1) for f in rest[:-2].split("\x01"))
        token = kv.get("auth", "")[len("Bearer "):]
        if token != self.password(name):
            self.token_error(b"\x01")
        return name, True


def auth_command(session, arg):
    """AUTH [mech [initial-response]] in the AUTHORIZATION state."""
    mechs = session.cfg.sasl
    mech, _, initial = arg.partition(" ")
    mech = mech.upper()
    if not mech:
        # RFC 5034: AUTH alone lists the mechanisms (like CAPA's SASL).
        return session.multi("", list(mechs))
    if mech not in mechs:
        return session.err("unsupported mechanism")
    if len("AUTH ") + len(arg) + 2 > MAX_AUTH_LINE:
        return session.err("command line too long")
    ir = None
    if initial:
        if "ir-refused" in session.f:
            return session.err("initial response not accepted")
        try:
            ir = b"" if initial == "=" else unb64(initial)
        except Refused as e:
            return session.err(str(e))
    Exchange(session, mech, ir).run()
