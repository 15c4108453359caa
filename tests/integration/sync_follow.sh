# waybill sync --follow stays live (pages, then the SSE position stream) and
# resumes after a restart; waybill doctor; the config's guard rails; and no
# token ever printed.
. tests/integration/lib.sh

d="$T/follow"
start_sim "$d" --speed 120 --start now
TOKEN=$(jq -r .tokens.dispatcher "$d/sim.json")

"$W" doctor --config "$d/config.json" --cache "$d/c.db" >"$d/doctor" 2>&1
rc=$?
check "doctor: exits 0 with every source up" [ $rc -eq 0 ]
check "doctor: one line per source, authenticated with user and role" \
	[ "$(grep -c ' ok    m.okafor (dispatcher), clock skew ' "$d/doctor")" -eq 3 ]

# The files exist before the waits below read them (the background shell
# would create them only when it gets to run).
: >"$d/out"
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err" &
fp=$!
PIDS="$PIDS $fp"
# Wait (bounded) until live events have been written at least twice.
i=0
while [ "$(grep -c 'telematics positions: .* events' "$d/out")" -lt 2 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
check "follow: logs one line per page" grep -Eq '^[0-9T:-]+Z tms loads: [0-9]+ records' "$d/out"
check "follow: live positions arrive in batches over the event stream" \
	grep -Eq 'telematics positions: [0-9]+ events, [0-9]+ new, last [0-9]+' "$d/out"
live=$(sqlite3 "$d/c.db" "SELECT cursor FROM sync_state WHERE stream='positions_live'")
check "follow: the last event id is stored ($live)" [ -n "$live" ]
# The local pass reads on the thread pool and writes on the loop, once every
# stream caught up: its findings, verdicts and KPI samples land while the stream
# goes on.
i=0
while ! grep -q 'local workflow: ' "$d/out" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "follow: the local pass runs (detectors with read and write times)" \
	grep -Eq 'local detectors: [0-9]+ raised, .* \(read [0-9]+ ms, written [0-9]+ ms\)' "$d/out"
check "follow: ... its exceptions are in the cache" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM exception WHERE source='local'")" -gt 0 ]
check "follow: ... every vehicle has its readiness verdict" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM vehicle v LEFT JOIN readiness r ON r.vehicle_id=v.id WHERE v.deleted=0 AND r.state IS NULL")" -eq 0 ]
check "follow: ... and the KPIs are sampled" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(DISTINCT name) FROM kpi_sample")" -ge 10 ]
check "follow: positions kept streaming meanwhile" \
	[ "$(grep -c 'telematics positions: .* events' "$d/out")" -ge 2 ]
kill -TERM $fp
wait $fp
rc=$?
check "follow: SIGTERM ends it with exit 0" [ $rc -eq 0 ]
n1=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")

# A restart resumes: pages from its cursor, then the stream from the last event.
: >"$d/out2"
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out2" 2>"$d/err2" &
fp=$!
PIDS="$PIDS $fp"
i=0
while ! grep -q 'telematics positions: .* events' "$d/out2" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $fp
wait $fp
n2=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
check "follow: a restart carries on live ($n1 then $n2 positions)" [ "$n2" -gt "$n1" ]
# The key (ts_ms, vehicle_id) already makes a stored duplicate impossible, so
# check what a double delivery or a lost event would break: every live event
# was a position not yet stored (a resume that replays shows fewer new than
# events), and the sim numbers positions 1, 2, ... so the cache holds exactly
# as many as the last event id it stored (a gap leaves fewer).
replayed=$(grep -hE 'telematics positions: [0-9]+ events, [0-9]+ new' "$d/out" "$d/out2" |
	sed -E 's/.* ([0-9]+) events, ([0-9]+) new.*/\1 \2/' | awk '$1 != $2 { n += $1 - $2 } END { print n + 0 }')
check "follow: no live event delivered twice ($replayed replayed)" [ "$replayed" -eq 0 ]
last=$(sqlite3 "$d/c.db" "SELECT cursor FROM sync_state WHERE stream='positions_live'")
check "follow: no position lost (last event $last, $n2 stored)" [ "$n2" = "$last" ]
check "follow: the token never appears in what it printed" \
	[ -z "$(grep -F "$TOKEN" "$d/out" "$d/err" "$d/out2" "$d/err2" "$d/doctor")" ]
check "follow: nor in the cache" [ -z "$(grep -aF "$TOKEN" "$d"/c.db*)" ]

# A progress bar on a terminal (script(1) gives it one).
if command -v script >/dev/null 2>&1; then
	script -qec "'$W' sync --once --config '$d/config.json' --cache '$d/tty.db'" /dev/null >"$d/tty" 2>&1
	check "once: a progress bar on a terminal" grep -qF '] 18/18 streams' "$d/tty"
fi
stop_sim

# Config guard rails, through the CLI.
chmod 644 "$d/config.json"
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "a config readable by others is refused" [ $rc -eq 1 ]
check "... saying how to fix it" grep -q "chmod 600" "$d/err"
check "... without printing the token" [ -z "$(grep -F "$TOKEN" "$d/err")" ]
chmod 600 "$d/config.json"
printf '{"sources":{"erp":{"kind":"waybill","url":"http://127.0.0.1:1","token":"sekrit-%s"}}' x >"$d/bad.json"
chmod 600 "$d/bad.json"
"$W" sync --once --config "$d/bad.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
check "malformed config JSON: exit 1 with line and column" grep -q "line 1" "$d/err"
check "... and no token in the message" [ -z "$(grep -F sekrit "$d/err")" ]
"$W" sync --once --config "$d/nope.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
check "a missing config says where it looked" grep -q "$d/nope.json" "$d/err"
"$W" sync --config "$d/config.json" >"$d/out" 2>"$d/err"
check "sync without --once or --follow is a usage error" [ $? -eq 2 ]
finish
