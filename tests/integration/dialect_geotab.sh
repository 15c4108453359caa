# The geotab kind against `waybill-sim --dialect geotab` on loopback: a sync
# leaves the cache equal to the sim's world (read from its canonical /v1/
# pages with the admin token, the truth); then Geotab's faults one by one
# (OverLimitException with and without Retry-After, 503s, an unusable feed
# version, a session that dies), a wrong password, the server move of
# Authenticate's path, kill -9 of `sync --follow` mid-feed, and the console
# opening on the dialect.
. tests/integration/lib.sh
AUTOMATION=off

# world LIST: every record of a canonical list of the sim's telematics service.
world() {
	after="" more=true
	: >"$T/world.$1"
	while [ "$more" = true ]; do
		curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/$1?limit=1000&after=$after" >"$T/page" || return 1
		jq -c '.data[]' "$T/page" >>"$T/world.$1"
		after=$(jq -r .next "$T/page") more=$(jq -r .has_more "$T/page")
	done
	cat "$T/world.$1"
}

# geotab_matches CACHE DIR: the cache holds the world as the kind maps it:
# vehicles (id, unit), drivers (id, name, duty status and the three clocks
# left: DutyStatusAvailability and DutyStatusLog), one fault per vehicle and code
# (active while any of the world's is; its severity), inspections (vehicle,
# driver, kind, safe, defects, time) and as many positions as the sim made.
# The differences go to DIR/diff.
geotab_matches() {
	db=$1 dir=$2
	# The truth is read without the injected faults (they hit /v1/ too).
	admin faults '{"service":"telematics","clear":true}' >/dev/null
	{
		world vehicles | jq -r '"vehicle \(.id) \(.unit)"'
		world drivers | jq -r '"driver \(.id) \(.name) \(.status) \(.drive_left_s) \(.duty_left_s) \(.cycle_left_s)"'
		world faults | jq -s -r 'group_by(.vehicle_id + "/" + .code)[] |
		  "fault \(.[0].vehicle_id)/\(.[0].code) \(.[0].severity) \(if any(.active) then 1 else 0 end)"'
		world inspections | jq -r '"inspection \(.vehicle_id) \(.driver_id // "") \(.kind) \(if .safe then 1 else 0 end) \(.defects) \(.at | fromdate)"'
		echo "positions $(admin truth | jq .positions)"
	} | sort >"$dir/want"
	sqlite3 "$db" "
	  SELECT printf('vehicle %s %s', id, unit) FROM vehicle WHERE deleted=0 UNION ALL
	  SELECT printf('driver %s %s %s %s %s %s', id, name, status, drive_left_s, duty_left_s,
	    cycle_left_s) FROM driver WHERE deleted=0 UNION ALL
	  SELECT printf('fault %s %s %d', id, severity, active) FROM fault WHERE deleted=0 UNION ALL
	  SELECT printf('inspection %s %s %s %d %s %d', vehicle_id, driver_id, kind, safe, defects, at)
	    FROM inspection WHERE deleted=0 UNION ALL
	  SELECT printf('positions %d', count(*)) FROM position;" | sort >"$dir/got"
	diff "$dir/want" "$dir/got" >"$dir/diff"
}

# ignition_matches CACHE DIR: every position of the cache carries the
# ignition of the world's position (vehicle, time) as the sim's canonical
# /v1/positions gives it (1 on, 0 off; -1 unknown would show as a difference).
# Run after geotab_matches (the faults cleared). DIR/ign.diff the differences.
ignition_matches() {
	world positions | jq -r '"\(.vehicle_id) \((.ts_ms[0:19] + "Z" | fromdate) * 1000 +
	  (.ts_ms[20:23] | tonumber)) \(if .ignition then 1 else 0 end)"' | sort >"$2/ign.want"
	sqlite3 "$1" "SELECT printf('%s %d %d', vehicle_id, ts_ms, ifnull(ignition, -1))
	  FROM position" | sort >"$2/ign.got"
	diff "$2/ign.want" "$2/ign.got" >"$2/ign.diff"
}

