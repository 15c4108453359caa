# Shared by the integration scripts: TAP output and process hygiene.
# Source it; it sets W (the waybill binary), S (waybill-sim) and T (scratch dir).
W="$WAYBILL_BUILD/waybill"
S="$WAYBILL_BUILD/waybill-sim"
T="${WAYBILL_TEST_TMP:-$(mktemp -d)}"
mkdir -p "$T"
n_fail=0
PIDS=""

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; n_fail=$((n_fail + 1)); shift; for l in "$@"; do echo "# $l"; done; }
# check NAME COMMAND...: ok when the command succeeds.
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# Processes started with `spawn` are killed on exit, whatever happens.
spawn() { "$@" & PIDS="$PIDS $!"; }
# killtree PID: the process and everything it started, children first.
killtree() {
	for c in $(pgrep -P "$1" 2>/dev/null); do killtree "$c"; done
	kill "$1" 2>/dev/null
}
cleanup() { for p in $PIDS; do killtree "$p"; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

finish() { exit $((n_fail > 0)); }

# start_sim DIR [sim options...]: starts waybill-sim on free loopback ports,
# waits for its JSON line in DIR/sim.json, and writes DIR/config.json (mode 0600)
# for the dispatcher token. Sets SIM_PID, ADMIN (token) and ERP/TMS/TEL (base URLs).
start_sim() {
	d=$1; shift
	mkdir -p "$d"
	: >"$d/sim.json"
	"$S" --port 0 "$@" >"$d/sim.json" 2>"$d/sim.err" &
	SIM_PID=$!
	PIDS="$PIDS $SIM_PID"
	i=0
	while [ ! -s "$d/sim.json" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$d/sim.json" ] || { echo "# waybill-sim did not start: $(cat "$d/sim.err")"; return 1; }
	ADMIN=$(jq -r .tokens.admin "$d/sim.json")
	ERP=http://127.0.0.1:$(jq -r .services.erp.port "$d/sim.json")
	TMS=http://127.0.0.1:$(jq -r .services.tms.port "$d/sim.json")
	TEL=http://127.0.0.1:$(jq -r .services.telematics.port "$d/sim.json")
	write_config "$d" "${SIM_ROLE:-dispatcher}"
}

# write_config DIR ROLE: a config for the sim in DIR with ROLE's token.
# AUTOMATION=off adds "automation" with both switches off (the sync's workflow
# pass then judges readiness but sends nothing of its own). The telematics
# source speaks the sim's dialect (waybill-sim --dialect, read from its start-up
# line): samsara and traccar with ROLE's token, geotab with the dialect's
# database, user and password. In a vendor's dialect a maintenance source of
# kind waybill on the telematics service keeps the work orders and holds the
# vendor does not (MAINT=off leaves it out; MAINT=on adds it in the canonical
# dialect too).
write_config() {
	(umask 077 && jq --arg role "$2" --arg auto "${AUTOMATION:-on}" --arg maint "${MAINT:-}" '.tokens[$role] as $t |
	  ("http://127.0.0.1:" + (.services.telematics.port | tostring)) as $tel |
	  (.dialect.name // "waybill") as $k |
	  {sources: ({erp: {kind: "waybill", url: ("http://127.0.0.1:" + (.services.erp.port | tostring)), token: $t},
	             tms: {kind: "waybill", url: ("http://127.0.0.1:" + (.services.tms.port | tostring)), token: $t},
	             telematics: (if $k == "geotab"
	                          then {kind: $k, url: $tel, database: .dialect.database,
	                                user: .dialect.user, password: .dialect.password}
	                          else {kind: $k, url: $tel, token: $t} end)}
	             + (if $maint == "on" or ($maint != "off" and $k != "waybill")
	                then {maintenance: {kind: "waybill", url: $tel, token: $t}} else {} end))}
	  + (if $auto == "off" then {automation: {maintenance: false, invoices: false}} else {} end)' \
	  "$1/sim.json" >"$1/config.json")
}

stop_sim() { [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; SIM_PID=; }

# admin PATH [JSON]: GET (or POST with JSON) an admin endpoint of the sim.
admin() {
	if [ $# -gt 1 ]; then
		curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$2" "$TMS/v1/admin/$1"
	else
		curl -sf -H "Authorization: Bearer $ADMIN" "$TMS/v1/admin/$1"
	fi
}

# cache_matches_sim CACHE DIR: the cache's live rows (id, version) equal the
# sim's export, list by list; positions equal the sim's count. Prints a diff
# into DIR/diff when they do not. The sim's vehicle_maint list counts only
# when the cache reads it (a maintenance source is configured).
cache_matches_sim() {
	vm=$(sqlite3 "$1" "SELECT count(*) FROM sync_state WHERE stream='vehicle_maint'" 2>/dev/null)
	admin export | jq -r --arg vm "${vm:-0}" 'to_entries[] | select(.key != "vehicle_maint" or $vm != "0") |
	  .key as $l | .value[] | "\($l) \(.[0]) \(.[1])"' | sort >"$2/want"
	sqlite3 "$1" "
	  SELECT 'customers', id, ext_version FROM customer WHERE deleted=0 UNION ALL
	  SELECT 'orders', id, ext_version FROM orders WHERE deleted=0 UNION ALL
	  SELECT 'loads', id, ext_version FROM load WHERE deleted=0 UNION ALL
	  SELECT 'stops', id, ext_version FROM stop WHERE deleted=0 UNION ALL
	  SELECT 'vehicles', id, ext_version FROM vehicle WHERE deleted=0 UNION ALL
	  SELECT 'drivers', id, ext_version FROM driver WHERE deleted=0 UNION ALL
	  SELECT 'faults', id, ext_version FROM fault WHERE deleted=0 UNION ALL
	  SELECT 'inspections', id, ext_version FROM inspection WHERE deleted=0 UNION ALL
	  SELECT 'work_orders', id, ext_version FROM work_order WHERE deleted=0 UNION ALL
	  SELECT 'part_reservations', id, ext_version FROM part_reservation WHERE deleted=0 UNION ALL
	  SELECT 'staging', id, ext_version FROM staging WHERE deleted=0 UNION ALL
	  SELECT 'pods', id, ext_version FROM pod WHERE deleted=0 UNION ALL
	  SELECT 'invoices', id, ext_version FROM invoice WHERE deleted=0 UNION ALL
	  SELECT 'charges', id, ext_version FROM charge WHERE deleted=0 UNION ALL
	  SELECT 'fuel_txns', id, ext_version FROM fuel_txn WHERE deleted=0 UNION ALL
	  SELECT 'shipments', id, ext_version FROM shipment WHERE deleted=0 UNION ALL
	  SELECT 'vehicle_maint', id, ext_version FROM vehicle_maint WHERE deleted=0 UNION ALL
	  SELECT 'exceptions', id, ext_version FROM exception WHERE deleted=0 AND source!='local';" |
	  tr '|' ' ' | sort >"$2/got"
	if ! diff "$2/want" "$2/got" >"$2/diff"; then
		echo "# cache differs from the sim ($(wc -l <"$2/diff") diff lines):"
		head -n 8 "$2/diff" | sed 's/^/#   /'
		return 1
	fi
	[ -s "$2/want" ] || { echo "# the sim exported nothing"; return 1; }
	want_pos=$(admin truth | jq .positions)
	got_pos=$(sqlite3 "$1" "SELECT count(*) FROM position")
	[ "$want_pos" = "$got_pos" ] || { echo "# positions: sim $want_pos, cache $got_pos"; return 1; }
}

# Scenarios (scenarios.sh, seeds.sh). The kinds the local detectors own (issue
# 5) that a scenario can show.
LOCAL_KINDS=" fuel_anomaly detention late_eta missed_window critical_fault pod_mismatch charge_out_of_tolerance "
# want_subject KIND SUBJECT_KIND: the subject each kind is filed on, by the AI
# service and the local detectors alike, where the two could differ: a missed
# window is the stop's booking; a charge out of tolerance is the load's (its
# charges), not the invoice's.
want_subject() {
	case "$1" in
	missed_window) echo stop ;;
	charge_out_of_tolerance) echo load ;;
	*) echo "$2" ;;
	esac
}
