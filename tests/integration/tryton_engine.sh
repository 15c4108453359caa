# The sync engine's side of a source that signs in, against a real trytond
# (tests/tryton/lib.sh: a seeded template copied per run, a loopback port chosen
# at run time) as the ERP beside the simulator's TMS and telematics: one
# sign-in per run and never a token; sessions dropped by the server (deleted
# from its database) mean one more sign-in and the sync goes on; a wrong
# password fails in one clear line without the password and without a loop;
# an action Tryton answers with success but does not take (posting a cancelled
# invoice) is refused by the read-back; an invoice hold is refused before it is
# queued; `waybill doctor` names the database, the user, Tryton's modules and
# the clock skew from the Date header.
. tests/integration/lib.sh
. tests/tryton/lib.sh

if ! tryton_available; then
	echo "ok - trytond # SKIP trytond not installed (make deps)"
	finish
fi
trap 'tryton_stop; cleanup' EXIT INT TERM

d=$T/tr
if ! start_sim "$d"; then not_ok "sim started"; finish; fi
# A small seed is enough for the engine's paths (and quick to build once).
if ! tryton_template --sales 40 || ! tryton_start "$d/tryton"; then
	not_ok "trytond started"
	finish
fi

# tryton_config DIR PASSWORD_FILE: the sim's config with a tryton ERP whose
# streams are polled every second.
tryton_config() {
	(umask 077 && jq --arg url "$TRYTON_URL" --arg db "$TRYTON_DB" --arg user "$TRYTON_USER" \
		--arg pw "$2" '.sources.erp = {kind: "tryton", url: $url, database: $db,
		  user: $user, password_file: $pw,
		  intervals: {customers: 1, orders: 1, invoices: 1, charges: 1}}
		| .automation = {maintenance: false, invoices: false}' \
		"$1/sim.json.config" >"$1/config.json")
}
cp "$d/config.json" "$d/sim.json.config"
tryton_config "$d" "$TRYTON_PASSWORD_FILE"
# Sessions Tryton holds for the admin (each sign-in makes one; tryton_rpc's
# own call makes one more, so counts are compared as differences).
sessions() { tryton_rpc model.ir.session.search_count '[[], {}]'; }

s0=$(sessions)
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
s1=$(sessions)
check "first sync against trytond exits 0 (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' "$d/err" | head -n 8
check "one sign-in for every stream and the outbox ($((s1 - s0 - 1)) sessions made)" \
	[ "$((s1 - s0 - 1))" = 1 ]
nc=$(sqlite3 "$d/c.db" "SELECT count(*) FROM customer WHERE deleted=0 AND source='erp'")
check "the customers arrived ($nc)" [ "$nc" -gt 0 ]
check "nothing printed the password" \
	sh -c "! grep -qF -- \"\$(cat '$TRYTON_PASSWORD_FILE')\" '$d/out' '$d/err'"

# doctor
"$W" doctor --config "$d/config.json" --cache "$d/c.db" >"$d/doc" 2>&1
check "doctor: the erp line names the database and the user" \
	grep -q "^erp  *ok  *reachable, database $TRYTON_DB, signed in as " "$d/doc"
check "doctor: Tryton's modules are checked" grep -qi "modules" "$d/doc"
check "doctor: the clock skew comes from the Date header" \
	grep -q "clock skew [-+][0-9]* s (from the HTTP Date header)" "$d/doc"
grep -q "^erp" "$d/doc" || sed 's/^/# /' "$d/doc"

# A hold Tryton has no state for: refused before it is queued.
inv=$(sqlite3 "$d/c.db" "SELECT id FROM invoice WHERE deleted=0 AND source='erp' LIMIT 1")
q0=$(sqlite3 "$d/c.db" "SELECT count(*) FROM outbox")
"$W" hold "$inv" "customer disputes the total" --config "$d/config.json" --cache "$d/c.db" \
	>"$d/hold" 2>&1
rc=$?
check "hold $inv on a tryton ERP exits 3, refused (exit $rc)" [ "$rc" = 3 ]
check "... saying the tryton ERP cannot hold an invoice" \
	grep -q "the tryton ERP cannot hold an invoice: " "$d/hold"
