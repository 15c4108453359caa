# The actions from the command line against the real simulator: queued (exit 0,
# the outbox key printed, the row pending), refused with every reason (exit 3),
# a viewer and an unanswered who-am-I refused as read-only, usage errors (exit
# 2), delivered by `waybill sync --once`, the outbox listed and a failed action
# retried, --json for scripts. And the three places that used to judge apart
# now agree: the Vehicles board (the pass) and the release gate on a truck, a
# configured blocks_release from the console and the CLI, a configured charge
# tolerance for the pass, the console and the CLI.
. tests/integration/lib.sh

d="$T/cli_actions"
AUTOMATION=off start_sim "$d" --speed 0
cfg="$d/config.json"
db="$d/c.db"
q() { sqlite3 "$db" "$1"; }
wb() { "$W" "$@" --config "$cfg" --cache "$db"; }
# console CONFIG ROLE KEYS-FILE: the scripted console on the cache.
console() {
	env WAYBILL_SCRIPT="$3" WAYBILL_SCRIPT_ROLE="$2" TERM=xterm-256color LINES=24 COLUMNS=160 \
		"$W" --config "$1" --cache "$db" >/dev/null 2>"$d/console.err"
}
# with_policy IN OUT JSON: the config IN with "policy" set to JSON.
with_policy() { (umask 077 && jq --argjson p "$3" '. + {policy: $p}' "$1" >"$2"); }
"$W" sync --once --config "$cfg" --cache "$db" >/dev/null 2>&1 || not_ok "initial sync"

# --- the board and the gate judge a truck alike --------------------------------
held=$(q "SELECT vehicle_id FROM readiness WHERE state='held' ORDER BY vehicle_id LIMIT 1")
l4=$(q "SELECT id FROM load WHERE status IN ('planned','staged') ORDER BY id LIMIT 1 OFFSET 3")
check "a held vehicle and a staged load to put it on ($held $l4)" [ -n "$held" -a -n "$l4" ]
# The cache says the load runs with the held truck; the pass judges it again.
q "UPDATE load SET vehicle_id='$held' WHERE id='$l4'"
"$W" sync --once --config "$cfg" --cache "$db" >/dev/null 2>&1
wb release "$l4" >"$d/release.txt"
check "release of a load on a held truck: exit 3" [ $? -eq 3 ]
check "... every reason, one per line" [ "$(grep -c '^  ' "$d/release.txt")" -ge 2 ]
state=$(q "SELECT state FROM readiness WHERE vehicle_id='$held'")
q "SELECT reasons FROM readiness WHERE vehicle_id='$held'" | sed 's/; /\n/g' |
	grep -v '^driver \|^(' >"$d/board.txt"
while IFS= read -r r; do
	grep -qF "vehicle $held $state: $r" "$d/release.txt" || echo "$r"
done <"$d/board.txt" >"$d/missing.txt"
check "... naming every reason the Vehicles board shows for $held ($(wc -l <"$d/board.txt"))" \
	[ -s "$d/board.txt" -a ! -s "$d/missing.txt" ]
wb release "$l4" --json >"$d/release.json"
check "... --json: refused, with the reasons" \
	[ "$(jq -r '.outcome + " " + (.reasons | length | tostring)' "$d/release.json")" = "refused $(grep -c '^  ' "$d/release.txt")" ]
printf ':release %s\n:save-display %s\n' "$l4" "$d/c-release.txt" >"$d/keys1"
console "$cfg" dispatcher "$d/keys1"
check "... and the console says the same of it" \
	grep -qF "release $l4 blocked: vehicle $held $state: $(head -n 1 "$d/board.txt" | cut -c1-40)" "$d/c-release.txt"

# --- blocks_release as configured, from the console and the CLI ---------------
l2=$(q "SELECT id FROM load WHERE status IN ('planned','staged') ORDER BY id LIMIT 1")
l3=$(q "SELECT id FROM load WHERE status IN ('planned','staged') ORDER BY id LIMIT 1 OFFSET 1")
for l in "$l2" "$l3"; do
	q "INSERT INTO exception(id, source, ext_id, ext_version, synced_at, kind, subject_kind,
	   subject_id, severity, origin, status, required_role, detected_at)
	   VALUES ('X-ps-$l', 'tms', 'X-ps-$l', 1, 0, 'partial_shipment', 'load', '$l', 'major',
	   'tms', 'open', 'dispatcher', 0)"
