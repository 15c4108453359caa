#!/bin/sh
# bench/sync.sh: the sync engine against waybill-sim on loopback.
#  1. Initial sync of a 10,000-vehicle world with about 100,000 loads (and their
#     stops): records per second of `waybill sync --once`, beside a shell
#     baseline in the same run (curl over the pages, jq to CSV, sqlite3 .import)
#     over the same lists. Target: 5x the baseline or better, and 50% or more of
#     the cache's own ingest ceiling (bench/ingest, run here, for the same mix
#     of positions and records).
#  2. Steady state: 2,000 vehicles reporting every 5 s (400 positions/s) for
#     60 s under `waybill sync --follow`: CPU time of waybill (target under 10%
#     of one core) and its peak RSS.
# Usage: bench/sync.sh [BUILD_DIR]   (BASELINE_LISTS="loads stops" to shorten)
set -u
B=${1:-build}
W=$B/waybill
S=$B/waybill-sim
D=$(mktemp -d "${TMPDIR:-/tmp}/waybill-bench-sync.XXXXXX")
SIM=
FOLLOW=
trap '[ -n "$SIM" ] && kill $SIM 2>/dev/null; [ -n "$FOLLOW" ] && kill $FOLLOW 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT INT TERM
now() { date +%s.%N; }
calc() { echo "$1" | bc -l; }

start_sim() {
	: >"$D/sim.json"
	"$S" --port 0 "$@" >"$D/sim.json" 2>"$D/sim.err" &
	SIM=$!
	while [ ! -s "$D/sim.json" ]; do sleep 0.2; kill -0 $SIM 2>/dev/null || { cat "$D/sim.err"; exit 1; }; done
	(umask 077 && jq '.tokens.dispatcher as $t | {sources: {erp: {kind: "waybill", url: .services.erp.url, token: $t},
	  tms: {kind: "waybill", url: .services.tms.url, token: $t},
	  telematics: {kind: "waybill", url: .services.telematics.url, token: $t}}}' "$D/sim.json" >"$D/config.json")
}

echo "bench/sync: building the 10,000-vehicle world..."
t0=$(now)
start_sim --speed 0 --vehicles 10000 --loads-per-day 124000
echo "  world ready in $(printf '%.1f' "$(calc "$(now) - $t0")") s: $(jq -c .counts "$D/sim.json")"

# 1. waybill sync --once
t0=$(now)
/usr/bin/env time -f "%U %S %M" -o "$D/time" "$W" sync --once --config "$D/config.json" --cache "$D/w.db" >"$D/out" 2>"$D/err" ||
	{ echo "sync failed:"; tail -n 5 "$D/err"; exit 1; }
tw=$(calc "$(now) - $t0")
nw=$(awk -F'done, ' '/: done, / {split($2, a, " "); s += a[1]} END {print s}' "$D/out")
read -r wu ws wm <"$D/time"
# The local pass (detectors, workflow, KPIs) runs after the last page; the
# baseline has none, so the transfer rate leaves its own reported time out.
tl=$(awk '/ local detectors: / { if (match($0, /read [0-9]+ ms, written [0-9]+ ms/)) { split(substr($0, RSTART, RLENGTH), a, " "); s += a[2] + a[5] } }
	/ local kpis: / { if (match($0, /[0-9.]+ ms\)/)) s += substr($0, RSTART, RLENGTH - 4) }
	/ local workflow: / { if (match($0, /written [0-9]+ ms/)) { split(substr($0, RSTART, RLENGTH), a, " "); s += a[2] } }
	END { printf "%.3f", s / 1000 }' "$D/err")
rw=$(calc "$nw / ($tw - $tl)")
printf '  waybill sync --once   %8d records in %6.1f s, of which the local pass %.1f s\n' "$nw" "$tw" "$tl"
printf '                        %8.0f records/s transferred (cpu %.1f s, peak RSS %.0f MB)\n' \
	"$rw" "$(calc "$wu + $ws")" "$(calc "$wm / 1024")"

