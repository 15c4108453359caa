# The sync scheduler's limits against the real waybill-sim, each case small and
# quick (make mutate runs them one by one): a good page resets a stream's
# failures in a row, a source down for 2 s does not fail `sync --once`, a
# page's Retry-After is seconds, and a source whose cursors cycle or expire
# every time ends `sync --once` with exit 1 instead of spinning.
# WAYBILL_CASES="scattered down ..." runs only the cases named.
. tests/integration/lib.sh
AUTOMATION=off

# run DIR: sync --once (at most 30 s, so a spinning regression fails rather
# than hangs); sets rc.
run() {
	timeout 30 "$W" sync --once --config "$1/config.json" --cache "$1/c.db" >"$1/out" 2>"$1/err"
	rc=$?
}

# Scattered 503s over many pages of one stream, each page slower than the
# 20 ms a budget read in the wrong unit would allow: every good page resets
# the failures in a row, so a later failure is again the first in a row, and
# --once completes.
case_scattered() {
	d=$T/scattered
	if ! start_sim "$d" --speed 0 --loads-per-day 6000 --fault tms:rate5xx=0.4,latency=30; then
		not_ok "scattered: sim started"
		return
	fi
	run "$d"
	check "scattered: sync --once exits 0 (exit $rc: $(grep 'gave up' "$d/err" | head -n 1))" [ "$rc" -eq 0 ]
	# "tms stops: HTTP 503 ...; retry in 0.1 s (1 in a row)": the most first
	# failures of any one stream.
	n=$(sed -n 's/^[^ ]* \([a-z]* [a-z_]*\): HTTP 503.*(1 in a row)$/\1/p' "$d/err" | sort | uniq -c |
		sort -rn | awk 'NR == 1 { print $1 }')
	check "scattered: a failure after a good page is again the first in a row (${n:-0} times on one stream)" \
		[ "${n:-0}" -ge 2 ]
	stop_sim
}

# A source down for 2 s: retried until it is back (twelve quick failures are
# no reason to give up), the others did not wait.
case_down() {
	d=$T/down
	if ! start_sim "$d" --speed 0; then not_ok "down: sim started"; return; fi
	admin services/tms/stop '{"for_s":2}' >/dev/null
	run "$d"
	check "down: a source down for 2 s: sync --once still succeeds (exit $rc: $(grep 'gave up' "$d/err" | head -n 1))" [ "$rc" -eq 0 ]
	check "down: ... its outage was reported" grep -q "tms .*connect" "$d/err"
	stop_sim
}

# "Retry-After: 30" on a page waits thirty seconds, not thirty milliseconds.
case_retry_after() {
	d=$T/retry_after
	if ! start_sim "$d" --speed 0 --fault tms:rate429=1,retry_after=30; then
		not_ok "retry_after: sim started"
		return
	fi
	"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>&1 &
	fpid=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q 'HTTP 429: rate limited' "$d/out"; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	check "retry_after: a page answered 429 with Retry-After: 30 waits 30 s ($(grep -m 1 -o 'retry in [0-9.]* s' "$d/out"))" \
		grep -q 'HTTP 429: rate limited.*retry in 30.0 s' "$d/out"
	stop_sim
}

# Positions (ten pages) whose cursors lead back to the start: a cycle, which
# writes pages between its stalls; --once gives up instead of reading forever.
case_rewind() {
	d=$T/rewind
	if ! start_sim "$d" --speed 0 --fault telematics:rewind=1; then not_ok "rewind: sim started"; return; fi
	run "$d"
	check "rewind: sync --once exits 1, not spinning (exit $rc)" [ "$rc" -eq 1 ]
	check "rewind: ... naming the cycle" grep -q "telematics positions: gave up .*came back to a cursor it gave before" "$d/err"
	stop_sim
}

# Every cursor expired (410): the stream is read again from the start, a
# bounded number of times, then --once gives up.
case_expire() {
	d=$T/expire
	if ! start_sim "$d" --speed 0 --fault telematics:expire=1; then not_ok "expire: sim started"; return; fi
	run "$d"
	check "expire: sync --once exits 1, not spinning (exit $rc)" [ "$rc" -eq 1 ]
	check "expire: ... after twelve reads from the start" \
		grep -q "telematics positions: gave up after 12 reads from the start" "$d/err"
	stop_sim
}

# A stored cursor answered 400 (a source restored from a backup): the stream
# is read again from the start once.
case_refuse() {
	d=$T/refuse
	if ! start_sim "$d" --speed 0; then not_ok "refuse: sim started"; return; fi
	run "$d"
	admin faults '{"service":"telematics","refuse":1}' >/dev/null
	admin clock '{"advance_s":60}' >/dev/null
	run "$d"
	check "refuse: a cursor answered 400 is read again from the start, once" \
		[ "$(grep -c 'telematics positions: the source refused the stored cursor' "$d/err")" -eq 1 ]
	stop_sim
}

for c in ${WAYBILL_CASES:-scattered down retry_after rewind expire refuse}; do
	"case_$c"
done
finish
