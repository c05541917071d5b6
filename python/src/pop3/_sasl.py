"""SASL client mechanisms for pop3.aio, sans-I/O: each turns the server's
challenges into responses and never touches a socket (RFC 4422).

The blocking client uses the C library's SASL; the asyncio client drives
the engine itself, so it needs these.  Every challenge is checked before
it is trusted (strict base64, the mechanism's syntax), and SCRAM checks
the server's signature before the +OK counts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Dict, Optional

__all__ = ["Mechanism", "make", "SaslError", "SaslServerError", "SaslCancel",
           "NAMES"]


class SaslError(Exception):
    """A malformed challenge: the session must end."""


class SaslServerError(SaslError):
    """The server failed to prove itself (SCRAM signature)."""


class SaslCancel(Exception):
    """The server gave up (SCRAM's "e="): the client cancels with "*"
    and the login is refused; the session goes on."""


def b64decode(data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise SaslError("challenge is not valid base64") from None


def b64encode(data: bytes) -> bytes:
    return base64.b64encode(data)


class Mechanism:
    """One exchange.  `initial()` is the initial response (None: the
    mechanism waits for the server's first challenge); `step()` answers a
    decoded challenge; `finish()` is called on +OK and raises when the
    server has not proved itself."""

    name = ""

    def __init__(self, user: bytes, secret: bytes) -> None:
        self.user = user
        self.secret = secret

    def initial(self) -> Optional[bytes]:
        return None

    def step(self, challenge: bytes) -> bytes:
        raise SaslError(f"{self.name}: unexpected challenge")

    def finish(self) -> None:
        return None


class Plain(Mechanism):
    """RFC 4616: authzid empty, then user and password."""

    name = "PLAIN"

    def initial(self) -> Optional[bytes]:
        return b"\0" + self.user + b"\0" + self.secret


class Login(Mechanism):
    """draft-murchison-sasl-login: the user name, then the password,
    whatever the prompts say."""

    name = "LOGIN"

    def __init__(self, user: bytes, secret: bytes) -> None:
        super().__init__(user, secret)
        self._sent = 0

    def step(self, challenge: bytes) -> bytes:
        self._sent += 1
        if self._sent == 1:
            return self.user
        if self._sent == 2:
            return self.secret
        raise SaslError("LOGIN: more than two challenges")


class CramMD5(Mechanism):
    """RFC 2195: "user hex(HMAC-MD5(secret, challenge))".  HMAC keys over
    64 octets are hashed first (RFC 2104), which hmac does."""

    name = "CRAM-MD5"

    def __init__(self, user: bytes, secret: bytes) -> None:
        super().__init__(user, secret)
        self._done = False

    def step(self, challenge: bytes) -> bytes:
        if self._done or not challenge.startswith(b"<"):
            raise SaslError("CRAM-MD5: malformed challenge")
        self._done = True
        digest = hmac.new(self.secret, challenge, hashlib.md5).hexdigest()
        return self.user + b" " + digest.encode()


def _saslname(user: bytes) -> bytes:
    # RFC 5802 5.1: "," and "=" are escaped in user names.
    return user.replace(b"=", b"=3D").replace(b",", b"=2C")


def _attrs(msg: bytes) -> Dict[bytes, bytes]:
    out: Dict[bytes, bytes] = {}
    for part in msg.split(b","):
        if len(part) < 2 or part[1:2] != b"=":
            raise SaslError("SCRAM: malformed message")
        out.setdefault(part[:1], part[2:])
    return out


class Scram(Mechanism):
    """RFC 5802 (SCRAM-SHA-1) and RFC 7677 (SCRAM-SHA-256), without
    channel binding ("n,,")."""

    def __init__(self, user: bytes, secret: bytes, name: str,
                 hash_name: str) -> None:
        super().__init__(user, secret)
        self.name = name
        self._hash = hash_name
        self._nonce = base64.b64encode(secrets.token_bytes(18))
        self._first_bare = b"n=" + _saslname(user) + b",r=" + self._nonce
        self._server_sig: Optional[bytes] = None
        self._stage = 0

    def _hmac(self, key: bytes, msg: bytes) -> bytes:
        return hmac.new(key, msg, self._hash).digest()

    def initial(self) -> Optional[bytes]:
        return b"n,," + self._first_bare

    def step(self, challenge: bytes) -> bytes:
        self._stage += 1
        if self._stage == 1:
            return self._final(challenge)
        if self._stage == 2:
            attrs = _attrs(challenge)
            if b"e" in attrs:
                raise SaslCancel("SCRAM server error: "
                                 + attrs[b"e"].decode("ascii", "replace"))
            got = b64decode(attrs.get(b"v", b""))
            if self._server_sig is None or not hmac.compare_digest(
                    got, self._server_sig):
                raise SaslServerError("SCRAM: wrong server signature")
            self._stage = 3
            return b""
        raise SaslError("SCRAM: too many challenges")

    def _final(self, server_first: bytes) -> bytes:
        attrs = _attrs(server_first)
        nonce, salt_b64, iters = (attrs.get(b"r"), attrs.get(b"s"),
                                  attrs.get(b"i"))
        if nonce is None or salt_b64 is None or iters is None:
            raise SaslError("SCRAM: malformed server-first-message")
        if not nonce.startswith(self._nonce) or len(nonce) == len(
                self._nonce):
            raise SaslError("SCRAM: server nonce does not extend ours")
        if not iters.isdigit() or not 1 <= int(iters) <= 10_000_000:
            raise SaslError("SCRAM: bad iteration count")
        salted = hashlib.pbkdf2_hmac(self._hash, self.secret,
                                     b64decode(salt_b64), int(iters))
        without_proof = b"c=biws,r=" + nonce
        auth_msg = self._first_bare + b"," + server_first + b"," + \
            without_proof
        client_key = self._hmac(salted, b"Client Key")
        stored = hashlib.new(self._hash, client_key).digest()
        sig = self._hmac(stored, auth_msg)
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        self._server_sig = self._hmac(self._hmac(salted, b"Server Key"),
                                      auth_msg)
        return without_proof + b",p=" + base64.b64encode(proof)

    def finish(self) -> None:
        if self._stage != 3:
            raise SaslServerError("SCRAM: +OK without the server's "
                                  "signature")


def _framing_ok(value: bytes) -> bool:
    # A control character would break the ^A framing of the token
    # messages (the C library refuses it too).
    return not any(b < 0x20 or b == 0x7F for b in value)


class _Token(Mechanism):
    """The OAuth 2.0 mechanisms: the secret is an access token, sent as
    it is.  A refused token comes back as one challenge holding a JSON
    error; the answer is the mechanism's dummy message, then -ERR."""

    dummy = b""
    token = True

    def __init__(self, user: bytes, secret: bytes) -> None:
        super().__init__(user, secret)
        self.server_error = ""

    def step(self, challenge: bytes) -> bytes:
        if self.server_error:
            raise SaslError(f"{self.name}: a second error challenge")
        text = challenge.decode("ascii", "replace")
        self.server_error = "".join(
            c if " " <= c <= "~" else "?" for c in text)[:150] or "?"
        return self.dummy

    def finish(self) -> None:
        if self.server_error:
            raise SaslError(f"{self.name}: +OK after an error challenge")


class XOAuth2(_Token):
    """Google's and Microsoft's XOAUTH2:
    "user=" user ^A "auth=Bearer " token ^A ^A."""

    name = "XOAUTH2"

    def initial(self) -> Optional[bytes]:
        return (b"user=" + self.user + b"\x01auth=Bearer " + self.secret
                + b"\x01\x01")


class OAuthBearer(_Token):
    """RFC 7628: gs2-header ^A [host ^A] [port ^A] "auth=Bearer " token
    ^A ^A; the dummy answer to an error is one ^A."""

    name = "OAUTHBEARER"
    dummy = b"\x01"

    def __init__(self, user: bytes, secret: bytes, host: Optional[str],
                 port: int) -> None:
        super().__init__(user, secret)
        self.host = host.encode("utf-8") if host else b""
        self.port = port

    def initial(self) -> Optional[bytes]:
        msg = b"n," + (b"a=" + _saslname(self.user) if self.user else b"")
        msg += b",\x01"
        if self.host:
            msg += b"host=" + self.host + b"\x01"
        if self.port:
            msg += b"port=%d\x01" % self.port
        return msg + b"auth=Bearer " + self.secret + b"\x01\x01"


NAMES = ("SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN")
"""Password mechanisms authenticate() may choose, strongest first (the
token ones, XOAUTH2 and OAUTHBEARER, only by name)."""

TOKENS = ("XOAUTH2", "OAUTHBEARER")

REVEALS_SECRET = ("PLAIN", "LOGIN")


def make(name: str, user: bytes, secret: bytes, host: Optional[str] = None,
         port: int = 0) -> Optional[Mechanism]:
    """The mechanism called `name` (any case), or None when unknown.
    `host` and `port` name the server for OAUTHBEARER.  Raises ValueError
    for arguments the mechanism cannot carry."""
    name = name.upper()
    if not secret or (not user and name != "OAUTHBEARER"):
        raise ValueError("empty user or secret")
    if name in TOKENS and not (_framing_ok(user) and _framing_ok(secret)
                               and _framing_ok((host or "").encode())):
        raise ValueError("a control character in the user or token")
    if name == "XOAUTH2":
        return XOAuth2(user, secret)
    if name == "OAUTHBEARER":
        return OAuthBearer(user, secret, host, port)
    if name == "PLAIN":
        return Plain(user, secret)
    if name == "LOGIN":
        return Login(user, secret)
    if name == "CRAM-MD5":
        return CramMD5(user, secret)
    if name == "SCRAM-SHA-1":
        return Scram(user, secret, name, "sha1")
    if name == "SCRAM-SHA-256":
        return Scram(user, secret, name, "sha256")
    return None
