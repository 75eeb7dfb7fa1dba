#!/bin/sh
# CStore across three headless nodes over a real mosquitto: A (an oracle,
# MIN_CONFIRMATIONS 2), B and C, each allowing the other two and trusting
# A's NET_MON_01 for who is online.  Driven with `r1console cstore` through
# each node's HTTP API:
#   - a set on A waits for two confirmations and the value is on B and C;
#   - a readonly key owned by A cannot be overwritten from B;
#   - a key written with a token refuses writes without it (or with another);
#   - C misses writes while it is down, and repairs the hash with hsync until
#     it equals A;
#   - every node exits cleanly (the sanitizers would make it fail otherwise).
. "$R1_SRCDIR/tests/lib.sh"

CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
port=$(free_port)
start_mosquitto "$port" "set_tcp_nodelay true"
BROKER="mqtt://127.0.0.1:$port"

for n in a b c; do
	mkdir -p "$T/$n"
	eval "ADDR_$n=\$(\"\$CLIENT\" --new-key \"\$T/\$n/e2.pem\")"
	eval "HTTP_$n=\$(free_port)"
done
# a console user the nodes allow, and a stranger they do not
CLI_ADDR=$("$CLIENT" --new-key "$T/cli.pem")
"$CLIENT" --new-key "$T/stranger.pem" >/dev/null

start_node() { # start_node a|b|c EXTRA...
	n=$1; shift
	eval "hp=\$HTTP_$n"
	others="--allow $CLI_ADDR"
	for m in a b c; do
		[ "$m" = "$n" ] && continue
		eval "others=\"\$others --allow \$ADDR_$m\""
	done
	# shellcheck disable=SC2086
	"$R1CONSOLE" node --alias "cs-$n" --data "$T/$n" --broker "$BROKER" $others \
		--trust-oracle "$ADDR_a" --heartbeat-period 1 --netmon-period 1 --online-timeout 3 \
		--cstore-port "$hp" --log-level debug --log "$T/$n.log" "$@" 2>>"$T/$n.err" &
	eval "PID_$n=$!"
	cleanup_pid $!
	wait_for 15 test -s "$T/$n/cstore-api.port" ||
		bail "node $n has no CStore API: $(tail -5 "$T/$n.log")"
}

cs() { # cs a|b|c ARGS...
	n=$1; shift
	eval "hp=\$HTTP_$n"
	"$R1CONSOLE" cstore "$@" --port "$hp" --timeout 40
}

start_node a --oracle --cstore-min-confirms 2
start_node b
start_node c
is "$(cat "$T/a/cstore-api.port")" "$HTTP_a" "A records its API port in its directory"

# The mesh is ready when A's write finds both peers online (A's own
# registry) and both confirm, and when B and C have an oracle map that
# shows their peers online (NET_MON_01 runs every 10 s in admin_pipeline).
ready() { cs "$1" set "mesh:$1" 1 >/dev/null 2>&1; }
wait_for 60 ready a
must $? "A's first write is confirmed once B and C are online" \
	"A's first replicated write never completed: $(tail -5 "$T/a.log")"
wait_for 60 ready b
must $? "B sees its peers online" "B never found its peers: $(tail -5 "$T/b.log")"
wait_for 60 ready c
must $? "C sees its peers online" "C never found its peers: $(tail -5 "$T/c.log")"

t0=$(date +%s%N)
is "$(cs a set app:config '{"replicas": 3, "name": "demo"}')" "OK" \
	"a set on A with MIN_CONFIRMATIONS 2 completes"
t1=$(date +%s%N)
diag "replicated set on A: $(( (t1 - t0) / 1000000 )) ms including the CLI's start"
is "$(cs b get app:config)" '{"replicas":3,"name":"demo"}' "the value is on B"
is "$(cs c get app:config)" '{"replicas":3,"name":"demo"}' "the value is on C"
like "$(cs a get app:config --json)" '"ee_node_alias": "cs-a"' "A's API answers as cs-a"

# readonly
is "$(cs a set ro:owner '"A"' --readonly)" "OK" "A writes a readonly key"
wait_for 10 sh -c "[ \"\$('$R1CONSOLE' cstore get ro:owner --port $HTTP_b)\" = '\"A\"' ]"
ok $? "B received it"
cs b set ro:owner '"B"' >"$T/o" 2>&1
is "$?" "1" "B cannot overwrite A's readonly key"
like "$(cat "$T/o")" "readonly" "and is told why"
is "$(cs a get ro:owner)" '"A"' "A keeps its value"
is "$(cs b get ro:owner)" '"A"' "B keeps A's value"
is "$(cs c get ro:owner)" '"A"' "C keeps A's value"

