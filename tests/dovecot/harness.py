#!/usr/bin/env python3
"""A real Dovecot POP3 server on loopback for tests: start, seed, count,
stop. Importable (start/seed/count/stop) and a CLI. See README.md."""

import argparse
import hashlib
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dovecot_conf  # noqa: E402
import dovecot_tls  # noqa: E402
import maildir_seed  # noqa: E402

MAIL_USER = "pop3test"
DEFAULT_USERS = (("test", "secret"),)
HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class HarnessError(Exception):
    pass


# -- small helpers -------------------------------------------------------

def _mail_ids():
    """uid, gid of the mail user, creating it the first time."""
    try:
        pw = pwd.getpwnam(MAIL_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", MAIL_USER],
                       check=True, stdin=subprocess.DEVNULL)
        pw = pwd.getpwnam(MAIL_USER)
    return pw.pw_uid, pw.pw_gid


def _mkdir(path):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o755)


# Where an instance lives when its own directory cannot be reached.
RELOCATED = "/tmp/pop3-dovecot-"


def _reachable(path):
    """Dovecot's unprivileged processes must traverse every parent."""
    parent = os.path.dirname(path)
    while parent and parent != "/":
        if os.path.exists(parent) and not os.stat(parent).st_mode & 0o001:
            return False
        parent = os.path.dirname(parent)
    return True


def _place(dir):
    """The real directory of an instance.  Under a parent that others
    cannot traverse (a 0700 mktemp directory, say) Dovecot's mail
    processes could not reach the Maildirs, so the instance then lives
    under /tmp and dir becomes a symbolic link to it; stop() removes
    both."""
    dir = os.path.abspath(dir)
    if os.path.islink(dir) or _reachable(dir):
        return os.path.realpath(dir)
    real = RELOCATED + hashlib.sha1(dir.encode()).hexdigest()[:12]
    _mkdir(real)
    os.makedirs(os.path.dirname(dir), exist_ok=True)
    if os.path.isdir(dir):
        shutil.rmtree(dir)
    os.symlink(real, dir)
    return real


def _free_port(hosts):
    """A port free on all hosts now (Dovecot binds it a moment later)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
            try:
                for h in hosts[1:]:
                    with socket.socket() as t:
                        t.bind((h, port))
            except OSError:
                continue
        return port
    raise HarnessError("no free port")


def _alive(pid, conf=None):
    """True while pid runs and is a dovecot (of conf, if given): not a
    zombie, not a reused PID, never another test's instance."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().split(b"\0")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    if state in ("Z", "X") or not cmd or b"dovecot" not in cmd[0]:
        return False
    return conf is None or os.fsencode(conf) in cmd


def _greets(host, port):
    """True once the port answers with a POP3 +OK greeting."""
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.settimeout(2)
            ok = s.recv(512).startswith(b"+OK")
            if ok:
                s.sendall(b"QUIT\r\n")
            return ok
    except OSError:
        return False


