# Text from a source or the cache never reaches a terminal as escape
# sequences: a user name with an OSC title, a clear-screen, a C1 CSI, a bidi
# override and an isolate (set through the simulator's admin API), route names,
# outbox rows and audit rows holding the same (written with sqlite3 and the
# outbox tool) come out of doctor, kpi, kpi --json, outbox, outbox --json,
# the actions, audit export and sync's error lines with no ESC, BEL, other C0
# control, DEL, C1 control or bidi control byte, and as valid UTF-8 (a name cut
# to its column is cut between characters). JSON keeps the text, escaped.
. tests/integration/lib.sh
OUTBOX_ADD="$WAYBILL_BUILD/tests/tools/outbox_add"

# clean NAME FILE: no control byte but newline, no C1 or bidi control, valid UTF-8.
clean() {
	if LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c' "$2" >"$2.bad"; then
		not_ok "$1" "a terminal control reached the output:" "$(od -c "$2.bad" | head -n 6)"
	elif ! iconv -f UTF-8 -t UTF-8 "$2" >/dev/null 2>&1; then
		not_ok "$1" "the output is not valid UTF-8 (a character cut in two?):" "$(od -c "$2" | head -n 6)"
	else
		ok "$1"
	fi
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

d=$T/text
if ! start_sim "$d"; then
	not_ok "sim started"
	finish
fi
C="--config $d/config.json --cache $d/c.db"
# OSC title + BEL, clear screen, C1 CSI (U+009B), RLO (U+202E), LRI (U+2066), ALM, DEL.
H=$(printf 'A\033]0;pwned\007\033[2J\302\23331m\342\200\256evil\342\201\246\330\234\177Z\303\274rich')

admin me "$(jq -cn --arg u "$H" '{user: $u}')" >"$d/admin.out"
check "the sim names the user with escapes" jq -e --arg u "$H" '.user == $u' "$d/admin.out"
"$W" doctor $C >"$d/doctor.out" 2>"$d/doctor.err"
clean "doctor: the user name is made safe" "$d/doctor.out"
check "doctor: the user is still shown, controls as '?'" grep -q 'A?]0;pwned??\[2J?31m?evil???Z' "$d/doctor.out"

"$W" sync --once $C >"$d/sync.out" 2>"$d/sync.err"
check "the first sync exits 0" [ $? -eq 0 ]

# Route names: one end long in two-byte characters (a byte cut splits one).
O=$(printf '\303\205%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14)
sqlite3 "$d/c.db" "UPDATE load SET origin = CAST(X'$(hex "$O$H")' AS TEXT),
                                    destination = CAST(X'$(hex "$H")' AS TEXT)"
"$W" kpi $C >"$d/kpi.out" 2>"$d/kpi.err"
clean "kpi: route names are made safe and cut between characters" "$d/kpi.out"
check "kpi: the route is listed" grep -q 'ÅÅÅÅÅÅÅÅÅÅÅ… -> A?]0;pwned?…' "$d/kpi.out"
"$W" kpi --json $C >"$d/kpi.json" 2>"$d/kpi.err"
clean "kpi --json: C1 and bidi controls are escaped" "$d/kpi.json"
check "kpi --json: the names are kept whole" \
	jq -e --arg h "$H" '[.. | strings | select(. == $h)] | length > 0' "$d/kpi.json"

# An action by the user the source named, with a reason holding the same.
V=$(sqlite3 "$d/c.db" "SELECT id FROM vehicle WHERE deleted=0 ORDER BY id LIMIT 1")
"$W" hold "$V" --reason "$H" $C >"$d/hold.out" 2>"$d/hold.err"
check "hold is queued" [ $? -eq 0 ]
clean "hold: the line is safe" "$d/hold.out"
"$W" hold "$V" --reason "$H" --json $C >"$d/hold.json" 2>"$d/hold.err"
clean "hold --json: the user is escaped" "$d/hold.json"
check "hold --json: the user is kept" jq -e --arg h "$H" '.user == $h' "$d/hold.json"
"$W" audit export --cache "$d/c.db" >"$d/audit.jsonl" 2>"$d/audit.err"
check "audit export exits 0" [ $? -eq 0 ]
clean "audit export: the user and reason are escaped" "$d/audit.jsonl"
check "audit export: the reason is kept" \
	jq -se --arg h "$H" '[.[] | select(.reason == $h and .user == $h)] | length > 0' "$d/audit.jsonl"
"$W" audit verify --cache "$d/c.db" >"$d/verify.out" 2>&1
clean "audit verify: the line is safe" "$d/verify.out"

# An action the source cannot do, named with escapes: the sync's error line.
"$OUTBOX_ADD" "$d/c.db" tms "$H" "vehicle:$V$H" '{}' "$H" >"$d/key" 2>"$d/add.err"
check "an action with escapes is queued" [ -s "$d/key" ]
"$W" sync --once $C >"$d/sync2.out" 2>"$d/sync2.err"
clean "sync: the error line is safe (stderr)" "$d/sync2.err"
clean "sync: stdout is safe" "$d/sync2.out"
check "sync: the refusal is reported" grep -q 'no action "A?]0;pwned' "$d/sync2.err"
"$W" outbox $C >"$d/outbox.out" 2>"$d/outbox.err"
clean "outbox: action, subject and error are made safe" "$d/outbox.out"
check "outbox: the refused action is listed" grep -q '^failed .*A?]0;pwned' "$d/outbox.out"
"$W" outbox --json $C >"$d/outbox.json" 2>"$d/outbox.err"
clean "outbox --json: escaped" "$d/outbox.json"
check "outbox --json: the text is kept" \
	jq -se --arg h "$H" '[.[] | select(.action == $h and .user == $h)] | length == 1' "$d/outbox.json"

# Errors quote what they were given safely too.
"$W" "$H" >"$d/usage.out" 2>"$d/usage.err"
clean "an unknown command is quoted safely" "$d/usage.err"

stop_sim
cleanup
finish
