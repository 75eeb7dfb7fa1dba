#!/bin/sh
# A hostile node cannot reach the operator's terminal: the real console on
# a private mosquitto, with a properly signed peer (tests/tui/hostile_peer)
# whose alias is "\e]0;pwned\a" + "evil" + "\e[2J" and whose version, tags,
# payload paths, payloads and notifications carry the same sequences.  In
# every view it shows up as harmless text: the terminal's title is never
# changed, the screen is never cleared (the terminal always shows exactly
# the frame the console drew), and the sequences' payload never shows.
. "$R1_SRCDIR/tests/lib.sh"

command -v tmux >/dev/null || bail "tmux is not installed"
command -v mosquitto >/dev/null || bail "mosquitto is not installed"
[ -x "$R1CONSOLE" ] || bail "missing $R1CONSOLE"
PEER="$R1_BUILDDIR/tests/tui/hostile_peer"
[ -x "$PEER" ] || bail "missing $PEER"
ulimit -c 0

export LC_ALL=C.UTF-8 TZ=UTC
SOCK="r1hostile$$"
cat >"$T/tmux.conf" <<'CONF'
set -g default-terminal screen-256color
set -g status off
set -g remain-on-exit on
set -g history-limit 0
set -g allow-rename on
set -g set-titles off
CONF
tm() { tmux -L "$SOCK" -f "$T/tmux.conf" "$@"; }
stop_tmux() { tm kill-server 2>/dev/null || true; }
trap 'stop_tmux; _cleanup' EXIT

port=$(free_port)
start_mosquitto "$port"
"$PEER" --broker "mqtt://127.0.0.1:$port" --key "$T/hostile.pem" --seconds 300 \
	>"$T/peer.out" 2>"$T/peer.err" &
cleanup_pid $!
wait_for 10 test -s "$T/peer.out" || bail "the hostile peer did not start: $(cat "$T/peer.err")"
PEER_ADDR=$(head -1 "$T/peer.out")

DUMP="$T/frame.txt"
ENVS="XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data XDG_STATE_HOME=$T/state"
ENVS="$ENVS R1CONSOLE_THEME_DIR=$R1_SRCDIR/data/themes R1CONSOLE_SCREEN_DUMP=$DUMP"
cap() { tm capture-pane -p -t h; }
screen_has() { cap | grep -q -- "$1"; }
same_as_frame() { cap >"$T/cap.txt" && cmp -s "$T/cap.txt" "$DUMP"; }
pane() { tm display-message -p -t h "$1"; }
keys() { tm send-keys -t h "$@"; }
text() { tm send-keys -t h -l "$1"; }

tm new-session -d -s h -x 160 -y 48 \
	"env $ENVS $R1CONSOLE --broker mqtt://127.0.0.1:$port --node --node-alias console-node --heartbeat-period 2 --log $T/console.log; echo \$? >$T/rc; read _"
title0=$(pane '#{pane_title}')

wait_for 20 screen_has "evil"
ok $? "the hostile node shows up, its alias as plain text"
wait_for 20 screen_has "console-node .* online"
ok $? "--node: the console hosts a node of its own on the broker"

# every view: harmless text, title untouched, never cleared, no payload
check_view() { # check_view NAME WAIT-FOR-TEXT
	wait_for 15 screen_has "$2"
	ok $? "$1: shows $2"
	wait_for 10 same_as_frame
	ok $? "$1: the terminal shows exactly the console's frame (nothing cleared or moved)"
	# JSON bodies show control characters escaped (\u001b...): visible, inert text
	ok "$(cap | grep pwned | grep -qiv 'u001b' && echo 1 || echo 0)" \
		"$1: the sequences' payload shows only JSON-escaped, never as a sequence's leftovers"
	is "$(pane '#{pane_title}')" "$title0" "$1: the terminal's title is unchanged"
}

check_view nodes "evil"
keys /; text evil; keys Enter
wait_for 10 screen_has "1 of 2 nodes match"
keys Enter
check_view node "tags"
keys : ; text payloads; keys Enter
check_view payloads "MESSAGE=boom"
keys Enter
check_view "payload detail" "boom"
keys Escape
keys : ; text notif; keys Enter
check_view notifications "hi from the peer"
keys : ; text epochs; keys Enter
check_view epochs "availability"
keys : ; text apps; keys Enter
check_view apps "Apps"
keys : ; text "node $PEER_ADDR"; keys Enter
check_view ":node ADDRESS" "6.6.6"
keys : ; text log; keys Enter
check_view log "Log"

keys : ; text q; keys Enter
wait_for 10 test -s "$T/rc"
is "$(cat "$T/rc" 2>/dev/null)" 0 "the console quits cleanly"
is "$(pane '#{alternate_on}')" 0 "the terminal is back on the normal screen"

tap_done
