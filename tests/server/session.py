"""One RFC 1939 session in maildrop mode, with the --fault hooks."""

import hashlib
import os
import threading

import maildrop
import sasl_server
from wire import Closed

SASL_MECHS = sasl_server.MECHS

_counter = 0
_counter_guard = threading.Lock()


def _timestamp():
    global _counter
    with _counter_guard:
        _counter += 1
        return "<%d.%d@localhost>" % (os.getpid(), _counter)


def _number(text):
    # ASCII digits only: str.isdigit() would also take "\xb2" and the like.
    return text != "" and all("0" <= c <= "9" for c in text)


class Session:
    def __init__(self, wire, cfg):
        self.w = wire
        self.cfg = cfg                 # root, users, apop, capa, faults
        self.f = cfg.faults
        self.state = "AUTH"
        self.user = None               # name given by USER
        self.locked = None             # maildrop path while we hold it
        self.msgs = []
        self.stamp = None
        self.reset = False             # end with RST instead of FIN
        self.utf8 = False              # UTF8 accepted (RFC 6856)

    # -- replies --------------------------------------------------------
    def status(self, text, data=False):
        # terse-ok drops free text only, never the data of STAT, LIST n...
        if "terse-ok" in self.f and text.startswith("+OK") and not data:
            text = "+OK"
        eol = b"\n" if "bare-lf" in self.f else b"\r\n"
        self.w.send(text.encode("latin-1") + eol)

    def ok(self, text=""):
        self.status("+OK " + text if text else "+OK")

    def err(self, text):
        self.status("-ERR " + text)

    def multi(self, first, lines):
        self.ok(first)
        self.w.send(b"".join(x.encode() + b"\r\n" for x in lines) + b".\r\n")

    # -- main loop ------------------------------------------------------
    def run(self):
        try:
            if self.greet():
                while self.step():
                    pass
        except Closed:
            pass
        finally:
            if self.locked:
                maildrop.unlock(self.locked)
            self.w.close(reset=self.reset)

    def greet(self):
        f = self.f
        if "silent" in f:
            self.w.hang()
            return False
        if "greeting-err" in f:
            self.status("-ERR go away")
            return False
        if "apop-unterminated" in f:
            self.status("+OK POP3 test server ready <1234.5678@host")
            return True
        if "apop-long-stamp" in f:
            self.stamp = "<" + "1" * 1988 + "@localhost>"
        elif self.cfg.apop:
            self.stamp = _timestamp()
        text = "+OK POP3 test server ready"
        if self.stamp:
            text += " " + self.stamp
        if "no-greeting-ok" in f:
            text = "HELLO there"
        self.status(text)
        return "close-after-greeting" not in f

    def step(self):
        line = self.w.readline()
        if line is None:
            return True
        try:
            text = line.decode("utf-8" if self.utf8 else "latin-1")
        except UnicodeDecodeError:
            self.err("invalid UTF-8")
            return True
        cmd, _, arg = text.partition(" ")
        cmd = cmd.upper()
        if cmd == "QUIT":
            return self.quit()
        if cmd == "CAPA":
            return self.capa()
        table = self.AUTH if self.state == "AUTH" else self.TRANS
        handler = table.get(cmd)
        if handler is None:
            known = cmd in self.AUTH or cmd in self.TRANS
            self.err("command not valid in this state" if known
                     else "unknown command")
            return True
        return handler(self, arg) is not False

    # -- AUTHORIZATION --------------------------------------------------
    def user_cmd(self, arg):
        if not arg:
            return self.err("USER needs a name")
        self.user = arg
        self.ok("send PASS")

    def pass_cmd(self, arg):
        if self.user is None:
            return self.err("USER first")
        name, self.user = self.user, None
        self.login(name, self.cfg.users.get(name) == arg, "PASS")

    def apop_cmd(self, arg):
        name, _, digest = arg.rpartition(" ")
        secret = self.cfg.users.get(name)
        good = False
        if self.stamp and secret is not None:
            want = hashlib.md5((self.stamp + secret).encode(
                "utf-8" if self.utf8 else "latin-1", errors="replace"))
            good = digest.lower() == want.hexdigest()
        self.login(name, good, "APOP")

    def login(self, name, good, how):
        f = self.f
        if "in-use" in f:
            return self.err("[IN-USE] locked")
        if "login-delay" in f and how == "PASS":
            return self.err("[LOGIN-DELAY] wait")
        if "sys-temp" in f:
            return self.err("[SYS/TEMP] authentication backend down")
        if "sys-perm" in f:
            return self.err("[SYS/PERM] account disabled")
        if not good:
            return self.err("invalid credentials" if "auth-no-code" in f
                            else "[AUTH] invalid credentials")
        path = os.path.join(self.cfg.root, name)
        if not maildrop.try_lock(path):
            return self.err("[IN-USE] maildrop is locked")
        self.locked = path
        self.msgs = maildrop.load(path, huge_first="huge-body-line" in f)
        self.state = "TRANS"
        self.ok("maildrop has %d messages (%d octets)" % self.totals())

    def capa(self):
        if "capa-err" in self.f:
            self.err("unknown command")
            return True
        caps = ["TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING"]
        if self.cfg.capa:
            caps.append("IMPLEMENTATION pop3d-test")
        if self.cfg.tls_ctx and not self.w.tls and self.state == "AUTH":
            caps.append("STLS")
        if self.cfg.sasl:
            caps.append("SASL " + " ".join(self.cfg.sasl))
        if self.cfg.utf8:
            caps.append("UTF8 USER")
        caps.extend(self.cfg.capa_line)
        self.multi("Capability list follows", caps)
        return True

    def stls_cmd(self, arg):
        f = self.f
        if not self.cfg.tls_ctx or self.w.tls or "stls-err" in f:
            return self.err("STLS not available")
        if "stls-inject" in f:
            # The injection attack: a forged reply in the same segment as
            # the +OK, before any TLS (curl CVE-2021-22947).
            self.w.send(b"+OK Begin TLS negotiation\r\n+OK injected\r\n")
        else:
            self.ok("Begin TLS negotiation")
        if "stls-stall" in f:
            self.w.hang()
            return False
        self.w.start_tls(self.cfg.tls_ctx)

    def auth_cmd(self, arg):
        if not self.cfg.sasl:
            return self.err("unknown command")
        sasl_server.auth_command(self, arg)

    def utf8_cmd(self, arg):
        if not self.cfg.utf8:
            return self.err("unknown command")
        self.utf8 = True
        self.ok("UTF8 enabled")

    # -- TRANSACTION ----------------------------------------------------
    def totals(self):
        live = [m for m in self.msgs if not m.deleted]
        return len(live), sum(m.size for m in live)

    def pick(self, arg):
        """The message named by arg, or None after sending -ERR."""
        if not _number(arg):
            self.err("invalid message number")
            return None
        n = int(arg)
        if not 1 <= n <= len(self.msgs):
            self.err("no such message")
            return None
        if self.msgs[n - 1].deleted:
            self.err("message %d already deleted" % n)
            return None
        return self.msgs[n - 1]

    def stat(self, arg):
        canned = {
            "long-status": "+OK " + "x" * 102400,
            "nul-status": "+OK 2\0 300",
            "stat-overflow": "+OK 99999999999999999999999 1",
            "stat-huge-count": "+OK 4294967295 1",
            "stat-negative": "+OK -1 100",
            "stat-garbage": "+OK many lots",
        }
        for fault, text in canned.items():
            if fault in self.f:
                eol = b"\n" if "bare-lf" in self.f else b"\r\n"
                return self.w.send(text.encode("latin-1") + eol)
        self.status("+OK %d %d" % self.totals(), data=True)

    def listing(self, arg, value, garbage):
        """LIST and UIDL: one line for n, all live messages without."""
        if arg:
            m = self.pick(arg)
            if m:
                n = self.msgs.index(m) + 1
                self.status("+OK %d %s" % (n, value(m, False)), data=True)
            return
        lines = ["%d %s" % (i, value(m, True))
                 for i, m in enumerate(self.msgs, 1) if not m.deleted]
        if garbage:
            lines.insert(min(1, len(lines)), garbage)
        n, size = self.totals()
        self.multi("%d messages (%d octets)" % (n, size), lines)

    def list_cmd(self, arg):
        def size(m, all_):
            if all_ and "list-overflow" in self.f and m is self.msgs[0]:
                return "99999999999999999999"
            return str(m.size)
        garbage = "x y" if "list-garbage" in self.f else None
        self.listing(arg, size, garbage)

    def uidl_cmd(self, arg):
        def uid(m, all_):
            first = m is self.msgs[0]
            if "uidl-slash" in self.f:
                return "../evil/%d" % (self.msgs.index(m) + 1)
            if "uidl-long" in self.f and first:
                return "u" * 1000
            if "uidl-empty" in self.f and first and all_:
                return ""
            return m.uid
        garbage = "x" if "uidl-garbage" in self.f else None
        self.listing(arg, uid, garbage)

    def retr_cmd(self, arg):
        m = self.pick(arg.strip())
        if m:
            self.retrs = getattr(self, "retrs", 0) + 1
            return self.send_body(m, None)

    def top_cmd(self, arg):
        n, _, k = arg.partition(" ")
        if not _number(k):
            return self.err("TOP needs a message and a line count")
        m = self.pick(n)
        if m:
            self.send_body(m, int(k))

    def send_body(self, m, top):
        self.ok("%d octets" % m.size)
        late = ("close-mid-second-body" in self.f
                and getattr(self, "retrs", 0) > 1)
        if top is None and (late or
                            self.f & {"close-mid-body", "reset-mid-body"}):
            sent = 0
            for chunk in m.body():
                if sent + len(chunk) > m.size // 2:
                    chunk = chunk[:max(0, m.size // 2 - sent)]
                self.w.send(chunk)
                sent += len(chunk)
                if sent >= m.size // 2:
                    break
            self.reset = "reset-mid-body" in self.f
            return False
        for chunk in m.body(top):
            self.w.send(chunk)
        if top is None and "never-end-body" in self.f:
            self.w.hang()
            return False
        self.w.send(b".\r\n")

    def dele_cmd(self, arg):
        if "dele-err" in self.f:
            return self.err("cannot delete")
        m = self.pick(arg)
        if m:
            m.deleted = True
            self.ok("message %s deleted" % arg)

    def noop_cmd(self, arg):
        self.ok()

    def rset_cmd(self, arg):
        for m in self.msgs:
            m.deleted = False
        self.ok("maildrop has %d messages (%d octets)" % self.totals())

    def quit(self):
        if self.state == "AUTH":
            self.ok("POP3 test server signing off")
            return False
        if "close-on-quit" in self.f:
            return False
        failed = 0
        for m in self.msgs:
            if m.deleted:
                try:
                    os.remove(m.path)
                except OSError:
                    failed += 1
        # Release the maildrop before the reply: a client that logs in
        # again right after +OK must not find it locked.
        maildrop.unlock(self.locked)
        self.locked = None
        if failed:
            self.err("[SYS/TEMP] %d deleted messages not removed" % failed)
        else:
            left = sum(1 for m in self.msgs if not m.deleted)
            self.ok("POP3 test server signing off (%d messages left)" % left)
        return False

    AUTH = {"USER": user_cmd, "PASS": pass_cmd, "APOP": apop_cmd,
            "STLS": stls_cmd, "AUTH": auth_cmd, "UTF8": utf8_cmd}
    TRANS = {"STAT": stat, "LIST": list_cmd, "UIDL": uidl_cmd,
             "RETR": retr_cmd, "TOP": top_cmd, "DELE": dele_cmd,
             "NOOP": noop_cmd, "RSET": rset_cmd}
