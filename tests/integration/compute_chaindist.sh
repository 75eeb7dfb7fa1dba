#!/bin/sh
# ChainDist over a real mosquitto: an oracle, a master node and three
# workers, each a headless `r1console node` process (its own R1FS store;
# blocks travel between nodes through the R1FS exchange on the bus).  A and
# B are added to the master's store; `r1console compute matmul master
# --nodes 3` deploys CHAIN_DIST_MASTER_01 there and follows it.
#   - the master splits A over the three workers (one part each);
#   - the worker of part 1 is killed (SIGKILL) as soon as its part is
#     deployed: the master loses it (online timeout / NODE_TIMEOUT) and runs
#     the part again on another worker (attempt 2);
#   - the CLI prints the result's CID, three parts and the timings, and
#     exits 0; the product read back from the master's store equals the
#     direct OpenBLAS product of `compute matmul --local` (max relative
#     error stated);
#   - the surviving nodes exit cleanly (sanitizers would fail them).
. "$R1_SRCDIR/tests/lib.sh"

command -v python3 >/dev/null || bail "python3 needed to write and compare matrices"
command -v jq >/dev/null || bail "jq needed"
export XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state"
unset EE_MQTT_HOST EE_MQTT_PORT EE_MQTT_USER EE_MQTT EE_SECURED EE_ROOT_TOPIC EE_SDK_ALIAS
port=$(free_port)
start_mosquitto "$port"
BROKER="mqtt://127.0.0.1:$port"
R1=$R1CONSOLE

"$R1" keys new >/dev/null 2>&1
ME=$("$R1" config addr 2>/dev/null)
NODES="oracle master w1 w2 w3"
for n in $NODES; do
	"$R1" keys new --data "$T/n-$n" >/dev/null 2>&1
	eval "ADDR_$n=\$(\"\$R1\" keys show --data \"\$T/n-\$n\" --json | jq -r .address)"
done

# A is 1200 x 900, B 900 x 700 (float64), random
cat >"$T/mx.py" <<'PY'
import array, random, struct, sys
def write(path, rows, cols, seed):
    random.seed(seed)
    a = array.array("d", (random.random() - 0.5 for _ in range(rows * cols)))
    with open(path, "wb") as f:
        f.write(b"R1MX" + struct.pack("<HBBQQQ", 1, 2, 0, rows, cols, 0))
        f.write(a.tobytes())
def read(path):
    b = open(path, "rb").read()
    assert b[:4] == b"R1MX", path
    ver, dt, order, rows, cols, res = struct.unpack("<HBBQQQ", b[4:32])
    a = array.array("d" if dt == 2 else "f")
    a.frombytes(b[32:])
    assert len(a) == rows * cols, path
    return rows, cols, a
