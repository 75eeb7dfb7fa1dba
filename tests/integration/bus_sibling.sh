#!/bin/sh
# bus_open_sibling over mosquitto with a password file: a sibling of an MQTT
# endpoint connects with the first one's credentials (from the URL or from
# the user/password options) under its own client id and carries messages
# both ways; with a wrong password both are refused.  (node_open_session
# opens its session's endpoint this way.)
. "$R1_SRCDIR/tests/lib.sh"

SIB="$R1_BUILDDIR/tests/integration/bus_sibling"
[ -x "$SIB" ] || bail "missing $SIB"
mosquitto_passwd -c -b "$T/passwd" alice 's3cr@t:pw' >/dev/null 2>&1 || bail "mosquitto_passwd"
port=$(free_port)
start_mosquitto_as_me "$port" "password_file $T/passwd
allow_anonymous false"

out=$("$SIB" "mqtt://alice:s3cr%40t%3Apw@127.0.0.1:$port" 2>&1)
is "$?" 0 "credentials in the URL: the sibling connects too"
is "$out" "first=connected sibling=connected id=sibling-test_SESSION to_sibling=5 from_sibling=5" \
	"under its own client id, messages both ways"

out=$("$SIB" "mqtt://127.0.0.1:$port" --user alice --pass 's3cr@t:pw' 2>&1)
is "$?" 0 "credentials as options: the sibling inherits them"

out=$("$SIB" "mqtt://alice:wrong@127.0.0.1:$port" --timeout 10 2>&1)
is "$?" 2 "a wrong password: both refused"
like "$out" "first=auth-refused sibling=auth-refused" "and both say so"

tap_done
