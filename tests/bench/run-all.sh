#!/bin/sh
# Every benchmark of tests/bench in one go, on an optimised build without
# sanitizers, each figure beside its anchor from the same run.  Output goes
# to stdout; run it on a quiet machine:
#
#   tests/bench/run-all.sh [BUILD_DIR] > bench.txt
#
# BUILD_DIR (default ./build-bench) is configured with CFLAGS="-O2 -g" if it
# has no Makefile yet.  OPENBLAS_CORETYPE is recorded, never changed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
b=${1:-$top/build-bench}
mkdir -p "$b"
if [ ! -f "$b/Makefile" ]; then
	[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
	(cd "$b" && "$top/configure" CFLAGS="-O2 -g" >/dev/null)
fi
make -C "$b" -j"$(nproc)" >/dev/null # noinst benchmarks are part of 'all'
run() {
	echo
	echo "### $*"
	"$@" 2>&1
}
echo "# r1console benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores,"\
"load $(cut -d' ' -f1-3 /proc/loadavg), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
B=$b/tests/bench
run "$B/bench_wire"
run "$B/bench_bus" --sizes 500,4096 --qos 0,1
run "$B/bench_netmap"
run "$B/bench_cache"
run "$B/bench_table"
run "$B/bench_console" 100000 60
run "$B/bench_cstore"
run "$B/bench_r1fs" 1024
run "$B/bench_compute"
run "$B/bench_chaindist"
run "$B/bench_chaindist" --copy-blocks