done
wb release "$l2" >"$d/ps.txt"
check "an open partial_shipment blocks release by default (CLI: exit 3)" [ $? -eq 3 ]
check "... naming the exception" \
	grep -qF "exception X-ps-$l2 (partial_shipment, major) is open" "$d/ps.txt"
printf ':release %s\n:save-display %s\n' "$l3" "$d/c-ps.txt" >"$d/keys2"
console "$cfg" dispatcher "$d/keys2"
check "... and from the console" grep -qF "release $l3 blocked: exception X-ps-$l3" "$d/c-ps.txt"
with_policy "$cfg" "$d/noblock.json" '{"partial_shipment": {"blocks_release": false}}'
"$W" release "$l2" --config "$d/noblock.json" --cache "$db" >"$d/ps2.txt"
check "configured not to block: the CLI queues the release" [ $? -eq 0 ]
console "$d/noblock.json" dispatcher "$d/keys2"
check "... and so does the console" grep -qF "release $l3: gate passed" "$d/c-ps.txt"

# --- queued, pending, refused -------------------------------------------------
veh=$(q "SELECT id FROM vehicle v WHERE deleted=0 AND IFNULL(on_hold,0)=0 AND kind='tractor'
         AND NOT EXISTS (SELECT 1 FROM load l WHERE l.vehicle_id=v.id AND l.status IN ('planned','staged')) ORDER BY id LIMIT 1")
wb hold "$veh" --reason "brake chamber leaking" >"$d/hold.txt"
check "hold: exit 0" [ $? -eq 0 ]
key=$(sed -n "s/^queued place_hold vehicle:$veh key \(.*\)$/\1/p" "$d/hold.txt")
check "... the outbox key printed" [ ${#key} -eq 36 ]
check "... its outbox row pending, by the sim's dispatcher" \
	[ "$(q "SELECT status || ' ' || user FROM outbox WHERE key='$key'")" = "pending m.okafor" ]
wb hold "$veh" --reason again >"$d/again.txt"
check "a second hold while the first waits: exit 3" [ $? -eq 3 ]
check "... still waiting for the source" grep -q "place_hold still waiting for the source" "$d/again.txt"
wb wo "$veh" --json >"$d/wo.json"
check "an action behind a pending one on its subject, --json" \
	[ "$(jq -r .outcome "$d/wo.json")" = refused ]
veh2=$(q "SELECT id FROM vehicle v WHERE deleted=0 AND IFNULL(on_hold,0)=0 AND kind='tractor'
          AND NOT EXISTS (SELECT 1 FROM load l WHERE l.vehicle_id=v.id AND l.status IN ('planned','staged')) ORDER BY id LIMIT 1 OFFSET 1")
wb wo "$veh2" --json >"$d/wo2.json"
check "wo --json: queued with its key" \
	[ "$(jq -r '.outcome + " " + .action + " " + (.key | length | tostring)' "$d/wo2.json")" = "queued open_work_order 36" ]
x=$(q "SELECT id FROM exception WHERE status='open' AND required_role='dispatcher' AND source='tms' ORDER BY id LIMIT 1")
sup=$(q "SELECT id FROM exception WHERE status='open' AND required_role='supervisor' AND source='tms' ORDER BY id LIMIT 1")
wb approve "$x" "$sup" --reason "checked" >"$d/approve.txt"
check "approve two, one needing a supervisor: exit 3" [ $? -eq 3 ]
check "... one queued, one refused with why" \
	[ "$(grep -c "^queued approve_exception exception:$x key" "$d/approve.txt") $(grep -c 'needs supervisor' "$d/approve.txt")" = "1 1" ]

# --- who may act ---------------------------------------------------------------
write_config "$d" viewer
cp "$d/config.json" "$d/viewer.json"
write_config "$d" dispatcher
"$W" hold "$veh2" --reason x --config "$d/viewer.json" --cache "$db" >"$d/viewer.txt"
check "a viewer is refused: exit 3" [ $? -eq 3 ]
check "... saying why" grep -q "viewer is read-only" "$d/viewer.txt"
(umask 077 && jq '.sources.tms.url = "http://127.0.0.1:9"' "$cfg" >"$d/down.json")
"$W" hold "$veh2" --reason x --config "$d/down.json" --cache "$db" >"$d/down.txt"
check "no answer from the TMS: refused as read-only, exit 3" [ $? -eq 3 ]
check "... saying why" grep -q "read-only until a source says who you are (the TMS did not say" "$d/down.txt"
(umask 077 && jq '.sources.tms.token = "wbs_not_a_token"' "$cfg" >"$d/badtok.json")
"$W" hold "$veh2" --reason x --config "$d/badtok.json" --cache "$db" >"$d/badtok.txt"
check "a token the TMS refuses: refused as read-only, exit 3" [ $? -eq 3 ]
check "... saying why" grep -q "the token was refused (HTTP 401)" "$d/badtok.txt"
"$W" doctor --config "$d/badtok.json" --cache "$db" >"$d/doctor-badtok.txt" 2>&1
check "doctor asks the same way: AUTH for that source" grep -q "^tms  *AUTH  reachable, but the token was refused (HTTP 401)" "$d/doctor-badtok.txt"
"$W" doctor --config "$d/down.json" --cache "$db" >"$d/doctor-down.txt" 2>&1
check "... DOWN for one that does not answer" grep -q "^tms  *DOWN  " "$d/doctor-down.txt"
WAYBILL_CONFIG="$d/none.json" "$W" hold "$veh2" --reason x --cache "$db" >"$d/nocfg.txt"
check "no config: refused as read-only, exit 3" [ $? -eq 3 ]
check "... saying why" grep -q "no config file at" "$d/nocfg.txt"
check "nothing recorded for them" [ "$(q "SELECT count(*) FROM outbox WHERE subject='vehicle:$veh2' AND action='place_hold'")" -eq 0 ]

# --- usage ------------------------------------------------------------------------
for args in "hold $veh2" "release" "assign $l2" "wo" "approve" "outbox frob" "release $l2 --failed" "hold $veh2 --reason x --override y"; do
	# shellcheck disable=SC2086
	wb $args >/dev/null 2>"$d/usage.err"
	check "usage: waybill $args: exit 2" [ $? -eq 2 ]
done

# --- delivered, failed, retried ------------------------------------------------------
l5=$(q "SELECT id FROM load WHERE status IN ('planned','staged') ORDER BY id LIMIT 1 OFFSET 4")
busy=$(q "SELECT vehicle_id || ' ' || driver_id FROM load WHERE status IN ('planned','staged') AND id != '$l5' AND vehicle_id IS NOT NULL AND vehicle_id != (SELECT vehicle_id FROM load WHERE id='$l5') ORDER BY id LIMIT 1 OFFSET 1")
# shellcheck disable=SC2086
wb assign "$l5" $busy >"$d/assign.txt"
akey=$(sed -n 's/^queued assign_load .* key \(.*\)$/\1/p' "$d/assign.txt")
check "assign to a truck busy at the source: queued ($busy)" [ ${#akey} -eq 36 ]
"$W" sync --once --config "$cfg" --cache "$db" >/dev/null 2>&1
check "sync --once delivers the hold" [ "$(q "SELECT status FROM outbox WHERE key='$key'")" = delivered ]
check "... the vehicle is on hold at the source" \
	[ "$(curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/vehicles/$veh" | jq -r .data.on_hold)" = true ]
check "... and the source refused the assignment for good" [ "$(q "SELECT status FROM outbox WHERE key='$akey'")" = failed ]
wb outbox >"$d/outbox.txt"
check "outbox: exit 0, the hold listed as delivered" grep -q "^delivered *$key *place_hold *vehicle:$veh " "$d/outbox.txt"
wb outbox --failed >"$d/failed.txt"
check "outbox --failed: only the failed" \
	[ "$(grep -c '^failed' "$d/failed.txt") $(grep -c '^delivered\|^pending' "$d/failed.txt")" = "1 0" ]
check "... with the source's answer" grep -q "$akey.*HTTP 422" "$d/failed.txt"
check "outbox --json: one object per action" \
	[ "$(wb outbox --json | jq -s 'length')" -eq "$(q "SELECT count(*) FROM outbox")" ]
wb outbox retry "$akey" >"$d/retry.txt"
check "outbox retry KEY: exit 0" [ $? -eq 0 ]
check "... the action pending again" [ "$(q "SELECT status FROM outbox WHERE key='$akey'")" = pending ]
check "... audited" [ "$(q "SELECT count(*) FROM audit WHERE action='retry_action' AND subject='load:$l5' AND user='m.okafor'")" -eq 1 ]
wb outbox retry "$akey" >/dev/null
check "a retry of an action not failed: exit 3" [ $? -eq 3 ]
"$W" audit verify --cache "$db" >/dev/null
check "the audit chain verifies" [ $? -eq 0 ]
stop_sim

# --- a configured charge tolerance: the pass, the console and the CLI alike -------------
e="$T/cli_actions_tol"
SIM_ROLE=supervisor start_sim "$e" --speed 0
on="$e/config.json"
with_policy "$on" "$e/wide_on.json" '{"charge_tolerance": {"pct": 100}}'
(umask 077 && jq '. + {automation: {maintenance: false, invoices: false}}' "$on" >"$e/off.json")
with_policy "$e/off.json" "$e/wide_off.json" '{"charge_tolerance": {"pct": 100}}'
"$W" sync --once --config "$on" --cache "$e/a.db" >/dev/null 2>&1
"$W" sync --once --config "$e/wide_on.json" --cache "$e/b.db" >/dev/null 2>&1
"$W" sync --once --config "$e/off.json" --cache "$e/c.db" >/dev/null 2>&1
# Invoices the default tolerance alone holds (the pass's reason names nothing else).
sqlite3 "$e/a.db" "SELECT substr(subject, 9) FROM audit WHERE action='hold_invoice' AND user='waybill'
	AND reason LIKE 'charge % vs rated % (tolerance %' AND reason NOT LIKE '%;%' ORDER BY subject LIMIT 2" >"$e/inv.txt"
i1=$(sed -n 1p "$e/inv.txt")
i2=$(sed -n 2p "$e/inv.txt")
check "the pass holds invoices out of the default tolerance ($i1 $i2)" [ -n "$i1" -a -n "$i2" ]
check "... and releases them with the configured one" \
	[ "$(sqlite3 "$e/b.db" "SELECT count(*) FROM outbox WHERE action='release_invoice' AND user='waybill' AND subject IN ('invoice:$i1','invoice:$i2')")" -eq 2 ]
db="$e/c.db"
"$W" release "$i1" --config "$e/off.json" --cache "$db" >"$e/r1.txt"
rc=$?
check "the CLI refuses it with the default tolerance: exit 3" [ $rc -eq 3 ]
check "... naming the tolerance" grep -q "tolerance" "$e/r1.txt"
printf ':release %s\n:save-display %s\n' "$i2" "$e/c1.txt" >"$e/keys"
console "$e/off.json" supervisor "$e/keys"
check "... and so does the console" grep -q "release $i2 held: charge .*tolerance" "$e/c1.txt"
"$W" release "$i1" --config "$e/wide_off.json" --cache "$db" >"$e/r2.txt"
rc=$?
check "the CLI releases it with the configured tolerance: exit 0" [ $rc -eq 0 ]
check "... queued with its key" grep -q "^queued release_invoice invoice:$i1 key" "$e/r2.txt"
console "$e/wide_off.json" supervisor "$e/keys"
check "... and so does the console" grep -q "release_invoice invoice:$i2: queued" "$e/c1.txt"
stop_sim
finish
