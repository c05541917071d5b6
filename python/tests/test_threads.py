"""Blocking calls release the GIL: clients in several threads overlap."""

import threading
import time

import pop3
from conftest import client_for

DELAY = 0.8
THREADS = 4

# Each connection: greeting, USER/PASS, then a STAT that the server
# answers only after DELAY seconds.
SLOW_STAT = f"""S +OK slow server\\r\\n
C USER alice
S +OK\\r\\n
C*
S +OK logged in\\r\\n
C STAT
D {DELAY}
S +OK 1 100\\r\\n
C QUIT
S +OK bye\\r\\n
E
"""


def test_parallel_clients_overlap(server_factory, tmpdir_path):
    scen = tmpdir_path / "slow.scenario"
    scen.write_text(SLOW_STAT)
    srv = server_factory("--scenario", str(scen))
    results, errors = [], []
    ticks = [0]
    stop = threading.Event()

    def spin():  # pure Python: runs only while the GIL is free
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    def worker():
        try:
            with client_for(srv) as c:
                c.login("alice", "secret")
                results.append(c.stat())
        except Exception as e:  # reported below
            errors.append(e)

    spinner = threading.Thread(target=spin)
    spinner.start()
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - t0
    stop.set()
    spinner.join(5)
    assert not errors, errors
    assert results == [(1, 100)] * THREADS
    # Serialised they would take THREADS * DELAY; in parallel about DELAY.
    assert elapsed < DELAY * THREADS * 0.6, elapsed
    assert ticks[0] > 50  # Python kept running during the waits
    assert "#MISMATCH" not in srv.log_text()


def test_parallel_downloads_each_with_own_client(server_factory):
    users = {f"u{i}": {f"m{j}": (f"Subject: {i}/{j}\r\n\r\n" + "x" * 70000
                                 + "\r\n").encode() for j in range(3)}
             for i in range(4)}
    args = []
    for name in users:
        args += ["--user", f"{name}:pw"]
    srv = server_factory(*args, messages=users)
    got = {}

    def worker(name):
        with client_for(srv) as c:
            c.login(name, "pw")
            got[name] = [c.read_message(n)["Subject"] for n in c.list()]

    threads = [threading.Thread(target=worker, args=(n,)) for n in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert got == {f"u{i}": [f"{i}/{j}" for j in range(3)]
                   for i in range(4)}


def test_one_client_shared_by_threads_is_serialised(server):
    # Not recommended, but must not corrupt anything: calls wait in turn.
    with client_for(server) as c:
        c.login("alice", "secret")
        out, errors = [], []

        def worker():
            try:
                for _ in range(20):
                    out.append(c.stat().count)
            except Exception as e:
                errors.append(e)
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors and out == [3] * 60


def test_trace_hook_may_not_reenter_its_client(server):
    errors, holder = [], []

    def hook(direction, line):
        try:
            if holder:
                holder[0].noop()
        except pop3.StateError as e:
            errors.append(e)
    c = client_for(server, trace=hook)
    holder.append(c)
    c.login("alice", "secret")
    c.close()
    assert errors and "trace hook" in str(errors[0])
