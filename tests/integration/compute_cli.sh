#!/bin/sh
# r1console compute --local: R1MX files written by an independent Python
# writer (struct, per the documented layout), products checked against a
# pure-Python reference, vector search rankings, the benchmark's output,
# and every bad input (non-conforming dimensions, truncated file, trailing
# bytes, missing file, a job above the memory limit, bad flags) failing
# with a clear reason and the right exit status.
. "$R1_SRCDIR/tests/lib.sh"

command -v python3 >/dev/null || bail "python3 needed to write test matrices"

# mx.py write FILE DTYPE ROWS COLS V1 V2 ... | read FILE | pack (stdin: raw header fields)
cat >"$T/mx.py" <<'PY'
import struct, sys
def write(path, dtype, rows, cols, vals):
    code = {"f32": (1, "f"), "f64": (2, "d")}[dtype]
    with open(path, "wb") as f:
        f.write(b"R1MX" + struct.pack("<HBBQQQ", 1, code[0], 0, rows, cols, 0))
        f.write(struct.pack("<%d%s" % (len(vals), code[1]), *vals))
def read(path):
    b = open(path, "rb").read()
    assert b[:4] == b"R1MX", "magic"
    ver, dt, order, rows, cols, res = struct.unpack("<HBBQQQ", b[4:32])
    fmt = "f" if dt == 1 else "d"
    vals = struct.unpack("<%d%s" % (rows * cols, fmt), b[32:])
    assert len(b) == 32 + rows * cols * (4 if dt == 1 else 8)
    return rows, cols, dt, vals
cmd = sys.argv[1]
if cmd == "write":
    write(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
          [float(v) for v in sys.argv[6:]])
elif cmd == "read":
    rows, cols, dt, vals = read(sys.argv[2])
    print(rows, cols, dt, " ".join("%g" % v for v in vals))
elif cmd == "check":  # check C A B alpha ta tb: max abs error of C against alpha op(A) op(B)
    C = read(sys.argv[2]); A = read(sys.argv[3]); B = read(sys.argv[4])
    alpha = float(sys.argv[5]); ta = sys.argv[6] == "1"; tb = sys.argv[7] == "1"
    def op(M, t, i, j):
        r, c, _, v = M
        return v[j * c + i] if t else v[i * c + j]
    m = A[1] if ta else A[0]; k = A[0] if ta else A[1]; n = B[0] if tb else B[1]
    assert (C[0], C[1]) == (m, n), "shape %r" % ((C[0], C[1]),)
    err = max(abs(C[3][i * n + j] - alpha * sum(op(A, ta, i, p) * op(B, tb, p, j) for p in range(k)))
              for i in range(m) for j in range(n))
    print("%.3g" % err)
PY
mx() { python3 "$T/mx.py" "$@"; }

# A 2x3, B 3x2 (float64)
mx write "$T/a.r1mx" f64 2 3 1 2 3 4 5 6
mx write "$T/b.r1mx" f64 3 2 7 8 9 10 11 12
out=$("$R1CONSOLE" compute matmul --local "$T/a.r1mx" "$T/b.r1mx" -o "$T/c.r1mx" 2>&1)
is "$?" 0 "matmul of 2x3 by 3x2 succeeds"
like "$out" "c.r1mx: 2 x 2 float64 in" "it says what it wrote"
is "$(mx read "$T/c.r1mx")" "2 2 2 58 64 139 154" "C = [[58,64],[139,154]] (float64)"

# Transposes and alpha on float32, against the Python product.
mx write "$T/at.r1mx" f32 3 4 1 -2 3 0.5 2 2 -1 4 0 1 1 -3
mx write "$T/bt.r1mx" f32 5 3 1 0 2 -1 1 1 3 2 0 0.25 -4 1 2 2 2
"$R1CONSOLE" compute matmul --local --ta --tb --alpha -1.5 "$T/at.r1mx" "$T/bt.r1mx" \
	-o "$T/ct.r1mx" >/dev/null 2>&1
is "$?" 0 "matmul with --ta --tb --alpha -1.5 on float32"
err=$(mx check "$T/ct.r1mx" "$T/at.r1mx" "$T/bt.r1mx" -1.5 1 1)
like "$err" "^(0|[0-9.]+e-0[6-9]|[0-9.]+e-[1-9][0-9])$" "4x5 result within float32 rounding of Python's (max abs error $err)"

