#!/usr/bin/env python3
"""The OpenResty example under a real nginx with the lua module.

Generates a configuration on 127.0.0.1 with a free port that includes
examples/openresty/maildrop.conf, starts nginx (one worker, private
prefix, pid file and error log), then asks GET /maildrop of a POP3 server
that is slow to log in while a second request, GET /ping, must come back
at once from the same worker: the cosocket yields, it does not block.  Then, on the same
nginx, some scenarios of tests/scenarios replayed by pop3.cosocket on the
real cosockets and by the blocking client must give identical records
(tests/nginx/parity_handler.lua, lua/spec/parity.lua), and cosocket SASL
logins (the C library's mechanisms) must work.  nginx and the servers are
always stopped, the prefix always removed.

    test_openresty.py --source DIR --cmod DIR    (exit 77: skipped)
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
LUA_MODULE = "/usr/lib/nginx/modules/ngx_http_lua_module.so"
NDK_MODULE = "/usr/lib/nginx/modules/ndk_http_module.so"

# Slow to answer PASS, so /maildrop takes over a second on the server.
SCENARIO = r"""S +OK slow test server\r\n
C USER alice
S +OK\r\n
C PASS secret
D 1.5
S +OK logged in\r\n
C LIST
S +OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n
C UIDL
S +OK\r\n1 u-one\r\n2 u"two\r\n.\r\n
C QUIT
S +OK bye\r\n
"""

CONFIG = """
load_module {ndk};
load_module {lua};
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
env POP3_HOST;
env POP3_PORT;
env POP3_TLS;
env POP3_USER;
env POP3_PASSWORD;
env POP3_SOURCE_DIR;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    lua_package_path "{source}/lua/?.lua;{source}/examples/openresty/?.lua;{source}/tests/nginx/?.lua;{source}/lua/spec/?.lua;/usr/share/lua/5.1/?.lua;;";
    lua_package_cpath "{cmod}/?.so;;";
    server {{
        listen 127.0.0.1:{port};
        include {source}/examples/openresty/maildrop.conf;
        location = /parity {{
            default_type text/plain;
            content_by_lua_block {{ require("parity_handler").parity() }}
        }}
        location = /sasl {{
            default_type text/plain;
            content_by_lua_block {{ require("parity_handler").sasl() }}
        }}
    }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # nginx: fast shutdown
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


# Replayed on the real cosockets (the rest run over a LuaSocket shim in
# lua/spec/parity_spec.lua).
PARITY = ["retr-basic", "nx-one-byte", "nx-terminator-split",
          "login-in-use", "nx-apop-fallback", "stls-inject",
          "pipelined-retr", "pipelined-login",
          "pipelined-login-one-write", "apop-stamp-two-ats",
          "apop-stamp-after-bad", "resp-code-forms", "early-capa",
          "pipelining-assume", "pipelining-off"]
MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
         "XOAUTH2", "OAUTHBEARER"]


