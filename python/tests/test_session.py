"""Every Client method against the scripted server's maildrop mode."""

import email.message

import pytest

import pop3
from conftest import MSG1, MSG2, client_for


def test_package_is_installed_not_the_source_tree():
    # The extension and its SWIG proxy both come from one installed place.
    import pop3._pop3 as proxy
    import pop3._pop3_c as ext
    assert proxy.__file__.rsplit("/", 1)[0] == ext.__file__.rsplit("/", 1)[0]
    assert pop3.__version__.count(".") == 2


def test_connect_greeting_state(server):
    with client_for(server) as c:
        assert c.state is pop3.State.AUTHORIZATION
        assert "ready" in c.greeting or c.greeting
        assert c.apop_timestamp.startswith("<") and c.apop_timestamp.endswith(">")
        c.login("alice", "secret")
        assert c.state is pop3.State.TRANSACTION
        assert "3 messages" in c.server_text
    assert c.state is pop3.State.UPDATE  # QUIT after login: session over


def test_unconnected_client_then_connect(server):
    c = pop3.Client(tls="none", timeout=5)
    assert c.state is pop3.State.DISCONNECTED
    greeting = c.connect("127.0.0.1", server.port)
    assert greeting == c.greeting
    c.close()
    c.connect("127.0.0.1", server.port)  # a closed client connects again
    c.login("alice", "secret")
    c.close()


def test_stat_list_uidl(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        st = c.stat()
        assert isinstance(st, pop3.Stat)
        assert st == (3, len(MSG1) + len(MSG2))
        assert st.count == 3 and st.size == len(MSG1) + len(MSG2)
        assert c.list() == {1: len(MSG1), 2: len(MSG2), 3: 0}
        assert c.list(2) == len(MSG2)
        assert c.uidl() == {1: "u1", 2: "u2", 3: "u3"}
        assert c.uidl(3) == "u3"
        assert all(type(v) is int for v in c.list().values())


def test_retrieve_chunks_join_to_message(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        body = c.retrieve(1)
        chunks = list(body)
        assert all(type(ch) is bytes for ch in chunks)
        assert b"".join(chunks) == MSG1
        assert list(body) == []  # an ended body stays ended


def test_dot_stuffed_lines_come_back_unstuffed(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        assert b"".join(c.retrieve(2)) == MSG2
        assert b"".join(c.retrieve(3)) == b""  # the empty body


def test_top(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        head = b"".join(c.top(1, 0))
        assert head == MSG1.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
        assert b"".join(c.top(2, 1)).endswith(b"\r\n\r\n.leading dot\r\n")


def test_read_message(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        msg = c.read_message(1)
        assert isinstance(msg, email.message.EmailMessage)
        assert msg["Subject"] == "first"
        assert msg.get_content().strip() == "Hello."


def test_delete_reset_noop_quit(server):
    md = server.maildrop / "alice"
    with client_for(server) as c:
        c.login("alice", "secret")
        c.delete(1)
        with pytest.raises(pop3.ServerError):
            c.retrieve(1)  # deleted messages are gone for the session
        assert c.stat().count == 2
        c.reset()
        assert c.stat().count == 3
        c.noop()
        c.delete(2)
        c.quit()
        assert c.state is pop3.State.UPDATE
    assert sorted(p.name for p in md.iterdir()) == ["u1.eml", "u3.eml"]


def test_apop(server):
    with client_for(server) as c:
        c.apop("alice", "secret")
        assert c.stat().count == 3
    assert "APOP alice " in server.log_text()
    assert "secret" not in server.log_text()


def test_authenticate_prefers_apop_when_offered(server):
    with client_for(server) as c:
        c.authenticate("alice", "secret")
        assert c.state is pop3.State.TRANSACTION
    sent = server.sent_lines()
    assert any(line.startswith(("APOP ", "AUTH ")) for line in sent)
    assert not any(line.startswith("PASS") for line in sent)


def test_authenticate_without_apop_uses_user_pass(server_factory):
    srv = server_factory("--user", "alice:secret")
    with client_for(srv) as c:
        c.authenticate("alice", "secret")
        assert c.state is pop3.State.TRANSACTION


def test_trace_hook_sees_commands_and_masks_secrets(server):
    seen = []
    with client_for(server, trace=lambda d, line: seen.append((d, line))) as c:
        c.login("alice", "secret")
        c.stat()
    assert ("send", "USER alice") in seen
    assert ("send", "STAT") in seen
    assert any(d == "recv" and line.startswith("+OK") for d, line in seen)
    assert not any("secret" in line for _, line in seen)


@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning")
def test_trace_hook_exception_does_not_break_session(server):
    def bad(direction, line):
        raise RuntimeError("trace hook failure")
    with client_for(server, trace=bad) as c:
        c.login("alice", "secret")
        assert c.stat().count == 3


def test_bytes_and_str_credentials(server_factory):
    # The test server reads octets as Latin-1: bytes go out as they are,
    # str goes out as UTF-8.
    srv = server_factory("--user", "j\u00fcrgen:p\u00e4ss")
    with client_for(srv) as c:
        c.login("j\u00fcrgen".encode("latin-1"), b"p\xe4ss")
        assert c.state is pop3.State.TRANSACTION
    with client_for(srv) as c:
        with pytest.raises(pop3.AuthenticationError):
            c.login("j\u00fcrgen", "p\u00e4ss")
    assert "USER j\\xc3\\xbcrgen" in srv.log_text()


def test_help_reads_well():
    for obj in (pop3.Client, pop3.Client.retrieve, pop3.Body, pop3.connect,
                pop3.Error, pop3.Stat, pop3.TLS):
        assert obj.__doc__ and len(obj.__doc__.strip()) > 20
    public = [n for n in dir(pop3.Client) if not n.startswith("_")]
    for name in public:
        assert getattr(pop3.Client, name).__doc__, name


def test_capabilities_and_sasl_are_there(server):
    with client_for(server) as c:
        assert "UIDL" in c.capabilities()
        with pytest.raises(TypeError):
            c.auth(b"PLAIN", "alice", "secret")
        assert not c.is_tls and c.auth_used is None
        c.authenticate("alice", "secret")
        assert c.auth_used in ("APOP", "USER")
