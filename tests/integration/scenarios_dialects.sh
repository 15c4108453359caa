# The scenario suite across the telematics dialects (issue 13): every scenario
# of sim/scenarios/ must end in the same open exceptions, the same readiness
# verdicts and the same holds whichever vendor feeds the positions, faults,
# fuel and inspections. For each dialect in ${DIALECTS:-waybill samsara geotab
# traccar} and each scenario: a frozen sim (`--speed 0 --scenario NAME --no-ai
# --dialect D`, so only Waybill's own detectors and workflow judge), one
# `waybill sync --once`, and three lists read from the cache with the vendor's
# vehicle and driver ids mapped back to the canonical ones (sim/dialect_ids.c),
# each compared with the canonical dialect's; a difference prints a diff
# ("-" canonical, "+" the dialect). Then the console, scripted (`--script`, no
# terminal), opens on every board of each dialect's cache and sim.
# A dialect whose kind syncs no vehicles yet (the placeholder kinds on main) is
# reported as skipped with the reason.
. tests/integration/lib.sh

SCENARIOS=$(for f in sim/scenarios/*.scn; do basename "$f" .scn; done)
# The canonical dialect is the reference: it always runs, first. Where
# write_config can add a maintenance source (MAINT=on), "waybill+maint" runs
# next: the canonical telematics with the canonical maintenance source the
# vendors' dialects get, so a difference that comes from the maintenance
# source and not from the vendor shows there too.
with_maint=""
grep -q 'MAINT:-' tests/integration/lib.sh && with_maint="waybill+maint"
DIALECTS=$(echo "waybill $with_maint ${DIALECTS:-waybill samsara geotab traccar}" | tr ' ' '\n' |
	awk 'NF && !seen[$0]++')
# The sim's clock at start (its default --start), for the console's "ago".
SIM_NOW=1741341600

q() { sqlite3 "$1" "$2" </dev/null; }

# canon DIALECT: reads "KIND ID" lines (KIND vehicle or driver) and prints the
# canonical id of each ("V-N", "D-N"); an id not in the dialect's shape prints
# as "?ID", so that it shows in a diff instead of passing for another.
canon() {
	awk -v d="$1" '
	function hexval(s,   i, c, v) {
		v = 0
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789ABCDEF", substr(s, i, 1))
			if (c == 0) return -1
			v = v * 16 + c - 1
		}
		return v
	}
	# The number N in the dialect id id of an entity of kind k, or -1.
	function n_of(k, id,   v) {
		if (d == "waybill") return id ~ /^[VD]-[1-9][0-9]*$/ && substr(id, 1, 1) == (k == "vehicle" ? "V" : "D") ? substr(id, 3) + 0 : -1
		if (d == "geotab") { if (id !~ /^b[1-9A-F][0-9A-F]*$/) return -1; v = hexval(substr(id, 2)) }
		else { if (id !~ /^[1-9][0-9]*$/) return -1; v = id + 0 }
		if (d == "samsara") v -= (k == "vehicle" ? 281474977000000 : 52000000)
		else if (d == "geotab") v -= (k == "vehicle" ? 0 : 65536)
		else if (d == "traccar") v -= (k == "vehicle" ? 0 : 100000)
		else return -1
		return v >= 1 && v <= 100000000 ? v : -1
	}
	{ n = n_of($1, $2); print (n < 0 ? "?" $2 : ($1 == "vehicle" ? "V-" : "D-") n) }'
}

# facts DB DIALECT DIR: writes DIR/exceptions, DIR/readiness, DIR/holds (sorted,
# canonical ids) and DIR/reasons ("V-N|state|reasons", for the diffs' context).
facts() {
	db=$1 fdl=${2%+maint} out=$3
	# (a) open exceptions: kind, subject kind, subject.
	q "$db" "SELECT kind, subject_kind, subject_id FROM exception WHERE deleted=0 AND status='open'" |
		tr '|' ' ' >"$out/exc.raw"
	awk '{print ($2 == "vehicle" || $2 == "driver" ? $2 : "other"), $3}' "$out/exc.raw" | canon "$fdl" >"$out/exc.ids"
	paste -d' ' "$out/exc.raw" "$out/exc.ids" |
		awk '{print $1, $2, ($2 == "vehicle" || $2 == "driver" ? $4 : $3)}' | sort >"$out/exceptions"
	# (b) every vehicle's readiness verdict.
	q "$db" "SELECT vehicle_id, state FROM readiness ORDER BY vehicle_id" | tr '|' ' ' >"$out/rd.raw"
	awk '{print "vehicle", $1}' "$out/rd.raw" | canon "$fdl" >"$out/rd.ids"
	paste -d' ' "$out/rd.ids" "$out/rd.raw" | awk '{print $1, $3}' | sort >"$out/readiness"
	q "$db" "SELECT state, reasons FROM readiness ORDER BY vehicle_id" | paste -d'|' "$out/rd.ids" - >"$out/reasons"
	# (c) holds: vehicles on hold as the cache says, and the holds and work
	# orders Waybill itself queued for the source that owns them (whichever
	# source that is: the telematics one, or a maintenance source).
	{
		# The one reader of a vehicle's facts where the cache has it (the
		# view vehicle_now: a maintenance source's hold over the vehicle's own).
		facts_from=vehicle
		[ -n "$(q "$db" "SELECT 1 FROM sqlite_master WHERE name='vehicle_now'")" ] && facts_from=vehicle_now
		q "$db" "SELECT 'on_hold', id FROM $facts_from WHERE deleted=0 AND on_hold=1"
		q "$db" "SELECT 'queued_' || action, CASE WHEN subject LIKE 'vehicle:%' THEN substr(subject, 9)
		  ELSE coalesce(json_extract(payload, '\$.vehicle_id'), subject) END
		  FROM outbox WHERE action IN ('place_hold', 'clear_hold', 'open_work_order')"
	} | tr '|' ' ' >"$out/hold.raw"
	awk '{print "vehicle", $2}' "$out/hold.raw" | canon "$fdl" | paste -d' ' "$out/hold.raw" - |
		awk '{print $1, $3}' | sort -u >"$out/holds"
}

# limits DIALECT DIR: what the vendor cannot tell us (its page in
# docs/connectors/), taken out of both sides before they are compared, so
# that everything else must still match. Traccar keeps no inspections (no
# unsafe_inspection can be raised from it) and no hours of service (a driver's
# hours are unknown, which leaves a vehicle limited where the canonical
# telematics knows them: such a vehicle counts as ready when that is its only
# reason). Prints one line saying what it took out, or nothing.
limits() {
	case "$1" in
	traccar)
		for side in "$T/waybill-${2##*/traccar-}" "$2"; do
			grep -v '^unsafe_inspection ' "$side/exceptions" >"$side/exceptions.l" || true
		done
		awk -F'|' '$2 == "limited" {
			n = split($3, r, "; "); only = n > 0
			for (i = 1; i <= n; i++) if (r[i] !~ /hours of service unknown/) only = 0
			if (only) print $1 }' "$2/reasons" | sort >"$2/hours.l"
		awk 'NR == FNR { h[$1] = 1; next } ($1 in h) { $2 = "ready" } 1' "$2/hours.l" \
			"$2/readiness" | sort >"$2/readiness.l"
		echo "no inspections, no hours of service ($(wc -l <"$2/hours.l") vehicles limited only by unknown hours)"
		;;
	esac
}

