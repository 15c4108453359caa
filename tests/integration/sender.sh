# The outbox sender's answers: a write answered 503 stays pending for a retry
# (docs/config.md promises retries on 408, 429 and 5xx), never failed for good;
# a 429 with "Retry-After: 30" waits thirty seconds, not thirty milliseconds.
# Each case queues one action, lets `sync --follow` try it once against a
# simulator whose TMS answers every request with the fault, and reads the row.
. tests/integration/lib.sh

# attempt DIR: runs sync --follow until the queued action has been tried once.
attempt() {
	"$W" sync --follow --config "$1/config.json" --cache "$1/c.db" >"$1/out" 2>"$1/err" &
	fpid=$!
	i=0
	while [ $i -lt 200 ]; do
		[ "$(sqlite3 "$1/c.db" "SELECT attempts FROM outbox" 2>/dev/null)" = 1 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
}
row() { sqlite3 "$1/c.db" "SELECT $2 FROM outbox"; }

d=$T/s503
if ! start_sim "$d" --fault tms:rate5xx=1; then not_ok "sim started"; finish; fi
build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:X-1" '{}' >/dev/null
attempt "$d"
check "503: the write was tried" [ "$(row "$d" attempts)" = 1 ]
check "503: the action stays pending for a retry, not failed ($(row "$d" status))" [ "$(row "$d" status)" = pending ]
check "503: the source's answer is kept" [ "$(row "$d" http_status)" = 503 ]
stop_sim

d=$T/s429
if ! start_sim "$d" --fault tms:rate429=1,retry_after=30; then not_ok "sim started"; finish; fi
build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:X-1" '{}' >/dev/null
attempt "$d"
wait_s=$(($(row "$d" next_attempt_at) - $(date +%s)))
check "429: the write was tried once" [ "$(row "$d" attempts)" = 1 ]
check "429: still pending" [ "$(row "$d" status)" = pending ]
# The next try is due about 30 s after the answer (15 s leaves room for a slow
# machine between the answer and this line; read as milliseconds it is <= 1 s).
check "429: Retry-After 30 is seconds (next try in ${wait_s} s)" [ "$wait_s" -ge 15 ]
stop_sim
finish
