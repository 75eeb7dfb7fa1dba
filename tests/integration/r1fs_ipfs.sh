#!/bin/sh
# R1FS's IPFS backend against two real js-ipfs daemons (npm's ipfs 0.66,
# ../shared/tools/js-ipfs/package.json, installed with npm install into
# $R1_BUILDDIR/jsipfs and reused by later runs), loopback only: no
# bootstrap, discovery, delegates, NAT mapping or preload.  The daemons are
# joined with swarm/connect; a file added (encrypted, wrapped) through our
# R1FS on daemon 1 is fetched, decrypted and compared through a second R1FS
# on daemon 2, and the CID we print is the one daemon 1 itself computes for
# those bytes under that name.  Then the same through two of our nodes
# (`r1console node --ipfs-api`, one on each daemon, on one mosquitto): a
# file added through node A's HTTP API comes out of node B's, byte-identical,
# its blocks taken by daemon 2 from daemon 1 over bitswap.
. "$R1_SRCDIR/tests/lib.sh"

command -v node >/dev/null || bail "node is not installed (setup.sh test installs nodejs and npm)"
command -v npm >/dev/null || bail "npm is not installed"
command -v curl >/dev/null || bail "curl is not installed"
command -v jq >/dev/null || bail "jq is not installed"

PKG="$R1_SRCDIR/../shared/tools/js-ipfs/package.json"
[ -f "$PKG" ] || bail "missing $PKG"
JS="$R1_BUILDDIR/jsipfs"
J="$JS/node_modules/.bin/jsipfs"
mkdir -p "$JS"

# Install once; again only when package.json changed.  npm ci cannot be used
# (an optional dependency given as a tarball URL is not in the lock file).
if [ ! -x "$J" ] || ! cmp -s "$PKG" "$JS/package.json"; then
	cp "$PKG" "$JS/package.json" && chmod u+w "$JS/package.json"
	start=$(date +%s)
	# Short fetch retries: an optional dependency (headless) is a GitHub tarball,
	# which cannot be reached here; npm's default backoff spends 2.5 minutes on it
	# before skipping it.  A second try rides out a registry hiccup.
	npm_install() {
		(cd "$JS" && npm install --no-audit --no-fund --loglevel=error --fetch-retries=1 \
			--fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000) >>"$JS/install.log" 2>&1
	}
	: >"$JS/install.log"
	npm_install || npm_install || bail "npm install failed: $(tail -5 "$JS/install.log")"
	diag "npm install of js-ipfs took $(( $(date +%s) - start )) s"
fi
[ -x "$J" ] || bail "npm install did not produce $J"

# setup_repo DIR API GATEWAY SWARM RPC: an initialized repo bound to loopback.
setup_repo() {
	IPFS_PATH=$1 "$J" init --profile test >"$1.init.log" 2>&1 || return 1
	node -e '
const fs = require("fs");
const [repo, api, gw, swarm, rpc] = process.argv.slice(1);
const path = repo + "/config";
const c = JSON.parse(fs.readFileSync(path, "utf8"));
const tcp = (p) => "/ip4/127.0.0.1/tcp/" + p;
c.Addresses = Object.assign(c.Addresses || {}, {
	API: tcp(api), Gateway: tcp(gw), RPC: tcp(rpc), Swarm: [tcp(swarm)], Delegates: [] });
c.Bootstrap = [];
c.Discovery = { MDNS: { Enabled: false }, webRTCStar: { Enabled: false } };
c.Swarm = Object.assign(c.Swarm || {}, { DisableNatPortMap: true });
c.Routing = { Type: "none" };
c.Pubsub = Object.assign(c.Pubsub || {}, { Enabled: false });
fs.writeFileSync(path, JSON.stringify(c, null, 2));
' "$@"
}

api_id() { # api_id PORT: the daemon's peer ID; fails until its API answers
	_id=$(curl -sf -X POST "http://127.0.0.1:$1/api/v0/id") && printf '%s' "$_id" | jq -er .ID
}