# geotab_case NAME SIM_OPTIONS...: a fresh sim in the dialect (frozen clock)
# and cache; sync --once exits 0, the cache equals the world and its
# positions carry the world's ignition.
geotab_case() {
	name=$1; shift
	d="$T/$(echo "$name" | tr -c 'a-z0-9\n' '_')"
	if ! start_sim "$d" --dialect geotab --speed 0 "$@"; then not_ok "$name: sim started"; return; fi
	"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: sync --once exits 0" "exit $rc" "$(tail -n 3 "$d/err")"
	elif geotab_matches "$d/c.db" "$d"; then
		ok "$name: sync --once leaves the cache equal to the world"
	else
		not_ok "$name: sync --once leaves the cache equal to the world" "$(head -n 6 "$d/diff")"
	fi
	if [ $rc -eq 0 ] && ignition_matches "$d/c.db" "$d"; then
		ok "$name: ... its positions carry the world's ignition ($(grep -c ' 1$' "$d/ign.got") on, $(grep -c ' 0$' "$d/ign.got") off)"
	elif [ $rc -eq 0 ]; then
		not_ok "$name: ... its positions carry the world's ignition" "$(head -n 6 "$d/ign.diff")"
	fi
	stop_sim
}

geotab_case "undisturbed"
d="$T/undisturbed"
check "undisturbed: one 'done' line per stream (5 telematics)" \
	[ "$(grep -c '^telematics [a-z]*: done, ' "$d/out")" -eq 5 ]
check "undisturbed: one sign-in for every stream" [ "$(grep -c 'geotab: Authenticate' "$d/sim.err")" -eq 1 ]
check "undisturbed: every driver's hours are known" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM driver WHERE drive_left_s IS NULL OR duty_left_s IS NULL OR cycle_left_s IS NULL OR status IS NULL")" -eq 0 ]
check "undisturbed: no readiness says a driver's hours are unknown ($(sqlite3 "$d/c.db" "SELECT count(*) FROM readiness WHERE reasons LIKE '%hours of service unknown%'") do)" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM readiness WHERE reasons LIKE '%hours of service unknown%'")" -eq 0 ]
check "undisturbed: faults of every severity arrived" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(DISTINCT severity) FROM fault")" -ge 3 ]
check "undisturbed: positions carry fuel and odometer from StatusData" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM position WHERE fuel_pct IS NULL OR odometer_m IS NULL")" -eq 0 ]
check "nothing printed the password" \
	sh -c "! grep -qF -- \"\$(jq -r .dialect.password '$d/sim.json')\" '$d/out' '$d/err' '$d/sim.err'"

geotab_case "OverLimitException with Retry-After" --fault telematics:rate429=0.3,retry_after=1
check "... a line says so and waits as told" grep -q "HTTP 429: rate limited (\"API calls quota exceeded.*retry in 1.0 s" "$d/err"
geotab_case "OverLimitException without Retry-After" --fault telematics:rate429=0.3,retry_after=0
check "... a line says so and backs off on its own" grep -q "HTTP 429: rate limited (\"API calls quota exceeded.*retry in 0\.[0-9] s" "$d/err"
geotab_case "503s" --fault telematics:rate5xx=0.3
check "... a line names them" grep -q "HTTP 503 from GetFeed" "$d/err"
# Versions Geotab no longer serves: a first sync stores every feed's
# version; an hour later a third of the requests have theirs refused. Each
# such feed is read again from its start (a small fleet: a pass is a few
# pages) and ends equal to the world: nothing lost, nothing twice.
d="$T/expire"
start_sim "$d" --dialect geotab --speed 0 --vehicles 3
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1
admin clock '{"advance_s":3600}' >/dev/null
admin faults '{"service":"telematics","expire":0.3}' >/dev/null
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "unusable feed versions: sync --once exits 0 (exit $rc)" [ $rc -eq 0 ]
check "... a line says the version expired and the stream is read again" \
	grep -q "the cursor expired at the source.*ArgumentException.*reading the stream again from the start" "$d/err"
if geotab_matches "$d/c.db" "$d"; then
	ok "... and the cache equals the world"
else
	not_ok "... and the cache equals the world" "$(head -n 6 "$d/diff")"
