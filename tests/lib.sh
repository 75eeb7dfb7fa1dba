# Shell helpers for integration and TUI tests (sourced).  They speak TAP:
# every check is one "ok N - name" / "not ok N - name" line, and the run ends
# with "1..N" from tap_done.  Servers a test starts are stopped by the EXIT
# trap, whatever happens.
#
#   . "$R1_SRCDIR/tests/lib.sh"
#   port=$(free_port); start_mosquitto "$port"
#   is "$(some command)" "expected" "name"
#   tap_done

set -u
: "${R1_SRCDIR:?run through make check}"
: "${R1_BUILDDIR:?run through make check}"
R1CONSOLE=${R1CONSOLE:-$R1_BUILDDIR/r1console}

_tap_n=0
_tap_failed=0
_cleanup_pids=""
T=$(mktemp -d "${TMPDIR:-/tmp}/r1it.XXXXXX")

_cleanup() {
	for p in $_cleanup_pids; do kill "$p" 2>/dev/null || true; done
	for p in $_cleanup_pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null || true
	done
	[ -n "${R1_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

ok() { # ok CONDITION-EXIT-STATUS NAME  (use: some_test; ok $? "name")
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"
	else echo "not ok $_tap_n - $2"; _tap_failed=$((_tap_failed + 1)); fi
}

is() { # is GOT EXPECTED NAME
	_tap_n=$((_tap_n + 1))
	if [ "$1" = "$2" ]; then echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		printf '#        got: %s\n#   expected: %s\n' "$1" "$2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

like() { # like GOT REGEX NAME
	_tap_n=$((_tap_n + 1))
	if printf '%s' "$1" | grep -Eq -- "$2"; then echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		printf '#        got: %s\n#   expected to match: %s\n' "$(printf '%s' "$1" | head -c 2000)" "$2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

# must STATUS NAME WHY: a check the rest of the script stands on: reported
# like ok, then, when it failed, the script bails out saying WHY.
must() {
	ok "$1" "$2"
	[ "$1" -eq 0 ] || bail "$3"
}

diag() { echo "# $*"; }
bail() { echo "Bail out! $*"; exit 1; }

tap_done() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# Remember a background pid for the EXIT trap.
cleanup_pid() { _cleanup_pids="$_cleanup_pids $1"; }

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# wait_for SECONDS COMMAND...: poll (every 0.1 s) until COMMAND succeeds.
wait_for() {
	_deadline=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_mosquitto PORT [EXTRA-CONFIG-LINES]: a private broker on loopback.
# Sets MOSQ_PID_<PORT>.  The config goes to $T/mosq-PORT.conf.
start_mosquitto() {
	_port=$1; _extra=${2:-}
	_conf="$T/mosq-$_port.conf"
	{
		echo "listener $_port 127.0.0.1"
		echo "allow_anonymous true"
		echo "persistence false"
		echo "set_tcp_nodelay true"
		echo "max_packet_size 4194304"
		echo "max_queued_messages 100000"
		[ -n "$_extra" ] && printf '%s\n' "$_extra"
	} >"$_conf"
	mosquitto -c "$_conf" >"$T/mosq-$_port.log" 2>&1 &
	_pid=$!
	cleanup_pid "$_pid"
	eval "MOSQ_PID_$_port=$_pid"
	wait_for 10 port_open "$_port" || bail "mosquitto did not start on $_port: $(tail -3 "$T/mosq-$_port.log")"
}

stop_mosquitto() { # stop_mosquitto PORT
	eval "_pid=\${MOSQ_PID_$1:-}"
	[ -n "$_pid" ] || return 0
	kill "$_pid" 2>/dev/null || true
	wait "$_pid" 2>/dev/null || true
}

# ---- bus tests (tests/integration/bus_*.sh)

BUS_CLIENT=${BUS_CLIENT:-$R1_BUILDDIR/tests/integration/bus_client}

# start_mosquitto_as_me PORT [EXTRA-CONFIG-LINES]: start_mosquitto, but a
# broker started as root keeps running as root instead of switching to the
# "mosquitto" user, so it can read keys and write persistence under $T.
start_mosquitto_as_me() {
	start_mosquitto "$1" "user $(id -un)
${2:-}"
}

# restart_mosquitto PORT: start the broker again with the config of its last
# start (after stop_mosquitto), on the same port.
restart_mosquitto() {
	_port=$1
	mosquitto -c "$T/mosq-$_port.conf" >>"$T/mosq-$_port.log" 2>&1 &
	_pid=$!
	cleanup_pid "$_pid"
	eval "MOSQ_PID_$_port=$_pid"
	wait_for 10 port_open "$_port" || bail "mosquitto did not restart on $_port: $(tail -3 "$T/mosq-$_port.log")"
}

# make_test_ca DIR: a throw-away CA (DIR/ca.crt) and a server certificate for
# 127.0.0.1 signed by it (DIR/server.crt, DIR/server.key).
make_test_ca() {
	_d=$1
	mkdir -p "$_d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=r1console test CA" \
		-keyout "$_d/ca.key" -out "$_d/ca.crt" >/dev/null 2>&1 || bail "openssl: CA"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$_d/server.key" -out "$_d/server.csr" >/dev/null 2>&1 || bail "openssl: CSR"
	printf 'subjectAltName=IP:127.0.0.1\n' >"$_d/san.ext"
	openssl x509 -req -days 2 -in "$_d/server.csr" -CA "$_d/ca.crt" -CAkey "$_d/ca.key" \
		-CAcreateserial -extfile "$_d/san.ext" -out "$_d/server.crt" >/dev/null 2>&1 ||
		bail "openssl: sign"
}

# file_at_least FILE N: FILE holds a number >= N.
file_at_least() { [ -f "$1" ] && [ "$(cat "$1" 2>/dev/null || echo 0)" -ge "$2" ] 2>/dev/null; }

# tap_lines LABEL < "PASS name" / "FAIL name: detail" lines: one check each.
tap_lines() {
	while IFS= read -r _line; do
		case $_line in
		PASS\ *) ok 0 "$1: ${_line#PASS }" ;;
		FAIL\ *) ok 1 "$1: ${_line#FAIL }" ;;
		esac
	done
}
