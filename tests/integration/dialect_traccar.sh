# waybill sync against waybill-sim --dialect traccar: the traccar kind reads
# devices, drivers, DTC faults and positions in Traccar's shapes and the cache
# equals the sim's world (its canonical /v1/ pages with the admin token are the
# truth); 429 with and without Retry-After, 5xx, a refused report window and a
# revoked token; kill -9 of sync --follow mid-feed; the console's Vehicles board.
. tests/integration/lib.sh

# truth DIR: the world's vehicles, drivers, active faults and positions, as
# the canonical API gives them to the admin, into DIR/want.*
truth() {
	curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/vehicles?limit=1000" |
		jq -r '.data[] | select(.deleted != true) | .id' | sort >"$1/want.vehicles"
	curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/drivers?limit=1000" |
		jq -r '.data[] | select(.deleted != true) | .id' | sort >"$1/want.drivers"
	curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/faults?limit=1000" |
		jq -r '.data[] | select(.active == true and .deleted != true) |
		  "\(.vehicle_id) \(.code) \(.protocol) \(.severity)"' | sort -u >"$1/want.faults"
	: >"$1/want.pos"
	after=""
	while :; do
		curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/positions?limit=5000&after=$after" >"$1/page" || return 1
		jq -r '.data[] | "\(.vehicle_id) \(.ts_ms)"' "$1/page" >>"$1/want.pos"
		after=$(jq -r .next "$1/page")
		[ "$(jq -r .has_more "$1/page")" = true ] || break
	done
}

# got DIR CACHE: the same from the cache.
got() {
	sqlite3 "$2" "SELECT id FROM vehicle WHERE deleted=0" | sort >"$1/got.vehicles"
	sqlite3 "$2" "SELECT id FROM driver WHERE deleted=0" | sort >"$1/got.drivers"
	sqlite3 "$2" "SELECT vehicle_id, code, protocol, severity FROM fault WHERE deleted=0 AND active=1" |
		tr '|' ' ' | sort >"$1/got.faults"
	sqlite3 "$2" "SELECT vehicle_id || ' ' || strftime('%Y-%m-%dT%H:%M:%f', ts_ms / 1000.0, 'unixepoch') || 'Z' FROM position" |
		sort >"$1/got.pos"
}

# matches DIR CACHE SINCE: vehicles, drivers and active faults equal the
# world's; every world position from SINCE (ISO, ms) on is in the cache and the
# cache has none there the world does not.
matches() {
	truth "$1" && got "$1" "$2" || { echo "# truth or cache unreadable"; return 1; }
	for l in vehicles drivers faults; do
		if ! diff "$1/want.$l" "$1/got.$l" >"$1/diff.$l"; then
			echo "# $l differ:"; head -n 6 "$1/diff.$l" | sed 's/^/#   /'; return 1
		fi
	done
	[ -s "$1/want.vehicles" ] && [ -s "$1/want.faults" ] || { echo "# an empty world"; return 1; }
	awk -v s="$3" '$2 >= s' "$1/want.pos" | sort >"$1/want.win"
	awk -v s="$3" '$2 >= s' "$1/got.pos" | sort >"$1/got.win"
	if ! diff "$1/want.win" "$1/got.win" >"$1/diff.pos"; then
		echo "# positions since $3 differ (world $(wc -l <"$1/want.win"), cache $(wc -l <"$1/got.win")):"
		head -n 4 "$1/diff.pos" | sed 's/^/#   /'
		return 1
	fi
	[ "$(wc -l <"$1/want.win")" -gt 100 ] || { echo "# too few positions since $3"; return 1; }
}

# since DIR [SECONDS]: an hour (less SECONDS) before the world's newest fix
# time, where the kind's first window starts (ISO with ms, as the cache's).
since() {
	tok=$(jq -r .tokens.viewer "$1/sim.json")
	curl -sf -H "Authorization: Bearer $tok" "$TEL/api/positions" | jq -r --argjson m "${2:-0}" '
	  [.[].fixTime | capture("^(?<s>[^.]+)\\.(?<ms>[0-9]{3})") |
	   ((.s + "Z" | fromdateiso8601) * 1000 + (.ms | tonumber))] | max - 3600000 + $m * 1000 |
	  ((. / 1000 | floor | todate | sub("Z$"; "")) + "." + ("00" + (. % 1000 | tostring))[-3:] + "Z")'
}

sync_once() { "$W" sync --once --config "$1/config.json" --cache "$1/c.db" >"$1/out" 2>"$1/err"; }

# ---- an undisturbed sync ------------------------------------------------------
d="$T/plain"
start_sim "$d" --dialect traccar --speed 0
check "the sim speaks traccar: devices need a token (401, no JSON)" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$TEL/api/devices")" = 401 ]
sync_once "$d"
rc=$?
check "plain: sync --once exits 0" [ $rc -eq 0 ]
if matches "$d" "$d/c.db" "$(since "$d")" >"$d/why"; then
	ok "plain: vehicles, drivers, active faults and positions equal the world's"
