"""pop3.Client: one POP3 session over the C library's client."""

from __future__ import annotations

import collections
import enum
import threading
import weakref
from collections.abc import Iterable, Iterator
from types import TracebackType  # loaded already (enum imports types)

from . import _pop3 as _c
from . import _pop3_c as _raw  # the same functions without SWIG's proxies

# typing is for the type checker alone: importing it costs a short-lived
# script more than the rest of the package (see docs/performance.md).  The
# public aliases below are built on first use (__getattr__).
TYPE_CHECKING = False
if TYPE_CHECKING:  # and the email package is imported by read_message alone
    import email.message
    from typing import (Any, Callable, Dict, List, NamedTuple, Optional,
                        Tuple, Type, Union, overload)
from ._capa import Capabilities
from ._errors import (ArgumentError, Error, ServerError, StateError,
                      make_error)

__all__ = ["Client", "TLS", "Auth", "State", "Stat", "Body", "Batch",
           "StrOrBytes"]

if TYPE_CHECKING:
    StrOrBytes = Union[str, bytes]
    TraceHook = Callable[[str, str], Any]


def __getattr__(name: str) -> object:
    # The type aliases, for code that imports them at run time.
    if name in ("StrOrBytes", "TraceHook", "AuthMethods"):
        from typing import Any, Callable, Iterable, Union
        return {"StrOrBytes": Union[str, bytes],
                "TraceHook": Callable[[str, str], Any],
                "AuthMethods": Union[Auth, str,
                                     Iterable[Union[Auth, str]]]}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_MAX_MSG = 0xFFFFFFFF  # message numbers are C unsigned ints


class TLS(enum.IntEnum):
    """How a session uses TLS (the C library's ``pop3_tls_mode``)."""

    DEFAULT = _c.POP3_TLS_DEFAULT
    """Port 995: implicit TLS; any other port: STLS, required."""
    NONE = _c.POP3_TLS_NONE
    """Cleartext.  Only when asked for by name."""
    STLS_IF_OFFERED = _c.POP3_TLS_STLS_IF_OFFERED
    """STLS when the server offers it, else cleartext."""
    STLS = _c.POP3_TLS_STLS_REQUIRED
    """STLS or no session: no credential is sent in cleartext."""
    IMPLICIT = _c.POP3_TLS_IMPLICIT
    """TLS from the first byte (POP3S, usually port 995)."""


class Auth(enum.IntFlag):
    """Login methods, as flags for ``Client(auth_methods=...)`` (the C
    library's ``POP3_AUTH_*`` bits).  :meth:`Client.authenticate` picks
    the strongest one both sides allow; :attr:`Client.auth_used` names
    the one it chose.  Combine them with ``|``, or pass names such as
    ``["SCRAM-SHA-256", "APOP"]``."""

    USER = _c.POP3_AUTH_USER
    """USER/PASS (RFC 1939): the password crosses the wire as it is."""
    APOP = _c.POP3_AUTH_APOP
    """APOP (RFC 1939): an MD5 digest of the greeting's timestamp."""
    PLAIN = _c.POP3_AUTH_PLAIN
    """SASL PLAIN (RFC 4616): the password as it is."""
    LOGIN = _c.POP3_AUTH_LOGIN
    """SASL LOGIN: the password as it is."""
    CRAM_MD5 = _c.POP3_AUTH_CRAM_MD5
    """SASL CRAM-MD5 (RFC 2195): an HMAC of a challenge."""
    SCRAM_SHA_1 = _c.POP3_AUTH_SCRAM_SHA_1
    """SASL SCRAM-SHA-1 (RFC 5802): a proof; the server proves itself."""
    SCRAM_SHA_256 = _c.POP3_AUTH_SCRAM_SHA_256
    """SASL SCRAM-SHA-256 (RFC 7677): a proof; the server proves itself."""
    XOAUTH2 = _c.POP3_AUTH_XOAUTH2
    """SASL XOAUTH2: an OAuth 2.0 access token (never chosen unless
    named)."""
    OAUTHBEARER = _c.POP3_AUTH_OAUTHBEARER
    """SASL OAUTHBEARER (RFC 7628): an OAuth 2.0 access token (never
    chosen unless named)."""


class State(enum.IntEnum):
    """The RFC 1939 session states, plus "not connected"."""

    DISCONNECTED = _c.POP3_STATE_DISCONNECTED
    AUTHORIZATION = _c.POP3_STATE_AUTHORIZATION
    TRANSACTION = _c.POP3_STATE_TRANSACTION
    UPDATE = _c.POP3_STATE_UPDATE


if TYPE_CHECKING:
    class Stat(NamedTuple):
        count: int
        size: int
else:
    Stat = collections.namedtuple("Stat", "count size")
    Stat.__doc__ = """The reply to STAT: how many messages the maildrop
    holds and their total size, deleted messages not counted."""
    Stat.count.__doc__ = """Number of messages in the maildrop (not
    counting deleted ones)."""
    Stat.size.__doc__ = """Their total size in octets."""


def _tls_mode(tls: Union[TLS, str]) -> TLS:
    if isinstance(tls, TLS):
        return tls
    if isinstance(tls, str):
        try:
            return TLS[tls.upper().replace("-", "_")]
        except KeyError:
            pass
        raise ArgumentError(
            f"tls={tls!r}: expected one of "
            f"{', '.join(m.name.lower() for m in TLS)}",
            status=_c.POP3_E_ARG)
    raise TypeError(f"tls must be a pop3.TLS or a str, not "
                    f"{type(tls).__name__}")


