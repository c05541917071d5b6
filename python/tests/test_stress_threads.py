"""Stress: 32 threads, each with its own pop3.Client and Dovecot user
(pystress00..pystress31), run full sessions at once (login, LIST, RETR of
every message checked byte for byte against what was seeded, DELE, QUIT)
for a fixed number of rounds.

That the GIL is released is checked from inside the C calls: the trace
hook runs within a blocking call, so it sees which clients have a command
on the wire (sent, reply not yet read).  Were the GIL held for a whole
call, no other thread could run Python between a client's SEND and its
RECV, so no hook would ever see another client's command in flight."""

import threading
import time

import pop3

THREADS = 32
ROUNDS = 5
PASSWORD = "secret"


def messages(i):
    """Distinct mail for user i: headers, dot-stuffing, binary-ish octets,
    and one larger than the 64 KiB read buffer, so it takes many chunks."""
    return [
        (f"From: a@example.org\r\nSubject: user {i} first\r\n\r\n"
         f"Hello, {i}.\r\n").encode(),
        (f"Subject: user {i} dots\r\n\r\n.leading dot\r\n.\r\n..\r\n"
         f"end {i}\r\n").encode(),
        (f"Subject: user {i} 8bit\r\n\r\n".encode()
         + bytes(range(0x80, 0x100)) + b"\r\n"),
        (f"Subject: user {i} big\r\n\r\n".encode()
         + b"".join(f"{i:02d} line {k:06d} {'x' * 60}\r\n".encode()
                    for k in range(1500))),
        f"Subject: user {i} short\r\n\r\n.\r\n".encode(),
        f"Subject: user {i} empty body\r\n\r\n".encode(),
    ]


class InFlight:
    """Which clients have a command sent and its reply not yet read, and
    the most ever seen at once by a hook (so inside a C call)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = set()
        self.most = 0

    def hook(self, who):
        def trace(direction, line):
            with self.lock:
                if direction == "send":
                    self.now.add(who)
                else:
                    self.now.discard(who)
                self.most = max(self.most, len(self.now))
        return trace


def session(dovecot, user, expect, flight):
    """One full session; deletes the first message.  Returns problems."""
    problems = []
    with pop3.Client(dovecot.host, dovecot.port, tls="none", timeout=30,
                     trace=flight.hook(user)) as c:
        c.login(user, PASSWORD)
        sizes = c.list()
        if sizes != {n: len(m) for n, m in enumerate(expect, 1)}:
            problems.append(f"{user}: LIST {sizes}")
        for n, want in enumerate(expect, 1):
            got = b"".join(c.retrieve(n))
            if got != want:
                problems.append(f"{user}: message {n} differs "
                                f"({len(got)} octets, {len(want)} seeded)")
        c.delete(1)
        c.quit()
    return problems


def test_32_threads_full_sessions(dovecot, tmpdir_path):
    seeded = {}
    for i in range(THREADS):
        user = f"pystress{i:02d}"
        seeded[user] = messages(i)
        files = []
        for k, data in enumerate(seeded[user]):
            path = tmpdir_path / f"{user}-{k}.eml"
            path.write_bytes(data)
            files.append(str(path))
        assert dovecot.seed(user, files) == len(files)

    flight = InFlight()
    problems, errors = [], []
    start = threading.Barrier(THREADS)

    def worker(user):
        try:
            start.wait(30)
            for r in range(ROUNDS):
                # Each round deleted the first message of the one before.
                problems.extend(session(dovecot, user, seeded[user][r:],
                                        flight))
        except Exception as e:  # reported below, with the user
            errors.append(f"{user}: {e!r}")

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(u,)) for u in seeded]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - t0
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors
    assert not problems, problems
    # The deletions were committed by QUIT, the rest left alone.
    for user, msgs in seeded.items():
        assert dovecot.count(user) == len(msgs) - ROUNDS, user
    # Clients waited on the server at the same time: the GIL was free.
    assert flight.most >= 4, (flight.most, elapsed)
