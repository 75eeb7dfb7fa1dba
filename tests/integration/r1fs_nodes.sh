#!/bin/sh
# R1FS between two headless nodes over a real mosquitto, each allowing the
# other and a console user, driven with `r1console r1fs` through each
# node's HTTP API and over the broker:
#   - a file added on A is fetched by B by its CID, byte-identical, and B
#     lists the transfer from A;
#   - a block corrupted on A's disk is refused by B, which says so;
#   - B killed (kill -9) in the middle of a transfer resumes after its
#     restart: the blocks it had are not asked again;
#   - with A frozen, B's fetch gives up after B's --r1fs-fetch-timeout with
#     a reason that names A;
#   - the same commands for a node elsewhere (--node, over the broker):
#     pins, get, add (the node fetches the file from the console and pins
#     it under the name the console sends, encrypted), and a console the
#     node does not allow is refused;
#   - both nodes exit cleanly (the sanitizers would make them fail otherwise).
. "$R1_SRCDIR/tests/lib.sh"

CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
command -v python3 >/dev/null || bail "python3 needed"
mport=$(free_port)
start_mosquitto "$mport" "set_tcp_nodelay true"
BROKER="mqtt://127.0.0.1:$mport"
mkdir -p "$T/a" "$T/b"
A=$("$CLIENT" --new-key "$T/a/e2.pem")
B=$("$CLIENT" --new-key "$T/b/e2.pem")
CLI=$("$CLIENT" --new-key "$T/cli.pem")
"$CLIENT" --new-key "$T/stranger.pem" >/dev/null
HTTP_a=$(free_port)
HTTP_b=$(free_port)

start_node() { # start_node a|b EXTRA...
	n=$1; shift
	if [ "$n" = a ]; then other=$B; hp=$HTTP_a; else other=$A; hp=$HTTP_b; fi
	rm -f "$T/$n/r1fs-api.port"
	"$R1CONSOLE" node --alias "r1-$n" --data "$T/$n" --broker "$BROKER" --allow "$other" \
		--allow "$CLI" --heartbeat-period 1 --cstore-port 0 --r1fs-port "$hp" \
		--log-level debug --log "$T/$n.log" "$@" 2>>"$T/$n.err" &
	eval "PID_$n=$!"
	cleanup_pid $!
	wait_for 15 test -s "$T/$n/r1fs-api.port" ||
		bail "node $n has no R1FS API: $(tail -5 "$T/$n.log")"
}

fs() { # fs a|b ARGS...: r1console r1fs through the node's HTTP API
	n=$1; shift
	eval "hp=\$HTTP_$n"
	"$R1CONSOLE" r1fs "$@" --port "$hp" --timeout 60
}

remote() { # remote KEY NODE ARGS...: over the broker
	key=$1; node=$2; shift 2
	XDG_STATE_HOME="$T/cli-state" XDG_CONFIG_HOME="$T/cli-config" XDG_DATA_HOME="$T/cli-data" \
		"$R1CONSOLE" r1fs "$@" --node "$node" --broker "$BROKER" --identity "$key" --timeout 30
}

transfer() { # transfer a|b FIELD: FIELD of the node's newest transfer
	eval "hp=\$HTTP_$1"
	curl -s "http://127.0.0.1:$hp/transfers" | python3 -c '
import json, sys
t = json.load(sys.stdin)["result"]
print(t[0].get(sys.argv[1]) if t else "none")' "$2"
}

start_node a
start_node b --r1fs-fetch-timeout 3
heard() { curl -s "http://127.0.0.1:$1/peers" | grep -q "$2"; }
wait_for 20 heard "$HTTP_a" r1-b && wait_for 20 heard "$HTTP_b" r1-a
ok $? "each node heard the other's R1FS announcement"

# ---- add on A, get on B
head -c 3000000 /dev/urandom >"$T/one.bin"
CID=$(fs a add "$T/one.bin" --secret pw)
like "$CID" '^Qm[1-9A-HJ-NP-Za-km-z]{44}$' "A adds a file: $CID"
mkdir -p "$T/outb"
is "$(fs b get "$CID" --secret pw --out "$T/outb")" "$T/outb/one.bin" \
	"B gets it by its CID, under its name"
cmp -s "$T/one.bin" "$T/outb/one.bin"
ok $? "byte-identical"
is "$(transfer b state):$(transfer b blocks_fetched)" "done:14" \
	"B fetched the 14 blocks of the DAG from A"
like "$(curl -s "http://127.0.0.1:$HTTP_b/transfers")" "\"alias\":\"r1-a\"" \
	"and its transfer names A"
like "$(fs b pins)" "^$CID [0-9]+ one.bin$" "B pins it, with the name it decrypted"

# ---- a block corrupted on A's disk
head -c 1000000 /dev/urandom >"$T/two.bin"
CID2=$(fs a add "$T/two.bin")
FILE2=$(fs a ls "$CID2" | cut -d' ' -f1)
fs a cat "$FILE2" >"$T/two.enc"
python3 - "$T/two.enc" "$T/a/r1fs/packs" <<'PY'
import os, sys
enc = open(sys.argv[1], "rb").read()
needle = enc[600000:600064]  # inside the file's third leaf
for name in sorted(os.listdir(sys.argv[2])):
    path = os.path.join(sys.argv[2], name)
    data = bytearray(open(path, "rb").read())
    at = data.find(needle)
    if at >= 0:
        data[at + 10] ^= 0x01
        open(path, "r+b").write(data)
        sys.exit(0)
sys.exit("the leaf was not found in A's packs")
PY
ok $? "one byte of a leaf flipped in A's pack"
fs b get "$CID2" --out "$T/outb" >"$T/o" 2>&1
is "$?" "1" "B refuses the file"
like "$(cat "$T/o")" "does not match its CID \(corrupted at the source\)" \
	"and says a block from A did not match its CID"
