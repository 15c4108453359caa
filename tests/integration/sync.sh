# waybill sync against the real waybill-sim on loopback: an undisturbed sync,
# every fault mode the sim offers, a source down, kill -9 mid-sync, and the
# outbox delivered exactly once through writes that time out.
. tests/integration/lib.sh

# These cases test the transport: the cache must end equal to the sim, and the
# outbox must carry exactly the actions a case queued. The workflow pass's own
# decisions (invoice releases, work orders) would change the sim behind the
# cache's back; workflow.sh tests those.
AUTOMATION=off

# sync_case NAME SIM_OPTIONS...: a fresh sim (frozen clock) and cache; sync
# --once must exit 0 and leave the cache equal to the sim.
sync_case() {
	name=$1; shift
	d="$T/$(echo "$name" | tr -c 'a-z0-9\n' '_')"
	if ! start_sim "$d" --speed 0 "$@"; then not_ok "$name: sim started"; return; fi
	"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: sync --once exits 0" "exit $rc" "$(tail -n 3 "$d/err")"
	elif cache_matches_sim "$d/c.db" "$d"; then
		ok "$name: sync --once leaves the cache equal to the sim"
	else
		not_ok "$name: sync --once leaves the cache equal to the sim"
	fi
	stop_sim
}

sync_case "undisturbed"
d="$T/undisturbed"
check "undisturbed: one 'done' line per stream when piped" [ "$(grep -c ': done, ' "$d/out")" -eq 18 ]
check "undisturbed: no progress bar when piped" [ -z "$(grep -F '[#' "$d/err" "$d/out")" ]

sync_case "latency" --fault all:latency=20
sync_case "5xx" --fault all:rate5xx=0.3
# Many pages (tms stops: ~38) with scattered 503s: well over 12 failures on one
# stream, never 12 in a row. Each good page resets the count, so --once must
# not give up (without the reset it does, once the failures span 5 s).
sync_case "5xx scattered over many pages" --loads-per-day 20000 --fault tms:rate5xx=0.4,latency=50
sync_case "429 with Retry-After" --fault all:rate429=0.3,retry_after=0
sync_case "dropped mid-body" --fault all:drop=0.2
sync_case "truncated JSON" --fault all:truncate=0.2
sync_case "malformed JSON" --fault all:malformed=0.2
sync_case "duplicate records" --fault all:dup=0.5
sync_case "out-of-order records" --fault all:reorder=0.5
sync_case "expired cursors" --fault all:expire=0.05
sync_case "closed without an answer" --fault all:close=0.2
sync_case "everything at once" --fault all:rate5xx=0.1,drop=0.05,malformed=0.05,dup=0.2,reorder=0.2,expire=0.02

d="$T/malformed_____"
check "a malformed page is logged with where it broke" grep -q "page rejected: malformed JSON at line" "$d/err"

# A cursor that really expired: the sim keeps only the last 300 changes'
# tombstones; two simulated hours later the second sync's cursors are behind
# purged deletions, so it resyncs and must sweep the records deleted meanwhile.
d="$T/retain"
start_sim "$d" --speed 0 --retain 300
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1
admin clock '{"advance_s":7200}' >/dev/null
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "expired cursors after purged tombstones: sync --once exits 0" [ $rc -eq 0 ]
check "... the source did expire them" grep -q "cursor expired" "$d/err"
check "... records deleted meanwhile were swept" grep -q "resync complete: [1-9][0-9]* records gone" "$d/err"
check "... and the cache equals the sim" cache_matches_sim "$d/c.db" "$d"
stop_sim

# A source that is down: the others finish, and it is retried until it is back.
d="$T/down"
start_sim "$d" --speed 0
admin services/tms/stop '{"for_s":2}' >/dev/null
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "a source down for 2 s: sync --once still succeeds" [ $rc -eq 0 ]
check "... the other sources did not wait for it" grep -q "erp customers: done" "$d/out"
check "... its outage was reported" grep -q "tms .*connect" "$d/err"
check "... and the cache equals the sim" cache_matches_sim "$d/c.db" "$d"
# Down for good: the others are synced, the exit code says it failed.
admin services/tms/stop '{}' >/dev/null
rm -f "$d"/c.db*
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "a source down for good: sync --once exits 1" [ $rc -eq 1 ]
check "... naming what failed" grep -q "sync incomplete" "$d/err"
check "... after syncing the sources that were up" [ "$(sqlite3 "$d/c.db" 'SELECT count(*) FROM customer')" -gt 0 ]
stop_sim

# kill -9 at three moments during a slow sync, then once more to the end:
# the result equals an undisturbed run.
d="$T/kill9"
start_sim "$d" --speed 0 --fault all:latency=15
for pause in 0.4 0.9 1.5; do
	"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1 &
	p=$!
	sleep $pause
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
partial=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "kill -9 three times mid-sync: the next sync exits 0" [ $rc -eq 0 ]
check "... the killed runs had written part of it ($partial positions)" [ "$partial" -gt 0 ]
check "... and the cache equals the sim: nothing skipped, nothing repeated" cache_matches_sim "$d/c.db" "$d"
stop_sim

# The outbox: actions delivered exactly once although the source commits
# writes and then drops the connection half the time.
d="$T/outbox"
start_sim "$d" --speed 0
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1
ids=$(sqlite3 "$d/c.db" "SELECT id FROM exception WHERE status='open' AND required_role='dispatcher' ORDER BY id LIMIT 4")
n=0
for x in $ids; do
	echo "$x $(curl -sf -H "Authorization: Bearer $ADMIN" "$TMS/v1/exceptions/$x" | jq .data.version)" >>"$d/before"
	build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:$x" '{"note":"seen"}' "m.okafor" >/dev/null
	n=$((n + 1))
done
# Two actions on one subject keep their order: acknowledge, then escalate.
first=$(echo "$ids" | head -n 1)
build/tests/tools/outbox_add "$d/c.db" tms escalate_exception "exception:$first" '{}' >/dev/null
# One the source refuses for good.
build/tests/tools/outbox_add "$d/c.db" erp release_invoice "invoice:INV-999999" '{}' >/dev/null
admin faults '{"service":"all","write_timeout":0.5}' >/dev/null
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "outbox: sync --once exits 0 with writes timing out" [ $rc -eq 0 ]
check "outbox: $n acknowledgements and the escalation delivered" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM outbox WHERE status='delivered'")" -eq $((n + 1)) ]
check "outbox: some deliveries needed a retry (the fault bit)" \
	[ "$(sqlite3 "$d/c.db" "SELECT max(attempts) FROM outbox WHERE status='delivered'")" -gt 1 ]
check "outbox: the refused action failed with the source's reason" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM outbox WHERE status='failed' AND answer LIKE 'HTTP 404%'")" -eq 1 ]
admin faults '{"service":"all","clear":true}' >/dev/null
once=1
while read -r x v; do
	now=$(curl -sf -H "Authorization: Bearer $ADMIN" "$TMS/v1/exceptions/$x" | jq -r '"\(.data.version) \(.data.status)"')
	want_status=acknowledged
	[ "$x" = "$first" ] && want_status=escalated
	want_v=$((v + 1))
	[ "$x" = "$first" ] && want_v=$((v + 2))
	[ "$now" = "$want_v $want_status" ] || { once=0; echo "# $x: before v$v, now $now, expected v$want_v $want_status"; }
done <"$d/before"
check "outbox: each action took effect exactly once at the source" [ $once -eq 1 ]
stop_sim

finish
