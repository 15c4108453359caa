#!/bin/sh
# waybill-sim over loopback: the start line, auth, paging with cursors and
# tombstones, writes with idempotency/409/422/403, faults, SSE, scenarios, truth.
set -u
B=${WAYBILL_BUILD:-build}
T=${WAYBILL_TEST_TMP:-$(mktemp -d)}
SIM=$B/waybill-sim
PIDS=""
fails=0
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done' EXIT INT TERM

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1${2:+ ($2)}"; fails=$((fails + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$3', got '$2'"; fi; }

# start_sim NAME ARGS...: starts the sim, waits for its JSON line in $T/NAME.out
start_sim() {
	name=$1; shift
	"$SIM" --port 0 "$@" >"$T/$name.out" 2>"$T/$name.err" &
	LAST_PID=$!
	PIDS="$PIDS $LAST_PID"
	i=0
	while [ $i -lt 100 ] && ! [ -s "$T/$name.out" ]; do sleep 0.1; i=$((i + 1)); done
	LINE=$(head -n 1 "$T/$name.out")
	ERP=$(echo "$LINE" | jq -r .services.erp.port)
	TMS=$(echo "$LINE" | jq -r .services.tms.port)
	TEL=$(echo "$LINE" | jq -r .services.telematics.port)
	VIEW=$(echo "$LINE" | jq -r .tokens.viewer)
	DISP=$(echo "$LINE" | jq -r .tokens.dispatcher)
	SUP=$(echo "$LINE" | jq -r .tokens.supervisor)
	ADM=$(echo "$LINE" | jq -r .tokens.admin)
}
# req TOKEN PORT PATH [curl args...]: prints "STATUS BODY"
req() {
	tok=$1 port=$2 path=$3; shift 3
	curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $tok" "$@" "http://127.0.0.1:$port$path" 2>/dev/null
}
body() { cat "$T/body"; }
post() { # TOKEN PORT PATH KEY JSON
	if [ -n "$4" ]; then
		req "$1" "$2" "$3" -X POST -H "Idempotency-Key: $4" -H 'Content-Type: application/json' -d "$5"
	else
		req "$1" "$2" "$3" -X POST -H 'Content-Type: application/json' -d "$5"
	fi
}
admin_clock() { post "$ADM" "$TMS" /v1/admin/clock "" "{\"advance_s\":$1}" >/dev/null; }

start_sim main --seed 7
check "start line has three ports and four tokens" \
	"$(echo "$LINE" | jq -r '[.services.erp.port,.services.tms.port,.services.telematics.port,.tokens.viewer,.tokens.dispatcher,.tokens.supervisor,.tokens.admin,.seed]|map(tostring)|map(length>0)|all')" true
check "no token is 401" "$(req bad "$TMS" /v1/loads)" 401
check "401 body is a JSON error" "$(body | jq -r .error.code)" unauthorized
check "/v1/me names the role" "$(req "$DISP" "$TMS" /v1/me; echo " $(body | jq -r .role)")" "200 dispatcher"
check "unknown path is 404 JSON" "$(req "$DISP" "$TMS" /v1/nope; echo " $(body | jq -r .error.code)")" "404 not_found"
check "loads are not served by the ERP" "$(req "$DISP" "$ERP" /v1/loads)" 404
check "bad limit is 400" "$(req "$DISP" "$TMS" '/v1/loads?limit=abc')" 400
check "forged cursor is 400" "$(req "$DISP" "$TMS" '/v1/loads?after=c1.5.00000000')" 400

# full pass over loads, 37 at a time
truth_loads=$(req "$ADM" "$TMS" /v1/admin/truth >/dev/null; body | jq .counts.loads)
cur="" n=0 pages=0
while :; do
	req "$DISP" "$TMS" "/v1/loads?limit=37${cur:+&after=$cur}" >/dev/null
	n=$((n + $(body | jq '.data|length')))
	cur=$(body | jq -r .next)
	pages=$((pages + 1))
	[ "$(body | jq -r .has_more)" = true ] || break
	[ $pages -lt 500 ] || break
