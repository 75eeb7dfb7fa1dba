#!/bin/sh
# The official TypeScript client @ratio1/edge-sdk-ts, installed from npm into
# the build directory (kept between runs), runs getStatus, set, get, hset,
# hget and hgetall against a CStore HTTP API served by our code
# (cstore_server: three replicating engines in one process).
. "$R1_SRCDIR/tests/lib.sh"

SDK_DIR="$R1_BUILDDIR/npm-cstore"
mkdir -p "$SDK_DIR"
if ! cmp -s "$R1_SRCDIR/tests/integration/npm/package.json" "$SDK_DIR/package.json"; then
	cp "$R1_SRCDIR/tests/integration/npm/package.json" "$SDK_DIR/package.json"
	rm -rf "$SDK_DIR/node_modules"
fi
if [ ! -f "$SDK_DIR/node_modules/@ratio1/edge-sdk-ts/package.json" ]; then
	(cd "$SDK_DIR" && npm install --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1
	ok $? "npm installs @ratio1/edge-sdk-ts into the build directory"
else
	ok 0 "@ratio1/edge-sdk-ts is already installed in the build directory"
fi
[ -f "$SDK_DIR/node_modules/@ratio1/edge-sdk-ts/package.json" ] ||
	bail "npm install failed: $(tail -5 "$T/npm.log" 2>/dev/null)"
is "$(cd "$SDK_DIR" && node -p 'JSON.parse(require("fs").readFileSync("node_modules/@ratio1/edge-sdk-ts/package.json")).version')" "1.5.2" \
	"the pinned client version"

"$R1_BUILDDIR/tests/integration/cstore_server" 0 --readonly-key ro:b >"$T/server.out" 2>"$T/server.err" &
cleanup_pid $!
wait_for 20 grep -q '^PORT ' "$T/server.out" || bail "cstore_server did not start: $(cat "$T/server.err")"
port=$(sed -n 's/^PORT //p' "$T/server.out")

SDK_DIR="$SDK_DIR" CSTORE_URL="http://localhost:$port" RO_KEY="ro:b" \
	node "$R1_SRCDIR/tests/integration/cstore_sdk_ts.mjs" >"$T/sdk.out" 2>"$T/sdk.err"
ok $? "the client script exits cleanly"
n=0
while read -r tag pass name; do
	[ "$tag" = RESULT ] || continue
	n=$((n + 1))
	[ "$pass" = 1 ]
	ok $? "sdk: $name"
done <"$T/sdk.out"
[ "$n" -ge 20 ]
ok $? "the client ran every check ($n)"
[ -s "$T/sdk.err" ] && diag "$(head -20 "$T/sdk.err")"
tap_done
