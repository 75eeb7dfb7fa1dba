#!/bin/bash
# The same behavioural suite (pub/sub, wildcards, $ topics, QoS, ordering,
# pause and resume, unsubscribe, self-delivery) through bus_mqtt against a
# real mosquitto and through bus_local in-process; then the 2 MB cap on
# received messages.
. "$R1_SRCDIR/tests/lib.sh"

port=$(free_port)
start_mosquitto_as_me "$port"
url="mqtt://127.0.0.1:$port"

"$BUS_CLIENT" suite --url "$url" >"$T/mqtt.out" 2>"$T/mqtt.err"
rc=$?
tap_lines mqtt <"$T/mqtt.out"
ok $rc "mqtt: suite exit status"
[ $rc -eq 0 ] || { diag "stderr:"; sed 's/^/#   /' "$T/mqtt.err" | tail -20; }
is "$(grep -c '^PASS' "$T/mqtt.out")" 26 "mqtt: all 26 checks ran"

"$BUS_CLIENT" suite --local >"$T/local.out" 2>"$T/local.err"
rc=$?
tap_lines local <"$T/local.out"
ok $rc "local: suite exit status"
is "$(grep -c '^PASS' "$T/local.out")" 26 "local: all 26 checks ran"

# A message above 2 MB from another client is dropped and counted; the next
# one still arrives.
head -c $((2 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$T/big"
"$BUS_CLIENT" sub --url "$url" --id big-sub --filter 'big/#' --count 1 --ready "$T/ready" \
	--timeout 20 >"$T/big.out" 2>"$T/big.err" &
sub=$!
cleanup_pid $sub
wait_for 10 test -f "$T/ready" || bail "subscriber not ready"
mosquitto_pub -p "$port" -h 127.0.0.1 -q 1 -t big/x -f "$T/big"
mosquitto_pub -p "$port" -h 127.0.0.1 -q 1 -t big/x -m "seq=0 small"
wait $sub
ok $? "subscriber received the small message after the big one"
like "$(cat "$T/big.out")" "distinct=1 duplicates=0 missing=0 oversize_in=1" \
	"the 2 MB + 1 message was dropped and counted"

tap_done
