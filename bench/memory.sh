#!/bin/sh
# bench/memory.sh: peak RSS of `waybill sync --once` against a hostile source
# (bench/hostile_mem.c) that answers every page of every stream of all three
# sources at once with gzip bombs, bodies that never end and bodies of tiny
# objects that swell 77x when parsed. Target: peak RSS under 128 MB, exit 1
# with one clear line per stream. Each run is cut at LIMIT_S seconds (the
# engine's retries may take longer) and at 4 GB of address space so that an
# old build cannot take the machine down; the peak RSS is measured either way.
# Usage: bench/memory.sh [BUILD_DIR] [MODE...]   (WAYBILL=path to compare a build)
set -u
B=${1:-build}
[ $# -gt 0 ] && shift
MODES=${*:-mix bomb huge dense4 dense60 valid}
W=${WAYBILL:-$B/waybill}
H=$B/bench/hostile_mem
LIMIT_S=${LIMIT_S:-90}
D=$(mktemp -d "${TMPDIR:-/tmp}/waybill-bench-memory.XXXXXX")
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT INT TERM

echo "bench/memory: $W against $H (target: peak RSS under 128 MB)"
printf '  %-8s %5s %8s %9s  %s\n' mode exit seconds "peak MB" "first failure"
for m in $MODES; do
	: >"$D/srv.json"
	"$H" "$m" >"$D/srv.json" 2>"$D/srv.err" &
	SRV=$!
	while [ ! -s "$D/srv.json" ]; do
		sleep 0.1
		kill -0 $SRV 2>/dev/null || { cat "$D/srv.err"; exit 1; }
	done
	url=$(jq -r .url "$D/srv.json")
	(umask 077 && jq -n --arg u "$url" '{sources: {erp: {kind: "waybill", url: $u, token: "bench-token-4f1c9e"},
	  tms: {kind: "waybill", url: $u, token: "bench-token-4f1c9e"}, telematics: {kind: "waybill", url: $u, token: "bench-token-4f1c9e"}}}' \
		>"$D/config.json")
	rm -f "$D/w.db"*
	start=$(date +%s.%N)
	(ulimit -v 4000000 && /usr/bin/env time -f "%M" -o "$D/time" \
		timeout -k 10 -s TERM "$LIMIT_S" "$W" sync --once --config "$D/config.json" --cache "$D/w.db" \
		>"$D/out" 2>"$D/err")
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc -l)
	kb=$(tail -n 1 "$D/time")
	why=$(grep -m 1 -E 'too large|timed out|rejected|memory|gave up' "$D/err" "$D/out" | cut -d: -f2- | cut -c1-150)
	printf '  %-8s %5s %8.1f %9.1f  %s\n' "$m" "$rc" "$secs" "$(echo "$kb / 1024" | bc -l)" "$why"
	kill $SRV 2>/dev/null
	wait $SRV 2>/dev/null
	SRV=
done