# 1b. the shell baseline over the same lists
TOK=$(jq -r .tokens.dispatcher "$D/sim.json")
LISTS=${BASELINE_LISTS:-"erp:customers erp:orders erp:invoices erp:charges erp:fuel_txns tms:loads tms:stops tms:staging tms:pods tms:exceptions telematics:vehicles telematics:drivers telematics:faults telematics:inspections telematics:work_orders telematics:part_reservations telematics:positions"}
t0=$(now)
nb=0
for pair in $LISTS; do
	svc=${pair%%:*}; list=${pair#*:}
	base=$(jq -r ".services.$svc.url" "$D/sim.json")
	limit=1000; [ "$list" = positions ] && limit=5000
	cur=""; : >"$D/$list.csv"; first=1
	while :; do
		url="$base/v1/$list?limit=$limit"; [ -n "$cur" ] && url="$url&after=$cur"
		curl -sf --compressed -H "Authorization: Bearer $TOK" "$url" >"$D/page.json" || { echo "baseline: curl failed on $list"; exit 1; }
		[ $first -eq 1 ] && jq -r '.data[0] // empty | keys_unsorted | @csv' "$D/page.json" >>"$D/$list.csv" && first=0
		jq -r '.data[] | [.[] | if type == "object" or type == "array" then tojson else . end] | @csv' "$D/page.json" >>"$D/$list.csv"
		cur=$(jq -r .next "$D/page.json")
		[ "$(jq -r .has_more "$D/page.json")" = true ] || break
	done
	# Tombstones have fewer columns; sqlite3 fills them with NULL (and says so).
	sqlite3 "$D/b.db" ".import --csv $D/$list.csv $list" 2>/dev/null
	nb=$((nb + $(sqlite3 "$D/b.db" "SELECT count(*) FROM $list")))
done
tb=$(calc "$(now) - $t0")
rb=$(calc "$nb / $tb")
printf '  shell baseline        %8d records in %6.1f s = %8.0f records/s\n' "$nb" "$tb" "$rb"
printf '  ratio                 %.1fx the baseline   (target >= 5x)\n' "$(calc "$rw / $rb")"
kill $SIM; wait $SIM 2>/dev/null; SIM=

# 1c. the cache's ceiling for the same mix: positions and entity rows at the
# rates bench/ingest measures through the cache API.
if [ -x "$B/bench/ingest" ]; then
	"$B/bench/ingest" 400000 100000 >"$D/ingest" || { echo "bench/ingest failed"; exit 1; }
	rp=$(awk '/^  positions/ {print $4}' "$D/ingest")
	rl=$(awk '/^  loads\+stops/ {print $4}' "$D/ingest")
	np=$(awk -F'done, ' '/telematics positions: done, / {split($2, a, " "); print a[1]}' "$D/out")
	ceiling=$(calc "$nw / ($np / $rp + ($nw - $np) / $rl)")
	printf '  cache ingest ceiling  %8.0f records/s for this mix (positions %.0f/s, records %.0f/s)\n' "$ceiling" "$rp" "$rl"
	printf '  ratio                 %.2f of the ceiling   (target >= 0.50)\n' "$(calc "$rw / $ceiling")"
fi

# 2. steady state
echo "bench/sync: 2,000 vehicles live for 60 s..."
rm -f "$D"/w.db*
# Each moving (or idling) unit reports once per 30-s simulated step: at 13x,
# every 2.3 s, which with this many loads comes to about 400 positions/s.
start_sim --speed 13 --vehicles 2000 --loads-per-day 12000 --start now
"$W" sync --once --config "$D/config.json" --cache "$D/w.db" >/dev/null 2>&1
"$W" sync --follow --config "$D/config.json" --cache "$D/w.db" >"$D/follow" 2>&1 &
FOLLOW=$!
sleep 10 # connect and settle
ticks=$(getconf CLK_TCK)
c0=$(awk '{print $14 + $15}' /proc/$FOLLOW/stat)
p0=$(sqlite3 "$D/w.db" "SELECT count(*) FROM position")
sleep 60
c1=$(awk '{print $14 + $15}' /proc/$FOLLOW/stat)
p1=$(sqlite3 "$D/w.db" "SELECT count(*) FROM position")
rss=$(awk '/VmHWM/ {print $2}' /proc/$FOLLOW/status)
kill $FOLLOW; wait $FOLLOW 2>/dev/null; FOLLOW=
cpu=$(calc "($c1 - $c0) / $ticks")
pct=$(calc "$cpu / 60 * 100")
printf '  positions stored      %.0f/s over 60 s\n' "$(calc "($p1 - $p0) / 60")"
printf '  waybill CPU           %.2f s in 60 s = %.1f%% of a core   (target < 10%%, ratio %.2f)\n' "$cpu" "$pct" "$(calc "$pct / 10")"
printf '  waybill peak RSS      %.1f MB\n' "$(calc "$rss / 1024")"
