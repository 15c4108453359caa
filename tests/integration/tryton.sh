# The tryton kind against a real trytond 6.0 (tests/tryton/lib.sh: a seeded
# template built once per build directory, copied per run, on a loopback port
# chosen at run time), beside waybill-sim's TMS and telematics. Tryton's lists
# are read back by an independent reader and compared
# with the cache, field by field (tests/tryton/dump.py).
. tests/integration/lib.sh
. tests/tryton/lib.sh

if ! tryton_available; then
	echo "ok - trytond 6.0 not installed (make deps) # SKIP"
	finish
fi
command -v tmux >/dev/null 2>&1 && HAVE_TMUX=1 || HAVE_TMUX=
case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
SOCK="waybill-tryton-$$"
tm() { tmux -L "$SOCK" "$@"; }
trap '[ -n "$HAVE_TMUX" ] && tm kill-server 2>/dev/null; tryton_stop; cleanup' EXIT INT TERM

# A template already built for this run (TRYTON_TEMPLATE and its
# TRYTON_TEMPLATE_DIR, as tryton_template exports them) is used as it is.
if ! { [ -n "${TRYTON_TEMPLATE:-}" ] && [ -f "$TRYTON_TEMPLATE" ]; } && ! tryton_template; then
	not_ok "the Tryton template database builds"
	finish
fi
if ! tryton_start "$T/tryton"; then
	not_ok "trytond starts on a loopback port"
	finish
fi
SIM_ROLE=supervisor AUTOMATION=off start_sim "$T/sim" || { not_ok "waybill-sim starts"; finish; }
CFG=$T/sim/config.json
CACHE=$T/cache.db
# The erp is Tryton; the TMS and telematics stay the simulator's.
(umask 077 && jq --arg url "$TRYTON_URL" --arg db "$TRYTON_DB" --arg user "$TRYTON_USER" \
	--arg pw "$TRYTON_PASSWORD_FILE" \
	'.sources.erp = {kind: "tryton", url: $url, database: $db, user: $user, password_file: $pw}' \
	"$CFG" >"$CFG.new") && mv "$CFG.new" "$CFG"
wb() { "$W" --config "$CFG" --cache "$CACHE" "$@"; }

# What Tryton holds (tests/tryton/dump.py, its own reader of Tryton's lists),
# as canonical lines "list|id|fields...": the mapping of
# docs/connectors/tryton.md written a second time, in jq.
want_jq='
def order_status: {draft: "open", quotation: "open", confirmed: "open",
  processing: "in_progress", done: "invoiced", cancelled: "cancelled"}[.state] as $s
  | if $s == "in_progress" and .shipment_state == "sent" then "delivered" else $s end;
def invoice_status: {draft: "draft", validated: "draft", posted: "released", paid: "paid",
  cancelled: "cancelled"}[.state];
if $list == "customers" then "customers|\(.code)|\(.name)"
elif $list == "orders" then "orders|\(.number)|\(.party_code)|\(.total_amount)|\(order_status)"
elif $list == "invoices" then
  "invoices|INV-\(.id)|\(.number // "")|\(.sale_numbers[0] // "")|\(.party_code)|\(.total_amount)|\(invoice_status)"
elif $list == "charges" then "charges|IL-\(.id)|\(.sale_number // "")|\(.amount)"
else "shipments|\(.number)|\(.sale_numbers[0] // "")|\(.customer_code)|\(.state)" end'
tryton_lists() {
	for l in customers orders invoices charges shipments; do
		python3 tests/tryton/dump.py "$l" | jq -r --arg list "$l" "$want_jq" || return 1
	done
}
# The same lines from the cache's live rows of the erp source.
got_sql="
SELECT 'customers|'||id||'|'||ifnull(name,'') FROM customer WHERE source='erp' AND deleted=0
UNION ALL SELECT 'orders|'||id||'|'||ifnull(customer_id,'')||'|'||printf('%.2f',total)||'|'||status
  FROM orders WHERE source='erp' AND deleted=0
UNION ALL SELECT 'invoices|'||id||'|'||ifnull(number,'')||'|'||ifnull(order_id,'')||'|'||
  ifnull(customer_id,'')||'|'||printf('%.2f',amount)||'|'||status FROM invoice WHERE source='erp' AND deleted=0
UNION ALL SELECT 'charges|'||id||'|'||ifnull(order_id,'')||'|'||printf('%.2f',amount)
  FROM charge WHERE source='erp' AND deleted=0
UNION ALL SELECT 'shipments|'||id||'|'||ifnull(order_id,'')||'|'||ifnull(customer_id,'')||'|'||status
  FROM shipment WHERE source='erp' AND deleted=0;"

