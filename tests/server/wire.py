"""Socket I/O for the test server: line reading, the send modes the faults
need, the client-line log, and the escape rules shared with scenarios."""

import select
import socket
import ssl
import struct
import threading
import time

ONE_BYTE_PAUSE = 0.0005   # between single-byte sends: separate TCP segments
TLS_HANDSHAKE_WAIT = 10.0  # a client that never finishes the handshake
COALESCE_IDLE = 0.020     # "socket idle" for the coalesce fault
MAX_LINE = 1 << 20        # a client line longer than this is logged in pieces


class Closed(Exception):
    """The peer went away (or we were told to stop talking)."""


def escape(data):
    """bytes -> printable str: \\xHH for non-printables, \\\\ for backslash,
    so every log line is one line and unambiguous."""
    out = []
    for b in data:
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


_SIMPLE = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\", "0": b"\0"}


def unescape(text):
    """C-style escapes (\\r \\n \\t \\\\ \\0 \\xHH) -> bytes; ValueError if bad."""
    raw = text.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        esc = raw[i + 1:i + 2].decode("latin-1")
        if esc in _SIMPLE:
            out += _SIMPLE[esc]
            i += 2
        elif esc == "x" and len(raw) >= i + 4:
            out.append(int(raw[i + 2:i + 4].decode("latin-1"), 16))
            i += 4
        else:
            raise ValueError("bad escape at column %d" % (i + 1))
    return bytes(out)


class Log:
    """Append-only log of what clients sent; one lock so lines never mix."""

    def __init__(self, path):
        self._f = open(path, "a", encoding="ascii") if path else None
        self._lock = threading.Lock()

    def write(self, line):
        if self._f is None:
            return
        with self._lock:
            self._f.write(line + "\n")
            self._f.flush()


class Wire:
    """One client connection. mode is 'normal', 'one-byte' or 'coalesce'."""

    def __init__(self, sock, log, mode="normal"):
        self.sock = sock
        self.log = log
        self.mode = mode
        self.buf = b""
        self.queue = []       # coalesce: replies not yet sent
        self.eof = False
        self.tls = False
        # NODELAY everywhere: what we send() is what the client reads,
        # which is the point of the one-byte and coalesce faults.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log.write("#CONNECT")

    # -- sending --------------------------------------------------------
    def send(self, data, one_byte=False):
        if not data:
            return
        if self.mode == "coalesce" and not one_byte:
            self.queue.append(data)
            return
        if one_byte or self.mode == "one-byte":
            for i in range(len(data)):
                self._sendall(data[i:i + 1])
                time.sleep(ONE_BYTE_PAUSE)
        else:
            self._sendall(data)

    def flush(self):
        if self.queue:
            data, self.queue = b"".join(self.queue), []
            self._sendall(data)

    def _sendall(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed(str(e))

    # -- TLS ------------------------------------------------------------
    def start_tls(self, ctx):
        """Server side of a TLS handshake on this connection (implicit TLS,
        or after +OK to STLS). Client bytes read before it are dropped, as
        RFC 2595 wants of a server too. Logs #TLS <version>, or
        #TLS-FAILED <reason> and raises Closed."""
        self.flush()
        if self.buf:
            self.log.write("#DISCARDED " + escape(self.buf))
            self.buf = b""
        self.sock.settimeout(TLS_HANDSHAKE_WAIT)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            # The socket may be detached by now: read nothing more.
            self.eof = True
            self.log.write("#TLS-FAILED " + escape(str(e).encode()))
            raise Closed("tls")
        self.sock.settimeout(None)
        self.tls = True
        self.log.write("#TLS " + self.sock.version())

    # -- receiving ------------------------------------------------------
    def _recv(self, timeout):
        """More bytes into buf; False on timeout, raises Closed at EOF."""
        if self.eof:
            raise Closed("eof")
        # Bytes OpenSSL already decrypted are invisible to select().
        pending = self.tls and self.sock.pending() > 0
        r, _, _ = select.select([self.sock], [], [], 0 if pending else timeout)
        if not r and not pending:
            return False
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.eof = True
            if self.buf:
                self.log.write("#PARTIAL " + escape(self.buf))
                self.buf = b""
            raise Closed("eof")
        self.buf += data
        return True

    def readline(self, timeout=None):
        """Next client line without its CRLF (a bare LF stays, as \\n),
        logged; None on timeout; raises Closed when the client has gone."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0 or len(self.buf) >= MAX_LINE:
                end = nl + 1 if nl >= 0 else MAX_LINE
                line, self.buf = self.buf[:end], self.buf[end:]
                if line.endswith(b"\r\n"):
                    line = line[:-2]
                self.log.write(escape(line))
                return line
            if self.queue:
                # Replies wait until the client has nothing more to say.
                if not self._recv(COALESCE_IDLE):
                    self.flush()
                continue
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            if not self._recv(left):
                return None

    def peek(self, timeout):
        """The first line the client sent that no readline() took yet, as
        it would be logged but left unread; or the bytes of an unfinished
        one if that is all that came. Waits up to timeout seconds for it;
        None if nothing came (or the client closed: the next read says
        so)."""
        deadline = time.monotonic() + timeout
        try:
            while b"\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0 or not self._recv(left):
                    break
        except Closed:
            pass
        if not self.buf:
            return None
        nl = self.buf.find(b"\n")
        if nl < 0:
            return self.buf
        line = self.buf[:nl + 1]
        return line[:-2] if line.endswith(b"\r\n") else line

    def hang(self):
        """Say nothing more; log whatever arrives until the client closes."""
        self.flush()
        try:
            while True:
                self.readline()
        except Closed:
            pass

    def drain(self):
        """Log lines that already arrived but were never read."""
        try:
            while self._recv(0):
                pass
        except Closed:
            pass
        while b"\n" in self.buf:
            self.readline(0)
        if self.buf:
            self.log.write("#PARTIAL " + escape(self.buf))
            self.buf = b""

    def close(self, reset=False):
        try:
            self.flush()
        except Closed:
            pass
        self.drain()
        if reset:
            # SO_LINGER 0: close() sends RST instead of FIN.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
        try:
            self.sock.close()
        finally:
            self.log.write("#CLOSE")
