#!/bin/sh
# Run the NetX demo port against the bundled scripted server with a copy
# of the demo maildrop (the demo deletes what it reads), then check that
# it read and deleted every message.
#   run-demo.sh PATH/TO/netx_pop3_demo
set -eu
DEMO=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/pop3netx.XXXXXX)
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cp -r "$ROOT/examples/demo/maildrop" "$TMP/maildrop"
count=$(ls "$TMP/maildrop/demo" | wc -l)
"${PYTHON:-python3}" "$ROOT/tests/server/pop3d.py" --maildrop "$TMP/maildrop" \
    --user demo:demo-password --apop --port-file "$TMP/port" \
    --log "$TMP/log" --max-lifetime 120 &
PID=$!
i=0
while [ ! -s "$TMP/port" ]; do
    i=$((i + 1))
    [ $i -gt 200 ] && { echo "run-demo: server did not start" >&2; exit 1; }
    sleep 0.05
done
PORT=$(cat "$TMP/port")

POP3_PASSWORD=demo-password "$DEMO" 127.0.0.1 "$PORT" demo | tee "$TMP/out"

grep -q "^Got $count mail items" "$TMP/out" ||
    { echo "run-demo: wrong item count" >&2; exit 1; }
grep -q "^APOP demo " "$TMP/log" ||
    { echo "run-demo: APOP not used" >&2; exit 1; }
left=$(ls "$TMP/maildrop/demo" | wc -l)
[ "$left" -eq 0 ] ||
    { echo "run-demo: $left messages left, expected none" >&2; exit 1; }
echo "run-demo: read and deleted $count messages"
