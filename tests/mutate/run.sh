#!/bin/sh
# The mutation harness (`make mutate`): applies each mutant of the list alone
# to a copy of the tree in build-mutate/tree (the real sources are never
# edited), builds it (make -j2 tests-built), runs the fast tests against it and
# prints one line per mutant and a score line:
#   mutants: N, killed K, survived S, equivalent E, score P%
# where P = K / (N - E - compile errors). Exits non-zero when a list entry is
# malformed, the unmutated copy fails a test, the score is under
# MUTATE_MIN (95) or a survivor is not marked equivalent.
#
# Tests per mutant: the entry's own `tests` first (unit test names such as
# test_outbox, or integration scripts such as sender.sh, for behaviour the unit
# tests cannot see), then every unit test (test_net* last: the slowest), up to
# the first that fails. The named unit tests are built and run before the
# rest is linked. An integration script may be named with some of its cases
# (sync_limits.sh:down+rewind runs it with WAYBILL_CASES="down rewind").
# A mutant that does not compile is reported apart.
#
# Usage: sh tests/mutate/run.sh [LIST]      (from the top of the repository)
#   MUTATE_ONLY=id,id   run only these mutants
#   MUTATE_CHECK=1      only check the list (every original text found once)
#   MUTATE_KEEP=1       keep build-mutate/tree as it is (no fresh copy)
# List format: tests/mutate/mutants.txt (its header).
set -u
LIST=${1:-tests/mutate/mutants.txt}
ONLY=${MUTATE_ONLY:-}
MIN=${MUTATE_MIN:-95}
ROOT=$(pwd)
M=$ROOT/build-mutate
TREE=$M/tree
LOGS=$M/logs
US=$(printf '\037')
[ -f "$LIST" ] || { echo "mutate: no list $LIST" >&2; exit 2; }
[ -f Makefile ] && [ -d tests/mutate ] || { echo "mutate: run from the repository top" >&2; exit 2; }

# ---- the list -------------------------------------------------------------
# One record per mutant: id US file US from US to US tests US equivalent US why
# (from/to still escaped: \n \t \s \\ are expanded when applied).
mkdir -p "$M" "$LOGS"
RECS=$M/mutants.$$.rec # this run's own: another run may be checking the list
trap 'rm -f "$RECS"' EXIT
awk -v US="$US" '
function flush() {
	if (id == "" && file == "" && hasfrom == 0) return
	if (id == "" || file == "" || !hasfrom || !hasto || why == "") {
		printf "mutate: %s:%d: entry %s needs id, file, from, to and why\n", FILENAME, start, (id == "" ? "?" : id) > "/dev/stderr"
		bad = 1
	}
	if (id in seen) { printf "mutate: %s: id %s used twice\n", FILENAME, id > "/dev/stderr"; bad = 1 }
	seen[id] = 1
	print id US file US from US to US tests US equiv US why
	id = file = from = to = tests = equiv = why = ""; hasfrom = hasto = 0
}
/^[ \t]*#/ { next }
/^[ \t]*$/ { flush(); next }
{
	if (id == "" && file == "" && !hasfrom) start = NR
	k = $0; sub(/:.*/, "", k)
	v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
	if (k == "id") id = v
	else if (k == "file") file = v
	else if (k == "from") { from = v; hasfrom = 1 }
	else if (k == "to") { to = v; hasto = 1 }
	else if (k == "tests") tests = v
	else if (k == "equivalent") equiv = v
	else if (k == "why") why = v
	else { printf "mutate: %s:%d: unknown key \"%s\"\n", FILENAME, NR, k > "/dev/stderr"; bad = 1 }
}
END { flush(); exit bad }' "$LIST" >"$RECS" || exit 2

# apply.awk MODE FILE: count (prints how often MFROM occurs) or apply (prints
# FILE with its one MFROM replaced by MTO); MFROM and MTO come from the
# environment, escaped.
APPLY='
function unesc(s,   o, i, c) {
	o = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" && i < length(s)) {
			i++; c = substr(s, i, 1)
			if (c == "n") c = "\n"; else if (c == "t") c = "\t"; else if (c == "s") c = " "
		}
		o = o c
	}
	return o
}
{ text = text $0 "\n" }
END {
	from = unesc(ENVIRON["MFROM"]); to = unesc(ENVIRON["MTO"])
	n = 0; rest = text; at = 0
	while (from != "" && (i = index(rest, from)) > 0) {
		if (!n) at = i
		n++; rest = substr(rest, i + length(from))
	}
	if (MODE == "count") { print n; exit 0 }
	if (n != 1) exit 1
	printf "%s%s%s", substr(text, 1, at - 1), to, substr(text, at + length(from))
}'

