#!/bin/bash
# Manual check (not part of make check: the reference's sources are not in
# CI): the reference's own CStore (naeural_core's chain_store_base.py, its
# messages signed and encrypted by the real Python SDK) as a peer of our
# node on a local mosquitto.  Sets, confirmations, hash keys, hsync in both
# directions, readonly and deletes.
#
#   SDK_DIR=/path/to/ratio1_sdk CORE_DIR=/path/to/naeural_core \
#       tests/manual/cstore_ref_peer.sh [BUILD_DIR]
#
# SDK_DIR and CORE_DIR are exports of github.com/Ratio1/ratio1_sdk and
# github.com/Ratio1/naeural_core (only chain_store_base.py is read from the
# latter).  Python packages as in ../shared/tools/sdk-peer/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
R1=$build/r1console
CLIENT=$build/tests/integration/node_client
: "${SDK_DIR:?set SDK_DIR to an export of github.com/Ratio1/ratio1_sdk}"
: "${CORE_DIR:?set CORE_DIR to an export of github.com/Ratio1/naeural_core}"
STANDINS=${STANDINS:-$here/../../../shared/tools/sdk-peer/stand-ins}
T=$(mktemp -d)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port)
http=$(free_port)
pids=""
trap 'kill $pids 2>/dev/null; rm -rf "$T"' EXIT
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n' "$port" >"$T/m.conf"
mosquitto -c "$T/m.conf" >"$T/mosq.log" 2>&1 & pids="$pids $!"
sleep 0.5
mkdir -p "$T/node" "$T/home/refpeer/_data"
NODE=$("$CLIENT" --new-key "$T/node/e2.pem")
PEER=$("$CLIENT" --new-key "$T/home/refpeer/_data/refpeer.pem")
echo "our node: $NODE"
echo "reference peer: $PEER"
"$R1" node --alias ours --data "$T/node" --broker "mqtt://127.0.0.1:$port" --allow "$PEER" \
	--cstore-port "$http" --log-level debug --log "$T/node.log" & pids="$pids $!"
for _ in $(seq 50); do [ -s "$T/node/cstore-api.port" ] && break; sleep 0.1; done
HOME=$T/home EE_VPN_IMPL=true CORE_DIR=$CORE_DIR PYTHONPATH="$SDK_DIR:$STANDINS" /usr/bin/python3 \
	"$here/cstore_ref_peer.py" "$port" "$T/home/refpeer/_data/refpeer.pem" "$NODE" "$http" "$R1" \
	2>"$T/peer.err" | tee "$T/results"
pass=$(grep -c '^RESULT 1' "$T/results" || true)
fail=$(grep -c '^RESULT 0' "$T/results" || true)
echo "passed $pass, failed $fail"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ] || { tail -20 "$T/peer.err"; grep -i cstore "$T/node.log" | tail -20; exit 1; }
