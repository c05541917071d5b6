"""Python's poplib: fetch every message into memory, print the octets.

    python3 poplib_fetch.py HOST PORT USER PASS

retr() returns the message as a list of lines, unstuffed and without
their CRLF, so each line counts two octets more.
"""
import poplib
import sys


def main():
    host, port, user, password = sys.argv[1:5]
    client = poplib.POP3(host, int(port), timeout=120)
    client.user(user)
    client.pass_(password)
    count, _ = client.stat()
    octets = 0
    for n in range(1, count + 1):
        _, lines, _ = client.retr(n)
        octets += sum(len(line) + 2 for line in lines)
    client.quit()
    print(octets)


if __name__ == "__main__":
    main()