fi
stop_sim
# A version older than anything the service keeps (the sim keeps its newest
# 65,536 positions): every retry with it would be refused, so the positions
# feed is read again from its start, once, and holds all that the sim keeps.
d="$T/purged"
start_sim "$d" --dialect geotab --speed 0
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1
first=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
sqlite3 "$d/c.db" "SELECT id FROM fault WHERE active=1" | sort >"$d/active1"
admin clock '{"advance_s":259200}' >/dev/null
made=$(admin truth | jq .positions)
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "the sim dropped positions the first sync had not read ($first read, $made made)" [ $((made - 65536)) -gt "$first" ]
check "a version the service no longer keeps: sync --once exits 0 (exit $rc)" [ $rc -eq 0 ]
check "... after one read from the start" [ "$(grep -c "positions: the cursor expired at the source" "$d/err")" -eq 1 ]
check "... which stored every position the sim keeps ($first before, $(sqlite3 "$d/c.db" "SELECT count(*) FROM position") now)" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")" -eq $((first + 65536)) ]
# Three days on, faults have cleared (the shop repaired them, or they went
# away): their rows are no longer active, and every fault is as the world's.
geotab_matches "$d/c.db" "$d"
grep '^fault' "$d/want" >"$d/want.f"
grep '^fault' "$d/got" >"$d/got.f"
check "... the faults equal the world's, one per vehicle and code" cmp -s "$d/want.f" "$d/got.f"
sqlite3 "$d/c.db" "SELECT id FROM fault WHERE active=1" | sort >"$d/active2"
check "... and faults active before have cleared ($(comm -23 "$d/active1" "$d/active2" | wc -l) of $(wc -l <"$d/active1"))" \
	[ "$(comm -23 "$d/active1" "$d/active2" | wc -l)" -gt 0 ]
stop_sim

geotab_case "sessions that die" --fault telematics:relogin=0.2
d="$T/sessions_that_die"
check "... each dropped session costs one more sign-in" \
	[ "$(grep -c 'geotab: Authenticate' "$d/sim.err")" -eq $(($(grep -c 'relogin fault' "$d/sim.err") + 1)) ]
check "... and some did die" grep -q "relogin fault" "$d/sim.err"

# A session refused again right after signing in: one clear line, no loop.
d="$T/refused"
start_sim "$d" --dialect geotab --speed 0 --fault telematics:relogin=1
timeout 60 "$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "a session refused twice: sync --once ends with an error (exit $rc)" [ $rc -eq 1 ]
check "... saying the new session was refused too" grep -q "the new session was refused too" "$d/err"
stop_sim

# A wrong password: one clear line, without the password.
d="$T/password"
start_sim "$d" --dialect geotab --speed 0
(umask 077 && jq '.sources.telematics.password = "not-the-password-4711"' "$d/config.json" >"$d/bad.json")
timeout 60 "$W" sync --once --config "$d/bad.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "a wrong password: sync --once ends with an error (exit $rc)" [ $rc -eq 1 ]
check "... Geotab refused the sign-in, the line says" \
	grep -q "refused the sign-in as dispatch@depot.example: .*InvalidUserException.*database depot" "$d/err"
check "... and never shows the password" sh -c "! grep -q 'not-the-password-4711' '$d/out' '$d/err'"
stop_sim

# Authenticate's path: asked as localhost, the sim moves the session to
# 127.0.0.1 and answers data calls only there (DbUnavailableException elsewhere).
d="$T/move"
start_sim "$d" --dialect geotab --speed 0
(umask 077 && jq '.sources.telematics.url |= sub("127.0.0.1"; "localhost")' "$d/config.json" >"$d/move.json")
"$W" sync --once --config "$d/move.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "a server move: sync --once exits 0 (exit $rc)" [ $rc -eq 0 ]
check "... the sim moved the session to 127.0.0.1" grep -q "path http://127.0.0.1:" "$d/sim.err"
check "... and the cache equals the world" geotab_matches "$d/c.db" "$d"
"$W" doctor --config "$d/config.json" --cache "$d/c.db" >"$d/doc" 2>&1
check "doctor: the telematics line names the database and the user" \
	grep -q "^telematics  *ok  *reachable, database depot, signed in as dispatch@depot.example" "$d/doc"
