# The keyed audit chain and its anchors, driven through the real binary: the
# sync makes the key (0600) on first use and anchors the head at its end;
# `waybill audit anchor --to FILE` appends one; a row edited with sqlite3 is
# named by `audit verify` under the key; the newest rows deleted are named
# against the anchor, with or without the key; a key file others may read is
# refused by every command that would use it; without the key verify says
# what it could not check.
. tests/integration/lib.sh

d="$T/audit"
start_sim "$d" --speed 0
cfgdir="$XDG_CONFIG_HOME/waybill"
key="$cfgdir/audit.key"
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>"$d/sync.err"
check "sync --once" [ $? -eq 0 ]
q() { sqlite3 "$1" "$2"; }
rows=$(q "$d/c.db" "SELECT count(*) FROM audit")
check "the sync's workflow pass wrote audit rows ($rows)" [ "$rows" -gt 5 ]
check "every row is keyed, with one key id" \
	[ "$(q "$d/c.db" "SELECT count(DISTINCT key_id) || ' ' || count(key_id) FROM audit")" = "1 $rows" ]
check "the key file was made on first use, mode 0600, 64 hex digits" \
	sh -c "[ \"\$(stat -c %a '$key')\" = 600 ] && grep -Eqx '[0-9a-f]{64}' '$key'"
check "the sync anchored the head at its end" \
	[ "$(jq -r .seq "$cfgdir/audit-anchors.jsonl" | tail -n 1)" = "$rows" ]

"$W" audit verify --cache "$d/c.db" >"$d/v.out" 2>&1
check "verify: exit 0" [ $? -eq 0 ]
check "... under the key, against the sync's anchor" \
	sh -c "grep -q 'chain intact: rows 1-$rows HMAC-SHA-256 under key' '$d/v.out' && grep -q 'anchors hold: 1 in' '$d/v.out'"

"$W" audit anchor --cache "$d/c.db" --to "$d/anchors.jsonl" >"$d/a.out" 2>&1
check "audit anchor --to FILE: exit 0" [ $? -eq 0 ]
check "... says what it anchored" grep -q "anchored row $rows (MAC .*, $rows rows) in $d/anchors.jsonl" "$d/a.out"
check "... one JSON line, file mode 0600" \
	sh -c "[ \"\$(stat -c %a '$d/anchors.jsonl')\" = 600 ] && [ \"\$(jq -c '[.seq, .rows, (.hash | length), .cache]' '$d/anchors.jsonl')\" = '[$rows,$rows,64,\"$d/c.db\"]' ]"

# Rewrite: an edited row is named under the key.
cp "$d/c.db" "$d/edit.db"
q "$d/edit.db" "UPDATE audit SET reason='never happened' WHERE seq=4"
"$W" audit verify --cache "$d/edit.db" >"$d/e.out" 2>&1
check "an edited row: exit 1" [ $? -eq 1 ]
check "... naming it" grep -q "^audit: BROKEN at row 4: content does not match its MAC under the key" "$d/e.out"

# Truncation: the newest rows deleted; the chain alone cannot see it.
cp "$d/c.db" "$d/cut.db"
q "$d/cut.db" "DELETE FROM audit WHERE seq > $((rows - 3))"
"$W" audit verify --cache "$d/cut.db" --anchor "$d/anchors.jsonl" >"$d/t.out" 2>&1
check "the newest rows cut off, against the anchor: exit 1" [ $? -eq 1 ]
check "... naming the first missing row" \
	grep -q "^audit: BROKEN at row $((rows - 2)): row $((rows - 2)) is missing: .* saw the trail reach row $rows, it now ends at row $((rows - 3)) (rows cut off)" "$d/t.out"
check "... after the chain itself verified" grep -q "^audit: ok, $((rows - 3)) rows, chain intact" "$d/t.out"
"$W" audit verify --cache "$d/cut.db" --anchor "$d/nothing-here.jsonl" >"$d/n.out" 2>&1
check "an --anchor file that does not exist: exit 1" [ $? -eq 1 ]
: >"$d/empty.jsonl"
"$W" audit verify --cache "$d/cut.db" --anchor "$d/empty.jsonl" >"$d/n.out" 2>&1
check "an --anchor file with no anchor of this cache: exit 1" [ $? -eq 1 ]

