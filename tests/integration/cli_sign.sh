#!/bin/sh
# r1console sign / verify, end to end: sign with the vector keys (ETH on and
# off), verify what we signed, verify SDK-signed vector messages (v2,
# unversioned, v1, tampered), and the exit codes: 0 valid, 1 invalid or
# failed, 2 usage.
. "$R1_SRCDIR/tests/lib.sh"

V=${R1_VECTORS:-$R1_SRCDIR/../shared/vectors}
[ -f "$V/keys.json" ] || bail "vectors not found in $V"
command -v jq >/dev/null || bail "jq is needed (setup.sh installs it)"

jq -r '.keys[0].private_key_pem_pkcs8' "$V/keys.json" >"$T/k0.pem"
mkdir -p "$T/node"
jq -r '.keys[1].private_key_pem_pkcs8' "$V/keys.json" >"$T/node/e2.pem"
K0=$(jq -r '.keys[0].address' "$V/keys.json")
K1=$(jq -r '.keys[1].address' "$V/keys.json")
K0_ETH=$(jq -r '.keys[0].eth_address' "$V/keys.json")

msg='{"x": 0.1, "big": 123456789012345678901234567890, "s": "ș\u0000", "l": [1.0, NaN]}'

# sign with ETH on (the default) and verify
printf '%s' "$msg" | "$R1CONSOLE" sign --key "$T/k0.pem" >"$T/signed.json"
ok $? "sign --key exits 0"
is "$(jq -r '.SIGN_CANON_V' "$T/signed.json")" "v2" "SIGN_CANON_V is v2"
is "$(jq -r '.EE_SENDER' "$T/signed.json")" "$K0" "EE_SENDER is k0"
is "$(jq -r '.EE_ETH_SENDER' "$T/signed.json")" "$K0_ETH" "EE_ETH_SENDER is k0's ETH address"
is "$(jq -r '.EE_ETH_SIGN' "$T/signed.json")" "0xBEEF" "EE_ETH_SIGN placeholder"
like "$(cat "$T/signed.json")" '"big":123456789012345678901234567890' "big integer kept digit for digit"
out=$("$R1CONSOLE" verify <"$T/signed.json")
ok $? "verify exits 0 on our signature"
is "$out" "valid (canon v2) signed by $K0, signature over EE_HASH" "verify output"

# the same message verified by a peer with ETH off: EE_ETH_* are hashed there
out=$("$R1CONSOLE" verify --no-eth <"$T/signed.json")
is $? 1 "verify --no-eth exits 1 on an ETH-signed message"
like "$out" '^invalid: hash mismatch: EE_HASH says "[0-9a-f]{64}", computed "[0-9a-f]{64}" \(canon v2\)$' \
	"verify --no-eth says hash mismatch"

# sign with ETH off from a node's data directory
printf '%s' "$msg" | "$R1CONSOLE" sign --data "$T/node" --no-eth >"$T/signed-noeth.json"
ok $? "sign --data --no-eth exits 0"
is "$(jq -r 'has("EE_ETH_SENDER")' "$T/signed-noeth.json")" "false" "no ETH fields"
out=$("$R1CONSOLE" verify --no-eth <"$T/signed-noeth.json")
is "$out" "valid (canon v2) signed by $K1, signature over EE_HASH" "verify --no-eth of a non-ETH signature"

# tampering
sed 's/"x":0.1/"x":0.2/' "$T/signed.json" >"$T/tampered.json"
out=$("$R1CONSOLE" verify <"$T/tampered.json")
is $? 1 "tampered message: exit 1"
like "$out" '^invalid: hash mismatch: ' "tampered message: hash mismatch"

# SDK-signed vectors: the verdict and the canon path as the SDK recorded them
for id in A-v2-015 A-v2-017 A-v2-053 A-legacy-001 A-legacy-003 A-accept-002; do
	row=$(grep "\"id\": \"$id\"" "$V/canon_sign.jsonl")
	path=$(printf '%s' "$row" | jq -r '.expected.canon_path')
	eth=$(printf '%s' "$row" | jq -r '.verifier_eth_enabled')
	flag=""
	[ "$eth" = "false" ] && flag="--no-eth"
	out=$(printf '%s' "$row" | jq -r '.wire' | "$R1CONSOLE" verify $flag)
	ok $? "$id verifies"
	like "$out" "^valid \\(canon $path\\) signed by 0xai_" "$id: canon $path"
done
for id in A-tampered-001 A-tampered-005 A-tampered-008 A-tampered-010; do
	row=$(grep "\"id\": \"$id\"" "$V/canon_sign.jsonl")
	out=$(printf '%s' "$row" | jq -r '.wire' | "$R1CONSOLE" verify)
	is $? 1 "$id is refused"
	like "$out" '^invalid: [a-z ]+: .+' "$id: verdict and reason ($out)"
done

# malformed input and usage errors
out=$(printf '[1, 2' | "$R1CONSOLE" verify)
is $? 1 "truncated JSON: exit 1"
is "$out" "invalid: malformed: json: unexpected end of input at byte 5" "truncated JSON: reason"
printf '{}' | "$R1CONSOLE" sign >/dev/null 2>"$T/err"
is $? 2 "sign without a key: exit 2"
like "$(cat "$T/err")" "no key" "sign without a key says so"
"$R1CONSOLE" verify --bogus </dev/null >/dev/null 2>&1
is $? 2 "unknown option: exit 2"
"$R1CONSOLE" sign --key </dev/null >/dev/null 2>&1
is $? 2 "--key without a file: exit 2"
printf '[]' | "$R1CONSOLE" sign --key "$T/k0.pem" >/dev/null 2>"$T/err"
is $? 1 "signing a non-object: exit 1"
like "$(cat "$T/err")" "not a JSON object" "signing a non-object says why"
printf '{}' | "$R1CONSOLE" sign --key "$T/missing.pem" >/dev/null 2>"$T/err"
is $? 1 "missing key file: exit 1"
out=$("$R1CONSOLE" verify --help)
ok $? "verify --help exits 0"
like "$out" "usage: r1console verify" "verify --help prints the usage"

tap_done
