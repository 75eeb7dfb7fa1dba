#!/bin/sh
# The console end to end: the real r1console with a demo network of five
# nodes in a detached tmux, driven with send-keys, read with capture-pane.
# Covers: five nodes online within the first heartbeat; '/' filter; sort;
# Enter on a node; Enter on an instance (its payload stream); an instance
# command with its confirmation from the node; ':' switching views (the
# CStore, Compute and R1FS views of the hosted nodes included); a resize
# from 200x50 to 80x24 and back, with the terminal showing exactly what the
# console drew (no garbage); a clean quit with the terminal restored.
#
# The console writes every frame it draws to $R1CONSOLE_SCREEN_DUMP; the
# terminal (capture-pane) must show the same text.  Waits poll; no fixed sleeps.
. "$R1_SRCDIR/tests/lib.sh"

command -v tmux >/dev/null || bail "tmux is not installed"
[ -x "$R1CONSOLE" ] || bail "missing $R1CONSOLE"
ulimit -c 0

export LC_ALL=C.UTF-8 TZ=UTC
SOCK="r1console$$"
cat >"$T/tmux.conf" <<'CONF'
set -g default-terminal screen-256color
set -g status off
set -g remain-on-exit on
set -g history-limit 0
CONF
tm() { tmux -L "$SOCK" -f "$T/tmux.conf" "$@"; }
stop_tmux() { tm kill-server 2>/dev/null || true; }
trap 'stop_tmux; _cleanup' EXIT

DUMP="$T/frame.txt"
ENVS="XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data XDG_STATE_HOME=$T/state"
ENVS="$ENVS R1CONSOLE_THEME_DIR=$R1_SRCDIR/data/themes R1CONSOLE_SCREEN_DUMP=$DUMP"

cap() { tm capture-pane -p -t c; }
screen_has() { cap | grep -q -- "$1"; }
screen_lacks() { ! cap | grep -q -- "$1"; }
# the terminal shows exactly the last frame the console drew
same_as_frame() { cap >"$T/cap.txt" && cmp -s "$T/cap.txt" "$DUMP"; }
pane() { tm display-message -p -t c "$1"; }
keys() { tm send-keys -t c "$@"; }
text() { tm send-keys -t c -l "$1"; }
# the first table row below the header rows of the Network view
first_row() { cap | sed -n 5p; }

start=$(date +%s%N)
tm new-session -d -s c -x 200 -y 50 \
	"env $ENVS $R1CONSOLE --demo 5 --heartbeat-period 1 --log $T/console.log; echo \$? >$T/rc; read _"

# ---- five nodes online within the first heartbeat
wait_for 20 screen_has "nodes 5/5 online" || {
	cap | sed 's/^/# /'
	bail "the demo network did not come up: $(cat "$T/console.log" 2>/dev/null | tail -3)"
}
took=$(( ($(date +%s%N) - start) / 1000000 ))
diag "5/5 online on screen $took ms after the start"
ok "$([ "$took" -lt 10000 ] && echo 0 || echo 1)" "5 nodes online on screen within the first heartbeat (${took} ms)"
is "$(cap | grep -c '^demo-0[1-5] .* online ')" 5 "five rows say online"
like "$(grep 'first frame' "$T/console.log")" "first frame [0-9.]+ ms after start" \
	"the console logs how long its first frame took"
wait_for 10 same_as_frame
ok $? "the terminal shows exactly the frame the console drew (200x50)"
is "$(pane '#{alternate_on}')" 1 "on the alternate screen"

# ---- filter
keys /
text demo-03
keys Enter
wait_for 10 screen_has "1 of 5 nodes match"
ok $? "'/' filters: one of five nodes matches demo-03"
ok "$(screen_lacks 'demo-01 ' && echo 0 || echo 1)" "... the others are gone"
keys Escape
wait_for 10 screen_has "demo-01 "
ok $? "Esc clears the filter"

# ---- sort: '>' sorts by the next column (the alias), 'I' inverts
keys '>'
wait_for 10 screen_has "sorted by ALIAS"
ok $? "'>' sorts by the alias column"
keys I
wait_for 10 sh -c "tmux -L $SOCK capture-pane -p -t c | sed -n 5p | grep -q '^demo-05'"
ok $? "'I' inverts: demo-05 first"
keys I

# ---- open a node
keys /
text demo-02
keys Enter
wait_for 10 screen_has "1 of 5 nodes match"
keys Enter
wait_for 10 screen_has "pipelines and plugin instances"
ok $? "Enter opens the node"
wait_for 20 screen_has "echo-1"
ok $? "the node's pipelines arrive (its echo instance)"
like "$(cap)" "CPU .*cores" "the node's resources"

