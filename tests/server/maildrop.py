"""A user's maildrop as the test server sees it: one file a message, the
per-maildrop lock, and the wire form of a message (CRLF, dot-stuffed)."""

import os
import threading
import time

_locked = set()
_locks_changed = threading.Condition()
LOCK_GRACE = 0.5    # how long a login waits for a maildrop to be released

HUGE_LINE = 10 * 1024 * 1024     # the huge-body-line fault's line length
_CHUNK = 64 * 1024


def try_lock(path, wait=LOCK_GRACE):
    """Take path's lock, waiting up to `wait` seconds for its holder to let
    go: a session whose client just dropped the connection releases it a
    moment later, when its thread sees the close (Dovecot waits too)."""
    deadline = time.monotonic() + wait
    with _locks_changed:
        while path in _locked:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _locks_changed.wait(left)
        _locked.add(path)
        return True


def unlock(path):
    with _locks_changed:
        _locked.discard(path)
        _locks_changed.notify_all()


def _lines(path):
    """The file's lines with CRLF endings (bare LF fixed, last one ended)."""
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                line += b"\r\n"
            elif not line.endswith(b"\r\n"):
                line = line[:-1] + b"\r\n"
            yield line


def wire_size(path):
    return sum(len(line) for line in _lines(path))


class Message:
    def __init__(self, path, huge=False):
        self.path = path
        self.uid = os.path.splitext(os.path.basename(path))[0]
        self.huge = huge
        self.size = HUGE_LINE + 2 if huge else wire_size(path)
        self.deleted = False

    def lines(self):
        if not self.huge:
            yield from _lines(self.path)
            return
        # Generated in pieces so 10 MiB is never one buffer.
        for _ in range(HUGE_LINE // _CHUNK):
            yield b"a" * _CHUNK
        yield b"a" * (HUGE_LINE % _CHUNK) + b"\r\n"

    def body(self, top=None):
        """Dot-stuffed wire chunks, without the terminator. top=k keeps the
        headers, the blank line and k body lines (the TOP command)."""
        in_headers, left = True, top
        at_line_start = True
        for line in self.lines():
            if top is not None and not in_headers:
                if left == 0:
                    return
                left -= 1
            if at_line_start and line.startswith(b"."):
                line = b"." + line
            if at_line_start and line == b"\r\n":
                in_headers = False
            at_line_start = line.endswith(b"\n")
            yield line


def load(directory, huge_first=False):
    """The messages in directory, in file-name order (none if it is absent)."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    msgs = []
    for name in names:
        path = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        msgs.append(Message(path, huge=huge_first and not msgs))
    return msgs
