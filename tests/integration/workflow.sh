# The automatic workflow pass end to end (issue 5, "Rules"): `waybill sync --once`
# runs the pass after the detectors and records its decisions as the system; the
# next sync delivers them to the simulator. Maintenance: a critical fault
# proposes a work order (opened at the sim) and holds the unit, and its readiness
# says held naming the fault. Invoices: clean drafts are released, drafts with a
# POD or charge problem are held, a disputed one opens invoice_dispute. No
# decision is recorded twice, and the audit chain stays whole.
. tests/integration/lib.sh

q() { sqlite3 "$1" "$2" </dev/null; }
get() { curl -sf -H "Authorization: Bearer $ADMIN" "$1"; }

# syncs DIR N: N more runs of `waybill sync --once` into DIR/c.db; run k of the
# directory logs to DIR/errk.
# Streams and the outbox run side by side in a sync, so the run that delivers an
# action may have read that list before the action landed: the run after it
# brings back what the source made of it.
syncs() {
	for _ in $(seq 1 "$2"); do
		i=$(($(ls "$1" | grep -c '^err[0-9]') + 1))
		"$W" sync --once --config "$1/config.json" --cache "$1/c.db" >"$1/out$i" 2>"$1/err$i" ||
			{ not_ok "sync --once #$i exits 0" "$(tail -n 3 "$1/err$i")"; return 1; }
	done
}

# ---- maintenance -------------------------------------------------------------
d="$T/maint"
if start_sim "$d" --speed 0 --scenario maintenance-hold --no-ai && syncs "$d" 1; then
	db="$d/c.db"
	set -- $(admin truth | jq -r '.scenario.facts[] | select(.expect=="critical_fault") | "\(.subject_id) \(.related_id)"')
	veh=$1 fault=$2
	code=$(q "$db" "SELECT code FROM fault WHERE id='$fault'")
	check "the scenario's critical fault $fault on $veh is in the cache ($code)" [ -n "$veh" -a -n "$code" ]
	check "the pass ran as part of sync" grep -q "local workflow: readiness [0-9]* (" "$d/err1"
	check "a work order is proposed for the fault, to telematics, as the system" \
		[ "$(q "$db" "SELECT count(*) FROM outbox WHERE action='open_work_order' AND subject='fault:$fault'
		  AND source='telematics' AND user='waybill' AND json_extract(payload,'\$.vehicle_id')='$veh'
		  AND json_extract(payload,'\$.category')='corrective' AND json_array_length(payload,'\$.parts')>0")" -eq 1 ]
	check "the unit's hold is recorded with a reason naming the fault" \
		[ "$(q "$db" "SELECT count(*) FROM outbox WHERE action='place_hold' AND subject='vehicle:$veh'
		  AND user='waybill' AND json_extract(payload,'\$.reason') LIKE '%fault $code%'")" -eq 1 ]
	check "readiness: $veh held, naming the fault" \
		[ "$(q "$db" "SELECT count(*) FROM readiness WHERE vehicle_id='$veh' AND state='held'
		  AND reasons LIKE '%fault $code (critical)%'")" -eq 1 ]
	check "every live vehicle has a readiness verdict" \
		[ "$(q "$db" "SELECT count(*) FROM vehicle v LEFT JOIN readiness r ON r.vehicle_id=v.id
		  WHERE v.deleted=0 AND r.state IS NULL")" -eq 0 ]
	syncs "$d" 1
	check "the second sync delivers the proposal and the hold" \
		[ "$(q "$db" "SELECT count(*) FROM outbox WHERE status='delivered' AND
		  ((action='open_work_order' AND subject='fault:$fault') OR (action='place_hold' AND subject='vehicle:$veh'))")" -eq 2 ]
	check "... the unit is on hold at the sim" [ "$(get "$TEL/v1/vehicles/$veh" | jq -r .data.on_hold)" = true ]
	syncs "$d" 1
	wo=$(q "$db" "SELECT id FROM work_order WHERE fault_id='$fault' AND deleted=0 ORDER BY opened_at DESC LIMIT 1")
	check "... the work order for $fault exists at the sim ($wo)" \
		sh -c "[ -n '$wo' ] && curl -sf -H 'Authorization: Bearer $ADMIN' '$TMS/v1/admin/export' |
		  jq -e --arg wo '$wo' '.work_orders | map(.[0]) | index(\$wo) != null' >/dev/null"
	check "... the cache has the unit on hold" [ "$(q "$db" "SELECT on_hold FROM vehicle WHERE id='$veh'")" = 1 ]
	check "... and readiness still held, now also for the work order and the hold" \
		[ "$(q "$db" "SELECT count(*) FROM readiness WHERE vehicle_id='$veh' AND state='held'
		  AND reasons LIKE '%fault $code%' AND reasons LIKE '%on maintenance hold until work order $wo%'")" -eq 1 ]
	check "nothing proposed twice over three syncs" \
		grep -q "0 work orders proposed, 0 holds placed, 0 cleared" "$d/err3"
	check "one proposal and one hold for the fault in the outbox" \
		[ "$(q "$db" "SELECT count(*) FROM outbox WHERE subject IN ('fault:$fault','vehicle:$veh')")" -eq 2 ]
	check "both audited as waybill / system" \
		[ "$(q "$db" "SELECT count(*) FROM audit WHERE user='waybill' AND role='system' AND
		  ((action='open_work_order' AND subject='fault:$fault') OR (action='place_hold' AND subject='vehicle:$veh'))")" -eq 2 ]
	check "the cache equals the sim after the pass's actions" cache_matches_sim "$db" "$d"
	check "the audit chain verifies" "$W" audit verify --cache "$db"
	stop_sim
