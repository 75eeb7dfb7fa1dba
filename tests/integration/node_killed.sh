#!/bin/sh
# kill -9 in the middle of pipeline writes leaves node.db consistent: the
# old or the new generation of every pipeline, never a mix (the writes are
# SQLite transactions).  The writer rewrites two pipelines of ~160 KB each
# in one transaction, as fast as it can; we kill it at random moments.
. "$R1_SRCDIR/tests/lib.sh"

HAMMER="$R1_BUILDDIR/tests/unit/node/pipestore_hammer"
[ -x "$HAMMER" ] || bail "missing $HAMMER"
DB="$T/node.db"

last=empty
for round in 1 2 3 4 5 6; do
	"$HAMMER" write "$DB" >"$T/written.$round" 2>"$T/err.$round" &
	pid=$!
	# 0.1 .. 0.6 s, then SIGKILL
	sleep "0.$(( (round * 7) % 6 + 1 ))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	got=$("$HAMMER" check "$DB" 2>"$T/check.$round")
	ok $? "round $round: consistent after kill -9 (check says ${got:-?}: $(cat "$T/check.$round"))"
	committed=$(tail -1 "$T/written.$round" 2>/dev/null)
	# the check sees the last commit the writer printed, or the one after it
	# (the kill can land between a commit and its print)
	if [ -n "$committed" ] && [ "$got" != "empty" ]; then
		[ "$got" -ge "$committed" ] && [ "$got" -le $((committed + 1)) ]
		ok $? "round $round: generation $got is the last commit ($committed) or the next"
	fi
	last=$got
done
[ "$last" != "empty" ]
ok $? "the writer committed something"
tap_done
