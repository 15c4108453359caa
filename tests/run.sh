#!/bin/sh
# Runs every test program and script and prints one closing line
# "N passed, N failed, N skipped" (an "ok ... # SKIP" line is a skip, not a
# pass). With CI set, a skip fails the run: CI has every tool, privilege and
# library feature the suite needs (make deps), so a skip there hides a test. Each program speaks TAP ("ok N - name" / "not ok N - name");
# cmocka does so through CMOCKA_MESSAGE_OUTPUT=TAP. A program that exits non-zero
# without reporting a failure (a crash, a sanitizer report) counts as one failure.
# Usage: tests/run.sh BUILD_DIR [NAME_FILTER]
set -u
B=${1:-build}
FILTER=${2:-}
export WAYBILL_BUILD="$B"
export CMOCKA_MESSAGE_OUTPUT=TAP
export TZ=UTC LC_ALL=C.UTF-8
# Tests never touch the user's own config or cache.
TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/waybill-test.XXXXXX")
trap 'rm -rf "$TMP_ROOT"' EXIT INT TERM
export XDG_CONFIG_HOME="$TMP_ROOT/config" XDG_CACHE_HOME="$TMP_ROOT/cache" HOME="$TMP_ROOT/home"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$HOME"
unset WAYBILL_CONFIG WAYBILL_CACHE

pass=0 fail=0 skip=0
for t in "$B"/tests/test_* tests/integration/*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *.d|*.o|*/lib.sh) continue ;; esac
	[ -n "$FILTER" ] && case "$t" in *"$FILTER"*) ;; *) continue ;; esac
	out="$TMP_ROOT/out.txt"
	export WAYBILL_TEST_TMP="$TMP_ROOT/t.$(basename "$t")"
	mkdir -p "$WAYBILL_TEST_TMP"
	case "$t" in
	*.sh) sh "$t" >"$out" 2>&1 ;;
	*) "$t" >"$out" 2>&1 ;;
	esac
	rc=$?
	k=$(grep -c '^ok .*# *[Ss][Kk][Ii][Pp]' "$out")
	p=$(($(grep -c '^ok ' "$out") - k))
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $t exited $rc without reporting a failed test" >>"$out"
	fi
	if [ "$f" -gt 0 ]; then
		echo "FAIL $t ($p passed, $f failed)"
		sed 's/^/    /' "$out" | tail -n 60
	elif [ "$k" -gt 0 ]; then
		echo "ok   $t ($p passed, $k skipped)"
		grep '^ok .*# *[Ss][Kk][Ii][Pp]' "$out" | sed 's/^/    /'
	else
		echo "ok   $t ($p passed)"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + k))
	rm -rf "$WAYBILL_TEST_TMP"
done
if [ "$skip" -gt 0 ] && [ -n "${CI:-}" ]; then
	echo "CI: $skip tests skipped; under CI nothing may skip (see the lines above)"
	fail=$((fail + skip))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
