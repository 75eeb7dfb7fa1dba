#!/bin/sh
# A long BLAS job on the node the console hosts does not stop the console
# (issue 9): the real r1console with --node on a private mosquitto, in
# tmux; BLAS_BENCH_01 deployed on its node (r1console deploy, from the same
# identity) measures 4096 x 4096 products, ten or more seconds of OpenBLAS on
# the node's compute worker.  While it runs:
#  - the hosted node keeps heartbeating on the broker at its period (2 s
#    here: no gap above 3.5 s), its heartbeats saying a job is running;
#  - keys still act: ':' views open, each within a second;
#  - the Compute view shows the job running (and the node's heartbeats
#    saying so), then done, and the node's new GFLOP/s at n=4096 from its
#    heartbeat.
# Waits poll; the only timed assertions are the bounds above.
. "$R1_SRCDIR/tests/lib.sh"

command -v tmux >/dev/null || bail "tmux is not installed"
command -v mosquitto >/dev/null || bail "mosquitto is not installed"
command -v mosquitto_sub >/dev/null || bail "mosquitto_sub not installed (Debian package mosquitto-clients)"
[ -x "$R1CONSOLE" ] || bail "missing $R1CONSOLE"
ulimit -c 0

export LC_ALL=C.UTF-8 TZ=UTC
SOCK="r1compute$$"
cat >"$T/tmux.conf" <<'CONF'
set -g default-terminal screen-256color
set -g status off
set -g remain-on-exit on
set -g history-limit 0
CONF
tm() { tmux -L "$SOCK" -f "$T/tmux.conf" "$@"; }
stop_tmux() { tm kill-server 2>/dev/null || true; }
trap 'stop_tmux; _cleanup' EXIT

port=$(free_port)
start_mosquitto "$port"
BROKER="mqtt://127.0.0.1:$port"
export XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state"
mkdir -p "$XDG_CONFIG_HOME/r1console"
cat >"$XDG_CONFIG_HOME/r1console/config" <<EOF
alias = compute-console
profile = it

[profile it]
broker = $BROKER
timeout = 10
EOF

# heartbeats on the broker, with their arrival times
mosquitto_sub -p "$port" -t 'naeural/ctrl' -F '%U %p' >"$T/beats" 2>/dev/null &
cleanup_pid $!

DUMP="$T/frame.txt"
ENVS="R1CONSOLE_THEME_DIR=$R1_SRCDIR/data/themes R1CONSOLE_SCREEN_DUMP=$DUMP"
cap() { tm capture-pane -p -t c; }
screen_has() { cap | grep -q -- "$1"; }
keys() { tm send-keys -t c "$@"; }
text() { tm send-keys -t c -l "$1"; }
now_ms() { date +%s%3N; }

tm new-session -d -s c -x 160 -y 48 \
	"env $ENVS $R1CONSOLE --node --node-alias busy-01 --heartbeat-period 2 --view compute --log $T/console.log; echo \$? >$T/rc; read _"
wait_for 30 screen_has "^busy-01 .* 0+0 "
up=$?
[ "$up" -eq 0 ] || cap | sed 's/^/# /'
must "$up" ":compute shows the hosted node's figures from its first heartbeat, no job" \
	"the console did not come up: $(tail -3 "$T/console.log" 2>/dev/null)"

# ---- a long BLAS job on the hosted node
cat >"$T/bench.json" <<EOF
{"NAME": "speed", "TYPE": "Void",
 "PLUGINS": [{"SIGNATURE": "BLAS_BENCH_01",
              "INSTANCES": [{"INSTANCE_ID": "long-1", "BENCH_SIZE": 4096, "BENCH_REPS": 3}]}],
 "TARGETS": ["busy-01"]}
EOF
"$R1CONSOLE" deploy "$T/bench.json" --yes >"$T/deploy.out" 2>&1
ok $? "BLAS_BENCH_01 deployed on the hosted node: $(head -1 "$T/deploy.out")"
wait_for 30 screen_has "bench n=4096 .* running"
ok $? "the Compute view shows the benchmark running"
start=$(date +%s.%N)