def _read_env(dir):
    env = {}
    try:
        with open(os.path.join(dir, "env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key:
                    env[key] = shlex.split(value)[0] if value else ""
    except FileNotFoundError:
        pass
    return env


def _write(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _home(dir, user):
    return os.path.join(os.path.realpath(dir), "home", user)


def _log_tail(dir, lines=15):
    try:
        with open(os.path.join(dir, "dovecot.log"), errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


# -- the API -------------------------------------------------------------

def start(dir, users=DEFAULT_USERS, tls=False, no_plaintext=False):
    """Start Dovecot for users [(name, password)] under dir; return the
    values also written to dir/env (lower-case keys)."""
    stop(dir)
    dir = _place(dir)
    uid, gid = _mail_ids()
    for sub in ("", "run", "state", "home"):
        _mkdir(os.path.join(dir, sub))
    users = list(users)
    _write(os.path.join(dir, "passwd"), dovecot_conf.passwd(users))  # read by the "dovecot" user
    for name, _ in users:
        if not os.path.isdir(maildir_seed.maildir(_home(dir, name))):
            maildir_seed.reset(_home(dir, name), uid, gid)
    if tls:
        dovecot_tls.make(os.path.join(dir, "tls"))
    hosts = [HOST, "127.0.0.2"] if tls else [HOST]
    last_error = ""
    for _ in range(3):          # a port taken between probe and bind: retry
        port = _free_port(hosts)
        pop3s = _free_port(hosts) if tls else None
        conf = os.path.join(dir, "dovecot.conf")
        _write(conf, dovecot_conf.render(dir, port, uid, gid, pop3s,
                                         no_plaintext))
        # Output to a file, not a pipe: the daemon inherits it and would
        # hold a pipe open for ever.
        out_path = os.path.join(dir, "dovecot.start.out")
        with open(out_path, "w+") as out:
            rc = subprocess.run(["dovecot", "-c", conf],
                                stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT).returncode
            out.seek(0)
            last_error = out.read()
        if rc == 0 and _wait_ready(dir, port):
            break
        stop(dir)
    else:
        raise HarnessError("dovecot did not start: %s\n%s"
                           % (last_error.strip(), _log_tail(dir)))
    info = {"pop3_host": HOST, "pop3_port": port,
            "dovecot_pid": _master_pid(dir), "dovecot_dir": dir,
            "dovecot_conf": conf,
            "pop3_user": users[0][0] if users else "",
            "pop3_pass": users[0][1] if users else ""}
    if tls:
        info.update(pop3s_port=pop3s, pop3_host2="127.0.0.2",
                    pop3_ca=os.path.join(dir, "tls", "ca.pem"))
    _write(os.path.join(dir, "env"), "".join(
        "%s=%s\n" % (k.upper(), shlex.quote(str(v)))
        for k, v in info.items()))
    _write(os.path.join(dir, "port"), "%d\n" % port)
    return info


def _master_pid(dir):
    try:
        with open(os.path.join(dir, "run", "master.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _wait_ready(dir, port):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _greets(HOST, port):
            return True
        pid = _master_pid(dir)
        if pid is not None and not _alive(pid):
            return False
        time.sleep(0.05)
    return False


def stop(dir):
    """Stop the instance of dir (SIGTERM, then SIGKILL after STOP_TIMEOUT).
    Quietly does nothing if it is not running."""
    link = os.path.abspath(dir)
    dir = os.path.realpath(link)
    try:
        _stop(dir)
    finally:
        if os.path.islink(link) and dir.startswith(RELOCATED):
            shutil.rmtree(dir, ignore_errors=True)
            os.unlink(link)


def _stop(dir):
    pid = _master_pid(dir)
    if pid is None:
        pid = _read_env(dir).get("DOVECOT_PID")
        pid = int(pid) if pid and pid.isdigit() else None
    conf = os.path.join(dir, "dovecot.conf")
    if pid is None or not _alive(pid, conf):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        # A killed master cannot stop its children: we do, after it.
        victims = [pid] + (children(pid) if sig == signal.SIGKILL else [])
        for p in victims:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            if not _alive(pid, conf):
                return
            time.sleep(0.05)
    raise HarnessError("dovecot %d survived SIGKILL" % pid)


def children(pid):
    """PIDs whose parent is pid."""
    out = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def seed(dir, user, files=(), generate=None):
    """Replace user's Maildir with files (in order), then generate=(count,
    size) synthetic messages. Returns the number of messages."""
    uid, gid = _mail_ids()
    home = _home(dir, user)
    _mkdir(os.path.dirname(home))
    maildir_seed.reset(home, uid, gid)
    n = 0
    for n, path in enumerate(files, 1):
        maildir_seed.add_file(home, n, path, uid, gid)
    if generate:
        count, size = generate
        for i in range(count):
            n += 1
            maildir_seed.generate(home, n, size, uid, gid)
    return n


def count(dir, user):
    return maildir_seed.count(_home(dir, user))


# -- the CLI -------------------------------------------------------------

def _user(spec):
    name, sep, password = spec.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError("want NAME:PASS, got %r" % spec)
    return name, password


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start Dovecot, print the POP3 port")
    s.add_argument("--dir", required=True)
    s.add_argument("--user", type=_user, action="append",
                   metavar="NAME:PASS", help="repeatable (default test:secret)")
    s.add_argument("--tls", action="store_true",
                   help="test CA + cert, STLS, a POP3S port, 127.0.0.2")
    s.add_argument("--no-plaintext", action="store_true",
                   help="disable_plaintext_auth = yes (bites on 127.0.0.2)")
    s = sub.add_parser("seed", help="replace a user's messages")
    s.add_argument("--dir", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--generate", metavar="COUNT:SIZE",
                   type=maildir_seed.parse_generate,
                   help="COUNT messages of about SIZE bytes (4k, 256k, 200m)")
    s.add_argument("files", nargs="*", metavar="FILE")
    for name in ("count", "stop"):
        s = sub.add_parser(name)
        s.add_argument("--dir", required=True)
        if name == "count":
            s.add_argument("--user", required=True)
    a = p.parse_args(argv)
    try:
        if a.cmd == "start":
            info = start(a.dir, a.user or DEFAULT_USERS, a.tls,
                         a.no_plaintext)
            print(info["pop3_port"])
        elif a.cmd == "seed":
            seed(a.dir, a.user, a.files, a.generate)
        elif a.cmd == "count":
            print(count(a.dir, a.user))
        else:
            stop(a.dir)
    except (HarnessError, ValueError, OSError,
            subprocess.CalledProcessError) as e:
        print("harness: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
