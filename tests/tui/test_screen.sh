#!/bin/sh
# The curses backend in a real terminal: run tests/tui/test_screen_prog in a
# detached tmux of a fixed size, read the screen back with capture-pane and
# compare it with the grid the program drew (and with a checked-in copy).
# Covers: the flush shows the grid (wide and combining characters, boxes,
# roles as colours), only changed cells are written, a resize repaints, a
# hostile alias neither retitles nor clears the terminal, and the terminal
# is restored on exit and on a fatal signal (SIGABRT).
. "$R1_SRCDIR/tests/lib.sh"

PROG="$R1_BUILDDIR/tests/tui/test_screen_prog"
[ -x "$PROG" ] || bail "missing $PROG"
command -v tmux >/dev/null || bail "tmux is not installed"
ulimit -c 0

export LC_ALL=C.UTF-8
SOCK="r1screen$$"
cat >"$T/tmux.conf" <<'CONF'
set -g default-terminal screen-256color
set -g status off
set -g remain-on-exit on
set -g history-limit 0
CONF
tm() { tmux -L "$SOCK" -f "$T/tmux.conf" "$@"; }
stop_tmux() { tm kill-server 2>/dev/null || true; }
trap 'stop_tmux; _cleanup' EXIT

state_is() { grep -q "$1" "$2/state" 2>/dev/null; }
pane() { tm display-message -p -t "$1" "$2"; }

# -------------------------------------------------------------- a normal run
S1="$T/run1"; mkdir -p "$S1"
# the pane runs a shell that records the program's exit status
tm new-session -d -s one -x 80 -y 24 "$PROG $S1 default; echo \$? >$S1/rc"
wait_for 10 state_is "frame 1 size 80x24" "$S1" || bail "no first frame: $(cat "$S1/state" 2>/dev/null)"

# 80x24 cells, less the right halves of the four wide characters (written with their left halves)
is "$(cat "$S1/state")" "frame 1 size 80x24 cells 1916 colours 256 utf8 1 theme default" \
	"first frame: 256 colours, UTF-8, every cell written once"
tm capture-pane -p -t one >"$T/cap1.txt"
cmp -s "$T/cap1.txt" "$S1/frame1-80x24.txt"
ok $? "the terminal shows exactly the grid the program drew (80x24)"
cmp -s "$T/cap1.txt" "$R1_SRCDIR/tests/tui/screen-80x24.txt"
ok $? "... which is the expected screen"
[ -s "$T/cap1.txt" ] && ! cmp -s "$T/cap1.txt" "$S1/frame1-80x24.txt" &&
	diff "$S1/frame1-80x24.txt" "$T/cap1.txt" | sed 's/^/# /' | head -20

like "$(sed -n 9p "$T/cap1.txt")" "sanitized alias: evil$" "the sanitized alias shows as plain text"
like "$(sed -n 10p "$T/cap1.txt")" "raw alias into the grid: .\\]0;pwned.evil.\\[2J$" \
	"even unsanitized, the grid shows controls as visible characters"
title=$(pane one '#{pane_title}')
ok "$([ "$title" != pwned ] && echo 0 || echo 1)" "the terminal title was not changed (got '$title')"
is "$(pane one '#{alternate_on}')" 1 "the console runs on the alternate screen"

# colours: the header row is in the header role's colours (252 on 236)
tm capture-pane -e -p -t one -S 0 -E 0 >"$T/cap1e.txt"
like "$(cat "$T/cap1e.txt")" "38;5;252" "header foreground colour reached the terminal"
like "$(cat "$T/cap1e.txt")" "48;5;236" "header background colour reached the terminal"
tm capture-pane -e -p -t one -S 4 -E 4 >"$T/cap1sel.txt"
like "$(cat "$T/cap1sel.txt")" "48;5;81" "the selected table row has the selection background"

# the next frame changes one character: one cell is written
tm send-keys -t one n
wait_for 10 state_is "frame 2 size 80x24" "$S1" || bail "no second frame"
like "$(cat "$S1/state")" "cells 1 " "second frame: only the changed cell was written"
tm capture-pane -p -t one >"$T/cap2.txt"
cmp -s "$T/cap2.txt" "$S1/frame2-80x24.txt"
ok $? "second frame on screen"
like "$(head -1 "$T/cap2.txt")" "frame 2$" "the header says frame 2"

# a resize repaints at the new size
tm resize-window -t one -x 100 -y 30
wait_for 10 state_is "frame 2 size 100x30" "$S1" || bail "no repaint after resize: $(cat "$S1/state")"
like "$(cat "$S1/state")" "cells 2996 " "resize: a full repaint"
tm capture-pane -p -t one >"$T/cap3.txt"
cmp -s "$T/cap3.txt" "$S1/frame2-100x30.txt"
ok $? "the terminal shows the grid at 100x30"

# quitting restores the terminal (the program then waits for a line)
tm send-keys -t one q
wait_for 10 state_is closed "$S1" || bail "the program did not quit"
is "$(pane one '#{alternate_on}')" 0 "after quitting: back on the normal screen"
is "$(pane one '#{cursor_flag}')" 1 "after quitting: the cursor is visible"
screen_has() { tm capture-pane -p -t one | grep -q "$1"; }
tm send-keys -t one "typed back"
wait_for 10 screen_has "typed back"
ok $? "after quitting: the terminal echoes typed keys again (modes restored)"
tm send-keys -t one Enter
wait_for 10 test -s "$S1/echoed" || bail "the program did not read its line"
is "$(cat "$S1/echoed")" "typed back" "after quitting: line input works"
wait_for 10 test -s "$S1/rc" || bail "the program did not end"
is "$(cat "$S1/rc")" 0 "exit status 0"

# ------------------------------------------------- a fatal signal (SIGABRT)
S2="$T/run2"; mkdir -p "$S2"
tm new-session -d -s two -x 80 -y 24 "$PROG $S2 mono; echo \$? >$S2/rc"
tm pipe-pane -o -t two "cat >$T/run2.out"
wait_for 10 state_is "frame 1" "$S2" || bail "no frame in the second run"
like "$(cat "$S2/state")" "theme mono" "a theme by name (mono)"
tm capture-pane -e -p -t two -S 4 -E 4 >"$T/cap4.txt"
like "$(cat "$T/cap4.txt")" "\\[7m" "monochrome: the selected row is reverse video"
is "$(pane two '#{alternate_on}')" 1 "second run on the alternate screen"
tm send-keys -t two a
wait_for 10 test -s "$S2/rc" || bail "the program did not die on abort"
is "$(cat "$S2/rc")" 134 "the abort reached the default action after the handler (128 + SIGABRT)"
is "$(pane two '#{alternate_on}')" 0 "after SIGABRT: the handler left the alternate screen"
# what the program wrote after entering the alternate screen ends with the
# handler's reset: sgr0, cnorm, rmkx, rmcup (ESC shown as E)
out=$(LC_ALL=C tr '\033\r\n' 'E  ' <"$T/run2.out")
after=${out##*E[?1049h}
like "$after" 'E\[34hE\[\?25h' "after SIGABRT: the handler made the cursor visible"
like "$after" 'E\[\?25h.*E\[\?1049l' "after SIGABRT: ... and then left the alternate screen"

tap_done