else
	not_ok "plain: vehicles, drivers, active faults and positions equal the world's" "$(cat "$d/why")"
fi
check "plain: a vehicle is the device's id with its name as unit" \
	[ "$(sqlite3 "$d/c.db" "SELECT unit FROM vehicle WHERE id='1'")" = TRK-001 ]
# The vehicles that reported a position carry its readings where every reader
# looks (vehicle_now: a device carries none, its newest position does; Traccar
# knows nothing of the others': a trailer here reports none). The odometer is
# the world's; the fuel is the last position's (the world refuels between them).
sqlite3 "$d/c.db" "SELECT id, CAST(odometer_m AS INTEGER), fuel_pct IS NOT NULL FROM vehicle_now
	WHERE deleted=0 AND last_seen_ms IS NOT NULL" |
	tr '|' ' ' | sort >"$d/got.readings"
curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/vehicles?limit=1000" |
	jq -r '.data[] | "\(.id) \(.odometer_m) \(if .fuel_pct then 1 else 0 end)"' >"$d/world.readings"
awk 'NR == FNR { seen[$1] = 1; next } $1 in seen' "$d/got.readings" "$d/world.readings" |
	sort >"$d/want.readings"
check "plain: vehicles with positions have readings ($(wc -l <"$d/got.readings"))" [ -s "$d/got.readings" ]
check "plain: ... their odometer is the world's, and a fuel level where it has one" \
	cmp -s "$d/want.readings" "$d/got.readings"
check "plain: drivers carry the world's ids (100000+N)" \
	[ "$(sqlite3 "$d/c.db" "SELECT min(id) FROM driver")" = 100001 ]
check "plain: the TMS's loads name Traccar's vehicles and drivers" [ "$(sqlite3 "$d/c.db" \
	"SELECT count(*) FROM load WHERE (vehicle_id IS NOT NULL AND vehicle_id NOT IN (SELECT id FROM vehicle))
	    OR (driver_id IS NOT NULL AND driver_id NOT IN (SELECT id FROM driver))")" = 0 ]
check "plain: ... and some loads have both" [ "$(sqlite3 "$d/c.db" \
	"SELECT count(*) FROM load WHERE vehicle_id IS NOT NULL AND driver_id IS NOT NULL")" -gt 0 ]
# A second sync reads the next window from the stored cursor: nothing doubles.
before=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
sync_once "$d"
check "plain: a second sync adds no position" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")" = "$before" ]
check "plain: ... and no fault twice" [ "$(sqlite3 "$d/c.db" \
	"SELECT count(*) FROM (SELECT vehicle_id, code FROM fault WHERE deleted=0 GROUP BY 1, 2 HAVING count(*) > 1)")" = 0 ]
# Six hours on, DTCs have cleared and others appeared: the next pass removes
# the cleared ones, and the positions of the six hours are read.
cp "$d/got.faults" "$d/faults.before"
from=$(since "$d")
admin clock '{"advance_s": 21600}' >/dev/null
sleep 1 # a full pass is due once sweep_s (1 s) has passed since the last one began
sync_once "$d"
rc=$?
check "six hours on: sync --once exits 0" [ $rc -eq 0 ]
if matches "$d" "$d/c.db" "$from" >"$d/why"; then
	ok "six hours on: the cache equals the world again (positions of the gap included)"
else
	not_ok "six hours on: the cache equals the world again (positions of the gap included)" "$(cat "$d/why")"
fi
check "six hours on: a DTC that cleared left the cache" \
	[ -n "$(comm -23 "$d/faults.before" "$d/got.faults")" ]
check "six hours on: ... with a line saying so" grep -q 'telematics faults: resync complete: [1-9][0-9]* records gone' "$d/err"
stop_sim