# beta with C0, computed in float64 from float32 inputs (--dtype).
mx write "$T/c0.r1mx" f64 2 2 1 1 1 1
"$R1CONSOLE" compute matmul --local "$T/a.r1mx" "$T/b.r1mx" --beta 2 --c "$T/c0.r1mx" \
	--alpha 0.5 -o "$T/cb.r1mx" >/dev/null 2>&1
is "$(mx read "$T/cb.r1mx")" "2 2 2 31 34 71.5 79" "0.5 A B + 2 C0"
"$R1CONSOLE" compute matmul --local "$T/at.r1mx" "$T/at.r1mx" --ta --dtype f64 \
	-o "$T/ata.r1mx" >/dev/null 2>&1
like "$(mx read "$T/ata.r1mx")" "^4 4 2 " "--dtype f64 on float32 inputs gives float64"

# Bad input: each fails with status 1 and a reason.
"$R1CONSOLE" compute matmul --local "$T/a.r1mx" "$T/a.r1mx" -o "$T/x.r1mx" 2>"$T/err" >/dev/null
is "$?" 1 "non-conforming dimensions fail"
like "$(cat "$T/err")" "non-conforming dimensions: op\(A\) is 2 x 3, op\(B\) is 2 x 3 \(inner 3 != 2\)" \
	"and say both shapes"
[ ! -e "$T/x.r1mx" ]
ok $? "no output written"

head -c 70 "$T/a.r1mx" >"$T/trunc.r1mx"
"$R1CONSOLE" compute matmul --local "$T/trunc.r1mx" "$T/b.r1mx" -o "$T/x.r1mx" 2>"$T/err"
is "$?" 1 "a truncated matrix file fails"
like "$(cat "$T/err")" "trunc.r1mx: matrix: truncated file: 2 x 3 float64 needs 80 bytes, the file has 70" \
	"and says how short it is"

cp "$T/a.r1mx" "$T/long.r1mx"
printf 'xyz' >>"$T/long.r1mx"
"$R1CONSOLE" compute matmul --local "$T/long.r1mx" "$T/b.r1mx" -o "$T/x.r1mx" 2>"$T/err"
is "$?" 1 "trailing bytes fail"
like "$(cat "$T/err")" "3 trailing bytes" "and are counted"

printf 'R1MX\002\000\002\000' >"$T/v2.r1mx"
head -c 72 /dev/zero >>"$T/v2.r1mx"
"$R1CONSOLE" compute matmul --local "$T/v2.r1mx" "$T/b.r1mx" -o "$T/x.r1mx" 2>"$T/err"
is "$?" 1 "an unknown version fails"
like "$(cat "$T/err")" "R1MX version 2 is not supported" "and names the version"

"$R1CONSOLE" compute matmul --local "$T/nope.r1mx" "$T/b.r1mx" -o "$T/x.r1mx" 2>"$T/err"
is "$?" 1 "a missing matrix fails"
like "$(cat "$T/err")" "cannot open .*nope.r1mx: No such file" "and names the file"

python3 -c "
import struct
open('$T/big.r1mx','wb').write(b'R1MX'+struct.pack('<HBBQQQ',1,2,0,300,300,0)+bytes(300*300*8))
"
"$R1CONSOLE" compute matmul --local "$T/big.r1mx" "$T/big.r1mx" -o "$T/x.r1mx" \
	--mem-limit 2M 2>"$T/err"
is "$?" 1 "a job above the memory limit fails"
like "$(cat "$T/err")" "gemm 300x300x300 float64: the job needs 2.1 MiB, above the per-job memory limit of 2.0 MiB" \
	"and says what it needs and what is allowed"
"$R1CONSOLE" compute matmul --local "$T/big.r1mx" "$T/big.r1mx" -o "$T/x.r1mx" \
	--mem-limit 500K 2>"$T/err"
is "$?" 1 "an input above the memory limit is refused before it is read"
like "$(cat "$T/err")" "needs 720000 bytes, above the limit of 512000" "with the sizes"

