#!/usr/bin/env python3
"""The pop3 tool end to end: against the scripted server (tests/server/
pop3d.py, with faults) and against the real Dovecot of the test fixture.

    test_tool.py scripted     every test that needs only pop3d.py
    test_tool.py dovecot      the Dovecot ones (needs $DOVECOT_DIR)

Environment: POP3_TOOL (the binary), POP3_SOURCE_DIR, DOVECOT_DIR.
Each test runs the tool with a private HOME, so no state or netrc of the
machine is touched, and removes everything it made."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("POP3_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.environ.get("POP3_TOOL") or os.path.join(SRC, "build", "tools",
                                                   "pop3")
PASSWORD = "s3cret-Pw!x"

# Exit codes documented in docs/pop3.1.
EXIT_USAGE, EXIT_NETWORK, EXIT_TLS, EXIT_AUTH, EXIT_SERVER = 2, 3, 4, 5, 6

MSGS = {
    "1001-a": b"From: Alice <a@example.org>\r\nSubject: first\r\n"
              b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhello\r\n",
    "1002-b": b"From: Bob <b@example.org>\r\nSubject: dots and froms\r\n\r\n"
              b".leading dot\r\nFrom here on\r\n>From quoted\r\n"
              b"..two\r\nend\r\n",
    "1003-c": b"From: Carol <c@example.org>\r\nSubject: =?UTF-8?Q?caf=C3=A9?="
              b"\r\nX-Long: " + b"y" * 3000 + b"\r\n\r\n" +
              b"line\r\n" * 2000,
}


def lf(data):
    return data.replace(b"\r\n", b"\n")


class Server:
    """pop3d.py on a loopback port with a private maildrop."""

    def __init__(self, msgs=MSGS, faults=(), apop=False, extra=()):
        self.dir = tempfile.mkdtemp(prefix="pop3tool-srv.")
        self.drop = os.path.join(self.dir, "drop", "alice")
        os.makedirs(self.drop)
        for uid, data in msgs.items():
            self.add(uid, data)
        self.faults = list(faults)
        self.apop = apop
        self.extra = list(extra)
        self.proc = None
        self.start()

    def add(self, uid, data):
        with open(os.path.join(self.drop, uid + ".eml"), "wb") as f:
            f.write(data)

    def start(self, faults=None, port=0):
        if faults is not None:
            self.faults = list(faults)
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        args = [sys.executable, os.path.join(SRC, "tests/server/pop3d.py"),
                "--maildrop", os.path.join(self.dir, "drop"),
                "--user", "alice:" + PASSWORD, "--port-file", port_file,
                "--log", os.path.join(self.dir, "log"),
                "--port", str(port), "--max-lifetime", "120"]
        for f in self.faults:
            args += ["--fault", f]
        if self.apop:
            args.append("--apop")
        args += self.extra
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("pop3d.py did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())

    def restart(self, faults=()):
        """Same port: the state file is per account, port included."""
        self.stop_process()
        self.start(faults, self.port)

    def url(self, scheme="pop3"):
        return "%s://alice@127.0.0.1:%d" % (scheme, self.port)

    def uids(self):
        return sorted(n[:-4] for n in os.listdir(self.drop))

    def log(self):
        with open(os.path.join(self.dir, "log"), errors="replace") as f:
            return f.read()

    def stop_process(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        self.stop_process()
        shutil.rmtree(self.dir, ignore_errors=True)


class ToolCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pop3tool.")
        os.chmod(self.tmp, 0o755)
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": self.home, "POP3_PASSWORD": PASSWORD,
                    "LC_ALL": "C"}
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, **kw):
        s = Server(**kw)
        self.servers.append(s)
        return s

    def run_tool(self, *args, env=None, timeout=30, cleartext=True,
                 expect=None):
        """Run pop3 detached from any terminal; return (rc, out, err)."""
        argv = [TOOL] + (["--cleartext"] if cleartext else []) + list(args)
        e = dict(self.env)
        e.update(env or {})
        for k, v in list(e.items()):
            if v is None:
                del e[k]
        p = subprocess.run(argv, env=e, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout,
                           start_new_session=True)
        out, err = p.stdout, p.stderr.decode(errors="replace")
        if expect is not None:
            self.assertEqual(p.returncode, expect,
                             "%s\nstdout: %r\nstderr: %s" % (argv, out, err))
        return p.returncode, out, err

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def maildir_messages(self, md):
        """Contents of new/ and cur/; tmp/ must be empty."""
        self.assertEqual(os.listdir(os.path.join(md, "tmp")), [])
        out = []
        for sub in ("new", "cur"):
            for n in sorted(os.listdir(os.path.join(md, sub))):
                with open(os.path.join(md, sub, n), "rb") as f:
                    out.append(f.read())
        return sorted(out)

    def assert_each_once(self, md, uids):
        def digest(msgs):
            return sorted(hashlib.sha1(m).hexdigest()[:8] for m in msgs)
        self.assertEqual(digest(self.maildir_messages(md)),
                         digest(lf(MSGS[u]) for u in uids))


def mbox_messages(path):
    """Split an mboxrd file and undo its From quoting."""
    with open(path, "rb") as f:
        data = f.read()
    msgs, cur = [], None
    for line in data.split(b"\n")[:-1]:
        if line.startswith(b"From "):
            if cur is not None:
                msgs.append(cur)
            cur = []
            continue
        if line.lstrip(b">").startswith(b"From "):
            line = line[1:]
        cur.append(line)
    if cur is not None:
        msgs.append(cur)
    # each message is followed by one empty separator line
    out = []
    for m in msgs:
        assert m and m[-1] == b"", m[-3:]
        out.append(b"\n".join(m[:-1]) + b"\n")
    return out


class Scripted(ToolCase):
    # -- list, cat --------------------------------------------------------

    def test_list_text_and_json(self):
        s = self.server()
        _, out, _ = self.run_tool("list", s.url(), expect=0)
        lines = out.decode().splitlines()
        self.assertEqual([ln.split()[:3] for ln in lines[:3]],
                         [["1", str(len(MSGS["1001-a"])), "1001-a"],
                          ["2", str(len(MSGS["1002-b"])), "1002-b"],
                          ["3", str(len(MSGS["1003-c"])), "1003-c"]])
        self.assertIn("3 messages", lines[3])
        _, out, _ = self.run_tool(s.url(), "list", "--json", "--headers",
                                  expect=0)
        doc = json.loads(out)
        self.assertEqual(doc["count"], 3)
        self.assertEqual(doc["size"], sum(len(m) for m in MSGS.values()))
        m = doc["messages"]
        self.assertEqual([x["uid"] for x in m], sorted(MSGS))
        self.assertEqual(m[0]["from"], "Alice <a@example.org>")
        self.assertEqual(m[0]["subject"], "first")
        self.assertEqual(m[0]["date"], "Mon, 1 Jan 2024 10:00:00 +0000")
        self.assertEqual(m[1]["date"], "")
        # listing deletes nothing
        self.assertEqual(s.uids(), sorted(MSGS))

    def test_json_escapes_hostile_headers(self):
        s = self.server(msgs={"x": b'Subject: a "q" \\ \x01 \xff\xfe end\r\n'
                                   b"From: \xc3\xa9t\xc3\xa9\r\n\r\nb\r\n"})
        _, out, _ = self.run_tool("list", "--json", "--headers", s.url(),
                                  expect=0)
        m = json.loads(out.decode("utf-8"))["messages"][0]
        self.assertEqual(m["from"], "\u00e9t\u00e9")
        self.assertTrue(m["subject"].startswith('a "q" \\ ?'))
        self.assertIn("\ufffd", m["subject"])

    def test_cat_is_exact(self):
        s = self.server()
        _, out, _ = self.run_tool("cat", "2", s.url(), expect=0)
        self.assertEqual(out, MSGS["1002-b"])
        _, out, _ = self.run_tool("cat", "--uid", "1003-c", s.url(),
                                  expect=0)
        self.assertEqual(out, MSGS["1003-c"])
        rc, _, err = self.run_tool("cat", "9", s.url())
        self.assertEqual(rc, EXIT_SERVER, err)
        rc, _, err = self.run_tool("cat", "x", s.url())
        self.assertEqual(rc, EXIT_USAGE, err)

    # -- fetch into each format ---------------------------------------------

    def test_fetch_maildir_deletes_after_storing(self):
        s = self.server()
        md = self.path("Mail")
        _, out, _ = self.run_tool("fetch", s.url(), "--maildir", md,
                                  expect=0)
        self.assert_each_once(md, MSGS)
        self.assertEqual(s.uids(), [])
        self.assertIn(b"fetched 3 messages", out)
        self.assertIn(b"deleted 3", out)
        # The RETRs pipelined, each message stored as it arrives; DELE
        # only once every message is stored; QUIT commits.
        cmds = [ln for ln in s.log().splitlines() if ln[:4] in
                ("RETR", "DELE", "QUIT")]
        self.assertEqual(cmds, ["RETR 1", "RETR 2", "RETR 3", "DELE 1",
                                "DELE 2", "DELE 3", "QUIT"])

    def test_fetch_is_pipelined(self):
        # -v shows every RETR (and then every DELE) sent before the first
        # reply to it is read: the server lists PIPELINING.
        s = self.server()
        _, _, err = self.run_tool("-v", "fetch", s.url(), "--maildir",
                                  self.path("Mail"), expect=0)
        lines = err.splitlines()
        retr = [i for i, ln in enumerate(lines) if ln.startswith("C: RETR")]
        dele = [i for i, ln in enumerate(lines) if ln.startswith("C: DELE")]
        self.assertEqual(len(retr), 3)
        self.assertEqual(retr, list(range(retr[0], retr[0] + 3)))
        self.assertEqual(dele, list(range(dele[0], dele[0] + 3)))
        self.assertTrue(lines[retr[2] + 1].startswith("S: +OK"), lines)
        self.assert_each_once(self.path("Mail"), MSGS)

    def test_fetch_mbox(self):
        s = self.server()
        mbox = self.path("inbox.mbox")
        with open(mbox, "wb") as f:  # an existing mbox without final LF
            f.write(b"From x Thu Jan  1 00:00:00 2024\nSubject: old\n\nold")
        self.run_tool("fetch", s.url(), "--mbox", mbox, expect=0)
        got = mbox_messages(mbox)
        self.assertEqual(got[0], b"Subject: old\n\nold\n")
        self.assertEqual(got[1:], [lf(MSGS[u]) for u in sorted(MSGS)])
        with open(mbox, "rb") as f:
            raw = f.read()
        self.assertIn(b"\n>From here on\n>>From quoted\n", raw)
        self.assertEqual(s.uids(), [])

    def test_fetch_eml_dir(self):
        s = self.server()
        d = self.path("eml")
        self.run_tool("fetch", s.url(), "--eml-dir", d, "--keep", expect=0)
        self.assertEqual(sorted(os.listdir(d)),
                         sorted(u + ".eml" for u in MSGS))
        for u in MSGS:
            with open(os.path.join(d, u + ".eml"), "rb") as f:
                self.assertEqual(f.read(), MSGS[u])  # raw, CRLF kept
        self.assertEqual(s.uids(), sorted(MSGS))

    def test_hostile_uids_stay_inside(self):
        # UIDs "../evil/N": the names must stay in the directory.
        s = self.server(faults=["uidl-slash"])
        d = self.path("box", "eml")
        os.makedirs(d)
        self.run_tool("fetch", s.url(), "--eml-dir", d, "--keep", expect=0)
        self.assertEqual(sorted(os.listdir(self.path("box"))), ["eml"])
        self.assertEqual(sorted(os.listdir(d)),
                         ["%2E.%2Fevil%2F{}.eml".format(i) for i in (1, 2, 3)])

    def test_bad_uid_is_reported_not_trusted(self):
        s = self.server(faults=["uidl-empty"])
        md = self.path("Mail")
        _, _, err = self.run_tool("fetch", s.url(), "--maildir", md,
                                  "--keep", expect=0)
        self.assertIn("message 1", err)
        self.assertIn("left on the server", err)
        self.assert_each_once(md, ["1002-b", "1003-c"])
        # without --keep it is fetched (and deleted) all the same
        _, _, err = self.run_tool("fetch", s.url(), "--maildir", md,
                                  expect=0)
        self.assert_each_once(md, MSGS)
        self.assertEqual(s.uids(), [])

    # -- --keep and the state file ------------------------------------------

    def test_keep_twice_fetches_nothing_new(self):
        s = self.server()
        md = self.path("Mail")
        _, out, _ = self.run_tool("fetch", s.url(), "--maildir", md,
                                  "--keep", expect=0)
        self.assertIn(b"fetched 3 messages", out)
        _, out, _ = self.run_tool("fetch", s.url(), "--maildir", md,
                                  "--keep", expect=0)
        self.assertIn(b"fetched 0 messages", out)
        self.assertNotIn("RETR", s.log().split("#CONNECT")[-1])
        self.assert_each_once(md, MSGS)
        self.assertEqual(s.uids(), sorted(MSGS))
        # a new message arrives; one vanishes: only the new one comes
        s.add("1004-d", MSGS["1001-a"].replace(b"first", b"fourth"))
        os.remove(os.path.join(s.drop, "1002-b.eml"))
        _, out, _ = self.run_tool("fetch", s.url(), "--maildir", md,
                                  "--keep", expect=0)
        self.assertIn(b"fetched 1 message ", out)
        self.assertEqual(len(self.maildir_messages(md)), 4)
        # the vanished UID left the state file
        states = os.listdir(os.path.join(self.home, ".local/state/pop3"))
        self.assertEqual(len(states), 1)
        with open(os.path.join(self.home, ".local/state/pop3",
                               states[0])) as f:
            kept = [ln for ln in f.read().split("\n")
                    if ln and not ln.startswith("#")]
        self.assertEqual(sorted(kept), ["1001-a", "1003-c", "1004-d"])

    def test_state_file_torn_line(self):
        s = self.server()
        md, state = self.path("Mail"), self.path("state")
        with open(state, "w") as f:
            f.write("# state\n1001-a\nbad uid\n1002")   # cut short
        _, out, err = self.run_tool("fetch", s.url(), "--maildir", md,
                                    "--keep", "--state", state, expect=0)
        self.assertIn("cut short", err)
        self.assertIn("not a valid UID", err)
        # "1002" was torn, so 1002-b is new; 1001-a was seen
        self.assert_each_once(md, ["1002-b", "1003-c"])
        with open(state) as f:
            self.assertEqual(sorted(f.read().split()[-3:]),
                             ["1001-a", "1002-b", "1003-c"])

    def test_max_since_and_dry_run(self):
        s = self.server()
        md = self.path("Mail")
        _, out, _ = self.run_tool("fetch", s.url(), "--maildir", md,
                                  "--dry-run", expect=0)
        self.assertIn(b"would fetch and delete 1 (1001-a", out)
        self.assertEqual(self.maildir_messages(md) if os.path.exists(md)
                         else [], [])
        self.assertNotIn("RETR", s.log())
        self.assertNotIn("DELE", s.log())
        self.run_tool("fetch", s.url(), "--maildir", md, "--keep",
                      "--max", "1", expect=0)
        self.assert_each_once(md, ["1001-a"])
        self.run_tool("fetch", s.url(), "--maildir", md, "--keep",
                      "--since-uidl", "1002-b", expect=0)
        self.assert_each_once(md, ["1001-a", "1003-c"])
        rc, _, err = self.run_tool("fetch", s.url(), "--maildir", md,
                                   "--since-uidl", "nope")
        self.assertEqual(rc, 1, err)
        self.assertIn("no message has the UID nope", err)

    # -- failures in the middle ---------------------------------------------

    def test_dropped_mid_fetch_then_rerun(self):
        # RETR 1 whole, RETR 2 cut half way: 1 is stored and marked
        # deleted, but without QUIT the server keeps everything.
        s = self.server(faults=["close-mid-second-body"])
        md = self.path("Mail")
        rc, _, err = self.run_tool("fetch", s.url(), "--maildir", md)
        self.assertEqual(rc, EXIT_NETWORK, err)
        self.assertIn("message 2", err)
        self.assert_each_once(md, ["1001-a"])
        self.assertEqual(s.uids(), sorted(MSGS))     # none lost
        s.restart()
        self.run_tool("fetch", s.url(), "--maildir", md, expect=0)
        self.assert_each_once(md, MSGS)              # each exactly once
        self.assertEqual(s.uids(), [])
        # the rerun did not RETR message 1 again, only deleted it
        last = s.log().split("#CONNECT")[-1]
        self.assertNotIn("RETR 1", last)
        self.assertIn("DELE 1", last)

    def test_dropped_first_body_keep_mbox(self):
        s = self.server(faults=["close-mid-body"])
        mbox = self.path("mbox")
        rc, _, err = self.run_tool("fetch", s.url(), "--mbox", mbox,
                                   "--keep")
        self.assertEqual(rc, EXIT_NETWORK, err)
        self.assertEqual(os.path.getsize(mbox), 0)  # partial one cut off
        s.restart()
        self.run_tool("fetch", s.url(), "--mbox", mbox, "--keep", expect=0)
        self.assertEqual(mbox_messages(mbox),
                         [lf(MSGS[u]) for u in sorted(MSGS)])

    def test_quit_dropped_then_rerun(self):
        s = self.server(faults=["close-on-quit"])
        md = self.path("Mail")
        rc, _, err = self.run_tool("fetch", s.url(), "--maildir", md)
        self.assertEqual(rc, EXIT_NETWORK, err)
        self.assertIn("QUIT", err)
        self.assert_each_once(md, MSGS)
        self.assertEqual(s.uids(), sorted(MSGS))
        s.restart()
        _, out, _ = self.run_tool("fetch", s.url(), "--maildir", md,
                                  expect=0)
        self.assertIn(b"fetched 0 messages", out)
        self.assert_each_once(md, MSGS)
        self.assertEqual(s.uids(), [])

    def test_dele_refused(self):
        s = self.server(faults=["dele-err"])
        md = self.path("Mail")
        rc, _, err = self.run_tool("fetch", s.url(), "--maildir", md)
        self.assertEqual(rc, EXIT_SERVER, err)
        self.assertIn("cannot delete", err)
        self.assert_each_once(md, MSGS)
        s.restart()
        self.run_tool("fetch", s.url(), "--maildir", md, expect=0)
        self.assert_each_once(md, MSGS)
        self.assertEqual(s.uids(), [])

    def test_unwritable_destination(self):
        s = self.server()
        blocker = self.path("file")
        with open(blocker, "w") as f:
            f.write("x")
        rc, _, err = self.run_tool("fetch", s.url(), "--maildir",
                                   os.path.join(blocker, "Mail"))
        self.assertEqual(rc, 7, err)
        self.assertEqual(s.uids(), sorted(MSGS))
        rc, _, err = self.run_tool("fetch", s.url())
        self.assertEqual(rc, EXIT_USAGE, err)

    # -- delete -------------------------------------------------------------

    def test_delete(self):
        s = self.server()
        rc, _, err = self.run_tool("delete", s.url(), "1", "9", "3")
        self.assertEqual(rc, EXIT_SERVER, err)
        self.assertIn("delete 9: server replied -ERR", err)
        self.assertIn("nothing deleted", err)
        self.assertEqual(s.uids(), sorted(MSGS))     # all or nothing
        self.assertNotIn("QUIT", s.log())
        self.run_tool("delete", s.url(), "1", "3", expect=0)
        self.assertEqual(s.uids(), ["1002-b"])
        self.run_tool("delete", "--uid", s.url(), "1002-b", expect=0)
        self.assertEqual(s.uids(), [])

    # -- authentication, passwords, TLS -------------------------------------

    def test_wrong_password(self):
        s = self.server()
        rc, out, err = self.run_tool("list", s.url(),
                                     env={"POP3_PASSWORD": "wrong-pw-x"})
        self.assertEqual(rc, EXIT_AUTH, err)
        self.assertIn("login as alice: authentication failed", err)
        self.assertIn("invalid credentials", err)
        self.assertEqual(out, b"")

    def test_password_never_in_verbose_output(self):
        s = self.server(apop=True)
        # Without --auth the strongest method both sides have: APOP here.
        for extra, needle in (([], "C: APOP ****"),
                              (["--auth", "USER"], "C: USER alice"),
                              (["--auth", "apop"], "C: APOP ****")):
            _, _, err = self.run_tool("-v", "list", s.url(), *extra,
                                      expect=0)
            self.assertIn(needle, err)
            self.assertNotIn(PASSWORD, err)
        rc, _, err = self.run_tool("-v", "list", s.url(), "--auth", "USER",
                                   env={"POP3_PASSWORD": "wrong-pw-x"})
        self.assertEqual(rc, EXIT_AUTH)
        self.assertIn("PASS ****", err)
        self.assertNotIn("wrong-pw-x", err)

    def test_password_sources(self):
        s = self.server()
        pwfile = self.path("pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\nignored second line\n")
        os.chmod(pwfile, 0o600)
        self.run_tool("list", s.url(), "--password-file", pwfile,
                      env={"POP3_PASSWORD": None}, expect=0)
        netrc = os.path.join(self.home, ".netrc")
        with open(netrc, "w") as f:
            f.write("machine other login x password y\n"
                    "machine 127.0.0.1 login alice password %s\n"
                    "default login nobody password nothing\n" % PASSWORD)
        os.chmod(netrc, 0o600)
        # the user name may come from ~/.netrc too
        self.run_tool("list", "pop3://127.0.0.1:%d" % s.port,
                      env={"POP3_PASSWORD": None}, expect=0)
        # a .netrc others can read is not trusted; with no terminal to
        # prompt on, that is a usage error with a clear message
        os.chmod(netrc, 0o644)
        rc, _, err = self.run_tool("list", s.url(),
                                   env={"POP3_PASSWORD": None})
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("readable by others", err)
        self.assertIn("no password", err)

    def test_sasl_auth(self):
        s = self.server(extra=["--sasl", "all"])
        _, _, err = self.run_tool("-v", "list", s.url(), expect=0)
        self.assertIn("* logged in as alice with SCRAM-SHA-256", err)
        for mech in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
                     "scram-sha-256"):
            _, _, err = self.run_tool("-v", "list", s.url(), "--auth", mech,
                                      expect=0)
            self.assertIn("C: AUTH " + mech.upper(), err)
            self.assertIn("with " + mech.upper(), err)
            self.assertNotIn(PASSWORD, err)
        # RFC 2384's ;AUTH= in the URL
        self.run_tool("list", "pop://alice;AUTH=CRAM-MD5@127.0.0.1:%d"
                      % s.port, expect=0)
        self.assertIn("AUTH CRAM-MD5", s.log())
        rc, _, err = self.run_tool("list", s.url(), "--auth", "SCRAM-SHA-256",
                                   env={"POP3_PASSWORD": "wrong-pw-x"})
        self.assertEqual(rc, EXIT_AUTH, err)
        self.assertIn("authentication failed", err)
        rc, _, err = self.run_tool("list", s.url(), "--auth", "GSSAPI")
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("unknown method", err)
        rc, _, err = self.run_tool(
            "list", "pop://alice;AUTH=NOPE@127.0.0.1:%d" % s.port)
        self.assertEqual(rc, EXIT_USAGE, err)

    def test_capa_text_and_json(self):
        s = self.server(extra=["--capa", "--sasl", "PLAIN,SCRAM-SHA-256",
                               "--capa-line", "LOGIN-DELAY 900",
                               "--capa-line", "login-delay 5"])
        # No user and no password needed: capa does not log in.
        url = "pop3://127.0.0.1:%d" % s.port
        _, out, err = self.run_tool("capa", url,
                                    env={"POP3_PASSWORD": None}, expect=0)
        self.assertEqual(out.decode().splitlines(), [
            "TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING",
            "IMPLEMENTATION pop3d-test", "SASL PLAIN SCRAM-SHA-256",
            "LOGIN-DELAY 900", "login-delay 5"])
        _, out, _ = self.run_tool(url, "capa", "--json",
                                  env={"POP3_PASSWORD": None}, expect=0)
        doc = json.loads(out)
        self.assertEqual(doc["host"], "127.0.0.1")
        self.assertEqual(doc["port"], s.port)
        self.assertIs(doc["tls"], False)
        self.assertEqual(doc["capabilities"], {
            "TOP": [], "UIDL": [], "USER": [], "RESP-CODES": [],
            "PIPELINING": [], "IMPLEMENTATION": ["pop3d-test"],
            "SASL": ["PLAIN", "SCRAM-SHA-256"], "LOGIN-DELAY": ["900"]})
        self.assertEqual(doc["lines"][-1], "login-delay 5")
        log = [ln for ln in s.log().splitlines() if not ln.startswith("#")]
        self.assertEqual(log, ["CAPA", "QUIT", "CAPA", "QUIT"])

    def test_capa_refused(self):
        s = self.server(faults=["capa-err"])
        rc, out, err = self.run_tool("capa", s.url())
        self.assertEqual(rc, EXIT_SERVER, err)
        self.assertIn("no CAPA", err)
        self.assertEqual(out, b"")

    def test_list_headers_pipelined(self):
        s = self.server()
        self.run_tool("list", "--headers", s.url(), expect=0)
        self.assertEqual([ln for ln in s.log().splitlines()
                          if ln.startswith("TOP")],
                         ["TOP 1 0", "TOP 2 0", "TOP 3 0"])

    def test_tls_is_the_default(self):
        # pop3:// means STLS required; the scripted server has none (and
        # this libpop3 may have no TLS yet): either way, exit 4 and the
        # password is never sent.
        s = self.server()
        rc, _, err = self.run_tool("list", s.url(), cleartext=False)
        self.assertEqual(rc, EXIT_TLS, err)
        self.assertIn("--cleartext", err)
        self.assertNotIn("PASS", s.log())
        rc, _, err = self.run_tool("list", s.url("pop3s"), cleartext=False,
                                   timeout=60)
        self.assertIn(rc, (EXIT_TLS, EXIT_NETWORK), err)
        self.assertNotIn("PASS", s.log())

    def test_usage_errors(self):
        s = self.server()
        for args, needle in (
                (["list", "http://x"], "must start with"),
                (["list", "pop3://alice:pw@host"], "password in the URL"),
                (["list", "pop3://alice@host:99999"], "bad port"),
                (["list", "pop3://alice@host/1"], "no path"),
                (["frob", s.url()], "unknown command"),
                (["list"], "no URL"),
                (["cat", s.url()], "missing arguments"),
                (["--timeout", "0", "list", s.url()], "--timeout"),
                (["list", "pop3s://a@h", "--cleartext"], "contradicts")):
            rc, _, err = self.run_tool(*args, cleartext=False)
            self.assertEqual(rc, EXIT_USAGE, (args, err))
            self.assertIn(needle, err, args)

    def test_network_errors(self):
        s = self.server()
        port = s.port
        s.stop_process()
        rc, _, err = self.run_tool("list", "pop3://alice@127.0.0.1:%d" % port,
                                   "--timeout", "5")
        self.assertEqual(rc, EXIT_NETWORK, err)
        self.assertIn("could not connect", err)


class DovecotBase(ToolCase):
    """The fixture's Dovecot ($DOVECOT_DIR, started with --tls): ports,
    CA, seeding; users tool1..tool8 (password "secret")."""

    @classmethod
    def setUpClass(cls):
        cls.dir = os.environ.get("DOVECOT_DIR")
        env = os.path.join(cls.dir or "", "env")
        if not cls.dir or not os.path.exists(env):
            raise unittest.SkipTest("no Dovecot fixture ($DOVECOT_DIR)")
        sys.path.insert(0, os.path.join(SRC, "tests", "dovecot"))
        import harness
        cls.harness = harness
        with open(env) as f:
            vals = dict(ln.strip().split("=", 1) for ln in f if "=" in ln)
        cls.port = int(vals["POP3_PORT"])
        cls.pop3s_port = int(vals["POP3S_PORT"])
        cls.ca = vals["POP3_CA"]

    def seed(self, user):
        files = []
        for uid in sorted(MSGS):
            p = self.path(uid + ".eml")
            with open(p, "wb") as f:
                f.write(MSGS[uid])
            files.append(p)
        self.harness.seed(self.dir, user, files)

    def url(self, user):
        return "pop3://%s@127.0.0.1:%d" % (user, self.port)

    def url_s(self, user):
        return "pop3s://%s@127.0.0.1:%d" % (user, self.pop3s_port)


class Dovecot(DovecotBase):
    """The same jobs against a real server: the fixture's Dovecot."""

    def test_fetch_each_format(self):
        pw = {"POP3_PASSWORD": "secret"}
        for user, opt, dest in (("tool1", "--maildir", "Mail"),
                                ("tool2", "--mbox", "mbox"),
                                ("tool3", "--eml-dir", "eml")):
            self.seed(user)
            self.run_tool("fetch", self.url(user), opt, self.path(dest),
                          env=pw, expect=0)
            self.assertEqual(self.harness.count(self.dir, user), 0)
        self.assert_each_once(self.path("Mail"), MSGS)
        self.assertEqual(mbox_messages(self.path("mbox")),
                         [lf(MSGS[u]) for u in sorted(MSGS)])
        got = []
        for n in os.listdir(self.path("eml")):
            with open(self.path("eml", n), "rb") as f:
                got.append(f.read())
        self.assertEqual(sorted(got), sorted(MSGS.values()))

    def test_keep_twice_and_list(self):
        pw = {"POP3_PASSWORD": "secret"}
        self.seed("tool4")
        md = self.path("Mail")
        _, out, _ = self.run_tool("fetch", self.url("tool4"), "--maildir",
                                  md, "--keep", env=pw, expect=0)
        self.assertIn(b"fetched 3 messages", out)
        _, out, _ = self.run_tool("fetch", self.url("tool4"), "--maildir",
                                  md, "--keep", env=pw, expect=0)
        self.assertIn(b"fetched 0 messages", out)
        self.assert_each_once(md, MSGS)
        self.assertEqual(self.harness.count(self.dir, "tool4"), 3)
        _, out, _ = self.run_tool("list", "--json", "--headers",
                                  self.url("tool4"), env=pw, expect=0)
        doc = json.loads(out)
        self.assertEqual(doc["count"], 3)
        self.assertEqual([m["subject"] for m in doc["messages"]][:2],
                         ["first", "dots and froms"])

    def test_wrong_password(self):
        self.seed("tool5")
        rc, _, err = self.run_tool("-v", "list", self.url("tool5"),
                                   env={"POP3_PASSWORD": "not-it-x"})
        self.assertEqual(rc, EXIT_AUTH, err)
        self.assertIn("authentication failed", err)
        self.assertNotIn("not-it-x", err)
        self.assertEqual(self.harness.count(self.dir, "tool5"), 3)