# start_daemon DIR API: run it, remember its pid, wait until the API answers.
start_daemon() {
	IPFS_PATH=$1 nohup sh -c 'echo $$ >"$0.pid"; exec node "$1" daemon --enable-preload=false' \
		"$1" "$JS/node_modules/ipfs/src/cli.js" >"$1.log" 2>&1 </dev/null &
	wait_for 10 test -s "$1.pid" || return 1
	cleanup_pid "$(cat "$1.pid")"
	wait_for 60 api_id "$2"
}

ports=""
for i in 1 2 3 4 5 6 7 8; do ports="$ports $(free_port)"; done
set -- $ports
API1=$1 GW1=$2 SW1=$3 RPC1=$4 API2=$5 GW2=$6 SW2=$7 RPC2=$8

setup_repo "$T/repo1" "$API1" "$GW1" "$SW1" "$RPC1" || bail "init repo 1: $(tail -3 "$T/repo1.init.log")"
setup_repo "$T/repo2" "$API2" "$GW2" "$SW2" "$RPC2" || bail "init repo 2: $(tail -3 "$T/repo2.init.log")"
start_daemon "$T/repo1" "$API1" || bail "daemon 1 did not start: $(tail -5 "$T/repo1.log")"
start_daemon "$T/repo2" "$API2" || bail "daemon 2 did not start: $(tail -5 "$T/repo2.log")"
U1="http://127.0.0.1:$API1"
U2="http://127.0.0.1:$API2"
ID2=$(api_id "$API2")
like "$(curl -s -X POST "$U1/api/v0/swarm/connect?arg=/ip4/127.0.0.1/tcp/$SW2/p2p/$ID2")" \
	"success" "daemon 1 connects to daemon 2 over loopback"
like "$(curl -s -X POST "$U2/api/v0/swarm/peers" | jq -r '.Peers[].Peer')" "." \
	"daemon 2 sees daemon 1 as a peer"
# Nothing listens or connects beyond loopback.
pids_re=$(printf '%s|%s' "$(cat "$T/repo1.pid")" "$(cat "$T/repo2.pid")")
ss -tunap 2>/dev/null | grep -E "pid=($pids_re)," >"$T/sockets"
ok $([ "$(grep -c . "$T/sockets")" -ge 4 ] && echo 0 || echo 1) \
	"ss sees the daemons' sockets ($(grep -c . "$T/sockets"))"
outside=$(awk '{print $5, $6}' "$T/sockets" | grep -vE '^127\.0\.0\.1:[0-9]+ (127\.0\.0\.1|0\.0\.0\.0|\*):' || true)
is "$outside" "" "every one of them is on 127.0.0.1 (no UDP, no outside peer)"
is "$("$R1CONSOLE" r1fs id --ipfs-api "$U2" | cut -d' ' -f1)" "$ID2" "r1fs id names daemon 2's peer"
like "$("$R1CONSOLE" r1fs id --ipfs-api "$U2")" " js-ipfs/" "and its agent"

head -c 3000000 /dev/urandom >"$T/payload.bin"
mkdir -p "$T/out1" "$T/out2" "$T/node"

# Add through R1FS on daemon 1.
cid=$("$R1CONSOLE" r1fs add "$T/payload.bin" --ipfs-api "$U1" --secret s3cret 2>"$T/add.err")
ok $? "r1fs add through daemon 1"
like "$cid" "^Qm[1-9A-HJ-NP-Za-km-z]{44}$" "it prints a CIDv0: $cid"
[ -n "$cid" ] || bail "add failed: $(cat "$T/add.err")"
pinned=$(curl -s -X POST "$U1/api/v0/pin/ls?arg=$cid&type=recursive" | jq -r '.Keys | keys[]')
is "$pinned" "$cid" "daemon 1 holds a recursive pin on it"
ls_json=$(curl -s -X POST "$U1/api/v0/ls?arg=$cid")
name=$(printf '%s' "$ls_json" | jq -r '.Objects[0].Links | if length == 1 then .[0].Name else "" end')
file_cid=$(printf '%s' "$ls_json" | jq -r '.Objects[0].Links[0].Hash')
like "$name" "^[0-9a-f]{32}\.bin$" "daemon 1 sees a directory holding one file, $name"

