# KPIs through the sync engine: `sync --once` ends with the local pass, which
# samples every KPI once into the 5-minute bucket of the data's time; a second
# run replaces that bucket's samples instead of adding; the samples agree with
# `waybill kpi --json`, whose keys stay the documented ones.
. tests/integration/lib.sh
q() { sqlite3 "$1" "$2"; }

d=$T/kpi
if ! start_sim "$d"; then
	not_ok "sim started"
	finish
fi
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
check "sync --once exits 0" [ $? -eq 0 ]
check "the local pass sampled the KPIs" grep -q "local kpis: 14 sampled at" "$d/err"
check "one sample per KPI, all in one bucket" \
	[ "$(q "$d/c.db" "SELECT count(*) || '/' || count(DISTINCT name) || '/' || count(DISTINCT at) FROM kpi_sample")" = 14/14/1 ]
check "the bucket is a multiple of 5 minutes" [ "$(q "$d/c.db" "SELECT max(at) % 300 FROM kpi_sample")" -eq 0 ]
"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out2" 2>"$d/err2"
check "still one sample per KPI per bucket after a second pass" \
	[ "$(q "$d/c.db" "SELECT count(*) = 14 * count(DISTINCT at) FROM kpi_sample")" -eq 1 ]
"$W" kpi --json --cache "$d/c.db" >"$d/kpi.json" 2>"$d/kpi.err"
check "kpi --json keys unchanged" jq -e 'keys == ["ai_precision","asset_utilization_pct","detention_s",
  "dispatch_cycle_s","dso_days","dwell_s","empty_miles_pct","exception_resolution_s","invoice_cycle_s",
  "maintenance_downtime_pct","now","on_time_pct","pod_completion_s","route_profit"]' "$d/kpi.json"
at=$(q "$d/c.db" "SELECT max(at) FROM kpi_sample")
ot=$(q "$d/c.db" "SELECT ifnull(value, 'null') FROM kpi_sample WHERE name='on_time_pct' AND at=$at")
check "the on-time sample is what kpi --json says, to its 6 digits ($ot)" \
	jq -e --argjson v "$ot" 'if $v == null then .on_time_pct == null else (.on_time_pct - $v | fabs) < 1e-3 end' \
	"$d/kpi.json"
stop_sim
cleanup
finish
