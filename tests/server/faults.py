"""The named misbehaviours of maildrop mode (--fault NAME), with the help
text that --help and the README show."""

FAULTS = {
    # greeting
    "greeting-err": 'greeting is "-ERR go away", then close',
    "silent": "accept and never send anything; keep the socket open",
    "no-greeting-ok": 'greeting is "HELLO there" (no +OK); then as usual',
    "close-after-greeting": "send the normal greeting, then close",
    "apop-long-stamp": "greeting timestamp is 2000 characters long",
    "apop-unterminated": 'greeting has "<1234.5678@host" with no ">"',
    # how bytes reach the client
    "one-byte": "every byte sent in its own send() (~0.5 ms apart)",
    "coalesce": "replies queued; sent in one send() once the client has"
                " been idle for 20 ms",
    "bare-lf": "status lines end with LF only (bodies keep CRLF)",
    "terse-ok": 'every +OK status line is just "+OK", no text',
    # status lines
    "long-status": 'STAT reply is "+OK " + 100 KiB of "x"',
    "nul-status": 'STAT reply is "+OK 2\\x00 300"',
    "stat-overflow": 'STAT reply is "+OK 99999999999999999999999 1"',
    "stat-huge-count": 'STAT reply is "+OK 4294967295 1"',
    "stat-negative": 'STAT reply is "+OK -1 100"',
    "stat-garbage": 'STAT reply is "+OK many lots"',
    # listings
    "list-garbage": 'LIST (all) has a line "x y" among the valid ones',
    "list-overflow": "LIST (all) gives message 1 the size"
                     " 99999999999999999999",
    "uidl-garbage": 'UIDL (all) has a line "x" among the valid ones',
    "uidl-empty": 'UIDL (all) gives message 1 an empty UID ("1 ")',
    "uidl-slash": 'UIDL (all and n) gives every message the UID "../evil/N"',
    "uidl-long": "UIDL (all and n) gives message 1 a 1000-character UID",
    # bodies
    "close-mid-body": "RETR sends +OK and about half the message, then"
                      " closes",
    "reset-mid-body": "like close-mid-body but the close is a TCP RST",
    "close-mid-second-body": "the first RETR of a session is whole; every"
                             " later one is as close-mid-body",
    "never-end-body": 'RETR sends +OK and the message but never ".\\r\\n";'
                      " then hangs with the connection open",
    "huge-body-line": "RETR 1 (and its LIST/STAT size) is one 10 MiB line"
                      " of 'a' + CRLF, generated on the fly",
    # other replies
    "capa-err": "CAPA gets -ERR",
    "dele-err": "DELE gets -ERR (nothing is marked)",
    "close-on-quit": "QUIT gets no reply, the connection is just closed"
                     " (nothing applied)",
    "in-use": 'every PASS/APOP gets "-ERR [IN-USE] locked"',
    "login-delay": 'every PASS gets "-ERR [LOGIN-DELAY] wait"',
    "sys-temp": 'every login gets "-ERR [SYS/TEMP] ..."',
    "sys-perm": 'every login gets "-ERR [SYS/PERM] ..."',
    "auth-no-code": 'a wrong password gets "-ERR invalid credentials"'
                    " (no [AUTH])",
    # TLS (with --tls-cert)
    "stls-err": "STLS gets -ERR",
    "stls-inject": 'the +OK to STLS comes with "+OK injected\\r\\n" in the'
                   " same segment, then the handshake",
    "stls-stall": "STLS gets +OK, then no handshake: the server hangs",
    # SASL (with --sasl)
    "ir-refused": "AUTH with an initial response gets a plain -ERR (the"
                  " one-step form refused, as Office 365 does)",
    "sasl-bad-base64": "the first SASL challenge is not base64",
    "scram-bad-nonce": "SCRAM server nonce does not extend the client's",
    "scram-bad-signature": "SCRAM server signature is wrong",
    "scram-skip-signature": "SCRAM sends +OK without its server signature",
    "scram-server-error": 'SCRAM\'s server-final is "e=other-error": the'
                          ' client must cancel with "*" (then -ERR)',
}


def help_text():
    width = max(len(n) for n in FAULTS)
    return "\n".join("  %-*s  %s" % (width, n, d) for n, d in FAULTS.items())