class DovecotTLS(DovecotBase):
    """TLS and SASL against the fixture's Dovecot (started with --tls):
    STLS on the POP3 port, POP3S on its own, a test CA in POP3_CA."""

    PW = {"POP3_PASSWORD": "secret"}

    def test_capa_over_stls(self):
        # pop3:// means STLS: the list is the one sent under TLS.
        url = "pop3://127.0.0.1:%d" % self.port
        _, out, err = self.run_tool("capa", url, "--ca-file", self.ca,
                                    cleartext=False, expect=0)
        lines = out.decode().splitlines()
        self.assertIn("PIPELINING", lines)
        self.assertNotIn("STLS", lines)
        sasl = [ln for ln in lines if ln.startswith("SASL ")]
        self.assertEqual(len(sasl), 1)
        for mech in ("PLAIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
            self.assertIn(mech, sasl[0].split())
        _, out, _ = self.run_tool("capa", "--json", url, "--ca-file",
                                  self.ca, cleartext=False, expect=0)
        doc = json.loads(out)
        self.assertIs(doc["tls"], True)
        self.assertIn("SCRAM-SHA-256", doc["capabilities"]["SASL"])
        self.assertEqual(doc["capabilities"]["TOP"], [])
        self.assertNotIn("STLS", doc["capabilities"])
        # in cleartext the server offers STLS
        _, out, _ = self.run_tool("capa", "--json", url, expect=0)
        doc = json.loads(out)
        self.assertIs(doc["tls"], False)
        self.assertIn("STLS", doc["capabilities"])
        # POP3S
        _, out, _ = self.run_tool(
            "capa", "--json", "pop3s://127.0.0.1:%d" % self.pop3s_port,
            "--ca-file", self.ca, cleartext=False, expect=0)
        self.assertIs(json.loads(out)["tls"], True)

    def test_fetch_over_stls_and_pop3s(self):
        for user, url in (("tool6", self.url("tool6")),
                          ("tool7", self.url_s("tool7"))):
            self.seed(user)
            md = self.path("Mail-" + user)
            _, out, err = self.run_tool(
                "-v", "fetch", url, "--ca-file", self.ca, "--maildir", md,
                env=self.PW, cleartext=False, expect=0)
            self.assertIn("over TLS", err)
            self.assertIn("with SCRAM-SHA-256", err)
            self.assertIn(b"fetched 3 messages", out)
            self.assert_each_once(md, MSGS)
            self.assertEqual(self.harness.count(self.dir, user), 0)

    def test_auth_scram_sha_256(self):
        self.seed("tool8")
        _, out, err = self.run_tool(
            "-v", "list", "--json", self.url("tool8"), "--ca-file", self.ca,
            "--auth", "SCRAM-SHA-256", env=self.PW, cleartext=False,
            expect=0)
        self.assertIn("C: AUTH SCRAM-SHA-256", err)
        self.assertIn("* logged in as tool8 with SCRAM-SHA-256", err)
        self.assertNotIn("secret", err)
        self.assertEqual(json.loads(out)["count"], 3)
        for mech in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "APOP"):
            _, _, err = self.run_tool(
                "-v", "list", self.url_s("tool8"), "--ca-file", self.ca,
                "--auth", mech, env=self.PW, cleartext=False, expect=0)
            self.assertIn("with " + mech, err)
        rc, _, err = self.run_tool(
            "list", self.url("tool8"), "--ca-file", self.ca, "--auth",
            "SCRAM-SHA-256", env={"POP3_PASSWORD": "not-it-x"},
            cleartext=False)
        self.assertEqual(rc, EXIT_AUTH, err)
        self.assertEqual(self.harness.count(self.dir, "tool8"), 3)

    def test_wrong_ca(self):
        self.seed("tool8")
        sys.path.insert(0, os.path.join(SRC, "tests", "server"))
        import certs
        certs.make(self.path("certs"))
        other = self.path("certs", "other-ca.pem")
        for url in (self.url("tool8"), self.url_s("tool8")):
            for ca in (["--ca-file", other], []):  # [] : the system's CAs
                rc, out, err = self.run_tool("fetch", url, *ca, "--maildir",
                                             self.path("Mail"), env=self.PW,
                                             cleartext=False)
                self.assertEqual(rc, EXIT_TLS, (url, ca, err))
                self.assertIn("certificate not trusted", err)
                self.assertIn("certificate verify failed", err)
                self.assertIn("--ca-file", err)
                self.assertEqual(out, b"")
        self.assertEqual(self.harness.count(self.dir, "tool8"), 3)
        self.assertFalse(os.path.exists(self.path("Mail", "new")) and
                         os.listdir(self.path("Mail", "new")))
        # --insecure skips the check, by name only
        self.run_tool("list", self.url_s("tool8"), "--insecure",
                      env=self.PW, cleartext=False, expect=0)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "scripted"
    if not os.access(TOOL, os.X_OK):
        print("test_tool: no tool at %s (set POP3_TOOL)" % TOOL)
        return 1
    classes = {"scripted": [Scripted],
               "dovecot": [Dovecot, DovecotTLS]}[which]
    suite = unittest.TestSuite(
        unittest.defaultTestLoader.loadTestsFromTestCase(cls)
        for cls in classes)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