# pipelining= values, as the C library's pop3_pipelining.
_PIPELINING = {"auto": _c.POP3_PIPELINING_AUTO,
               "assume": _c.POP3_PIPELINING_ASSUME,
               "off": _c.POP3_PIPELINING_OFF}


def _pipelining_mode(value: str) -> int:
    if not isinstance(value, str):
        raise TypeError(f"pipelining must be a str, not "
                        f"{type(value).__name__}")
    try:
        return _PIPELINING[value.lower()]
    except KeyError:
        raise ArgumentError(f"pipelining={value!r}: expected one of "
                            f"{', '.join(_PIPELINING)}",
                            status=_c.POP3_E_ARG) from None


if TYPE_CHECKING:
    AuthMethods = Union[Auth, str, Iterable[Union[Auth, str]]]


def _auth_methods(value: AuthMethods) -> int:
    """Auth flags, a method's name ("SCRAM-SHA-256", "apop"), or an
    iterable of either, as the C library's bit set."""
    def one(v: object) -> int:
        if isinstance(v, Auth):
            return int(v)
        if isinstance(v, str):
            try:
                return int(Auth[v.strip().upper().replace("-", "_")])
            except KeyError:
                raise ArgumentError(
                    f"auth_methods: unknown method {v!r}: expected "
                    f"{', '.join(str(m.name).replace('_', '-') for m in Auth)}",
                    status=_c.POP3_E_ARG) from None
        raise TypeError(f"auth_methods must hold pop3.Auth values or "
                        f"names, not {type(v).__name__}")
    if isinstance(value, (Auth, str)):
        bits = one(value)
    else:
        try:
            items = list(value)
        except TypeError:
            raise TypeError("auth_methods must be pop3.Auth flags, a name, "
                            "or an iterable of them") from None
        bits = 0
        for v in items:
            bits |= one(v)
    if not bits:
        # 0 would mean "every password method" to the C library.
        raise ArgumentError("auth_methods: no method left to log in with",
                            status=_c.POP3_E_ARG)
    return bits