selected() {
	[ -z "$ONLY" ] && return 0
	case ",$ONLY," in *",$1,"*) return 0 ;; esac
	return 1
}

# Every selected entry must name a file whose original text occurs exactly once.
problems=0
nsel=0
while IFS="$US" read -r id file from to tests equiv why; do
	selected "$id" || continue
	nsel=$((nsel + 1))
	if [ ! -f "$file" ]; then
		echo "mutate: $id: no file $file" >&2
		problems=$((problems + 1))
		continue
	fi
	n=$(MFROM=$from MTO=$to awk -v MODE=count "$APPLY" "$file")
	if [ "$n" != 1 ]; then
		printf "mutate: %s: the original text occurs %s times in %s (must be once): %s\n" "$id" "$n" "$file" "$from" >&2
		problems=$((problems + 1))
	fi
	if [ "$from" = "$to" ]; then
		echo "mutate: $id: from and to are the same" >&2
		problems=$((problems + 1))
	fi
	case "$file" in tests/*) echo "mutate: $id: tests are not mutated ($file)" >&2; problems=$((problems + 1)) ;; esac
done <"$RECS"
[ "$problems" -eq 0 ] || { echo "mutate: $problems list problem(s); nothing run" >&2; exit 2; }
[ "$nsel" -gt 0 ] || { echo "mutate: no mutant selected (MUTATE_ONLY=$ONLY)" >&2; exit 2; }
if [ -n "${MUTATE_CHECK:-}" ]; then echo "mutate: $nsel mutants, the list is well formed"; exit 0; fi

# ---- the scratch tree -----------------------------------------------------
CUR=""
cleanup() {
	if [ -n "$CUR" ] && [ -f "$TREE/$CUR.mutate-orig" ]; then
		mv -f "$TREE/$CUR.mutate-orig" "$TREE/$CUR"
		touch "$TREE/$CUR"
	fi
	rm -rf "$M/tmp"
	rm -f "$RECS"
}
trap 'cleanup; echo "mutate: interrupted" >&2; exit 130' INT TERM HUP
trap cleanup EXIT

if [ -z "${MUTATE_KEEP:-}" ] || [ ! -d "$TREE" ]; then
	rm -rf "$TREE"
	mkdir -p "$TREE"
	# The working tree as it is (tracked and new files), not only what is committed.
	git ls-files -co --exclude-standard | grep -v '^build-mutate/' | while read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done | tar -cf - -T - | (cd "$TREE" && tar -xf -)
	# Start from the real build when there is one: only what differs is rebuilt.
	[ -d build ] && cp -a build "$TREE/build"
fi

start=$(date +%s)
cd "$TREE" || exit 2
echo "mutate: building the unmutated copy in build-mutate/tree"
if ! make -j2 tests-built >"$LOGS/base-build.log" 2>&1; then
	echo "mutate: the unmutated tree does not build (build-mutate/logs/base-build.log)" >&2
	exit 2
fi

export WAYBILL_BUILD=build CMOCKA_MESSAGE_OUTPUT=TAP TZ=UTC LC_ALL=C.UTF-8
mkdir -p "$M/tmp"
export XDG_CONFIG_HOME="$M/tmp/config" XDG_CACHE_HOME="$M/tmp/cache" HOME="$M/tmp/home"
unset WAYBILL_CONFIG WAYBILL_CACHE

UNITS=""
for t in build/tests/test_*; do
	case "$t" in *.d | *.o | */test_net*) continue ;; esac
	UNITS="$UNITS ${t#build/tests/}"
done
for t in build/tests/test_net*; do
	case "$t" in *.d | *.o) continue ;; esac
	[ -x "$t" ] && UNITS="$UNITS ${t#build/tests/}"
done

# run_test NAME LOG: 0 when the test passes.
run_test() {
	export WAYBILL_TEST_TMP="$M/tmp/t.$1"
	rm -rf "$WAYBILL_TEST_TMP"
	mkdir -p "$WAYBILL_TEST_TMP" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$HOME"
	case "$1" in
	*.sh:*)
		WAYBILL_CASES=$(echo "${1#*:}" | tr + ' ') \
			timeout 180 sh "tests/integration/${1%%:*}" >"$2" 2>&1
		;;
	*.sh) timeout 180 sh "tests/integration/$1" >"$2" 2>&1 ;;
	*) timeout 120 "build/tests/$1" >"$2" 2>&1 ;;
	esac
	rc=$?
	rm -rf "$WAYBILL_TEST_TMP"
	[ "$rc" -eq 0 ] && ! grep -q '^not ok' "$2"
}