# The same bytes under the same name, hashed by daemon 1 itself.
curl -s -X POST "$U1/api/v0/cat?arg=$file_cid" -o "$T/encrypted.bin"
size=$(wc -c <"$T/encrypted.bin")
ok $([ "$size" -gt 3000000 ] && echo 0 || echo 1) "daemon 1 serves the encrypted file ($size bytes)"
rehash=$(curl -s -X POST -F "file=@$T/encrypted.bin;filename=$name;type=application/octet-stream" \
	"$U1/api/v0/add?wrap-with-directory=true&only-hash=true" | jq -r 'select(.Name == "") | .Hash')
is "$rehash" "$cid" "the CID we print is the one daemon 1 computes for those bytes"

# ls and cat through daemon 2 walk the DAG block by block, each block checked.
ls2=$("$R1CONSOLE" r1fs ls "$cid" --ipfs-api "$U2")
is "$(printf '%s' "$ls2" | cut -d' ' -f1,3)" "$file_cid $name" "r1fs ls through daemon 2 shows the one entry"
"$R1CONSOLE" r1fs cat "$cid/$name" --ipfs-api "$U2" >"$T/cat.bin"
ok $? "r1fs cat CID/NAME through daemon 2"
cmp -s "$T/cat.bin" "$T/encrypted.bin"
ok $? "gives the encrypted bytes daemon 1 serves"

# The built-in store names the same add (same nonce) identically.
c_ipfs=$("$R1CONSOLE" r1fs add "$T/payload.bin" --ipfs-api "$U1" --secret s3cret --nonce 7)
c_local=$("$R1CONSOLE" r1fs add "$T/payload.bin" --node-dir "$T/node" --secret s3cret --nonce 7)
is "$c_ipfs" "$c_local" "with a fixed nonce the built-in store gives the same CID ($c_local)"

# Fetch through R1FS on daemon 2, which has no block of it: bitswap from daemon 1.
path=$("$R1CONSOLE" r1fs get "$cid" --ipfs-api "$U2" --secret s3cret --out "$T/out2" 2>"$T/get.err")
ok $? "r1fs get through daemon 2"
[ -n "$path" ] || diag "get: $(cat "$T/get.err")"
is "$path" "$T/out2/payload.bin" "restored under its original name"
cmp -s "$T/payload.bin" "$path"
ok $? "byte-identical to what was added on daemon 1"
pinned2=$(curl -s -X POST "$U2/api/v0/pin/ls?arg=$cid&type=recursive" | jq -r '.Keys | keys[]')
is "$pinned2" "$cid" "daemon 2 pins it after the get (the reference's default)"
# (js-ipfs init pins its readme directory and an empty directory too.)
pins_of() { "$R1CONSOLE" r1fs pins --ipfs-api "$1" | grep -c "^$2 "; }
is "$(pins_of "$U2" "$cid")" 1 "r1fs pins lists it from daemon 2"
"$R1CONSOLE" r1fs unpin "$cid" --ipfs-api "$U2"
ok $? "r1fs unpin through daemon 2"
is "$(pins_of "$U2" "$cid")" 0 "the pin is gone"
"$R1CONSOLE" r1fs unpin "$cid" --ipfs-api "$U2" 2>"$T/unpin.err"
is "$?" 1 "unpinning again fails"
like "$(cat "$T/unpin.err")" "not pinned" "because it is not pinned"
"$R1CONSOLE" r1fs pin "$cid" --ipfs-api "$U2"
ok $? "r1fs pin through daemon 2"
is "$(pins_of "$U2" "$cid")" 1 "pinned again"

