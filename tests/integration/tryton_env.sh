#!/bin/sh
# The real Tryton environment the Tryton tests and benchmark stand on
# (tests/tryton/lib.sh): the template database builds (modules activated,
# seeded through JSON-RPC), a server starts from it on a loopback port chosen
# at run time and answers a login, the seeded states exist, a restart keeps
# the data and the port, and tryton_stop leaves no trytond behind.
. tests/integration/lib.sh
. tests/tryton/lib.sh
trap 'tryton_stop; cleanup' EXIT INT TERM

if ! tryton_available; then
	echo "ok - tryton environment # SKIP trytond or python3 missing (make deps)"
	finish
fi

check "the template database builds (modules activated, seeded through JSON-RPC)" tryton_template
check "trytond starts from a copy of the template" tryton_start "$T/tryton" 120
D=$T/tryton
case "$TRYTON_URL" in
http://127.0.0.1:[0-9]*) ok "it serves on 127.0.0.1 ($TRYTON_URL)" ;;
*) not_ok "it serves on 127.0.0.1" "TRYTON_URL=$TRYTON_URL" ;;
esac
check "its config listens on loopback only" grep -qx "listen = 127.0.0.1:$TRYTON_PORT" "$D/trytond.conf"
check "its config has the session timeout asked for" grep -qx "timeout = 120" "$D/trytond.conf"
check "the database is a copy of the template in DIR" sh -c "[ -f '$D/db/$TRYTON_DB.sqlite' ] && ! [ '$D/db/$TRYTON_DB.sqlite' -ef '$TRYTON_TEMPLATE' ]"
[ "$(stat -c %a "$TRYTON_PASSWORD_FILE")" = 600 ] && ok "the password file is mode 0600" ||
	not_ok "the password file is mode 0600" "$(stat -c %a "$TRYTON_PASSWORD_FILE")"
who=$(tryton_rpc model.res.user.get_preferences '[true, {}]' | jq -r '."company.rec_name" // empty')
[ -n "$who" ] && ok "a login answers, in the company ($who)" || not_ok "a login answers"

# count MODEL DOMAIN_JSON: records of MODEL matching the domain.
count() { tryton_rpc "model.$1.search_count" "[$2, {\"active_test\": false}]"; }
for s in draft quotation confirmed processing done cancelled; do
	n=$(count sale.sale "[[\"state\", \"=\", \"$s\"]]")
	[ "${n:-0}" -gt 0 ] && ok "sales $s: $n" || not_ok "sales $s exist" "got ${n:-nothing}"
done
for s in waiting assigned picked packed done; do
	n=$(count stock.shipment.out "[[\"state\", \"=\", \"$s\"]]")
	[ "${n:-0}" -gt 0 ] && ok "customer shipments $s: $n" || not_ok "customer shipments $s exist" "got ${n:-nothing}"
done
for s in draft validated posted paid cancelled; do
	n=$(count account.invoice "[[\"type\", \"=\", \"out\"], [\"state\", \"=\", \"$s\"]]")
	[ "${n:-0}" -gt 0 ] && ok "customer invoices $s: $n" || not_ok "customer invoices $s exist" "got ${n:-nothing}"
done
n=$(count sale.sale '[["number", "like", "O-%"]]')
m=$(count sale.sale '[["number", "!=", null]]')
[ "${n:-0}" -gt 0 ] && [ "$n" = "$m" ] && ok "sale numbers read like the simulator's order ids (O-n)" ||
	not_ok "sale numbers read like the simulator's order ids" "O-%: ${n:-?} of ${m:-?}"

# dump.py: the lists the connector maps, with the archived customer.
python3 tests/tryton/dump.py customers >"$T/customers.jsonl" 2>"$T/dump.err"
check "dump.py customers lists an archived party (active false)" grep -q '"active": false' "$T/customers.jsonl"
for l in orders order_lines invoices charges shipments; do
	python3 tests/tryton/dump.py $l >"$T/$l.jsonl" 2>"$T/dump.err"
	[ -s "$T/$l.jsonl" ] && jq -e . "$T/$l.jsonl" >/dev/null 2>&1 && ok "dump.py $l: $(wc -l <"$T/$l.jsonl") records" ||
		not_ok "dump.py $l" "$(cat "$T/dump.err")"
done
n=$(wc -l <"$T/orders.jsonl")
[ "$n" = "$m" ] && ok "dump.py orders counts what search_count counts" || not_ok "dump.py orders count" "$n vs $m"

# A change through the API, then a restart: the change stays, so does the port.
sale=$(tryton_rpc model.sale.sale.search '[[["state", "=", "draft"], ["number", "!=", null]], 0, 1, null, {}]' | jq '.[0] // empty')
[ -z "$sale" ] && sale=$(tryton_rpc model.sale.sale.search '[[["state", "=", "draft"]], 0, 1, null, {}]' | jq '.[0]')
tryton_rpc model.sale.sale.write "[[$sale], {\"description\": \"changed by tryton_env\"}, {}]" >/dev/null
port=$TRYTON_PORT
old_pid=$TRYTON_PID
check "tryton_restart brings it back" tryton_restart
check "on the same port" test "$TRYTON_PORT" = "$port" -a "$TRYTON_URL" = "http://127.0.0.1:$port"
check "as a new process" test "$TRYTON_PID" != "$old_pid"
got=$(tryton_rpc model.sale.sale.read "[[$sale], [\"description\"], {}]" | jq -r '.[0].description')
check "a change made before the restart is still there" test "$got" = "changed by tryton_env"

# A business error comes back as an error, not as a crash of the client.
tryton_rpc model.sale.sale.write '[[999999], {"description": "x"}, {}]' >/dev/null 2>"$T/rpc.err"
rc=$?
[ $rc -ne 0 ] && [ "$(wc -l <"$T/rpc.err")" -eq 1 ] && ok "tryton_rpc reports a Tryton error in one line" ||
	not_ok "tryton_rpc reports a Tryton error in one line" "rc $rc: $(head -c 300 "$T/rpc.err")"

pid=$TRYTON_PID
tryton_stop
check "tryton_stop stops trytond" sh -c "! kill -0 $pid 2>/dev/null"
check "no trytond on this directory is left" sh -c "! pgrep -f 'trytond -c $D/trytond.conf' >/dev/null"
check "tryton_stop is safe to call twice" tryton_stop
check "nothing answers on the port any more" sh -c "! curl -s -m 2 -o /dev/null http://127.0.0.1:$port/"
finish
