#!/bin/sh
# `make fuzz`: runs each libFuzzer harness for SECONDS on its committed seeds
# (tests/fuzz/corpus/NAME, read only) and what earlier runs found
# (BUILD/corpus/NAME), with its dictionary; a crash's input is saved as
# BUILD/crashes/NAME-crash-*. Ends with one line per harness: CPU seconds,
# executions, coverage (cov: edges, ft: features), corpus size and findings.
# Exits 1 when any harness found something. Usage: run.sh BUILD SECONDS NAME...
set -u
FB=$1 SECS=$2
shift 2
mkdir -p "$FB/crashes" "$FB/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
dict_of() {
	case "$1" in
	page | connector) echo tests/fuzz/json.dict ;;
	*) [ -e "tests/fuzz/$1.dict" ] && echo "tests/fuzz/$1.dict" ;;
	esac
}
summary="$FB/logs/summary.$$" # two runs at once keep their own
printf '%-10s %8s %10s %8s %6s %6s %7s %s\n' harness cpu_s runs exec/s cov ft corpus findings >"$summary"
found=0
for n in "$@"; do
	mkdir -p "$FB/corpus/$n"
	d=$(dict_of "$n")
	log="$FB/logs/$n.log"
	before=$(ls "$FB/crashes" | grep -c "^$n-")
	echo "== fuzz_$n for ${SECS}s${d:+ with $d}"
	/usr/bin/time -f '%U %S' -o "$FB/logs/$n.time" \
		"$FB/fuzz_$n" "$FB/corpus/$n" "tests/fuzz/corpus/$n" ${d:+-dict=$d} \
		-max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$FB/crashes/$n-" >"$log" 2>&1
	rc=$?
	cpu=$(tail -n 1 "$FB/logs/$n.time" 2>/dev/null | awk '{printf "%.0f", $1 + $2}')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	new=$(($(ls "$FB/crashes" | grep -c "^$n-") - before))
	if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
		found=1
		grep -m1 -A8 'ERROR\|runtime error\|deadly signal' "$log" | sed 's/^/    /'
	fi
	printf '%-10s %8s %10s %8s %6s %6s %7s %s\n' "$n" "${cpu:-?}" "${runs:-?}" "${rate:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$new (exit $rc)" >>"$summary"
done
echo
cat "$summary"
mv "$summary" "$FB/logs/summary.txt"
[ $found -eq 0 ]
