#!/bin/sh
# The CLI against a real mosquitto with one oracle and two nodes, each a
# headless `r1console node` process: get nodes (online and peered flags),
# deploy of a two-node job, get apps from NetConfig, instance command,
# pipeline close, restart, a node killed going offline after the (short)
# online timeout, transactions to an offline and to a non-peered node
# timing out with a clear message, and bad input sending nothing.
. "$R1_SRCDIR/tests/lib.sh"

export XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state"
unset EE_MQTT_HOST EE_MQTT_PORT EE_MQTT_USER EE_MQTT EE_SECURED EE_ROOT_TOPIC EE_SDK_ALIAS
port=$(free_port)
start_mosquitto "$port"
BROKER="mqtt://127.0.0.1:$port"
R1=$R1CONSOLE

"$R1" keys new >/dev/null 2>&1
ME=$("$R1" config addr 2>/dev/null)
like "$ME" '^0xai_' "our identity"

# node directories and keys first, so each can be told the others' addresses
for n in oracle node-a node-b; do
	"$R1" keys new --data "$T/n-$n" >/dev/null 2>&1
done
addr_of() { "$R1" keys show --data "$T/n-$1" --json | jq -r .address; }
ORACLE=$(addr_of oracle)
NODE_A=$(addr_of node-a)
NODE_B=$(addr_of node-b)

start_node() { # start_node NAME EXTRA...
	_n=$1; shift
	"$R1" node --alias "$_n" --broker "$BROKER" --data "$T/n-$_n" \
		--heartbeat-period 1 --netmon-period 1 --trust-oracle "$ORACLE" "$@" \
		>"$T/$_n.log" 2>&1 &
	eval "PID_$(echo "$_n" | tr - _)=$!"
	cleanup_pid $!
}
start_node oracle --oracle --allow "$ME"
start_node node-a --allow "$ME"
start_node node-b

mkdir -p "$XDG_CONFIG_HOME/r1console"
cat >"$XDG_CONFIG_HOME/r1console/config" <<EOF
alias = cli-test
profile = it

[profile it]
broker = $BROKER
oracles = $ORACLE
timeout = 4
online-timeout = 4
EOF

all_online() {
	"$R1" get nodes --json 2>/dev/null | jq -e 'length == 3 and all(.[]; .online)' >/dev/null
}
wait_for 30 all_online
ok $? "the three nodes come online"

J=$("$R1" get nodes --json)
is "$(echo "$J" | jq -r 'map(.alias) | sort | join(",")')" "node-a,node-b,oracle" \
	"get nodes --json lists the three nodes"
