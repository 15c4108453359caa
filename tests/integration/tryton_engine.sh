# The sync engine's side of a source that signs in, against a real trytond
# (tests/tryton/lib.sh: a seeded template copied per run, a loopback port chosen
# at run time) as the ERP beside the simulator's TMS and telematics: one
# sign-in per run and never a token; sessions dropped by the server (deleted
# from its database) mean one more sign-in and the sync goes on; a wrong
# password fails in one clear line without the password and without a loop;
# `waybill doctor` names the database, the user, Tryton's modules and the
# clock skew from the Date header. (The read-back and the refusal before
# queueing are tests/unit/test_sync_session.c's and test_app_source.c's.)
. tests/integration/lib.sh
. tests/tryton/lib.sh

if ! tryton_available; then
	echo "ok - trytond # SKIP trytond not installed (make deps)"
	finish
fi
trap 'tryton_stop; cleanup' EXIT INT TERM

d=$T/tr
if ! start_sim "$d"; then not_ok "sim started"; finish; fi
# The engine's paths need no seeded sales: the database with the modules
# activated (tests/tryton/lib.sh's first, cached step) and the parties this
# script makes through the API. The seeded template is the mapping tests'.
cache=${TRYTON_CACHE:-build/tryton}
mkdir -p "$cache"
if ! _tryton_base "$(cd "$cache" && pwd)"; then not_ok "trytond database made"; finish; fi
TRYTON_TEMPLATE=$TRYTON_BASE/$TRYTON_DB.sqlite TRYTON_TEMPLATE_DIR=$TRYTON_BASE
if ! tryton_start "$d/tryton"; then not_ok "trytond started"; finish; fi
for name in "Harbor Freight Ltd" "Depot Supplies" "North Quay Traders"; do
	tryton_rpc model.party.party.create "[[{\"name\": \"$name\"}], {}]" >/dev/null
done

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
# The sessions trytond holds (each sign-in makes one), read from its database
# (ir.session is not open to RPC).
sessions() { sqlite3 -cmd ".timeout 10000" "$TRYTON_DIR/db/$TRYTON_DB.sqlite" "SELECT count(*) FROM ir_session"; }

s0=$(sessions)
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
rc=$?
s1=$(sessions)
check "first sync against trytond exits 0 (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' "$d/err" | head -n 8
check "one sign-in for every stream and the outbox ($((s1 - s0)) sessions made)" \
	[ "$((s1 - s0))" = 1 ]
nc=$(sqlite3 "$d/c.db" "SELECT count(*) FROM customer WHERE deleted=0 AND source='erp'")
check "the customers arrived ($nc)" [ "$nc" -gt 0 ]
check "nothing printed the password" \
	sh -c "! grep -qF -- \"\$(cat '$TRYTON_PASSWORD_FILE')\" '$d/out' '$d/err'"

# doctor
"$W" doctor --config "$d/config.json" --cache "$d/c.db" >"$d/doc" 2>&1
# (The bare database's admin has no company: the kind's own check says so.)
check "doctor: the erp line names the database and the user" \
	grep -q "^erp  *[a-zA-Z]*  *reachable, database $TRYTON_DB, signed in as Administrator" "$d/doc"
check "doctor: Tryton's modules are checked" grep -qi "modules" "$d/doc"
check "doctor: the clock skew comes from the Date header" \
	grep -q "clock skew [-+][0-9]* s (from the HTTP Date header)" "$d/doc"
grep -q "^erp" "$d/doc" || sed 's/^/# /' "$d/doc"

# Sessions dropped while sync --follow runs: the next poll's 401 costs one
# sign-in, and a change made meanwhile still arrives.
"$W" sync --follow --config "$d/config.json" --cache "$d/c.db" >"$d/fout" 2>"$d/ferr" &
fpid=$!
PIDS="$PIDS $fpid"
i=0
while [ $i -lt 300 ] && ! grep -q "erp charges" "$d/fout"; do sleep 0.1; i=$((i + 1)); done
sqlite3 -cmd ".timeout 10000" "$TRYTON_DIR/db/$TRYTON_DB.sqlite" "DELETE FROM ir_session"
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
# tryton_rpc signed in twice meanwhile (search, write).
check "sessions dropped: the change still arrived" [ "${n:-0}" -gt 0 ]
check "... after one sign-in again ($((a1 - a0 - 2)) sessions made besides tryton_rpc's)" \
	[ "$((a1 - a0 - 2))" = 1 ]
check "... with no line saying the sign-in was refused" sh -c "! grep -q 'refused the sign-in' '$d/fout' '$d/ferr'"

# A wrong password: one clear line, the password nowhere, and no loop.
(umask 077 && echo "wrong-Pa55word" >"$d/bad.pw")
tryton_config "$d" "$d/bad.pw"
f0=$(grep -c "login failed for '$TRYTON_USER'" "$TRYTON_DIR/trytond.log")
start=$(date +%s)
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/bout" 2>"$d/berr"
rc=$?
took=$(($(date +%s) - start))
f1=$(grep -c "login failed for '$TRYTON_USER'" "$TRYTON_DIR/trytond.log")
check "wrong password: sync --once exits 1 (exit $rc)" [ "$rc" = 1 ]
check "... within 30 s ($took s)" [ "$took" -le 30 ]
check "... saying tryton refused the sign-in as $TRYTON_USER" \
	grep -q "tryton refused the sign-in as $TRYTON_USER: " "$d/berr"
check "... never showing the password" sh -c "! grep -q 'wrong-Pa55word' '$d/bout' '$d/berr'"
# Five streams retrying for the 5 s --once rides out, each retry needing the
# sign-in: without the shared backoff that is dozens of sign-ins.
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
check "... signing in a handful of times, not in a loop ($((f1 - f0)) sign-ins)" \
	between "$((f1 - f0))" 1 8
finish
