#!/usr/bin/env python3
"""Fetch the messages a POP3 server holds that this program has not
fetched before (by UIDL), store each one in a directory, and optionally
delete it from the server once it is safely on disk.

    fetch_new.py [--delete] [--ca-file PEM] URL DIR
    fetch_new.py pop3s://alice@mail.example.org ~/mail    # asks for the
                                                          # password
    POP3_PASSWORD=... fetch_new.py pop3://alice@127.0.0.1:1100 out \\
        --tls none

pop3s:// is TLS from the first byte, pop3:// requires STLS; the login
picks the strongest method both sides support (SCRAM-SHA-256 first).
The new messages are asked for at once (pipelined where the server
allows) and stream to disk chunk by chunk, so their size does not matter.
The UIDs already fetched are kept in DIR/.uids, one per line.  Any
failure leaves the with block by an exception: no QUIT is sent, so the
server deletes nothing, and the next run picks up where this one failed.
"""

import argparse
import getpass
import hashlib
import os
import sys
from urllib.parse import quote, urlsplit, urlunsplit

import pop3


def file_name(uid: str) -> str:
    # UIDs come from the server: never use one as a path (it could be
    # "../x").  A digest is safe, and the same UID gives the same name.
    return hashlib.sha256(uid.encode()).hexdigest()[:32] + ".eml"


def store(body: pop3.Body, path: str) -> None:
    """Stream a message body to path: a temporary file, fsync, then
    rename, so a file under its final name is always complete."""
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        for chunk in body:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def with_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None or parts.password is not None:
        return url
    password = os.environ.get("POP3_PASSWORD") or getpass.getpass()
    netloc = f"{parts.username}:{quote(password, safe='')}@" + \
        parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=netloc))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", help="pop3://user@host[:port] or pop3s://...")
    p.add_argument("dir", help="where to store the messages")
    p.add_argument("--delete", action="store_true",
                   help="delete each message from the server once stored")
    p.add_argument("--tls", default=None,
                   help="override TLS: none, stls, implicit, ...")
    p.add_argument("--ca-file", default=None,
                   help="trust the CAs in this PEM file (a private CA)")
    args = p.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    seen_path = os.path.join(args.dir, ".uids")
    try:
        with open(seen_path) as f:
            seen = {line.strip() for line in f if line.strip()}
    except FileNotFoundError:
        seen = set()

    options = {"timeout": 60}
    if args.tls:
        options["tls"] = args.tls
    if args.ca_file:
        options["ca_file"] = args.ca_file
    try:
        with pop3.connect(with_password(args.url), **options) as client, \
                open(seen_path, "a") as seen_file:
            uids = client.uidl()
            fresh = sum(uid not in seen for uid in uids.values())
            print(f"{len(uids)} messages on the server, {fresh} new")
            new = sorted(n for n, uid in uids.items() if uid not in seen)
            for n, body in client.retrieve_many(new):
                uid = uids[n]
                store(body, os.path.join(args.dir, file_name(uid)))
                seen_file.write(uid + "\n")
                seen_file.flush()
                os.fsync(seen_file.fileno())
                seen.add(uid)
                print(f"  {uid}: stored")
            if args.delete:  # stored now or in an earlier run
                client.delete_many(sorted(n for n, uid in uids.items()
                                          if uid in seen))
            # committed by the QUIT at the end of the with block
        # Leaving the with block cleanly sent QUIT: deletions are final.
    except pop3.Error as e:
        print(f"fetch_new: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
