#!/bin/sh
# The official TypeScript client @ratio1/edge-sdk-ts (installed from npm into
# the build directory, shared with the CStore test) adds and gets files
# through our nodes' R1FS HTTP API: two headless nodes over a real
# mosquitto, files added on one read through the other (the blocks move by
# the exchange over the bus).
. "$R1_SRCDIR/tests/lib.sh"

. "$R1_SRCDIR/tests/integration/npm/install_sdk.sh"

CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
mport=$(free_port)
start_mosquitto "$mport" "set_tcp_nodelay true"
mkdir -p "$T/a" "$T/b"
A=$("$CLIENT" --new-key "$T/a/e2.pem")
B=$("$CLIENT" --new-key "$T/b/e2.pem")
aport=$(free_port)
bport=$(free_port)
for n in a b; do
	if [ $n = a ]; then other=$B; port=$aport; else other=$A; port=$bport; fi
	"$R1CONSOLE" node --alias "sdk-$n" --data "$T/$n" --broker "mqtt://127.0.0.1:$mport" \
		--allow "$other" --heartbeat-period 1 --cstore-port 0 --r1fs-port "$port" \
		--log "$T/$n.log" 2>"$T/$n.err" &
	cleanup_pid $!
	wait_for 15 test -s "$T/$n/r1fs-api.port" || bail "node $n has no R1FS API: $(tail -5 "$T/$n.log")"
done
# each node has heard the other's first announcement
wait_for 20 sh -c "curl -s http://127.0.0.1:$aport/peers | grep -q sdk-b && curl -s http://127.0.0.1:$bport/peers | grep -q sdk-a"
ok $? "the two nodes heard each other's R1FS announcements"

SDK_DIR="$SDK_DIR" R1FS_A="http://localhost:$aport" R1FS_B="http://localhost:$bport" \
	node "$R1_SRCDIR/tests/integration/r1fs_sdk_ts.mjs" >"$T/sdk.out" 2>"$T/sdk.err"
ok $? "the client script exits cleanly"
n=0
while read -r tag pass name; do
	[ "$tag" = RESULT ] || continue
	n=$((n + 1))
	[ "$pass" = 1 ]
	ok $? "sdk: $name"
done <"$T/sdk.out"
[ "$n" -ge 26 ]
ok $? "the client ran every check ($n)"
[ -s "$T/sdk.err" ] && diag "$(head -20 "$T/sdk.err")"
tap_done
