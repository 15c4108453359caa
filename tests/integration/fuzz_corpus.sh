# The fuzz harnesses (tests/fuzz/, built by `make fuzz-built` into build-fuzz/
# with ASan and UBSan) replay their committed corpus once: every seed and every
# input a fuzzer once crashed on (tests/fuzz/corpus/NAME/regress-*). A fix undone
# shows here as a sanitizer report or an abort, without fuzzing.
. tests/integration/lib.sh
FB=${WAYBILL_FUZZ_BUILD:-build-fuzz}
names=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c|\1|')
for n in $names; do
	h="$FB/fuzz_$n"
	if [ ! -x "$h" ]; then
		echo "ok - fuzz_$n replays its corpus # SKIP $h not built (make fuzz-built; needs clang)"
		continue
	fi
	set -- tests/fuzz/corpus/"$n"/*
	if [ ! -e "$1" ]; then
		not_ok "fuzz_$n has a committed corpus (tests/fuzz/corpus/$n)"
		continue
	fi
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$h" "$@" >"$T/$n.log" 2>&1
	rc=$?
	ran=$(grep -c '^Executed ' "$T/$n.log")
	if [ $rc -eq 0 ] && [ "$ran" -eq $# ]; then
		ok "fuzz_$n replays its $# corpus inputs cleanly"
	else
		not_ok "fuzz_$n replays its $# corpus inputs cleanly (exit $rc, $ran ran)" \
		        "$(grep -m1 -A12 'ERROR\|runtime error\|deadly signal' "$T/$n.log")"
	fi
done
# The replay can fail: an input that breaks a harness's check is reported.
if [ -x "$FB/fuzz_theme" ]; then
	printf 'x' >"$T/one"
	"$FB/fuzz_theme" -runs=0 "$T/one" >"$T/plant.log" 2>&1
	check "a harness runs a single input it is given" grep -q '^Executed ' "$T/plant.log"
fi
finish
