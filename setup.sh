#!/bin/sh
# r1console set-up for a fresh Debian 12 / Ubuntu machine.
#
#   ./setup.sh [run] [ARGS...]   install what is missing, build, start r1console ARGS
#   ./setup.sh test              install what is missing, build with -Werror and
#                                ASan+UBSan, run every test, print "N passed, N failed"
#   ./setup.sh deps|build        only one of the steps
#
# Packages are installed with apt-get (as root, or through sudo).
set -eu
cd "$(dirname "$0")"
top=$(pwd)

BUILD_PKGS="build-essential autoconf automake autopoint libtool pkg-config gettext
 libncurses-dev libmosquitto-dev libsqlite3-dev libjansson-dev libsodium-dev
 libsecp256k1-dev zlib1g-dev libopenblas-dev libmicrohttpd-dev libssl-dev"
TEST_PKGS="mosquitto mosquitto-clients tmux openssl ipfs-cid sqlite3 redis-server
 redis-tools jq procps psmisc iproute2 curl bsdutils"

say() { printf '== %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else say "need root to run: $*"; exit 1
	fi
}

install_pkgs() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

need_node() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
	install_pkgs nodejs npm
}

build() { # build DIR CONFIGURE-ARGS...
	dir=$1; shift
	[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
		./autogen.sh >/dev/null 2>&1
	mkdir -p "$dir"
	stamp="$dir/.configure-args"
	if [ ! -f "$dir/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$*" ]; then
		say "configuring $dir"
		(cd "$dir" && "$top/configure" "$@" >configure.out) || {
			tail -20 "$dir/configure.out"; exit 1; }
		printf '%s' "$*" >"$stamp"
	fi
	say "building $dir"
	make -C "$dir" -j"$(nproc)" >"$dir/make.out" 2>&1 || { tail -40 "$dir/make.out"; exit 1; }
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case $cmd in
packages) # what `test` needs from apt, one line (for .ci/run)
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || TEST_PKGS="$TEST_PKGS nodejs npm"
	echo $BUILD_PKGS $TEST_PKGS ;;
deps)
	install_pkgs $BUILD_PKGS $TEST_PKGS ;;
build)
	install_pkgs $BUILD_PKGS
	build build CFLAGS="-O2 -g" ;;
run)
	install_pkgs $BUILD_PKGS
	build build CFLAGS="-O2 -g"
	exec ./build/r1console "$@" ;;
test)
	install_pkgs $BUILD_PKGS $TEST_PKGS
	need_node
	build build-check CFLAGS="-O1 -g" --enable-werror --enable-sanitizers
	say "running tests"
	rc=0
	make -C build-check -j"$(nproc)" check >build-check/check.out 2>&1 || rc=$?
	# The loop, worker, bus and ingest unit tests again under ThreadSanitizer, in a
	# build of their own (TSan and ASan exclude each other).  Only those
	# programs are built, so this stays quick (seconds) as the tree grows.
	tsan_tests="tests/unit/run/test_loop tests/unit/run/test_workers
	 tests/unit/net/test_topics tests/unit/net/test_dedup tests/unit/net/test_bus_local
	 tests/unit/net/test_bus_mqtt tests/unit/net/test_ingest tests/unit/net/test_ingest_pool
	 tests/unit/net/test_ingest_node tests/unit/model/test_cache tests/unit/compute/test_compute
	 tests/unit/r1fs/test_store"
	tsan_args='CFLAGS=-O1 -g --enable-werror --enable-tsan'
	mkdir -p build-tsan
	if [ ! -f build-tsan/Makefile ] || [ "$(cat build-tsan/.configure-args 2>/dev/null)" != "$tsan_args" ]; then
		(cd build-tsan && "$top/configure" CFLAGS="-O1 -g" --enable-werror --enable-tsan \
			>configure.out) || { tail -20 build-tsan/configure.out; exit 1; }
		printf '%s' "$tsan_args" >build-tsan/.configure-args
	fi
	say "running the loop, worker, bus and ingest unit tests under ThreadSanitizer"
	make -C build-tsan -j"$(nproc)" check-TESTS TESTS="$(echo $tsan_tests)" \
		check_PROGRAMS="$(echo $tsan_tests)" >build-tsan/check.out 2>&1 || rc=$?
	passed=0 failed=0
	for trs in $(find build-check build-tsan -name '*.trs'); do
		p=$(grep -c '^:test-result: PASS' "$trs" || true)
		f=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || true)
		passed=$((passed + p)); failed=$((failed + f))
		if [ "$f" -gt 0 ] || grep -q '^:global-test-result: \(FAIL\|ERROR\)' "$trs"; then
			log=${trs%.trs}.log
			say "FAILED: $log"
			grep -E '^(not ok|#|Bail out)' "$log" | head -40 || true
		fi
	done
	if [ "$passed" -eq 0 ] || [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		tail -30 build-check/check.out
		[ "$failed" -eq 0 ] && failed=1
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] ;;
*)
	sed -n '2,12p' "$0"; exit 2 ;;
esac
