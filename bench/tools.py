"""The clients the benchmark compares: how to run each one against a
maildrop, and how many message octets it really received.

Every tool fetches every message of the maildrop and keeps nothing on
disk it would not keep in memory.  `octets()` gives what the tool itself
reports or delivered, so the harness can check it against STAT."""

import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNERS = os.path.join(HERE, "runners")


class Endpoint:
    """Where a tool connects and what it must get: the maildrop's message
    count and its size in octets (STAT, CRLF form, unstuffed)."""

    def __init__(self, host, port, user, password, count, octets):
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.count, self.octets = count, octets


class Tool:
    key = ""            # short name, used in files and the JSON
    label = ""          # row label in the report
    libpop3 = False     # one of ours (the ratios are to the C runner)
    limit = False       # the "limit" row: raw socket, no client work

    def __init__(self, ctx):
        self.ctx = ctx  # dict: build, work, python_site, ...

    def missing(self):
        """None when the tool can run, else why not."""
        return None

    def prepare(self, ep, tag):
        """Write what the tool needs for this endpoint (untimed)."""

    def command(self, ep, tag):
        """(argv, env) of one run."""
        raise NotImplementedError

    def octets(self, run, ep, tag):
        """Message octets received in `run`."""
        return int(run.stdout.split()[0])

    def check(self, got, ep):
        """None when `got` octets is all of the maildrop, else a message."""
        if got != ep.octets:
            return "received %d octets, the maildrop holds %d" % (
                got, ep.octets)
        return None

    def after(self, ep, tag):
        """Remove what one run left behind (untimed)."""

    def version(self):
        return ""


def _env(**extra):
    env = dict(os.environ)
    env.update(extra)
    return env


def _first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        text = (out.stdout or out.stderr).strip()
        return text.splitlines()[0] if text else ""
    except (OSError, subprocess.SubprocessError):
        return ""


class LibC(Tool):
    key, label, libpop3 = "c", "libpop3 C", True

    def _exe(self):
        return os.path.join(self.ctx["build"], "bench", "bench_pop3")

    def missing(self):
        return None if os.access(self._exe(), os.X_OK) else \
            "%s not built" % self._exe()

    def command(self, ep, tag):
        return [self._exe(), ep.host, str(ep.port), ep.user,
                ep.password], None


class LibCPipelined(LibC):
    """The same runner, all messages as one pipelined batch
    (pop3_retr_many_begin)."""
    key, label = "c_pipe", "libpop3 C, pipelined"

    def command(self, ep, tag):
        argv, env = super().command(ep, tag)
        return argv[:1] + ["--pipelined"] + argv[1:], env


class LibCKnown(LibC):
    """The pipelined runner told the server pipelines (as a client that
    remembers it from an earlier session): no CAPA before the login."""
    key, label = "c_known", "libpop3 C, pipelining known"

    def command(self, ep, tag):
        argv, env = super().command(ep, tag)
        return argv[:1] + ["--known"] + argv[1:], env


class LibPython(Tool):
    key, label, libpop3 = "python", "libpop3 Python", True

    def command(self, ep, tag):
        return [self.ctx["python"], os.path.join(RUNNERS, "pop3_fetch.py"),
                ep.host, str(ep.port), ep.user, ep.password], \
            _env(PYTHONPATH=self.ctx["python_site"])


class LibLua(Tool):
    libpop3 = True

    def __init__(self, ctx, exe, abi):
        super().__init__(ctx)
        self.exe, self.abi = exe, abi
        self.key = exe.replace(".", "")
        self.label = "libpop3 " + ("LuaJIT" if exe == "luajit" else "Lua " +
                                   exe[3:])

    def _cpath(self):
        return os.path.join(self.ctx["build"], "lua", self.abi)

    def missing(self):
        if not shutil.which(self.exe):
            return "%s not installed" % self.exe
        core = os.path.join(self._cpath(), "pop3", "core.so")
        return None if os.path.exists(core) else "%s not built" % core

    def command(self, ep, tag):
        src = os.path.dirname(HERE)
        return [self.exe, os.path.join(RUNNERS, "pop3_fetch.lua"), ep.host,
                str(ep.port), ep.user, ep.password], \
            _env(LUA_PATH=os.path.join(src, "lua", "?.lua") + ";;",
                 LUA_CPATH=os.path.join(self._cpath(), "?.so") + ";;")

    def version(self):
        return " ".join(_first_line([self.exe, "-v"]).split()[:2])


class Poplib(Tool):
    key, label = "poplib", "Python poplib"

    def command(self, ep, tag):
        return [self.ctx["python"], os.path.join(RUNNERS, "poplib_fetch.py"),
                ep.host, str(ep.port), ep.user, ep.password], None

    def version(self):
        return _first_line([self.ctx["python"], "--version"])


