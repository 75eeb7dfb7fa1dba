#!/bin/bash
# mqtts:// with a CA made for this test: the client verifies the broker's
# certificate (issued for 127.0.0.1) against the CA file; a client given the
# wrong CA refuses the broker with a TLS error.
. "$R1_SRCDIR/tests/lib.sh"

make_test_ca "$T/pki"
make_test_ca "$T/other" # a second, unrelated CA
port=$(free_port)
start_mosquitto_as_me "$port" "cafile $T/pki/ca.crt
certfile $T/pki/server.crt
keyfile $T/pki/server.key"
url="mqtts://127.0.0.1:$port"

out=$("$BUS_CLIENT" connect --url "$url" --ca "$T/pki/ca.crt" --id tls-c --timeout 10 2>&1)
ok $? "TLS connection verified with the test CA"
like "$out" "^connected" "state is connected"

"$BUS_CLIENT" suite --url "$url" --ca "$T/pki/ca.crt" >"$T/suite.out" 2>"$T/suite.err"
rc=$?
tap_lines tls <"$T/suite.out"
ok $rc "tls: behavioural suite over TLS"

"$BUS_CLIENT" sub --url "$url" --ca "$T/pki/ca.crt" --id tls-sub --filter 'tls/#' --count 500 \
	--ready "$T/ready" --timeout 30 >"$T/sub.out" 2>"$T/sub.err" &
sub=$!
cleanup_pid $sub
wait_for 10 test -f "$T/ready" || bail "TLS subscriber not ready"
"$BUS_CLIENT" pub --url "$url" --ca "$T/pki/ca.crt" --id tls-pub --topic tls/x --count 500 \
	--qos 1 --size 4096 --timeout 30 >"$T/pub.out" 2>"$T/pub.err"
ok $? "500 messages of 4 KiB published over TLS"
wait $sub
ok $? "subscriber finished"
like "$(cat "$T/sub.out")" "distinct=500 duplicates=0 missing=0" "all 500 received over TLS"

out=$("$BUS_CLIENT" connect --url "$url" --ca "$T/other/ca.crt" --id tls-bad --timeout 5 2>&1)
is "$?" 3 "a broker certificate from another CA is refused"
like "$out" "disconnected: cannot connect to 127.0.0.1:$port: .*(TLS|certificate|verify)" \
	"with a TLS error as the reason"

out=$("$BUS_CLIENT" connect --url "mqtt://127.0.0.1:$port" --id plain --timeout 5 2>&1)
is "$?" 3 "plain MQTT to a TLS listener does not connect"

tap_done
