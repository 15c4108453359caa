# `waybill kpi` and the config: it loads the config at --config, or at the
# default path when a file is there, and counts detention from the configured
# detectors.detention_free_s (the detectors' own); the table shows amounts in
# the configured currency; --json keeps its keys and SI values, byte for byte
# the same with a config of defaults as with none; an explicit --config that
# does not load is one line and exit 1.
. tests/integration/lib.sh

SEED="$WAYBILL_BUILD/tests/tools/seed_cache"
d=$T/settings
rm -rf "$d"
mkdir -p "$d/xdg/waybill" "$d/empty"
"$SEED" "$d/c.db" --now 1718020800 >"$d/seed.log" 2>&1 || { not_ok "seeding" "$(cat "$d/seed.log")"; finish; }
# One drop detained: at the door from its window's start, gone 4 h later.
sqlite3 "$d/c.db" "UPDATE stop SET arrived_at=window_start, departed_at=window_start+4*3600, status='departed' WHERE id='S-1042-2'"

# config FILE EXTRA: a config (mode 0600) with EXTRA keys beside the sources.
config() {
	(umask 077 && cat >"$1" <<JSON
{$2 "sources": {
  "erp": {"kind": "waybill", "url": "http://127.0.0.1:9", "token": "settings-test-token"},
  "tms": {"kind": "waybill", "url": "http://127.0.0.1:9", "token": "settings-test-token"},
  "telematics": {"kind": "waybill", "url": "http://127.0.0.1:9", "token": "settings-test-token"}}}
JSON
	)
}
config "$d/plain.json" ""
config "$d/free.json" '"detectors": {"detention_free_s": 3600}, "currency": "USD",'
config "$d/xdg/waybill/config.json" '"detectors": {"detention_free_s": 5400}, "currency": "CHF",'

# kpi ARGS...: waybill kpi on the cache with no config in the environment.
kpi() { env -u WAYBILL_CONFIG XDG_CONFIG_HOME="$d/empty" "$W" kpi --cache "$d/c.db" "$@"; }
detention() { sed -n 's/^  Detention per stop *\([0-9.]*\) s$/\1/p' "$1"; }

kpi >"$d/none.txt" 2>"$d/none.err"
check "no config: detention past the default 2 h free time" [ "$(detention "$d/none.txt")" = 7200.00 ]
check "no config: amounts in EUR" grep -q "^  Margin per load .* EUR$" "$d/none.txt"
kpi --config "$d/free.json" >"$d/free.txt" 2>"$d/free.err"
check "detention_free_s 3600: an hour more of detention" [ "$(detention "$d/free.txt")" = 10800.00 ]
check "currency USD: amounts in USD" grep -q "^  Margin per load .* USD$" "$d/free.txt"
check "currency USD: route margins in USD" grep -q "^  Depot North -> Store 200 .* USD (1 loads)$" "$d/free.txt"
env -u WAYBILL_CONFIG XDG_CONFIG_HOME="$d/xdg" "$W" kpi --cache "$d/c.db" >"$d/xdg.txt" 2>&1
check "the config at the default path is read" [ "$(detention "$d/xdg.txt")" = 9000.00 ]
check "an unknown symbol: the code" grep -q "^  Margin per load .* CHF$" "$d/xdg.txt"

kpi --json >"$d/none.json"
kpi --json --config "$d/plain.json" >"$d/plain.json.out"
check "kpi --json: a config of defaults prints the same bytes as none" cmp -s "$d/none.json" "$d/plain.json.out"
kpi --json --config "$d/free.json" >"$d/free.json.out"
check "kpi --json: same keys with a config" jq -e --slurpfile a "$d/none.json" 'keys == ($a[0] | keys)' "$d/free.json.out"
check "kpi --json: detention in seconds by the configured free time" jq -e '.detention_s == 10800' "$d/free.json.out"

kpi --config "$d/missing.json" >"$d/missing.out" 2>"$d/missing.err"
rc=$?
check "an explicit --config that does not load: exit 1" [ "$rc" -eq 1 ]
check "... one line naming the file" sh -c "[ \$(wc -l <'$d/missing.err') -eq 1 ] && grep -q missing.json '$d/missing.err'"
check "... and nothing on stdout" [ ! -s "$d/missing.out" ]
finish
