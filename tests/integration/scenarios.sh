# Scenario tests (issue 5): for each waybill-sim scenario, a frozen sim and
# `waybill sync --once`; the cache must hold the exceptions the scenario's truth
# expects from the AI service. Then the same scenario with --no-ai: the local
# detectors, which run as part of sync, must raise the kinds they own on their
# own. Also: `waybill kpi --json` and `waybill audit verify` after the detectors.
. tests/integration/lib.sh

SCENARIOS="route-change failed-delivery partial-shipment subcontracted-leg maintenance-hold
fuel-anomaly invoice-dispute late-eta detention"
KINDS=$(printf ' %s ' late_eta missed_window fuel_anomaly idle_excess critical_fault unsafe_inspection \
	detention pod_mismatch invoice_dispute charge_out_of_tolerance partial_shipment failed_delivery \
	route_change subcontracted_leg)

# sync_scenario NAME DIR [sim options...]: a frozen sim with the scenario, one
# sync --once into DIR/c.db, and DIR/facts (expect subject_kind subject_id related_id).
sync_scenario() {
	sc=$1 d=$2; shift 2
	if ! start_sim "$d" --speed 0 --scenario "$sc" "$@"; then not_ok "$sc $*: sim started"; return 1; fi
	"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
	rc=$?
	admin truth | jq -r '.scenario.facts[] | "\(.expect) \(.subject_kind) \(.subject_id) \(.related_id // "")"' >"$d/facts"
	stop_sim
	if [ $rc -ne 0 ]; then not_ok "$sc $*: sync --once exits 0" "exit $rc" "$(tail -n 3 "$d/err")"; return 1; fi
	[ -s "$d/facts" ] || { not_ok "$sc $*: the truth lists the scenario's facts"; return 1; }
	return 0
}

q() { sqlite3 "$1" "$2" </dev/null; }

for sc in $SCENARIOS; do
	d="$T/ai-$sc"
	sync_scenario "$sc" "$d" || continue
	while read -r kind skind sid rel; do
		# Facts about state rather than exceptions (maintenance-hold's
		# hold_blocks_release) belong to the gate tests.
		case "$KINDS" in *" $kind "*) ;; *) continue ;; esac
		want=$(want_subject "$kind" "$skind")
		check "$sc: the truth files $kind on a $want" [ "$skind" = "$want" ]
		n=$(q "$d/c.db" "SELECT count(*) FROM exception WHERE deleted=0 AND kind='$kind'
		  AND subject_kind='$want' AND subject_id='$sid' AND origin!='local' AND source!='local'")
		name="$sc: the AI service's $kind on $want $sid is in the cache"
		if [ "$n" -ge 1 ]; then ok "$name"
		else not_ok "$name" "$(q "$d/c.db" "SELECT id, subject_kind, subject_id FROM exception
		  WHERE kind='$kind' AND origin!='local'" | head -n 5)"; fi
	done <"$d/facts"
	n=$(q "$d/c.db" "SELECT count(*) FROM exception WHERE deleted=0 AND (source='local') != (origin='local')")
	check "$sc: local exceptions, and only they, have source and origin local" [ "$n" -eq 0 ]
done

for sc in $SCENARIOS; do
	d="$T/local-$sc"
	sync_scenario "$sc" "$d" --no-ai || continue
	check "$sc --no-ai: only local exceptions" \
		[ "$(q "$d/c.db" "SELECT count(*) FROM exception WHERE deleted=0 AND origin!='local'")" -eq 0 ]
	check "$sc --no-ai: the detectors ran as part of sync" grep -q "local detectors: [0-9]* raised" "$d/err"
	while read -r kind skind sid rel; do
		case "$LOCAL_KINDS" in *" $kind "*) ;; *) continue ;; esac
		want=$(want_subject "$kind" "$skind")
		n=$(q "$d/c.db" "SELECT count(*) FROM exception WHERE deleted=0 AND kind='$kind'
		  AND origin='local' AND source='local' AND status='open' AND id='X-$kind-'||subject_id
		  AND subject_kind='$want' AND subject_id='$sid'")
		name="$sc --no-ai: the local detectors raise $kind on $want $sid"
		if [ "$n" -ge 1 ]; then
			ok "$name"
		else
			not_ok "$name" "$(q "$d/c.db" "SELECT id, subject_kind FROM exception WHERE kind='$kind'" | head -n 5)"
		fi
	done <"$d/facts"
done

# On the last --no-ai cache: each raised exception audited once, the chain
# whole, one row per subject and kind, and the KPIs.
d="$T/local-detention"
if [ -s "$d/c.db" ]; then
	raised=$(q "$d/c.db" "SELECT count(*) FROM exception WHERE source='local'")
	audited=$(q "$d/c.db" "SELECT count(*) FROM audit WHERE action='raise_exception' AND user='waybill' AND role='system'")
	check "one audit row per raised exception ($raised)" [ "$raised" -gt 0 -a "$raised" -eq "$audited" ]
	check "the audit chain verifies after the detectors raised exceptions" "$W" audit verify --cache "$d/c.db"
	check "one local exception per subject and kind" \
		[ "$(q "$d/c.db" "SELECT count(*) FROM (SELECT 1 FROM exception WHERE source='local'
		  GROUP BY kind, subject_id HAVING count(*) > 1)")" -eq 0 ]
	"$W" kpi --json --cache "$d/c.db" >"$d/kpi.json" 2>"$d/kpi.err"
	check "kpi --json exits 0 and prints one JSON object" jq -e 'type == "object"' "$d/kpi.json"
	check "kpi --json has every KPI key" jq -e 'has("on_time_pct") and has("dispatch_cycle_s") and
	  has("asset_utilization_pct") and has("maintenance_downtime_pct") and has("pod_completion_s") and
	  has("invoice_cycle_s") and has("dso_days") and (.exception_resolution_s | has("median") and has("p90"))
	  and has("empty_miles_pct") and has("detention_s") and has("route_profit") and
	  (.ai_precision | type == "object" and has("late_eta"))' "$d/kpi.json"
	check "kpi --json: on-time % within 0..100" jq -e '.on_time_pct >= 0 and .on_time_pct <= 100' "$d/kpi.json"
	check "kpi without --json prints a table" sh -c "'$W' kpi --cache '$d/c.db' | grep -q 'On-time delivery'"
fi

finish