# token
is "$(cs a set tok:secret 41 --token sesame)" "OK" "A writes a key with a token"
wait_for 10 sh -c "'$R1CONSOLE' cstore get tok:secret --token sesame --port $HTTP_b >/dev/null"
ok $? "B received it"
cs b get tok:secret >/dev/null 2>&1
is "$?" "1" "without the token the key reads as missing"
cs b set tok:secret 42 >"$T/o" 2>&1
is "$?:$(cat "$T/o" | grep -c token)" "1:1" "a write without the token is refused"
cs b set tok:secret 42 --token wrong >"$T/o" 2>&1
is "$?:$(cat "$T/o" | grep -c token)" "1:1" "a write with another token is refused"
is "$(cs a get tok:secret --token sesame)" "41" "A's value is unchanged"
is "$(cs b set tok:secret 42 --token sesame)" "OK" "the right token opens it"
wait_for 10 sh -c "[ \"\$('$R1CONSOLE' cstore get tok:secret --token sesame --port $HTTP_a)\" = 42 ]"
ok $? "and the write reaches A"

# C misses writes while it is down, then repairs the hash with hsync
kill -TERM "$PID_c"
wait "$PID_c"
is "$?" "0" "C stops cleanly"
for f in alice bob carol; do
	is "$(cs b hset players "$f" "{\"score\": ${#f}}")" "OK" "B writes players[$f] while C is down"
done
is "$(cs a hgetall players | wc -l | tr -d ' ')" "3" "A has the three fields"
start_node c
is "$(cs c hgetall players | wc -l | tr -d ' ')" "0" "C came back without them"
# C's first hsync needs a peer it believes online: A's next map
synced() { cs c hsync players >"$T/hsync.out" 2>&1; }
wait_for 40 synced
ok $? "C's hsync finds a peer"
like "$(cat "$T/hsync.out")" "^merged 3 field\(s\) of players from 0xai_" "and merges the three"
is "$(cs c hgetall players)" "$(cs a hgetall players)" "C's players now equal A's"
is "$(cs c hget players carol)" '{"score":5}' "hget on C"
is "$(cs c get app:config)" '{"replicas":3,"name":"demo"}' "C kept what it had before"

# the same commands for nodes elsewhere: over the broker, CSTORE_REQ/CSTORE_RESP
remote() { # remote KEY-FILE NODE ARGS...
	key=$1; node=$2; shift 2
	XDG_STATE_HOME="$T/cli-state" XDG_CONFIG_HOME="$T/cli-config" XDG_DATA_HOME="$T/cli-data" \
		"$R1CONSOLE" cstore "$@" --node "$node" --broker "$BROKER" --identity "$key" \
		--timeout 20
}
is "$(remote "$T/cli.pem" cs-b get app:config)" '{"replicas":3,"name":"demo"}' \
	"get on B over the network"
is "$(remote "$T/cli.pem" cs-c set remote:key '"from afar"')" "OK" "set on C over the network"
is "$(cs a get remote:key)" '"from afar"' "and it replicated to A"
remote "$T/cli.pem" cs-b set ro:owner '"mine"' >"$T/o" 2>&1
is "$?:$(grep -c readonly "$T/o")" "1:1" "the readonly rule holds over the network"
like "$(remote "$T/cli.pem" cs-c hsync players)" "^merged [0-9]+ field\(s\) of players from 0xai_" \
	"hsync over the network"
is "$(remote "$T/cli.pem" cs-b hgetall players | wc -l | tr -d ' ')" "3" "hgetall over the network"
XDG_STATE_HOME="$T/s2" XDG_CONFIG_HOME="$T/c2" XDG_DATA_HOME="$T/d2" \
	"$R1CONSOLE" cstore get app:config --node cs-b --broker "$BROKER" \
	--identity "$T/stranger.pem" --timeout 3 >"$T/o" 2>&1
is "$?" "3" "a client the node does not allow gets no answer (timeout)"

# the nodes' counters: refusals were the readonly and token writes, all local
like "$(cs a get mesh:ready --json)" '"server_node_addr": "0xai_' "the envelope names the node"

for n in a b c; do
	eval "pid=\$PID_$n"
	kill -TERM "$pid"
	wait "$pid"
	is "$?" "0" "node $n exits cleanly"
done
grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$T"/*.err
is "$?" "1" "no sanitizer report in the node logs"
tap_done