"$R1CONSOLE" compute matmul --local "$T/a.r1mx" "$T/b.r1mx" --beta 1 -o "$T/x.r1mx" 2>"$T/err"
is "$?" 2 "--beta without --c is a usage error"
"$R1CONSOLE" compute matmul 2>"$T/err"
is "$?" 2 "neither NODE nor --local: usage error"
like "$(cat "$T/err")" "name a NODE, or give --local" "saying why"
"$R1CONSOLE" compute matmul --local --alpha nan "$T/a.r1mx" "$T/b.r1mx" -o "$T/x.r1mx" 2>/dev/null
is "$?" 2 "--alpha nan refused"
"$R1CONSOLE" compute frobnicate 2>/dev/null
is "$?" 2 "unknown subcommand"

# Vector search: rows of E; query 0 is row 2 scaled, query 1 is row 0 negated.
mx write "$T/e.r1mx" f32 4 3 1 0 0 0 1 0 1 1 0 0 0 1
mx write "$T/q.r1mx" f64 2 3 5 5 0 -1 0 0
out=$("$R1CONSOLE" compute search --local --index "$T/e.r1mx" --query "$T/q.r1mx" -k 2)
is "$?" 0 "search succeeds"
is "$out" "query 0: 2 (1.0000) 0 (0.7071)
query 1: 1 (0.0000) 3 (0.0000)" "top-2 of each query, ties by row"
json=$("$R1CONSOLE" compute search --local --index "$T/e.r1mx" --query "$T/q.r1mx" -k 9 --json)
like "$(printf '%s' "$json" | tr -d ' \n')" '^\[\{"HITS":\[\{"ROW":2,"SCORE":(1|0\.99999)[0-9.]*\},\{"ROW":0,' \
	"--json lists rows and scores"
is "$(printf '%s' "$json" | grep -c '"ROW"')" 8 "k above the rows gives every row once per query"
mx write "$T/q2.r1mx" f32 1 2 1 1
"$R1CONSOLE" compute search --local --index "$T/e.r1mx" --query "$T/q2.r1mx" 2>"$T/err" >/dev/null
is "$?" 1 "a query of the wrong dimension fails"
like "$(cat "$T/err")" "queries have dimension 2, the index has 3" "with both dimensions"

# Bench (small size: the machine is shared).
out=$("$R1CONSOLE" compute bench --local --size 128 --reps 1)
is "$?" 0 "bench --local runs"
like "$out" "OpenBLAS core [A-Za-z0-9]+ \(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}\)" \
	"names the core and the environment's core type"
like "$out" "dgemm n=128: [0-9]+\.[0-9]+ GFLOP/s" "dgemm figure"
like "$out" "sgemm n=128: [0-9]+\.[0-9]+ GFLOP/s" "sgemm figure"
json=$("$R1CONSOLE" compute bench --local --size 64 --reps 1 --json)
like "$json" '"GFLOPS_F64": [0-9]' "--json has GFLOPS_F64"
like "$json" '"N": 64' "and the size"

# The networked forms, on the embedded local network (an oracle and the
# local node in the CLI's own process, each with its compute engine).
export XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state"
unset EE_MQTT_HOST EE_MQTT_PORT EE_MQTT_USER EE_MQTT EE_SECURED EE_ROOT_TOPIC EE_SDK_ALIAS
out=$("$R1CONSOLE" compute bench local --size 96 --reps 1 2>"$T/err")
is "$?" 0 "bench on the local node (BLAS_BENCH_01 deployed, its payload read)"
like "$out" "^local: OpenBLAS core [A-Za-z0-9]+ \(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}\)" \
	"the node's core and core type"
like "$out" "dgemm n=96: [0-9]+\.[0-9]+ GFLOP/s" "the node's dgemm figure"
json=$("$R1CONSOLE" compute bench local --size 64 --reps 1 --json 2>/dev/null)
like "$json" '"NODE": "local"' "--json names the node"
like "$json" '"GFLOPS_F32": [0-9]' "and has the sgemm figure"
"$R1CONSOLE" compute matmul local --a QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB \
	--b QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB >/dev/null 2>"$T/err"
is "$?" 1 "matmul of a CID the node lacks fails"
like "$(cat "$T/err")" "MATMUL_JOB_01 on local failed: A \(QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB\): not in R1FS" \
	"with the node's reason"