check "... and nothing was queued" [ "$(sqlite3 "$d/c.db" "SELECT count(*) FROM outbox")" = "$q0" ]

# Posting a cancelled invoice: Tryton answers success and changes nothing; the
# read-back shows it, and the action is refused with what the record shows.
cid=$(tryton_rpc model.account.invoice.search '[[["state","=","cancelled"],["type","=","out"]], 0, 1, null, {}]' |
	jq -r '.[0] // empty')
if [ -n "$cid" ]; then
	key=$(build/tests/tools/outbox_add "$d/c.db" erp release_invoice "invoice:INV-$cid" '{}')
	"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out2" 2>"$d/err2"
	st=$(sqlite3 "$d/c.db" "SELECT status FROM outbox WHERE key='$key'")
	ans=$(sqlite3 "$d/c.db" "SELECT answer FROM outbox WHERE key='$key'")
	check "release of cancelled INV-$cid: refused by the read-back ($st: $ans)" \
		[ "$st" = failed ]
	check "... its answer says what the record shows" sh -c "echo '$ans' | grep -q 'read back'"
	state=$(tryton_rpc model.account.invoice.read "[[$cid], [\"state\"], {}]" | jq -r '.[0].state')
	check "... and Tryton still has it cancelled ($state)" [ "$state" = cancelled ]
else
	not_ok "the seed has a cancelled customer invoice"
fi

# Sessions dropped while sync --follow runs: the next poll's 401 costs one
# sign-in, and a change made meanwhile still arrives.
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/fout" 2>"$d/ferr" &
fpid=$!
PIDS="$PIDS $fpid"
i=0
while [ $i -lt 300 ] && ! grep -q "erp charges" "$d/fout"; do sleep 0.1; i=$((i + 1)); done
ids=$(tryton_rpc model.ir.session.search '[[], 0, null, null, {}]')
tryton_rpc model.ir.session.delete "[$ids, {}]" >/dev/null
a0=$(sessions)
pid=$(tryton_rpc model.party.party.search '[[], 0, 1, null, {}]' | jq -r '.[0]')
tryton_rpc model.party.party.write "[[$pid], {\"name\": \"Renamed While Signed Out\"}, {}]" >/dev/null
i=0
while [ $i -lt 300 ]; do
	n=$(sqlite3 "$d/c.db" "SELECT count(*) FROM customer WHERE name='Renamed While Signed Out'" 2>/dev/null)
	[ "${n:-0}" -gt 0 ] && break
	sleep 0.1
	i=$((i + 1))
done
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
a1=$(sessions)
check "sessions dropped: the change still arrived" [ "${n:-0}" -gt 0 ]
check "... after one sign-in again ($((a1 - a0 - 2)) sessions made besides tryton_rpc's)" \
	[ "$((a1 - a0 - 2))" = 1 ]
check "... with no line saying the sign-in was refused" sh -c "! grep -q 'refused the sign-in' '$d/fout' '$d/ferr'"

# A wrong password: one clear line, the password nowhere, and no loop.
(umask 077 && echo "wrong-Pa55word" >"$d/bad.pw")
tryton_config "$d" "$d/bad.pw"
b0=$(grep -c "login" "$TRYTON_DIR/trytond.log")
start=$(date +%s)
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/bout" 2>"$d/berr"
rc=$?
took=$(($(date +%s) - start))
b1=$(grep -c "login" "$TRYTON_DIR/trytond.log")
check "wrong password: sync --once exits 1 (exit $rc)" [ "$rc" = 1 ]
check "... within 30 s ($took s)" [ "$took" -le 30 ]
check "... saying tryton refused the sign-in as $TRYTON_USER" \
	grep -q "tryton refused the sign-in as $TRYTON_USER: " "$d/berr"
check "... never showing the password" sh -c "! grep -q 'wrong-Pa55word' '$d/bout' '$d/berr'"
nlines=$(grep -c "refused the sign-in" "$d/berr")
check "... backing off, not looping ($nlines failure lines)" [ "$nlines" -le 60 ]
[ "$b1" -ge "$b0" ] || true
finish
