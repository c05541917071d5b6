"""pop3.aio: the POP3 client for asyncio.

The same methods as :class:`pop3.Client`, as coroutines, over asyncio
streams: many sessions run concurrently in one thread.  The C library's
protocol engine (``pop3_codec``) parses every reply; this module only
moves the bytes::

    import asyncio, pop3.aio

    async def main():
        async with pop3.aio.Client("mail.example.org", tls="implicit") as c:
            await c.login("alice", "secret")
            for n in await c.list():
                async for chunk in c.retrieve(n):
                    ...

    asyncio.run(main())

Leaving ``async with`` normally sends QUIT (committing deletions).  An
exception, a timeout or a cancellation only drops the connection: the
server then deletes nothing.  TLS uses asyncio's own SSL support with a
verifying context by default; STLS upgrades with ``start_tls``.
"""

from __future__ import annotations

import asyncio
import email.message
import email.parser
import email.policy
import re
import ssl
import sys
import weakref
from types import TracebackType
from typing import (Any, AsyncIterator, Awaitable, Callable, Dict,
                    Iterable, List, Optional, Tuple, Type, Union)

from . import _pop3 as _c
from . import _sasl
from ._aio_many import Batch, BatchBody, Pipeline, delete_many
from ._capa import Capabilities
from ._client import (TLS, Stat, State, StrOrBytes, _msg,
                      _pipelining_mode, _tls_mode, _wire)
from ._errors import Error, ProtocolError, make_error
from ._stream import Stream

if sys.version_info < (3, 11):  # pragma: no cover - this machine has 3.11
    raise ImportError("pop3.aio needs Python 3.11 or newer (it is built on "
                      "asyncio.timeout); pop3.Client runs on older versions")

__all__ = ["Client", "Body", "Batch", "BatchBody"]

_STATUS = _c.POP3_CODEC_STATUS
_LISTING = _c.POP3_CODEC_LISTING
_BODY = _c.POP3_CODEC_BODY
_SASL = _c.POP3_CODEC_SASL

# Failures after which the session cannot go on (the C client's rule).
_FATAL = (_c.POP3_FAMILY_PROTOCOL, _c.POP3_FAMILY_IO,
          _c.POP3_FAMILY_TIMEOUT, _c.POP3_FAMILY_TLS)

_NUM_SIZE = re.compile(rb"(\d{1,20}) (\d{1,20})(?: .*)?\Z", re.S)
_NUM_UID = re.compile(rb"(\d{1,20}) ([\x21-\x7e]{1,70})\Z")

# What a session said, readable after the connection went (QUIT or a
# failure), as from the C client; close() and connect() forget it.
_KEPT = ("_text", "_code", "_greeting", "_stamp", "_auth_used", "_utf8")

_U64 = 2**64 - 1
_MAX_MSG = 0xFFFFFFFF


def _num_size(text: bytes) -> Optional[Tuple[int, int]]:
    m = _NUM_SIZE.match(text)
    if not m or int(m[1]) > _U64 or int(m[2]) > _U64:
        return None
    return int(m[1]), int(m[2])


def _num_uid(text: bytes) -> Optional[Tuple[int, str]]:
    m = _NUM_UID.match(text)
    if not m or not 1 <= int(m[1]) <= _MAX_MSG:
        return None
    return int(m[1]), m[2].decode("ascii")


def _bytes(value: StrOrBytes) -> bytes:
    return value.encode("utf-8", "surrogateescape") if isinstance(
        value, str) else bytes(value)


def _text(data: Optional[bytes]) -> str:
    return (data or b"").decode("utf-8", "surrogateescape")


class _Reading:
    """A :class:`Body` being read, as its client holds it (the client's
    ``_body``): weakly, so a body dropped unfinished (``break``) is
    noticed, and its rest read and dropped before the next command, as
    :class:`pop3.Client` does."""

    def __init__(self, client: "Client", body: "Body") -> None:
        self.client = client
        self.body = weakref.ref(body)
        self.op = body._op

    def abandoned(self) -> bool:
        return self.body() is None

    async def drain(self) -> None:
        c = self.client
        while (await c._event())[0] != _c.POP3_CODEC_END:
            pass
        if c._body is self:
            c._body = None

    async def aclose(self) -> None:
        await self.client._run(self.op, self.drain)


class Body(AsyncIterator[bytes]):
    """A message being read (from :meth:`Client.retrieve` or
    :meth:`Client.top`), as an async iterator of ``bytes`` chunks:
    dot-unstuffed, CRLF line ends kept, chunks following the reads.  The
    command goes out on the first ``__anext__``.  While it is being read
    the client refuses other commands (:class:`pop3.BusyError`): iterate
    to the end, or ``await body.aclose()`` to read and drop the rest.  A
    body simply dropped unfinished (``break``) is read and dropped before
    the client's next command."""

    def __init__(self, client: "Client", op: str, verb: str,
                 args: Tuple[str, ...]) -> None:
        self._client = client
        self._op = op
        self._verb = verb
        self._args = args
        self._started = False
        self._done = False
        self._reading: Optional[_Reading] = None  # once the +OK came

    def __aiter__(self) -> "Body":
        return self

    def _current(self) -> bool:
        """Whether the client is reading this body still."""
        return self._reading is not None and \
            self._client._body is self._reading

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        c = self._client
        try:
            chunk = await c._run(self._op, self._step)
        except BaseException:
            self._done = True
            if self._current():
                c._body = None
            raise
        if chunk is None:
            self._done = True
            raise StopAsyncIteration
        return chunk

    async def _step(self) -> Optional[bytes]:
        c = self._client
        if not self._started:
            if c._body is not None:
                raise c._local(_c.POP3_E_BUSY, self._op)
            c._need(self._op, State.TRANSACTION)
            self._started = True
            await c._send(self._verb, *self._args, expect=_BODY)
            await c._status(self._op)
            self._reading = _Reading(c, self)
            c._body = self._reading
        elif not self._current():
            raise c._local(_c.POP3_E_STATE, self._op,
                           "the body was abandoned")
        ev, data = await c._event()
        if ev == _c.POP3_CODEC_CHUNK:
            return data
        if ev != _c.POP3_CODEC_END:
            raise c._local(_c.POP3_E_PROTOCOL, self._op)
        c._body = None
        return None

    async def aclose(self) -> None:
        """Read and drop the rest, so the client can go on."""
        if self._done:
            return
        self._done = True
        if self._reading is not None and self._current():
            await self._reading.aclose()

    async def read(self) -> bytes:
        """The whole body at once."""
        return b"".join([chunk async for chunk in self])