is "$(echo "$J" | jq -r "map(select(.address == \"$ORACLE\")) | .[0] | [.oracle, .peered, .online] | map(tostring) | join(\",\")")" \
	"true,true,true" "oracle: oracle, peered, online"
is "$(echo "$J" | jq -r "map(select(.address == \"$NODE_A\")) | .[0] | [.oracle, .peered] | map(tostring) | join(\",\")")" \
	"false,true" "node-a: peered (it allows us)"
is "$(echo "$J" | jq -r "map(select(.address == \"$NODE_B\")) | .[0] | [.oracle, .peered] | map(tostring) | join(\",\")")" \
	"false,false" "node-b: not peered (secured, does not allow us)"

T80=$(COLUMNS=80 "$R1" get nodes)
ok $? "get nodes as a table"
like "$T80" "Online nodes on 'it' reported by <$ORACLE> 'oracle'" "r1ctl's header"
width=$(echo "$T80" | tail -n +3 | awk '{ if (length($0) > m) m = length($0) } END { print m }')
ok "$([ "$width" -le 80 ] && echo 0 || echo 1)" "the table fits in 80 columns ($width)"
is "$("$R1" get supervisors --json | jq -r 'map(.alias) | join(",")')" "oracle" "get supervisors"
is "$("$R1" get nodes --peered --json | jq -r 'map(.alias) | sort | join(",")')" "node-a,oracle" \
	"get nodes --peered"

# ---- deploy a two-node job
cat >"$T/job.json" <<EOF
{"NAME": "it-echo", "TYPE": "Void",
 "PLUGINS": [{"SIGNATURE": "ECHO_01", "INSTANCES": [{"INSTANCE_ID": "e1", "PROCESS_DELAY": 1}]}],
 "TARGETS": ["node-a", "$ORACLE"]}
EOF
OUT=$("$R1" deploy "$T/job.json" --yes 2>"$T/deploy.err")
rc=$?
is "$rc" "0" "deploy exits 0"
like "$OUT" "node-a: deploy it-echo confirmed \(PIPELINE_OK, PLUGIN_CONFIG_OK e1\)" \
	"node-a confirmed with the right codes"
like "$OUT" "oracle: deploy it-echo confirmed \(PIPELINE_OK, PLUGIN_CONFIG_OK e1\)" \
	"the oracle confirmed with the right codes"

APPS=$("$R1" get apps --node node-a --json)
is "$(echo "$APPS" | jq -r '.[0].apps | keys | join(",")')" "it-echo" \
	"get apps shows the pipeline from NetConfig"
like "$(COLUMNS=100 "$R1" get apps --node node-a)" "it-echo +ECHO_01 +e1" "get apps table"

OUT=$("$R1" instance command node-a it-echo ECHO_01 e1 PING --params '{"x": 1}' --json)
is "$?" "0" "instance command exits 0"
is "$(echo "$OUT" | jq -r '.[0].confirmed_by')" "PIPELINE_OK, PLUGIN_INSTANCE_COMMAND_OK e1" \
	"instance command confirmed by PLUGIN_INSTANCE_COMMAND_OK"
"$R1" instance command node-a it-echo ECHO_01 e1 '{"RAISE": true}' >/dev/null 2>"$T/raise.err"
is "$?" "1" "a failing instance command exits 1"
like "$(cat "$T/raise.err")" "failed: .*RAISE requested" "and says it failed, with the node's reason"

OUT=$("$R1" pipeline close node-a it-echo)
is "$?" "0" "pipeline close exits 0"
like "$OUT" "close it-echo confirmed \(PIPELINE_ARCHIVE_OK\)" "confirmed by PIPELINE_ARCHIVE_OK"

# ---- a node that does not allow us: it refuses (COMM_RECEIVED_BAD_COMMAND)
"$R1" restart node-b --timeout 3 >/dev/null 2>"$T/nb.err"
is "$?" "1" "restart of a non-peered node fails (exit 1)"
like "$(cat "$T/nb.err")" "does not allow this client" "warned first"
like "$(cat "$T/nb.err")" "RESTART failed: .*not authorized" "then the node's refusal"

# ---- on a terminal the CLI asks first: "n" sends nothing, "y" goes on
# (script(1) gives the command a pty; the answer waits in its input queue)
OUT=$(echo n | script -qec "'$R1' restart node-a" /dev/null)
is "$?" "1" "restart answered 'n' on a terminal exits 1"
like "$OUT" "Send RESTART to node 'node-a' <0xai_[^>]*>\? \[y/N\]" "it asked, naming the node"
like "$OUT" "Nothing sent\." "and says nothing was sent"
kill -0 "$PID_node_a" 2>/dev/null
ok $? "node-a still runs"

# ---- restart: acknowledged, the daemon exits with the reference's 10
OUT=$(echo y | script -qec "'$R1' restart node-a" /dev/null)
is "$?" "0" "restart answered 'y' exits 0"
like "$OUT" "node-a: RESTART confirmed \(acknowledged\)" "restart acknowledged by the node"
wait "$PID_node_a"
is "$?" "10" "node-a exited with 10 (restart)"

# ---- a killed node goes offline after the online timeout
kill -9 "$PID_node_b"
wait "$PID_node_b" 2>/dev/null
b_offline() {
	"$R1" get nodes --all --json 2>/dev/null |
		jq -e "map(select(.address == \"$NODE_B\")) | .[0].online == false" >/dev/null
}
wait_for 30 b_offline
ok $? "node-b offline after the online timeout"
"$R1" restart node-b --timeout 2 >/dev/null 2>"$T/off.err"
is "$?" "3" "a transaction to an offline node exits 3"
like "$(cat "$T/off.err")" "offline" "and says the node is offline"

# ---- bad input sends nothing
mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'naeural/+/config' >"$T/sent.txt" 2>/dev/null &
SUB=$!
cleanup_pid $SUB
sleep 0.5
bad() { # bad NAME FILE-CONTENT EXPECTED-RC REGEX
	printf '%s' "$2" >"$T/bad.json"
	"$R1" deploy "$T/bad.json" --yes >/dev/null 2>"$T/bad.err"
	is "$?" "$3" "$1: exit $3"
	is "$(wc -l <"$T/bad.err" | tr -d ' ')" "1" "$1: one line"
	like "$(cat "$T/bad.err")" "$4" "$1: says what is wrong"
}
GOODP='"PLUGINS": [{"SIGNATURE": "ECHO_01", "INSTANCES": [{"INSTANCE_ID": "e1"}]}]'
bad "unknown alias" "{\"NAME\": \"x\", \"TYPE\": \"Void\", $GOODP, \"TARGETS\": [\"nosuch\"]}" 1 \
	"no node 'nosuch'"
bad "invalid JSON" "{\"NAME\": \"x\",
 \"TYPE\": }" 2 "bad.json:2:10: invalid JSON"
bad "invalid address" "{\"NAME\": \"x\", \"TYPE\": \"Void\", $GOODP, \"TARGETS\": [\"0xai_AAAA\"]}" 2 \
	"TARGETS\\[0\\]: '0xai_AAAA' is not a valid node address"
bad "missing PLUGINS" "{\"NAME\": \"x\", \"TYPE\": \"Void\", \"TARGETS\": [\"node-a\"]}" 2 \
	"missing PLUGINS"
bad "missing NAME" "{\"TYPE\": \"Void\", $GOODP, \"TARGETS\": [\"node-a\"]}" 2 "missing NAME"
"$R1" restart 0xai_notvalid >/dev/null 2>"$T/bad.err"
is "$?" "2" "restart of an invalid address is a usage error"
"$R1" instance command node-a p S i X --params '{bad' >/dev/null 2>"$T/bad.err"
is "$?" "2" "bad --params JSON is a usage error"
sleep 1
kill "$SUB"
is "$(grep -c . "$T/sent.txt")" "0" "nothing was published to a config topic"

# ---- the audit log has every command sent
AUDIT=$(sqlite3 "$XDG_STATE_HOME/r1console/cache.db" "SELECT action || ':' || outcome FROM audit ORDER BY id")
like "$AUDIT" "UPDATE_CONFIG:ok" "audit: deploys"
like "$AUDIT" "ARCHIVE_CONFIG:ok" "audit: close"
like "$AUDIT" "RESTART:timeout" "audit: the timed-out restart"

tap_done
