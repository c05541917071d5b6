#!/usr/bin/env python3
"""Self-test of pop3d.py over raw sockets. Plain Python, no pytest:
exits non-zero on the first failure."""

import hashlib
import os
import re
import select
import shutil
import base64
import hmac
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POP3D = os.path.join(HERE, "pop3d.py")
SCENARIOS = os.path.join(HERE, "..", "scenarios")
TMP = tempfile.mkdtemp(prefix="pop3d-selftest-")
RUNNING = []

MSG1 = (b"Subject: one\nFrom: a@example.org\n\nhello\n.leading dot\n.\n"
        b"..two\nlast line without newline")
MSG1_WIRE = (b"Subject: one\r\nFrom: a@example.org\r\n\r\nhello\r\n"
             b"..leading dot\r\n..\r\n...two\r\nlast line without newline"
             b"\r\n.\r\n")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Server:
    def __init__(self, *extra, name="srv"):
        self.port_file = os.path.join(TMP, name + ".port")
        self.log = os.path.join(TMP, name + ".log")
        cmd = [sys.executable, POP3D, "--port-file", self.port_file,
               "--log", self.log, "--max-lifetime", "60"] + list(extra)
        self.proc = subprocess.Popen(cmd)
        RUNNING.append(self.proc)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.port_file):
            check(self.proc.poll() is None, "pop3d died: %s" % cmd)
            check(time.monotonic() < deadline, "no port file")
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())

    def client(self):
        return Client(self.port)

    def log_lines(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        check(self.proc.wait(10) == 0, "pop3d exit status")
        check(not os.path.exists(self.port_file), "port file left behind")
        RUNNING.remove(self.proc)


class Client:
    def __init__(self, port, tls=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls is not None:
            self.s = tls.wrap_socket(self.s, server_hostname="localhost")
        self.f = self.s.makefile("rb")

    def start_tls(self, ctx):
        """Client side of STLS, after its +OK was read."""
        self.f.close()
        self.s = ctx.wrap_socket(self.s, server_hostname="localhost")
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline()

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.line()

    def body(self):
        """Raw multi-line body up to and including the terminator."""
        out = b""
        while not out.endswith(b"\r\n.\r\n") and out != b".\r\n":
            chunk = self.f.readline()
            check(chunk, "body cut short: %r" % out[-80:])
            out += chunk
        return out

    def close(self):
        self.f.close()
        self.s.close()


def make_maildrop():
    root = os.path.join(TMP, "maildrop")
    os.makedirs(os.path.join(root, "alice"))
    for name, data in (("001.eml", MSG1), ("002.eml", b""),
                       ("003.txt", b"Subject: three\r\n\r\nbody\r\n")):
        with open(os.path.join(root, "alice", name), "wb") as f:
            f.write(data)
    return root


def login(c, user="alice", password="secret"):
    c.line()
    check(c.cmd("USER " + user).startswith(b"+OK"), "USER")
    return c.cmd("PASS " + password)


def test_maildrop(root):
    srv = Server("--maildrop", root, "--user", "alice:secret",
                 "--user", "bob:pw", "--apop", "--capa", name="maildrop")
    c = srv.client()
    greeting = c.line()
    stamp = re.search(rb"<[^>]*>", greeting).group().decode()
    check(greeting.startswith(b"+OK POP3 test server ready <"), greeting)
    check(c.cmd("CAPA").startswith(b"+OK"), "CAPA")
    capa = c.body()
    check(b"IMPLEMENTATION pop3d-test\r\n" in capa and b"PIPELINING" in capa,
          capa)
    check(c.cmd("STAT").startswith(b"-ERR"), "STAT before login")
    check(c.cmd("PASS secret").startswith(b"-ERR"), "PASS without USER")
    c.cmd("USER alice")
    check(c.cmd("PASS wrong") == b"-ERR [AUTH] invalid credentials\r\n",
          "wrong password")
    digest = hashlib.md5((stamp + "secret").encode()).hexdigest()
    check(c.cmd("APOP alice " + digest).startswith(b"+OK"), "APOP")
    size1 = len(MSG1.replace(b"\n", b"\r\n") + b"\r\n")  # unstuffed
    total = size1 + 0 + 24
    got = c.cmd("STAT")
    check(got == b"+OK 3 %d\r\n" % total, "STAT %r" % got)
    check(c.cmd("LIST").startswith(b"+OK"), "LIST")
    check(c.body() == b"1 %d\r\n2 0\r\n3 24\r\n.\r\n" % size1, "LIST body")
    check(c.cmd("list 2") == b"+OK 2 0\r\n", "LIST 2, lower case")
    for bad in ("LIST 0", "LIST 4", "LIST x", "LIST -1", "RETR", "FOO"):
        check(c.cmd(bad).startswith(b"-ERR"), bad)
    check(c.cmd("UIDL").startswith(b"+OK"), "UIDL")
    check(c.body() == b"1 001\r\n2 002\r\n3 003\r\n.\r\n", "UIDL body")
    check(c.cmd("UIDL 3") == b"+OK 3 003\r\n", "UIDL 3")
    check(c.cmd("RETR 1") == b"+OK %d octets\r\n" % size1, "RETR 1")
    check(c.body() == MSG1_WIRE, "RETR 1 body (dot-stuffed, CRLF)")
    check(c.cmd("RETR 2").startswith(b"+OK") and c.line() == b".\r\n",
          "RETR of an empty message")
    check(c.cmd("TOP 1 1").startswith(b"+OK"), "TOP")
    check(c.body() == b"Subject: one\r\nFrom: a@example.org\r\n\r\nhello"
          b"\r\n.\r\n", "TOP body")
    # Pipelining: three commands in one segment, answered in order.
    c.s.sendall(b"STAT\r\nLIST 3\r\nNOOP\r\n")
    check([c.line(), c.line(), c.line()] ==
          [b"+OK 3 %d\r\n" % total, b"+OK 3 24\r\n", b"+OK\r\n"], "pipeline")
    check(c.cmd("USER x").startswith(b"-ERR"), "USER in TRANSACTION")

    # A second session on the same maildrop is refused; another user is not.
    c2 = srv.client()
    check(login(c2) == b"-ERR [IN-USE] maildrop is locked\r\n", "IN-USE")
    c3 = srv.client()
    check(login(c3, "bob", "pw").startswith(b"+OK"), "bob logs in")
    check(c3.cmd("STAT") == b"+OK 0 0\r\n", "bob has an empty maildrop")
    c2.close()
    c3.close()

    # DELE then a dropped connection: nothing is removed.
    check(c.cmd("DELE 1").startswith(b"+OK"), "DELE 1")
    check(c.cmd("RETR 1").startswith(b"-ERR"), "RETR of deleted")
    check(c.cmd("DELE 1").startswith(b"-ERR"), "DELE of deleted")
    check(c.cmd("STAT") == b"+OK 2 24\r\n", "STAT after DELE")
    c.close()
    time.sleep(0.2)
    check(os.path.exists(os.path.join(root, "alice", "001.eml")),
          "drop applied a deletion")

    # DELE, RSET, DELE, QUIT: only the last deletion is applied.
    c = srv.client()
    check(login(c).startswith(b"+OK"), "login after drop (lock released)")
    c.cmd("DELE 1")
    check(c.cmd("RSET").startswith(b"+OK"), "RSET")
    c.cmd("DELE 3")
    check(c.cmd("QUIT").startswith(b"+OK"), "QUIT")
    check(c.line() == b"", "closed after QUIT")
    c.close()
    left = sorted(os.listdir(os.path.join(root, "alice")))
    check(left == ["001.eml", "002.eml"], "after QUIT: %s" % left)

    log = srv.log_lines()
    for want in ("#CONNECT", "USER alice", "PASS wrong", "list 2",
                 "STAT", "#CLOSE"):
        check(want in log, "log lacks %r" % want)
    srv.stop()


def test_faults(root):
    base = ["--maildrop", root, "--user", "alice:secret"]

    srv = Server(*base, "--fault", "greeting-err", name="f1")
    c = srv.client()
    check(c.line() == b"-ERR go away\r\n" and c.line() == b"", "greeting-err")
    srv.stop()

    srv = Server(*base, "--fault", "stat-overflow", "--fault", "bare-lf",
                 name="f2")
    c = srv.client()
    check(c.line() == b"+OK POP3 test server ready\n", "bare-lf greeting")
    c.cmd("USER alice")
    c.cmd("PASS secret")
    check(c.cmd("STAT") == b"+OK 99999999999999999999999 1\n", "stat-overflow")
    srv.stop()

    srv = Server(*base, "--fault", "close-on-quit", name="f3")
    c = srv.client()
    login(c)
    c.cmd("DELE 1")
    c.s.sendall(b"QUIT\r\n")
    check(c.line() == b"", "close-on-quit: no reply")
    time.sleep(0.2)
    check(len(os.listdir(os.path.join(root, "alice"))) == 2,
          "close-on-quit applied deletions")
    srv.stop()

    srv = Server(*base, "--fault", "coalesce", name="f4")
    c = srv.client()
    check(c.s.recv(100) == b"+OK POP3 test server ready\r\n", "greeting")
    c.s.sendall(b"USER alice\r\nPASS secret\r\n")
    time.sleep(0.005)
    # Not recv(MSG_DONTWAIT): a socket with a timeout polls before it.
    early = select.select([c.s], [], [], 0)[0]
    check(not early, "coalesce: replies sent before the client was idle")
    c.s.sendall(b"RETR 1\r\n")
    time.sleep(0.3)
    got = c.s.recv(1 << 20)
    check(got.startswith(b"+OK send PASS\r\n+OK") and
          got.endswith(MSG1_WIRE), "coalesce: all in one: %r" % got)
    srv.stop()

    srv = Server(*base, "--fault", "close-mid-body", name="f5")
    c = srv.client()
    login(c)
    c.cmd("RETR 1")
    rest = c.f.read()
    check(0 < len(rest) < len(MSG1_WIRE) - 3, "close-mid-body: %r" % rest)
    srv.stop()

    srv = Server(*base, "--fault", "huge-body-line", name="f6")
    c = srv.client()
    login(c)
    check(c.cmd("RETR 1") == b"+OK 10485762 octets\r\n", "huge status")
    check(c.body() == b"a" * 10485760 + b"\r\n.\r\n", "huge body")
    srv.stop()

    srv = Server(*base, "--fault", "one-byte", "--fault", "list-garbage",
                 name="f7")
    c = srv.client()
    pieces = b""
    reads = 0
    while not pieces.endswith(b"\r\n"):
        pieces += c.s.recv(100)
        reads += 1
    check(reads >= 3, "one-byte: greeting came in %d reads" % reads)
    c.cmd("USER alice")
    c.cmd("PASS secret")
    c.cmd("LIST")
    check(c.body().split(b"\r\n")[1] == b"x y", "list-garbage")
    srv.stop()


def run_scenario(path, talk, name):
    srv = Server("--scenario", path, name=name)
    for _ in range(2):          # the script is replayed per connection
        c = srv.client()
        talk(c)
        c.close()
        time.sleep(0.2)
    log = srv.log_lines()
    srv.stop()
    return log


def test_scenarios():
    def retr_basic(c):
        check(c.line() == b"+OK test server ready\r\n", "scenario greeting")
        c.cmd("USER alice")
        c.cmd("PASS anything")
        check(c.cmd("STAT") == b"+OK 2 43\r\n", "scenario STAT")
        c.cmd("RETR 1")
        check(c.body().startswith(b"Subject: dots\r\n\r\n..leading"), "body")
        check(c.cmd("RETR 2") == b"+OK 0 octets\r\n" and
              c.line() == b".\r\n", "empty body")
        check(c.cmd("QUIT") == b"+OK bye\r\n", "scenario QUIT")
    log = run_scenario(os.path.join(SCENARIOS, "retr-basic.scenario"),
                       retr_basic, "s1")
    check(not [x for x in log if x.startswith("#MISMATCH")], log)
    check(log.count("#CONNECT") == 2 and "PASS anything" in log, log)

    def stls(c):
        c.line()
        c.cmd("CAPA")
        c.body()
        c.s.sendall(b"STLS\r\n")
        time.sleep(0.1)
        check(c.s.recv(100) == b"+OK begin TLS\r\n+OK\r\n", "one segment")
    log = run_scenario(os.path.join(SCENARIOS, "stls-inject.scenario"),
                       stls, "s2")
    check(not [x for x in log if x.startswith("#MISMATCH")], log)

    def wrong(c):
        c.line()
        c.cmd("USER mallory")
        check(c.line() == b"", "closed after a mismatch")
    log = run_scenario(os.path.join(SCENARIOS, "login-in-use.scenario"),
                       wrong, "s3")
    check("#MISMATCH expected=USER alice got=USER mallory" in log, log)

    def in_use(c):
        c.line()
        c.cmd("USER alice")
        check(c.cmd("PASS x") == b"-ERR [IN-USE] maildrop is locked\r\n", "")
        c.s.sendall(b"QUIT\r\n")
        c.line()
        c.s.sendall(b"NOOP\r\n")    # E expects a close, not another line
    log = run_scenario(os.path.join(SCENARIOS, "login-in-use.scenario"),
                       in_use, "s4")
    check("#MISMATCH expected=<close> got=NOOP" in log, log)


def test_quiet():
    """Q: a line that arrives before the reply is #EARLY, and is still
    read by the next C; a client that waits sees the reply after Q."""
    script = os.path.join(TMP, "quiet.scenario")
    with open(script, "w") as f:
        f.write("S +OK hi\\r\\n\nC USER a\nQ 0.3\nS +OK\\r\\n\n"
                "C PASS b\nQ 0.3\nS +OK in\\r\\n\n"
                "C QUIT\nS +OK bye\\r\\n\nE\n")

    def waits(c):
        c.line()
        t0 = time.monotonic()
        check(c.cmd("USER a") == b"+OK\r\n", "Q: USER reply")
        check(time.monotonic() - t0 >= 0.29, "Q: reply before Q ended")
        check(c.cmd("PASS b") == b"+OK in\r\n", "Q: PASS reply")
        check(c.cmd("QUIT") == b"+OK bye\r\n", "Q: QUIT reply")
    log = run_scenario(script, waits, "q1")
    check(not [x for x in log if x.startswith(("#EARLY", "#MISMATCH"))],
          log)
    check(log.count("PASS b") == 2, log)

    def pipelines(c):
        c.line()
        c.s.sendall(b"USER a\r\nPASS b\r\n")
        check(c.line() == b"+OK\r\n" and c.line() == b"+OK in\r\n",
              "Q: replies to a pipelined login")
        check(c.cmd("QUIT") == b"+OK bye\r\n", "Q: QUIT after #EARLY")
    log = run_scenario(script, pipelines, "q2")
    check(not [x for x in log if x.startswith("#MISMATCH")], log)
    # Logged once as early, once where C reads it; per connection.
    check(log == ["#CONNECT", "USER a", "#EARLY got=PASS b", "PASS b",
                  "QUIT", "#CLOSE"] * 2, log)

    def partial(c):
        c.line()
        c.s.sendall(b"USER a\r\nPA")
        check(c.line() == b"+OK\r\n", "Q: reply after a partial line")
        check(c.cmd("SS b") == b"+OK in\r\n", "Q: rest of the line")
        check(c.cmd("QUIT") == b"+OK bye\r\n", "Q: QUIT")
    log = run_scenario(script, partial, "q3")
    check(log == ["#CONNECT", "USER a", "#EARLY got=PA", "PASS b",
                  "QUIT", "#CLOSE"] * 2, log)

    # A bad argument is refused at start, naming the line.
    for arg in ("0", "x", "6"):
        bad = os.path.join(TMP, "bad-q.scenario")
        with open(bad, "w") as f:
            f.write("S +OK\\r\\n\nQ %s\n" % arg)
        r = subprocess.run([sys.executable, POP3D, "--port-file",
                            os.path.join(TMP, "bad.port"), "--scenario",
                            bad], capture_output=True, text=True, timeout=10)
        check(r.returncode == 1 and "bad-q.scenario:2" in r.stderr,
              "Q %r: %d %s" % (arg, r.returncode, r.stderr))


def test_tls_sasl(root):
    import certs
    tls_dir = os.path.join(TMP, "tls")
    certs.make(tls_dir)
    ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))
    tls_args = ("--tls-cert", os.path.join(tls_dir, "server.pem"),
                "--tls-key", os.path.join(tls_dir, "server.key"))
    srv = Server("--maildrop", root, "--user", "alice:secret", "--sasl",
                 "all", "--utf8", "--capa-line", "LOGIN-DELAY 900",
                 *tls_args, name="tls")
    c = srv.client()
    c.line()
    c.cmd("CAPA")
    capa = c.body()
    for want in (b"STLS", b"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 "
                 b"SCRAM-SHA-256 XOAUTH2 OAUTHBEARER", b"UTF8 USER",
                 b"LOGIN-DELAY 900"):
        check(want + b"\r\n" in capa, "CAPA lacks %r: %r" % (want, capa))
    check(c.cmd("STLS") == b"+OK Begin TLS negotiation\r\n", "STLS")
    c.start_tls(ctx)
    c.cmd("CAPA")
    check(b"STLS" not in c.body(), "STLS listed after TLS")
    check(c.cmd("STLS").startswith(b"-ERR"), "STLS twice")
    # The AUTH line has a 255-octet limit (RFC 5034 4).
    check(c.cmd("AUTH PLAIN " + "A" * 300).startswith(b"-ERR"), "long AUTH")
    check(c.cmd("AUTH PLAIN " + base64.b64encode(b"\0alice\0wrong")
                .decode()) == b"-ERR [AUTH] invalid credentials\r\n",
          "AUTH PLAIN wrong")
    got = c.cmd("AUTH CRAM-MD5")
    stamp = base64.b64decode(got[2:].strip())
    digest = hmac.new(b"secret", stamp, hashlib.md5).hexdigest()
    check(c.cmd(base64.b64encode(b"alice " + digest.encode()).decode())
          .startswith(b"+OK"), "AUTH CRAM-MD5")
    check(c.cmd("QUIT").startswith(b"+OK"), "QUIT over TLS")
    c.close()
    log = srv.log_lines()
    check("#TLS TLSv1.3" in log and "AUTH CRAM-MD5" in log, log)
    srv.stop()

    # The injection fault: both lines in one segment, before TLS.
    srv = Server("--maildrop", root, "--user", "alice:secret", "--fault",
                 "stls-inject", *tls_args, name="inject")
    c = srv.client()
    c.line()
    c.s.sendall(b"STLS\r\n")
    time.sleep(0.1)
    check(c.s.recv(100) == b"+OK Begin TLS negotiation\r\n+OK injected"
          b"\r\n", "stls-inject: one segment")
    c.close()
    srv.stop()

    # Implicit TLS, and a scenario that starts TLS with T.
    srv = Server("--maildrop", root, "--user", "alice:secret",
                 "--implicit-tls", *tls_args, name="pop3s")
    c = Client(srv.port, tls=ctx)
    check(c.line().startswith(b"+OK POP3 test server ready"), "POP3S")
    c.close()
    srv.stop()
    script = os.path.join(TMP, "stls.scenario")
    with open(script, "w") as f:
        f.write("S +OK hi\\r\\n\nC STLS\nS +OK go\\r\\n\nT\n"
                "S +OK secret\\r\\n\nC QUIT\nS +OK bye\\r\\n\nE\n")
    srv = Server("--scenario", script, *tls_args, name="s5")
    c = srv.client()
    c.line()
    check(c.cmd("STLS") == b"+OK go\r\n", "scenario STLS")
    c.start_tls(ctx)
    check(c.line() == b"+OK secret\r\n", "scenario T")
    check(c.cmd("QUIT") == b"+OK bye\r\n", "scenario QUIT over TLS")
    c.close()
    time.sleep(0.2)
    log = srv.log_lines()
    check(not [x for x in log if x.startswith("#MISMATCH")], log)
    srv.stop()


def test_lifetime(root):
    t0 = time.monotonic()
    srv = Server("--maildrop", root, "--max-lifetime", "1", name="life")
    check(srv.proc.wait(10) == 0 and time.monotonic() - t0 < 5, "lifetime")
    RUNNING.remove(srv.proc)


def main():
    root = make_maildrop()
    tests = [lambda: test_maildrop(root), lambda: test_faults(root),
             test_scenarios, test_quiet, lambda: test_tls_sasl(root),
             lambda: test_lifetime(root)]
    failed = 0
    try:
        for test in tests:
            try:
                test()
            except AssertionError as e:
                print("FAIL: %s" % e)
                failed += 1
            for p in RUNNING:      # a failed test may leave its server
                p.kill()
                p.wait()
            RUNNING.clear()
    finally:
        for p in RUNNING:
            p.kill()
            p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    print("selftest: %d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
