#!/bin/sh
# kill -9 of a real node (r1console node over mosquitto) while a client
# streams config updates at it: each UPDATE_CONFIG changes both ECHO_01
# instances of one pipeline to generation G (MESSAGE "gG", a ~50 KB PAD
# starting "gG-").  After each kill the node is started again on the same
# directory, and what it runs (NetConfig through `r1console get apps`, then
# its payloads) is one whole generation, never a mix of two, and no newer
# than the last one sent.
. "$R1_SRCDIR/tests/lib.sh"

CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
command -v jq >/dev/null || bail "jq needed"
export XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state"
unset EE_MQTT_HOST EE_MQTT_PORT EE_MQTT_USER EE_MQTT EE_SECURED EE_ROOT_TOPIC EE_SDK_ALIAS
port=$(free_port)
start_mosquitto "$port"
BROKER="mqtt://127.0.0.1:$port"
R1=$R1CONSOLE

"$R1" keys new >/dev/null 2>&1
ME=$("$R1" config addr 2>/dev/null)
KEY="$XDG_DATA_HOME/r1console/client/e2.pem"
[ -f "$KEY" ] || bail "no client key at $KEY"
DIR="$T/node"
"$R1" keys new --data "$DIR" >/dev/null 2>&1
NODE=$("$R1" node address --data "$DIR")
# the node is its own oracle: `get apps` starts from an oracle's map
mkdir -p "$XDG_CONFIG_HOME/r1console"
cat >"$XDG_CONFIG_HOME/r1console/config" <<EOF
alias = kill-test
profile = it

[profile it]
broker = $BROKER
oracles = $NODE
timeout = 5
online-timeout = 4
EOF

RUNS=0
start_node() {
	RUNS=$((RUNS + 1))
	LOG="$T/node.$RUNS.log"
	"$R1" node --alias kn --data "$DIR" --broker "$BROKER" --allow "$ME" \
		--oracle --heartbeat-period 1 --netmon-period 1 --log "$LOG" 2>>"$T/node.err" &
	NODE_PID=$!
	cleanup_pid "$NODE_PID"
	wait_for 10 grep -q "connected to" "$LOG" 2>/dev/null
	must $? "run $RUNS: the node starts and connects" "the node did not start: $(tail -5 "$LOG")"
	sleep 0.3 # its subscriptions go out right after the connection
}

PAD=$(head -c 50000 /dev/zero | tr '\0' x)
config() { # config GEN
	inst() { printf '{"INSTANCE_ID":"%s","PROCESS_DELAY":0.5,"MESSAGE":"g%s","PAD":"g%s-%s"}' \
		"$1" "$2" "$2" "$PAD"; }
	printf '{"NAME":"gen","TYPE":"Void","PLUGINS":[{"SIGNATURE":"ECHO_01","INSTANCES":[%s,%s]}]}' \
		"$(inst e1 "$1")" "$(inst e2 "$1")"
}
client() { "$CLIENT" --broker "$BROKER" --key "$KEY" --node "$NODE" "$@"; }

start_node
client send UPDATE_CONFIG "$(config 0)" notif 1 gen notif 100 gen notif 100 gen \
	>>"$T/client.log" 2>&1
must $? "generation 0 deployed (PIPELINE_OK, PLUGIN_CONFIG_OK twice)" \
	"the first deploy failed: $(tail -3 "$T/client.log")"

# what the node runs: "GEN" when both instances hold generation GEN whole
running() {
	"$R1" get apps --json 2>>"$T/get.err" | jq -r '
		map(select(.alias == "kn")) | .[0].apps.gen.PLUGINS[0].INSTANCES as $i
		| if ($i | length) != 2 then "instances: \($i | length)"
		  elif $i[0].MESSAGE != $i[1].MESSAGE then "mixed: \($i[0].MESSAGE) \($i[1].MESSAGE)"
		  elif ($i | map(.MESSAGE as $m | .PAD | startswith($m + "-")) | all | not)
		  then "pad of another generation"
		  else ($i[0].MESSAGE | ltrimstr("g")) end'
}

highest=0
for round in 1 2 3; do
	rm -f "$T/stop"
	(
		g=$((round * 1000))
		while [ ! -f "$T/stop" ]; do
			client send UPDATE_CONFIG "$(config "$g")" >/dev/null 2>&1 && echo "$g" >"$T/sent"
			g=$((g + 1))
		done
	) &
	sender=$!
	# let a few generations land, then kill mid-stream
	wait_for 20 sh -c "[ \"\$(cat '$T/sent' 2>/dev/null || echo 0)\" -ge $((round * 1000 + 3)) ]"
	must $? "round $round: updates stream to the node" "no update was sent"
	kill -9 "$NODE_PID"
	wait "$NODE_PID" 2>/dev/null
	touch "$T/stop"
	wait "$sender"
	last=$(cat "$T/sent")
	start_node
	wait_for 20 sh -c "'$R1' get apps --json 2>/dev/null | jq -e 'map(select(.alias == \"kn\")) | .[0].apps.gen' >/dev/null"
	got=$(running)
	like "$got" '^[0-9]+$' "round $round: after kill -9 the node runs one whole generation ($got)"
	case $got in
	*[!0-9]* | '') got=-1 ;;
	esac
	[ "$got" -le "$last" ] && { [ "$got" -eq 0 ] || [ "$got" -ge $((round * 1000 - 1000)) ]; }
	ok $? "round $round: generation $got was sent (the last sent: $last)"
	client payload gen e1 "MESSAGE=g$got" payload gen e2 "MESSAGE=g$got" >>"$T/client.log" 2>&1
	ok $? "round $round: both instances run it (their payloads carry g$got)"
	[ "$got" -gt "$highest" ] && highest=$got
done
[ "$highest" -ge 1000 ]
ok $? "updates sent before a kill were kept (highest generation run: $highest)"
tap_done
