#!/bin/bash
# User and password: a wrong password is refused with a clear reason and the
# BUS_AUTH_REFUSED state; the right one (in the URL or as options) works.
. "$R1_SRCDIR/tests/lib.sh"

mosquitto_passwd -c -b "$T/passwd" alice 's3cr@t:pw' >/dev/null 2>&1 || bail "mosquitto_passwd"
port=$(free_port)
start_mosquitto_as_me "$port" "password_file $T/passwd
allow_anonymous false"
# A later allow_anonymous wins over lib.sh's default line.

out=$("$BUS_CLIENT" connect --url "mqtt://alice:wrong@127.0.0.1:$port" --id a1 --timeout 10 2>&1)
is "$?" 2 "wrong password: exit status says credentials refused"
like "$out" "^auth-refused: 127.0.0.1:$port refused the connection: Connection Refused: not authori[sz]ed" \
	"wrong password: a clear reason"

out=$("$BUS_CLIENT" connect --url "mqtt://127.0.0.1:$port" --id a2 --timeout 10 2>&1)
is "$?" 2 "no credentials: refused as well"

out=$("$BUS_CLIENT" connect --url "mqtt://alice:s3cr%40t%3Apw@127.0.0.1:$port" --id a3 --timeout 10 2>&1)
is "$?" 0 "right password in the URL (percent-encoded)"
like "$out" "^connected" "connected"

out=$("$BUS_CLIENT" connect --url "mqtt://127.0.0.1:$port" --user alice --pass 's3cr@t:pw' \
	--id a4 --timeout 10 2>&1)
is "$?" 0 "right password given as options"

"$BUS_CLIENT" sub --url "mqtt://alice:s3cr%40t%3Apw@127.0.0.1:$port" --id auth-sub \
	--filter 'auth/#' --count 100 --ready "$T/ready" --timeout 30 >"$T/sub.out" 2>&1 &
sub=$!
cleanup_pid $sub
wait_for 10 test -f "$T/ready" || bail "subscriber not ready"
"$BUS_CLIENT" pub --url "mqtt://127.0.0.1:$port" --user alice --pass 's3cr@t:pw' \
	--id auth-pub --topic auth/x --count 100 --qos 2 >"$T/pub.out" 2>&1
ok $? "authenticated publisher sent 100 QoS 2 messages"
wait $sub
like "$(cat "$T/sub.out")" "distinct=100 duplicates=0 missing=0" "authenticated subscriber got them"

tap_done