# Without the key: the anchor still catches the cut; the line says what was not checked.
mv "$key" "$d/key.away"
"$W" audit verify --cache "$d/edit.db" >"$d/k.out" 2>&1
check "no key: an edited keyed row is not seen (exit 0)" [ $? -eq 0 ]
check "... and the line says only the unkeyed hashes were checked" \
	grep -q "^audit: ok as far as it can check: no audit key at $key, so only the unkeyed hashes (none) and the links of $rows rows were checked, not the MACs of rows 1-$rows" "$d/k.out"
"$W" audit verify --cache "$d/cut.db" --anchor "$d/anchors.jsonl" >"$d/kt.out" 2>&1
check "no key: the cut is still caught by the anchor (exit 1)" [ $? -eq 1 ]
check "verify never makes a key" [ ! -e "$key" ]
mv "$d/key.away" "$key"

# A key file others may read is refused, by verify and by the sync.
chmod 644 "$key"
"$W" audit verify --cache "$d/c.db" >"$d/m.out" 2>&1
check "a key file of mode 0644: verify exits 1" [ $? -eq 1 ]
check "... saying chmod 600" grep -q "audit.key: may be read by group or others (mode 0644).*chmod 600" "$d/m.out"
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >/dev/null 2>"$d/ms.err"
check "... and so does the sync" [ $? -eq 1 ]
check "... with the same line" grep -q "may be read by group or others" "$d/ms.err"
chmod 600 "$key"

# The config's audit object: its own anchor file (relative to the config), and
# auto_anchor off.
veh=$(q "$d/c.db" "SELECT id FROM vehicle WHERE deleted=0 AND IFNULL(on_hold,0)=0 ORDER BY id LIMIT 1")
veh2=$(q "$d/c.db" "SELECT id FROM vehicle WHERE deleted=0 AND IFNULL(on_hold,0)=0 ORDER BY id LIMIT 1 OFFSET 1")
jq '. + {audit: {anchor_file: "own-anchors.jsonl"}}' "$d/config.json" >"$d/own.json"
jq '. + {audit: {anchor_file: "off-anchors.jsonl", auto_anchor: false}}' "$d/config.json" >"$d/off.json"
chmod 600 "$d/own.json" "$d/off.json"
"$W" hold "$veh" --reason "brake chamber" --config "$d/own.json" --cache "$d/c.db" >/dev/null 2>"$d/h.err"
check "an action: exit 0" [ $? -eq 0 ]
check "... anchored at its end in audit.anchor_file, beside the config" 	[ "$(jq -r .seq "$d/own-anchors.jsonl")" = "$(q "$d/c.db" "SELECT max(seq) FROM audit")" ]
"$W" hold "$veh2" --reason "tyre" --config "$d/off.json" --cache "$d/c.db" >/dev/null 2>"$d/h2.err"
check "with audit.auto_anchor false: the action is recorded" [ $? -eq 0 ]
check "... and nothing anchored" [ ! -e "$d/off-anchors.jsonl" ]
"$W" audit verify --config "$d/own.json" --cache "$d/c.db" >"$d/own.out" 2>&1
check "verify reads audit.anchor_file: the action after its anchor is not covered" 	grep -q "anchors hold: 1 in $d/own-anchors.jsonl, the newest at row $(($(q "$d/c.db" "SELECT max(seq) FROM audit") - 1)) " "$d/own.out"

# A writer with another key is refused rather than break the chain.
(umask 077 && openssl rand -hex 32 >"$d/other.key")
jq --arg k "$d/other.key" '. + {audit: {key_file: $k, auto_anchor: false}}' "$d/config.json" >"$d/other.json"
chmod 600 "$d/other.json"
before=$(q "$d/c.db" "SELECT count(*) FROM audit")
veh3=$(q "$d/c.db" "SELECT id FROM vehicle WHERE deleted=0 AND IFNULL(on_hold,0)=0 ORDER BY id LIMIT 1 OFFSET 2")
"$W" hold "$veh3" --reason "test" --config "$d/other.json" --cache "$d/c.db" >"$d/o.out" 2>&1
check "an action under another key: not recorded (exit $?)" [ "$(q "$d/c.db" "SELECT count(*) FROM audit")" -eq "$before" ]
check "... saying the trail is keyed with another key" grep -q "keyed with key .*, not with this key" "$d/o.out"
"$W" audit verify --config "$d/other.json" --cache "$d/c.db" >"$d/ov.out" 2>&1
check "verify with another key: exit 1" [ $? -eq 1 ]
check "... naming the key" grep -q "BROKEN at row 1: keyed with key .*, not with the key given" "$d/ov.out"
stop_sim
finish
