"""examples/python/fetch_new.py runs against the scripted server."""

import os
import subprocess
import sys
from pathlib import Path

import pop3
from conftest import SOURCE_DIR


def run(srv, out, *extra):
    env = dict(os.environ, POP3_PASSWORD="secret",
               PYTHONPATH=str(Path(pop3.__file__).parents[1]))
    return subprocess.run(
        [sys.executable, str(SOURCE_DIR / "examples/python/fetch_new.py"),
         "--tls", "none", *extra, f"pop3://alice@127.0.0.1:{srv.port}",
         str(out)], env=env, capture_output=True, text=True, timeout=60)


def test_fetch_new_then_delete(server, tmpdir_path):
    out = tmpdir_path / "out"
    r = run(server, out)
    assert r.returncode == 0, r.stderr
    assert "3 new" in r.stdout
    assert len(list(out.glob("*.eml"))) == 3
    r = run(server, out, "--delete")
    assert r.returncode == 0, r.stderr
    assert "0 new" in r.stdout
    assert list((server.maildrop / "alice").iterdir()) == []
    assert len((out / ".uids").read_text().split()) == 3


def test_fetch_new_over_stls_against_dovecot(dovecot, tmpdir_path):
    # pop3:// means STLS, verified with the fixture's CA; the login is
    # SCRAM-SHA-256; the new messages come pipelined, then the DELEs.
    assert dovecot.ca_file, "the Dovecot fixture has no TLS"
    dovecot.seed("py5", generate=(4, 2048))
    out = tmpdir_path / "out"
    env = dict(os.environ, POP3_PASSWORD="secret",
               PYTHONPATH=str(Path(pop3.__file__).parents[1]))
    r = subprocess.run(
        [sys.executable, str(SOURCE_DIR / "examples/python/fetch_new.py"),
         "--ca-file", dovecot.ca_file, "--delete",
         f"pop3://py5@{dovecot.host}:{dovecot.port}", str(out)],
        env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "4 new" in r.stdout
    assert len(list(out.glob("*.eml"))) == 4
    assert dovecot.count("py5") == 0