def start_pop3d(args, tmp, name, extra):
    """A scripted server in tmp/name; returns (process, port, log)."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    port_file = os.path.join(d, "port")
    log = os.path.join(d, "log")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(args.source, "tests/server/pop3d.py"),
         "--port-file", port_file, "--log", log, "--max-lifetime", "60"]
        + extra, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise AssertionError(f"pop3d.py did not start for {name}")
        time.sleep(0.02)
    return proc, open(port_file).read().strip(), log


def check_parity(args, tmp, base, servers):
    for name in PARITY:
        scenario = os.path.join(args.source, "tests/scenarios",
                                name + ".scenario")
        c = start_pop3d(args, tmp, name + "-c", ["--scenario", scenario])
        servers.append(c[0])
        b = start_pop3d(args, tmp, name + "-b", ["--scenario", scenario])
        servers.append(b[0])
        status, body = get(f"{base}/parity?name={name}&cport={c[1]}"
                           f"&bport={b[1]}", timeout=30)
        lines = body.decode().split("\n")
        assert status == 200 and lines[0] == "same", (name, body)
        stop(c[0])
        stop(b[0])
        logs = [open(x[2]).read().splitlines() for x in (c, b)]
        sent = [[ln for ln in log if not ln.startswith("#")]
                for log in logs]
        assert sent[0] == sent[1], (name, sent)
        # Both sent what the scenario expects, not merely the same: no
        # other line (#MISMATCH) and nothing before a reply the scenario
        # says to wait for (#EARLY, at its Q).
        mismatch = [ln for log in logs for ln in log
                    if ln.startswith(("#MISMATCH", "#EARLY"))]
        assert not mismatch, (name, mismatch)
        print(f"parity on real cosockets: {name}: same")


def check_sasl(args, tmp, base, servers):
    md = os.path.join(tmp, "sasl-md", "alice")
    os.makedirs(md)
    with open(os.path.join(md, "1.eml"), "wb") as f:
        f.write(b"Subject: x\r\n\r\nhi\r\n")
    proc, port, log = start_pop3d(
        args, tmp, "sasl", ["--maildrop", os.path.dirname(md),
                            "--user", "alice:secret", "--sasl", "all"])
    servers.append(proc)
    for mech in MECHS:
        status, body = get(f"{base}/sasl?port={port}&mech={mech}")
        assert status == 200 and body == f"ok {mech} 1\n".encode(), \
            (mech, body)
    print("SASL on real cosockets: " + ", ".join(MECHS))


def run(args, tmp):
    scenario = os.path.join(tmp, "slow.scenario")
    with open(scenario, "w") as f:
        f.write(SCENARIO)
    port_file = os.path.join(tmp, "pop3.port")
    log = os.path.join(tmp, "pop3.log")
    server = nginx = None
    servers = []
    try:
        server = subprocess.Popen(
            [sys.executable, os.path.join(args.source, "tests/server/pop3d.py"),
             "--port-file", port_file, "--scenario", scenario, "--log", log,
             "--max-lifetime", "60"], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if server.poll() is not None or time.monotonic() > deadline:
                print("pop3d.py did not start")
                return 1
            time.sleep(0.02)
        pop3_port = open(port_file).read().strip()

        prefix = os.path.join(tmp, "nginx")
        for sub in ("", "tmp", "logs"):
            os.makedirs(os.path.join(prefix, sub), exist_ok=True)
        http_port = free_port()
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(
                ndk=NDK_MODULE, lua=LUA_MODULE, prefix=prefix,
                source=args.source, cmod=args.cmod, port=http_port,
                user="user root;" if os.geteuid() == 0 else ""))
        env = dict(os.environ, POP3_HOST="127.0.0.1", POP3_PORT=pop3_port,
                   POP3_SOURCE_DIR=args.source,
                   POP3_TLS="none", POP3_USER="alice", POP3_PASSWORD="secret")
        nginx = subprocess.Popen([NGINX, "-p", prefix, "-c", conf,
                                  "-e", os.path.join(prefix, "error.log")],
                                 env=env, stdin=subprocess.DEVNULL)
        if not wait_port(http_port, nginx):
            print("nginx did not start")
            return 1
        base = f"http://127.0.0.1:{http_port}"

        result = {}

        def slow():
            t0 = time.monotonic()
            result["maildrop"] = get(base + "/maildrop")
            result["maildrop_s"] = time.monotonic() - t0

        t = threading.Thread(target=slow)
        t0 = time.monotonic()
        t.start()
        time.sleep(0.4)  # /maildrop is now waiting for the +OK to PASS
        status, body = get(base + "/ping", timeout=5)
        ping_s = time.monotonic() - t0
        still_waiting = t.is_alive()
        t.join(20)
        print(f"/ping after {ping_s:.2f}s (maildrop pending: "
              f"{still_waiting}); /maildrop took "
              f"{result.get('maildrop_s', -1):.2f}s")
        assert status == 200 and body == b"pong\n", (status, body)
        assert still_waiting and ping_s < 1.2, "the worker was blocked"
        status, body = result["maildrop"]
        print(body.decode())
        assert status == 200, status
        assert json.loads(body) == {"messages": [
            {"n": 1, "size": 120, "uid": "u-one"},
            {"n": 2, "size": 200, "uid": 'u"two'}]}
        assert "#MISMATCH" not in open(log).read()
        check_parity(args, tmp, base, servers)
        check_sasl(args, tmp, base, servers)
        print("ok")
        return 0
    except AssertionError as e:
        print(f"FAILED: {e}")
        err = os.path.join(tmp, "nginx", "error.log")
        if os.path.exists(err):
            print(open(err).read()[-3000:])
        return 1
    finally:
        stop(nginx)
        stop(server)
        for proc in servers:
            stop(proc)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--cmod", required=True,
                   help="directory holding pop3/core.so built for LuaJIT")
    args = p.parse_args()
    args.source = os.path.abspath(args.source)
    args.cmod = os.path.abspath(args.cmod)
    if NGINX is None or not os.path.exists(LUA_MODULE):
        print("skipped: nginx or its lua module is not installed "
              "(scripts/install-deps)")
        return 77
    # The workers (root in tests) must reach the prefix: not a 0700 dir.
    tmp = tempfile.mkdtemp(prefix="pop3-nginx-", dir="/tmp")
    os.chmod(tmp, 0o755)
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