# same_as_tryton NAME: the cache holds what Tryton holds, list by list.
same_as_tryton() {
	if ! tryton_lists >"$T/want.raw" 2>"$T/want.err"; then
		not_ok "$1" "reading Tryton failed: $(tail -n 2 "$T/want.err")"
		return
	fi
	sort "$T/want.raw" >"$T/want"
	sqlite3 "$CACHE" "$got_sql" | sort >"$T/got"
	if diff "$T/want" "$T/got" >"$T/diff"; then
		ok "$1 ($(cut -d'|' -f1 "$T/want" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}' | sed 's/, $//'))"
	else
		not_ok "$1" "$(wc -l <"$T/diff") lines differ (< Tryton, > cache):" \
			"$(head -n 8 "$T/diff")"
	fi
}
# tryton_id MODEL DOMAIN_JSON: the first id that matches, "" when none.
tryton_id() {
	tryton_rpc "model.$1.search" "[$2, 0, 1, [[\"id\", \"ASC\"]], {}]" | jq -r '.[0] // empty'
}
# invoice_state ID: the state of account.invoice ID in Tryton.
invoice_state() {
	tryton_rpc model.account.invoice.read "[[$1], [\"state\"], {}]" | jq -r '.[0].state'
}
# wait_state ID STATE: up to 30 s for Tryton to show the invoice in STATE.
wait_state() {
	i=0
	while [ $i -lt 300 ]; do
		[ "$(invoice_state "$1")" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# has_erp_rows: the cache has written rows of the erp's streams.
has_erp_rows() {
	[ "$(sqlite3 "$CACHE" "SELECT count(*) FROM charge WHERE source='erp'" 2>/dev/null || echo 0)" -gt 0 ] ||
		[ "$(sqlite3 "$CACHE" "SELECT count(*) FROM invoice WHERE source='erp'" 2>/dev/null || echo 0)" -gt 0 ]
}
# age_sweeps: the last sweep of every erp stream began long ago (the stored
# cursor keeps its start, "T<epoch>;..."), so the next sync sweeps.
age_sweeps() {
	sqlite3 "$CACHE" "UPDATE sync_state SET cursor='T1;'||substr(cursor, instr(cursor, ';')+1)
	  WHERE source='erp' AND cursor LIKE 'T%;%'"
}

# --- the first sync ----------------------------------------------------------
wb sync --once >"$T/sync1.out" 2>&1
rc=$?
check "the first sync --once from Tryton ends 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/sync1.out" | tail -n 8
same_as_tryton "the first sync holds Tryton's customers, orders, invoices, charges, shipments"
check "an archived customer is synced (read with active_test false)" \
	[ "$(sqlite3 "$CACHE" "SELECT count(*) FROM customer WHERE source='erp' AND deleted=0")" = \
	"$(tryton_rpc model.party.party.search_count '[[], {"active_test": false}]')" ]
check "the password is in no output" sh -c "! grep -rqF -- \"\$(cat '$TRYTON_PASSWORD_FILE')\" '$T/sync1.out' '$CACHE'"

# --- a change in Tryton arrives in the next sync -------------------------------
party=$(tryton_id party.party '[["code", "=", "C-2"]]')
tryton_rpc model.party.party.write "[[$party], {\"name\": \"Renamed Haulage\"}, {}]" >/dev/null
draft=$(tryton_id account.invoice '[["type", "=", "out"], ["state", "=", "draft"]]')
tryton_rpc model.account.invoice.post "[[$draft], {}]" >/dev/null
wb sync --once >"$T/sync2.out" 2>&1
check "the second sync ends 0" [ $? -eq 0 ]
check "a customer renamed in Tryton is renamed in the cache" \
	[ "$(sqlite3 "$CACHE" "SELECT name FROM customer WHERE source='erp' AND id='C-2'")" = "Renamed Haulage" ]
check "an invoice posted in Tryton is released in the cache, with its number" \
	[ "$(sqlite3 "$CACHE" "SELECT status||(number IS NOT NULL) FROM invoice WHERE id='INV-$draft'")" = "released1" ]
same_as_tryton "after the changes the cache still holds what Tryton holds"

# --- a deleted sale disappears, after the sweep ----------------------------------
sale=$(tryton_id sale.sale '[["number", "!=", null], ["state", "in", ["quotation", "draft"]]]')
number=$(tryton_rpc model.sale.sale.read "[[$sale], [\"number\"], {}]" | jq -r '.[0].number')
tryton_rpc model.sale.sale.cancel "[[$sale], {}]" >/dev/null
tryton_rpc model.sale.sale.delete "[[$sale], {}]" >/dev/null
check "the sale $number is gone from Tryton" [ -z "$(tryton_id sale.sale "[[\"id\", \"=\", $sale]]")" ]
wb sync --once >"$T/sync3.out" 2>&1
check "before its sweep is due, the deleted sale is still in the cache" \
	[ "$(sqlite3 "$CACHE" "SELECT deleted FROM orders WHERE source='erp' AND id='$number'")" = 0 ]
age_sweeps
wb sync --once >"$T/sync4.out" 2>&1
check "the sync with the sweep ends 0" [ $? -eq 0 ]
check "after the sweep the deleted sale is gone from the cache" \
	[ "$(sqlite3 "$CACHE" "SELECT deleted FROM orders WHERE source='erp' AND id='$number'")" = 1 ]
check "the sweep says what it removed" grep -q "erp orders: resync complete: 1 records gone" "$T/sync4.out"
same_as_tryton "after the sweep the cache holds what Tryton holds"

# --- releases: waybill release and the console post the invoice in Tryton ------
# Draft invoices whose order's load the TMS delivered, with a clean POD: what
# the release gate lets through.
releasable="SELECT i.id FROM invoice i JOIN load l ON l.order_id = i.order_id AND l.source='tms'
  AND l.deleted=0 WHERE i.source='erp' AND i.deleted=0 AND i.status='draft'
  AND l.delivered_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pod p WHERE p.load_id=l.id
  AND ifnull(p.exception_codes,'') <> '') GROUP BY i.id ORDER BY i.id"
set -- $(sqlite3 "$CACHE" "$releasable" | head -n 2)
INV1=${1:-} INV2=${2:-}
if [ -z "$INV2" ]; then
	not_ok "the seeded Tryton has draft invoices of delivered loads to release" \
		"none found: $(sqlite3 "$CACHE" "SELECT count(*) FROM invoice WHERE source='erp' AND status='draft'") drafts"
else
	wb release "$INV1" >"$T/release.out" 2>&1
	rc=$?
	check "waybill release $INV1 is queued" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/#   /' "$T/release.out"
	wb sync --once >"$T/sync5.out" 2>&1
	check "the sync delivering it ends 0" [ $? -eq 0 ]
	check "$INV1 is posted in Tryton" [ "$(invoice_state "${INV1#INV-}")" = posted ]
	check "the outbox counts it delivered only after the read-back" \
		sh -c "'$W' --config '$CFG' --cache '$CACHE' outbox | grep -F '$INV1' | grep -q delivered"
	wb sync --once >"$T/sync5b.out" 2>&1
	check "the next sync reads it back released" \
		[ "$(sqlite3 "$CACHE" "SELECT status FROM invoice WHERE id='$INV1'")" = released ]

	if [ -n "$HAVE_TMUX" ]; then
		tm -f /dev/null new-session -d -x 120 -y 30 -s wb \
			"env TZ=UTC LC_ALL=C.UTF-8 TERM=screen-256color WAYBILL_THEMES=$(pwd)/themes \
			 $AW --config $CFG --cache $CACHE 2>$T/tmux.err; echo exited \$? >$T/tmux.rc; sleep 30"
		sleep 1
		tm send-keys -t wb ":release $INV2" Enter
		if wait_state "${INV2#INV-}" posted; then
			ok "an invoice released from the console ($INV2) is posted in Tryton"
		else
			tm capture-pane -p -t wb >"$T/pane" 2>/dev/null
			not_ok "an invoice released from the console ($INV2) is posted in Tryton" \
				"state $(invoice_state "${INV2#INV-}")" "$(tail -n 3 "$T/pane")"
		fi
		tm send-keys -t wb q
		i=0
		while [ $i -lt 50 ] && [ ! -s "$T/tmux.rc" ]; do sleep 0.1; i=$((i + 1)); done
		check "the console quits with status 0" grep -qx "exited 0" "$T/tmux.rc"
	else
		echo "ok - releasing from the console # SKIP tmux not installed"
	fi
fi
held=$(sqlite3 "$CACHE" "SELECT id FROM invoice WHERE source='erp' AND status='draft' ORDER BY id LIMIT 1")
wb hold "$held" --reason test >"$T/hold.out" 2>&1
rc=$?
check "a hold on a Tryton invoice is refused (exit 3)" [ $rc -eq 3 ]
check "the refusal says why: Tryton has no hold state" grep -q "no hold state" "$T/hold.out"
check "nothing was queued for the hold" \
	[ "$(sqlite3 "$CACHE" "SELECT count(*) FROM outbox WHERE action='hold_invoice'")" = 0 ]

# --- the session expires in the middle of a sync --follow -------------------------
jq '.sources.erp.intervals = {customers: 1, orders: 1, invoices: 1, charges: 1, shipments: 1}' \
	"$CFG" >"$CFG.new" && (umask 077 && cat "$CFG.new" >"$CFG") && rm -f "$CFG.new"
spawn "$W" --config "$CFG" --cache "$CACHE" sync --follow >"$T/follow.out" 2>&1
FOLLOW=$!
sleep 2
tryton_rpc model.party.party.write "[[$party], {\"name\": \"After The Session\"}, {}]" >/dev/null
# Every session Tryton knows, ours included, is dropped: the next call gets 401.
sqlite3 "$TRYTON_DIR/db/$TRYTON_DB.sqlite" "DELETE FROM ir_session"
i=0
while [ $i -lt 300 ] && [ "$(sqlite3 "$CACHE" "SELECT name FROM customer WHERE id='C-2'")" != "After The Session" ]; do
	sleep 0.1
	i=$((i + 1))
done
check "after Tryton dropped the session, sync --follow signs in again and reads on" \
	[ "$(sqlite3 "$CACHE" "SELECT name FROM customer WHERE id='C-2'")" = "After The Session" ]
killtree "$FOLLOW"
wait "$FOLLOW" 2>/dev/null

# --- Tryton stopped and restarted in the middle of a sync --------------------------
# Tryton is frozen before the sync starts, so the sync is certainly in the
# middle of its passes (its requests wait on Tryton) when Tryton goes away. A
# restart of trytond takes longer than sync --once's 5 s of failures, so the
# sync here is --follow, which keeps retrying.
rm -f "$CACHE" "$CACHE"-wal "$CACHE"-shm
kill -STOP "$TRYTON_PID"
spawn "$W" --config "$CFG" --cache "$CACHE" sync --follow >"$T/sync6.out" 2>&1
SYNC=$!
i=0
while [ $i -lt 300 ] && [ "$(sqlite3 "$CACHE" "SELECT count(*) FROM load" 2>/dev/null || echo 0)" -eq 0 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -0 "$SYNC" 2>/dev/null && running=1 || running=0
kill -CONT "$TRYTON_PID"
tryton_stop
check "Tryton was stopped while the sync was running" [ $running -eq 1 ]
sleep 1
tryton_restart || not_ok "trytond restarts"
# Until every list holds as many rows as Tryton (bounded: 90 s).
want_counts=$(for m in 'party.party|[[], {"active_test": false}]' \
	'sale.sale|[[["number", "!=", null]], {}]' 'account.invoice|[[["type", "=", "out"]], {}]' \
	'account.invoice.line|[[["invoice_type", "=", "out"], ["type", "=", "line"], ["invoice", "!=", null]], {}]' \
	'stock.shipment.out|[[], {}]'; do
	tryton_rpc "model.${m%%|*}.search_count" "${m#*|}"
done | tr '\n' ' ')
got_counts() {
	for t in customer orders invoice charge shipment; do
		sqlite3 "$CACHE" "SELECT count(*) FROM $t WHERE source='erp' AND deleted=0"
	done | tr '\n' ' '
}
i=0
while [ $i -lt 900 ] && [ "$(got_counts)" != "$want_counts" ]; do
	sleep 0.1
	i=$((i + 1))
done
killtree "$SYNC"
wait "$SYNC" 2>/dev/null
check "the sync saw Tryton go away and retried" grep -q "erp .*retry in" "$T/sync6.out"
same_as_tryton "after Tryton's restart the cache holds what Tryton holds"

# --- kill -9 of waybill sync mid-run, then a clean finish ---------------------------
# Once Tryton's first rows are written, Tryton is frozen: what it has not yet
# answered waits, and the sync is killed in the middle.
rm -f "$CACHE" "$CACHE"-wal "$CACHE"-shm
"$W" --config "$CFG" --cache "$CACHE" sync --once >"$T/sync7.out" 2>&1 &
SYNC=$!
PIDS="$PIDS $SYNC"
i=0
while [ $i -lt 600 ] && ! has_erp_rows; do sleep 0.02; i=$((i + 1)); done
kill -STOP "$TRYTON_PID"
kill -0 "$SYNC" 2>/dev/null && running=1 || running=0
kill -9 "$SYNC" 2>/dev/null
wait "$SYNC" 2>/dev/null
kill -CONT "$TRYTON_PID"
check "the sync was killed while running" [ $running -eq 1 ]
wb sync --once >"$T/sync8.out" 2>&1
check "the sync after kill -9 ends 0" [ $? -eq 0 ]
check "the cache is intact" [ "$(sqlite3 "$CACHE" "PRAGMA integrity_check")" = ok ]
same_as_tryton "after kill -9 and a clean finish the cache holds what Tryton holds"
finish
