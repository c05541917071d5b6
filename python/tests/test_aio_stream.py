"""pop3.aio's byte stream keeps memory bounded: reading pauses while more
than HIGH_WATER bytes wait unread, and every byte still arrives."""

import asyncio

from pop3 import _stream

TOTAL = 8 * 1024 * 1024


async def _fast_server(reader, writer):
    block = bytes(range(256)) * 256  # 64 KiB
    for _ in range(TOTAL // len(block)):
        writer.write(block)
    await writer.drain()
    writer.close()


def test_slow_reader_holds_a_bounded_buffer():
    async def main():
        server = await asyncio.start_server(_fast_server, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            stream = await asyncio.wait_for(
                _stream.Stream.open("127.0.0.1", port), 10)
            await asyncio.sleep(0.5)  # the server has written everything
            held = stream.buffered()
            got = held
            received = bytearray(await stream.read(1 << 20))
            while True:
                data = await asyncio.wait_for(stream.read(1 << 20), 10)
                if not data:
                    break
                received += data
            stream.abort()
            return held, received
        finally:
            server.close()
            await server.wait_closed()

    held, received = asyncio.run(main())
    # The mark (256 KiB) and at most one more read (asyncio reads up to
    # 256 KiB at a time): far below the 8 MiB sent.
    assert 0 < held <= 512 * 1024
    assert len(received) == TOTAL
    assert received[:512] == bytes(range(256)) * 2
