#!/usr/bin/env python3
"""Scripted POP3 test server: a faithful RFC 1939 maildrop server with
named faults, or a byte-exact replay of a scenario file. See README.md."""

import argparse
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
import warnings

import faults
import scenario
import session
from wire import Closed, Log, Wire

SASL_MECHS = session.SASL_MECHS
TLS_VERSIONS = {"1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2,
                "1.3": ssl.TLSVersion.TLSv1_3}


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
    p.add_argument("--capa-line", action="append", default=[],
                   metavar="TEXT", help="one more CAPA line (repeatable)")
    p.add_argument("--sasl", metavar="MECH,...",
                   help="offer and accept SASL AUTH with these mechanisms"
                        " (or 'all': %s)" % ",".join(SASL_MECHS))
    p.add_argument("--utf8", action="store_true",
                   help='CAPA lists "UTF8 USER"; UTF8 turns on UTF-8 names')
    p.add_argument("--tls-cert", metavar="PEM",
                   help="server certificate: enables STLS (and T in"
                        " scenarios)")
    p.add_argument("--tls-key", metavar="PEM", help="its private key")
    p.add_argument("--implicit-tls", action="store_true",
                   help="TLS from the first byte (POP3S), needs --tls-cert")
    p.add_argument("--tls-client-ca", metavar="PEM",
                   help="require a client certificate signed by this CA")
    p.add_argument("--tls-max-version", choices=sorted(TLS_VERSIONS),
                   help="highest TLS version to offer")
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
    if args.sasl == "all":
        args.sasl = list(SASL_MECHS)
    elif args.sasl:
        args.sasl = [m.strip().upper() for m in args.sasl.split(",")]
        unknown = [m for m in args.sasl if m not in SASL_MECHS]
        if unknown:
            p.error("--sasl: unknown mechanism(s) %s" % ", ".join(unknown))
    else:
        args.sasl = []
    if (args.implicit_tls or args.tls_key) and not args.tls_cert:
        p.error("--implicit-tls and --tls-key need --tls-cert")
    args.tls_ctx = tls_context(args) if args.tls_cert else None
    return args


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_max_version:
        version = TLS_VERSIONS[args.tls_max_version]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if version < ssl.TLSVersion.TLSv1_2:
                # Old protocols need the old ciphers and a lower floor.
                ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.maximum_version = version
    if args.tls_client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.tls_client_ca)
    return ctx


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
    wire.tls_ctx = args.tls_ctx
    if args.implicit_tls:
        try:
            if "silent" in args.faults:
                wire.hang()     # not even a handshake
                raise Closed("silent")
            wire.start_tls(args.tls_ctx)
        except Closed:
            wire.close()
            return
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
        if any(op == "T" for op, _ in steps) and not args.tls_ctx:
            sys.exit("pop3d: %s uses T but no --tls-cert was given"
                     % args.scenario)
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