done
check "a full pass pages every load once" "$n" "$truth_loads"
check "the same cursor then gives nothing new" "$(req "$DISP" "$TMS" "/v1/loads?after=$cur" >/dev/null; body | jq '.data|length')" 0
admin_clock 1800
req "$DISP" "$TMS" "/v1/loads?after=$cur&limit=1000" >/dev/null
changed=$(body | jq '.data|length')
if [ "$changed" -gt 0 ] && [ "$changed" -lt "$n" ]; then ok "after 30 min only changed loads come back ($changed)"; else nok "incremental page" "$changed of $n"; fi
check "records carry id, version and deleted" "$(body | jq -r '.data[0]|[has("id"),(.version|type),(.deleted|type)]|map(tostring)|join(",")')" "true,number,boolean"
req "$DISP" "$TMS" "/v1/staging?limit=1000" >/dev/null
check "departed loads leave staging tombstones" "$(body | jq '[.data[]|select(.deleted==true)|select(has("version"))]|length>0')" true
hdr=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' -H "Authorization: Bearer $DISP" "http://127.0.0.1:$TMS/v1/loads" | tr -d '\r' | grep -i '^content-encoding:' | awk '{print $2}')
check "gzip when asked" "$hdr" gzip
check "gzip body decodes to JSON" "$(curl -s --compressed -H "Authorization: Bearer $DISP" "http://127.0.0.1:$TMS/v1/loads?limit=3" | jq '.data|length')" 3

# writes
dl=$(req "$DISP" "$TMS" "/v1/loads?limit=1000" >/dev/null; body | jq -r '[.data[]|select(.status=="invoiced")][0].id')
check "viewer may not write" "$(post "$VIEW" "$TMS" "/v1/loads/$dl/release" k0 '{}')" 403
check "a write without Idempotency-Key is 400" "$(post "$DISP" "$TMS" "/v1/loads/$dl/release" "" '{}')" 400
check "releasing an invoiced load is 422" "$(post "$DISP" "$TMS" "/v1/loads/$dl/release" k1 '{}'; echo " $(body | jq -r .error.code)")" "422 not_releasable"
first=$(body)
check "a replay gives the stored answer" "$(post "$DISP" "$TMS" "/v1/loads/$dl/release" k1 '{}') $(body)" "422 $first"
check "a key reused for another request is 422" "$(post "$DISP" "$TMS" "/v1/loads/$dl/assign" k1 '{}')" 422
ver=$(req "$DISP" "$TEL" /v1/vehicles/V-3 >/dev/null; body | jq .data.version)
check "a stale expected_version is 409" "$(post "$DISP" "$TEL" /v1/vehicles/V-3/hold k2 "{\"expected_version\":$((ver - 1)),\"reason\":\"x\"}"; echo " $(body | jq -r .current.id)")" "409 V-3"
check "hold a vehicle" "$(post "$DISP" "$TEL" /v1/vehicles/V-3/hold k3 "{\"expected_version\":$ver,\"reason\":\"brakes\"}"; echo " $(body | jq .data.on_hold)")" "200 true"
check "holding it again is 422" "$(post "$DISP" "$TEL" /v1/vehicles/V-3/hold k4 '{}')" 422
check "clear the hold" "$(post "$DISP" "$TEL" /v1/vehicles/V-3/clear_hold k5 '{}'; echo " $(body | jq .data.on_hold)")" "200 false"
check "open a work order" "$(post "$DISP" "$TEL" /v1/work_orders k6 '{"vehicle_id":"V-3","category":"corrective"}'; echo " $(body | jq -r .data.status)")" "201 open"
post "$DISP" "$TEL" /v1/vehicles/V-3/hold k7 '{"reason":"fault"}' >/dev/null
check "clearing by override needs a supervisor" "$(post "$DISP" "$TEL" /v1/vehicles/V-3/clear_hold k8 '{"override":true,"reason":"ok"}')" 403
check "a supervisor may override" "$(post "$SUP" "$TEL" /v1/vehicles/V-3/clear_hold k9 '{"override":true,"reason":"checked"}')" 200
req "$DISP" "$TMS" "/v1/exceptions?limit=1000" >/dev/null
sx=$(body | jq -r '[.data[]|select(.status=="open" and .required_role=="supervisor")][0].id')
dx=$(body | jq -r '[.data[]|select(.status=="open" and .required_role=="dispatcher")][0].id')
check "a supervisor-only exception refuses a dispatcher" "$(post "$DISP" "$TMS" "/v1/exceptions/$sx/approve" k10 '{}')" 403
check "a supervisor approves it" "$(post "$SUP" "$TMS" "/v1/exceptions/$sx/approve" k11 '{}'; echo " $(body | jq -r .data.status)")" "200 approved"
check "a dispatcher rejects a dispatcher exception" "$(post "$DISP" "$TMS" "/v1/exceptions/$dx/reject" k12 '{}'; echo " $(body | jq -r .data.status)")" "200 rejected"
check "acting again on it is 422" "$(post "$DISP" "$TMS" "/v1/exceptions/$dx/acknowledge" k13 '{}')" 422
inv=$(req "$DISP" "$ERP" "/v1/invoices?limit=1000" >/dev/null; body | jq -r '[.data[]|select(.status=="draft")][0].id')
check "release a draft invoice" "$(post "$DISP" "$ERP" "/v1/invoices/$inv/release" k14 '{}'; echo " $(body | jq -r .data.status)")" "200 released"
check "a malformed body is 400" "$(post "$DISP" "$ERP" "/v1/invoices/$inv/hold" k15 '{nope')" 400