class Client:
    """One POP3 session on asyncio (see the module's doc).

    ``Client(host)`` connects in ``async with``; ``Client()`` waits for
    :meth:`connect`.  The arguments are those of :class:`pop3.Client`,
    plus:

    Args:
        ssl_context: an :class:`ssl.SSLContext` to use instead of the one
            built from `verify`, `ca_file`, `ca_path`, `cert_file` and
            `key_file` (which verifies, with TLS 1.2 at least).
        allow_cleartext: let :meth:`authenticate` reveal the password
            (USER/PASS, PLAIN, LOGIN) without TLS also when `tls` is not
            ``"none"``.
        pipeline_login: as :class:`pop3.Client`'s: after a CAPA that
            listed ``PIPELINING``, USER, PASS, CAPA and STAT in one write
            instead of USER and PASS, then CAPA and STAT.
        utf8: as :class:`pop3.Client`'s: :meth:`connect` turns UTF-8
            mode on when the server offers it.
        early_capa: :meth:`connect` sends CAPA as soon as the connection
            (and implicit TLS) is up, before the greeting arrives, and
            reads its reply after the greeting: the capabilities cost no
            round trip of their own (the STLS check and a pipelined login
            use them; STLS asks again once TLS is on).  A ``-ERR`` to it
            is an RFC 1939 server, and the connect goes on.  RFC 1939 has
            the client wait for the greeting; a server that drops early
            talkers fails the connect.  Default ``False``.
        pipelining: when commands go out before earlier ones are
            answered (the login and the batches), as the C client's
            ``opts.pipelining``: ``"auto"`` (default) when the server's
            CAPA listed ``PIPELINING``, a batch asking CAPA first if none
            was read; ``"assume"`` as if listed until a CAPA is read (for
            a server known from an earlier session: :meth:`login`
            pipelines and batches start without asking CAPA; once one is
            read, its list decides); ``"off"`` never: USER and PASS one at
            a time, a batch one command at a time, and ``then_quit``'s
            QUIT after the batch instead of with its last command.
            Anything else raises :class:`pop3.ArgumentError`.

    `timeout` bounds each operation (each chunk of a body); on expiry
    :class:`pop3.TimeoutError` is raised and the connection dropped,
    without QUIT.  Cancelling a task in the middle of a call does the
    same, so the maildrop is never changed by an interrupted session.
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
                 ssl_context: Optional[ssl.SSLContext] = None,
                 trace: Optional[Callable[[str, str], Any]] = None,
                 max_line: Optional[int] = None,
                 buffer_size: Optional[int] = None,
                 allow_cleartext: bool = False,
                 pipeline_login: bool = False,
                 utf8: bool = False,
                 early_capa: bool = False,
                 pipelining: str = "auto") -> None:
        self.tls = _tls_mode(tls)
        self._pipelining = _pipelining_mode(pipelining)
        self._host, self._port = host, port
        self._timeout = _seconds("timeout", timeout, 60.0)
        self._connect_timeout = _seconds(
            "connect_timeout", connect_timeout,
            self._timeout if timeout is not None else 30.0)
        self._verify = verify
        self._files = (ca_file, ca_path, cert_file, key_file)
        self._server_name = server_name
        self._ssl_context = ssl_context
        if trace is not None and not callable(trace):
            raise TypeError("trace must be callable")
        self._trace = trace
        self._max_line = _size("max_line", max_line, 512)
        self._buffer_size = _size("buffer_size", buffer_size, 65536)
        if self._max_line < 64 or self._buffer_size < 2 * self._max_line:
            raise make_error(_c.POP3_E_ARG, "Client",
                             detail="max_line at least 64, buffer_size at "
                                    "least 2 * max_line")
        self._allow_cleartext = allow_cleartext
        self._pipeline_login = pipeline_login
        self._want_utf8 = utf8
        self._early_capa = early_capa
        self._lock = asyncio.Lock()
        self._reset()

    def _reset(self) -> None:
        self._stream: Optional[Stream] = None
        self._codec: Any = None
        self._rest = memoryview(b"")
        self._state = State.DISCONNECTED
        self._failed: Optional[int] = None
        # What is being read: a Body (its _Reading), or a batch's Pipeline.
        self._body: Optional[Union[_Reading, Pipeline]] = None
        self._greeting = ""
        self._stamp: Optional[str] = None
        self._text = ""
        self._code = ""
        self._capa: Optional[List[str]] = None
        self._capa_refused = False  # CAPA got -ERR: RFC 1939 only
        self._stat: Optional[Tuple[int, int]] = None  # from the login
        self._quit_sent = False  # with a batch's last command
        self._utf8 = False
        self._is_tls = False
        self._auth_used: Optional[str] = None
        self._peer: Tuple[str, int] = ("", 0)  # for OAUTHBEARER

    # -- plumbing ------------------------------------------------------------

    def _local(self, status: int, op: str,
               detail: Optional[str] = None) -> Error:
        if status == _c.POP3_E_BUSY and detail is None:
            detail = ("a message is being read: finish it or call its "
                      "aclose()")
        # As pop3.Client: only a server or login failure quotes the last
        # reply; after any other local refusal it would be stale.
        if _c.pop3_status_family(status) in (_c.POP3_FAMILY_SERVER,
                                             _c.POP3_FAMILY_AUTH):
            return make_error(status, op, self._text, self._code,
                              detail=detail)
        return make_error(status, op, detail=detail)

    def _need(self, op: str, *states: State) -> None:
        if self._state not in states:
            raise self._local(_c.POP3_E_STATE, op)
        if self._quit_sent and op != "quit":
            raise self._local(_c.POP3_E_STATE, op, "QUIT went out with "
                              "the batch: only quit() is left")

    async def _run(self, op: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one exchange: one at a time per client, under the
        timeout; a failure that leaves the session in an unknown place
        (protocol, network, TLS, timeout, cancellation) drops the
        connection without QUIT."""
        async with self._lock:
            if self._failed is not None:
                raise self._local(self._failed, op,
                                  "the session has failed: close() it")
            try:
                async with asyncio.timeout(self._timeout):
                    body = self._body
                    if body is not None and body.abandoned():
                        await body.drain()  # a body or batch left by `break`
                    return await fn(*args)
            except Error as e:
                if _c.pop3_status_family(e.status) in _FATAL:
                    self._fail(e.status)
                raise
            except TimeoutError:
                self._fail(_c.POP3_E_TIMEOUT)
                raise make_error(_c.POP3_E_TIMEOUT, op) from None
            except ssl.SSLCertVerificationError as e:
                self._fail(_c.POP3_E_CERT)
                raise make_error(_c.POP3_E_CERT, op,
                                 detail=e.verify_message) from e
            except ssl.SSLError as e:
                self._fail(_c.POP3_E_TLS)
                raise make_error(_c.POP3_E_TLS, op, detail=str(e)) from e
            except OSError as e:
                self._fail(_c.POP3_E_IO)
                raise make_error(_c.POP3_E_IO, op, detail=str(e)) from e
            except BaseException:
                # Cancelled (or worse) mid-exchange: nobody knows where
                # the reply stands, so drop the connection, never QUIT.
                self._fail(_c.POP3_E_IO)
                raise

    def _fail(self, status: int) -> None:
        """As the C client's pop3__fail: the connection goes and the
        failure sticks until close(); what the session said stays
        readable.  Before there is a connection (refused, timed out)
        there is no session to fail: connect() may simply be tried
        again."""
        connected = self._stream is not None
        self._drop()
        if connected:
            self._failed = status

    def _drop(self) -> None:
        """Drop the connection, keeping the session's last words."""
        kept = [getattr(self, name) for name in _KEPT]
        self._abort()
        for name, value in zip(_KEPT, kept):
            setattr(self, name, value)

    def _abort(self) -> None:
        if self._stream is not None:
            self._stream.abort()  # no QUIT, no waiting
        if self._codec is not None:
            _c.pop3_codec_free(self._codec)
        failed = self._failed
        self._reset()
        self._failed = failed

    def __del__(self) -> None:
        codec = getattr(self, "_codec", None)
        if codec is not None and _c is not None:
            _c.pop3_codec_free(codec)
            self._codec = None

    async def _send(self, verb: str, *args: Any, expect: int,
                    mask: int = 0) -> None:
        """Format and send one command (the C library's CR/LF checks);
        the reply `expect`ed is queued before the bytes leave."""
        await self._write(self._format(verb, *args, mask=mask), expect)

    async def _write(self, line: bytes, expect: int) -> None:
        self._expect(expect)
        await self._write_raw(line)

    def _expect(self, kind: int) -> None:
        """Queue the reply the next command gets (pop3_codec_expect)."""
        st = _c.pop3_codec_expect(self._codec, kind)
        if st != _c.POP3_OK:
            raise self._local(st, "send")

    async def _write_raw(self, data: bytes) -> None:
        assert self._stream is not None
        await self._stream.write(data)

    def _format(self, verb: str, *args: Any, mask: int = 0) -> bytes:
        """One command line (the C library's CR/LF checks), traced with
        the arguments after the first `mask` words hidden."""
        full = list(args) + [None] * (2 - len(args))
        st, line = _c.pop3_codec_format(verb, full[0], full[1])
        if st != _c.POP3_OK:
            raise self._local(st, verb.lower(), "argument refused; "
                              "nothing was sent")
        if self._trace is not None:
            shown = line[:-2].decode("utf-8", "surrogateescape")
            if mask:
                shown = " ".join(shown.split(" ")[:mask]) + " ****"
            self._trace("send", shown)
        return bytes(line)

    async def _event(self) -> Tuple[int, Optional[bytes]]:
        """The next event from the engine, reading as needed."""
        codec = self._codec
        while True:
            st, ev, data = _c.pop3_codec_next(codec)
            if st != _c.POP3_OK:
                raise self._local(st, "read")
            if ev != _c.POP3_CODEC_NEED_MORE:
                if ev == _c.POP3_CODEC_LINE and self._trace is not None:
                    self._trace("recv", _text(data))
                return ev, data
            if not self._rest:
                assert self._stream is not None
                got = await self._stream.read(self._buffer_size)
                if not got:
                    raise self._local(_c.POP3_E_EOF, "read")
                self._rest = memoryview(got)
            st, taken = _c.pop3_codec_feed(codec, self._rest)
            if st != _c.POP3_OK:
                raise self._local(st, "read")
            self._rest = self._rest[taken:]

    async def _status(self, op: str, err: int = _c.POP3_E_SERVER,
                      cont: bool = False) -> Tuple[int, bytes]:
        """Read a status line; raise for -ERR (mapped through its
        response code).  Returns (event, text)."""
        ev, data = await self._event()
        if ev not in (_c.POP3_CODEC_OK, _c.POP3_CODEC_ERR,
                      _c.POP3_CODEC_CONT):
            raise self._local(_c.POP3_E_PROTOCOL, op)
        data = data or b""
        if ev == _c.POP3_CODEC_CONT:
            # A challenge is the server's last word too (as in C).
            self._code, self._text = "", _text(data)
        else:
            st, code = _c.pop3_codec_resp_code(self._codec)
            self._code = _text(code)
            self._text = _text(data)
            if self._trace is not None:
                sign = "+OK" if ev == _c.POP3_CODEC_OK else "-ERR"
                code_part = f" [{self._code}]" if self._code else ""
                self._trace("recv", f"{sign}{code_part} {self._text}".rstrip())
        if ev == _c.POP3_CODEC_ERR:
            raise make_error(_c.pop3_resp_code_status(self._code, err), op,
                             self._text, self._code)
        if ev == _c.POP3_CODEC_CONT and not cont:
            raise self._local(_c.POP3_E_PROTOCOL, op)
        return ev, data

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is not None:
            return self._ssl_context
        ca_file, ca_path, cert_file, key_file = self._files
        ctx = ssl.create_default_context(cafile=ca_file, capath=ca_path)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert_file:
            ctx.load_cert_chain(cert_file, key_file)
        if not self._verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        self._ssl_context = ctx
        return ctx

    # -- connection ----------------------------------------------------------

    async def connect(self, host: str, port: Optional[int] = None) -> str:
        """Connect, shake hands (implicit TLS, or STLS when required or
        offered), read the greeting; return its text."""
        if not isinstance(host, str):
            raise TypeError(f"host must be a str, not {type(host).__name__}")
        if port is not None and (isinstance(port, bool)
                                 or not isinstance(port, int)):
            raise TypeError("port must be an int")
        if port is not None and not 0 <= port <= 65535:
            raise make_error(_c.POP3_E_ARG, "connect",
                             detail=f"port {port} out of range")

        async def go() -> str:
            # As the C client: a failure sticks until close() (_run says
            # so); connected is a state error; after quit() or a failed
            # connect() the connection is gone, and a new session starts.
            if self._stream is not None:
                raise self._local(_c.POP3_E_STATE, "connect")
            self._reset()
            return await self._connect(host, port)
        result: str = await self._run("connect", go)
        return result

    async def _connect(self, host: str, port: Optional[int]) -> str:
        mode = self.tls
        if mode is TLS.DEFAULT:
            mode = TLS.IMPLICIT if port == 995 else TLS.STLS
        if not port:
            port = 995 if mode is TLS.IMPLICIT else 110
        name = self._server_name or host
        self._peer = (name, port)
        st, codec = _c.pop3_codec_new(self._max_line, self._buffer_size)
        if st != _c.POP3_OK:
            raise self._local(st, "connect")
        self._codec = codec
        if mode is not TLS.NONE:
            try:  # before the network, as the C client: no connection
                self._ssl()  # is spent on a file that cannot be read
            except OSError as e:  # ssl.SSLError is one too
                raise make_error(_c.POP3_E_TLS, "connect",
                                 detail=f"cannot load the TLS files: {e}"
                                 ) from None
        try:
            async with asyncio.timeout(self._connect_timeout):
                self._stream = await Stream.open(host, port)
        except TimeoutError:
            raise make_error(_c.POP3_E_TIMEOUT, "connect") from None
        except OSError as e:
            raise make_error(_c.POP3_E_CONNECT, "connect",
                             detail=str(e)) from e
        # Connected: from here on a failure is the session's (sticky).
        if mode is TLS.IMPLICIT:
            await self._stream.start_tls(self._ssl(), server_hostname=name)
            self._is_tls = True
        _c.pop3_codec_expect(self._codec, _STATUS)
        if self._early_capa:
            # On its way while the greeting is; its reply follows it.
            await self._send("CAPA", expect=_LISTING)
        try:
            _, text = await self._status("connect")
        except Error as e:
            if _c.pop3_status_family(e.status) not in _FATAL:
                self._drop()  # a -ERR greeting: nothing more to say
            raise
        self._greeting = _text(text)
        _, stamp = _c.pop3_apop_stamp(text)  # as the C client finds it
        self._stamp = _text(stamp) if stamp else None
        self._state = State.AUTHORIZATION
        if self._early_capa:
            await self._capa_answer(self._read_capa_reply("connect"))
        if mode in (TLS.STLS, TLS.STLS_IF_OFFERED):
            if not self._capa_known():  # else asked before the greeting
                await self._capa_answer(self._read_capa("connect"))
            if self._capa is not None and "STLS" in self._capa_names():
                await self._stls("connect", name)
            elif mode is TLS.STLS:  # the C client's words
                raise make_error(
                    _c.POP3_E_TLS_UNAVAILABLE, "connect",
                    detail="the server offers no STLS"
                    if self._capa is not None
                    else "the server refused CAPA, so no STLS")
        if self._want_utf8:
            # Asked for, so turned on when offered; its absence (or a
            # -ERR) leaves the session as it is (the C client's rule).
            try:
                await self._utf8_on("connect")
            except Error as e:
                if _c.pop3_status_family(e.status) in _FATAL:
                    raise
        return self._greeting

    async def _stls(self, op: str, name: str) -> None:
        await self._send("STLS", expect=_STATUS)
        try:
            await self._status(op)
        except Error as e:
            if e.status == _c.POP3_E_SERVER:
                raise make_error(_c.POP3_E_TLS_UNAVAILABLE, op,
                                 e.server_text, e.resp_code) from None
            raise
        # RFC 2595 4: whatever came with the +OK was sent before TLS and
        # cannot be trusted (response injection): neither the codec, nor
        # our slice of the last read, nor the stream may hold a byte.
        assert self._stream is not None
        if (_c.pop3_codec_pending(self._codec) or self._rest
                or self._stream.buffered()):
            raise self._local(_c.POP3_E_PROTOCOL, op,
                              "data after the +OK to STLS")
        await self._stream.start_tls(self._ssl(), server_hostname=name)
        self._is_tls = True
        await self._read_capa(op)

    async def stls(self) -> None:
        """STLS on a cleartext session (after ``tls="none"``)."""
        async def go() -> None:
            self._need("stls", State.AUTHORIZATION)
            if self._is_tls:
                raise self._local(_c.POP3_E_STATE, "stls",
                                  "TLS is already on")
            await self._stls("stls", self._server_name or self._host or "")
        await self._run("stls", go)

    async def close(self) -> None:
        """Drop the connection WITHOUT QUIT: nothing is deleted."""
        self._failed = None
        self._abort()
        self._failed = None
        await asyncio.sleep(0)  # let the transport finish closing

    async def quit(self) -> None:
        """QUIT: end the session; after login, commit the deletions.
        Refused before anything goes out (state, a body being read), the
        session goes on as it was."""
        quitting = False

        async def go() -> None:
            nonlocal quitting
            self._need("quit", State.AUTHORIZATION, State.TRANSACTION)
            if self._body is not None:
                raise self._local(_c.POP3_E_BUSY, "quit")
            quitting = True
            after = State.UPDATE if self._state is State.TRANSACTION \
                else State.DISCONNECTED
            self._state = after
            if self._quit_sent:  # with the last command of a batch
                self._expect(_STATUS)
            else:
                await self._send("QUIT", expect=_STATUS)
            await self._status("quit")
        try:
            await self._run("quit", go)
        finally:
            if quitting and self._failed is None:
                # As the C client: the connection goes; what the session
                # said (QUIT's reply too) stays readable.
                state = self._state
                self._drop()
                self._state = state if state is State.UPDATE else \
                    State.DISCONNECTED
                await asyncio.sleep(0)  # let the transport finish closing

    async def __aenter__(self) -> "Client":
        if self._host is not None and self._state is State.DISCONNECTED:
            await self.connect(self._host, self._port)
        return self

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        if exc_type is not None:
            await self.close()  # no QUIT: nothing gets deleted
            return
        if self._state is State.TRANSACTION:
            if self._body is not None:
                await self._body.aclose()
            await self.quit()
        elif self._state is State.AUTHORIZATION:
            try:
                await self.quit()
            except Error:
                await self.close()
        else:
            await self.close()

    def __repr__(self) -> str:
        return f"<pop3.aio.Client state={self._state.name}>"

    # -- what the client knows -------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def greeting(self) -> str:
        return self._greeting

    @property
    def apop_timestamp(self) -> Optional[str]:
        return self._stamp

    @property
    def server_text(self) -> str:
        return self._text

    @property
    def resp_code(self) -> str:
        return self._code

    @property
    def is_tls(self) -> bool:
        return self._is_tls

    @property
    def is_utf8(self) -> bool:
        """Whether UTF-8 mode (RFC 6856) is on."""
        return self._utf8

    @property
    def auth_used(self) -> Optional[str]:
        """The method of the last login attempt ("USER", "APOP",
        "SCRAM-SHA-256", ...)."""
        return self._auth_used

    # -- authorization -------------------------------------------------------

    def _auth_err(self) -> int:
        # RFC 3206: with AUTH-RESP-CODE a -ERR without [AUTH] is no
        # credentials problem.
        if self._capa is not None and "AUTH-RESP-CODE" in self._capa_names():
            return _c.POP3_E_SERVER
        return _c.POP3_E_AUTH

    async def _logged_in(self) -> None:
        self._state = State.TRANSACTION
        if self._capa is not None:
            try:
                await self._read_capa("login")
            except Error as e:
                if _c.pop3_status_family(e.status) in _FATAL:
                    raise

    async def login(self, user: StrOrBytes, password: StrOrBytes) -> None:
        """USER and PASS."""
        user, password = _wire("user", user), _wire("password", password)

        async def go() -> None:
            self._need("login", State.AUTHORIZATION)
            # Both lines are checked before the first leaves.
            if _c.pop3_codec_format("PASS", password, None)[0] != 0:
                raise self._local(_c.POP3_E_ARG, "login", "password "
                                  "refused; nothing was sent")
            self._auth_used = "USER"
            if self._pipelines():
                await self._login_pipelined(user, password)
                return
            await self._send("USER", user, expect=_STATUS)
            await self._status("login", self._auth_err())
            await self._send("PASS", password, expect=_STATUS, mask=1)
            await self._status("login", self._auth_err())
            await self._logged_in()
        await self._run("login", go)

    async def _login_pipelined(self, user: StrOrBytes,
                               password: StrOrBytes) -> None:
        """USER and PASS in one write, then CAPA and STAT in another once
        PASS is accepted -- or all four in one write with
        `pipeline_login` -- as the C client sends them after a CAPA that
        listed PIPELINING (RFC 2449 6.6, auth_pipelined.c).  Every reply
        sent for is read whatever the login's fate; a refusal reports the
        reply that refused (USER's or PASS's).  STAT's answer is kept for
        stat()."""
        err = self._auth_err()
        lines = [self._format("USER", user),
                 self._format("PASS", password, mask=1)]
        kinds = [_STATUS, _STATUS]
        if self._pipeline_login:
            lines += [self._format("CAPA"), self._format("STAT")]
            kinds += [_LISTING, _STATUS]
        await self._write_expecting(lines, kinds)
        refused: Optional[Error] = None
        why = ("", "")
        for _ in range(2):  # USER, PASS
            try:
                await self._status("login", err)
            except Error as e:
                if _c.pop3_status_family(e.status) in _FATAL:
                    raise
                if refused is None:
                    refused, why = e, (self._text, self._code)
        if not self._pipeline_login:
            if refused is not None:
                self._text, self._code = why
                raise refused
            await self._write_expecting(
                [self._format("CAPA"), self._format("STAT")],
                [_LISTING, _STATUS])
        if refused is None:
            self._state = State.TRANSACTION
        try:
            try:
                await self._read_capa_reply("login")
            except Error as e:
                if _c.pop3_status_family(e.status) in _FATAL:
                    raise
            try:
                _, text = await self._status("login")
                if refused is None:
                    self._stat = _num_size(text)
            except Error as e:
                if _c.pop3_status_family(e.status) in _FATAL:
                    raise
        except Error as e:
            if refused is None:
                raise
            self._fail(e.status)  # out of step; the refusal says why
        if refused is not None:
            self._text, self._code = why
            raise refused

    async def _write_expecting(self, lines: List[bytes],
                               kinds: List[int]) -> None:
        """Several commands in one write, their replies queued first."""
        for kind in kinds:
            self._expect(kind)
        await self._write_raw(b"".join(lines))

    async def apop(self, user: StrOrBytes, secret: StrOrBytes) -> None:
        """APOP: the secret never crosses the wire."""
        user, secret = _wire("user", user), _wire("secret", secret)

        async def go() -> None:
            self._need("apop", State.AUTHORIZATION)
            if self._stamp is None:
                raise self._local(_c.POP3_E_AUTH_UNAVAILABLE, "apop",
                                  "the greeting has no timestamp")
            st, digest = _c.pop3_apop_digest(self._stamp, secret)
            if st != _c.POP3_OK:
                raise self._local(st, "apop")
            self._auth_used = "APOP"
            await self._send("APOP", user, digest, expect=_STATUS, mask=2)
            await self._status("apop", self._auth_err())
            await self._logged_in()
        await self._run("apop", go)

    async def auth(self, mechanism: str, user: StrOrBytes,
                   password: StrOrBytes) -> None:
        """SASL AUTH (RFC 5034), as :meth:`pop3.Client.auth`:
        SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN or LOGIN, or for an
        OAuth 2.0 access token as `password`, XOAUTH2 or OAUTHBEARER
        (`user` may be "" there).  A token mechanism whose one-step form
        gets a plain -ERR is tried once more in two steps, as the C
        client does."""
        if not isinstance(mechanism, str):
            raise TypeError("mechanism must be a str")
        _wire("mechanism", mechanism)
        user, password = _wire("user", user), _wire("password", password)

        def make() -> _sasl.Mechanism:
            try:
                mech = _sasl.make(mechanism, _bytes(user), _bytes(password),
                                  *self._peer)
            except ValueError as e:
                raise make_error(_c.POP3_E_ARG, "auth", detail=str(e)
                                 + "; nothing was sent") from None
            if mech is None:
                raise make_error(_c.POP3_E_UNSUPPORTED, "auth",
                                 detail=f"pop3.aio has no {mechanism}")
            return mech
        make()  # argument errors before anything else

        async def go() -> None:
            self._need("auth", State.AUTHORIZATION)
            mech = make()
            try:
                await self._sasl(mech, allow_ir=True)
            except Error as e:
                if not (getattr(mech, "token", False) and e.resp_code == ""
                        and _c.pop3_status_family(e.status)
                        not in _FATAL and getattr(e, "_ir_refused", False)):
                    raise
                await self._sasl(make(), allow_ir=False)
            await self._logged_in()
        await self._run("auth", go)

    async def _sasl(self, mech: _sasl.Mechanism,
                    allow_ir: bool = True) -> None:
        self._auth_used = mech.name
        first = mech.initial()
        ir = None
        if first is not None and allow_ir:
            ir = _sasl.b64encode(first).decode("ascii") or "="
            if len("AUTH ") + len(mech.name) + 1 + len(ir) + 2 > 255:
                ir = None  # RFC 5034 4: send it after an empty challenge
        args = (mech.name, ir) if ir else (mech.name,)
        await self._send("AUTH", *args, expect=_SASL, mask=2 if ir else 0)
        sent_first = ir is not None
        err = self._auth_err()
        rounds = 0
        try:
            while True:
                try:
                    ev, data = await self._status("auth", err, cont=True)
                except Error as e:
                    # The one-step form refused at once (Office 365).
                    e._ir_refused = ir is not None and rounds == 0
                    if getattr(mech, "server_error", ""):
                        e.error_detail = ("token refused: "
                                          + mech.server_error)
                    raise
                if ev == _c.POP3_CODEC_OK:
                    mech.finish()
                    return
                rounds += 1
                if rounds > 8:  # sasl.c's MAX_ROUNDS challenges at most
                    raise _sasl.SaslError("too many challenges")
                challenge = _sasl.b64decode(data.strip())
                if not sent_first and first is not None:
                    if challenge:
                        raise _sasl.SaslError("expected an empty challenge")
                    response, sent_first = first, True
                else:
                    response = mech.step(challenge)
                if self._trace is not None:
                    self._trace("send", "****")
                await self._write(_sasl.b64encode(response) + b"\r\n",
                                  _SASL)
        except _sasl.SaslCancel as e:
            await self._sasl_cancel(str(e))
        except _sasl.SaslServerError as e:
            # The server did not prove itself: the session ends (as
            # sasl.c's pop3__fail), the error quoting its last words.
            err = self._local(_c.POP3_E_AUTH_SERVER, "auth", str(e))
            self._fail(_c.POP3_E_AUTH_SERVER)
            raise err from None
        except _sasl.SaslError as e:
            self._fail(_c.POP3_E_PROTOCOL)
            raise make_error(_c.POP3_E_PROTOCOL, "auth",
                             detail=str(e)) from None

    async def _sasl_cancel(self, why: str) -> None:
        """RFC 5034 4: "*" ends an exchange the server gave up on; its
        -ERR makes a refused login (the session goes on), a +OK is not
        to be trusted (sasl.c's cancel)."""
        if self._trace is not None:
            self._trace("send", "*")
        await self._write(b"*\r\n", _STATUS)
        try:
            await self._status("auth", _c.POP3_E_AUTH)
        except Error as e:
            if _c.pop3_status_family(e.status) in _FATAL:
                raise
            raise make_error(_c.POP3_E_AUTH, "auth", self._text,
                             self._code, detail=why) from None
        self._fail(_c.POP3_E_PROTOCOL)
        raise make_error(_c.POP3_E_PROTOCOL, "auth",
                         detail="+OK to a cancelled login")

    async def authenticate(self, user: StrOrBytes,
                           password: StrOrBytes) -> None:
        """Log in with the strongest method both sides support (as
        :meth:`pop3.Client.authenticate`): SASL SCRAM-SHA-256,
        SCRAM-SHA-1, CRAM-MD5, then APOP, then PLAIN, LOGIN and
        USER/PASS -- the last three only under TLS or where cleartext was
        chosen (``tls="none"`` or ``allow_cleartext``)."""
        user, password = _wire("user", user), _wire("password", password)
        if self._state is State.AUTHORIZATION:
            await self._run("authenticate", self._know_capa, "authenticate")
        cleartext_ok = (self._is_tls or self.tls is TLS.NONE
                        or self._allow_cleartext)
        caps = self._capa_args()
        sasl = [m.upper() for m in caps.get("SASL", [])]
        for name in _sasl.NAMES:
            if name not in _sasl.REVEALS_SECRET and name in sasl:
                return await self.auth(name, user, password)
        reveal = [n for n in _sasl.REVEALS_SECRET
                  if n in sasl] if cleartext_ok else []
        # Under TLS PLAIN is as safe as APOP and needs no MD5; without
        # TLS, APOP keeps the secret off the wire.
        if reveal and self._is_tls:
            return await self.auth(reveal[0], user, password)
        if self._stamp is not None:
            return await self.apop(user, password)
        if reveal:
            return await self.auth(reveal[0], user, password)
        if cleartext_ok and (self._capa is None or "USER" in caps):
            return await self.login(user, password)
        raise make_error(_c.POP3_E_AUTH_UNAVAILABLE, "authenticate",
                         detail="no method both sides support"
                         + ("" if cleartext_ok else
                            " without revealing the password"))

    # -- capabilities ---------------------------------------------------------

    async def _read_capa(self, op: str) -> None:
        await self._send("CAPA", expect=_LISTING)
        await self._read_capa_reply(op)

    async def _read_capa_reply(self, op: str) -> None:
        self._capa = None
        self._capa_refused = False
        try:
            await self._status(op)
        except Error as e:
            if _c.pop3_status_family(e.status) not in _FATAL:
                self._capa_refused = True
            raise
        lines = []
        while True:
            ev, data = await self._event()
            if ev == _c.POP3_CODEC_END:
                break
            if len(lines) < 128 and data and data.split():
                lines.append(_text(data))
        self._capa = lines

    @staticmethod
    async def _capa_answer(reading: Awaitable[None]) -> None:
        """Await a CAPA: a -ERR is an answer too (RFC 1939 only, the
        session goes on); a failure of the connection is raised."""
        try:
            await reading
        except Error as e:
            if _c.pop3_status_family(e.status) in _FATAL:
                raise

    def _capa_known(self) -> bool:
        """Whether a CAPA was read: listed, or refused."""
        return self._capa is not None or self._capa_refused

    async def _know_capa(self, op: str) -> None:
        """CAPA when the client has not asked yet (as the C client, to
        learn whether the server pipelines); a -ERR is an answer too."""
        if not self._capa_known():
            await self._capa_answer(self._read_capa(op))

    def _pipelines(self) -> bool:
        """Whether commands may go out before earlier ones are answered
        (pop3__pipelines without asking): a CAPA read decides, unless
        "off"; before one, only "assume" says yes."""
        if self._pipelining == _c.POP3_PIPELINING_OFF:
            return False
        if not self._capa_known():
            return self._pipelining == _c.POP3_PIPELINING_ASSUME
        return self._capa is not None and "PIPELINING" in self._capa_names()

    async def _ask_pipelines(self, op: str) -> bool:
        """As _pipelines, asking CAPA first when "auto" has none (a
        batch: CAPA now, not between its commands)."""
        if self._pipelining == _c.POP3_PIPELINING_AUTO:
            await self._know_capa(op)
        return self._pipelines()

    def _capa_names(self) -> List[str]:
        return [line.split()[0].upper() for line in self._capa or []]

    def _capa_args(self) -> Dict[str, List[str]]:
        caps: Dict[str, List[str]] = {}
        for line in self._capa or []:
            name, *args = line.split()
            caps[name.upper()] = args
        return caps

    async def capabilities(self) -> Capabilities:
        """CAPA (RFC 2449): a :class:`pop3.Capabilities`, the read-only
        mapping ``{NAME: [arguments]}`` that :meth:`pop3.Client.capabilities`
        gives too."""
        async def go() -> None:
            self._need("capabilities", State.AUTHORIZATION,
                       State.TRANSACTION)
            if self._body is not None:
                raise self._local(_c.POP3_E_BUSY, "capabilities")
            await self._read_capa("capabilities")
        await self._run("capabilities", go)
        return Capabilities(self._capa or [])

    async def utf8(self) -> None:
        """UTF8 (RFC 6856), as :meth:`pop3.Client.utf8`: before login,
        when CAPA lists it (asked for first if need be); else
        :class:`pop3.UnsupportedError` with nothing sent."""
        async def go() -> None:
            self._need("utf8", State.AUTHORIZATION)
            await self._utf8_on("utf8")
        await self._run("utf8", go)

    async def _utf8_on(self, op: str) -> None:
        if self._utf8:
            return
        await self._know_capa(op)
        if "UTF8" not in self._capa_names():
            raise self._local(_c.POP3_E_UNSUPPORTED, op,
                              "the server does not offer UTF8")
        await self._send("UTF8", expect=_STATUS)
        await self._status(op)
        self._utf8 = True

    # -- transaction ---------------------------------------------------------

    async def _simple(self, op: str, verb: str, *args: str,
                      forget_stat: bool = False) -> bytes:
        async def go() -> bytes:
            self._need(op, State.TRANSACTION)
            if self._body is not None:
                raise self._local(_c.POP3_E_BUSY, op)
            if forget_stat:
                self._stat = None  # STAT leaves deleted messages out
            await self._send(verb, *args, expect=_STATUS)
            return (await self._status(op))[1]
        result: bytes = await self._run(op, go)
        return result

    async def stat(self) -> Stat:
        """STAT: the number of messages and their total size (known
        without a round trip after a pipelined login, until DELE or
        RSET)."""
        async def kept() -> Optional[Tuple[int, int]]:
            self._need("stat", State.TRANSACTION)
            if self._body is not None:
                raise self._local(_c.POP3_E_BUSY, "stat")
            return self._stat
        known = await self._run("stat", kept)
        if known is not None:
            # As if the reply had just come (the C client does the same).
            self._text, self._code = f"{known[0]} {known[1]}", ""
            return Stat(*known)
        parsed = _num_size(await self._simple("stat", "STAT"))
        if parsed is None:
            self._fail(_c.POP3_E_PROTOCOL)
            raise self._local(_c.POP3_E_PROTOCOL, "stat")
        return Stat(*parsed)

    async def list(self, n: Optional[int] = None
                   ) -> Union[int, Dict[int, int]]:
        """LIST: ``{number: size}``, or with `n` the size of message n."""
        if n is not None:
            parsed = _num_size(await self._simple("list", "LIST",
                                                  str(_msg(n))))
            if parsed is None or parsed[0] != n:
                self._fail(_c.POP3_E_PROTOCOL)
                raise self._local(_c.POP3_E_PROTOCOL, "list")
            return parsed[1]
        return await self._listing("list", "LIST", _num_size)

    async def uidl(self, n: Optional[int] = None
                   ) -> Union[str, Dict[int, str]]:
        """UIDL: ``{number: unique id}``, or with `n` the id of message
        n."""
        if n is not None:
            parsed = _num_uid(await self._simple("uidl", "UIDL",
                                                 str(_msg(n))))
            if parsed is None or parsed[0] != n:
                self._fail(_c.POP3_E_PROTOCOL)
                raise self._local(_c.POP3_E_PROTOCOL, "uidl")
            return parsed[1]
        return await self._listing("uidl", "UIDL", _num_uid)

    async def _listing(self, op: str, verb: str,
                       parse: Callable[[bytes], Any]) -> Dict[int, Any]:
        async def go() -> Tuple[Dict[int, Any], int]:
            self._need(op, State.TRANSACTION)
            if self._body is not None:
                raise self._local(_c.POP3_E_BUSY, op)
            await self._send(verb, expect=_LISTING)
            await self._status(op)
            result: Dict[int, Any] = {}
            bad = 0
            while True:
                ev, data = await self._event()
                if ev == _c.POP3_CODEC_END:
                    return result, bad
                item = parse(data or b"")
                if item is None or not 1 <= item[0] <= _MAX_MSG:
                    bad += 1  # one malformed line; the listing goes on
                else:
                    result[item[0]] = item[1]
        result, bad = await self._run(op, go)
        if bad:
            err = make_error(_c.POP3_E_PROTOCOL, op,
                             detail=f"{bad} malformed line(s) in the "
                                    f"listing; .partial has the others")
            assert isinstance(err, ProtocolError)
            err.partial = result
            raise err
        return result

    def retrieve(self, n: int) -> Body:
        """RETR n: ``async for chunk in client.retrieve(n)``."""
        return Body(self, "retrieve", "RETR", (str(_msg(n)),))

    def top(self, n: int, lines: int) -> Body:
        """TOP n lines: the headers and the first `lines` body lines."""
        if isinstance(lines, bool) or not isinstance(lines, int):
            raise TypeError("lines must be an int")
        if not 0 <= lines <= 0xFFFFFFFF:
            raise make_error(_c.POP3_E_ARG, "top",
                             detail=f"lines={lines}: out of range")
        return Body(self, "top", "TOP", (str(_msg(n)), str(lines)))

    def retrieve_many(self, msgs: Iterable[int], *,
                      then_quit: bool = False) -> Batch:
        """RETR of many messages, pipelined, as
        :meth:`pop3.Client.retrieve_many`: ``async for n, body in
        c.retrieve_many(ns)``, each `body` an async iterator of chunks
        (see :class:`Batch`).  Numbers are checked here, before anything
        is sent; the commands go out on the first step.

        With `then_quit`, QUIT goes out in the same write as the last
        command (when the server pipelines), so the session is over once
        that write is made: every other call gets
        :class:`pop3.StateError`, and :meth:`quit` only reads QUIT's
        reply.  The server commits the deletions when it reads QUIT, not
        when the client reads the reply: a batch cancelled, timed out or
        failed after that write may or may not have committed them, and
        only QUIT's ``+OK``, read by :meth:`quit`, says they were."""
        return Batch(self, "retrieve_many", "RETR", _msg_list(msgs),
                     None, then_quit)

    def top_many(self, msgs: Iterable[int], lines: int, *,
                 then_quit: bool = False) -> Batch:
        """TOP n `lines` of many messages, pipelined: as
        :meth:`retrieve_many`."""
        if isinstance(lines, bool) or not isinstance(lines, int):
            raise TypeError("lines must be an int")
        if not 0 <= lines <= 0xFFFFFFFF:
            raise make_error(_c.POP3_E_ARG, "top_many",
                             detail=f"lines={lines}: out of range")
        return Batch(self, "top_many", "TOP", _msg_list(msgs), str(lines),
                     then_quit)

    async def delete_many(self, msgs: Iterable[int]) -> None:
        """DELE of many messages, pipelined, as
        :meth:`pop3.Client.delete_many`: when the server refuses some,
        :class:`pop3.ServerError` with ``failed`` ({msg: error}) and
        ``deleted`` (the numbers marked).  Committed only by QUIT."""
        nums = _msg_list(msgs)
        if nums:
            await self._run("delete_many", delete_many, self, nums)

    async def read_message(self, n: int) -> email.message.EmailMessage:
        """RETR n, parsed (``email.policy.default``)."""
        parser = email.parser.BytesFeedParser(policy=email.policy.default)
        async for chunk in self.retrieve(n):
            parser.feed(chunk)
        msg = parser.close()
        assert isinstance(msg, email.message.EmailMessage)
        return msg

    async def delete(self, n: int) -> None:
        """DELE n: marked now, committed only by :meth:`quit`."""
        await self._simple("delete", "DELE", str(_msg(n)), forget_stat=True)

    async def noop(self) -> None:
        """NOOP."""
        await self._simple("noop", "NOOP")

    async def reset(self) -> None:
        """RSET: unmark every message marked for deletion."""
        await self._simple("reset", "RSET", forget_stat=True)


def _msg_list(msgs: Iterable[int]) -> List[int]:
    if isinstance(msgs, (str, bytes)) or not isinstance(msgs, Iterable):
        raise TypeError(f"msgs must be an iterable of message numbers, "
                        f"not {type(msgs).__name__}")
    return [_msg(n) for n in msgs]


def _seconds(name: str, value: Optional[float], default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds")
    if not 0 < value <= 2_000_000:
        raise make_error(_c.POP3_E_ARG, "Client",
                         detail=f"{name}={value!r}: must be above 0")
    return float(value)


def _size(name: str, value: Optional[int], default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    if not 0 < value < 2**31:
        raise make_error(_c.POP3_E_ARG, "Client",
                         detail=f"{name}={value}: out of range")
    return value
