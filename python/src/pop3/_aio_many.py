"""pop3.aio's pipelined batches (RFC 2449 6.6): retrieve_many, top_many
and delete_many, by the C client's rules (libpop3/src/pipeline.c), so the
server gets the same bytes from both clients:

- CAPA first when the capabilities are unknown (pipelining="auto");
- with PIPELINING listed (or assumed, pipelining="assume", until a CAPA
  is read; never with "off"), POP3_PIPELINE_WINDOW octets of commands in
  flight at most, one write per top-up, and a top-up only once at most
  half the window is still in flight; without it, one command at a time;
- with then_quit, QUIT in the same write as the last command.

The codec queues at most POP3_CODEC_MAX_PENDING replies, fewer than a
window holds, so each reply's expectation is queued just before that
reply is read: the codec parses only when asked, so it never meets a
reply it was not told about."""

from __future__ import annotations

import weakref
from types import TracebackType
from typing import (TYPE_CHECKING, AsyncIterator, List, Optional, Tuple,
                    Type)

from . import _pop3 as _c
from ._client import State
from ._errors import Error, ServerError, make_error

if TYPE_CHECKING:
    from .aio import Client

WINDOW = _c.POP3_PIPELINE_WINDOW
MAX_COMMAND = 64  # the longest batch command: verb, two numbers, CRLF

# Failures after which the session cannot go on (aio.py's _FATAL).
_FATAL = (_c.POP3_FAMILY_PROTOCOL, _c.POP3_FAMILY_IO,
          _c.POP3_FAMILY_TIMEOUT, _c.POP3_FAMILY_TLS)


def _fatal(e: Error) -> bool:
    return _c.pop3_status_family(e.status) in _FATAL


class Window:
    """The commands of one batch and how many octets of them are in
    flight (sent, their reply not yet begun)."""

    def __init__(self, verb: str, msgs: List[int], lines: Optional[str],
                 pipelined: bool) -> None:
        self.verb = verb
        self.msgs = msgs
        self.lines = lines
        self.size = WINDOW if pipelined else 1
        self.sent = 0
        self.answered = 0
        self.in_flight = 0

    def _length(self, msg: int) -> int:
        n = len(self.verb) + 1 + len(str(msg)) + 2
        return n + 1 + len(self.lines) if self.lines else n

    async def top_up(self, client: "Client", then_quit: bool) -> bool:
        """Send what the window allows, in one write; nothing while more
        than half of it is in flight.  With `then_quit`, QUIT follows the
        last command (only when pipelining); returns whether it went."""
        if self.in_flight > self.size // 2:
            return False
        out = bytearray()
        while self.sent < len(self.msgs) and (
                self.in_flight == 0
                or self.in_flight + MAX_COMMAND <= self.size):
            msg = str(self.msgs[self.sent])
            line = (client._format(self.verb, msg) if self.lines is None
                    else client._format(self.verb, msg, self.lines))
            out += line
            self.in_flight += len(line)
            self.sent += 1
        quit_now = then_quit and self.sent == len(self.msgs) and self.size > 1
        if quit_now:
            out += client._format("QUIT")
            client._quit_sent = True
        if out:
            await client._write_raw(bytes(out))
        return quit_now

    def next_reply(self, client: "Client", kind: int) -> int:
        """The oldest command's reply is read next: queue it with the
        codec; return that command's message number."""
        msg = self.msgs[self.answered]
        self.answered += 1
        self.in_flight = max(0, self.in_flight - self._length(msg))
        client._expect(kind)
        return msg


class Pipeline:
    """A running batch as its client holds it (the client's ``_body``):
    it outlives a :class:`Batch` dropped by its owner (``break``) or let
    go (an exception out of ``async with``, a failed step), so the client
    can read and drop the replies still due before its next command."""

    def __init__(self, client: "Client", batch: "Batch", window: Window,
                 op: str) -> None:
        self.client = client
        self.batch = weakref.ref(batch)
        self.window = window
        self.op = op
        self.current: Optional[BatchBody] = None
        self.body_open = False  # a body after +OK, not read to its end
        self.detached = False  # let go while still referenced

    def abandoned(self) -> bool:
        return self.detached or self.batch() is None

    def detach(self) -> None:
        """Leave the rest to the client's next command (it drains)."""
        self.detached = True
        self.current = None

    async def skip_body(self) -> None:
        self.current = None
        while self.body_open:
            if (await self.client._event())[0] == _c.POP3_CODEC_END:
                self.body_open = False

    async def drain(self) -> None:
        """Read and drop every reply still due (pop3__batch_drain)."""
        c = self.client
        await self.skip_body()
        w = self.window
        while w.answered < w.sent:
            w.next_reply(c, _c.POP3_CODEC_BODY)
            try:
                await c._status(self.op)
            except Error as e:
                if _fatal(e):
                    raise
                continue  # -ERR: no body to drop
            self.body_open = True
            await self.skip_body()
        if c._body is self:
            c._body = None

    async def aclose(self) -> None:
        await self.client._run(self.op, self.drain)