like "$(cat "$T/o")" "$A" "naming A"
[ ! -e "$T/outb/two.bin" ]
ok $? "nothing was restored"

# ---- B killed in the middle of a transfer resumes after its restart
head -c 60000000 /dev/urandom >"$T/big.bin"
CID3=$(fs a add "$T/big.bin")
curl -s -o /dev/null "http://127.0.0.1:$HTTP_b/get_file?cid=$CID3" &
getter=$!
midway() { [ "$(transfer b blocks_fetched)" -ge 20 ] 2>/dev/null; }
wait_for 30 midway
ok $? "B's transfer of the 60 MB file is under way"
kill -9 "$PID_b"
wait "$PID_b" 2>/dev/null
wait "$getter" 2>/dev/null
start_node b --r1fs-fetch-timeout 3
is "$(fs b get "$CID3" --out "$T/outb")" "$T/outb/big.bin" "after the restart B gets it"
cmp -s "$T/big.bin" "$T/outb/big.bin"
ok $? "byte-identical"
fetched=$(transfer b blocks_fetched)
done_=$(transfer b blocks_done)
diag "after the restart: $fetched blocks fetched of $done_"
[ "$fetched" -gt 0 ] && [ "$fetched" -lt "$done_" ]
ok $? "the blocks B had before the kill were not fetched again ($fetched of $done_)"

# ---- A frozen: B gives up after its timeout
head -c 5000 /dev/urandom >"$T/three.bin"
CID4=$(fs a add "$T/three.bin")
sleep 2.5 # A's announcement of the new pin
kill -STOP "$PID_a"
t0=$(date +%s)
fs b get "$CID4" --out "$T/outb" >"$T/o" 2>&1
rc=$?
t1=$(date +%s)
kill -CONT "$PID_a"
is "$rc" "1" "with A frozen, B's get fails"
like "$(cat "$T/o")" "timed out: no block arrived for 3 s" "with a clear reason"
like "$(cat "$T/o")" "$A: no answer" "that names A"
[ $((t1 - t0)) -ge 3 ] && [ $((t1 - t0)) -le 15 ]
ok $? "after the configured 3 s ($((t1 - t0)) s)"

# ---- bookkeeping, and the API's answers to malformed requests
is "$(fs a unpin "$CID2"; echo $?)" "0" "A unpins the corrupted file"
like "$(fs a gc --grace 0)" "^removed [1-9][0-9]* block" "and gc removes its blocks"
like "$(fs a stat)" "blocks: [0-9]+, pins: 3" "stat without a CID: the store"
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
is "$(code "http://127.0.0.1:$HTTP_a/get_file")" "422" "get_file without cid: 422"
like "$(cat "$T/body")" '"type":"missing","loc":\["query","cid"\]' "in FastAPI's words"
is "$(code -F 'body={"secret":"x"}' "http://127.0.0.1:$HTTP_a/add_file")" "422" \
	"add_file without a file part: 422"
is "$(code -X POST "http://127.0.0.1:$HTTP_a/get_status")" "405" "a wrong method: 405"
is "$(code "http://127.0.0.1:$HTTP_a/nope")" "404" "an unknown route: 404"
is "$(code -H 'Content-Type: application/json' -d '{"cid": 5}' \
	"http://127.0.0.1:$HTTP_a/get_file_base64")" "422" "a CID that is not a string: 422"

# ---- a node elsewhere, over the broker
like "$(remote "$T/cli.pem" r1-a pins)" "$CID [0-9]+ one.bin" "pins of A over the network"
mkdir -p "$T/outr"
is "$(remote "$T/cli.pem" r1-b get "$CID" --secret pw --out "$T/outr")" "$T/outr/one.bin" \
	"get from B over the network"
cmp -s "$T/one.bin" "$T/outr/one.bin"
ok $? "byte-identical"
head -c 800000 /dev/urandom >"$T/four.bin"
mosquitto_sub -p "$mport" -h 127.0.0.1 -t '#' -v >"$T/wire" 2>/dev/null &
SUB=$!
cleanup_pid $SUB
sleep 0.5
CID5=$(remote "$T/cli.pem" r1-b add "$T/four.bin" --secret s4)
kill "$SUB"
wait "$SUB" 2>/dev/null
like "$CID5" '^Qm' "add to B over the network (B fetches it from the console)"
like "$(fs b stat "$CID5")" "pinned: yes" "B pins it"
like "$(fs b pins)" "^$CID5 [0-9]+ four\.bin$" \
	"under the name the console gave with the request (B cannot decrypt it)"
grep -q "\"EE_SENDER\": *\"$CLI\"" "$T/wire"
ok $? "the broker carried the console's messages ($(wc -c <"$T/wire") bytes seen)"
! grep -q "four\.bin" "$T/wire"
ok $? "and the name in none of them in clear"
is "$(fs b get "$CID5" --secret s4 --out "$T/outb")" "$T/outb/four.bin" "and serves it"
cmp -s "$T/four.bin" "$T/outb/four.bin"
ok $? "byte-identical"
remote "$T/stranger.pem" r1-b pins >"$T/o" 2>&1
is "$?" "1" "a console B does not allow is refused"
like "$(cat "$T/o")" "not allowed" "and told why"

for n in a b; do
	eval "pid=\$PID_$n"
	kill -TERM "$pid"
	wait "$pid"
	is "$?" "0" "node $n exits cleanly"
done
! grep -q "ERROR: AddressSanitizer\|LeakSanitizer\|runtime error" "$T/a.err" "$T/b.err"
ok $? "no sanitizer report from the nodes"
tap_done
