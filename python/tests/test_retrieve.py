"""Chunked retrieval: bounded memory, feeding a parser, interruption."""

import email.parser
import email.policy
import tracemalloc

import pytest

import pop3
from conftest import MSG1, MSG2, client_for

BIG_LINE = 10 * 1024 * 1024  # the huge-body-line fault's one line


def test_large_message_streams_in_bounded_memory(server_factory):
    # Message 1 is one 10 MiB line: neither the C library (it buffers no
    # body line) nor the Python layer (one chunk at a time) may hold it.
    srv = server_factory("--user", "alice:secret", "--fault",
                         "huge-body-line", messages={"alice": {"a": MSG1}})
    with client_for(srv, buffer_size=65536) as c:
        c.login("alice", "secret")
        assert c.list(1) == BIG_LINE + 2
        total = chunks = 0
        largest = 0
        tracemalloc.start()
        try:
            for chunk in c.retrieve(1):
                total += len(chunk)
                chunks += 1
                largest = max(largest, len(chunk))
                assert chunk.strip(b"a\r\n") == b""
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert total == BIG_LINE + 2
    assert chunks >= BIG_LINE // 65536  # many chunks, none over the buffer
    assert largest <= 65536
    assert peak < 1024 * 1024, f"peak Python memory {peak} bytes"


def test_feed_parser_chunk_by_chunk(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        parser = email.parser.BytesFeedParser(policy=email.policy.default)
        for chunk in c.retrieve(2):
            parser.feed(chunk)
        msg = parser.close()
    assert msg["Subject"] == "dots"
    assert msg.get_payload().replace("\r\n", "\n") == \
        ".leading dot\n.\n..\nend\n"


def test_one_byte_reads_give_the_same_message(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "one-byte",
                         messages={"alice": {"a": MSG2}})
    with client_for(srv) as c:
        c.login("alice", "secret")
        assert b"".join(c.retrieve(1)) == MSG2


def test_busy_while_a_body_is_being_read(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        body = c.retrieve(1)
        with pytest.raises(pop3.BusyError) as ei:
            c.stat()
        assert "close()" in str(ei.value)
        assert isinstance(ei.value, pop3.StateError)
        assert b"".join(body) == MSG1
        assert c.stat().count == 3  # usable again once the body ended


def test_break_out_of_a_retrieval_then_go_on(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        for chunk in c.retrieve(1):
            break  # the iterator is dropped unfinished ...
        assert c.stat().count == 3  # ... and discarded before STAT
        assert b"".join(c.retrieve(2)) == MSG2


def test_close_a_body_explicitly(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        with c.retrieve(1) as body:
            next(body)
        assert list(body) == []
        c.noop()


def test_interrupted_retrieval_commits_nothing(server):
    # An exception while reading (here a KeyboardInterrupt stand-in) leaves
    # the with block: no QUIT, so the DELE before it is not committed.
    class Stop(Exception):
        pass
    md = server.maildrop / "alice"
    with pytest.raises(Stop):
        with client_for(server) as c:
            c.login("alice", "secret")
            c.delete(2)
            for chunk in c.retrieve(1):
                raise Stop
    assert c.state is pop3.State.DISCONNECTED
    assert len(list(md.iterdir())) == 3
    assert "QUIT" not in server.sent_lines()


def test_body_after_client_closed_is_refused(server):
    c = client_for(server)
    c.login("alice", "secret")
    body = c.retrieve(1)
    c.close()
    with pytest.raises(pop3.StateError):
        next(body)


def test_connection_lost_mid_body(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault",
                         "close-mid-body", messages={"alice": {"a": MSG1 * 50}})
    with client_for(srv) as c:
        c.login("alice", "secret")
        with pytest.raises(pop3.ConnectionError) as ei:
            for _ in c.retrieve(1):
                pass
        assert ei.value.status == pop3._pop3.POP3_E_EOF
        # The failure sticks: nothing more is sent.
        with pytest.raises(pop3.ConnectionError):
            c.noop()
