# The samsara kind against waybill-sim --dialect samsara (docs/connectors/samsara.md):
# one sync gives the world's vehicles, drivers with their hours of service
# (from /fleet/hos/clocks), active fault codes (with the
# world's severities), DVIRs and each vehicle's last known position (a
# feed read without `after` answers that, as Samsara's does); then 429s
# with and without Retry-After, 503s and an expired `after` each end with the
# cache equal to the world and a clear line; a fault that clears in the world
# goes from the cache; kill -9 of `sync --follow` mid-feed loses and doubles
# nothing; the console lists Samsara's units; readiness judges the vehicles
# as it does on the canonical dialect's same world.
. tests/integration/lib.sh
trap 'cleanup' EXIT INT TERM

d=$T/samsara
if ! start_sim "$d" --dialect samsara --speed 0 --seed 11; then not_ok "sim started"; finish; fi
TOKEN=$(jq -r .tokens.dispatcher "$d/sim.json")
check "the config names the samsara kind" \
	[ "$(jq -r .sources.telematics.kind "$d/config.json")" = samsara ]

sync_once() { "$W" sync --once --config "$d/config.json" --cache "$1" >"$d/out" 2>"$d/err"; }
# tel LIST: every record of a canonical list of the telematics service (the truth).
tel() {
	after=
	while :; do
		curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/$1?limit=1000${after:+&after=$after}" >"$d/page"
		jq -c '.data[]' "$d/page"
		[ "$(jq .has_more "$d/page")" = true ] || break
		after=$(jq -r .next "$d/page")
	done
}
# private JSON: a config holds the token (mode 0600, as the sync demands).
private() { (umask 077 && jq "$1" "$d/config.json" >"$2"); }

# world_newest: each vehicle's newest position in the world, into $d/newest
# (read again after the world moves: the positions are many).
world_newest() {
	tel positions | jq -r '"\(.vehicle_id) \(.ts_ms)"' | sort -k1,1 -k2,2r | sort -u -k1,1 >"$d/newest"
}

# same_as_world CACHE: what the cache holds from Samsara equals the world:
# vehicles and drivers by id (drivers with their duty status, hours of
# service and current vehicle), active faults by vehicle, code, protocol and
# severity, DVIRs by id (7000000 + the inspection's number), and each
# vehicle's newest position. Prints the first differences.
same_as_world() {
	c=$1
	{
		tel vehicles | jq -r 'select(.deleted|not) | "vehicle \(.id) \(.unit)"'
		tel drivers | jq -r 'select(.deleted|not) |
		  "driver \(.id) \(.name) \(.status) \(.drive_left_s) \(.duty_left_s) \(.cycle_left_s) \(.vehicle_id)"'
		tel faults | jq -r 'select(.active) | "fault \(.vehicle_id) \(.code) \(.protocol) \(.severity)"'
		tel inspections | jq -r '"dvir \(.id | ltrimstr("I-") | tonumber + 7000000)"'
	} | sort -u >"$d/want"
	sqlite3 "$c" "
	  SELECT 'vehicle ' || id || ' ' || unit FROM vehicle WHERE deleted=0 AND source='telematics'
	  UNION ALL SELECT 'driver ' || id || ' ' || name || ' ' || ifnull(status, 'null') || ' '
	            || ifnull(drive_left_s, 'null') || ' ' || ifnull(duty_left_s, 'null') || ' '
	            || ifnull(cycle_left_s, 'null') || ' ' || ifnull(vehicle_id, 'null')
	            FROM driver WHERE deleted=0
	  UNION ALL SELECT 'fault ' || vehicle_id || ' ' || code || ' ' || protocol || ' ' || severity
	            FROM fault WHERE deleted=0 AND active=1
	  UNION ALL SELECT 'dvir ' || id FROM inspection WHERE deleted=0" | sort -u >"$d/got"
	if ! diff "$d/want" "$d/got" >"$d/diff"; then
		echo "# cache differs from the world:"
		head -n 6 "$d/diff" | sed 's/^/#   /'
		return 1
	fi
	[ -s "$d/want" ] || { echo "# the world is empty"; return 1; }
	sqlite3 "$c" "SELECT vehicle_id || ' ' || strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch')
	  || printf('.%03dZ', ts_ms % 1000) FROM position" | sort >"$d/cpos"
	sort "$d/newest" | comm -23 - "$d/cpos" >"$d/missing"
	[ ! -s "$d/missing" ] || { echo "# positions: $(wc -l <"$d/missing") vehicles' newest missing"; return 1; }
}

