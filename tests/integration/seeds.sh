# The local detectors over many worlds (issue 11 item 9): for each simulator
# seed in SEEDS and each scenario whose story plants a kind the local detectors
# own, a frozen sim with --no-ai and one `waybill sync --once`; every planted
# fact of such a kind must be raised on its subject, and no fuel anomaly but a
# planted one (the sim's own refuels are at the depot, within the tank). One
# TAP line per planted fact, then a summary line:
#   seeds N, stories N (N not playable), facts N, raised N, missed N, unplanted fuel_anomaly N
# `make test` runs a short list; `make seeds` the first 50 seeds (SEEDS="...").
. tests/integration/lib.sh

SEEDS=${SEEDS:-"2 3 4 5"}
SCENARIOS=${SEED_SCENARIOS:-"failed-delivery partial-shipment maintenance-hold fuel-anomaly
invoice-dispute late-eta detention"}
# Outside tests/run.sh: no user config, cache or key is read or written.
if [ -z "${WAYBILL_TEST_TMP:-}" ]; then
	export XDG_CONFIG_HOME="$T/xdg-config" XDG_CACHE_HOME="$T/xdg-cache" HOME="$T/home"
	mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$HOME"
	export TZ=UTC
	trap 'cleanup; rm -rf "$T"' EXIT INT TERM
fi

q() { sqlite3 "$1" "$2" </dev/null; }

n_seeds=0 n_stories=0 n_unplayable=0 n_facts=0 n_raised=0 n_missed=0 n_unplanned=0
for seed in $SEEDS; do
	n_seeds=$((n_seeds + 1))
	for sc in $SCENARIOS; do
		n_stories=$((n_stories + 1))
		d="$T/$seed-$sc"
		if ! start_sim "$d" --speed 0 --seed "$seed" --scenario "$sc" --no-ai; then
			# The world has no record the story can be played on (sim says so).
			n_unplayable=$((n_unplayable + 1))
			echo "# seed $seed $sc: not playable: $(cat "$d/sim.err")"
			continue
		fi
		"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
		rc=$?
		admin truth | jq -r '.scenario.facts[] | "\(.expect) \(.subject_kind) \(.subject_id) \(.related_id // "")"' >"$d/facts"
		stop_sim
		if [ $rc -ne 0 ]; then
			not_ok "seed $seed $sc: sync --once exits 0" "exit $rc" "$(tail -n 3 "$d/err")"
			continue
		fi
		fuel_planted=""
		while read -r kind skind sid rel; do
			case "$LOCAL_KINDS" in *" $kind "*) ;; *) continue ;; esac
			want=$(want_subject "$kind" "$skind")
			[ "$kind" = fuel_anomaly ] && fuel_planted="$sid"
			n_facts=$((n_facts + 1))
			n=$(q "$d/c.db" "SELECT count(*) FROM exception WHERE deleted=0 AND kind='$kind'
			  AND origin='local' AND source='local' AND status='open'
			  AND subject_kind='$want' AND subject_id='$sid'")
			name="seed $seed $sc: $kind on $want $sid ($rel)"
			if [ "$n" -ge 1 ]; then
				n_raised=$((n_raised + 1))
				ok "$name raised"
			else
				n_missed=$((n_missed + 1))
				not_ok "$name missed" "$(q "$d/c.db" "SELECT id, subject_kind, subject_id FROM exception
				  WHERE kind='$kind'" | head -n 5)"
			fi
		done <"$d/facts"
		u=$(q "$d/c.db" "SELECT group_concat(subject_id, ' ') FROM exception WHERE deleted=0
		  AND kind='fuel_anomaly' AND source='local' AND subject_id!='$fuel_planted'")
		if [ -z "$u" ]; then
			ok "seed $seed $sc: no fuel_anomaly but the planted one"
		else
			n_unplanned=$((n_unplanned + $(echo "$u" | wc -w)))
			not_ok "seed $seed $sc: no fuel_anomaly but the planted one" "raised on $u"
		fi
		rm -rf "$d"
	done
done
echo "# seeds $n_seeds, stories $n_stories ($n_unplayable not playable), facts $n_facts," \
	"raised $n_raised, missed $n_missed, unplanted fuel_anomaly $n_unplanned"
finish