if sys.argv[1] == "write":
    write(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
else:  # compare GOT REF: shape and max relative error
    g, r = read(sys.argv[2]), read(sys.argv[3])
    assert g[:2] == r[:2], "shape %r != %r" % (g[:2], r[:2])
    worst = max(abs(x - y) / (abs(y) if abs(y) > 1e-300 else 1.0) for x, y in zip(g[2], r[2]))
    print("%d %d %.3g" % (g[0], g[1], worst))
PY
python3 "$T/mx.py" write "$T/a.r1mx" 1200 900 1
python3 "$T/mx.py" write "$T/b.r1mx" 900 700 2
CA=$("$R1" r1fs add "$T/a.r1mx" --node-dir "$T/n-master")
CB=$("$R1" r1fs add "$T/b.r1mx" --node-dir "$T/n-master")
like "$CA $CB" "^Qm[1-9A-Za-z]{44} Qm[1-9A-Za-z]{44}$" "A and B added to the master's R1FS"

start_node() { # start_node NAME EXTRA...
	_n=$1; shift
	"$R1" node --alias "cd-$_n" --broker "$BROKER" --data "$T/n-$_n" \
		--heartbeat-period 1 --netmon-period 1 --online-timeout 4 \
		--trust-oracle "$ADDR_oracle" --allow "$ME" --log-level info \
		--log "$T/$_n.log" "$@" 2>>"$T/$_n.err" &
	eval "PID_$_n=$!"
	cleanup_pid $!
}
# the workers take commands from the master (the oracle does not: it is no
# candidate); the master trusts everyone for CStore and R1FS
start_node oracle --oracle
for w in w1 w2 w3; do
	start_node "$w" --allow "$ADDR_master" --allow "$ADDR_oracle"
done
start_node master --allow "$ADDR_oracle" --allow "$ADDR_w1" --allow "$ADDR_w2" \
	--allow "$ADDR_w3"

mkdir -p "$XDG_CONFIG_HOME/r1console"
cat >"$XDG_CONFIG_HOME/r1console/config" <<EOF
alias = cd-cli
profile = it

[profile it]
broker = $BROKER
oracles = $ADDR_oracle
timeout = 10
online-timeout = 4
EOF

all_online() {
	"$R1" get nodes --json 2>/dev/null | jq -e 'length == 5 and all(.[]; .online)' >/dev/null
}
wait_for 60 all_online
must $? "the five nodes are online" "the five nodes did not come online"

"$R1" compute matmul cd-master --a "$CA" --b "$CB" --nodes 3 --node-timeout 10 \
	>"$T/cd.out" 2>"$T/cd.err" &
CLI_PID=$!
cleanup_pid $CLI_PID

# the worker of part 1, as soon as the master deployed it
wait_for 90 grep -q "part 1 (rows .*) deployed on" "$T/master.log" ||
	bail "part 1 was never deployed: $(tail -5 "$T/master.log")"
VICTIM_ADDR=$(grep -o "part 1 (rows [^)]*) deployed on [^ ]*" "$T/master.log" | head -1 |
	sed 's/.* deployed on //')
VICTIM=""
for w in w1 w2 w3; do
	eval "a=\$ADDR_$w"
	[ "$a" = "$VICTIM_ADDR" ] && VICTIM=$w
done
like "$VICTIM" "^w[123]$" "part 1 went to a worker ($VICTIM)"
eval "vp=\$PID_$VICTIM"
kill -9 "$vp"
wait "$vp" 2>/dev/null
diag "killed cd-$VICTIM (part 1's worker)"

wait "$CLI_PID"
rc=$?
is "$rc" 0 "the ChainDist job completed (compute matmul exits 0): $(tail -3 "$T/cd.err")"
out=$(cat "$T/cd.out")
diag "$out"
like "$out" "^Qm[1-9A-Za-z]{44}: 1200 x 700 float64 in 3 parts in " "the result's CID, shape and parts"
like "$out" "part 1: rows [0-9]+\+[0-9]+ on cd-w[123] \(attempt 2\)" \
	"part 1 ran again (attempt 2)"
part1_on=$(echo "$out" | grep -o "part 1: rows [0-9+]* on cd-w[123]" | sed 's/.* on cd-//')
ok "$([ -n "$part1_on" ] && [ "$part1_on" != "$VICTIM" ] && echo 0 || echo 1)" \
	"on another worker ($part1_on, not $VICTIM)"
like "$(cat "$T/cd.err")" "DISTRIBUTE_JOBS" "progress lines with the reference's state names"
like "$out" "load [0-9.]+ s, wait for workers [0-9.]+ s, split [0-9.]+ s, distribute [0-9.]+ s, assemble [0-9.]+ s" \
	"where the time went"
RESULT=$(echo "$out" | head -1 | cut -d: -f1)

# stop the others (the master last), then read the result from its store
for n in w1 w2 w3 oracle master; do
	[ "$n" = "$VICTIM" ] && continue
	eval "p=\$PID_$n"
	kill -TERM "$p"
	wait "$p"
	is "$?" 0 "cd-$n exits cleanly"
done
mkdir -p "$T/res"
got=$("$R1" r1fs get "$RESULT" --node-dir "$T/n-master" --out "$T/res")
ok $? "the result is in the master's R1FS ($got)"
"$R1" compute matmul --local "$T/a.r1mx" "$T/b.r1mx" -o "$T/ref.r1mx" >/dev/null
cmp=$(python3 "$T/mx.py" compare "$got" "$T/ref.r1mx")
diag "against the direct OpenBLAS product: rows cols max-relative-error = $cmp"
like "$cmp" "^1200 700 (0|[0-9.]+e-(1[2-9]|[2-9][0-9]))$" \
	"C equals the direct OpenBLAS product (max relative error ${cmp##* })"
tap_done
