#!/bin/sh
# The official TypeScript client @ratio1/edge-sdk-ts, installed from npm into
# the build directory (kept between runs), runs getStatus, set, get, hset,
# hget and hgetall against our node's CStore HTTP API: two headless nodes
# over a real mosquitto, the client talking to A, B confirming its writes.
. "$R1_SRCDIR/tests/lib.sh"

. "$R1_SRCDIR/tests/integration/npm/install_sdk.sh"

CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
mport=$(free_port)
start_mosquitto "$mport" "set_tcp_nodelay true"
mkdir -p "$T/a" "$T/b"
A=$("$CLIENT" --new-key "$T/a/e2.pem")
B=$("$CLIENT" --new-key "$T/b/e2.pem")
port=$(free_port)
bport=$(free_port)
"$R1CONSOLE" node --alias sdk-a --data "$T/a" --broker "mqtt://127.0.0.1:$mport" --allow "$B" \
	--oracle --trust-oracle "$A" --heartbeat-period 1 --netmon-period 1 --cstore-port "$port" \
	--log "$T/a.log" 2>"$T/a.err" &
cleanup_pid $!
"$R1CONSOLE" node --alias sdk-b --data "$T/b" --broker "mqtt://127.0.0.1:$mport" --allow "$A" \
	--trust-oracle "$A" --heartbeat-period 1 --netmon-period 1 --cstore-port "$bport" \
	--log "$T/b.log" 2>"$T/b.err" &
cleanup_pid $!
ready() { "$R1CONSOLE" cstore set "mesh:$1" 1 --port "$2" >/dev/null 2>&1; }
wait_for 60 ready a "$port"
must $? "node A's replicated writes are confirmed" "node A's writes are never confirmed: $(tail -5 "$T/a.log")"
wait_for 60 ready b "$bport"
must $? "two nodes replicate over mosquitto" "node B never found A: $(tail -5 "$T/b.log")"
is "$("$R1CONSOLE" cstore set ro:b '"owned by B"' --readonly --port "$bport")" "OK" \
	"B writes a readonly key"

SDK_DIR="$SDK_DIR" CSTORE_URL="http://localhost:$port" RO_KEY="ro:b" \
	node "$R1_SRCDIR/tests/integration/cstore_sdk_ts.mjs" >"$T/sdk.out" 2>"$T/sdk.err"
ok $? "the client script exits cleanly"
n=0
while read -r tag pass name; do
	[ "$tag" = RESULT ] || continue
	n=$((n + 1))
	[ "$pass" = 1 ]
	ok $? "sdk: $name"
done <"$T/sdk.out"
[ "$n" -ge 20 ]
ok $? "the client ran every check ($n)"
[ -s "$T/sdk.err" ] && diag "$(head -20 "$T/sdk.err")"
tap_done
