#!/bin/sh
# Text screenshots of the console, taken from the real binary in tmux with
# capture-pane: every view at 80x24 and 160x48, on a demo network of five
# nodes (one-second heartbeats, fifteen-second epochs so the heatmap has
# history).  Not a test: it writes doc/screens/*.txt for the README.
#
#   doc/screens/make-screens.sh BUILD_DIR     (about two minutes)
set -eu
BUILD=${1:?usage: make-screens.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN=$(cd "$BUILD" && pwd)/r1console
T=$(mktemp -d)
SOCK=r1screens$$
tm() { tmux -L "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$T"' EXIT
export LC_ALL=C.UTF-8 TZ=UTC
ENVS="XDG_CONFIG_HOME=$T/c XDG_DATA_HOME=$T/d XDG_STATE_HOME=$T/s"
ENVS="$ENVS R1CONSOLE_THEME_DIR=$SRC/data/themes"

cap() { tm capture-pane -p -t s; }
has() { cap | grep -q -- "$1"; }
wait_for() { # wait_for SECONDS TEXT
	i=0
	while ! has "$2"; do
		i=$((i + 1))
		[ $i -gt $(($1 * 10)) ] && { echo "timeout waiting for '$2'" >&2; cap >&2; exit 1; }
		sleep 0.1
	done
}
keys() { tm send-keys -t s "$@"; }
text() { tm send-keys -t s -l "$1"; }
cmd() { keys :; text "$1"; keys Enter; }
shot() { # shot NAME: both sizes
	for size in 80x24 160x48; do
		tm resize-window -t s -x "${size%x*}" -y "${size#*x}"
		sleep 0.6
		cap >"$HERE/$1-$size.txt"
	done
}

tm new-session -d -s s -x 160 -y 48 \
	"env $ENVS $BIN --demo 5 --heartbeat-period 1 --epoch-length 15 --view nodes"
wait_for 20 "nodes 5/5 online"
echo "letting the demo run a minute (epochs fill in)..." >&2
sleep 60
shot network
keys /; text demo-02; keys Enter Enter
wait_for 20 "echo-1"
shot node
keys Enter
wait_for 20 "MESSAGE=hello"
shot instance-payloads
keys Escape c
wait_for 10 "Command for"
text PING; keys Tab; text '{"LEVEL": 3}'
shot command-form
keys C-s
wait_for 10 "Send INSTANCE_COMMAND"
shot command-confirm
keys y
wait_for 20 "confirmed by the node"
shot command-confirmed
keys Escape Escape
cmd apps
wait_for 10 "instances on"
shot apps
cmd payloads
wait_for 10 "COUNTER="
shot payloads
cmd notif
wait_for 10 "NOTIFICATION"
shot notifications
cmd epochs
wait_for 10 "availability"
shot epochs
cmd log
wait_for 10 "Log (console)"
shot log
cmd cstore
wait_for 20 "hash demo:config"
shot cstore
keys /; text '"demo:ready"'; keys Enter Enter
wait_for 10 "Copies on other nodes"
shot cstore-record
keys Escape Escape
cmd compute
wait_for 20 "ChainDist demo-mm"
shot compute
cmd r1fs
wait_for 20 "weights.bin .* demo-03"
shot r1fs
cmd nodes
keys '?'
wait_for 10 "Everywhere"
shot help
keys Escape
echo "screens written to $HERE" >&2