# ---- an instance's payload stream (the first instance is selected: demo-echo's)
keys Enter
wait_for 10 screen_has "ECHO_01/echo-1 payloads"
ok $? "Enter on the instance opens its payload stream"
wait_for 20 screen_has "MESSAGE=hello from the demo"
ok $? "its payloads stream in"
ok "$(screen_lacks 'health-1' && echo 0 || echo 1)" "only that instance's payloads"
like "$(cap)" "signature: verified" "the detail pane gives the verification verdict"
keys Escape
wait_for 10 screen_has "LAST EXEC"
ok $? "Esc: back to the node"

# ---- an instance command, confirmed by the node's notification
keys c
wait_for 10 screen_has "Command for ECHO_01/echo-1 on demo-02"
ok $? "c opens the command form"
text PING
keys Tab
text '{"LEVEL": 3}'
keys C-s
wait_for 10 screen_has "Send INSTANCE_COMMAND to ECHO_01 'echo-1' of pipeline 'demo-echo' on"
ok $? "the confirmation says what goes to whom"
like "$(cap)" "parameters: \\{\"LEVEL\":3\\}" "... with the parameters"
keys y
wait_for 20 screen_has "demo-02: confirmed by the node"
ok $? "the node's notification confirms the command (in the status bar)"
keys Enter
wait_for 20 screen_has "COMMANDS_RECEIVED=1"
ok $? "the instance's answer shows in its payload stream"
keys Escape

# ---- ':' switches views
keys : ; text ap; keys Tab; keys Enter
wait_for 10 screen_has "instances on"
ok $? ":ap<Tab> completes to :apps, which shows the apps, grouped"
keys : ; text notif; keys Enter
wait_for 10 screen_has "NOTIFICATION"
ok $? ":notif shows the notifications"
keys : ; text epochs; keys Enter
wait_for 10 screen_has "availability"
ok $? ":epochs shows the availability heatmap"
keys : ; text log; keys Enter
wait_for 10 screen_has "Log (console)"
ok $? ":log shows the console's log"

# ---- the hosted nodes' engines: CStore, compute, R1FS
keys : ; text cstore; keys Enter
wait_for 20 screen_has "hash demo:config (3 fields)"
ok $? ":cstore: demo-01's replica, its hash by name (the demo's keys, replicated)"
wait_for 20 screen_has "demo:ready .* 3/3 .* 3/4 "
ok $? "confirmed by its 3 peers; 3 of the 4 other hosted nodes hold it (demo-05 is out)"
keys Tab
wait_for 10 screen_has "replica of demo-02 (2/5)"
ok $? "Tab: the next hosted node's replica"
keys : ; text compute; keys Enter
wait_for 20 screen_has "jobs on demo-01"
ok $? ":compute: the hosted nodes' compute jobs"
wait_for 20 sh -c "tmux -L $SOCK capture-pane -p -t c | grep -q '^demo-0[1-4] .* 512 '"
ok $? "... and their measured GFLOP/s (the demo's BLAS_BENCH_01, n=512)"
wait_for 60 screen_has "ChainDist demo-mm (MATMUL, 1536 rows) by demo-01: FINISHED 100%"
ok $? "the demo's ChainDist job, mastered by demo-01, finished"
is "$(cap | grep -c '^part [0-2] .* CLOSED_JOB .*100%')" 3 "... its three parts closed, each on a worker node"
keys : ; text r1fs; keys Enter
wait_for 20 screen_has "store of demo-01 (1/5)"
ok $? ":r1fs: demo-01's store"
like "$(cap)" "weights.bin .* 700 KiB" "... its pinned files, with their name and size"
wait_for 20 screen_has "weights.bin .* 1: demo-03"
ok $? "... and who else holds one (demo-03 fetched it over the R1FS exchange)"
keys : ; text nodes; keys Enter
wait_for 10 screen_has "^ Network *\$"
ok $? ":nodes goes back to the network"
like "$(cap)" "GFLOP/S" "the Network view has a GFLOP/s column"

# ---- resize: 200x50 -> 80x24 -> 200x50
tm resize-window -t c -x 80 -y 24
wait_for 10 sh -c "test \$(wc -l <'$DUMP') -eq 24"
ok $? "a frame at 24 rows after the resize"
wait_for 10 same_as_frame
ok $? "80x24: the terminal shows exactly the frame (no garbage)"
ok "$(screen_lacks ADDRESS && echo 0 || echo 1)" "80x24: the narrow column set"
is "$(cap | wc -l)" 24 "80x24: 24 rows"
tm resize-window -t c -x 200 -y 50
wait_for 10 sh -c "test \$(wc -l <'$DUMP') -eq 50"
wait_for 10 same_as_frame
ok $? "back to 200x50: the terminal shows exactly the frame"
like "$(cap)" "ADDRESS" "200x50: the wide column set again"

# ---- quit: the terminal is given back
keys q
wait_for 10 test -s "$T/rc"
ok $? "q on the first view quits"
is "$(cat "$T/rc" 2>/dev/null)" 0 "exit status 0"
is "$(pane '#{alternate_on}')" 0 "after quitting: the normal screen is back"
is "$(pane '#{cursor_flag}')" 1 "after quitting: the cursor is visible"

tap_done
