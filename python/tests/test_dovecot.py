"""The same client against a real server: Dovecot on loopback."""

import threading
import time
import tracemalloc

import pytest

import pop3
from conftest import MSG1, MSG2

PASSWORD = "secret"


@pytest.fixture
def mail(dovecot, tmpdir_path):
    """seed(user): give `user` the messages MSG1 and MSG2."""
    def seed(user):
        files = []
        for i, data in enumerate((MSG1, MSG2), 1):
            path = tmpdir_path / f"m{i}.eml"
            path.write_bytes(data)
            files.append(str(path))
        assert dovecot.seed(user, files) == 2
    return seed


def client(dovecot, **kw):
    kw.setdefault("tls", "none")
    kw.setdefault("timeout", 20)
    return pop3.Client(dovecot.host, dovecot.port, **kw)


def test_every_method(dovecot, mail):
    mail("py1")
    with client(dovecot) as c:
        assert c.apop_timestamp  # Dovecot lists apop: a timestamp
        c.login("py1", PASSWORD)
        assert c.stat() == (2, len(MSG1) + len(MSG2))
        assert c.list() == {1: len(MSG1), 2: len(MSG2)}
        assert c.list(2) == len(MSG2)
        uids = c.uidl()
        assert sorted(uids) == [1, 2] and uids[1] != uids[2]
        assert c.uidl(1) == uids[1]
        assert b"".join(c.retrieve(1)) == MSG1
        assert b"".join(c.retrieve(2)) == MSG2  # dot-stuffed on the wire
        assert b"".join(c.top(1, 0)).endswith(b"Subject: first\r\n\r\n")
        assert c.read_message(2)["Subject"] == "dots"
        c.noop()
        c.delete(1)
        assert c.stat().count == 1
        c.reset()
        assert c.stat().count == 2
        c.delete(2)
        c.quit()
    assert dovecot.count("py1") == 1


def test_apop_and_authenticate(dovecot, mail):
    mail("py1")
    with client(dovecot) as c:
        c.apop("py1", PASSWORD)
        assert c.stat().count == 2
    with client(dovecot) as c:
        c.authenticate("py1", PASSWORD)
        assert c.state is pop3.State.TRANSACTION
    with pop3.connect(f"pop3://py1:{PASSWORD}@{dovecot.host}:"
                      f"{dovecot.port}", tls="none") as c:
        assert c.stat().count == 2


def test_errors_from_a_real_server(dovecot, mail):
    mail("py2")
    with client(dovecot) as c:
        with pytest.raises(pop3.StateError):
            c.stat()
        with pytest.raises(pop3.AuthenticationError) as ei:
            c.login("py2", "wrong")
        assert ei.value.server_text  # Dovecot's own words
        assert ei.value.resp_code == "AUTH"
        c.login("py2", PASSWORD)
        with pytest.raises(pop3.ServerError) as ei:
            c.retrieve(3)
        assert ei.value.server_text
        with pytest.raises(pop3.ArgumentError):
            c.delete(0)
        c.noop()


def test_exception_in_block_leaves_maildrop_untouched(dovecot, mail):
    mail("py2")
    with pytest.raises(RuntimeError):
        with client(dovecot) as c:
            c.login("py2", PASSWORD)
            c.delete(1)
            c.delete(2)
            raise RuntimeError("stop")
    assert dovecot.count("py2") == 2
    with client(dovecot) as c:
        c.login("py2", PASSWORD)
        for n in c.list():
            c.delete(n)
    assert dovecot.count("py2") == 0


def test_large_message_bounded_memory(dovecot):
    dovecot.seed("py8", generate=(1, 8 * 1024 * 1024))
    with client(dovecot) as c:
        c.login("py8", PASSWORD)
        size = c.list(1)
        total = 0
        tracemalloc.start()
        try:
            for chunk in c.retrieve(1):
                total += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert size >= 8 * 1024 * 1024 and total == size
    assert peak < 1024 * 1024, peak


def test_parallel_clients(dovecot, tmpdir_path):
    users = [f"py{i}" for i in range(4, 8)]
    for u in users:
        dovecot.seed(u, generate=(3, 256 * 1024))
    got, errors = {}, []

    def worker(user):
        try:
            with client(dovecot) as c:
                c.login(user, PASSWORD)
                got[user] = sum(len(b"".join(c.retrieve(n)))
                                for n in c.list())
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert all(v >= 3 * 256 * 1024 for v in got.values()) and len(got) == 4


def test_mailbox_in_use(dovecot, mail):
    # Dovecot answers the second login only after its own ~10 s wait.
    mail("py3")
    with client(dovecot) as first:
        first.login("py3", PASSWORD)
        with client(dovecot, timeout=30) as second:
            t0 = time.monotonic()
            with pytest.raises(pop3.MailboxInUseError) as ei:
                second.login("py3", PASSWORD)
            assert time.monotonic() - t0 < 30
        assert ei.value.resp_code == "IN-USE"
        assert "locked" in ei.value.server_text
        first.noop()


# TLS, SASL and CAPA against Dovecot: test_tls_dovecot.py.