# The tests must pass on the unmutated copy, or a kill means nothing.
base_tests=$(while IFS="$US" read -r id file from to tests equiv why; do
	selected "$id" && printf '%s\n' $tests
done <"$RECS" | sort -u | tr '\n' ' ')
echo "mutate: checking the unmutated copy passes its tests"
for t in $UNITS $base_tests; do
	if ! run_test "$t" "$LOGS/base-$t.log"; then
		echo "mutate: $t fails on the unmutated tree (build-mutate/logs/base-$t.log)" >&2
		exit 2
	fi
done

total=0 killed=0 survived=0 equivalent=0 cerr=0 unmarked=0 wrongmark=0
exec 3<"$RECS"
while IFS="$US" read -r id file from to tests equiv why <&3; do
	selected "$id" || continue
	total=$((total + 1))
	t0=$(date +%s)
	CUR=$file
	cp -p "$file" "$file.mutate-orig"
	MFROM=$from MTO=$to awk -v MODE=apply "$APPLY" "$file.mutate-orig" >"$file"
	verdict="" by="" ran=""
	# The entry's own unit tests first, with only their binaries built: most
	# mutants die there, without linking every program.
	first=""
	for t in $tests; do
		case "$t" in *.sh | *.sh:*) ;; *) first="$first build/tests/$t" ;; esac
	done
	if [ -n "$first" ] && ! make -j2 $first >"$LOGS/$id.build.log" 2>&1; then
		verdict=compile-error
	elif [ -n "$first" ]; then
		for t in $first; do
			t=${t#build/tests/}
			ran="$ran $t"
			if ! run_test "$t" "$LOGS/$id.log"; then
				by=$t
				break
			fi
		done
	fi
	if [ -z "$verdict" ] && [ -z "$by" ]; then
		if ! make -j2 tests-built >>"$LOGS/$id.build.log" 2>&1; then
			verdict=compile-error
		else
			order=""
			for t in $tests $UNITS; do
				case " $order $ran " in *" $t "*) ;; *) order="$order $t" ;; esac
			done
			for t in $order; do
				if ! run_test "$t" "$LOGS/$id.log"; then
					by=$t
					break
				fi
			done
		fi
	fi
	if [ -z "$verdict" ]; then
		verdict=${by:+killed}
		verdict=${verdict:-survived}
	fi
	mv -f "$file.mutate-orig" "$file"
	touch "$file" # newer than the mutant's objects: rebuilt next time
	CUR=""
	dt=$(($(date +%s) - t0))
	case "$verdict" in
	compile-error)
		cerr=$((cerr + 1))
		printf '%-28s compile-error  (%ss) %s\n' "$id" "$dt" "build-mutate/logs/$id.build.log"
		;;
	killed)
		killed=$((killed + 1))
		printf '%-28s killed         (%ss) by %s\n' "$id" "$dt" "$by"
		if [ -n "$equiv" ]; then
			wrongmark=$((wrongmark + 1))
			printf '%-28s   marked equivalent but killed: remove the mark\n' "$id"
		fi
		;;
	survived)
		if [ -n "$equiv" ]; then
			equivalent=$((equivalent + 1))
			printf '%-28s equivalent     (%ss) %s\n' "$id" "$dt" "$equiv"
		else
			survived=$((survived + 1))
			unmarked=$((unmarked + 1))
			printf '%-28s SURVIVED       (%ss) %s: "%s" -> "%s" (%s)\n' "$id" "$dt" "$file" "$from" "$to" "$why"
		fi
		;;
	esac
done
exec 3<&-

end=$(date +%s)
den=$((total - equivalent - cerr))
score=$(awk -v k="$killed" -v d="$den" 'BEGIN { printf "%.1f", (d > 0 ? 100 * k / d : 100) }')
echo "compile errors: $cerr (not counted); run time: $((end - start)) s"
echo "mutants: $total, killed $killed, survived $survived, equivalent $equivalent, score $score%"
ok=$(awk -v s="$score" -v m="$MIN" 'BEGIN { print (s + 0 >= m + 0) ? 1 : 0 }')
[ "$ok" = 1 ] || echo "mutate: score under $MIN%"
[ "$unmarked" -eq 0 ] || echo "mutate: $unmarked survivor(s) neither killed nor marked equivalent"
[ "$ok" = 1 ] && [ "$unmarked" -eq 0 ] && [ "$wrongmark" -eq 0 ]
