#!/bin/sh
# bench/dialects.sh: per telematics dialect (waybill-sim --dialect), positions
# per second into the cache and the CPU (user + sys of the `waybill sync`
# process) per 1,000 positions, beside the canonical connector in the same run,
# on the same world, printed as ratios to it.
#
# Per dialect: a frozen sim of BENCH_VEHICLES vehicles (default 200, with the
# default world's share of loads, 1,333 a day; the sim keeps the last
# max(65536, 24 x vehicles) positions, docs/api.md), then
#  1. "first": the first `waybill sync --once` into a fresh cache: everything
#     the kind reads, the positions the sim holds among them (a kind whose
#     feed starts at "now", Samsara's, reads none of them: under 10,000
#     positions the line gives no rate);
#  2. "steps": BENCH_STEPS times (default 6) the sim's clock moved on
#     BENCH_STEP_S (default 7200: some 30,000 positions, well within what the
#     sim keeps) and `waybill sync --once` again, summed: the new positions as
#     the kind's feeds bring them, beside the other lists' few changes.
# Few vehicles and long steps keep the local pass (detectors, workflow, KPIs,
# which run after the last page and whose cost grows with the fleet, not the
# positions) small beside the positions; its reported time is left out of
# the wall time and the CPU alike (as bench/sync.sh does), and automation is
# off so that no sync delivers actions. The rate is positions stored (the
# cache's count, before and after) over the syncs' wall time; the CPU is the
# process's user + sys. "other" counts the records of every other stream the
# same syncs read (the canonical erp and tms, the same in every dialect, and
# the kind's own telematics lists), whose time is in the figures too. A
# dialect whose kind is not written yet (the sim answers its paths 501: the
# placeholders on main) is skipped with the reason; one that is written but
# stores no positions fails.
# Usage: bench/dialects.sh [BUILD_DIR]   (DIALECTS="samsara traccar" for some;
# BENCH_VEHICLES, BENCH_STEPS, BENCH_STEP_S as above; KEEP=1 keeps the scratch files)
set -u
B=${1:-build}
W=$B/waybill
S=$B/waybill-sim
export WAYBILL_BUILD=$B
VEHICLES=${BENCH_VEHICLES:-200}
LOADS=$((VEHICLES * 20 / 3)) # the default world's 400 loads a day for 60 vehicles
STEPS=${BENCH_STEPS:-6}
STEP=${BENCH_STEP_S:-7200}
RING=$((VEHICLES * 24 > 65536 ? VEHICLES * 24 : 65536))
MIN_POS=10000 # fewer positions make no figure: the other streams' time would be all of it
D=$(mktemp -d "${TMPDIR:-/tmp}/waybill-bench-dialects.XXXXXX")
export WAYBILL_TEST_TMP=$D
# lib.sh's write_config gives the telematics source the sim's dialect (and a
# kind's other sources) exactly as the integration tests do.
. tests/integration/lib.sh
SIM=
trap '[ -n "$SIM" ] && kill $SIM 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$D"' EXIT INT TERM
now() { date +%s.%N; }
calc() { echo "$1" | bc -l; }
DIALECTS=$(echo "waybill ${DIALECTS:-samsara geotab traccar}" | tr ' ' '\n' | awk 'NF && !seen[$0]++')

# The local pass's reported time in an err file, in seconds.
local_s() {
	awk '/ local detectors: / { if (match($0, /read [0-9]+ ms, written [0-9]+ ms/)) { split(substr($0, RSTART, RLENGTH), a, " "); s += a[2] + a[5] } }
	/ local kpis: / { if (match($0, /[0-9.]+ ms\)/)) s += substr($0, RSTART, RLENGTH - 4) }
	/ local workflow: / { if (match($0, /written [0-9]+ ms/)) { split(substr($0, RSTART, RLENGTH), a, " "); s += a[2] } }
	END { printf "%.3f", s / 1000 }' "$1"
}
positions() { sqlite3 "$1" "SELECT count(*) FROM position" </dev/null; }

# timed_sync DIR TAG: one sync --once into DIR/c.db; sets NPOS (positions
# added), WALL and CPU (s, the local pass left out), LOCAL (s).
timed_sync() {
	p0=$(positions "$1/c.db" 2>/dev/null || echo 0)
	t0=$(now)
	/usr/bin/env time -f "%U %S" -o "$1/time.$2" "$W" sync --once --config "$1/config.json" \
		--cache "$1/c.db" >"$1/out.$2" 2>"$1/err.$2" || return 1
	t1=$(now)
	read -r u s <"$1/time.$2"
	LOCAL=$(local_s "$1/err.$2")
	NPOS=$(($(positions "$1/c.db") - ${p0:-0}))
	# The other records that sync read (entity streams: the same canonical
	# erp and tms in every dialect, and the kind's own telematics lists).
	NREC=$(awk -F'done, ' '/: done, / && !/ positions: / {split($2, a, " "); s += a[1]} END {print s + 0}' "$1/out.$2")
	WALL=$(calc "$t1 - $t0 - $LOCAL")
	CPU=$(calc "$u + $s - $LOCAL")
}

