"""Each exception class, raised for the failure it names, with the
server's text and response code where the server said something."""

import builtins
import socket
import time

import pytest

import pop3
from conftest import MSG1, client_for

_c = pop3._pop3


def login(srv, **kw):
    c = client_for(srv, **kw)
    c.login("alice", "secret")
    return c


def test_wrong_password(server):
    with client_for(server) as c:
        with pytest.raises(pop3.AuthenticationError) as ei:
            c.login("alice", "wrong")
        e = ei.value
        assert e.status == _c.POP3_E_AUTH
        assert e.resp_code == "AUTH"
        assert e.server_text == "invalid credentials"
        assert e.operation == "login"
        assert str(e) == ("login: authentication failed "
                          "(server: [AUTH] invalid credentials)")
        assert "wrong" not in str(e)
        # Still in AUTHORIZATION: the right password works now.
        c.login("alice", "secret")


def test_wrong_apop_secret(server):
    with client_for(server) as c:
        with pytest.raises(pop3.AuthenticationError):
            c.apop("alice", "nope")


def test_apop_without_timestamp(server_factory):
    srv = server_factory("--user", "alice:secret")
    with client_for(srv) as c:
        with pytest.raises(pop3.AuthUnavailableError) as ei:
            c.apop("alice", "secret")
        assert isinstance(ei.value, pop3.AuthenticationError)
    assert not any(l.startswith("APOP") for l in srv.sent_lines())


def test_mailbox_in_use(server):
    with login(server) as first:
        with client_for(server) as second:
            with pytest.raises(pop3.MailboxInUseError) as ei:
                second.login("alice", "secret")
        e = ei.value
        assert isinstance(e, pop3.ServerError)
        assert e.resp_code == "IN-USE"
        assert e.server_text == "maildrop is locked"
        first.noop()


def test_login_delay(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "login-delay")
    with client_for(srv) as c:
        with pytest.raises(pop3.LoginDelayError) as ei:
            c.login("alice", "secret")
        assert ei.value.resp_code == "LOGIN-DELAY"


def test_server_err_reply(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "dele-err",
                         messages={"alice": {"a": MSG1}})
    with login(srv) as c:
        with pytest.raises(pop3.ServerError) as ei:
            c.delete(1)
        assert type(ei.value) is pop3.ServerError
        assert ei.value.server_text == "cannot delete"
        assert ei.value.resp_code == ""
        assert "cannot delete" in str(ei.value)
        c.noop()  # -ERR is not fatal


def test_no_such_message(server):
    with login(server) as c:
        with pytest.raises(pop3.ServerError):
            c.retrieve(99)
        with pytest.raises(pop3.ServerError):
            c.list(99)
        assert c.stat().count == 3


def test_greeting_err(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "greeting-err")
    with pytest.raises(pop3.ServerError) as ei:
        client_for(srv)
    assert "go away" in str(ei.value)


@pytest.mark.parametrize("fault", ["stat-garbage", "stat-overflow",
                                   "nul-status", "stat-negative"])
def test_protocol_error_and_it_sticks(server_factory, fault):
    srv = server_factory("--user", "alice:secret", "--fault", fault)
    c = login(srv)
    with pytest.raises(pop3.ProtocolError) as ei:
        c.stat()
    assert ei.value.status == _c.POP3_E_PROTOCOL
    with pytest.raises(pop3.ProtocolError):
        c.noop()  # the failed client refuses further commands
    c.close()
    assert "NOOP" not in srv.sent_lines()


def test_line_too_long(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "long-status")
    with login(srv) as c:
        with pytest.raises(pop3.LineTooLongError) as ei:
            c.stat()
        assert isinstance(ei.value, pop3.ProtocolError)


def test_malformed_listing(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "uidl-garbage",
                         messages={"alice": {"a": MSG1, "b": MSG1}})
    with login(srv) as c:
        with pytest.raises(pop3.ProtocolError) as ei:
            c.uidl()
        assert ei.value.partial == {1: "a", 2: "b"}  # without the bad line
        assert "1 malformed line" in str(ei.value)
        assert c.list() == {1: len(MSG1), 2: len(MSG1)}  # the session goes on


def test_timeout_on_silent_server(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "silent")
    t0 = time.monotonic()
    with pytest.raises(pop3.TimeoutError) as ei:
        client_for(srv, timeout=0.5)
    assert time.monotonic() - t0 < 5
    assert isinstance(ei.value, builtins.TimeoutError)
    assert ei.value.status == _c.POP3_E_TIMEOUT
    assert str(ei.value) == "connect: timed out"


def test_timeout_mid_body(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault",
                         "never-end-body", messages={"alice": {"a": MSG1}})
    with login(srv, timeout=0.5) as c:
        with pytest.raises(pop3.TimeoutError):
            b"".join(c.retrieve(1))


def test_state_error_nothing_sent(server):
    with client_for(server) as c:
        with pytest.raises(pop3.StateError) as ei:
            c.stat()  # before login
        assert ei.value.status == _c.POP3_E_STATE
        assert ei.value.server_text == ""  # a local refusal quotes no reply
    assert "STAT" not in server.sent_lines()
    c = pop3.Client(tls="none")
    with pytest.raises(pop3.StateError):
        c.login("alice", "secret")  # not connected


def test_connection_refused():
    with socket.socket() as s:  # a port with no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(pop3.ConnectionError) as ei:
        pop3.Client("127.0.0.1", port, tls="none", timeout=5)
    assert isinstance(ei.value, builtins.ConnectionError)
    assert isinstance(ei.value, OSError)
    assert ei.value.status == _c.POP3_E_CONNECT


def test_tls_required_but_not_available_sends_no_credentials(server):
    # The default is STLS required on port 110-style ports; this server
    # offers no STLS, so no session (and no USER/PASS) may happen.
    with pytest.raises(pop3.TLSUnavailableError) as ei:
        pop3.Client("127.0.0.1", server.port, timeout=5)
    assert ei.value.operation == "connect"
    assert server.sent_lines() == ["CAPA"]
    # pop3:// is STLS required too, whatever the port.
    with pytest.raises(pop3.TLSUnavailableError):
        pop3.connect(f"pop3://alice:secret@127.0.0.1:{server.port}",
                     timeout=5)
    assert not any(l.startswith(("USER", "PASS")) for l in server.sent_lines())


def test_every_status_maps_to_a_class():
    statuses = [v for k, v in vars(_c).items()
                if k.startswith("POP3_E_") and isinstance(v, int)]
    assert len(statuses) >= 20
    for st in statuses:
        cls = pop3._errors.error_class(st)
        assert issubclass(cls, pop3.Error)
    assert pop3._errors.error_class(_c.POP3_E_IN_USE) is pop3.MailboxInUseError
    assert pop3._errors.error_class(_c.POP3_E_CERT) is pop3.CertificateError
    # An unknown future status still lands in its family.
    assert pop3._errors.error_class(509) is pop3.ProtocolError
