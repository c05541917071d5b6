"""Fixtures: the scripted test server (tests/server/pop3d.py) and a
Dovecot on loopback (tests/dovecot/harness.py), each started by the test
that needs it and always stopped again."""

import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import pop3


def _source_dir():
    """The libpop3 source tree: $POP3_SOURCE_DIR (set by CTest), else the
    tree this file sits in."""
    env = os.environ.get("POP3_SOURCE_DIR")
    root = Path(env) if env else Path(__file__).resolve().parents[2]
    return root if (root / "tests" / "server" / "pop3d.py").is_file() else None


SOURCE_DIR = _source_dir()
START_TIMEOUT = 10.0


def pytest_report_header(config):
    return f"pop3 {pop3.__version__} from {Path(pop3.__file__).parent}"


class Server:
    """One running pop3d.py; `port`, `log_text()`, `maildrop`."""

    def __init__(self, tmp, args):
        self.tmp = tmp
        self.maildrop = tmp / "maildrop"
        self.log = tmp / "server.log"
        port_file = tmp / "port"
        cmd = [sys.executable, str(SOURCE_DIR / "tests/server/pop3d.py"),
               "--port-file", str(port_file), "--log", str(self.log),
               "--max-lifetime", "120"] + args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not port_file.exists() or not port_file.read_text().strip():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pop3d.py did not start: {cmd}")
            time.sleep(0.02)
        self.port = int(port_file.read_text())

    def log_text(self):
        return self.log.read_text() if self.log.exists() else ""

    def sent_lines(self):
        """What clients sent, without the #CONNECT/#CLOSE markers."""
        return [line for line in self.log_text().splitlines()
                if not line.startswith("#")]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def tmpdir_path():
    path = Path(tempfile.mkdtemp(prefix="pop3py-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server_factory(tmpdir_path):
    """start(*args, messages={user: {name: bytes}}) -> Server.  Every server
    started is stopped at the end of the test."""
    if SOURCE_DIR is None:
        pytest.skip("needs the libpop3 source tree (tests/server)")
    servers = []

    def start(*args, messages=None):
        tmp = tmpdir_path / f"srv{len(servers)}"
        tmp.mkdir()
        md = tmp / "maildrop"
        for user, msgs in (messages or {}).items():
            (md / user).mkdir(parents=True)
            for name, data in msgs.items():
                (md / user / name).write_bytes(data)
        if not any(a in ("--scenario",) for a in args):
            args = ("--maildrop", str(md)) + tuple(args)
        srv = Server(tmp, list(args))
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


MSG1 = (b"From: a@example.org\r\nTo: alice@example.org\r\n"
        b"Subject: first\r\n\r\nHello.\r\n")
MSG2 = (b"From: b@example.org\r\nSubject: dots\r\n\r\n"
        b".leading dot\r\n.\r\n..\r\nend\r\n")
MSG3 = b""


@pytest.fixture
def server(server_factory):
    """A maildrop server: alice:secret with three messages (UIDs u1, u2,
    u3; the second full of dots, the third empty), APOP on."""
    return server_factory("--user", "alice:secret", "--user", "bob:pw",
                          "--apop", messages={"alice": {
                              "u1.eml": MSG1, "u2.eml": MSG2,
                              "u3.eml": MSG3}})


def client_for(srv, **kw):
    kw.setdefault("tls", "none")
    kw.setdefault("timeout", 10)
    return pop3.Client("127.0.0.1", srv.port, **kw)


def run(coro, limit=30):
    """Run a coroutine of a pop3.aio test to its end, within `limit`
    seconds."""
    return asyncio.run(asyncio.wait_for(coro, limit))


def aio_for(srv, **kw):
    """A pop3.aio.Client for the scripted server, cleartext, 10 s."""
    import pop3.aio  # here: only the asyncio tests need it
    kw.setdefault("tls", "none")
    kw.setdefault("timeout", 10)
    return pop3.aio.Client("127.0.0.1", srv.port, **kw)


def sessions(srv):
    """The lines the scripted server got, one list per connection.  #CLOSE
    is left out: the server writes it from the old connection's thread,
    which may come after the next #CONNECT."""
    out = []
    for line in srv.log_text().splitlines():
        if line == "#CONNECT":
            out.append([])
        elif out and line != "#CLOSE":
            out[-1].append(line)
    return out


# -- Dovecot -------------------------------------------------------------

class Dovecot:
    """A running Dovecot: `host`, `port`, `pop3s_port`, `ca_file`, and
    seed()/count() over the shared harness.  Users py1..py8 and
    pystress00..pystress31 (password
    "secret") belong to this suite."""

    def __init__(self, harness, directory, env):
        self.harness = harness
        self.dir = directory
        self.host = env.get("POP3_HOST", "127.0.0.1")
        self.port = int(env["POP3_PORT"])
        self.pop3s_port = int(env["POP3S_PORT"]) if env.get(
            "POP3S_PORT") else None
        self.ca_file = env.get("POP3_CA") or None

    def seed(self, user, files=(), generate=None):
        return self.harness.seed(self.dir, user, files, generate)

    def count(self, user):
        return self.harness.count(self.dir, user)


def _read_env(path):
    env = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            env[key] = (shlex.split(value) or [""])[0]
    return env


@pytest.fixture(scope="session")
def dovecot():
    """The Dovecot of the CTest run ($DOVECOT_DIR, started by the
    dovecot_start fixture test), or else one of our own, stopped at the
    end.  Skipped where Dovecot cannot run (not root, not installed)."""
    if SOURCE_DIR is None or not (SOURCE_DIR / "tests/dovecot/harness.py"
                                  ).is_file():
        pytest.skip("needs tests/dovecot/harness.py")
    sys.path.insert(0, str(SOURCE_DIR / "tests/dovecot"))
    import harness  # the project's Dovecot harness
    shared = os.environ.get("DOVECOT_DIR")
    if shared and (Path(shared) / "env").is_file():
        yield Dovecot(harness, shared, _read_env(Path(shared) / "env"))
        return
    if os.geteuid() != 0 or not shutil.which("dovecot", path=os.environ.get(
            "PATH", "") + ":/usr/sbin"):
        pytest.skip("Dovecot tests need root and Dovecot installed")
    # World-traversable, so Dovecot's mail processes can reach the mail.
    d = tempfile.mkdtemp(prefix="pop3py-dovecot-", dir="/tmp")
    os.chmod(d, 0o755)
    try:
        harness.start(d, users=[(f"py{i}", "secret") for i in range(1, 9)]
                      + [(f"pystress{i:02d}", "secret") for i in range(32)],
                      tls=True)
        yield Dovecot(harness, d, _read_env(Path(d) / "env"))
    finally:
        try:
            harness.stop(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)


# -- TLS material for the scripted server ---------------------------------

@pytest.fixture(scope="session")
def certs():
    """Throw-away certificates (tests/server/certs.py): a Path holding
    ca.pem, server.pem/.key (localhost, 127.0.0.1, ::1), other-ca.pem (a
    CA that signed nothing here) and client.pem/.key (from ca.pem)."""
    if SOURCE_DIR is None:
        pytest.skip("needs the libpop3 source tree (tests/server)")
    sys.path.insert(0, str(SOURCE_DIR / "tests/server"))
    import certs as certs_mod  # the project's certificate maker
    d = Path(tempfile.mkdtemp(prefix="pop3py-certs-"))
    try:
        certs_mod.make(str(d))
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def tls_server_args(certs, *extra):
    """pop3d.py arguments for a server with STLS (or, with
    "--implicit-tls" among `extra`, POP3S) over the certs fixture."""
    return ("--tls-cert", str(certs / "server.pem"),
            "--tls-key", str(certs / "server.key")) + tuple(extra)
