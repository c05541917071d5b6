"""pop3.connect(url)."""

import pytest

import pop3
from conftest import client_for


def test_connect_url_logs_in(server):
    with pop3.connect(f"pop3://alice:secret@127.0.0.1:{server.port}",
                      tls="none", timeout=5) as c:
        assert c.state is pop3.State.TRANSACTION
        assert c.stat().count == 3


def test_connect_url_without_user(server):
    with pop3.connect(f"pop3://127.0.0.1:{server.port}/", tls="none") as c:
        assert c.state is pop3.State.AUTHORIZATION


def test_percent_decoding(server_factory):
    srv = server_factory("--user", "a@b.example:p:w/%")
    url = f"pop3://a%40b.example:p%3Aw%2F%25@127.0.0.1:{srv.port}"
    with pop3.connect(url, tls="none") as c:
        assert c.state is pop3.State.TRANSACTION


def test_auth_apop_in_url(server):
    url = f"pop3://alice;AUTH=+APOP:secret@127.0.0.1:{server.port}"
    with pop3.connect(url, tls="none") as c:
        assert c.state is pop3.State.TRANSACTION
    assert any(l.startswith("APOP alice") for l in server.sent_lines())


def test_ipv6_literal(server_factory):
    srv = server_factory("--host", "::1", "--user", "alice:secret")
    with pop3.connect(f"pop3://alice:secret@[::1]:{srv.port}",
                      tls="none") as c:
        assert c.stat().count == 0


def test_failed_login_closes(server):
    with pytest.raises(pop3.AuthenticationError):
        pop3.connect(f"pop3://alice:bad@127.0.0.1:{server.port}", tls="none")
    # The maildrop is not left locked, and no QUIT was sent.
    assert "QUIT" not in server.sent_lines()


def test_crlf_in_url_user_refused(server):
    with pytest.raises(pop3.ArgumentError):
        pop3.connect(f"pop3://alice%0D%0ADELE%201:x@127.0.0.1:{server.port}",
                     tls="none")
    assert not any(l.startswith(("USER", "DELE")) for l in server.sent_lines())


@pytest.mark.parametrize("url", [
    "http://host/", "pop3://", "pop3://host/INBOX", "pop3://host/?q",
    "pop3://user@host", "pop3://host:99999", "pop3://u;X=1:p@host",
])
def test_bad_urls(url):
    with pytest.raises(pop3.ArgumentError) as ei:
        pop3.connect(url)
    assert "bad POP3 URL" in str(ei.value)


def test_url_must_be_str():
    with pytest.raises(TypeError):
        pop3.connect(b"pop3://host")


def test_pop3s_means_implicit_tls():
    # No server needed: the options are checked before connecting.
    c = pop3.Client(tls="implicit")
    assert c.tls is pop3.TLS.IMPLICIT