world_newest
sync_once "$d/c.db"
rc=$?
check "a sync against the samsara dialect exits 0 (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' "$d/err" | head -n 8
check "every telematics stream is read" \
	sh -c "for s in vehicles drivers faults inspections positions; do grep -q \"telematics \$s: done\" '$d/out' || exit 1; done"
check "the cache equals the world (vehicles, drivers, faults, DVIRs, positions)" same_as_world "$d/c.db"
# The first sync read the history of the hour before the newest reading
# (/fleet/vehicles/stats/history): the cache holds every position the world
# has in that window, and only those, as the canonical kind's first page would.
tel positions | jq -r '"\(.vehicle_id) \((.ts_ms[0:19] + "Z" | fromdate) * 1000 + (.ts_ms[20:23] | tonumber))"' |
	sort -k2,2n >"$d/world_ms"
hi=$(tail -n 1 "$d/world_ms" | cut -d' ' -f2)
awk -v lo=$((hi - 3600000)) '$2 >= lo' "$d/world_ms" | sort >"$d/want_hist"
sqlite3 "$d/c.db" "SELECT vehicle_id || ' ' || ts_ms FROM position WHERE ts_ms >= $hi - 3600000" |
	sort >"$d/got_hist"
check "the first sync holds the last hour's positions ($(wc -l <"$d/got_hist") of the world's $(wc -l <"$d/want_hist"); $(wc -l <"$d/cpos") in all)" \
	cmp -s "$d/want_hist" "$d/got_hist"
n=$(sqlite3 "$d/c.db" "SELECT count(*) FROM driver WHERE deleted=0 AND drive_left_s IS NOT NULL
  AND duty_left_s IS NOT NULL AND cycle_left_s IS NOT NULL AND status IS NOT NULL")
m=$(tel drivers | jq -r 'select(.deleted|not) | .id' | wc -l)
check "every driver has its hours of service and duty status ($n of $m)" [ "$n" -gt 0 -a "$n" = "$m" ]
# hours_verdicts CACHE: each vehicle's readiness as far as its load's driver's
# hours go, by unit: "ok" or the hours reason with the driver's id left out
# (ids differ between dialects).
hours_verdicts() {
	sqlite3 "$1" "SELECT v.unit || ' ' || ifnull(r.reasons, '') FROM readiness r
	  JOIN vehicle v ON v.id = r.vehicle_id WHERE v.deleted = 0" |
		awk '{ u = $1; sub(/^[^ ]* /, ""); n = split($0, rs, "; "); h = "ok"
		       for (i = 1; i <= n; i++) if (rs[i] ~ /^driver .*(hours|time left)/) { h = rs[i]; sub(/^driver [^:]*:/, "driver:", h) }
		       print u, h }' | sort
}
hours_verdicts "$d/c.db" >"$d/hours_samsara"
sqlite3 "$d/c.db" "SELECT r.vehicle_id || ': ' || r.reasons FROM readiness r" >"$d/reasons_samsara"
n=$(sqlite3 "$d/c.db" "SELECT count(DISTINCT severity) FROM fault WHERE deleted=0 AND source='telematics'")
check "faults keep the world's severities ($n kinds seen)" [ "$n" -ge 1 ]
check "ids are Samsara's (vehicles 281474977000000+N)" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM vehicle WHERE source='telematics' AND id NOT LIKE '2814749770%'")" = 0 ]
check "a load's vehicle is a vehicle Samsara lists" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM load l WHERE l.vehicle_id IS NOT NULL AND NOT EXISTS
	      (SELECT 1 FROM vehicle v WHERE v.id = l.vehicle_id)")" = 0 ]
check "the token never appears in what it printed" \
	sh -c "! grep -qF -- '$TOKEN' '$d/out' '$d/err'"