else
	not_ok "maintenance-hold: sim and first sync"
fi

# ---- invoices ----------------------------------------------------------------
d="$T/inv"
if start_sim "$d" --speed 0 --scenario invoice-dispute --no-ai && syncs "$d" 1; then
	db="$d/c.db"
	inv=$(admin truth | jq -r '.scenario.facts[] | select(.expect=="invoice_dispute") | .subject_id')
	check "the disputed invoice $inv opens invoice_dispute on the invoice" \
		[ "$(q "$db" "SELECT count(*) FROM exception WHERE id='X-invoice_dispute-$inv' AND kind='invoice_dispute'
		  AND subject_id='$inv' AND source='local' AND origin='local' AND status='open'")" -eq 1 ]
	check "... its raise is audited as waybill / system" \
		[ "$(q "$db" "SELECT count(*) FROM audit WHERE action='raise_exception'
		  AND subject='exception:X-invoice_dispute-$inv' AND user='waybill' AND role='system'")" -eq 1 ]
	check "... and no action is recorded on it (the dispute is the customer's hold)" \
		[ "$(q "$db" "SELECT count(*) FROM outbox WHERE subject='invoice:$inv'")" -eq 0 ]
	check "the charge finding stays the detectors' one, on the load" \
		[ "$(q "$db" "SELECT count(*) FROM exception WHERE kind='charge_out_of_tolerance' AND source='local'
		  AND subject_id=(SELECT load_id FROM invoice WHERE id='$inv')")" -eq 1 ]
	rel=$(q "$db" "SELECT substr(subject, 9) FROM outbox WHERE action='release_invoice' AND user='waybill' ORDER BY seq LIMIT 1")
	held=$(q "$db" "SELECT substr(subject, 9) FROM outbox WHERE action='hold_invoice' AND user='waybill'
	  AND json_extract(payload,'\$.reason') LIKE '%exception codes%' ORDER BY seq LIMIT 1")
	check "a clean draft is released ($rel) and one with a POD exception held ($held)" [ -n "$rel" -a -n "$held" ]
	check "... the released one is clean: a signed POD without exception codes" \
		[ "$(q "$db" "SELECT count(*) FROM invoice i JOIN pod p ON p.load_id=i.load_id
		  WHERE i.id='$rel' AND p.exception_codes='' AND p.signed_at IS NOT NULL")" -ge 1 ]
	check "... released as the system, with the rule as its reason" \
		[ "$(q "$db" "SELECT count(*) FROM audit WHERE action='release_invoice' AND subject='invoice:$rel'
		  AND user='waybill' AND role='system'
		  AND reason='automatic: delivered, POD clean, charges within tolerance'")" -eq 1 ]
	check "... held as the system, with the reason" \
		[ "$(q "$db" "SELECT count(*) FROM audit WHERE action='hold_invoice' AND subject='invoice:$held'
		  AND user='waybill' AND role='system' AND reason LIKE 'POD % has exception codes %'")" -eq 1 ]
	check "every open draft of a delivered load got exactly one decision" \
		[ "$(q "$db" "SELECT count(*) FROM invoice i WHERE i.deleted=0 AND i.status='draft'
		  AND (SELECT count(*) FROM outbox o WHERE o.subject='invoice:'||i.id AND o.user='waybill') != 1")" -eq 0 ]
	syncs "$d" 2
	check "the second sync delivered every invoice decision" \
		[ "$(q "$db" "SELECT count(*) FROM outbox WHERE subject LIKE 'invoice:%' AND status!='delivered'")" -eq 0 ]
	check "... $rel is released at the sim" [ "$(get "$ERP/v1/invoices/$rel" | jq -r .data.status)" = released ]
	check "... $held is held at the sim" [ "$(get "$ERP/v1/invoices/$held" | jq -r .data.status)" = held ]
	check "... $inv is still disputed at the sim" [ "$(get "$ERP/v1/invoices/$inv" | jq -r .data.status)" = disputed ]
	check "... and the cache agrees" \
		[ "$(q "$db" "SELECT group_concat(status, ' ') FROM (SELECT status FROM invoice WHERE id IN ('$rel','$held','$inv') ORDER BY id='$inv', id='$held')")" = "released held disputed" ]
	check "nothing decided twice over three syncs" \
		grep -q "0 invoices released, 0 held, 0 exceptions raised" "$d/err3"
	check "the cache equals the sim after the pass's actions" cache_matches_sim "$db" "$d"
	check "the audit chain verifies" "$W" audit verify --cache "$db"
	stop_sim
else
	not_ok "invoice-dispute: sim and first sync"
fi

finish