# faults
post "$ADM" "$ERP" /v1/admin/faults "" '{"service":"tms","rate5xx":1}' >/dev/null
check "injected 5xx on the TMS" "$(req "$DISP" "$TMS" /v1/loads)" 503
check "the ERP is unaffected" "$(req "$DISP" "$ERP" /v1/invoices)" 200
post "$ADM" "$ERP" /v1/admin/faults "" '{"service":"tms","clear":true,"rate429":1,"retry_after":3}' >/dev/null
ra=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $DISP" "http://127.0.0.1:$TMS/v1/loads" | tr -d '\r' | grep -i '^retry-after:' | awk '{print $2}')
check "429 carries Retry-After" "$ra" 3
post "$ADM" "$ERP" /v1/admin/faults "" '{"service":"tms","clear":true,"expire":1}' >/dev/null
check "a forced expired cursor is 410" "$(req "$DISP" "$TMS" "/v1/loads?after=$cur"; echo " $(body | jq -r .error.code)")" "410 cursor_expired"
post "$ADM" "$ERP" /v1/admin/faults "" '{"service":"tms","clear":true,"truncate":1}' >/dev/null
req "$DISP" "$TMS" "/v1/loads?limit=5" >/dev/null
if body | jq . >/dev/null 2>&1; then nok "truncated JSON does not parse"; else ok "truncated JSON does not parse"; fi
post "$ADM" "$ERP" /v1/admin/faults "" '{"service":"tms","clear":true,"dup":1}' >/dev/null
req "$DISP" "$TMS" "/v1/loads?limit=5" >/dev/null
check "duplicate records within a page" "$(body | jq '[.data[].id]|length - (unique|length)')" 1
post "$ADM" "$ERP" /v1/admin/faults "" '{"service":"tms","clear":true,"write_timeout":1}' >/dev/null
rel=$(req "$DISP" "$TMS" "/v1/loads?limit=1000" >/dev/null; body | jq -r '[.data[]|select(.status=="staged" and (.vehicle_id!=null or .carrier!="own"))][0].id')
code=$(post "$DISP" "$TMS" "/v1/loads/$rel/release" k20 '{}')
check "a committed write times out without an answer" "$code" 000
post "$ADM" "$ERP" /v1/admin/faults "" '{"service":"tms","clear":true}' >/dev/null
check "the retry returns the stored answer" "$(post "$DISP" "$TMS" "/v1/loads/$rel/release" k20 '{}'; echo " $(body | jq -r .data.status)")" "200 released"
post "$ADM" "$ERP" /v1/admin/services/tms/stop "" '{}' >/dev/null
sleep 0.5
check "a stopped service refuses connections" "$(req "$DISP" "$TMS" /v1/me)" 000
post "$ADM" "$ERP" /v1/admin/services/tms/start "" '{}' >/dev/null
sleep 0.5
check "and comes back on the same port" "$(req "$DISP" "$TMS" /v1/me)" 200

