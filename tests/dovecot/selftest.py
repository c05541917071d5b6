#!/usr/bin/env python3
"""Self-test of harness.py against the real Dovecot: start (CLI), log in
over raw sockets, seed, STAT, deletions, TLS, stop. Plain Python."""

import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "harness.py")
sys.path.insert(0, HERE)
import harness  # noqa: E402

MSG = b"Subject: seeded\n\nfirst\n.dot line\n.\nlast\n"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def cli(*args):
    run = subprocess.run([sys.executable, HARNESS] + list(args),
                         stdout=subprocess.PIPE, text=True, timeout=60)
    check(run.returncode == 0, "harness %s failed" % args[0])
    return run.stdout.strip()


def env(dir):
    out = {}
    with open(os.path.join(dir, "env")) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            out[key] = value.strip("'")
    return out


class Pop3:
    def __init__(self, host, port, tls_ca=None):
        self.s = socket.create_connection((host, port), timeout=10)
        if tls_ca:
            self.s = self._wrap(tls_ca, "localhost")
        self.f = self.s.makefile("rb")
        self.greeting = self.f.readline()

    def _wrap(self, ca, name):
        ctx = ssl.create_default_context(cafile=ca)
        return ctx.wrap_socket(self.s, server_hostname=name)

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.f.readline()

    def body(self):
        lines = []
        while True:
            line = self.f.readline()
            check(line, "body cut short")
            if line == b".\r\n":
                return lines
            lines.append(line)

    def stls(self, ca, host):
        check(self.cmd("STLS").startswith(b"+OK"), "STLS")
        self.f.close()
        self.s = self._wrap(ca, host)
        self.f = self.s.makefile("rb")

    def close(self):
        self.f.close()
        self.s.close()


def login(c, user="alice", password="secret"):
    check(c.cmd("USER " + user).startswith(b"+OK"), "USER")
    return c.cmd("PASS " + password)


def test_plain(d, e):
    port = int(e["POP3_PORT"])
    c = Pop3("127.0.0.1", port)
    check(c.greeting.startswith(b"+OK"), c.greeting)
    for attempt in range(3):        # no growing auth penalty either
        t0 = time.monotonic()
        check(login(c, "alice", "wrong%d" % attempt).startswith(b"-ERR"),
              "bad password")
        check(time.monotonic() - t0 < 1.5, "failed login was delayed")
    check(login(c).startswith(b"+OK"), "login")
    check(c.cmd("STAT") == b"+OK 0 0\r\n", "empty maildrop")
    c.cmd("QUIT")
    c.close()

    msg = os.path.join(d, "msg.eml")
    with open(msg, "wb") as f:
        f.write(MSG)
    cli("seed", "--dir", d, "--user", "alice", msg, msg,
        "--generate", "2:8k")
    check(cli("count", "--dir", d, "--user", "alice") == "4", "count")

    c = Pop3("127.0.0.1", port)
    stamp = re.search(rb"<[^>]*>", c.greeting).group()
    digest = hashlib.md5(stamp + b"secret").hexdigest()
    check(c.cmd("APOP alice " + digest).startswith(b"+OK"), "APOP")
    stat = c.cmd("STAT")
    check(stat.startswith(b"+OK 4 "), stat)
    check(c.cmd("RETR 1").startswith(b"+OK"), "RETR")
    check(c.body() == [b"Subject: seeded\r\n", b"\r\n", b"first\r\n",
                       b"..dot line\r\n", b"..\r\n", b"last\r\n"], "body")
    check(c.cmd("UIDL").startswith(b"+OK"), "UIDL")
    check(len(c.body()) == 4, "UIDL lines")
    check(c.cmd("DELE 1").startswith(b"+OK"), "DELE")
    c.close()                      # dropped: nothing committed
    time.sleep(0.3)
    check(harness.count(d, "alice") == 4, "drop committed a deletion")

    c = Pop3("127.0.0.1", port)
    login(c)
    c.cmd("DELE 1")
    check(c.cmd("QUIT").startswith(b"+OK"), "QUIT")
    c.close()
    check(harness.count(d, "alice") == 3, "QUIT did not commit")


def test_tls(d, e):
    ca = e["POP3_CA"]
    c = Pop3("127.0.0.1", int(e["POP3S_PORT"]), tls_ca=ca)
    check(login(c).startswith(b"+OK"), "POP3S login")
    check(c.cmd("STAT").startswith(b"+OK 3 "), "POP3S STAT")
    c.cmd("QUIT")
    c.close()
    c = Pop3("127.0.0.2", int(e["POP3_PORT"]))
    c.stls(ca, "127.0.0.2")
    check(login(c).startswith(b"+OK"), "STLS login on 127.0.0.2")
    c.cmd("QUIT")
    c.close()


def test_no_plaintext(d):
    cli("start", "--dir", d, "--user", "alice:secret", "--tls",
        "--no-plaintext")
    e = env(d)
    c = Pop3("127.0.0.2", int(e["POP3_PORT"]))
    check(c.cmd("USER alice").startswith(b"-ERR"), "plaintext on 127.0.0.2")
    c.stls(e["POP3_CA"], "127.0.0.2")
    check(login(c).startswith(b"+OK"), "login after STLS")
    c.close()
    check(harness.count(d, "alice") == 3, "start kept the Maildir")


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def main():
    base = tempfile.mkdtemp(prefix="dovecot-selftest-")
    os.chmod(base, 0o755)          # Dovecot's users must traverse it
    d = os.path.join(base, "dc")
    passed = failed = 0
    try:
        t0 = time.monotonic()
        port = cli("start", "--dir", d, "--user", "alice:secret",
                   "--user", "bob:pw", "--tls")
        print("started on port %s in %.2f s" % (port, time.monotonic() - t0))
        e = env(d)
        check(e["POP3_PORT"] == port and e["POP3_HOST"] == "127.0.0.1", e)
        for test in (lambda: test_plain(d, e), lambda: test_tls(d, e),
                     lambda: test_no_plaintext(d)):
            try:
                test()
                passed += 1
            except (AssertionError, OSError) as err:
                print("FAIL: %r" % err)
                failed += 1
    finally:
        pid = harness._master_pid(d)
        procs = [pid] + harness.children(pid) if pid else []
        t0 = time.monotonic()
        cli("stop", "--dir", d)
        print("stopped in %.2f s" % (time.monotonic() - t0))
        left = [p for p in procs if alive(p)]
        if left:
            print("FAIL: dovecot still running: %s" % left)
            failed += 1
        cli("stop", "--dir", d)    # stopping twice is fine
        shutil.rmtree(base, ignore_errors=True)
    print("selftest: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
