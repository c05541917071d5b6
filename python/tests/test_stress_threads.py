"""Stress: 32 threads, each with its own pop3.Client and Dovecot user
(pystress00..pystress31), run full sessions at once (login, LIST, RETR of
every message checked byte for byte against what was seeded, DELE, QUIT)
for a fixed number of rounds.

That the GIL is released is checked by time: the sessions go through a
proxy that holds every byte DELAY seconds each way (bench/delay_proxy.py),
so each command costs at least 2 * DELAY of waiting inside a C call.  Were
the GIL held through those calls, no two could wait at once, and the run
would take at least (commands of all threads) * 2 * DELAY; released, the
threads wait together and it takes a fraction of that."""

import sys
import threading
import time

import pop3
from conftest import SOURCE_DIR

sys.path.insert(0, str(SOURCE_DIR / "bench"))
import delay_proxy  # noqa: E402  (start/stop the proxy)

THREADS = 32
ROUNDS = 5
PASSWORD = "secret"
DELAY = 0.02  # seconds, each way
DEADLINE = 120  # for the whole run


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


class Commands:
    """How many commands every client sent (each waits for its reply)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0

    def hook(self, direction, line):
        if direction == "send":
            with self.lock:
                self.sent += 1


def session(port, user, expect, commands):
    """One full session; deletes the first message.  Returns problems."""
    problems = []
    with pop3.Client("127.0.0.1", port, tls="none", timeout=30,
                     trace=commands.hook) as c:
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

    commands = Commands()
    problems, errors = [], []
    start = threading.Barrier(THREADS)
    proxy, port = delay_proxy.start(dovecot.port, DELAY * 1000)

    def worker(user):
        try:
            start.wait(30)
            for r in range(ROUNDS):
                # Each round deleted the first message of the one before.
                problems.extend(session(port, user, seeded[user][r:],
                                        commands))
        except Exception as e:  # reported below, with the user
            errors.append(f"{user}: {e!r}")

    try:
        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(u,), daemon=True)
                   for u in seeded]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, t0 + DEADLINE - time.monotonic()))
        elapsed = time.monotonic() - t0
    finally:
        delay_proxy.stop(proxy)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors
    assert not problems, problems
    # The deletions were committed by QUIT, the rest left alone.
    for user, msgs in seeded.items():
        assert dovecot.count(user) == len(msgs) - ROUNDS, user
    # Clients waited on the server at the same time: the GIL was free.
    # (Each command and the greeting wait 2 * DELAY at least.)
    serial = (commands.sent + THREADS * ROUNDS) * 2 * DELAY
    assert elapsed < serial / 4, (elapsed, serial)
