#!/bin/bash
# The broker is stopped (SIGTERM, it saves its persistence file) in the middle
# of a QoS 1 stream and started again one second later on the same port.
# The publisher queues what it publishes meanwhile, reconnects and resends;
# the subscriber (persistent session, stable client id) reconnects and
# resubscribes.  Every one of the N messages must arrive: counted exactly.
. "$R1_SRCDIR/tests/lib.sh"

N=3000
port=$(free_port)
start_mosquitto_as_me "$port" "persistence true
persistence_location $T/"
url="mqtt://127.0.0.1:$port"

"$BUS_CLIENT" sub --url "$url" --id r1-restart-sub --persistent --filter 'restart/#' \
	--count $N --ready "$T/ready" --progress "$T/progress" --timeout 120 \
	>"$T/sub.out" 2>"$T/sub.err" &
sub=$!
cleanup_pid $sub
wait_for 10 test -f "$T/ready" || bail "subscriber not ready"

"$BUS_CLIENT" pub --url "$url" --id r1-restart-pub --topic restart/x --count $N --qos 1 \
	--size 300 --interval-ms 1 --timeout 120 >"$T/pub.out" 2>"$T/pub.err" &
pub=$!
cleanup_pid $pub

wait_for 30 file_at_least "$T/progress" 500 || bail "no progress before the restart"
before=$(cat "$T/progress")
stop_mosquitto "$port"
sleep 1
restart_mosquitto "$port"
diag "broker restarted after $before messages had arrived"

wait $pub
ok $? "publisher finished: everything acknowledged"
like "$(cat "$T/pub.out")" "published=$N queued=0 reconnects=[1-9]" "publisher reconnected"
grep -q 'r1-restart-pub: disconnected: lost connection' "$T/pub.err"
ok $? "publisher reported the lost connection"
wait $sub
ok $? "subscriber finished"
sub_out=$(cat "$T/sub.out")
like "$sub_out" "distinct=$N duplicates=[0-9]+ missing=0" "all $N QoS 1 messages arrived, none lost"
diag "subscriber: $sub_out"
is "$(grep -c 'r1-restart-sub: connected' "$T/sub.err")" 2 "subscriber connected twice"
is "$(grep -c 'Saving in-memory database' "$T/mosq-$port.log")" 1 "the broker saved its state once"

tap_done
