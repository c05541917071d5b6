"""Scenario mode: parse a script of S/B/C/C*/D/Q/X/H/E/T directives and
replay it on each connection. See README.md for the format."""

import sys
import time

from wire import Closed, escape, unescape

CLOSE_WAIT = 5.0     # how long E waits for the client to close
QUIET_MAX = 5.0      # the longest Q: it delays every reply after it


def parse(path):
    """[(op, arg)] or ValueError naming the file and line."""
    steps = []
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            op, _, arg = line.partition(" ")
            try:
                steps.append(_step(op, arg))
            except ValueError as e:
                raise ValueError("%s:%d: %s" % (path, no, e))
    return steps


def _step(op, arg):
    if op in ("S", "B", "C"):
        return op, unescape(arg)
    if op == "D":
        seconds = float(arg)
        if not seconds >= 0:
            raise ValueError("D needs seconds >= 0")
        return op, seconds
    if op == "Q":
        seconds = float(arg)
        if not 0 < seconds <= QUIET_MAX:
            raise ValueError("Q needs seconds > 0 and <= %g" % QUIET_MAX)
        return op, seconds
    if op in ("C*", "X", "H", "E", "T"):
        if arg.strip():
            raise ValueError("%s takes no argument" % op)
        return op, None
    raise ValueError("unknown directive %r" % op)


def _mismatch(wire, expected, got):
    msg = "#MISMATCH expected=%s got=%s" % (expected, got)
    wire.log.write(msg)
    print("pop3d: " + msg, file=sys.stderr, flush=True)


def run(wire, steps):
    """Replay steps on one connection; the connection is closed at the end."""
    try:
        for op, arg in steps:
            if op in ("S", "B"):
                wire.send(arg, one_byte=(op == "B"))
            elif op == "D":
                time.sleep(arg)
            elif op == "Q":
                # The line stays unread: a C after this still gets it, so
                # the log shows #EARLY once, then the line where it is read.
                early = wire.peek(arg)
                if early is not None:
                    msg = "#EARLY got=" + escape(early)
                    wire.log.write(msg)
                    print("pop3d: " + msg, file=sys.stderr, flush=True)
            elif op == "X":
                break
            elif op == "T":
                wire.start_tls(wire.tls_ctx)
            elif op == "H":
                wire.hang()
                break
            elif op in ("C", "C*"):
                want = "<any line>" if op == "C*" else escape(arg)
                try:
                    got = wire.readline()
                except Closed:
                    _mismatch(wire, want, "<close>")
                    break
                if op == "C" and got != arg:
                    _mismatch(wire, want, escape(got))
                    break
            elif op == "E":
                try:
                    got = wire.readline(CLOSE_WAIT)
                except Closed:
                    break
                _mismatch(wire, "<close>",
                          "<timeout>" if got is None else escape(got))
                break
    except Closed:
        pass
    finally:
        wire.close()