def _msg(n: object) -> int:
    """Check a message number: a plain int from 1 to 2**32-1."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"message number must be an int, not "
                        f"{type(n).__name__}")
    if not 1 <= n <= _MAX_MSG:
        raise ArgumentError(f"message number {n} out of range: messages "
                            f"are numbered from 1", status=_c.POP3_E_ARG)
    return n


def _wire(name: str, value: object) -> StrOrBytes:
    """Check an argument that goes on the wire.  CR and LF would let it
    smuggle in a second command, NUL would cut it short in C: refuse all
    three before anything is sent (the C library refuses CR/LF too)."""
    if isinstance(value, str):
        bad = any(ch in value for ch in "\r\n\0")
    elif isinstance(value, (bytes, bytearray)):
        value = bytes(value)
        bad = any(b in value for b in b"\r\n\0")
    else:
        raise TypeError(f"{name} must be str or bytes, not "
                        f"{type(value).__name__}")
    if bad:
        raise ArgumentError(f"{name} contains CR, LF or NUL; nothing was "
                            f"sent", status=_c.POP3_E_ARG)
    return value


def _seconds_to_ms(name: str, seconds: Optional[float]) -> Optional[int]:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number of seconds")
    if not 0 < seconds <= 2_000_000:  # C int milliseconds
        raise ArgumentError(f"{name}={seconds!r}: must be above 0",
                            status=_c.POP3_E_ARG)
    return max(1, int(seconds * 1000))


if TYPE_CHECKING:
    _BodyBase = Iterator[bytes]
    _BatchBase = Iterator[Tuple[int, "Body"]]
else:
    _BodyBase = _BatchBase = Iterator


class Body(_BodyBase):
    """The body of a message being read (from :meth:`Client.retrieve`,
    :meth:`Client.top`, or one message of :meth:`Client.retrieve_many`):
    an iterator of ``bytes`` chunks.

    The chunks are dot-unstuffed, keep their CRLF line ends, and follow
    the network reads, not lines; joined, they are the message.  Only one
    chunk at a time is held, so a message of any size is read in constant
    memory.

    While a body is being read, the client refuses other commands with
    :class:`BusyError`.  Iterate to the end, or call :meth:`close` (or
    use the body as a context manager) to read and drop the rest.  A body
    that is simply dropped unfinished is discarded the same way before
    the client's next command.

    In a batch, the server may have answered ``-ERR`` for this one
    message: :attr:`error` is then that exception, and iterating the body
    raises it (every time), while the batch goes on with the next message.
    """

    msg: int
    """The number of the message."""

    def __init__(self, client: "Client", operation: str, msg: int,
                 batch: Optional["Batch"] = None,
                 error: Optional[Error] = None) -> None:
        self._client = client
        self._op = operation
        # Weak: a batch left by `break` is dropped (and so discarded before
        # the next command) even while its last body is still referenced.
        self._batch_ref = None if batch is None else weakref.ref(batch)
        self._error = error
        self._done = error is not None
        self.msg = msg

    @property
    def error(self) -> Optional[Error]:
        """The server's ``-ERR`` for this message of a batch (a
        :class:`ServerError`), or ``None``: the body is there."""
        return self._error

    def __iter__(self) -> "Body":
        return self

    def _batch(self) -> Optional["Batch"]:
        return None if self._batch_ref is None else self._batch_ref()

    def _active(self) -> bool:
        """Whether the client is still reading this body."""
        owner = self._client._body
        if owner is None:
            return False
        if self._batch_ref is None:
            return owner() is self
        batch = self._batch_ref()
        return (batch is not None and owner() is batch
                and batch._current is self)

    def __next__(self) -> bytes:
        if self._error is not None:
            raise self._error
        if self._done:
            raise StopIteration
        client = self._client
        with client._locked():
            if not self._active():
                self._done = True
                why = ("the client was closed or moved on"
                       if self._batch_ref is None else
                       "its batch moved on to the next message, or was "
                       "dropped: keep the batch while reading its bodies")
                raise StateError(f"{self._op}: the body of message "
                                 f"{self.msg} was abandoned ({why})",
                                 status=_c.POP3_E_STATE)
            st, chunk = _raw.pop3_body_next(client._handle())
            if st == _c.POP3_OK:
                return chunk
            self._done = True
            batch = self._batch()
            if batch is None:
                client._body = None
            else:
                batch._current = None
            if st == _c.POP3_DONE:
                raise StopIteration
            if batch is not None:
                batch._end()
            raise client._error(st, self._op)

    def close(self) -> None:
        """Read and drop the rest of the body, so the client can go on.
        Does nothing when the body has ended.  In a batch, the rest is
        dropped when the batch moves to its next message."""
        if self._done:
            return
        self._done = True
        client = self._client
        with client._locked():
            if not self._active():
                return
            batch = self._batch()
            if batch is not None:
                batch._current = None  # pop3_many_next skips the rest
                return
            client._body = None
            client._check(_c.pop3_discard(client._handle()), self._op)

    def __enter__(self) -> "Body":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if exc_type is None:
            self.close()
        # On an exception, leave the rest unread: the client's owner decides
        # (a Client context manager then closes without QUIT).


class Batch(_BatchBase):
    """Many messages retrieved at once (from :meth:`Client.retrieve_many`
    or :meth:`Client.top_many`): an iterator of ``(msg, body)`` pairs, one
    per message asked for, in that order; each `body` a :class:`Body`.

    The commands are pipelined (RFC 2449) when the server lists
    ``PIPELINING``: several are in flight while the bodies stream in,
    within a window small enough that neither side can deadlock; without
    it they go one at a time.  Either way one message is read at a time,
    in constant memory::

        for n, body in client.retrieve_many(client.list()):
            try:
                data = b"".join(body)
            except pop3.ServerError:
                continue                    # -ERR for this message only
            store(n, data)

    A ``-ERR`` for one message does not end the batch: that pair's body
    has it as :attr:`Body.error` and raises it when iterated.  A failure
    of the connection ends the batch (and the session) by raising from
    the iteration.  Moving to the next pair drops what is left of the
    previous body.

    While the batch runs, other commands get :class:`BusyError`: iterate
    to the end, or :meth:`close` it (or use it as a context manager); a
    batch dropped unfinished (say, after ``break``) is closed before the
    client's next command.  A body does not keep its batch alive, so
    keep the batch (or the ``for`` loop over it) while reading.
    """

    def __init__(self, client: "Client", operation: str,
                 msgs: List[int]) -> None:
        self._client = client
        self._op = operation
        self._msgs = msgs
        self._current: Optional[Body] = None
        self._done = not msgs

    def __iter__(self) -> "Batch":
        return self

    def _end(self) -> None:
        self._done = True
        self._current = None
        client = self._client
        if client._body is not None and client._body() is self:
            client._body = None

    def __next__(self) -> Tuple[int, Body]:
        if self._done:
            raise StopIteration
        client = self._client
        with client._locked():
            if client._body is None or client._body() is not self:
                self._done = True
                raise StateError(f"{self._op}: the batch was abandoned "
                                 f"(the client was closed or moved on)",
                                 status=_c.POP3_E_STATE)
            self._current = None
            handle = client._handle()
            st, msg = _raw.pop3_many_next(handle)
            if st == _c.POP3_OK:
                body = Body(client, self._op, msg, batch=self)
                self._current = body
                return msg, body
            if st == _c.POP3_DONE:
                self._end()
                raise StopIteration
            if (_c.pop3_status_family(st) in (_c.POP3_FAMILY_SERVER,
                                                  _c.POP3_FAMILY_AUTH)
                    and _c.pop3_get_state(handle)
                    == _c.POP3_STATE_TRANSACTION and msg):
                # -ERR for this message alone ([AUTH] too, RFC 3206),
                # the batch goes on, as pop3_many_next says.
                return msg, Body(client, self._op, msg, batch=self,
                                 error=client._error(st, f"{self._op} {msg}"))
            self._end()
            raise client._error(st, self._op)

    def close(self) -> None:
        """End the batch early: the replies already asked for are read and
        dropped, so the client can go on.  Does nothing when the batch
        has ended."""
        if self._done:
            return
        client = self._client
        with client._locked():
            if client._body is None or client._body() is not self:
                self._done = True
                return
            self._end()
            client._check(_c.pop3_discard(client._handle()), self._op)

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if exc_type is None:
            self.close()
            return
        # No I/O on the way out of an exception (it may be the connection
        # failing): let the batch go, so the client's next command reads
        # and drops the rest, as for a batch dropped after break.  The
        # exception's traceback keeps this object alive, so the client
        # must stop pointing at it; iterating it again is a StateError.
        client = self._client
        with client._locked():
            if client._body is not None and client._body() is self:
                self._current = None
                client._body = _let_go


def _let_go() -> None:
    """What Client._body holds for a batch let go while still running:
    a dead reference, so the next command discards the rest."""
    return None


class Client:
    """A POP3 client session (RFC 1939), optionally over TLS.

    ``Client(host)`` connects at once; ``Client()`` makes an unconnected
    client for a later :meth:`connect`.  Use it as a context manager::

        with pop3.Client("mail.example.org", tls="implicit") as c:
            c.login("alice", "secret")
            for n in c.list():
                msg = c.read_message(n)

    Leaving the ``with`` block normally sends QUIT, which commits the
    deletions made with :meth:`delete`.  Leaving it by an exception only
    drops the connection: the server then deletes nothing, so an
    interrupted session never loses mail.

    Args:
        host: server name or address (IPv4 or IPv6); ``None`` to connect
            later.
        port: TCP port; ``None`` for 110, or 995 with ``tls="implicit"``.
        tls: a :class:`TLS` or its name (``"default"``, ``"none"``,
            ``"stls_if_offered"``, ``"stls"``, ``"implicit"``).  The
            default is implicit TLS on port 995 and required STLS
            elsewhere; cleartext only with ``tls="none"``.  With TLS
            required, a server that offers none ends the session in
            :meth:`connect`, before any credential could be sent
            (:class:`TLSUnavailableError`).
        timeout: seconds allowed for each operation (default 60).
        connect_timeout: seconds allowed for connecting (default 30, or
            ``timeout`` when that is given).
        verify: verify the server's certificate and host name (default);
            ``False`` turns verification off, for tests only.
        ca_file, ca_path: a PEM CA bundle, a hashed CA directory (default:
            the system's).
        cert_file, key_file: a client certificate and its key (PEM).
        server_name: the name to verify and send as SNI (default: host).
        allow_cleartext: let :meth:`authenticate` send the password as it
            is (USER/PASS, PLAIN, LOGIN) on a connection without TLS also
            when `tls` is not ``"none"`` (e.g. ``"stls_if_offered"`` found
            no STLS).  Default ``False``: choosing ``tls="none"`` is the
            only other consent.
        auth_methods: the login methods :meth:`authenticate` may choose
            from: :class:`Auth` flags, a name (``"SCRAM-SHA-256"``) or an
            iterable of either.  Default: every password method (not the
            token ones, XOAUTH2 and OAUTHBEARER).
        utf8: turn on UTF-8 mode (RFC 6856) in :meth:`connect` when the
            server offers it, for UTF-8 user names and passwords with
            USER/PASS and APOP (SASL carries UTF-8 in any case).
        pipeline_login: when :meth:`capabilities` before :meth:`login`
            listed ``PIPELINING`` (or `early_capa` did, or `pipelining`
            is ``"assume"``), send USER, PASS, CAPA and STAT in one
            write (one round trip) instead of USER and PASS, then CAPA and
            STAT (two).  Only for servers known to keep commands sent
            before the login for the session after it (Dovecot does).
        early_capa: send CAPA as soon as the connection (and implicit
            TLS) is up, without waiting for the greeting, so the
            capabilities are known when :meth:`connect` returns at no
            round trip of their own.  RFC 1939 has the client wait for
            the greeting; a server that drops early talkers fails the
            connect.  Default ``False``.
        pipelining: when commands go out before earlier ones are
            answered (the login, :meth:`retrieve_many` and the other
            batches): ``"auto"`` (default) when the server's CAPA listed
            ``PIPELINING``, asking CAPA first for a batch; ``"assume"``
            as if listed until a CAPA is read (for a server known from an
            earlier session: no CAPA round trip first); ``"off"`` never,
            one command at a time.
        trace: a callable ``trace(direction, line)`` given each command
            sent (``"send"``) and each status or listing line received
            (``"recv"``), without CRLF; passwords are masked.  It must not
            use the client.
        max_line: the longest status line accepted (default 512).
        buffer_size: the read buffer, and so the largest chunk (default
            65536).

    A client must not be used by two threads at once (calls from a second
    thread wait); each thread may drive its own client, and blocking
    calls release the GIL, so they run in parallel.
    """

    def __init__(self, host: Optional[str] = None,
                 port: Optional[int] = None, *,
                 tls: Union[TLS, str] = TLS.DEFAULT,
                 timeout: Optional[float] = None,
                 connect_timeout: Optional[float] = None,
                 verify: bool = True,
                 ca_file: Optional[str] = None,
                 ca_path: Optional[str] = None,
                 cert_file: Optional[str] = None,
                 key_file: Optional[str] = None,
                 server_name: Optional[str] = None,
                 allow_cleartext: bool = False,
                 auth_methods: Optional[AuthMethods] = None,
                 utf8: bool = False,
                 pipeline_login: bool = False,
                 early_capa: bool = False,
                 pipelining: str = "auto",
                 trace: Optional[TraceHook] = None,
                 max_line: Optional[int] = None,
                 buffer_size: Optional[int] = None) -> None:
        self._c: Any = None
        self._guard = _Guard()  # one for the client's life: no garbage
        # What is being read: a Body, or a Batch of them (weak, so one
        # the caller dropped unfinished is noticed and discarded; a batch
        # let go by an exception leaves _let_go).
        self._body: Optional[
            Callable[[], Optional[Union[Body, Batch]]]] = None
        self._trace_hook: Optional[Callable[[int, bytes], None]] = None
        self.tls = _tls_mode(tls)

        opts = _c.pop3_options()
        opts.tls = int(self.tls)
        opts.tls_verify = 1 if verify else 0
        opts.allow_cleartext = 1 if allow_cleartext else 0
        opts.utf8 = 1 if utf8 else 0
        opts.pipeline_login = 1 if pipeline_login else 0
        opts.early_capa = 1 if early_capa else 0
        opts.pipelining = _pipelining_mode(pipelining)
        if auth_methods is not None:
            opts.auth_methods = _auth_methods(auth_methods)
        io_ms = _seconds_to_ms("timeout", timeout)
        conn_ms = _seconds_to_ms("connect_timeout", connect_timeout)
        if io_ms is not None:
            opts.io_timeout_ms = io_ms
            opts.connect_timeout_ms = io_ms
        if conn_ms is not None:
            opts.connect_timeout_ms = conn_ms
        for name, value in (("max_line", max_line),
                            ("buffer_size", buffer_size)):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{name} must be an int")
                if not 0 < value < 2**31:
                    raise ArgumentError(f"{name}={value}: out of range",
                                        status=_c.POP3_E_ARG)
                setattr(opts, name, value)
        if trace is not None:
            if not callable(trace):
                raise TypeError("trace must be callable")
            self._trace_hook = _trace_adapter(trace)
            _c.pop3swig_py_set_trace(opts, self._trace_hook)
        for name, value in (("ca_file", ca_file), ("ca_path", ca_path),
                            ("cert_file", cert_file), ("key_file", key_file),
                            ("server_name", server_name)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str")
        st, handle = _c.pop3swig_client_new(opts, ca_file, ca_path,
                                            cert_file, key_file, server_name)
        if st != _c.POP3_OK:
            raise make_error(st, "Client", detail="check the options")
        self._c = handle
        if host is not None:
            self.connect(host, port)

    # -- plumbing ----------------------------------------------------------

    def _locked(self) -> "_Guard":
        return self._guard

    def _handle(self) -> Any:
        if self._c is None:
            raise StateError("the client has been freed",
                             status=_c.POP3_E_STATE)
        return self._c

    def _error(self, status: int, operation: str) -> Error:
        fam = _c.pop3_status_family(status)
        text = code = ""
        # Only a server's answer is worth quoting; after a local refusal
        # the last reply is stale.
        if fam in (_c.POP3_FAMILY_SERVER, _c.POP3_FAMILY_AUTH):
            text = _c.pop3_server_text(self._c)
            code = _c.pop3_resp_code(self._c)
        detail = None
        if status == _c.POP3_E_BUSY:
            detail = ("a message or listing is being read: finish it or "
                      "call its close()")
        # The library's own sentence on the failure (certificate, TLS
        # file, no login method, ...).  A local refusal (argument, state)
        # leaves the previous one in place: it would be stale.
        why = ""
        if fam not in (_c.POP3_FAMILY_ARG, _c.POP3_FAMILY_STATE):
            why = _c.pop3_error_detail(self._c) or ""
        return make_error(status, operation, text, code, detail, why)

    def _check(self, status: int, operation: str) -> None:
        if status != _c.POP3_OK:
            raise self._error(status, operation)

    def _settle(self) -> None:
        """Discard a body the caller dropped unfinished (its iterator is
        gone), so the next command can be sent."""
        if self._body is not None and self._body() is None:
            self._body = None
            self._check(_c.pop3_discard(self._c), "discard")

    def _call(self, operation: str, fn: Callable[..., Any],
              *args: Any) -> List[Any]:
        """Run one C call under the client's lock; raise on failure;
        return the outputs."""
        with self._locked():
            return self._call_locked(operation, fn, *args)

    def _call_locked(self, operation: str, fn: Callable[..., Any],
                     *args: Any) -> List[Any]:
        handle = self._handle()
        self._settle()
        r = fn(handle, *args)
        st, out = (r[0], r[1:]) if isinstance(r, list) else (r, [])
        if st != _c.POP3_OK:
            raise self._error(st, operation)
        return out

    # -- connection ----------------------------------------------------------

    def connect(self, host: str, port: Optional[int] = None) -> str:
        """Connect to `host` and read the greeting; return its text.

        Every address the name resolves to is tried in turn.  With TLS
        required, the handshake (and for STLS, the upgrade) happens here,
        before any credential can be sent.
        """
        if not isinstance(host, str):
            raise TypeError(f"host must be a str, not {type(host).__name__}")
        if port is None:
            port = 0
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"port must be an int, not {type(port).__name__}")
        if not 0 <= port <= 65535:
            raise ArgumentError(f"port {port} out of range",
                                status=_c.POP3_E_ARG)
        self._call("connect", _c.pop3_connect, host, port)
        return self.greeting

    def close(self) -> None:
        """Drop the connection WITHOUT QUIT: the server commits no
        deletion.  The client may :meth:`connect` again.  Safe to call
        at any time, more than once."""
        with self._locked():
            self._body = None
            if self._c is not None:
                _c.pop3_close(self._c)

    def quit(self) -> None:
        """QUIT: end the session.  After login this commits the deletions
        (raises :class:`ServerError` if the server could not commit
        them).  The connection is closed either way."""
        self._call("quit", _c.pop3_quit)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if exc_type is not None:
            self.close()  # no QUIT: nothing gets deleted
            return
        state = self.state
        if state is State.TRANSACTION:
            with self._locked():
                if self._body is not None:  # a body left half-read
                    self._body = None
                    self._check(_c.pop3_discard(self._c), "discard")
            self.quit()  # commits; its failure must be seen
        elif state is State.AUTHORIZATION:
            try:
                self.quit()
            except Error:
                # Nothing to commit before login; a server that already
                # hung up (e.g. after -ERR [IN-USE]) is no error here.
                self.close()
        else:
            self.close()

    def __del__(self) -> None:
        handle, self._c = getattr(self, "_c", None), None
        if handle is not None and _c is not None:
            _c.pop3_client_free(handle)  # closes without QUIT

    def __repr__(self) -> str:
        return f"<pop3.Client state={self.state.name}>"

    # -- what the client knows -------------------------------------------

    @property
    def state(self) -> State:
        """The session's :class:`State`."""
        if self._c is None:
            return State.DISCONNECTED
        return State(_c.pop3_get_state(self._c))

    @property
    def greeting(self) -> str:
        """The text of the server's greeting ("" before connecting)."""
        return _c.pop3_greeting(self._handle()) or ""

    @property
    def apop_timestamp(self) -> Optional[str]:
        """The APOP timestamp of the greeting (``<...>``), or ``None``."""
        return _c.pop3_apop_timestamp(self._handle())

    @property
    def server_text(self) -> str:
        """The text of the server's last status line."""
        return _c.pop3_server_text(self._handle()) or ""

    @property
    def resp_code(self) -> str:
        """The response code of the last status line (e.g. ``"IN-USE"``),
        or ""."""
        return _c.pop3_resp_code(self._handle()) or ""

    @property
    def is_tls(self) -> bool:
        """Whether the connection is under TLS (implicit, or after
        STLS)."""
        return self._c is not None and bool(_c.pop3_is_tls(self._c))

    @property
    def is_utf8(self) -> bool:
        """Whether UTF-8 mode (RFC 6856) is on."""
        return self._c is not None and bool(_c.pop3_is_utf8(self._c))

    @property
    def auth_used(self) -> Optional[str]:
        """The method of the last login attempt on this connection
        (``"SCRAM-SHA-256"``, ``"APOP"``, ``"USER"``, ...), or
        ``None``."""
        return _c.pop3_auth_used(self._handle())

    # -- TLS and extensions --------------------------------------------------

    def stls(self) -> None:
        """STLS (RFC 2595): upgrade a cleartext session to TLS, verified as
        the options say, then read the capabilities again.

        :meth:`connect` already does this unless ``tls="none"``; call it
        yourself only after a cleartext connect.  Anything but a clean
        upgrade -- ``-ERR`` (:class:`TLSUnavailableError`), a failed
        handshake or certificate (:class:`TLSError`,
        :class:`CertificateError`), bytes injected before the handshake
        (:class:`ProtocolError`) -- ends the session, so nothing more goes
        out in cleartext.  Raises :class:`StateError` after login or when
        TLS is on already (nothing sent)."""
        self._call("stls", _c.pop3_stls)

    def utf8(self) -> None:
        """UTF8 (RFC 6856): let the server send UTF-8, and (when the
        capability says ``USER``) take UTF-8 user names and passwords with
        USER/PASS and APOP.  Before login only.  Raises
        :class:`UnsupportedError` when the server does not offer it
        (nothing sent).  ``Client(utf8=True)`` does this in
        :meth:`connect`."""
        self._call("utf8", _c.pop3_utf8)

    def capabilities(self, *, refresh: bool = True) -> Capabilities:
        """CAPA (RFC 2449): the server's capabilities, as a read-only
        mapping of each name (upper case; lookups ignore case) to its
        arguments, e.g. ``{"TOP": [], "UIDL": [], "SASL": ["PLAIN",
        "SCRAM-SHA-256"], "PIPELINING": []}`` (see :class:`Capabilities`).

        The list can change after STLS and after login, and the client
        reads it again then by itself.  With ``refresh=False`` no command
        is sent: the result is the list the client already holds (empty
        when it has read none).  A server without CAPA answers ``-ERR``:
        the result is then empty."""
        with self._locked():
            handle = self._handle()
            self._settle()
            if refresh:
                st = _c.pop3_capa(handle)
                if st == _c.POP3_E_SERVER:
                    return Capabilities()
                self._check(st, "capabilities")
            lines: List[str] = []
            while True:
                line = _c.pop3_capa_line(handle, len(lines))
                if line is None:
                    break
                lines.append(line)
        return Capabilities(lines)

    # -- authorization -------------------------------------------------------

    def login(self, user: StrOrBytes, password: StrOrBytes) -> None:
        """USER and PASS.  Raises :class:`AuthenticationError` when the
        credentials are refused, :class:`MailboxInUseError` when another
        session holds the maildrop."""
        self._call("login", _c.pop3_login, _wire("user", user),
                   _wire("password", password))

    def apop(self, user: StrOrBytes, secret: StrOrBytes) -> None:
        """APOP: log in without sending the secret (an MD5 digest of the
        greeting's timestamp and the secret is sent instead).  Raises
        :class:`AuthUnavailableError` when the greeting has no
        timestamp."""
        self._call("apop", _c.pop3_apop, _wire("user", user),
                   _wire("secret", secret))

    def auth(self, mechanism: str, user: StrOrBytes,
             secret: StrOrBytes) -> None:
        """SASL AUTH (RFC 5034) with the named `mechanism`: ``"PLAIN"``,
        ``"LOGIN"``, ``"CRAM-MD5"``, ``"SCRAM-SHA-1"``, ``"SCRAM-SHA-256"``,
        or for an OAuth 2.0 access token as `secret`, ``"XOAUTH2"`` or
        ``"OAUTHBEARER"`` (`user` may be "" there).  Any case.

        Sent as asked, whatever the capabilities say.  SCRAM checks that
        the server knows the password too: a wrong or missing server
        signature raises :class:`AuthenticationError` (status
        ``POP3_E_AUTH_SERVER``) and ends the session.  A refusal raises
        :class:`AuthenticationError` (or :class:`MailboxInUseError`, ...,
        by the response code); a mechanism the library lacks,
        :class:`UnsupportedError`.  The secret never appears in the trace
        or in an exception."""
        if not isinstance(mechanism, str):
            raise TypeError(f"mechanism must be a str, not "
                            f"{type(mechanism).__name__}")
        self._call("auth", _c.pop3_auth, _wire("mechanism", mechanism),
                   _wire("user", user), _wire("secret", secret))

    def authenticate(self, user: StrOrBytes, password: StrOrBytes) -> None:
        """Log in with the strongest method both sides support, reading
        the capabilities first if need be: SCRAM-SHA-256, SCRAM-SHA-1,
        CRAM-MD5, then (under TLS, or with cleartext allowed) PLAIN,
        LOGIN; APOP; USER/PASS -- limited to `auth_methods`.

        On a connection without TLS the methods that reveal the password
        take part only where you chose cleartext (``tls="none"`` or
        ``allow_cleartext=True``).  Exactly one method is tried: a refused
        password is not retried with a weaker one.  :attr:`auth_used`
        names the method chosen.  Raises :class:`AuthUnavailableError`
        when no method is left (its ``error_detail`` says why), else as
        :meth:`auth`, :meth:`apop` and :meth:`login` do."""
        self._call("authenticate", _c.pop3_authenticate,
                   _wire("user", user), _wire("password", password))

    # -- transaction ---------------------------------------------------------

    def stat(self) -> Stat:
        """STAT: the number of messages and their total size."""
        count, size = self._call("stat", _c.pop3_stat)
        return Stat(count, size)

    if TYPE_CHECKING:
        @overload
        def list(self) -> Dict[int, int]: ...
        @overload
        def list(self, n: int) -> int: ...

    def list(self, n: Optional[int] = None) -> Union[int, Dict[int, int]]:
        """LIST: ``{number: size}`` of every message not deleted, or with
        `n` the size of message `n`."""
        if n is not None:
            (size,) = self._call("list", _c.pop3_list_one, _msg(n))
            return size
        return self._listing("list", _c.pop3_list_begin, _c.pop3_list_next)

    if TYPE_CHECKING:
        @overload
        def uidl(self) -> Dict[int, str]: ...
        @overload
        def uidl(self, n: int) -> str: ...

    def uidl(self, n: Optional[int] = None) -> Union[str, Dict[int, str]]:
        """UIDL: ``{number: unique id}`` of every message not deleted, or
        with `n` the unique id of message `n`.  A message keeps its id
        across sessions, so ids tell which messages are new."""
        if n is not None:
            (uid,) = self._call("uidl", _c.pop3_uidl_one, _msg(n))
            return uid
        return self._listing("uidl", _c.pop3_uidl_begin, _c.pop3_uidl_next)

    def _listing(self, op: str, begin: Callable[..., Any],
                 nxt: Callable[..., Any]) -> Dict[int, Any]:
        result: Dict[int, Any] = {}
        bad = 0
        with self._locked():
            handle = self._handle()
            self._settle()
            self._check(begin(handle), op)
            while True:
                st, msg, value = nxt(handle)
                if st == _c.POP3_OK:
                    result[msg] = value
                elif st == _c.POP3_DONE:
                    break
                elif st == _c.POP3_E_PROTOCOL and _c.pop3_get_state(
                        handle) == _c.POP3_STATE_TRANSACTION:
                    bad += 1  # one malformed line; the listing goes on
                else:
                    raise self._error(st, op)
        if bad:
            # Do not hand back a silently shortened listing: raise, with
            # the good lines, after reading to the end so the session
            # can go on.
            err = make_error(_c.POP3_E_PROTOCOL, op,
                             detail=f"{bad} malformed line(s) in the "
                                    f"listing; .partial has the others")
            err.partial = result
            raise err
        return result

    def retrieve(self, n: int) -> Body:
        """RETR n: the message as an iterator of ``bytes`` chunks (see
        :class:`Body`).  For example, to parse it while it arrives::

            parser = email.parser.BytesFeedParser(policy=email.policy.default)
            for chunk in client.retrieve(1):
                parser.feed(chunk)
            msg = parser.close()
        """
        n = _msg(n)
        return self._begin_body("retrieve", n, _c.pop3_retr_begin, n)

    def top(self, n: int, lines: int) -> Body:
        """TOP n lines: the headers of message `n` and the first `lines`
        lines of its body, as an iterator of ``bytes`` chunks."""
        if isinstance(lines, bool) or not isinstance(lines, int):
            raise TypeError("lines must be an int")
        if not 0 <= lines <= 0xFFFFFFFF:
            raise ArgumentError(f"lines={lines}: out of range",
                                status=_c.POP3_E_ARG)
        n = _msg(n)
        return self._begin_body("top", n, _c.pop3_top_begin, n, lines)

    def _begin_body(self, op: str, n: int, fn: Callable[..., Any],
                    *args: Any) -> Body:
        body = Body(self, op, n)
        with self._locked():
            self._call_locked(op, fn, *args)
            self._body = weakref.ref(body)
        return body

    def read_message(self, n: int) -> email.message.EmailMessage:
        """RETR n, parsed: the whole message as an
        :class:`email.message.EmailMessage` (``email.policy.default``)."""
        import email.message
        import email.parser
        import email.policy

        parser = email.parser.BytesFeedParser(policy=email.policy.default)
        with self.retrieve(n) as body:
            for chunk in body:
                parser.feed(chunk)
        msg = parser.close()
        assert isinstance(msg, email.message.EmailMessage)
        return msg

    def delete(self, n: int) -> None:
        """DELE n: mark message `n` for deletion.  Only a later
        :meth:`quit` (or a clean exit from the ``with`` block) commits
        it; :meth:`reset` unmarks."""
        self._call("delete", _c.pop3_dele, _msg(n))

    def retrieve_many(self, msgs: Iterable[int], *,
                      then_quit: bool = False) -> Batch:
        """RETR of many messages, pipelined: an iterator of ``(msg,
        body)`` pairs in the order of `msgs`, each `body` a :class:`Body`
        of ``bytes`` chunks (see :class:`Batch`)::

            for n, body in c.retrieve_many(c.list()):
                with open(f"{n}.eml", "wb") as f:
                    for chunk in body:
                        f.write(chunk)

        With ``PIPELINING`` in the server's capabilities, commands go
        ahead of the replies (a window of ``POP3_PIPELINE_WINDOW``), which
        saves a round trip per message; otherwise one at a time.  A
        ``-ERR`` for one message is raised by its body alone and the
        batch goes on.  Numbers are checked (ints from 1) before anything
        is sent; an empty `msgs` sends nothing.

        ``then_quit=True`` sends QUIT with the last command (with
        ``PIPELINING``), saving a round trip at the end of a session:
        after the batch only :meth:`quit` (or leaving ``with``) is
        allowed, and it reads the reply.  The server then ends the session
        and commits any deletions of it whatever happens next, even if the
        client is closed without :meth:`quit`."""
        return self._begin_many("retrieve_many", msgs,
                                _c.pop3_retr_many_begin, then_quit=then_quit)

    def top_many(self, msgs: Iterable[int], lines: int, *,
                 then_quit: bool = False) -> Batch:
        """TOP n `lines` of many messages, pipelined: as
        :meth:`retrieve_many`, with the headers and the first `lines`
        lines of each body (``top_many(ns, 0)``: headers only)."""
        if isinstance(lines, bool) or not isinstance(lines, int):
            raise TypeError("lines must be an int")
        if not 0 <= lines <= 0xFFFFFFFF:
            raise ArgumentError(f"lines={lines}: out of range",
                                status=_c.POP3_E_ARG)
        return self._begin_many("top_many", msgs, _c.pop3_top_many_begin,
                                lines, then_quit=then_quit)

    def _begin_many(self, op: str, msgs: Iterable[int],
                    fn: Callable[..., Any], *args: Any,
                    then_quit: bool = False) -> Batch:
        nums = self._msg_list(msgs)
        batch = Batch(self, op, nums)
        if nums:
            with self._locked():
                self._call_locked(op, fn, nums, *args)
                if then_quit:
                    self._call_locked(op, _c.pop3_many_then_quit)
                self._body = weakref.ref(batch)
        return batch

    @staticmethod
    def _msg_list(msgs: Iterable[int]) -> List[int]:
        if isinstance(msgs, (str, bytes)) or not isinstance(msgs, Iterable):
            raise TypeError(f"msgs must be an iterable of message numbers, "
                            f"not {type(msgs).__name__}")
        return [_msg(n) for n in msgs]

    def delete_many(self, msgs: Iterable[int]) -> None:
        """DELE of many messages, pipelined (see :meth:`retrieve_many`).
        As with :meth:`delete`, only a later QUIT commits them.

        When the server refuses some, the others stay marked and
        :class:`ServerError` is raised with ``failed`` (``{msg: error}``,
        each error naming its status) and ``deleted`` (the numbers
        marked); leaving a ``with`` block by it sends no QUIT, so nothing
        is deleted unless you catch it.  An empty `msgs` sends nothing."""
        nums = self._msg_list(msgs)
        if not nums:
            return
        with self._locked():
            handle = self._handle()
            self._settle()
            st, results = _c.pop3_dele_many(handle, nums)
            if st == _c.POP3_OK:
                return
            if (st != _c.POP3_E_SERVER or _c.pop3_get_state(handle)
                    != _c.POP3_STATE_TRANSACTION):
                raise self._error(st, "delete_many")
        failed = {n: make_error(r, f"delete {n}")
                  for n, r in zip(nums, results) if r != _c.POP3_OK}
        deleted = [n for n, r in zip(nums, results) if r == _c.POP3_OK]
        err = make_error(st, "delete_many", detail=(
            f"the server refused {len(failed)} of {len(nums)}: message"
            f"{'s' if len(failed) > 1 else ''} "
            f"{', '.join(str(n) for n in failed)}; the others are marked "
            f"for deletion"))
        assert isinstance(err, ServerError)
        err.failed = failed
        err.deleted = deleted
        raise err

    def noop(self) -> None:
        """NOOP: keep the session alive."""
        self._call("noop", _c.pop3_noop)

    def reset(self) -> None:
        """RSET: unmark every message marked for deletion."""
        self._call("reset", _c.pop3_rset)


class _Guard:
    """A client's lock, refusing re-entry from the same thread (a trace
    hook calling back into its own client would corrupt the C call in
    progress).  It holds no reference to the client, so no cycle keeps a
    dropped client alive."""

    __slots__ = ("_lock", "_owner")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: Optional[int] = None

    def __enter__(self) -> None:
        me = threading.get_ident()
        if self._owner == me:
            raise StateError("a client cannot be used from inside one of "
                             "its own calls (e.g. from its trace hook)",
                             status=_c.POP3_E_STATE)
        self._lock.acquire()
        self._owner = me

    def __exit__(self, *exc: object) -> None:
        self._owner = None
        self._lock.release()


def _trace_adapter(hook: TraceHook) -> Callable[[int, bytes], None]:
    def adapter(direction: int, line: bytes) -> None:
        hook("send" if direction == _c.POP3_TRACE_SEND else "recv",
             line.decode("utf-8", "surrogateescape"))
    return adapter
