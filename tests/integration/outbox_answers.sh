# What confirms a delivery (issue #11, "actions lost"): only an answer the
# connector recognises as the action's result. A login gateway answering every
# write "200 text/html" (the sim's html200 fault) leaves every queued action
# pending with its reason in `waybill outbox`, none delivered, and `sync --once`
# exits 1; once the gateway is gone, a sync delivers every action exactly once
# (each record's version moves by one). A 200 carrying an error member (the
# error200 fault, a business error as ERPs answer them) fails the action with
# the source's own text, as a 4xx refusal does.
. tests/integration/lib.sh

d=$T/html
if ! AUTOMATION=off start_sim "$d" --fault tms:html200=1 --fault telematics:html200=1; then
	not_ok "sim started"
	finish
fi
DISP=$(jq -r .tokens.dispatcher "$d/sim.json")
get() { curl -sf -H "Authorization: Bearer $DISP" "$1"; }
# version URL: the record's version at the source.
version() { get "$1" | jq -r .data.version; }

# Four open exceptions to acknowledge (TMS) and four vehicles to hold (telematics).
xs=$(get "$TMS/v1/exceptions?limit=200" | jq -r '[.data[] | select(.status == "open") | .id][:4][]')
vs=$(get "$TEL/v1/vehicles?limit=200" | jq -r '[.data[] | select(.on_hold != true) | .id][:4][]')
check "the sim has four open exceptions and four vehicles not on hold" \
	[ "$(echo "$xs" | wc -w) $(echo "$vs" | wc -w)" = "4 4" ]
: >"$d/keys"
: >"$d/versions"
for x in $xs; do
	build/tests/tools/outbox_add "$d/c.db" tms acknowledge_exception "exception:$x" '{}' >>"$d/keys"
	echo "$TMS/v1/exceptions/$x $(version "$TMS/v1/exceptions/$x")" >>"$d/versions"
done
for v in $vs; do
	build/tests/tools/outbox_add "$d/c.db" telematics place_hold "vehicle:$v" '{"reason":"test"}' >>"$d/keys"
	echo "$TEL/v1/vehicles/$v $(version "$TEL/v1/vehicles/$v")" >>"$d/versions"
done
n=$(wc -l <"$d/keys")
check "eight actions queued" [ "$n" = 8 ]

start=$(date +%s)
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/once1.out" 2>"$d/once1.err"
rc=$?
took=$(($(date +%s) - start))
check "sync --once against the gateway exits 1 (got $rc)" [ "$rc" = 1 ]
check "it ends within 30 s (took $took s)" [ "$took" -le 30 ]
q() { sqlite3 "$d/c.db" "$1"; }
# Read through waybill first: it opens the cache as the next sync would, so
# an action the finished sync left inflight is pending again.
"$W" outbox --config "$d/config.json" --cache "$d/c.db" >"$d/outbox1" 2>&1
listed=0
while read -r k; do
	grep "$k" "$d/outbox1" | grep "^pending " | grep -q "answer not recognised: 200 text/html" &&
		listed=$((listed + 1))
done <"$d/keys"
if [ "$listed" = "$n" ]; then ok "waybill outbox lists every action pending with its reason"
else not_ok "waybill outbox lists every action pending with its reason ($listed of $n)" "$(head -n 4 "$d/outbox1")"; fi
"$W" outbox --json --config "$d/config.json" --cache "$d/c.db" >"$d/outbox1.json" 2>&1
check "waybill outbox --json gives the reason as last_error" \
	[ "$(jq -s '[.[] | select(.state == "pending" and (.last_error | test("^answer not recognised: 200 text/html")))] | length' "$d/outbox1.json")" = "$n" ]

