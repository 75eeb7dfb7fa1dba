#!/bin/bash
# Two mosquitto brokers joined by mosquitto's own bridge ("topic # both 1"):
# a publisher on one and a subscriber on the other, both directions.  A
# network spread over several brokers works with no change in our code.
. "$R1_SRCDIR/tests/lib.sh"

N=2000
port_b=$(free_port)
start_mosquitto_as_me "$port_b"
port_a=$(free_port)
while [ "$port_a" = "$port_b" ]; do port_a=$(free_port); done
start_mosquitto_as_me "$port_a" "connection r1bridge
address 127.0.0.1:$port_b
topic # both 1
cleansession true"
wait_for 10 grep -q 'as .*r1bridge' "$T/mosq-$port_b.log" ||
	bail "the bridge did not connect: $(tail -3 "$T/mosq-$port_a.log")"
diag "bridge up: A=$port_a -> B=$port_b"

# bridge_carries FROM-PORT TO-PORT: a message published on one broker shows
# up on the other (published repeatedly until one does, at most 5 s).
bridge_carries() {
	mosquitto_sub -h 127.0.0.1 -p "$2" -t "probe/$1" -C 1 -W 10 >"$T/probe-$1" 2>&1 &
	_ps=$!
	cleanup_pid $_ps
	for _i in $(seq 50); do
		kill -0 $_ps 2>/dev/null || break
		mosquitto_pub -h 127.0.0.1 -p "$1" -q 1 -t "probe/$1" -m crossed
		sleep 0.1
	done
	wait $_ps
	[ "$(cat "$T/probe-$1")" = crossed ]
}

run() { # run NAME PUB-PORT SUB-PORT
	"$BUS_CLIENT" sub --url "mqtt://127.0.0.1:$3" --id "sub-$1" --filter "bridge/$1/#" \
		--count $N --ready "$T/ready-$1" --timeout 60 >"$T/sub-$1.out" 2>"$T/sub-$1.err" &
	_sub=$!
	cleanup_pid $_sub
	wait_for 10 test -f "$T/ready-$1" || bail "subscriber $1 not ready"
	bridge_carries "$2" "$3"
	ok $? "$1: the bridge carries messages"
	"$BUS_CLIENT" pub --url "mqtt://127.0.0.1:$2" --id "pub-$1" --topic "bridge/$1/x" \
		--count $N --qos 1 --size 500 --timeout 60 >"$T/pub-$1.out" 2>"$T/pub-$1.err"
	ok $? "$1: publisher finished"
	wait $_sub
	ok $? "$1: subscriber finished"
	like "$(cat "$T/sub-$1.out")" "distinct=$N duplicates=0 missing=0" \
		"$1: all $N messages crossed the bridge exactly once"
}
run a-to-b "$port_a" "$port_b"
run b-to-a "$port_b" "$port_a"

tap_done
