#!/bin/sh
# The node over a real mosquitto, driven by a client that signs and
# encrypts its commands as the SDK does: heartbeats, a Void pipeline with
# two ECHO_01 instances (PIPELINE_OK, then PLUGIN_CONFIG_OK for each,
# payloads), an instance command (PIPELINE_OK, PLUGIN_INSTANCE_COMMAND_OK and
# the reply payload), a config update, a restart of the node (the pipeline
# runs again, updated), the archive (PIPELINE_ARCHIVE_OK, payloads stop), a
# stranger refused (-5000), STOP and RESTART with their exit codes.
. "$R1_SRCDIR/tests/lib.sh"

CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
port=$(free_port)
start_mosquitto "$port"
BROKER="mqtt://127.0.0.1:$port"
ME=$("$CLIENT" --new-key "$T/client.pem")
STRANGER=$("$CLIENT" --new-key "$T/stranger.pem")
DIR="$T/node"

RUNS=0
start_node() {
	RUNS=$((RUNS + 1))
	LOG="$T/node.$RUNS.log"
	"$R1CONSOLE" node --alias it-node --data "$DIR" --broker "$BROKER" --allow "$ME" \
		--heartbeat-period 1 --log-level debug --log "$LOG" &
	NODE_PID=$!
	cleanup_pid "$NODE_PID"
	wait_for 10 test -s "$DIR/e2.pem" || bail "the node did not start: $(tail -5 "$LOG")"
	wait_for 10 grep -q "connected to" "$LOG" || bail "the node did not connect"
	# its subscriptions go out right after the connection
	sleep 0.3
}

client() { # client KEY STEP...
	key=$1; shift
	"$CLIENT" --broker "$BROKER" --key "$key" --node "$NODE" "$@" >>"$T/client.log" 2>&1
}

start_node
NODE=$("$R1CONSOLE" node address --data "$DIR")
like "$NODE" '^0xai_[A-Za-z0-9_-]{44}$' "the node has an address"
grep -q "$ME" "$DIR/authorized_addrs"
ok $? "--allow put the client in authorized_addrs"

client "$T/client.pem" heartbeat
ok $? "a v2 heartbeat that decodes with the reference's fields"

PIPE='{"NAME":"demo","TYPE":"Void","PLUGINS":[{"SIGNATURE":"ECHO_01","INSTANCES":[{"INSTANCE_ID":"e1","PROCESS_DELAY":0.5},{"INSTANCE_ID":"e2","PROCESS_DELAY":1}]}]}'
client "$T/client.pem" send UPDATE_CONFIG "$PIPE" notif 1 demo notif 100 demo notif 100 demo \
	payload demo e1 COUNTER payload demo e2 COUNTER
ok $? "deploy: PIPELINE_OK, PLUGIN_CONFIG_OK twice, payloads of both instances"

CMD='{"NAME":"demo","SIGNATURE":"ECHO_01","INSTANCE_ID":"e1","INSTANCE_CONFIG":{"INSTANCE_COMMAND":{"PING":1,"COMMAND_PARAMS":{"Who":"it"}}}}'
client "$T/client.pem" send UPDATE_PIPELINE_INSTANCE "$CMD" notif 1 demo notif 101 demo \
	payload demo e1 ECHO
ok $? "instance command: PIPELINE_OK, PLUGIN_INSTANCE_COMMAND_OK and the reply payload"

UPD='{"NAME":"demo","PLUGINS":[{"SIGNATURE":"ECHO_01","INSTANCES":[{"INSTANCE_ID":"e1","PROCESS_DELAY":0.5,"MESSAGE":"updated"}]}]}'
client "$T/client.pem" send UPDATE_CONFIG "$UPD" notif 1 demo payload demo e1 MESSAGE=updated
ok $? "update: PIPELINE_OK, then payloads with the new config"

kill -TERM "$NODE_PID"
wait "$NODE_PID"
is "$?" 0 "SIGTERM: clean exit 0"
start_node
client "$T/client.pem" payload demo e1 MESSAGE=updated
ok $? "restarted: the updated pipeline runs again"

kill -HUP "$NODE_PID"
wait_for 10 grep -q "configuration reloaded" "$LOG"
ok $? "SIGHUP reloads the configuration"
client "$T/client.pem" payload demo e1 MESSAGE=updated
ok $? "and the pipeline runs on"

client "$T/stranger.pem" send UPDATE_CONFIG '{"NAME":"evil","TYPE":"Void"}' notif -5000 -
ok $? "a stranger's command: COMM_RECEIVED_BAD_COMMAND"

"$R1CONSOLE" node allow --data "$DIR" "$STRANGER" newcomer >/dev/null
client "$T/stranger.pem" sleep 3 send UPDATE_CONFIG '{"NAME":"welcome","TYPE":"Void"}' \
	notif 1 welcome
ok $? "'node allow' while the node runs: the newcomer is accepted without a restart"

client "$T/client.pem" send ARCHIVE_CONFIG '"demo"' notif 4 demo no-payload demo 2
ok $? "archive: PIPELINE_ARCHIVE_OK, payloads stop"

client "$T/client.pem" send RESTART null sleep 0.5
wait "$NODE_PID"
is "$?" 10 "RESTART: the daemon exits with 10"
start_node
client "$T/client.pem" send STOP null sleep 0.5
wait "$NODE_PID"
is "$?" 0 "STOP: the daemon exits with 0"
cat "$T"/node.*.log | grep -q "ERROR\|AddressSanitizer"
is "$?" 1 "no errors in the node's log"
tap_done