class Curl(Tool):
    """curl with one pop3:// URL a message in one config file: it reuses
    one connection for all of them, and writes every body to stdout,
    which the harness counts (curl 7.88 reports no size for POP3)."""
    key, label = "curl", "curl"

    def missing(self):
        return None if shutil.which("curl") else "curl not installed"

    def _cfg(self, tag):
        return os.path.join(self.ctx["work"], "curl-%s.cfg" % tag)

    def prepare(self, ep, tag):
        with open(self._cfg(tag), "w") as f:
            f.write('user = "%s:%s"\nsilent\nshow-error\n'
                    % (ep.user, ep.password))
            for n in range(1, ep.count + 1):
                f.write('url = "pop3://%s:%d/%d"\n' % (ep.host, ep.port, n))

    def command(self, ep, tag):
        return ["curl", "-K", self._cfg(tag)], None

    def octets(self, run, ep, tag):
        return run.stdout_octets

    def version(self):
        return _first_line(["curl", "--version"]).split(" (")[0]


class Fetchmail(Tool):
    """fetchmail keeping every message on the server (keep, fetchall) and
    delivering them to a BSMTP file: no MTA, no process per message.  Its
    octets are the delivered messages, unstuffed, less the Received header
    it adds, plus the Return-Path header it moves into MAIL FROM."""
    key, label = "fetchmail", "fetchmail"

    def missing(self):
        return None if shutil.which("fetchmail") else \
            "fetchmail not installed"

    def _path(self, tag, what):
        return os.path.join(self.ctx["work"], "fetchmail-%s.%s" % (tag, what))

    def prepare(self, ep, tag):
        rc = self._path(tag, "rc")
        fd = os.open(rc, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write('poll %s protocol pop3 port %d user "%s" password "%s" '
                    'is root here keep fetchall no rewrite sslproto ""\n'
                    % (ep.host, ep.port, ep.user, ep.password))
        os.chmod(rc, 0o600)

    def command(self, ep, tag):
        return ["fetchmail", "-f", self._path(tag, "rc"), "--silent",
                "--bsmtp", self._path(tag, "bsmtp"),
                "--pidfile", self._path(tag, "pid"),
                "--idfile", self._path(tag, "ids")], \
            _env(HOME=self.ctx["work"])

    def octets(self, run, ep, tag):
        got = _bsmtp_octets(self._path(tag, "bsmtp"))
        if got is None:
            return -1
        count, octets = got
        return octets if count == ep.count else -1

    def after(self, ep, tag):
        for what in ("bsmtp", "ids"):
            try:
                os.unlink(self._path(tag, what))
            except FileNotFoundError:
                pass

    def version(self):
        words = _first_line(["fetchmail", "--version"]).split()
        return "fetchmail " + words[4].split("+")[0] if len(words) > 4 else ""


def _bsmtp_octets(path):
    """(messages, octets) delivered to a BSMTP file, as the server sent
    them (see Fetchmail); None when there is no file."""
    if not os.path.exists(path):
        return None
    count = octets = 0
    state = "envelope"
    sender = b""
    with open(path, "rb") as f:
        for line in f:
            if state == "envelope":
                if line.startswith(b"MAIL FROM:"):
                    sender = line[len(b"MAIL FROM:"):].strip()
                elif line == b"DATA\r\n":
                    state = "received"
                    count += 1
                    if sender not in (b"", b"<>"):
                        octets += len(b"Return-Path: %s\r\n" % sender)
            elif state == "received":  # fetchmail's own header, skipped
                if not line.startswith((b"Received:", b" ", b"\t")):
                    state = "data"
            if state == "data":
                if line == b".\r\n":
                    state = "envelope"
                    sender = b""
                    continue
                octets += len(line) - (1 if line.startswith(b".") else 0)
    return count, octets


class Limit(Tool):
    """A raw socket: USER, PASS, every RETR and QUIT pipelined, bytes
    counted to EOF.  Status lines and dot-stuffing count too, so it must
    get at least the maildrop's octets, and end with QUIT's +OK."""
    key, label, limit = "limit", "limit (raw socket)", True

    def _exe(self):
        return os.path.join(self.ctx["build"], "bench", "limit_reader")

    def missing(self):
        return None if os.access(self._exe(), os.X_OK) else \
            "%s not built" % self._exe()

    def command(self, ep, tag):
        return [self._exe(), ep.host, str(ep.port), ep.user, ep.password,
                str(ep.count)], None

    def check(self, got, ep):
        if got < ep.octets:
            return "received %d octets, fewer than the maildrop's %d" % (
                got, ep.octets)
        return None


class Getmail(Tool):
    """Not run: getmail6 delivers each message through a forked child and
    waits for it on a SIGCHLD condition that races (6.18 on Debian 12
    stalled 60 s on a delivery, again and again); it also refuses to
    deliver as root."""
    key, label = "getmail", "getmail"

    def missing(self):
        return "getmail6 forks a child per delivered message and its " \
            "wait for it races (stalls of 60 s each on Debian 12's 6.18), " \
            "so it is not installed"


def all_tools(ctx):
    """Every tool, the libpop3 C runner first."""
    return [LibC(ctx), LibCPipelined(ctx), LibCKnown(ctx), LibPython(ctx),
            LibLua(ctx, "lua5.4", "5.4"),
            LibLua(ctx, "luajit", "5.1"), Poplib(ctx), Curl(ctx),
            Fetchmail(ctx), Getmail(ctx), Limit(ctx)]