check "doctor: Geotab's own checks pass" grep -q "the user may read faults, DVIRs and positions" "$d/doc"
stop_sim

# kill -9 of sync --follow while the world runs (positions, faults and
# inspections keep coming), a restart, then the world stopped and one more
# sync: nothing lost, nothing twice.
d="$T/kill9"
start_sim "$d" --dialect geotab --speed 120 --vehicles 20 --start now
(umask 077 && jq '.sources.telematics.intervals = {positions: 1, faults: 1, inspections: 1}' "$d/config.json" >"$d/f.json")
"$W" sync --follow --config "$d/f.json" --cache "$d/c.db" >"$d/f1" 2>&1 &
fpid=$!
PIDS="$PIDS $fpid"
i=0
while [ $i -lt 200 ] && [ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM position" 2>/dev/null || echo 0)" -lt 2000 ]; do sleep 0.05; i=$((i + 1)); done
sleep 1.5
kill -9 $fpid
wait $fpid 2>/dev/null
mid=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
"$W" sync --follow --config "$d/f.json" --cache "$d/c.db" >"$d/f2" 2>&1 &
fpid=$!
PIDS="$PIDS $fpid"
sleep 3
kill $fpid
wait $fpid 2>/dev/null
admin clock '{"speed":0}' >/dev/null
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
check "kill -9 mid-feed: the killed run had written part of it ($mid positions)" [ "$mid" -gt 0 ]
check "... the next syncs end with exit 0" [ $rc -eq 0 ]
if geotab_matches "$d/c.db" "$d"; then
	ok "... and the cache equals the world: nothing lost, nothing twice"
else
	not_ok "... and the cache equals the world: nothing lost, nothing twice" "$(head -n 6 "$d/diff")"
fi
if ignition_matches "$d/c.db" "$d"; then
	ok "... every position with the world's ignition across the kill ($(grep -c ' 1$' "$d/ign.got") on, $(grep -c ' 0$' "$d/ign.got") off)"
else
	not_ok "... every position with the world's ignition across the kill" "$(head -n 6 "$d/ign.diff")"
fi
check "... no inspection twice" [ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM inspection")" -eq "$(wc -l <"$T/world.inspections")" ]
stop_sim

# The console opens on the dialect: the Vehicles board lists Geotab's units.
if command -v tmux >/dev/null 2>&1; then
	d="$T/console"
	start_sim "$d" --dialect geotab --speed 0
	"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1
	case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
	SOCK="waybill-geotab-$$"
	trap 'tmux -L "$SOCK" kill-server 2>/dev/null; cleanup' EXIT INT TERM
	tmux -L "$SOCK" -f /dev/null new-session -d -x 100 -y 30 -s wb \
		"env TZ=UTC LC_ALL=C.UTF-8 TERM=screen-256color WAYBILL_THEMES=$(pwd)/themes \
		 $AW --config $d/config.json --cache $d/c.db 2>$d/tmux.err; sleep 30"
	sleep 1
	tmux -L "$SOCK" send-keys -t wb 2
	unit=$(sqlite3 "$d/c.db" "SELECT unit FROM vehicle ORDER BY unit LIMIT 1")
	i=0
	while [ $i -lt 50 ]; do
		tmux -L "$SOCK" capture-pane -p -t wb >"$d/pane" 2>/dev/null
		grep -q -- "$unit" "$d/pane" && break
		sleep 0.1
		i=$((i + 1))
	done
	if grep -q -- "$unit" "$d/pane"; then ok "the console's Vehicles board lists Geotab's units ($unit)"; else not_ok "the console's Vehicles board lists Geotab's units ($unit)" "$(head -n 12 "$d/pane")"; fi
	tmux -L "$SOCK" send-keys -t wb q
	sleep 0.5
	tmux -L "$SOCK" kill-server 2>/dev/null
	stop_sim
else
	echo "ok - the console on the dialect # SKIP tmux not installed"
fi
finish