"$R1CONSOLE" r1fs get "$cid" --ipfs-api "$U2" --secret wrong --out "$T/out1" >/dev/null 2>"$T/bad.err"
is "$?" 1 "the wrong secret fails"
like "$(cat "$T/bad.err")" "authentication failed" "with the reason"
is "$(ls "$T/out1" | wc -l)" 0 "and leaves no file"

# CIDv1 (raw leaves) both ways.
cid1=$("$R1CONSOLE" r1fs add "$T/payload.bin" --ipfs-api "$U2" --secret s3cret --v1)
like "$cid1" "^bafybei[a-z2-7]{52}$" "a CIDv1 add through daemon 2: $cid1"
path1=$("$R1CONSOLE" r1fs get "$cid1" --ipfs-api "$U1" --secret s3cret --out "$T/out1")
cmp -s "$T/payload.bin" "$path1"
ok $? "fetched through daemon 1, byte-identical"

# ---- the same through two of our nodes, one on each daemon
# (`r1console node --ipfs-api`), on one broker: the file goes in through
# node A's HTTP API and comes out of node B's.
CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
mport=$(free_port)
start_mosquitto "$mport"
mkdir -p "$T/na" "$T/nb" "$T/outn"
NA=$("$CLIENT" --new-key "$T/na/e2.pem")
NB=$("$CLIENT" --new-key "$T/nb/e2.pem")
HTTP_a=$(free_port)
HTTP_b=$(free_port)
start_node() { # start_node a|b DAEMON-URL HTTP-PORT OTHER
	"$R1CONSOLE" node --alias "r1-$1" --data "$T/n$1" --broker "mqtt://127.0.0.1:$mport" \
		--allow "$4" --heartbeat-period 1 --cstore-port 0 --r1fs-port "$3" --ipfs-api "$2" \
		--log-level debug --log "$T/n$1.log" 2>>"$T/n$1.err" &
	eval "PID_$1=$!"
	cleanup_pid $!
	wait_for 15 test -s "$T/n$1/r1fs-api.port" ||
		bail "node $1 has no R1FS API: $(tail -5 "$T/n$1.log")"
}
start_node a "$U1" "$HTTP_a" "$NB"
start_node b "$U2" "$HTTP_b" "$NA"
nfs() { # nfs a|b ARGS...: r1console r1fs through the node's HTTP API
	_n=$1; shift
	eval "_hp=\$HTTP_$_n"
	"$R1CONSOLE" r1fs "$@" --port "$_hp" --timeout 60
}
ncid=$(nfs a add "$T/payload.bin" --secret n0de 2>"$T/nadd.err")
ok $? "add through node A's HTTP API"
like "$ncid" "^Qm[1-9A-HJ-NP-Za-km-z]{44}$" "node A answers with a CIDv0: $ncid"
is "$(curl -s -X POST "$U1/api/v0/pin/ls?arg=$ncid&type=recursive" | jq -r '.Keys | keys[]')" \
	"$ncid" "daemon 1 holds node A's pin"
nls=$(curl -s -X POST "$U1/api/v0/ls?arg=$ncid")
nname=$(printf '%s' "$nls" | jq -r '.Objects[0].Links | if length == 1 then .[0].Name else "" end')
curl -s -X POST "$U1/api/v0/cat?arg=$(printf '%s' "$nls" | jq -r '.Objects[0].Links[0].Hash')" \
	-o "$T/nenc.bin"
nrehash=$(curl -s -X POST -F "file=@$T/nenc.bin;filename=$nname;type=application/octet-stream" \
	"$U1/api/v0/add?wrap-with-directory=true&only-hash=true" | jq -r 'select(.Name == "") | .Hash')
is "$nrehash" "$ncid" "node A's CID is the one daemon 1 computes for the bytes it holds"
is "$(curl -s -X POST "$U2/api/v0/pin/ls?arg=$ncid&type=recursive" | jq -r '(.Keys // {}) | keys[]')" \
	"" "daemon 2 does not pin it yet"
