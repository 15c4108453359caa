# waybill's foundation commands, and every bad cache a user can hand it.
. tests/integration/lib.sh

# run CMD...: captures exit code, stdout and stderr of a waybill command.
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
one_line_err() { [ "$(wc -l <"$T/err")" -eq 1 ]; }
err_has() { grep -q -- "$1" "$T/err"; }
# check_err NAME RC TEXT: the command exited RC and its stderr says TEXT (both
# halves are reported: `check NAME [..] && err_has ..` would drop the second).
check_err() {
	if [ "$rc" -eq "$2" ] && err_has "$3"; then ok "$1"; else not_ok "$1" "exit $rc (want $2)" "stderr: $(head -c 300 "$T/err")"; fi
}
# check_err1: the same, and stderr is one line.
check_err1() {
	if one_line_err && err_has "$2"; then ok "$1"; else not_ok "$1" "stderr: $(head -c 300 "$T/err")"; fi
}

run "$W" --version
check "--version prints the version" [ $rc -eq 0 ]
check "--version text" grep -qx "waybill $(cat VERSION)" "$T/out"
run "$W" --help
check "--help exits 0 and lists the commands" [ $rc -eq 0 -a -n "$(grep 'cache info' "$T/out")" ]
run "$W" frobnicate
check "an unknown command exits 2 with a hint" [ $rc -eq 2 ]
check "the hint names the command" err_has 'unknown command "frobnicate"'
run "$W" --nope
check "an unknown option exits 2" [ $rc -eq 2 ]

# A new cache, then the same cache again. LATEST: the schema this waybill
# migrates to, one per entry of cache/schema.c's migrations[].
LATEST=$(grep -c '^	migration_[0-9]*,$' cache/schema.c)
run "$W" cache info --cache "$T/new.db"
check "cache info on a new cache exits 0" [ $rc -eq 0 ]
check "cache info names the file" grep -q "$T/new.db" "$T/out"
check "cache info shows the schema version" grep -q "^schema  $LATEST " "$T/out"
check "cache info counts the loads table" grep -Eq '^  load +0$' "$T/out"
run "$W" cache info --cache "$T/new.db"
check "cache info on an existing cache exits 0" [ $rc -eq 0 ]

# Paths: $WAYBILL_CACHE, then XDG.
WAYBILL_CACHE="$T/env.db" run "$W" cache info
check "WAYBILL_CACHE is honoured" [ $rc -eq 0 -a -f "$T/env.db" ]
XDG_CACHE_HOME="$T/xdg" run "$W" cache info
check "the XDG cache directory is used and created" [ $rc -eq 0 -a -f "$T/xdg/waybill/cache.db" ]
check "the XDG cache directory is private" [ "$(stat -c %a "$T/xdg/waybill")" = 700 ]

# Not a database at all.
head -c 8192 /dev/urandom >"$T/junk.db"
cp "$T/junk.db" "$T/junk.orig"
run "$W" cache info --cache "$T/junk.db"
check "a file that is not a database exits 1" [ $rc -eq 1 ]
check "... with one line naming the file" one_line_err
check "... that says it is not a cache" err_has "$T/junk.db: not a Waybill cache"
check "... and leaves the file untouched" cmp -s "$T/junk.db" "$T/junk.orig"

# Somebody else's SQLite database.
sqlite3 "$T/other.db" "CREATE TABLE notes(x); INSERT INTO notes VALUES('keep me');"
run "$W" cache info --cache "$T/other.db"
check_err "another application's database is refused" 1 "not a Waybill cache"
check "... and keeps its data" [ "$(sqlite3 "$T/other.db" 'SELECT x FROM notes')" = "keep me" ]

# A schema newer than this binary.
"$W" cache info --cache "$T/newer.db" >/dev/null 2>&1
sqlite3 "$T/newer.db" "PRAGMA user_version=99"
sum_before=$(md5sum <"$T/newer.db")
run "$W" cache info --cache "$T/newer.db"
check "a newer schema exits 1" [ $rc -eq 1 ]
check "... saying so in one line" one_line_err
check "... naming both versions" err_has "version 99 is newer than this waybill knows ($LATEST)"
check "... and leaves the file as it was" [ "$(md5sum <"$T/newer.db")" = "$sum_before" ]

# A directory that is not a directory, and one that does not exist.
run "$W" cache info --cache "$T/nowhere/c.db"
check_err "a missing directory is named" 1 "directory $T/nowhere does not exist"

# A read-only directory. Root ignores permission bits, so as root use a
# read-only mount in a private mount namespace.
mkdir -p "$T/ro"
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	unshare -m sh -c "mount -t tmpfs -o ro tmpfs '$T/ro' && exec '$W' cache info --cache '$T/ro/c.db'" >"$T/out" 2>"$T/err"
	rc=$?
else
	chmod 555 "$T/ro"
	run "$W" cache info --cache "$T/ro/c.db"
	chmod 755 "$T/ro"
fi
check "a read-only directory exits 1" [ $rc -eq 1 ]
check_err1 "... with one line saying it is not writable" "$T/ro is not writable"

# A full disk while the schema is created: the cache must not be half-made.
mkdir -p "$T/full"
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	unshare -m sh -c "
		mount -t tmpfs -o size=40k tmpfs '$T/full' || exit 9
		'$W' cache info --cache '$T/full/c.db' >'$T/out' 2>'$T/err'
		echo \$? >'$T/rc'
		sqlite3 '$T/full/c.db' 'PRAGMA user_version; SELECT count(*) FROM sqlite_master' >'$T/after' 2>&1
	"
	rc=$(cat "$T/rc")
	check "a full disk exits 1" [ "$rc" -eq 1 ]
	check "... saying the disk is full" err_has "disk full"
	check "... leaving no half-migrated schema" [ "$(tr '\n' ' ' <"$T/after")" = "0 0 " ]
else
	ok "a full disk # SKIP needs root for a private tmpfs"
fi

# Locked by another process: an sqlite3 shell holding an exclusive lock while
# it runs `sleep` (killed at exit by spawn's trap). It waits for the lock
# (.timeout) because the probe below can hold a read lock at the moment it asks.
"$W" cache info --cache "$T/locked.db" >/dev/null 2>&1
spawn sqlite3 "$T/locked.db" ".timeout 10000" "PRAGMA locking_mode=EXCLUSIVE;" "BEGIN EXCLUSIVE;" \
	"CREATE TABLE IF NOT EXISTS hold(x);" ".shell sleep 30" >/dev/null 2>&1
i=0
while sqlite3 "$T/locked.db" "SELECT count(*) FROM load" >/dev/null 2>&1 && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
run "$W" cache info --cache "$T/locked.db"
check "a cache locked by another process exits 1" [ $rc -eq 1 ]
check_err1 "... with one line saying so" "locked by another process"
finish