# An expired `after`: Samsara's 400; the engine reads the stream again from
# the start, and nothing is lost or doubled.
npos=$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")
admin faults '{"service":"telematics","expire":1}' >/dev/null
sync_once "$d/c.db"
rc=$?
admin faults '{"service":"all","clear":true}' >/dev/null
check "expired cursor: the sync ends with exit 0 (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || grep telematics "$d/err" | sed 's/^/# /' | head -n 12
check "expired cursor: refused and read again from the start, in one line" \
	grep -q "telematics positions: the source refused the stored cursor (HTTP 400: Invalid value for parameter 'after'.*reading the stream again" "$d/err"
check "expired cursor: the cache equals the world" same_as_world "$d/c.db"
check "expired cursor: no position doubled ($npos before)" \
	[ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM position")" = "$npos" ]

# A fault that clears in the world is gone from the cache on the next pass.
before=$(sqlite3 "$d/c.db" "SELECT count(*) FROM fault WHERE deleted=0")
admin clock '{"advance_s": 86400}' >/dev/null
world_newest
sync_once "$d/c.db"
check "a day later the cache follows the world again (faults cleared, new DVIRs)" same_as_world "$d/c.db"
gone=$(sqlite3 "$d/c.db" "SELECT count(*) FROM fault WHERE deleted=1")
check "cleared codes left the cache ($before active before, $gone gone)" [ "$gone" -gt 0 ]
check "... said in one line" grep -q "telematics faults: resync complete: [1-9][0-9]* records gone" "$d/err"

# fault_case NAME FAULTS GREP: a fresh cache synced while the service injects
# FAULTS ends equal to the world, and the sync says GREP. Faults are drawn per
# request, so the sync runs again (up to four times) until one has hit.
fault_case() {
	admin faults '{"service":"all","clear":true}' >/dev/null
	admin faults "$2" >/dev/null
	rm -f "$d/f.db"*
	k=0 seen=0
	while [ $k -lt 4 ]; do
		sync_once "$d/f.db"
		rc=$?
		[ "$rc" = 0 ] || break
		if grep -q -- "$3" "$d/out" "$d/err"; then seen=1; break; fi
		k=$((k + 1))
	done
	admin faults '{"service":"all","clear":true}' >/dev/null
	check "$1: the sync ends with exit 0 (exit $rc)" [ "$rc" = 0 ]
	check "$1: the cache equals the world" same_as_world "$d/f.db"
	if [ $seen = 1 ]; then ok "$1: one clear line ($3)"; else
		not_ok "$1: one clear line ($3)" "$(grep -h telematics "$d/err" | head -n 3)"; fi
}
fault_case "429 with Retry-After" '{"service":"telematics","rate429":0.5,"retry_after":1}' \
	"HTTP 429: rate limited.*retry in 1.0 s"
fault_case "429 without Retry-After" '{"service":"telematics","rate429":0.5,"retry_after":0}' \
	"HTTP 429: rate limited (\"Too Many Requests"
fault_case "503" '{"service":"telematics","rate5xx":0.5}' "HTTP 503 from"

# A bad token: Samsara's 401 in one line.
private '.sources.telematics.token = "wrong"' "$d/bad.json"
"$W" sync --once --config "$d/bad.json" --cache "$d/bad.db" >"$d/out" 2>"$d/err"
check "a refused token is said in one line" grep -q "telematics vehicles.*HTTP 401: the token was refused; check the config (\"Unauthorized\")" "$d/err"

# kill -9 mid-feed: positions keep coming (speed 60); a restart resumes from
# the stored endCursor, and no position is lost or doubled.
admin clock '{"speed": 60}' >/dev/null
private '.sources.telematics.intervals = {positions: 1, faults: 1, inspections: 1}' "$d/follow.json"
"$W" sync --follow --config "$d/follow.json" --cache "$d/k.db" >"$d/out" 2>"$d/err" &
fp=$!
sleep 4
kill -9 $fp
wait $fp 2>/dev/null
n1=$(sqlite3 "$d/k.db" "SELECT count(*) FROM position")
sleep 2
"$W" sync --follow --config "$d/follow.json" --cache "$d/k.db" >"$d/out2" 2>"$d/err2" &
fp=$!
sleep 4
admin clock '{"speed": 0}' >/dev/null
sleep 3
kill -TERM $fp
wait $fp
n2=$(sqlite3 "$d/k.db" "SELECT count(*) FROM position")
check "kill -9: the restart carries on ($n1 then $n2 positions)" [ "$n2" -gt "$n1" ]
# Every world position from each vehicle's first one in the cache on is in
# the cache, and the cache holds nothing the world does not.
tel positions | jq -r '"\(.vehicle_id) \(.ts_ms)"' | sort >"$d/world_pos"
sqlite3 "$d/k.db" "SELECT vehicle_id || ' ' || strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch')
  || printf('.%03dZ', ts_ms % 1000) FROM position" | sort >"$d/cache_pos"
