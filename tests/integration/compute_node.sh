#!/bin/sh
# Compute on a real node (r1console node over mosquitto, commands signed and
# encrypted by the test client as the SDK does):
#  - while BLAS_BENCH_01 runs a long benchmark, the node keeps its 1 s
#    heartbeat (no gap above 2.5 s on the broker while the job runs), then
#    publishes the GFLOP/s with the OpenBLAS core type;
#  - MATMUL_JOB_01 with bad input fails with a clear reason in the
#    notification on <root>/notif: non-conforming dimensions, a missing CID,
#    a job above the memory limit; a good inline product is published.
. "$R1_SRCDIR/tests/lib.sh"

CLIENT="$R1_BUILDDIR/tests/integration/node_client"
[ -x "$CLIENT" ] || bail "missing $CLIENT"
command -v mosquitto_sub >/dev/null || bail "mosquitto_sub not installed (Debian package mosquitto-clients)"
port=$(free_port)
start_mosquitto "$port"
BROKER="mqtt://127.0.0.1:$port"
ME=$("$CLIENT" --new-key "$T/client.pem")
DIR="$T/node"

"$R1CONSOLE" node --alias compute-it --data "$DIR" --broker "$BROKER" --allow "$ME" \
	--heartbeat-period 1 --log-level info --log "$T/node.log" &
NODE_PID=$!
cleanup_pid "$NODE_PID"
wait_for 10 test -s "$DIR/e2.pem" || bail "the node did not start: $(tail -5 "$T/node.log")"
wait_for 10 grep -q "connected to" "$T/node.log" || bail "the node did not connect"
sleep 0.3
NODE=$("$R1CONSOLE" node address --data "$DIR")

# Everything on the broker, with arrival times.
mosquitto_sub -p "$port" -t 'naeural/ctrl' -F '%U' >"$T/beats" 2>/dev/null &
cleanup_pid $!
mosquitto_sub -p "$port" -t 'naeural/notif' -F '%p' >"$T/notifs" 2>/dev/null &
cleanup_pid $!
mosquitto_sub -p "$port" -t 'naeural/payloads' -F '%U %p' >"$T/payloads" 2>/dev/null &
cleanup_pid $!
sleep 0.5

client() {
	"$CLIENT" --broker "$BROKER" --key "$T/client.pem" --node "$NODE" "$@" >>"$T/client.log" 2>&1
}

# A long benchmark: 3072 x 3072, two timed products per precision after a warm-up.
BENCH='{"NAME":"bench","TYPE":"Void","PLUGINS":[{"SIGNATURE":"BLAS_BENCH_01","INSTANCES":[{"INSTANCE_ID":"b1","BENCH_SIZE":3072,"BENCH_REPS":2}]}]}'
start_at=$(date +%s.%N)
client send UPDATE_CONFIG "$BENCH" notif 1 bench
ok $? "BLAS_BENCH_01 deployed"
wait_for 300 grep -q '"GFLOPS_F64"' "$T/payloads"
ok $? "the benchmark's payload arrived"
line=$(grep '"GFLOPS_F64"' "$T/payloads" | head -1)
like "$line" '"GFLOPS_F64": ?[0-9]+\.?[0-9]*' "with dgemm GFLOP/s"
like "$line" '"OPENBLAS_CORE": ?"[A-Za-z0-9]+"' "and the OpenBLAS core"
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
	like "$line" "\"OPENBLAS_CORETYPE\": ?\"$OPENBLAS_CORETYPE\"" "and OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
else
	like "$line" '"OPENBLAS_CORETYPE": ?null' "and OPENBLAS_CORETYPE null (unset)"
fi
done_at=${line%% *}
# Heartbeats from the deployment to the result: the largest gap between two.
gaps=$(awk -v s="$start_at" -v e="$done_at" '
	$1 >= s - 1 && $1 <= e + 1 { if (p) { g = $1 - p; if (g > m) m = g; n++ } p = $1 }
	END { printf "%d %.2f\n", n, m }' "$T/beats")
n=${gaps% *}
maxgap=${gaps#* }
diag "heartbeats while the benchmark ran: $n, largest gap ${maxgap} s; $(grep -o '"GFLOPS_F64": *[0-9.]*' "$T/payloads" | head -1)"
[ "$n" -ge 3 ]
ok $? "heartbeats kept coming while the BLAS job ran ($n)"
awk -v m="$maxgap" 'BEGIN { exit !(m < 2.5) }'
ok $? "no heartbeat gap above 2.5 s at a 1 s period (largest ${maxgap} s)"

# Bad input for MATMUL_JOB_01: the reason reaches the notification.
deploy_mm() { # NAME INSTANCE-JSON
	client send UPDATE_CONFIG "{\"NAME\":\"$1\",\"TYPE\":\"Void\",\"PLUGINS\":[{\"SIGNATURE\":\"MATMUL_JOB_01\",\"INSTANCES\":[$2]}]}" notif 1 "$1"
}
deploy_mm mm_dims '{"INSTANCE_ID":"m1","A":[[1,2,3]],"B":[[1,2,3]]}'
wait_for 20 grep -q 'non-conforming dimensions: op(A) is 1 x 3, op(B) is 1 x 3' "$T/notifs"
ok $? "non-conforming dimensions: the notification says both shapes"
deploy_mm mm_cid '{"INSTANCE_ID":"m1","A_CID":"QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB","B_CID":"QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB"}'
wait_for 20 grep -q 'A (QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB): not in R1FS' "$T/notifs"
ok $? "a missing CID: the notification names the operand and the CID"
# A is 400 x 1, B 1 x 400: the 400 x 400 float64 product alone is 1.2 MiB.
col=$(python3 -c "import json; print(json.dumps([[1]]*400))")
row=$(python3 -c "import json; print(json.dumps([[1]*400]))")
deploy_mm mm_mem "{\"INSTANCE_ID\":\"m1\",\"MAX_MEMORY_MB\":1,\"A\":$col,\"B\":$row}"
wait_for 20 grep -q 'above the per-job memory limit of 1.0 MiB' "$T/notifs"
ok $? "a job above the memory limit: the notification says what it needs and what is allowed"
grep -o 'the job needs [0-9.]* MiB, above the per-job memory limit of 1.0 MiB' "$T/notifs" | head -1 | while read -r l; do diag "$l"; done

deploy_mm mm_ok '{"INSTANCE_ID":"m1","A":[[1,2],[3,4]],"B":[[5,6],[7,8]],"RESULT":"inline"}'
wait_for 20 grep -q '"RESULT": *\[\[19\.0, *22\.0\], *\[43\.0, *50\.0\]\]' "$T/payloads"
ok $? "a good inline product is published"

kill "$NODE_PID"
wait "$NODE_PID" 2>/dev/null
tap_done