check "no action is delivered" [ "$(q "SELECT count(*) FROM outbox WHERE status='delivered'")" = 0 ]
check "every action is pending" [ "$(q "SELECT count(*) FROM outbox WHERE status='pending'")" = "$n" ]
check "every action was tried" [ "$(q "SELECT count(*) FROM outbox WHERE attempts >= 1")" = "$n" ]
check "every row keeps the reason" \
	[ "$(q "SELECT count(*) FROM outbox WHERE http_status=200 AND answer LIKE 'answer not recognised: 200 text/html, % bytes'")" = "$n" ]
check "the sync said it gave up on the outbox" grep -q "gave up; the actions stay queued" "$d/once1.out" "$d/once1.err"

moved=0
while read -r url v; do [ "$(version "$url")" = "$v" ] || moved=$((moved + 1)); done <"$d/versions"
check "the source performed none of them" [ "$moved" = 0 ]

# The gateway goes away: the same actions, with the same keys, are delivered once.
admin faults '{"service":"all","clear":true}' >/dev/null
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/once2.out" 2>"$d/once2.err"
rc=$?
check "sync --once against the simulator exits 0 (got $rc)" [ "$rc" = 0 ]
check "every action is delivered" [ "$(q "SELECT count(*) FROM outbox WHERE status='delivered'")" = "$n" ]
once=0
while read -r url v; do [ "$(version "$url")" = $((v + 1)) ] && once=$((once + 1)); done <"$d/versions"
check "each took effect exactly once at the source ($once of $n)" [ "$once" = "$n" ]
held=0
for v in $vs; do [ "$(get "$TEL/v1/vehicles/$v" | jq -r .data.on_hold)" = true ] && held=$((held + 1)); done
check "the vehicles are on hold" [ "$held" = 4 ]
tries=$(q "SELECT group_concat(attempts) FROM outbox")
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>&1
check "a further sync sends nothing again" [ "$(q "SELECT group_concat(attempts) FROM outbox")" = "$tries" ]

# More actions than the failures in a row after which --once gives up on a
# source that is down, on a cache already synced (so the streams end at once)
# behind a slow gateway: each action still gets its own answer as its reason.
vs=$(get "$TEL/v1/vehicles?limit=200" | jq -r '[.data[] | select(.on_hold != true) | .id][:20][]')
for v in $vs; do
	build/tests/tools/outbox_add "$d/c.db" telematics place_hold "vehicle:$v" '{"reason":"test"}' >/dev/null
done
admin faults '{"service":"telematics","html200":1,"latency":300}' >/dev/null
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/once4.out" 2>"$d/once4.err"
rc=$?
check "20 more actions behind a slow gateway: exit 1 (got $rc)" [ "$rc" = 1 ]
check "20 more actions behind a slow gateway: each has its reason ($(q "SELECT count(*) FROM outbox WHERE status='pending' AND answer LIKE 'answer not recognised: %'") of 20)" \
	[ "$(q "SELECT count(*) FROM outbox WHERE status IN ('pending','inflight') AND answer LIKE 'answer not recognised: %'")" = 20 ]
stop_sim

# A business error: 200 with an error member fails the action with its text.
d=$T/err200
if ! AUTOMATION=off start_sim "$d" --fault telematics:error200=1; then
	not_ok "sim started"
	finish
fi
key=$(build/tests/tools/outbox_add "$d/c.db" telematics place_hold "vehicle:V-3" '{"reason":"test"}')
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/once.out" 2>"$d/once.err"
row() { sqlite3 "$d/c.db" "SELECT $1 FROM outbox WHERE key='$key'"; }
check "error member: the action failed (not delivered, not pending)" [ "$(row status)" = failed ]
check "error member: the source's own text is kept ($(row answer))" \
	[ "$(row answer)" = "HTTP 200: injected fault: the source refused the posting" ]
"$W" outbox --failed --config "$d/config.json" --cache "$d/c.db" >"$d/failed" 2>&1
check "error member: waybill outbox --failed shows it" grep -q "$key.*the source refused the posting" "$d/failed"
check "error member: tried once, never retried" [ "$(row attempts)" = 1 ]
stop_sim
finish
