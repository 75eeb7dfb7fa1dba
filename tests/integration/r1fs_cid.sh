#!/bin/sh
# r1console r1fs cid FILE [--v1]: the CID `ipfs add --only-hash` prints,
# checked against Debian's ipfs_cid (kubo's defaults) on files around the
# chunk and tree boundaries, and the CLI's errors and exit codes.
. "$R1_SRCDIR/tests/lib.sh"

command -v ipfs_cid >/dev/null || bail "ipfs_cid not installed (Debian package ipfs-cid)"

field() { # field JSON KEY
	printf '%s' "$1" | sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p"
}

for size in 0 1 262143 262144 262145 1048577 45613056 45613057; do
	f="$T/f$size"
	head -c "$size" /dev/urandom >"$f"
	want=$(field "$(ipfs_cid "$f" 2>/dev/null)" CIDv0)
	is "$("$R1CONSOLE" r1fs cid "$f")" "$want" "r1fs cid of $size random bytes equals ipfs_cid's CIDv0"
done

printf 'hello\n' >"$T/hello"
is "$("$R1CONSOLE" r1fs cid "$T/hello")" "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN" \
	"hello: the CIDv0 kubo prints"
is "$("$R1CONSOLE" r1fs cid --v1 "$T/hello")" \
	"bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am" \
	"hello --v1: the raw-leaf CIDv1 kubo prints with --cid-version=1"

"$R1CONSOLE" r1fs cid "$T/missing" >/dev/null 2>"$T/err"
is "$?" 1 "a missing file fails with status 1"
like "$(cat "$T/err")" "missing" "and the message names the file"
"$R1CONSOLE" r1fs cid >/dev/null 2>&1
is "$?" 2 "no FILE is a usage error"
"$R1CONSOLE" r1fs cid --v2 "$T/hello" >/dev/null 2>&1
is "$?" 2 "an unknown option is a usage error"
"$R1CONSOLE" r1fs nosuch >/dev/null 2>&1
is "$?" 2 "an unknown subcommand is a usage error"
like "$("$R1CONSOLE" r1fs cid --help)" "r1fs cid FILE" "--help prints the usage"

tap_done
