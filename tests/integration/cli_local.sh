#!/bin/sh
# The CLI on the embedded local network (no broker, no configuration): an
# oracle and the local node in the CLI's own process.  get nodes sees both,
# online and peered; a deploy to the local node is confirmed, shows up in
# get apps and survives into the next run (the node keeps its pipelines);
# pipeline close removes it; the settings commands work on a fresh machine.
. "$R1_SRCDIR/tests/lib.sh"

export XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state"
unset EE_MQTT_HOST EE_MQTT_PORT EE_MQTT_USER EE_MQTT EE_SECURED EE_ROOT_TOPIC EE_SDK_ALIAS
R1=$R1CONSOLE

J=$("$R1" get nodes --json 2>"$T/err")
is "$?" "0" "get nodes on the embedded network"
like "$(cat "$T/err")" "created a new identity" "the identity is created on first use"
is "$(echo "$J" | jq -r 'map(.alias) | sort | join(",")')" "local,oracle" "the oracle and the local node"
is "$(echo "$J" | jq -r 'map(.online and .peered) | all | tostring')" "true" "both online and peered"
is "$(echo "$J" | jq -r 'map(select(.oracle)) | .[0].alias')" "oracle" "the oracle is flagged"
like "$("$R1" config show)" "broker: +local = the embedded local network" "config show says local"

cat >"$T/job.json" <<'EOF'
{"NAME": "local-echo", "TYPE": "Void",
 "PLUGINS": [{"SIGNATURE": "ECHO_01", "INSTANCES": [{"INSTANCE_ID": "e1"}, {"INSTANCE_ID": "e2"}]}],
 "TARGETS": ["local"]}
EOF
OUT=$("$R1" deploy "$T/job.json" --yes)
is "$?" "0" "deploy to the local node"
like "$OUT" "local: deploy local-echo confirmed \(PIPELINE_OK, PLUGIN_CONFIG_OK e1, PLUGIN_CONFIG_OK e2\)" \
	"confirmed by PIPELINE_OK and both PLUGIN_CONFIG_OK"
APPS=$("$R1" get apps --json)
is "$(echo "$APPS" | jq -r 'map(select(.alias == "local")) | .[0].apps | keys | join(",")')" \
	"local-echo" "get apps, next run: the pipeline is still there"
is "$("$R1" get apps --full --json | jq -r 'map(select(.alias == "local")) | .[0].apps | has("admin_pipeline") | tostring')" \
	"true" "--full shows admin_pipeline"
I=$("$R1" inspect local)
like "$I" "Node alias: +local" "inspect names the node"
like "$I" "local-echo ECHO_01 \(e1\)" "inspect lists its instances"
OUT=$("$R1" pipeline close local local-echo)
is "$?" "0" "pipeline close"
is "$("$R1" get apps --json | jq -r 'map(select(.alias == "local")) | .[0].apps | length')" "0" \
	"the pipeline is gone"
"$R1" get avail local >"$T/avail" 2>&1
is "$?" "0" "get avail runs"
like "$(cat "$T/avail")" "Availability of 'local'" "get avail names the node"
"$R1" get nodes --bogus >/dev/null 2>&1
is "$?" "2" "unknown option: usage error"
"$R1" get nodes --timeout 0 >/dev/null 2>&1
is "$?" "2" "bad --timeout: usage error"
"$R1" get nodez >/dev/null 2>"$T/nodez.err"
is "$?" "2" "get of an unknown list: usage error"
is "$(cat "$T/nodez.err")" \
	"r1console: get: no list called 'nodez'; the lists are nodes, supervisors, apps and avail" \
	"and one line naming it and the lists there are"
tap_done
