#!/usr/bin/env python3
"""Scripted POP3 test server: a faithful RFC 1939 maildrop server with
named faults, or a byte-exact replay of a scenario file. See README.md."""

import argparse
import os
import select
import signal
import socket
import sys
import threading
import time

import faults
import scenario
import session
from wire import Log, Wire


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="faults (maildrop mode, --fault NAME, repeatable):\n"
               + faults.help_text())
    p.add_argument("--port-file", required=True,
                   help="written (atomically) with the port once listening")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: ephemeral")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--maildrop", metavar="DIR",
                      help="DIR/<user>/<uid>[.ext] files are the messages")
    mode.add_argument("--scenario", metavar="FILE",
                      help="replay FILE on every connection")
    p.add_argument("--user", action="append", default=[],
                   metavar="NAME:PASS", help="credentials (repeatable)")
    p.add_argument("--apop", action="store_true",
                   help="timestamp in the greeting, APOP accepted")
    p.add_argument("--capa", action="store_true",
                   help='CAPA also lists "IMPLEMENTATION pop3d-test"')
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   choices=sorted(faults.FAULTS))
    p.add_argument("--log", metavar="PATH",
                   help="append every client line, #CONNECT and #CLOSE")
    p.add_argument("--pid-file", metavar="PATH")
    p.add_argument("--max-lifetime", type=float, default=120.0,
                   help="exit after this many seconds (default 120)")
    args = p.parse_args(argv)
    if args.scenario and args.fault:
        p.error("--fault applies to --maildrop mode only")
    users = {}
    for spec in args.user:
        name, sep, password = spec.partition(":")
        if not sep or not name:
            p.error("--user wants NAME:PASS, got %r" % spec)
        users[name] = password
    args.users = users
    args.faults = set(args.fault)
    return args


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def listen(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(64)
    return srv


def wire_mode(fault_set):
    for mode in ("one-byte", "coalesce"):
        if mode in fault_set:
            return mode
    return "normal"


def serve_one(conn, args, log, steps):
    wire = Wire(conn, log, wire_mode(args.faults))
    if steps is not None:
        scenario.run(wire, steps)
    else:
        args.root = args.maildrop
        session.Session(wire, args).run()


def main(argv=None):
    args = parse_args(argv)
    steps = None
    if args.scenario:
        try:
            steps = scenario.parse(args.scenario)
        except (OSError, ValueError) as e:
            sys.exit("pop3d: %s" % e)
    log = Log(args.log)
    srv = listen(args.host, args.port)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.pid_file:
        write_atomic(args.pid_file, "%d\n" % os.getpid())
    write_atomic(args.port_file, "%d\n" % srv.getsockname()[1])
    deadline = time.monotonic() + args.max_lifetime
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([srv], [], [], 0.2)
            if not ready:
                continue
            conn, _ = srv.accept()
            # Daemon threads: a session left hanging never blocks our exit.
            threading.Thread(target=serve_one, args=(conn, args, log, steps),
                             daemon=True).start()
    finally:
        srv.close()
        for path in (args.port_file, args.pid_file):
            if path:
                try:
                    os.remove(path)
                except OSError:
                    pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