heard() { curl -s "http://127.0.0.1:$HTTP_b/peers" | jq -e '.result[] | select(.alias == "r1-a" and .store == "ipfs")'; }
wait_for 20 heard
ok $? "node B heard node A announce an IPFS-backed R1FS"
received() { curl -s -X POST "$U2/api/v0/bitswap/stat" | jq -r .BlocksReceived; }
before=$(received)
npath=$(nfs b get "$ncid" --secret n0de --out "$T/outn" 2>"$T/nget.err")
ok $? "get through node B's HTTP API"
[ -n "$npath" ] || diag "get: $(cat "$T/nget.err")"
is "$npath" "$T/outn/payload.bin" "restored under its original name"
cmp -s "$T/payload.bin" "$T/outn/payload.bin"
ok $? "byte-identical to what node A added"
# (js-ipfs updates its bitswap counters about once a second)
fetched() { [ $(( $(received) - before )) -ge 13 ]; }
wait_for 10 fetched
ok $? "daemon 2 took its blocks from daemon 1 over bitswap ($(( $(received) - before )))"
is "$(curl -s -X POST "$U2/api/v0/pin/ls?arg=$ncid&type=recursive" | jq -r '.Keys | keys[]')" \
	"$ncid" "daemon 2 pins it after node B's get"
# The other requests through the nodes' APIs are the daemons' answers.
like "$(nfs b pins)" "^$ncid 0 -$" "node B's pins include it (IPFS keeps no name or size)"
like "$(nfs b stat "$ncid")" "pinned: yes" "node B's stat of it"
is "$(nfs a ls "$ncid" | cut -d' ' -f3)" "$nname" "node A's ls shows the one entry, $nname"
npins=$(curl -s -X POST "$U2/api/v0/pin/ls?type=recursive" | jq -r '.Keys | length')
nobj=$(curl -s -X POST "$U2/api/v0/repo/stat" | jq -r '.NumObjects')
is "$(nfs b stat | sed -n 2p)" "blocks: $nobj, pins: $npins" \
	"node B's store stat is daemon 2's repo/stat and pins ($nobj blocks, $npins pins)"
nfs b gc >/dev/null 2>"$T/ngc.err"
is "$?" 1 "gc through node B is refused"
like "$(cat "$T/ngc.err")" "IPFS node collects its own garbage" "saying why"
for n in a b; do
	eval "pid=\$PID_$n"
	kill -TERM "$pid"
	wait "$pid"
	is "$?" "0" "node $n exits cleanly"
done
! grep -q "ERROR: AddressSanitizer\|LeakSanitizer\|runtime error" "$T/na.err" "$T/nb.err"
ok $? "no sanitizer report from the nodes"

# A CID nobody has: the node gives up after the timeout we pass it, and so do we.
head -c 1000 /dev/urandom >"$T/never-added"
absent=$("$R1CONSOLE" r1fs cid "$T/never-added")
start=$(date +%s)
"$R1CONSOLE" r1fs get "$absent" --ipfs-api "$U2" --ipfs-timeout 2 --out "$T/out1" \
	>/dev/null 2>"$T/absent.err"
is "$?" 3 "a CID no daemon has fails (exit 3: a timeout)"
like "$(cat "$T/absent.err")" "timed out" "the daemon's timeout, reported: $(cat "$T/absent.err")"
took=$(( $(date +%s) - start ))
ok $([ "$took" -le 15 ] && echo 0 || echo 1) "within the 2 s timeout, give or take ($took s)"

"$R1CONSOLE" r1fs get "$cid" --ipfs-api "http://127.0.0.1:$(free_port)" --out "$T/out1" \
	>/dev/null 2>"$T/down.err"
is "$?" 1 "a daemon that is not there fails"
like "$(cat "$T/down.err")" "cannot connect" "saying so"

tap_done