# The harness's own mapping, on ids written from sim/dialect_ids.c's schemes.
printf 'vehicle 281474977000015\ndriver 52000007\nvehicle 1\n' | canon samsara >"$T/canon.samsara"
printf 'vehicle bF\ndriver b10007\nvehicle b10\ndriver 7\n' | canon geotab >"$T/canon.geotab"
printf 'vehicle 15\ndriver 100007\nvehicle V-15\n' | canon traccar >"$T/canon.traccar"
check "the id mapping: samsara 281474977000015 is V-15, 52000007 D-7, a foreign id stays foreign" \
	[ "$(tr '\n' ' ' <"$T/canon.samsara")" = "V-15 D-7 ?1 " ]
check "the id mapping: geotab bF is V-15, b10007 D-7, b10 V-16" \
	[ "$(tr '\n' ' ' <"$T/canon.geotab")" = "V-15 D-7 V-16 ?7 " ]
check "the id mapping: traccar 15 is V-15, 100007 D-7" \
	[ "$(tr '\n' ' ' <"$T/canon.traccar")" = "V-15 D-7 ?V-15 " ]

# compare NAME DIALECT SCENARIO LIST: the dialect's list against the canonical
# one. A difference is printed as a diff, "-" canonical and "+" the dialect;
# for readiness, vehicle by vehicle ("V-1 limited -> ready", the verdicts
# counted by change first) with both sides' reasons for the first few.
compare() {
	want="$T/waybill-$3/$4" got="$T/$2-$3/$4" dd="$T/$2-$3/$4.diff"
	# A vendor's documented limits (limits above) compare the lists without them.
	[ -f "$got.l" ] && got="$got.l"
	[ -f "$want.l" ] && [ "$4" = exceptions ] && [ -f "$T/$2-$3/exceptions.l" ] && want="$want.l"
	if diff -u "$want" "$got" >"$dd"; then
		ok "$1"
		return
	fi
	if [ "$4" != readiness ]; then
		not_ok "$1" "$4 differ ($(grep -c '^[-+][^-+]' "$dd") lines; - waybill, + $2):"
		tail -n +3 "$dd" | grep '^[-+]' | head -n 30 | sed 's/^/#   /'
		return
	fi
	join -a 1 -a 2 -e none -o 0,1.2,2.2 "$want" "$got" | awk '$2 != $3' >"$dd"
	not_ok "$1" "$(wc -l <"$dd") verdicts differ (waybill -> $2): $(awk '{print $2 " -> " $3}' "$dd" |
		sort | uniq -c | awk '{printf "%s%d %s %s %s", (NR > 1 ? ", " : ""), $1, $2, $3, $4}')"
	head -n 30 "$dd" | awk '{printf "#   %s %s -> %s\n", $1, $2, $3}'
	head -n 3 "$dd" | while read -r v _ _; do
		for side in waybill "$2"; do
			echo "#   $side $v: $(grep "^$v|" "$T/$side-$3/reasons" | cut -d'|' -f2- | head -n 1)"
		done
	done
}