"$R1CONSOLE" compute search local --index QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB \
	--query "$T/q.r1mx" >/dev/null 2>"$T/err"
is "$?" 1 "search with an index the node lacks fails"
like "$(cat "$T/err")" "VECTOR_SEARCH_01 on local failed: the embeddings .*not in R1FS" \
	"with the node's reason"
"$R1CONSOLE" compute bench no-such-node --size 64 >/dev/null 2>"$T/err"
is "$?" 1 "an unknown node"
like "$(cat "$T/err")" "no node 'no-such-node'" "is named"

# ChainDist on the embedded network: the master on its local node, which
# may work itself (the oracle does not take its commands).
LOCAL_DIR="$XDG_DATA_HOME/r1console/nodes/local"
CA=$("$R1CONSOLE" r1fs add "$T/at.r1mx" --node-dir "$LOCAL_DIR")
CB=$("$R1CONSOLE" r1fs add "$T/bt.r1mx" --node-dir "$LOCAL_DIR")
out=$("$R1CONSOLE" compute matmul --a "$CA" --b "$CB" --ta --tb --nodes 1 --allow-self \
	2>"$T/err")
is "$?" 0 "compute matmul --nodes 1 --allow-self through CHAIN_DIST_MASTER_01"
like "$out" "^Qm[1-9A-Za-z]{44}: 4 x 5 float64 in 1 part in [0-9.]+ s" \
	"prints the result's CID, shape and parts"
like "$out" "part 0: rows 0\+4 on local \(attempt 1\): kernel" "and each part's node and times"
like "$(cat "$T/err")" "DISTRIBUTE_JOBS" "progress on stderr with the reference's states"
mkdir -p "$T/cd"
got=$("$R1CONSOLE" r1fs get "${out%%:*}" --node-dir "$LOCAL_DIR" --out "$T/cd")
err=$(mx check "$got" "$T/at.r1mx" "$T/bt.r1mx" 1 1 1)
like "$err" "^(0|[0-9.]+e-(0[6-9]|[1-9][0-9]))$" "the product in R1FS is A^T B^T (max abs error $err)"
"$R1CONSOLE" compute matmul --a QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB --b "$CB" \
	--nodes 1 --allow-self >/dev/null 2>"$T/err"
is "$?" 1 "a ChainDist product of a missing CID fails"
like "$(cat "$T/err")" "CHAIN_DIST_MASTER_01 on local failed: A \(QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB\): not in R1FS" \
	"with the master's reason"
# Bad input on the node (MATMUL_JOB_01): the node's reason, from its notification.
node_fails() { # node_fails NAME REGEX MATMUL-ARGS...
	_name=$1 _want=$2; shift 2
	"$R1CONSOLE" compute matmul local "$@" >/dev/null 2>"$T/err"
	is "$?" 1 "on the node: $_name fails"
	like "$(cat "$T/err")" "MATMUL_JOB_01 on local failed: .*$_want" "with the node's reason"
}
CAA=$("$R1CONSOLE" r1fs add "$T/a.r1mx" --node-dir "$LOCAL_DIR")
CTR=$("$R1CONSOLE" r1fs add "$T/trunc.r1mx" --node-dir "$LOCAL_DIR")
CBIG=$("$R1CONSOLE" r1fs add "$T/big.r1mx" --node-dir "$LOCAL_DIR")
node_fails "non-conforming dimensions" "non-conforming dimensions: op\(A\) is 2 x 3, op\(B\) is 2 x 3" \
	--a "$CAA" --b "$CAA"
node_fails "a truncated matrix file" "truncated file: 2 x 3 float64 needs 80 bytes, the file has 70" \
	--a "$CTR" --b "$CB"
node_fails "a job above the memory limit" "the job needs 2.1 MiB, above the per-job memory limit of 2.0 MiB" \
	--a "$CBIG" --b "$CBIG" --mem-limit 2M

"$R1CONSOLE" compute matmul --local "$T/a.r1mx" "$T/b.r1mx" --nodes 2 2>"$T/err" >/dev/null
is "$?" 2 "--nodes with --local: usage error"
"$R1CONSOLE" compute matmul --a "$CA" --b "$CB" --nodes 0 2>"$T/err" >/dev/null
is "$?" 2 "--nodes 0: usage error"

tap_done
