# Shared by the integration scripts: TAP output and process hygiene.
# Source it; it sets W (the waybill binary), S (waybill-sim) and T (scratch dir).
W="$WAYBILL_BUILD/waybill"
S="$WAYBILL_BUILD/waybill-sim"
T="${WAYBILL_TEST_TMP:-$(mktemp -d)}"
mkdir -p "$T"
n_fail=0
PIDS=""

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; n_fail=$((n_fail + 1)); shift; for l in "$@"; do echo "# $l"; done; }
# check NAME COMMAND...: ok when the command succeeds.
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# Processes started with `spawn` are killed on exit, whatever happens.
spawn() { "$@" & PIDS="$PIDS $!"; }
# killtree PID: the process and everything it started, children first.
killtree() {
	for c in $(pgrep -P "$1" 2>/dev/null); do killtree "$c"; done
	kill "$1" 2>/dev/null
}
cleanup() { for p in $PIDS; do killtree "$p"; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

finish() { exit $((n_fail > 0)); }
