"""Filling a user's Maildir with given or generated messages, and counting
them. Generated messages are streamed to disk, so 200m costs no memory."""

import os
import shutil

_SUFFIX = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
BASE_TIME = 1700000000      # file-name timestamps: Dovecot orders by them


def parse_size(text):
    """'4k' -> 4096, '200m', '1g', '512' (bytes)."""
    t = text.strip().lower().rstrip("b")
    unit = t[-1:] if t[-1:] in _SUFFIX else ""
    return int(t[:len(t) - len(unit)]) * _SUFFIX[unit]


def parse_generate(spec):
    count, _, size = spec.partition(":")
    return int(count), parse_size(size or "4k")


def maildir(home):
    return os.path.join(home, "Maildir")


def reset(home, uid, gid):
    """An empty Maildir (also dropping Dovecot's index and uidlist)."""
    md = maildir(home)
    shutil.rmtree(md, ignore_errors=True)
    for sub in ("", "cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), mode=0o700, exist_ok=True)
    for path in (home, md, *(os.path.join(md, s) for s in ("cur", "new",
                                                            "tmp"))):
        os.chown(path, uid, gid)


def _target(home, n):
    name = "%d.M%dP0.pop3test:2," % (BASE_TIME + n, n)
    return os.path.join(maildir(home), "cur", name)


def _finish(path, n, uid, gid):
    os.chown(path, uid, gid)
    os.utime(path, (BASE_TIME + n, BASE_TIME + n))


def add_file(home, n, src, uid, gid):
    dst = _target(home, n)
    shutil.copyfile(src, dst)
    _finish(dst, n, uid, gid)


def _body_block(n):
    """~5 KB of 76-character lines, some starting with '.', one a lone '.'."""
    lines = []
    for i in range(64):
        text = ("message %d line %d " % (n, i)).ljust(76, "abcdefghij"[i % 10])
        if i % 8 == 3:
            text = "." + text[1:]
        lines.append(text)
    lines[20] = "."
    lines[40] = ".."
    return ("\n".join(lines) + "\n").encode()


def generate(home, n, size, uid, gid):
    """Message n of about size bytes: RFC 5322 headers, then body lines."""
    dst = _target(home, n)
    head = ("Return-Path: <sender@example.org>\n"
            "From: Sender <sender@example.org>\n"
            "To: Test <test@example.org>\n"
            "Subject: generated message %d (%d bytes)\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
            "Message-ID: <gen.%d.%d@example.org>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=us-ascii\n"
            "\n" % (n, size, n, size)).encode()
    block = _body_block(n)
    left = max(0, size - len(head))
    with open(dst, "wb") as f:
        f.write(head)
        while left >= len(block):
            f.write(block)
            left -= len(block)
        # The tail: whole lines of the block, so the last line still ends.
        tail = block[:left]
        f.write(tail[:tail.rfind(b"\n") + 1])
    _finish(dst, n, uid, gid)


def count(home):
    md = maildir(home)
    total = 0
    for sub in ("cur", "new"):
        try:
            total += sum(1 for x in os.listdir(os.path.join(md, sub))
                         if not x.startswith("."))
        except FileNotFoundError:
            pass
    return total
