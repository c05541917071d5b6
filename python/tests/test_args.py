"""Bad arguments raise clear exceptions, and nothing reaches the wire."""

import pytest

import pop3
from conftest import client_for


@pytest.mark.parametrize("user,password", [
    ("alice\r\nDELE 1", "secret"),
    ("alice", "secret\r\nDELE 1"),
    ("alice\n", "secret"),
    ("alice", "sec\rret"),
    ("alice\0", "secret"),
    (b"alice\r\n", b"secret"),
])
def test_crlf_nul_in_credentials_refused(server, user, password):
    with client_for(server) as c:
        with pytest.raises(pop3.ArgumentError) as ei:
            c.login(user, password)
        assert isinstance(ei.value, ValueError)
        assert "CR, LF or NUL" in str(ei.value)
        assert "secret" not in str(ei.value)
        with pytest.raises(pop3.ArgumentError):
            c.apop(user, password)
        with pytest.raises(pop3.ArgumentError):
            c.authenticate(user, password)
    assert server.sent_lines() == ["QUIT"]


def test_c_library_refuses_crlf_too(server):
    # Past the Python check, the C library is the second fence (and the
    # SWIG typemap refuses NUL, which C could not see).
    with client_for(server) as c:
        assert c._c is not None
        st = pop3._pop3.pop3_login(c._c, "alice\r\nDELE 1", "x")
        assert st == pop3._pop3.POP3_E_ARG
        with pytest.raises(ValueError, match="NUL"):
            pop3._pop3.pop3_login(c._c, "alice\0", "x")
        with pytest.raises(TypeError):
            pop3._pop3.pop3_login(c._c, 42, "x")
    assert server.sent_lines() == ["QUIT"]


def test_overlong_command_refused(server):
    with client_for(server) as c:
        with pytest.raises(pop3.ArgumentError):
            c.login("a" * 300, "secret")
    assert server.sent_lines() == ["QUIT"]


@pytest.mark.parametrize("n,exc", [
    (0, pop3.ArgumentError), (-1, pop3.ArgumentError),
    (2**32, pop3.ArgumentError), ("1", TypeError), (1.0, TypeError),
    (True, TypeError), (None, TypeError),
])
def test_bad_message_numbers(server, n, exc):
    with client_for(server) as c:
        c.login("alice", "secret")
        for call in (c.retrieve, c.delete, c.list, c.uidl,
                     lambda m: c.top(m, 0)):
            if n is None and call in (c.list, c.uidl):
                continue  # list()/uidl() with no number are valid
            with pytest.raises(exc):
                call(n)
        assert c.stat().count == 3
    assert not any(l.startswith(("RETR", "DELE", "LIST", "UIDL", "TOP"))
                   for l in server.sent_lines())


@pytest.mark.parametrize("kw,exc", [
    ({"tls": "bogus"}, pop3.ArgumentError), ({"tls": 3.5}, TypeError),
    ({"timeout": 0}, pop3.ArgumentError), ({"timeout": "5"}, TypeError),
    ({"max_line": 10}, pop3.ArgumentError),  # refused by the C library
    ({"buffer_size": "big"}, TypeError), ({"ca_file": 1}, TypeError),
    ({"trace": 1}, TypeError),
])
def test_bad_options(kw, exc):
    with pytest.raises(exc):
        pop3.Client(**kw)


def test_bad_connect_arguments():
    c = pop3.Client(tls="none")
    with pytest.raises(TypeError):
        c.connect(b"127.0.0.1")
    with pytest.raises(pop3.ArgumentError):
        c.connect("127.0.0.1", 70000)
    with pytest.raises(TypeError):
        c.connect("127.0.0.1", "110")
    with pytest.raises(pop3.ArgumentError):
        c.connect("", 110)


def test_tls_names():
    assert pop3.Client(tls="stls-if-offered").tls is pop3.TLS.STLS_IF_OFFERED
    assert pop3.Client(tls="IMPLICIT").tls is pop3.TLS.IMPLICIT
    assert pop3.Client(tls=pop3.TLS.NONE).tls is pop3.TLS.NONE
    assert pop3.Client().tls is pop3.TLS.DEFAULT