class BatchBody(AsyncIterator[bytes]):
    """One message of a :class:`Batch`: an async iterator of ``bytes``
    chunks, as :class:`pop3.aio.Body`.  When the server answered ``-ERR``
    for this message, :attr:`error` holds it and iterating raises it
    (every time); the batch goes on.  That is a :class:`pop3.ServerError`,
    or a :class:`pop3.AuthenticationError` for ``-ERR [AUTH]`` (RFC 3206),
    as from :class:`pop3.Client`.  Read it before the batch moves on:
    the next step drops what is left of it."""

    msg: int
    """The number of the message."""

    def __init__(self, pipe: Pipeline, op: str, msg: int,
                 error: Optional[Error] = None) -> None:
        self._pipe = pipe
        self._op = op
        self.msg = msg
        # Without the traceback of where it was read: its frames hold the
        # Batch, which must be free to go when its owner lets it go.
        self._error = None if error is None else error.with_traceback(None)
        self._done = error is not None

    @property
    def error(self) -> Optional[Error]:
        """The server's ``-ERR`` for this message, or ``None``.  It holds
        no traceback until raised (none that keeps the batch alive)."""
        return self._error

    def __aiter__(self) -> "BatchBody":
        return self

    async def __anext__(self) -> bytes:
        if self._error is not None:
            raise self._error.with_traceback(None)  # no frames pile up
        if self._done:
            raise StopAsyncIteration
        c = self._pipe.client
        try:
            chunk = await c._run(self._op, self._step)
        except BaseException:
            self._done = True
            batch = self._pipe.batch()
            if c._failed is not None and batch is not None:
                batch._done = True  # the session, and so the batch, ended
            raise
        if chunk is None:
            self._done = True
            raise StopAsyncIteration
        return chunk

    async def _step(self) -> Optional[bytes]:
        pipe, c = self._pipe, self._pipe.client
        if c._body is not pipe or pipe.current is not self:
            raise c._local(_c.POP3_E_STATE, self._op,
                           f"the body of message {self.msg} was abandoned "
                           f"(its batch moved on, or was dropped: keep "
                           f"the batch while reading its bodies)")
        ev, data = await c._event()
        if ev == _c.POP3_CODEC_CHUNK:
            return data
        if ev != _c.POP3_CODEC_END:
            raise c._local(_c.POP3_E_PROTOCOL, self._op)
        pipe.body_open = False
        pipe.current = None
        return None

    async def aclose(self) -> None:
        """Drop the rest: the batch's next step skips it."""
        self._done = True
        if self._pipe.current is self:
            self._pipe.current = None

    async def read(self) -> bytes:
        """The whole body at once."""
        return b"".join([chunk async for chunk in self])


