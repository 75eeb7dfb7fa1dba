#!/bin/sh
# r1console cstore against a CStore HTTP API served by our code
# (cstore_server: three replicating engines in one process): output, exit
# codes, and how the command finds the API (--port, EE_CHAINSTORE_API_URL,
# --node ALIAS for a node hosted here).
. "$R1_SRCDIR/tests/lib.sh"

"$R1_BUILDDIR/tests/integration/cstore_server" 0 --readonly-key ro:b >"$T/server.out" 2>"$T/server.err" &
cleanup_pid $!
wait_for 20 grep -q '^PORT ' "$T/server.out" || bail "cstore_server did not start: $(cat "$T/server.err")"
port=$(sed -n 's/^PORT //p' "$T/server.out")
cs() { "$R1CONSOLE" cstore "$@" --port "$port"; }

is "$(cs set greeting '{"text": "hello", "n": 1.50}')" "OK" "set a JSON value"
is "$(cs get greeting)" '{"text":"hello","n":1.5}' "get prints it as the node stores it"
is "$(cs set word hello)" "OK" "a value that is not JSON is stored as a string"
is "$(cs get word)" '"hello"' "and read back as one"
cs get nothing >"$T/o" 2>&1
is "$?:$(cat "$T/o")" "1:" "a missing key: exit 1, nothing printed"
is "$(cs del word)" "OK" "del"
cs get word >/dev/null 2>&1
is "$?" "1" "the deleted key is gone"
cs set ro:b '"mine"' >"$T/o" 2>&1
rc=$?
is "$rc" "1" "set over another node's readonly key fails"
like "$(cat "$T/o")" "not stored \(readonly\)" "and says why"

is "$(cs hset players alice '{"hp": 10}')" "OK" "hset"
is "$(cs hset players 'bob smith' 7)" "OK" "hset of a field with a space"
is "$(cs hset players '' empty)" "OK" "hset of the empty field name"
is "$(cs hget players alice)" '{"hp":10}' "hget"
is "$(cs hgetall players)" "$(printf 'alice\t{"hp":10}\nbob smith\t7\n\t"empty"')" "hgetall, one field per line"
is "$(cs hkeys players | wc -l | tr -d ' ')" "3" "hkeys lists three names"
like "$(cs hsync players)" "^merged [0-9]+ field\(s\) of players from 0xai_" "hsync merges from a peer"
like "$(cs hget players alice --json)" '"result": \{' "--json prints the whole response"

is "$(EE_CHAINSTORE_API_URL="http://localhost:$port" "$R1CONSOLE" cstore get greeting)" \
	'{"text":"hello","n":1.5}' "the API address from EE_CHAINSTORE_API_URL"
mkdir -p "$T/xdg/r1console/nodes/node-a"
echo "$port" >"$T/xdg/r1console/nodes/node-a/cstore-api.port"
is "$(XDG_DATA_HOME="$T/xdg" "$R1CONSOLE" cstore get greeting --node node-a)" \
	'{"text":"hello","n":1.5}' "--node ALIAS finds a node hosted here"
XDG_DATA_HOME="$T/xdg" XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config" \
	"$R1CONSOLE" cstore get greeting --node elsewhere --timeout 2 >"$T/o" 2>&1
is "$?" "1" "--node naming a node not hosted here and not in the network fails"
"$R1CONSOLE" cstore get greeting --port 1 >/dev/null 2>&1
is "$?" "1" "no API on the port: exit 1"
"$R1CONSOLE" cstore frob >/dev/null 2>&1
is "$?" "2" "an unknown subcommand: exit 2"
"$R1CONSOLE" cstore get >/dev/null 2>&1
is "$?" "2" "a missing argument: exit 2"
tap_done