# start DIALECT DIR: the frozen world in the dialect.
start() {
	mkdir -p "$2"
	: >"$2/sim.json"
	"$S" --port 0 --speed 0 --vehicles "$VEHICLES" --loads-per-day "$LOADS" --dialect "$1" \
		>"$2/sim.json" 2>"$2/sim.err" &
	SIM=$!
	while [ ! -s "$2/sim.json" ]; do sleep 0.2; kill -0 $SIM 2>/dev/null || { cat "$2/sim.err"; exit 1; }; done
	ADMIN=$(jq -r .tokens.admin "$2/sim.json")
	TMS=$(jq -r .services.tms.url "$2/sim.json")
	TEL=$(jq -r .services.telematics.url "$2/sim.json")
	AUTOMATION=off write_config "$2" dispatcher
}

# report DIALECT PHASE NPOS NREC WALL CPU: one line, with the ratios to the
# canonical dialect's first line of the same phase (kept in $D/canon.PHASE).
report() {
	if [ "$3" -lt "$MIN_POS" ]; then
		# A feed that starts at "now" (Samsara's) brings no history on the
		# first sync: too few positions for a rate, and no ratio.
		printf '  %-8s %-6s %9d %7d %7.2f   (under %d positions: no rate)\n' "$1" "$2" "$3" "$4" "$5" "$MIN_POS"
		return
	fi
	rate=$(calc "$3 / $5")
	cpk=$(calc "$6 * 1000000 / $3")
	if [ "$1" = waybill ]; then
		echo "$rate $cpk" >"$D/canon.$2"
		rr=1 rc=1
	else
		if [ ! -s "$D/canon.$2" ]; then
			printf '  %-8s %-6s %9d positions: the canonical phase made no figure to compare with\n' "$1" "$2" "$3"
			return
		fi
		read -r crate ccpk <"$D/canon.$2"
		rr=$(calc "$rate / $crate") rc=$(calc "$cpk / $ccpk")
	fi
	printf '  %-8s %-6s %9d %7d %7.2f %9.0f %7.2fx %13.1f %7.2fx\n' "$1" "$2" "$3" "$4" "$5" \
		"$rate" "$rr" "$cpk" "$rc"
}

# unfinished DIALECT: why the sim's dialect is not written yet, or nothing.
unfinished() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$TEL/" 2>/dev/null)" = 501 ] || return 0
	printf 'the sim does not serve the %s dialect yet (501: the placeholder)' "$1"
}

stop() { kill $SIM 2>/dev/null; wait $SIM 2>/dev/null; SIM=; }

echo "bench/dialects: $VEHICLES vehicles, $LOADS loads a day; then $STEPS steps of $STEP s"
printf '  %-8s %-6s %9s %7s %7s %9s %8s %13s %8s\n' dialect phase positions other "s" "pos/s" "x canon" \
	"cpu ms/1k pos" "x canon"
status=0
# The canonical dialect runs again last ("again"): its ratio to its first run
# is the noise of this machine in this run, to read the others' ratios by.
for name in $DIALECTS again; do
	dl=$name
	[ "$name" = again ] && dl=waybill
	d="$D/$name"
	start "$dl" "$d"
	if ! timed_sync "$d" first || [ "$NPOS" -eq 0 ]; then
		why=$(unfinished "$dl")
		if [ "$dl" != waybill ] && [ -n "$why" ]; then
			printf '  %-8s skipped: %s\n' "$dl" "$why"
		else
			echo "  $dl: waybill sync --once stored no positions:"
			tail -n 3 "$d/err.first" | sed 's/^/    /'
			status=1
			[ "$dl" = waybill ] && exit 1
		fi
		stop
		continue
	fi
	report "$name" first "$NPOS" "$NREC" "$WALL" "$CPU"
	sp=0 sr=0 sw=0 sc=0 lost=0 i=1
	while [ $i -le "$STEPS" ]; do
		admin clock "{\"advance_s\": $STEP}" >/dev/null || { echo "  $dl: the sim's clock did not move"; exit 1; }
		timed_sync "$d" "step$i" || { echo "  $dl: sync --once after step $i failed:"; tail -n 3 "$d/err.step$i" | sed 's/^/    /'; status=1; break; }
		[ $((NPOS * 10)) -ge $((RING * 9)) ] && lost=1
		sp=$((sp + NPOS)) sr=$((sr + NREC)) sw=$(calc "$sw + $WALL") sc=$(calc "$sc + $CPU")
		i=$((i + 1))
	done
	if [ "$sp" -gt 0 ]; then report "$name" steps "$sp" "$sr" "$sw" "$sc"; fi
	[ $lost = 1 ] && echo "  $dl: a step came near the $RING positions the sim keeps: some may be lost (a smaller BENCH_STEP_S)"
	stop
done
echo "  (first: the first sync; steps: the syncs after each step of the clock, summed. other: records of"
echo "   the other streams in the same syncs; s: wall time less the local pass; x canon: the figure over"
echo "   the canonical connector's, for pos/s higher is better, for CPU lower)"
exit $status
