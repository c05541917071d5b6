"""The byte stream under pop3.aio: an asyncio Protocol of our own instead
of StreamReader, so the client can ask, through public asyncio API only,
whether bytes are waiting (after the +OK to STLS anything buffered was
sent before TLS and must not be trusted, RFC 2595 4), and can swap in TLS
with loop.start_tls."""

from __future__ import annotations

import asyncio
import ssl
from typing import Optional

# Reading pauses while more than this waits unread (and resumes below half
# of it), so a slow consumer of a large message holds a bounded buffer.
HIGH_WATER = 256 * 1024


class Stream(asyncio.Protocol):
    """One connection: read() what arrived, write() and drain()."""

    def __init__(self, high_water: int = HIGH_WATER) -> None:
        self._buf = bytearray()
        self._high = high_water
        self._reading_paused = False
        self._eof = False
        self._lost: Optional[BaseException] = None
        self._waiter: Optional[asyncio.Future[None]] = None
        self._paused = False
        self._drained: Optional[asyncio.Future[None]] = None
        self.transport: Optional[asyncio.Transport] = None

    @classmethod
    async def open(cls, host: str, port: int) -> "Stream":
        """A TCP connection; TLS, implicit or STLS, is start_tls()."""
        loop = asyncio.get_running_loop()
        _, stream = await loop.create_connection(cls, host, port)
        return stream

    # -- asyncio.Protocol ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if (len(self._buf) > self._high and not self._reading_paused
                and self.transport is not None):
            self.transport.pause_reading()
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> Optional[bool]:
        self._eof = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._eof = True
        self._lost = exc
        self._wake()
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- what the client uses -------------------------------------------

    def buffered(self) -> int:
        """Bytes received and not read yet."""
        return len(self._buf)

    async def read(self, limit: int) -> bytes:
        """Up to `limit` bytes, waiting for some; b"" at end of stream.
        A reset connection raises its OSError."""
        while not self._buf and not self._eof:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if not self._buf and isinstance(self._lost, OSError):
            raise self._lost
        data = bytes(self._buf[:limit])
        del self._buf[:limit]
        if (self._reading_paused and len(self._buf) <= self._high // 2
                and self.transport is not None):
            self._reading_paused = False
            self.transport.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        """Send data, waiting while the transport's buffer is full."""
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        self.transport.write(data)
        while self._paused:
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained

    async def start_tls(self, ssl_context: ssl.SSLContext,
                        server_hostname: str) -> None:
        """Upgrade to TLS (implicit TLS, STLS): only when nothing is
        buffered; cleartext from the server before the handshake is a
        failed handshake (a POP3 server on a POP3S port)."""
        assert self.transport is not None
        if self._buf:
            raise ssl.SSLError("cleartext before the TLS handshake")
        loop = asyncio.get_running_loop()
        new = await loop.start_tls(self.transport, self, ssl_context,
                                   server_hostname=server_hostname)
        assert isinstance(new, asyncio.Transport)
        self.transport = new

    def abort(self) -> None:
        """Drop the connection now, without waiting."""
        if self.transport is not None:
            self.transport.abort()
