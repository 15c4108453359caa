# Sources whose cursors lie, against the real waybill-sim: a stored cursor the
# source no longer knows (restored from a backup) is recovered by reading the
# stream again, once; a source that refuses even its own cursors, answers empty
# pages that "have more", hands back the cursor it was asked from, or does not
# answer at all ends `sync --once` with exit 1 within 30 s and one line naming
# source, stream and reason; `sync --follow` backs off instead of spinning; and
# the next sync against an honest source leaves the cache equal to it.
. tests/integration/lib.sh
AUTOMATION=off

# run DIR: sync --once (at most 60 s, so a regression fails instead of
# hanging); sets rc and secs (wall seconds, whole).
run() {
	t0=$(date +%s)
	timeout 60 "$W" sync --once --config "$1/config.json" --cache "$1/c.db" >"$1/out" 2>"$1/err"
	rc=$?
	secs=$(($(date +%s) - t0))
}

# recovers NAME DIR: with the faults cleared, the next sync exits 0 and the
# cache equals the source.
recovers() {
	admin faults '{"service":"all","clear":true}' >/dev/null
	run "$2"
	check "$1: the next sync against an honest source exits 0 (exit $rc)" [ "$rc" -eq 0 ]
	check "$1: ... and the cache equals the source" cache_matches_sim "$2/c.db" "$2"
}

# A line repeating its source and stream ("erp customers: erp customers: …").
doubled() { grep -E '(erp|tms|telematics) [a-z_]+: (erp|tms|telematics) [a-z_]+:' "$@"; }

# --- a poisoned cursor: every erp cursor and the positions cursor replaced by
# one the source never issued, while the source changed meanwhile.
d=$T/poison
if ! start_sim "$d" --speed 0; then not_ok "sim started"; finish; fi
run "$d"
check "poison: the first sync exits 0" [ "$rc" -eq 0 ]
sqlite3 "$d/c.db" "UPDATE sync_state SET cursor='from-a-backup' WHERE source='erp' OR stream='positions'"
admin clock '{"advance_s":1800}' >/dev/null
run "$d"
check "poison: sync --once recovers and exits 0 (exit $rc)" [ "$rc" -eq 0 ]
check "poison: ... within 30 s ($secs s)" [ "$secs" -le 30 ]
n=$(grep -c '^[^ ]* erp customers: the source refused the stored cursor (HTTP 400: the cursor is malformed or not from this list); reading the stream again from the start$' "$d/err")
check "poison: one line names source, stream and the source's own words ($n)" [ "$n" -eq 1 ]
check "poison: said once for each of the 7 streams (the ERP's 6, positions), no retries" \
	[ "$(grep -c 'refused the stored cursor' "$d/err")" -eq 7 ]
check "poison: no retry line" [ "$(grep -c 'retry in' "$d/err")" -eq 0 ]
check "poison: the cache equals the source" cache_matches_sim "$d/c.db" "$d"
stop_sim

# --- a source that refuses every cursor, its own too (positions have ten
# pages): read again once, then an ordinary failure, not a loop.
d=$T/refuse
if ! start_sim "$d" --speed 0; then not_ok "sim started"; finish; fi
run "$d"
admin faults '{"service":"telematics","refuse":1}' >/dev/null
admin clock '{"advance_s":60}' >/dev/null
run "$d"
check "refuse: sync --once exits 1 (exit $rc)" [ "$rc" -eq 1 ]
check "refuse: ... within 30 s ($secs s)" [ "$secs" -le 30 ]
check "refuse: the stream is read again once, not in a loop" \
	[ "$(grep -c 'telematics positions: the source refused the stored cursor' "$d/err")" -eq 1 ]
check "refuse: one line gives up naming source, stream and the source's words" \
	grep -q 'telematics positions: gave up after .*HTTP 400 from /v1/positions ("injected fault: the cursor is not recognised")' "$d/err"
check "refuse: the other streams were synced" grep -q 'telematics vehicles: done' "$d/out"
recovers refuse "$d"
stop_sim

# --- pages that do not move the cursor: empty pages that "have more" and the
# cursor asked with handed back, on every list of the TMS; a cycle back to
# the start on positions (ten pages), which writes pages between its stalls.
for c in "stall tms loads" "repeat tms loads" "rewind telematics positions"; do
	set -- $c
	mode=$1 stream="$2 $3"
	d=$T/$mode
	if ! start_sim "$d" --speed 0 --fault "$2:$mode=1"; then not_ok "sim started"; finish; fi
	run "$d"
	check "$mode: sync --once exits 1 (exit $rc)" [ "$rc" -eq 1 ]
	check "$mode: ... within 30 s ($secs s)" [ "$secs" -le 30 ]
	check "$mode: one line gives up naming source, stream and reason" \
		[ "$(grep -c "$stream: gave up .*the source's cursor does not advance" "$d/err")" -eq 1 ]
	check "$mode: the other sources were synced" grep -q 'erp customers: done' "$d/out"
	recovers "$mode" "$d"
	stop_sim
done

# --- --follow against a cursor that does not advance backs off: a handful of
# lines in 4 s (spinning, it asked about 180 times a second).
d=$T/follow
if ! start_sim "$d" --speed 0 --fault tms:stall=1; then not_ok "sim started"; finish; fi
timeout 4 "$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
n=$(grep -c 'tms loads' "$d/out")
check "follow: a stalled stream backs off ($n lines in 4 s)" [ "$n" -le 12 ]
check "follow: ... and says why" grep -q "tms loads: the source's cursor does not advance" "$d/out"
stop_sim

# --- a source that does not answer: each ERP request waits 60 s. --once gives
# a stream 20 s without a good page, then gives up and cancels the request.
d=$T/silent
if ! start_sim "$d" --speed 0 --fault erp:latency=60000; then not_ok "sim started"; finish; fi
run "$d"
check "silent: sync --once exits 1 (exit $rc)" [ "$rc" -eq 1 ]
check "silent: ... within 30 s ($secs s)" [ "$secs" -le 30 ]
check "silent: one line gives up naming source, stream and reason" \
	[ "$(grep -c 'erp customers: gave up after 20 s without a good page' "$d/err")" -eq 1 ]
check "silent: the other sources were synced" grep -q 'tms loads: done' "$d/out"
recovers silent "$d"
# Its threads still sleep on the cancelled requests: no need to wait for them.
kill -9 "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null
SIM_PID=

# --- every line names its source and stream once: rejected pages, errors with
# the source's text, notices.
d=$T/prefix
if ! start_sim "$d" --speed 0 --fault all:malformed=0.3,rate5xx=0.2; then not_ok "sim started"; finish; fi
run "$d"
check "prefix: pages were rejected (the fault bit)" grep -q ': page rejected: malformed JSON' "$d/err"
check "prefix: a 503 shows the source's words" grep -q 'HTTP 503 from /v1/[a-z_]* ("injected fault: service unavailable")' "$d/err"
bad=$(doubled "$d/err" "$d/out" $T/*/err $T/*/out | head -n 3)
if [ -z "$bad" ]; then ok "prefix: no line repeats its source and stream"; else not_ok "prefix: no line repeats its source and stream" "$bad"; fi
stop_sim

finish