class Batch(AsyncIterator[Tuple[int, BatchBody]]):
    """Many messages retrieved at once (from
    :meth:`pop3.aio.Client.retrieve_many` or
    :meth:`pop3.aio.Client.top_many`): an async iterator of ``(msg,
    body)`` pairs in the order asked for, each `body` a
    :class:`BatchBody`::

        async for n, body in c.retrieve_many(ns):
            try:
                data = await body.read()
            except pop3.ServerError:
                continue                    # -ERR for this message only

    The commands go out on the first step.  A ``-ERR`` for one message
    (whatever its response code) is its body's; a failure of the
    connection ends the batch and the session.  While the batch runs
    other commands raise :class:`pop3.BusyError`; ``await
    batch.aclose()`` (or leaving ``async with``) ends it early.  A batch
    dropped unfinished (``break``) or left by an exception out of
    ``async with`` is drained by the client's next command, within that
    command's timeout.  With ``then_quit`` see
    :meth:`pop3.aio.Client.retrieve_many`."""

    def __init__(self, client: "Client", op: str, verb: str,
                 msgs: List[int], lines: Optional[str],
                 then_quit: bool) -> None:
        self._client = client
        self._op = op
        self._verb = verb
        self._msgs = msgs
        self._lines = lines
        self._then_quit = then_quit
        self._pipe: Optional[Pipeline] = None
        self._done = not msgs

    def __aiter__(self) -> "Batch":
        return self

    async def __anext__(self) -> Tuple[int, BatchBody]:
        if self._done:
            raise StopAsyncIteration
        try:
            item = await self._client._run(self._op, self._step)
        except BaseException:
            self._done = True
            self._detach()  # if the session goes on, the next command drains
            raise
        if item is None:
            self._done = True
            raise StopAsyncIteration
        return item

    async def _step(self) -> Optional[Tuple[int, BatchBody]]:
        c = self._client
        if self._pipe is None:
            c._need(self._op, State.TRANSACTION)
            if c._body is not None:
                raise c._local(_c.POP3_E_BUSY, self._op)
            pipelined = await c._ask_pipelines(self._op)
            window = Window(self._verb, self._msgs, self._lines, pipelined)
            self._pipe = Pipeline(c, self, window, self._op)
            c._body = self._pipe
        elif c._body is not self._pipe:
            raise c._local(_c.POP3_E_STATE, self._op, "the batch was "
                           "abandoned (the client was closed or moved on)")
        pipe = self._pipe
        await pipe.skip_body()
        w = pipe.window
        if w.answered == len(w.msgs):
            c._body = None
            return None
        if await w.top_up(c, self._then_quit):
            self._then_quit = False
        msg = w.next_reply(c, _c.POP3_CODEC_BODY)
        try:
            await c._status(f"{self._op} {msg}")
        except Error as e:
            if _fatal(e):
                raise
            # This message's -ERR, whatever its code ([AUTH] too): the
            # batch goes on, as pop3_many_next.
            return msg, BatchBody(pipe, self._op, msg, error=e)
        body = BatchBody(pipe, self._op, msg)
        pipe.current = body
        pipe.body_open = True
        return msg, body

    def _detach(self) -> None:
        pipe = self._pipe
        if pipe is not None and self._client._body is pipe:
            pipe.detach()

    async def aclose(self) -> None:
        """End the batch early: the replies already asked for are read
        and dropped, so the client can go on."""
        self._done = True
        pipe = self._pipe
        if pipe is not None and self._client._body is pipe:
            await pipe.aclose()

    async def __aenter__(self) -> "Batch":
        return self

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        if exc_type is None:
            await self.aclose()
        else:
            # No I/O on the way out of an exception (it may be a
            # cancellation): the client's next command drains the rest.
            self._done = True
            self._detach()


async def delete_many(c: "Client", nums: List[int]) -> None:
    """DELE of each of nums (pipelined as the batches), each reply
    recorded against its message (many_simple in pipeline.c); raises
    ServerError with .failed and .deleted when some were refused."""
    c._stat = None  # STAT leaves deleted messages out (as C: even if refused)
    c._need("delete_many", State.TRANSACTION)
    if c._body is not None:
        raise c._local(_c.POP3_E_BUSY, "delete_many")
    w = Window("DELE", nums, None, await c._ask_pipelines("delete_many"))
    refused: List[Optional[Error]] = []
    while w.answered < len(nums):
        await w.top_up(c, False)
        msg = w.next_reply(c, _c.POP3_CODEC_STATUS)
        try:
            await c._status(f"delete {msg}")
            refused.append(None)
        except Error as e:
            if _fatal(e):
                raise
            refused.append(e)
    failed = {n: make_error(e.status, f"delete {n}")
              for n, e in zip(nums, refused) if e is not None}
    if not failed:
        return
    deleted = [n for n, e in zip(nums, refused) if e is None]
    err = make_error(_c.POP3_E_SERVER, "delete_many", detail=(
        f"the server refused {len(failed)} of {len(nums)}: message"
        f"{'s' if len(failed) > 1 else ''} "
        f"{', '.join(str(n) for n in failed)}; the others are marked "
        f"for deletion"))
    assert isinstance(err, ServerError)
    err.failed = failed
    err.deleted = deleted
    raise err
