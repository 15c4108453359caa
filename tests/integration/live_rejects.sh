# One bad live event costs only itself: waybill-sim's event stream spoils a
# share of its position events (--fault telematics:badevent=RATE: a latitude
# of 1e308, a time in the year 292 million, no vehicle, data that is not
# JSON); `sync --follow` keeps the good positions of every batch, stores none
# of the bad, moves its Last-Event-ID past them, and counts them on the
# Health board.
. tests/integration/lib.sh

d="$T/rejects"
start_sim "$d" --speed 120 --start now --fault telematics:badevent=0.25
check "sim: the badevent fault is listed with the others" \
	[ "$(admin faults | jq '.telematics.badevent')" = 0.25 ]

: >"$d/out"
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err" &
fp=$!
PIDS="$PIDS $fp"
# Wait (bounded, 30 s) for two batches that carried rejected events.
i=0
while [ "$(grep -c 'telematics positions: .* rejected (first: ' "$d/out")" -lt 2 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -TERM $fp
wait $fp
rc=$?
check "follow: SIGTERM ends it with exit 0 although events were rejected" [ $rc -eq 0 ]
check "follow: a batch with rejected events says how many and why" \
	grep -Eq 'telematics positions: [0-9]+ events, [0-9]+ new, last [0-9]+; [0-9]+ rejected \(first: position' "$d/out"
check "follow: ... and keeps its good positions (some batch wrote new ones)" \
	grep -Eq 'telematics positions: [0-9]+ events, [1-9][0-9]* new, last [0-9]+; [0-9]+ rejected' "$d/out"
check "follow: an event that is not JSON is named" grep -q 'malformed event [0-9]* at column' "$d/out"
live=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
check "positions are stored ($live)" [ "$live" -gt 0 ]
check "... none off the globe or out of time" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM position WHERE abs(lat) > 90 OR abs(lon) > 180 OR ts_ms > 4102444800000 OR ts_ms < 946684800000")" -eq 0 ]
rej=$(sqlite3 "$d/c.db" "SELECT rejected FROM sync_state WHERE source='telematics' AND stream='positions_live'")
check "the health row counts the rejected events ($rej)" [ "${rej:-0}" -gt 0 ]
# Sum of what the batch lines said was rejected: the count on the row is theirs.
said=$(sed -n 's/.*; \([0-9]*\) rejected (first: .*/\1/p' "$d/out" | awk '{s += $1} END {print s + 0}')
check "... as many as the batch lines reported ($said)" [ "$said" -eq "${rej:-0}" ]
# The cursor moved past the batches that carried rejects.
last_rej=$(grep 'rejected (first: ' "$d/out" | tail -n 1 | sed 's/.*last \([0-9]*\);.*/\1/')
cur=$(sqlite3 "$d/c.db" "SELECT cursor FROM sync_state WHERE source='telematics' AND stream='positions_live'")
check "the Last-Event-ID moved past the rejected events ($cur >= $last_rej)" [ "${cur:-0}" -ge "${last_rej:-1}" ]
check "the live stream's state is healthy (no errors in a row)" \
	[ "$(sqlite3 "$d/c.db" "SELECT errors_in_row FROM sync_state WHERE source='telematics' AND stream='positions_live'")" -eq 0 ]

# The Health board shows the count in its REJ column (scripted console, no terminal).
printf '7\n:save-display health\n' >"$d/health.keys"
case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
(cd "$d" && env TZ=UTC LC_ALL=C.UTF-8 TERM=xterm-256color LINES=24 COLUMNS=100 \
	timeout 30 "$AW" --cache c.db --script "$d/health.keys" >"$d/console.out" 2>&1)
check "the Health board has a REJ column" grep -q ' REJ ' "$d/health"
total=$(sqlite3 "$d/c.db" "SELECT s.rejected + coalesce(e.rejected, 0) FROM sync_state s LEFT JOIN sync_state e ON e.source=s.source AND e.stream=s.stream||'_live' WHERE s.source='telematics' AND s.stream='positions'")
check "... with the count on the positions row ($total)" \
	grep -Eq "telematics +positions .* $total +[0-9]+ *" "$d/health"

# A restart resumes after the last event id: nothing stored twice.
: >"$d/out2"
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out2" 2>"$d/err2" &
fp=$!
PIDS="$PIDS $fp"
i=0
while ! grep -q 'telematics positions: .* events' "$d/out2" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $fp
wait $fp
dups=$(sqlite3 "$d/c.db" "SELECT count(*) - count(DISTINCT vehicle_id || '@' || ts_ms) FROM position")
check "a restart resumes after the last event id: no position stored twice" [ "$dups" -eq 0 ]
check "... and the count only grows" \
	[ "$(sqlite3 "$d/c.db" "SELECT rejected FROM sync_state WHERE source='telematics' AND stream='positions_live'")" -ge "${rej:-0}" ]
stop_sim
finish
