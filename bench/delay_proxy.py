#!/usr/bin/env python3
"""A loopback TCP proxy that holds every byte DELAY ms in each direction.

    delay_proxy.py --target 127.0.0.1:PORT [--delay-ms 10] [--port 0]

Prints the port it listens on (127.0.0.1 only), then serves until SIGTERM
or SIGINT.  Each chunk read is stamped with the time it arrived and sent
on once it is due; reading never waits for the delay, so a client that
pipelines its commands gets them all through in one delay, not one delay
each.  That is a link with latency and no bandwidth limit -- what
`tc netem delay` would give, on a machine that has no netem.
"""

import argparse
import collections
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
READ_SIZE = 256 * 1024
# Stop reading a side while this much waits to be sent to the other:
# only a slow reader causes that, and memory must stay bounded.
MAX_QUEUED = 64 * 1024 * 1024


class Direction:
    """Bytes flowing from `src` to `dst`, each chunk with its due time."""

    def __init__(self, src, dst):
        self.src, self.dst = src, dst
        self.queue = collections.deque()  # (due, memoryview)
        self.queued = 0
        self.eof = False      # src has closed its sending side
        self.shut = False     # dst has been told (shutdown SHUT_WR)

    def due_in(self, now):
        """Seconds until the head chunk is due, or None when idle."""
        return self.queue[0][0] - now if self.queue else None

    def read(self, now, delay):
        try:
            data = self.src.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return
        self.queue.append((now + delay, memoryview(data)))
        self.queued += len(data)

    def flush(self, now):
        """Send every due chunk the socket takes; True if dst is gone."""
        while self.queue and self.queue[0][0] <= now:
            due, data = self.queue[0]
            try:
                sent = self.dst.send(data)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                return True
            self.queued -= sent
            if sent < len(data):
                self.queue[0] = (due, data[sent:])
                return False
            self.queue.popleft()
        if self.eof and not self.queue and not self.shut:
            self.shut = True
            try:
                self.dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        return False

    def blocked(self, now):
        """True while due data waits for dst to drain."""
        return bool(self.queue) and self.queue[0][0] <= now

    def done(self):
        return self.shut


class Pair:
    """One proxied connection: client <-> upstream."""

    def __init__(self, client, upstream):
        self.socks = (client, upstream)
        self.dirs = (Direction(client, upstream), Direction(upstream, client))
        for s in self.socks:
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        for s in self.socks:
            s.close()


def serve(listener, target, delay):
    pairs = []
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))

    while not stop:
        now = time.monotonic()
        # Flush what is due, drop finished or broken connections.
        for p in list(pairs):
            broken = any(d.flush(now) for d in p.dirs)
            if broken or all(d.done() for d in p.dirs):
                pairs.remove(p)
                p.close()
        # Wait for: a new client, input on a side that is not finished
        # and not over its bound, output space where due data waits, or
        # the next chunk falling due.
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, None)
        waits = []
        for p in pairs:
            for d in p.dirs:
                ev = 0
                if not d.eof and d.queued < MAX_QUEUED:
                    ev |= selectors.EVENT_READ
                events = {d.src: ev}
                if d.blocked(now):
                    events[d.dst] = selectors.EVENT_WRITE
                for s, e in events.items():
                    if not e:
                        continue
                    try:
                        key = sel.get_key(s)
                        sel.modify(s, key.events | e, key.data)
                    except KeyError:
                        sel.register(s, e, p)
                t = d.due_in(now)
                if t is not None and not d.blocked(now):
                    waits.append(t)
        timeout = max(0.0, min(waits)) if waits else 1.0
        try:
            ready = sel.select(timeout)
        except InterruptedError:
            ready = []
        now = time.monotonic()
        for key, ev in ready:
            if key.fileobj is listener:
                accept(listener, target, pairs)
                continue
            if ev & selectors.EVENT_READ:
                for d in key.data.dirs:
                    if d.src is key.fileobj and not d.eof:
                        d.read(now, delay)
        sel.close()
    for p in pairs:
        p.close()


def accept(listener, target, pairs):
    try:
        client, _ = listener.accept()
    except (BlockingIOError, InterruptedError):
        return
    try:
        upstream = socket.create_connection(target, timeout=5)
    except OSError as e:
        print("delay_proxy: upstream %s:%d: %s" % (target + (e,)),
              file=sys.stderr)
        client.close()
        return
    pairs.append(Pair(client, upstream))


def start(target_port, delay_ms):
    """Run the proxy in front of 127.0.0.1:target_port as a child
    process: (process, the port it listens on).  Stop it with stop()."""
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__),
         "--target", "127.0.0.1:%d" % target_port,
         "--delay-ms", str(delay_ms)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    line = proc.stdout.readline()  # the port, once it listens
    if not line.strip().isdigit():
        proc.kill()
        proc.wait(10)
        raise RuntimeError("delay proxy did not start")
    return proc, int(line)


def stop(proc):
    """Stop a proxy start() ran (None, or one already gone: nothing)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True, help="HOST:PORT to forward to")
    ap.add_argument("--delay-ms", type=float, default=10.0)
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    args = ap.parse_args()
    host, _, port = args.target.rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        ap.error("loopback targets only")

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, args.port))
    listener.listen(64)
    listener.setblocking(False)
    print(listener.getsockname()[1], flush=True)
    serve(listener, (host, int(port)), args.delay_ms / 1000.0)
    listener.close()


if __name__ == "__main__":
    main()
