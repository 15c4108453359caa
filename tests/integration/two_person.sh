# The two-person rule end to end, against the real simulator: with
# policy.two_person_above at 1000, one supervisor's `waybill approve` of an
# exception with more at stake is recorded as awaiting a second supervisor and
# queues nothing; the same supervisor again is refused with the reason; a
# second supervisor (the source names another user for the same token:
# identity is what who-am-I says) completes it, the outbox holds the approval,
# `waybill sync --once` delivers it and the simulator shows it approved; the
# audit trail (`waybill audit export`, `audit verify`) holds every step.
. tests/integration/lib.sh

d="$T/two_person"
AUTOMATION=off SIM_ROLE=supervisor start_sim "$d" --speed 0
db="$d/c.db"
cfg="$d/two.json"
(umask 077 && jq '. + {policy: {two_person_above: 1000}}' "$d/config.json" >"$cfg")
q() { sqlite3 "$db" "$1"; }
wb() { "$W" "$@" --config "$cfg" --cache "$db"; }
wb sync --once >/dev/null 2>&1 || not_ok "initial sync"
x=$(q "SELECT id FROM exception WHERE status='open' AND source='tms' AND impact>1000
       ORDER BY impact DESC, id LIMIT 1")
check "an open exception with more than 1000 at stake ($x)" [ -n "$x" ]

# --- the first supervisor: awaiting, nothing queued ----------------------------
wb approve "$x" >"$d/first.txt" 2>&1
check "the first supervisor's approve: exit 0" [ $? -eq 0 ]
check "... says it awaits a second supervisor other than s.park" \
	grep -qF "awaiting approve_exception exception:$x: approved by s.park; needs a second supervisor other than s.park" "$d/first.txt"
check "... and queues nothing for the source" [ "$(q "SELECT count(*) FROM outbox WHERE subject='exception:$x'")" = 0 ]
check "... the first approval is on record" [ "$(q "SELECT user FROM pending_approval WHERE exception_id='$x'")" = s.park ]
wb sync --once >/dev/null 2>&1
check "... a sync sends nothing: the sim still has it open" \
	[ "$(curl -sf -H "Authorization: Bearer $ADMIN" "$TMS/v1/exceptions/$x" | jq -r .data.status)" = open ]

# --- the same supervisor again: refused with the reason ------------------------
wb approve "$x" >"$d/again.txt" 2>&1
check "the same supervisor again: exit 3" [ $? -eq 3 ]
check "... with the reason" grep -qF "needs a second supervisor other than s.park (two-person rule)" "$d/again.txt"
check "... still nothing queued" [ "$(q "SELECT count(*) FROM outbox WHERE subject='exception:$x'")" = 0 ]

# --- a second supervisor completes it ------------------------------------------
admin me '{"user": "a.mensah"}' >/dev/null || not_ok "the sim renames the supervisor"
wb approve "$x" >"$d/second.txt" 2>&1
check "a second supervisor's approve: exit 0, queued" \
	grep -q "^queued approve_exception exception:$x key " "$d/second.txt"
check "... the outbox holds the approval, by a.mensah" \
	[ "$(q "SELECT action || ' ' || user || ' ' || status FROM outbox WHERE subject='exception:$x'")" = "approve_exception a.mensah pending" ]
check "... the first approval is cleared" [ "$(q "SELECT count(*) FROM pending_approval")" = 0 ]
wb sync --once >/dev/null 2>&1
check "... delivered by sync --once" \
	[ "$(q "SELECT status FROM outbox WHERE subject='exception:$x'")" = delivered ]
check "... and the simulator shows it approved" \
	[ "$(curl -sf -H "Authorization: Bearer $ADMIN" "$TMS/v1/exceptions/$x" | jq -r .data.status)" = approved ]

# --- the audit trail -----------------------------------------------------------
"$W" audit export --config "$cfg" --cache "$db" >"$d/audit.jsonl" 2>"$d/audit.err"
jq -r --arg s "exception:$x" 'select(.subject == $s) | .action + " " + .user' "$d/audit.jsonl" >"$d/steps.txt"
check "the audit trail: pending, refused, decided, in order ($(tr '\n' ',' <"$d/steps.txt"))" \
	[ "$(tr '\n' ',' <"$d/steps.txt")" = "approve_pending s.park,approve_refused s.park,approve_exception a.mensah," ]
check "... the decision names both supervisors" \
	[ "$(jq -r --arg s "exception:$x" 'select(.subject == $s and .action == "approve_exception") | .after | fromjson | .approved_by | join(",")' "$d/audit.jsonl")" = "s.park,a.mensah" ]
"$W" audit verify --config "$cfg" --cache "$db" >"$d/verify.txt" 2>&1
check "... and the chain verifies" grep -q "^audit: ok" "$d/verify.txt"
finish