# positions and the live stream
check "positions page" "$(req "$DISP" "$TEL" '/v1/positions?limit=10' ; echo " $(body | jq '.data|length')")" "200 10"
curl -s -N --max-time 2 -H "Authorization: Bearer $DISP" -H 'Last-Event-ID: 5' "http://127.0.0.1:$TEL/v1/positions/stream" >"$T/sse" 2>/dev/null
check "the stream resumes after Last-Event-ID" "$(grep -m1 '^id:' "$T/sse")" "id: 6"
check "stream events are JSON positions" "$(grep -m1 '^data:' "$T/sse" | sed 's/^data: //' | jq -r .vehicle_id | cut -c1-2)" "V-"

kill "$LAST_PID"
wait "$LAST_PID"
check "SIGTERM exits 0" "$?" 0

# determinism and --no-ai
start_sim a --seed 11
c1=$(req "$ADM" "$TMS" /v1/admin/truth >/dev/null; body | jq -r .checksum)
kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null
start_sim b --seed 11 --no-ai
c2=$(req "$ADM" "$TMS" /v1/admin/truth >/dev/null; body | jq -r .checksum)
check "--no-ai serves no exceptions" "$(req "$DISP" "$TMS" /v1/exceptions >/dev/null; body | jq '.data|length')" 0
kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null
start_sim c --seed 11
check "the same seed gives the same world" "$(req "$ADM" "$TMS" /v1/admin/truth >/dev/null; body | jq -r .checksum)" "$c1"
kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null
[ "$c1" != "$c2" ] || true

# scenarios: each expected flag is there, from the AI, and not a wrong one
for s in route-change failed-delivery partial-shipment subcontracted-leg maintenance-hold fuel-anomaly invoice-dispute late-eta detention; do
	start_sim "s-$s" --seed 3 --scenario "$s"
	req "$ADM" "$TMS" /v1/admin/truth >/dev/null; cp "$T/body" "$T/truth"
	req "$DISP" "$TMS" "/v1/exceptions?limit=1000" >/dev/null; cp "$T/body" "$T/exc"
	facts=$(jq -c '.scenario.facts[]|select(.expect!="hold_blocks_release")' "$T/truth")
	good=0 total=0
	for f in $facts; do
		total=$((total + 1))
		k=$(echo "$f" | jq -r .expect); sid=$(echo "$f" | jq -r .subject_id)
		hit=$(jq -r --arg k "$k" --arg s "$sid" --slurpfile t "$T/truth" \
			'[.data[]|select(.kind==$k and .subject_id==$s and (.id as $i|$t[0].ai.wrong|index($i)|not))]|length' "$T/exc")
		[ "$hit" -ge 1 ] && good=$((good + 1))
	done
	if [ "$total" -gt 0 ] && [ "$good" -eq "$total" ]; then ok "scenario $s: the AI flags its facts"; else nok "scenario $s" "$good of $total facts flagged"; fi
	kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null
done
[ $fails -eq 0 ]
