# The outbox sender's answers: a write answered 503 or 408 stays pending for a
# retry (docs/config.md promises retries on 408, 429 and 5xx), never failed for
# good; a 429 with "Retry-After: 30" waits thirty seconds, not thirty
# milliseconds.
# Each case queues its actions, lets `sync --follow` (or --once) try them
# against a simulator whose TMS answers with the fault, and reads the rows.
# WAYBILL_CASES="503 close ..." runs only the cases named.
. tests/integration/lib.sh

# attempt DIR: runs sync --follow until the queued action has been tried once
# and its answer recorded (attempts counts from the claim: an inflight row has
# been sent but not yet answered).
attempt() {
	"$W" sync --follow --config "$1/config.json" --cache "$1/c.db" >"$1/out" 2>"$1/err" &
	fpid=$!
	i=0
	while [ $i -lt 200 ]; do
		[ "$(sqlite3 "$1/c.db" "SELECT attempts = 1 AND status != 'inflight' FROM outbox" 2>/dev/null)" = 1 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
}
row() { sqlite3 "$1/c.db" "SELECT $2 FROM outbox"; }

case_503() {
	d=$T/s503
	if ! start_sim "$d" --fault tms:rate5xx=1; then not_ok "503: sim started"; return; fi
	build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:X-1" '{}' >/dev/null
	attempt "$d"
	check "503: the write was tried" [ "$(row "$d" attempts)" = 1 ]
	check "503: the action stays pending for a retry, not failed ($(row "$d" status))" [ "$(row "$d" status)" = pending ]
	check "503: the source's answer is kept" [ "$(row "$d" http_status)" = 503 ]
	stop_sim
}

case_429() {
	d=$T/s429
	if ! start_sim "$d" --fault tms:rate429=1,retry_after=30; then not_ok "429: sim started"; return; fi
	build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:X-1" '{}' >/dev/null
	attempt "$d"
	wait_s=$(($(row "$d" next_attempt_at) - $(date +%s)))
	check "429: the write was tried once" [ "$(row "$d" attempts)" = 1 ]
	check "429: still pending" [ "$(row "$d" status)" = pending ]
	# The next try is due about 30 s after the answer (15 s leaves room for a slow
	# machine between the answer and this line; read as milliseconds it is <= 1 s).
	check "429: Retry-After 30 is seconds (next try in ${wait_s} s)" [ "$wait_s" -ge 15 ]
	stop_sim
}

# No answer at all (the connection closed): the write stays pending for a
# retry, never failed for good.
case_close() {
	d=$T/sclose
	if ! start_sim "$d" --fault tms:close=1; then not_ok "close: sim started"; return; fi
	build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:X-1" '{}' >/dev/null
	attempt "$d"
	check "no answer: the write was tried" [ "$(row "$d" attempts)" = 1 ]
	check "no answer: the action stays pending for a retry, not failed ($(row "$d" status))" [ "$(row "$d" status)" = pending ]
	check "no answer: no HTTP status is recorded ($(row "$d" http_status))" [ -z "$(row "$d" http_status)" ]
	stop_sim
}

# --once through scattered 408s: each delivery resets the failures in a row,
# so --once delivers all 40 actions although well over twelve writes fail
# (the sim's draws are seeded: the same writes fail every run).
case_once408() {
	d=$T/once408
	if ! AUTOMATION=off start_sim "$d" --speed 0 --fault tms:rate408=0.35; then not_ok "once408: sim started"; return; fi
	disp=$(jq -r .tokens.dispatcher "$d/sim.json")
	for x in $(curl -sf -H "Authorization: Bearer $disp" "$TMS/v1/exceptions?limit=500" |
		jq -r '[.data[] | select(.status == "open" and .required_role == "dispatcher")][:40][].id'); do
		build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:$x" '{}' >/dev/null
	done
	timeout 60 "$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
	rc=$?
	retries=$(sqlite3 "$d/c.db" "SELECT sum(attempts) - count(*) FROM outbox")
	check "once408: sync --once exits 0 (exit $rc: $(grep -m 1 'gave up' "$d/err"))" [ "$rc" -eq 0 ]
	check "once408: all 40 actions delivered" \
		[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM outbox WHERE status='delivered'")" -eq 40 ]
	check "once408: more than twelve writes were answered 408 ($retries)" [ "${retries:-0}" -gt 12 ]
	stop_sim
}

# 408: the source (or a proxy before it) gave up waiting for the request and
# performed nothing. The write stays pending, is tried again while the fault
# lasts, and is delivered once the fault is cleared (both through the admin API).
case_408() {
	d=$T/s408
	if ! AUTOMATION=off start_sim "$d"; then not_ok "408: sim started"; return; fi
	check "408: the fault is set through the admin API" \
		[ "$(admin faults '{"service":"tms","rate408":1}' | jq .tms.rate408)" = 1 ]
	disp=$(jq -r .tokens.dispatcher "$d/sim.json")
	x=$(curl -sf -H "Authorization: Bearer $disp" "$TMS/v1/exceptions?limit=500" |
		jq -r '[.data[] | select(.status == "open" and .required_role == "dispatcher")][0].id')
	build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:$x" '{}' >/dev/null
	# the row of this action (the sync queues none of its own: AUTOMATION=off)
	rx() { sqlite3 "$d/c.db" "SELECT $1 FROM outbox WHERE subject='exception:$x'"; }
	"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err" &
	fpid=$!
	PIDS="$PIDS $fpid"
	# wait_for SQL VALUE: until the outbox row's SQL is VALUE (at most 60 s), or
	# the row has failed for good (nothing more will happen to it).
	wait_for() {
		i=0
		while [ $i -lt 600 ]; do
			[ "$(rx "$1")" = "$2" ] && return 0
			[ "$(rx status)" = failed ] && return 1
			sleep 0.1
			i=$((i + 1))
		done
		return 1
	}
	wait_for http_status 408
	check "408: the write was tried (exception $x)" [ "$(rx attempts)" -ge 1 ]
	check "408: the source's answer is kept" [ "$(rx http_status)" = 408 ]
	check "408: the action stays queued, not failed ($(rx status))" \
		[ "$(rx "status IN ('pending','inflight')")" = 1 ]
	wait_for "attempts >= 2" 1
	check "408: it is tried again while the source answers 408 ($(rx attempts) attempts, $(rx status))" \
		[ "$(rx "attempts >= 2 AND status IN ('pending','inflight')")" = 1 ]
	admin faults '{"service":"tms","clear":true}' >/dev/null
	wait_for status delivered
	check "408: delivered once the fault is cleared ($(rx status), $(rx answer))" [ "$(rx status)" = delivered ]
	check "408: the source took it ($(curl -sf -H "Authorization: Bearer $disp" "$TMS/v1/exceptions/$x" | jq -r .data.status))" \
		[ "$(curl -sf -H "Authorization: Bearer $disp" "$TMS/v1/exceptions/$x" | jq -r .data.status)" = acknowledged ]
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	stop_sim
}

for c in ${WAYBILL_CASES:-503 429 close once408 408}; do
	"case_$c"
done
finish