# ---- keys still act while it runs
key_latency() { # key_latency WAIT-TEXT KEYS...: ms from the keys to the screen
	_want=$1; shift
	_t0=$(now_ms)
	"$@"
	wait_for 10 screen_has "$_want" || { echo 99999; return; }
	echo $(($(now_ms) - _t0))
}
go() { keys : ; text "$1"; keys Enter; }
worst=0
for step in "nodes|Network" "compute|Measured speed" "cstore|replica of busy-01" \
	"r1fs|store of busy-01" "compute|bench n=4096"; do
	view=${step%%|*}
	want=${step#*|}
	ms=$(key_latency "$want" go "$view")
	diag ":$view -> '$want' in $ms ms"
	[ "$ms" -gt "$worst" ] && worst=$ms
done
running_after=$(cap | grep -c 'bench n=4096 .* running')
ok "$([ "$worst" -lt 1000 ] && echo 0 || echo 1)" "keys act within a second while the job runs (worst ${worst} ms)"
is "$running_after" 1 "... and the job was still running after them"
keys Tab
wait_for 20 sh -c "tmux -L $SOCK -f $T/tmux.conf capture-pane -p -t c | grep -q '^busy-01 .* 1+0 '"
ok $? "the node's heartbeats during the job say it runs one (JOBS 1+0 in the Compute view)"

# ---- the end: done, and the new figure from the node's heartbeat
wait_for 300 screen_has "bench n=4096 .* done"
ok $? "the job ends (done) on screen"
end=$(date +%s.%N)
wait_for 30 sh -c "tmux -L $SOCK -f $T/tmux.conf capture-pane -p -t c | grep -q '^busy-01 .* 4096 '"
ok $? "the node's GFLOP/s at n=4096 reaches the Compute view (from its heartbeat)"
diag "$(cap | grep '^busy-01 ' | tr -s ' ')"

# ---- heartbeats while it ran: no gap above 3.5 s at a 2 s period, a job running
grep '"EE_ID": *"busy-01"' "$T/beats" | awk '{ print $1 }' >"$T/busy.times"
gap=$(awk -v s="$start" -v e="$end" '
	$1 >= s - 3 && $1 <= e + 3 { if (p) { g = $1 - p; if (g > m) m = g } p = $1 }
	END { printf "%.2f", m }' "$T/busy.times")
n=$(awk -v s="$start" -v e="$end" '$1 >= s && $1 <= e' "$T/busy.times" | wc -l)
diag "$n heartbeats in the $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s of the job, largest gap $gap s"
ok "$([ "$n" -ge 2 ] && echo 0 || echo 1)" "the hosted node heartbeats while the job runs ($n)"
ok "$(awk -v g="$gap" 'BEGIN { print (g > 0 && g <= 3.5) ? 0 : 1 }')" "... every 2 s (largest gap $gap s)"

# ---- bad input on the hosted node: the reason reaches the console, not
# only the CLI that asked (the view reads the job's failure from the node)
python3 -c "
import struct
open('$T/a.r1mx', 'wb').write(b'R1MX' + struct.pack('<HBBQQQ', 1, 2, 0, 2, 3, 0) + bytes(48))
"
CA=$("$R1CONSOLE" r1fs add "$T/a.r1mx" --node busy-01 2>>"$T/cli.err")
like "$CA" '^Qm' "a 2 x 3 matrix added to the hosted node's R1FS over the broker"
"$R1CONSOLE" compute matmul busy-01 --a "$CA" --b "$CA" >/dev/null 2>>"$T/cli.err"
is "$?" 1 "a product of non-conforming matrices on the hosted node fails"
wait_for 20 screen_has "failed .* gemm: non-conforming dimensions"
ok $? "... and the Compute view says why"
MISSING=QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB
"$R1CONSOLE" compute matmul busy-01 --a "$MISSING" --b "$MISSING" >/dev/null 2>>"$T/cli.err"
is "$?" 1 "a product of a CID the node lacks fails"
wait_for 20 screen_has "failed .* A (QmPZ9gcCEp…): not in R1FS"
ok $? "... and the Compute view says why"

keys q
wait_for 10 test -s "$T/rc"
is "$(cat "$T/rc" 2>/dev/null)" 0 "q quits, exit status 0"

tap_done
