#!/usr/bin/env python3
"""Record fuzz_session seeds from a real Dovecot: start one (the suite's
harness), run fuzz_session_record through a loopback proxy that keeps
every byte the server sends, and write each seed as two script bytes
(read sizes, login method) followed by those bytes.

    record_session.py BUILD_DIR OUT_DIR
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "dovecot"))
import harness  # noqa: E402

MESSAGES = [
    b"From: a@example.org\r\nSubject: one\r\n\r\nhello\r\n",
    b"From: b@example.org\r\nSubject: two\r\n\r\n.dot stuffed\r\n"
    b"..two dots\r\n.\r\nline after a lone dot\r\nend\r\n",
    b"Subject: three\r\n\r\n" + b"x" * 3000 + b"\r\n" + b"y\r\n" * 50,
]

# (seed name, read-size byte, method byte): USER/PASS, APOP (refused by
# this Dovecot), SASL (SCRAM with a random nonce), and USER/PASS with a
# 64-octet line limit.
RUNS = [("dovecot_user", 0, 0), ("dovecot_user_split", 5, 0),
        ("dovecot_apop", 1, 1), ("dovecot_sasl", 0, 2),
        ("dovecot_short_lines", 3, 0x10)]


def proxy_once(listener, port, record):
    """Accept one client, relay both ways, keep the server's bytes."""
    client, _ = listener.accept()
    server = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.settimeout(10)

    def pump(src, dst, keep):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if keep:
                    record.append(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    up = threading.Thread(target=pump, args=(client, server, False))
    up.start()
    pump(server, client, True)
    up.join(10)
    client.close()
    server.close()


def main():
    build, out = sys.argv[1], sys.argv[2]
    tool = os.path.join(build, "tests", "fuzz", "fuzz_session_record")
    with tempfile.TemporaryDirectory(dir=build) as tmp:
        os.chmod(tmp, 0o755)
        env = harness.start(tmp, users=[("fuzz", "secret")])
        try:
            port = int(env["pop3_port"])
            for name, seed, how in RUNS:
                paths = []
                for i, body in enumerate(MESSAGES):
                    p = os.path.join(tmp, "m%d" % i)
                    with open(p, "wb") as f:
                        f.write(body)
                    paths.append(p)
                harness.seed(tmp, "fuzz", paths)
                listener = socket.socket()
                listener.bind(("127.0.0.1", 0))
                listener.listen(1)
                record = []
                t = threading.Thread(target=proxy_once,
                                     args=(listener, port, record))
                t.start()
                res = subprocess.run(
                    [tool, "127.0.0.1", str(listener.getsockname()[1]),
                     str(how), "fuzz", "secret"],
                    capture_output=True, text=True, timeout=30)
                t.join(15)
                listener.close()
                with open(os.path.join(out, name), "wb") as f:
                    f.write(bytes([seed, how]) + b"".join(record))
                print(name, res.stdout.strip(), sum(map(len, record)),
                      "bytes")
        finally:
            harness.stop(tmp)


if __name__ == "__main__":
    main()