# rows DIR N: "Board N" from board N's footer ("─ Vehicles · 60 rows · sort ...").
rows() { sed -n 's/^─ \([^·]*\) · \([0-9]*\) rows\{0,1\} .*/\1\2/p' "$1/board$2" 2>/dev/null; }

# console DIALECT DIR (sh has no locals: its names are its own): the scripted console on DIR's cache and sim, every board.
case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
THEMES="$(pwd)/themes"
console() {
	cdl=$1 cdir=$2
	: >"$cdir/keys"
	for b in 1 2 3 4 5 6 7 8 9; do printf '%s\n:save-display board%s\n' "$b" "$b" >>"$cdir/keys"; done
	(cd "$cdir" && env TZ=UTC LC_ALL=C.UTF-8 TERM=xterm-256color LINES=24 COLUMNS=100 \
		WAYBILL_NOW=$SIM_NOW WAYBILL_THEMES="$THEMES" \
		timeout 60 "$AW" --config config.json --cache c.db --script keys >console.out 2>console.err)
	crc=$?
	check "$cdl: the console opens on the synced cache and quits with 0 (exit $crc)" [ "$crc" -eq 0 ]
	check "$cdl: ... nothing written on stderr" [ ! -s "$cdir/console.err" ]
	missing=""
	for b in 1 2 3 4 5 6 7 8 9; do
		grep -q '^ 1 Loads .* 9 Bill' "$cdir/board$b" 2>/dev/null || missing="$missing $b"
		grep -q '^─ ' "$cdir/board$b" 2>/dev/null || missing="$missing $b(footer)"
	done
	check "$cdl: every board opens (tabs and footer drawn)${missing:+; not on:$missing}" [ -z "$missing" ]
	if [ "$cdl" = waybill ]; then return 0; fi
	# The boards whose rows do not depend on the kind count the same rows.
	for b in 1 2 3 5 9; do
		w=$(rows "$T/waybill-console" "$b") g=$(rows "$cdir" "$b")
		# Traccar keeps no inspections (limits below): the Exceptions board
		# lacks the canonical dialect's unsafe_inspection rows.
		if [ "$cdl" = traccar ] && [ "$b" = 5 ] && [ -n "$w" ]; then
			nin=$(q "$T/waybill-console/c.db" "SELECT count(*) FROM exception
			  WHERE deleted=0 AND kind='unsafe_inspection'")
			w="Exceptions$((${w#Exceptions} - nin))"
		fi
		check "$cdl: board $b shows as many rows as on the canonical dialect (${g:-none} vs ${w:-none})" \
			[ -n "$g" -a "$g" = "$w" ]
	done
}

# unfinished DIALECT DIR RC (sync's exit status): prints why the dialect is not written yet, or nothing.
# The placeholders on main: the sim's dialect answers every vendor path 501
# (sim/dialect_<d>.c), and the kind offers no streams (or, for a kind that
# signs in, is refused by the config: it has no sign-in yet). A kind that is
# written but syncs no vehicles is a failure, not a skip.
unfinished() {
	code=$(curl -s -o /dev/null -w '%{http_code}' "$TEL/" 2>/dev/null)
	[ "$code" = 501 ] || return 0
	if [ "$3" -ne 0 ]; then
		printf 'the sim does not serve the %s dialect yet (501), and sync --once refused the config: %s' "$1" \
			"$(grep -v '^ *$' "$2/err" | tail -n 1 | sed 's/^waybill: [^ ]*config.json: //' | cut -c1-100)"
	else
		printf 'the sim does not serve the %s dialect yet (501), and the %s kind offers no telematics streams' "$1" "$1"
	fi
}

CONSOLE_SCENARIO=maintenance-hold
for dl in $DIALECTS; do
	skip=""
	for sc in $SCENARIOS; do
		d="$T/$dl-$sc"
		MAINT=""
		[ "$dl" = waybill+maint ] && MAINT=on
		if ! start_sim "$d" --speed 0 --scenario "$sc" --no-ai --dialect "${dl%+maint}"; then
			not_ok "$dl $sc: sim started"
			continue
		fi
		"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
		rc=$?
		nveh=$(q "$d/c.db" "SELECT count(*) FROM vehicle WHERE deleted=0" 2>/dev/null)
		if [ "${dl%+maint}" != waybill ] && [ "${nveh:-0}" -eq 0 ]; then
			why=$(unfinished "$dl" "$d" "$rc")
			stop_sim
			if [ -n "$why" ]; then skip=$why; break; fi
			not_ok "$dl $sc: the $dl kind syncs the vehicles (exit $rc)" "$(tail -n 3 "$d/err")"
			continue
		fi
		if [ "$sc" = "$CONSOLE_SCENARIO" ]; then
			mkdir -p "$T/$dl-console"
			cp "$d/config.json" "$T/$dl-console/"
			cp "$d/c.db" "$T/$dl-console/"
			console "$dl" "$T/$dl-console"
		fi
		stop_sim
		if [ $rc -ne 0 ]; then
			not_ok "$dl $sc: sync --once exits 0" "exit $rc" "$(tail -n 3 "$d/err")"
			continue
		fi
		facts "$d/c.db" "$dl" "$d"
		if [ "$dl" = waybill ]; then
			check "$sc: the canonical dialect judges every vehicle ($nveh)" \
				[ "$(wc -l <"$d/readiness")" -eq "$nveh" -a "$nveh" -gt 0 ]
			check "$sc: the canonical dialect opens exceptions" [ -s "$d/exceptions" ]
			continue
		fi
		if [ ! -s "$T/waybill-$sc/readiness" ]; then
			not_ok "$dl $sc: the canonical dialect's results to compare with"
			continue
		fi
		nw=$(q "$T/waybill-$sc/c.db" "SELECT count(*) FROM vehicle WHERE deleted=0")
		check "$dl $sc: as many vehicles as the canonical dialect ($nveh vs $nw)" [ "$nveh" -eq "$nw" ]
		rm -f "$T/waybill-$sc/exceptions.l"
		lim=$(limits "$dl" "$d")
		[ -n "$lim" ] && echo "# $dl $sc: left out of the comparison, as $dl cannot tell them: $lim"
		compare "$dl $sc: the same open exceptions as the canonical dialect" "$dl" "$sc" exceptions
		compare "$dl $sc: the same readiness verdicts" "$dl" "$sc" readiness
		compare "$dl $sc: the same holds (on hold, holds and work orders queued)" "$dl" "$sc" holds
	done
	if [ -n "$skip" ]; then
		echo "ok - $dl: the scenario suite and the console # SKIP $skip"
	fi
done
finish
