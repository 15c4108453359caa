# Screen tests: each tests/screen/NAME.keys is played by the console in
# scripted mode (no terminal: ncurses on /dev/null, 80x24, TZ=UTC, a fixed
# clock) against a cache seeded by build/tests/tools/seed_cache. Every
# :save-display and :save-attrs dump the script makes, in script order, is
# compared with tests/screen/NAME.expected. UPDATE=1 rewrites the expected files.
# A script may start with "# env: VAR=value ...", "# args: --option ...",
# "# seed: none" (an empty cache), "# config: JSON" (written to config.json,
# mode 0600, in the test's directory and passed as --config; a scripted console
# never reaches the sources it names) and "# sql: STATEMENTS" lines; each sql line
# runs with sqlite3 on the seeded cache, in order, before the console starts
# (for rows the seed tool does not write, such as readiness verdicts). Inside
# a script, ":run COMMAND" runs a command in the test's directory (where
# cache.db is) while the console is open, as another process writing the cache.
. tests/integration/lib.sh

SEED="$WAYBILL_BUILD/tests/tools/seed_cache"
NOW=1718020800
if [ ! -x "$SEED" ] || [ ! -x "$W" ]; then
	not_ok "screen tests need $W and $SEED (make tests-built)"
	finish
fi

case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
THEMES="$(pwd)/themes"

for keys in tests/screen/*.keys; do
	name=$(basename "$keys" .keys)
	d="$T/$name"
	rm -rf "$d"
	mkdir -p "$d"
	if grep -q '^# seed: none' "$keys"; then
		: # an empty cache: the console creates it
	elif ! "$SEED" "$d/cache.db" --now "$NOW" >"$d/seed.log" 2>&1; then
		not_ok "$name: seeding the cache" "$(cat "$d/seed.log")"
		continue
	fi
	if ! sed -n 's/^# sql: //p' "$keys" | while IFS= read -r q; do
		sqlite3 "$d/cache.db" "$q" || exit 1
	done 2>"$d/sql.log"; then
		not_ok "$name: a # sql: line failed" "$(cat "$d/sql.log")"
		continue
	fi
	cp tests/screen/*.theme "$d/" 2>/dev/null
	envs=$(sed -n 's/^# env: //p' "$keys" | head -n 1)
	args=$(sed -n 's/^# args: //p' "$keys" | head -n 1)
	cfg=$(sed -n 's/^# config: //p' "$keys" | head -n 1)
	if [ -n "$cfg" ]; then
		(umask 077 && printf '%s\n' "$cfg" >"$d/config.json")
		args="--config ./config.json $args"
	fi
	abs_keys="$(pwd)/$keys"
	# shellcheck disable=SC2086
	(cd "$d" && env TZ=UTC LC_ALL=C.UTF-8 TERM=xterm-256color LINES=24 COLUMNS=80 \
		WAYBILL_NOW=$NOW WAYBILL_THEMES="$THEMES" WAYBILL_DEPOT= $envs \
		timeout 30 "$AW" --cache cache.db $args --script "$abs_keys" \
		>"$d/stdout" 2>"$d/stderr")
	rc=$?
	: >"$d/actual"
	for f in $(sed -n 's/^:save-\(display\|attrs\) //p' "$keys"); do
		echo "=== $f" >>"$d/actual"
		if [ -f "$d/$f" ]; then cat "$d/$f" >>"$d/actual"; else echo "(not written)" >>"$d/actual"; fi
	done
	expected="tests/screen/$name.expected"
	if [ "$rc" -ne 0 ]; then
		not_ok "$name: waybill exited $rc" "$(cat "$d/stderr" | head -n 20)"
		continue
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$d/actual" "$expected"
		ok "$name (expected screens rewritten)"
	elif [ ! -f "$expected" ]; then
		not_ok "$name: no $expected" "to create it: UPDATE=1 sh tests/run.sh $WAYBILL_BUILD screen"
	elif diff -u "$expected" "$d/actual" >"$d/diff"; then
		ok "$name"
	else
		not_ok "$name: the screen differs from $expected" "$(sed 's/^/  /' "$d/diff" | head -n 40)" \
			"if the new screen is right: UPDATE=1 sh tests/run.sh $WAYBILL_BUILD screen"
	fi
done
finish
