# A maintenance source (sources.maintenance, #13) against the real simulator:
# pointed at the sim's telematics service beside the canonical telematics
# source, it alone reads the work orders, part reservations and vehicle_maint
# (one owner per record); a hold from the CLI is queued for it, delivered by
# the sync, and the vehicle's maintenance record, readiness, the Vehicles
# board and the header show it. With a telematics vendor that takes no holds
# (samsara) and no maintenance source, the hold is refused naming the owner
# to configure, and nothing is queued.
. tests/integration/lib.sh

# --- canonical telematics + a maintenance source on the same service ---------
d="$T/maint"
MAINT=on AUTOMATION=off start_sim "$d" --speed 0
cfg="$d/config.json"
db="$d/c.db"
q() { sqlite3 "$db" "$1"; }
wb() { "$W" "$@" --config "$cfg" --cache "$db"; }
check "write_config: MAINT=on adds a maintenance source on the telematics URL" \
	[ "$(jq -r '.sources.maintenance | "\(.kind) \(.url)"' "$cfg")" = "waybill $TEL" ]
wb sync --once >"$d/sync1.txt" 2>&1
check "sync --once: exit 0" [ $? -eq 0 ]
check "the maintenance source reads vehicle_maint, work_orders, part_reservations" \
	[ "$(q "SELECT group_concat(stream, ' ') FROM (SELECT stream FROM sync_state
	        WHERE source='maintenance' ORDER BY stream)")" = "part_reservations vehicle_maint work_orders" ]
check "... and the telematics source reads none of them (one owner)" \
	[ "$(q "SELECT count(*) FROM sync_state WHERE source='telematics'
	        AND stream IN ('work_orders','part_reservations','vehicle_maint')")" = 0 ]
nveh=$(q "SELECT count(*) FROM vehicle WHERE deleted=0")
check "one vehicle_maint record per vehicle ($nveh)" \
	[ "$(q "SELECT count(DISTINCT vehicle_id) FROM vehicle_maint WHERE deleted=0")" = "$nveh" ]
check "work orders are the maintenance source's" \
	[ "$(q "SELECT count(*) FROM work_order WHERE source!='maintenance'")" = 0 ]
if cache_matches_sim "$db" "$d"; then ok "the cache matches the sim, vehicle_maint included"; else not_ok "the cache matches the sim, vehicle_maint included"; fi

wb doctor >"$d/doctor.txt" 2>&1
check "doctor probes the maintenance source too" grep -q "^maintenance" "$d/doctor.txt"

veh=$(q "SELECT id FROM vehicle v WHERE deleted=0 AND IFNULL(on_hold,0)=0 AND kind='tractor'
         AND NOT EXISTS (SELECT 1 FROM load l WHERE l.vehicle_id=v.id AND l.status IN ('planned','staged'))
         ORDER BY id LIMIT 1")
wb hold "$veh" --reason "brake chamber leaking" >"$d/hold.txt"
check "hold $veh from the CLI: exit 0" [ $? -eq 0 ]
check "... queued for the maintenance source" \
	[ "$(q "SELECT source FROM outbox WHERE subject='vehicle:$veh'")" = maintenance ]
wb sync --once >"$d/sync2.txt" 2>&1
check "... delivered by the sync" \
	[ "$(q "SELECT status FROM outbox WHERE subject='vehicle:$veh'")" = delivered ]
check "... the maintenance record says held" \
	[ "$(q "SELECT on_hold FROM vehicle_maint WHERE vehicle_id='$veh' AND deleted=0")" = 1 ]
check "... readiness: held" [ "$(q "SELECT state FROM readiness WHERE vehicle_id='$veh'")" = held ]
# The Vehicles board and the header, from the console.
unit=$(q "SELECT unit FROM vehicle WHERE id='$veh'")
printf '2\n:goto %s\n:save-display %s\n' "$veh" "$d/board.txt" >"$d/keys"
env WAYBILL_SCRIPT="$d/keys" WAYBILL_SCRIPT_ROLE=dispatcher TERM=xterm-256color LINES=24 \
	COLUMNS=120 "$W" --config "$cfg" --cache "$db" >/dev/null 2>"$d/console.err"
check "the Vehicles board shows $unit held" grep -q "$unit *held" "$d/board.txt"
check "the header names the maintenance source" grep -q "MNT" "$d/board.txt"
stop_sim

# --- samsara telematics, no maintenance source: refused, nothing queued -----
d="$T/samsara"
MAINT=off AUTOMATION=off start_sim "$d" --dialect samsara --speed 0
cfg="$d/config.json"
db="$d/c.db"
check "write_config: MAINT=off leaves the maintenance source out" \
	[ "$(jq -r '.sources.maintenance // "none"' "$cfg")" = none ]
wb sync --once >"$d/sync.txt" 2>&1
# The telematics connector may not report vehicles yet: the vehicle its
# samsara source would report, as the TMS names it.
veh=$(q "SELECT vehicle_id FROM load WHERE vehicle_id IS NOT NULL ORDER BY id LIMIT 1")
q "INSERT OR IGNORE INTO vehicle(id, source, ext_id, ext_version, synced_at, unit, kind, on_hold)
   VALUES('$veh', 'telematics', '$veh', 1, 0, 'T-1', 'tractor', 0)"
wb hold "$veh" --reason "brake chamber leaking" >"$d/hold.txt" 2>&1
check "hold with a samsara telematics source: exit 3" [ $? -eq 3 ]
check "... names the owner and what to configure" grep -qF \
	"the samsara telematics source cannot hold a vehicle: it takes no vehicle holds; holds belong to a maintenance source (sources.maintenance)" \
	"$d/hold.txt"
check "... nothing in the outbox" [ "$(q "SELECT count(*) FROM outbox WHERE subject='vehicle:$veh'")" = 0 ]
wb wo "$veh" >"$d/wo.txt" 2>&1
check "a work order likewise: exit 3, the owner named" \
	grep -qF "work orders belong to a maintenance source (sources.maintenance)" "$d/wo.txt"
check "... nothing in the outbox" [ "$(q "SELECT count(*) FROM outbox WHERE subject='vehicle:$veh'")" = 0 ]
stop_sim
finish