awk 'NR == FNR { if (!($1 in first) || $2 < first[$1]) first[$1] = $2; have[$0] = 1; next }
     ($1 in first) && $2 >= first[$1] && !($0 in have) { lost++ }
     END { print lost + 0 }' "$d/cache_pos" "$d/world_pos" >"$d/lost"
check "kill -9: no position lost ($(cat "$d/lost") missing)" [ "$(cat "$d/lost")" = 0 ]
check "kill -9: nothing the world does not have" \
	[ -z "$(comm -23 "$d/cache_pos" "$d/world_pos")" ]
check "kill -9: no DVIR or fault twice" \
	[ "$(sqlite3 "$d/k.db" "SELECT (SELECT count(*) - count(DISTINCT id) FROM inspection)
	                         + (SELECT count(*) - count(DISTINCT id) FROM fault)")" = 0 ]
check "kill -9: the cache equals the world's vehicles, drivers, faults and DVIRs" \
	[ "$(sqlite3 "$d/k.db" "SELECT count(*) FROM inspection WHERE deleted=0")" = "$(tel inspections | wc -l)" ]

# Readiness on the same world through the canonical dialect: the same verdict
# on every vehicle's driver's hours, and no "hours of service unknown" on the
# Samsara side. (Other reasons differ by what Samsara cannot tell: a vehicle's
# status "in transit", its odometer for PM due; docs/connectors/samsara.md.)
check "no readiness reason says a driver's hours are unknown" \
	sh -c "! grep -q 'hours of service unknown' '$d/reasons_samsara'"
[ ! -s "$d/reasons_samsara" ] || grep 'hours of service unknown' "$d/reasons_samsara" | head -n 3 | sed 's/^/# /'
sd=$d
cd_=$T/canonical
if MAINT=on start_sim "$cd_" --speed 0 --seed 11; then
	"$W" sync --once --config "$cd_/config.json" --cache "$cd_/c.db" >"$cd_/out" 2>"$cd_/err"
	stop_sim
	hours_verdicts "$cd_/c.db" >"$cd_/hours"
	check "readiness by drivers' hours equals the canonical dialect's ($(wc -l <"$cd_/hours") vehicles)" \
		sh -c "[ -s '$cd_/hours' ] && diff '$cd_/hours' '$sd/hours_samsara' >'$cd_/diff'"
	[ ! -s "$cd_/diff" ] || head -n 6 "$cd_/diff" | sed 's/^/#   /'
else
	not_ok "the canonical sim started"
fi
d=$sd

# The console opens on what Samsara fed: the Vehicles board lists its units.
if command -v tmux >/dev/null 2>&1; then
	case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
	SOCK="waybill-samsara-$$"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 100 -y 30 -s wb \
		"env TZ=UTC LC_ALL=C.UTF-8 TERM=screen-256color WAYBILL_THEMES=$(pwd)/themes \
		 $AW --cache $d/c.db 2>$d/tmux.err; sleep 30"
	sleep 1
	tmux -L "$SOCK" send-keys -t wb 2
	i=0
	while [ $i -lt 50 ]; do
		tmux -L "$SOCK" capture-pane -p -t wb >"$d/pane" 2>/dev/null
		grep -q "TRK-001" "$d/pane" && break
		sleep 0.1
		i=$((i + 1))
	done
	tmux -L "$SOCK" kill-server 2>/dev/null
	check "the console's Vehicles board lists Samsara's units" grep -q "TRK-001" "$d/pane"
else
	ok "the console on the dialect # SKIP tmux not installed"
fi
finish
