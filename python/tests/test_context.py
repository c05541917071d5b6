"""The context manager: QUIT on a clean exit, only a close on an
exception, so an interrupted session never commits deletions.  Checked
on the server's maildrop."""

import pytest

import pop3
from conftest import client_for


def files(srv):
    return sorted(p.name for p in (srv.maildrop / "alice").iterdir())


def test_clean_exit_sends_quit_and_commits(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        c.delete(1)
    assert server.sent_lines()[-1] == "QUIT"
    assert files(server) == ["u2.eml", "u3.eml"]


def test_exception_closes_without_quit(server):
    with pytest.raises(KeyError):
        with client_for(server) as c:
            c.login("alice", "secret")
            c.delete(1)
            c.delete(2)
            raise KeyError("processing failed")
    assert c.state is pop3.State.DISCONNECTED
    assert "QUIT" not in server.sent_lines()
    assert files(server) == ["u1.eml", "u2.eml", "u3.eml"]
    # The server saw the connection end, so the maildrop is free again.
    with client_for(server) as c:
        c.login("alice", "secret")
        assert c.stat().count == 3


def test_pop3_error_inside_block_commits_nothing(server):
    with pytest.raises(pop3.ServerError):
        with client_for(server) as c:
            c.login("alice", "secret")
            c.delete(1)
            c.retrieve(42)  # -ERR no such message
    assert files(server) == ["u1.eml", "u2.eml", "u3.eml"]


def test_clean_exit_with_half_read_body(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        c.delete(3)
        body = c.retrieve(1)
        next(body)
    # The rest of the body was read and dropped, then QUIT committed.
    assert files(server) == ["u1.eml", "u2.eml"]


def test_clean_exit_before_login(server):
    with client_for(server) as c:
        pass
    assert server.sent_lines() == ["QUIT"]


def test_close_is_idempotent_and_del_is_safe(server):
    c = client_for(server)
    c.close()
    c.close()
    del c