# ---- faults ------------------------------------------------------------------
for f in "rate429=0.3,retry_after=1:HTTP 429: rate limited" \
	"rate429=0.3,retry_after=0:HTTP 429: rate limited" \
	"rate5xx=0.3:HTTP 503 from" \
	"expire=0.2:the source refused the stored cursor (HTTP 400: IllegalArgumentException: Time period exceeds the limit)"; do
	spec=${f%%:*}
	line=${f#*:}
	d="$T/fault.$(echo "$spec" | tr ',=' '__')"
	start_sim "$d" --dialect traccar --speed 0 --fault "telematics:$spec"
	sync_once "$d"
	rc=$?
	check "$spec: sync --once exits 0" [ $rc -eq 0 ]
	check "$spec: the sync says \"$line\"" grep -qF "$line" "$d/err"
	admin faults '{"service":"all","clear":true}' >/dev/null
	if matches "$d" "$d/c.db" "$(since "$d")" >"$d/why"; then
		ok "$spec: the cache equals the world"
	else
		not_ok "$spec: the cache equals the world" "$(cat "$d/why")"
	fi
	stop_sim
done
check "429 with Retry-After: 1 waits the second it asks" \
	grep -q 'rate limited.*retry in 1.0 s' "$T/fault.rate429_0.3_retry_after_1/err"

# ---- no maintenance source: a hold is refused, naming the owner -------------------
d="$T/nomaint"
MAINT=off start_sim "$d" --dialect traccar --speed 0
sync_once "$d"
"$W" hold 1 --reason "brake chamber leaking" --config "$d/config.json" --cache "$d/c.db" >"$d/hold.txt" 2>&1
check "hold on a traccar vehicle without a maintenance source: exit 3" [ $? -eq 3 ]
check "... names the owner and what to configure" grep -qF \
	"the traccar telematics source cannot hold a vehicle: it takes no vehicle holds; holds belong to a maintenance source (sources.maintenance)" \
	"$d/hold.txt"
check "... nothing in the outbox" [ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM outbox WHERE subject='vehicle:1'")" = 0 ]
stop_sim

# ---- a revoked token -----------------------------------------------------------
d="$T/revoked"
start_sim "$d" --dialect traccar --speed 0
jq '.sources.telematics.token = "revoked-token-0000"' "$d/config.json" >"$d/c2" && cat "$d/c2" >"$d/config.json"
sync_once "$d"
rc=$?
check "revoked token: sync --once fails" [ $rc -ne 0 ]
check "revoked token: one clear line" grep -q 'telematics .*HTTP 401: the token was refused; check the config' "$d/err"
check "revoked token: the token is never printed" sh -c "! grep -q revoked-token-0000 '$d/out' '$d/err'"
stop_sim

# ---- kill -9 mid-feed, then resume ---------------------------------------------
d="$T/kill"
start_sim "$d" --dialect traccar --speed 60 --start now
jq '.sources.telematics.intervals = {"positions": 1, "faults": 1, "vehicles": 1, "drivers": 1}' \
	"$d/config.json" >"$d/c2" && cat "$d/c2" >"$d/config.json"
from=$(since "$d" 900)
: >"$d/out"
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err" &
fp=$!
PIDS="$PIDS $fp"
i=0
while [ "$(grep -c 'telematics positions: [0-9]* records' "$d/out")" -lt 4 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -9 $fp 2>/dev/null
wait $fp 2>/dev/null
mid=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
sleep 2 # the world moves on while no sync runs
: >"$d/out2"
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/out2" 2>"$d/err2" &
fp=$!
PIDS="$PIDS $fp"
i=0
while [ "$(grep -c 'telematics positions: [0-9]* records' "$d/out2")" -lt 4 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
admin clock '{"speed": 0}' >/dev/null # the world stops; let the sync catch up
n=$(grep -c 'telematics positions: .*records, [0-9]* changed$' "$d/out2")
i=0
while [ "$(grep -c 'telematics positions: .*records, [0-9]* changed$' "$d/out2")" -lt $((n + 2)) ] && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i + 1))
done
kill $fp 2>/dev/null
wait $fp 2>/dev/null
check "kill -9: positions were written before the kill ($mid)" [ "$mid" -gt 0 ]
if matches "$d" "$d/c.db" "$from" >"$d/why"; then
	ok "kill -9 mid-feed, restart: every world position is in the cache once, faults once"
else
	not_ok "kill -9 mid-feed, restart: every world position is in the cache once, faults once" "$(cat "$d/why")"
fi
stop_sim

# ---- the console on the traccar cache --------------------------------------------
if command -v tmux >/dev/null 2>&1; then
	case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
	SOCK="waybill-traccar-$$"
	tm() { tmux -L "$SOCK" "$@"; }
	trap 'tm kill-server 2>/dev/null; cleanup' EXIT INT TERM
	tm -f /dev/null new-session -d -x 100 -y 30 -s wb \
		"env TZ=UTC LC_ALL=C.UTF-8 TERM=screen-256color WAYBILL_THEMES=$(pwd)/themes \
		 $AW --cache $T/plain/c.db 2>$T/tmux.err; echo exited \$? >$T/tmux.rc; sleep 30"
	i=0
	while [ $i -lt 50 ]; do
		tm capture-pane -p -t wb >"$T/pane" 2>/dev/null
		grep -q "UNIT" "$T/pane" && grep -q "TRK-001" "$T/pane" && break
		[ $i -eq 10 ] && tm send-keys -t wb 2
		sleep 0.1
		i=$((i + 1))
	done
	check "console: the Vehicles board lists Traccar's devices by name" grep -q "TRK-001" "$T/pane"
	tm send-keys -t wb q
	i=0
	while [ $i -lt 50 ] && [ ! -s "$T/tmux.rc" ]; do sleep 0.1; i=$((i + 1)); done
	check "console: q quits with status 0" grep -qx "exited 0" "$T/tmux.rc"
	tm kill-server 2>/dev/null
else
	echo "ok - tmux not installed # SKIP"
fi

finish
