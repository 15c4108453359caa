# Actions from the console reach the source exactly once: the scripted console
# (as a dispatcher) approves and acknowledges exceptions it may act on, is told
# "needs supervisor" for one it may not, and every action it took is in the
# outbox and the audit trail; `waybill sync --once` then delivers them and the
# simulator shows each exception decided.
. tests/integration/lib.sh

d="$T/actions"
start_sim "$d" --speed 0
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1 || not_ok "initial sync"
q() { sqlite3 "$d/c.db" "$1"; }
a=$(q "SELECT id FROM exception WHERE status='open' AND required_role='dispatcher' ORDER BY id LIMIT 1")
b=$(q "SELECT id FROM exception WHERE status='open' AND required_role='dispatcher' ORDER BY id LIMIT 1 OFFSET 1")
sup=$(q "SELECT id FROM exception WHERE status='open' AND required_role='supervisor' ORDER BY id LIMIT 1")
check "the sim offers exceptions for both roles ($a $b $sup)" [ -n "$a" -a -n "$b" -a -n "$sup" ]
veh=$(q "SELECT id FROM vehicle WHERE deleted=0 AND IFNULL(on_hold,0)=0 AND kind='tractor' ORDER BY id LIMIT 1")

cat >"$d/keys" <<KEYS
5
:approve $a
:save-display $d/after-approve.txt
:ack $b
:approve $sup
:save-display $d/after-refusal.txt
:approve $a
:save-display $d/after-again.txt
:hold $veh
:save-display $d/hold-no-reason.txt
:hold $veh brake chamber leaking, axle 2
:save-display $d/hold.txt
KEYS
env WAYBILL_SCRIPT="$d/keys" WAYBILL_SCRIPT_ROLE=dispatcher TERM=xterm-256color LINES=24 COLUMNS=80 \
	"$W" --cache "$d/c.db" >/dev/null 2>"$d/err"
check "the scripted console ran" [ $? -eq 0 ]
check "approve: queued, pending until the source answers" grep -q "approve_exception: queued; pending" "$d/after-approve.txt"
check "a supervisor's exception: refused with the reason" grep -q "approve $sup: needs supervisor" "$d/after-refusal.txt"
check "a second approve while the first waits: refused" grep -q "still waiting for the source" "$d/after-again.txt"
check "a hold needs a reason" grep -q "hold $veh: say why" "$d/hold-no-reason.txt"
check "a hold with a reason is queued" grep -q "place_hold vehicle:$veh: queued" "$d/hold.txt"
check "three actions in the outbox, none for the refused ones" \
	[ "$(q "SELECT group_concat(action || ' ' || subject, ',') FROM (SELECT * FROM outbox WHERE user!='waybill' ORDER BY seq)")" = "approve_exception exception:$a,acknowledge_exception exception:$b,place_hold vehicle:$veh" ]
check "three audit rows, by the dispatcher" [ "$(q "SELECT count(*) FROM audit WHERE role='dispatcher'")" -eq 3 ]
"$W" audit verify --cache "$d/c.db" >/dev/null
check "the audit chain verifies" [ $? -eq 0 ]

"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
check "sync --once delivers them" [ "$(q "SELECT count(*) FROM outbox WHERE status='delivered' AND user!='waybill'")" -eq 3 ]
check "... the vehicle is on hold at the source" \
	[ "$(curl -sf -H "Authorization: Bearer $ADMIN" "$TEL/v1/vehicles/$veh" | jq -r .data.on_hold)" = true ]
check "... and the audit row keeps the reason" \
	[ "$(q "SELECT reason FROM audit WHERE action='place_hold' AND user!='waybill'")" = "brake chamber leaking, axle 2" ]
check "... and brings back the decided exceptions" \
	[ "$(q "SELECT status FROM exception WHERE id='$a'") $(q "SELECT status FROM exception WHERE id='$b'")" = "approved acknowledged" ]
check "... as the source has them" \
	[ "$(curl -sf -H "Authorization: Bearer $ADMIN" "$TMS/v1/exceptions/$a" | jq -r .data.status)" = approved ]
check "... and untouched what was refused" [ "$(q "SELECT status FROM exception WHERE id='$sup'")" = open ]
stop_sim
finish
