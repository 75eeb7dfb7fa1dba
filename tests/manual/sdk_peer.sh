#!/bin/bash
# Manual check (not part of make check: the SDK is not available in CI):
# the real Ratio1 Python SDK as a peer of our nodes on a local mosquitto.
#
#   SDK_DIR=/path/to/ratio1_sdk tests/manual/sdk_peer.sh [BUILD_DIR]
#
# Needs the Debian packages of ../shared/tools/sdk-peer/README.md.  Starts a
# broker, an oracle and an edge node (both --no-eth: the SDK run with
# EE_VPN_IMPL turns ETH off and cannot read indexed whitelists), allows the
# SDK's key on both, and runs sdk_peer.py: online and peered, deploy a Void
# pipeline with two ECHO_01 instances, payloads, an instance command, close.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
R1=$build/r1console
: "${SDK_DIR:?set SDK_DIR to an export of github.com/Ratio1/ratio1_sdk}"
STANDINS=${STANDINS:-$here/../../../shared/tools/sdk-peer/stand-ins}
T=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
pids=""
trap 'kill $pids 2>/dev/null; rm -rf "$T"' EXIT
mosquitto -p "$port" >"$T/mosq.log" 2>&1 & pids="$pids $!"
sleep 0.5
run_sdk() {
	HOME=$T EE_VPN_IMPL=true PYTHONPATH="$SDK_DIR:$STANDINS" /usr/bin/python3 \
		"$here/sdk_peer.py" "$port" "$@"
}
CLIENT=$(run_sdk none addr 2>/dev/null | sed -n 's/^CLIENT //p')
echo "SDK address: $CLIENT"
for who in oracle edge; do
	"$R1" node allow --data "$T/$who" "$CLIENT" sdk >/dev/null
done
"$R1" node --alias oracle1 --oracle --no-eth --netmon-period 5 --data "$T/oracle" \
	--broker "mqtt://127.0.0.1:$port" --log "$T/oracle.log" & pids="$pids $!"
"$R1" node --alias edge1 --no-eth --data "$T/edge" --broker "mqtt://127.0.0.1:$port" \
	--log "$T/edge.log" & pids="$pids $!"
sleep 2
EDGE=$("$R1" node address --data "$T/edge")
echo "edge node: $EDGE"
run_sdk "$EDGE" 2>&1 | grep -E '^(CLIENT|NODE|ACTIVE|ALLOWED|DEPLOYED|PAYLOADS|COMMAND|ECHOES|CLOSED)|Traceback|<NC>.*Received'
