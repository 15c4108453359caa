# Edges a new operator reached (issue 11, item 10): a config or token file that
# is a FIFO is refused in one line instead of blocking for ever; `sync --once`
# exits 1 when its local pass fails; --since with 100 digits is refused; a
# cache made outside the default directory is 0600 (its -wal and -shm too)
# whatever the umask; a --demo killed before it cleaned up has its directory
# (token included) removed by the next --demo, and a running demo's is kept.
. tests/integration/lib.sh
SEED="$WAYBILL_BUILD/tests/tools/seed_cache"
d=$T/edges
mkdir -p "$d"

# --- FIFOs -------------------------------------------------------------------
mkfifo "$d/config.fifo" "$d/token.fifo"
chmod 600 "$d/config.fifo" "$d/token.fifo"
"$SEED" "$d/seeded.db" --now 1718020800 >"$d/seed.log" 2>&1 || not_ok "seeding" "$(cat "$d/seed.log")"
timeout 20 "$W" kpi --config "$d/config.fifo" --cache "$d/seeded.db" >"$d/fifo.out" 2>"$d/fifo.err"
rc=$?
check "a FIFO config is refused at once with exit 1 (got $rc; 124 is blocked)" [ $rc -eq 1 ]
check "one line says it is a FIFO" sh -c "[ \$(wc -l <'$d/fifo.err') -eq 1 ] && grep -q 'config.fifo: is a FIFO, not a regular file' '$d/fifo.err'"
(umask 077 && cat >"$d/tokfifo.json" <<JSON
{"sources": {
  "erp": {"kind": "waybill", "url": "http://127.0.0.1:9", "token_file": "token.fifo"},
  "tms": {"kind": "waybill", "url": "http://127.0.0.1:9", "token": "edges-test-token"},
  "telematics": {"kind": "waybill", "url": "http://127.0.0.1:9", "token": "edges-test-token"}}}
JSON
)
timeout 20 "$W" sync --once --config "$d/tokfifo.json" --cache "$d/tok.db" >"$d/tok.out" 2>"$d/tok.err"
rc=$?
check "a FIFO token file is refused at once with exit 1 (got $rc)" [ $rc -eq 1 ]
check "the line names the key and says FIFO" \
	grep -q 'sources.erp.token_file: token file .*token.fifo is a FIFO, not a regular file' "$d/tok.err"

# --- --since -----------------------------------------------------------------
big=$(printf '1%.0s' $(seq 100))
"$W" audit export --since "$big" --cache "$d/seeded.db" >"$d/since.out" 2>"$d/since.err"
rc=$?
check "--since with 100 digits exits 2 (got $rc)" [ $rc -eq 2 ]
check "--since: the line says out of range" grep -q -- '--since 1\{40\}\.\.\. is out of range' "$d/since.err"
check "--since: nothing exported" [ ! -s "$d/since.out" ]
"$W" audit export --since 253402300800 --cache "$d/seeded.db" >"$d/since.out" 2>"$d/since.err"
check "--since after year 9999 exits 2" [ $? -eq 2 ]
"$W" audit export --since 1718020800 --cache "$d/seeded.db" >"$d/since.out" 2>"$d/since.err"
check "--since with a real time still works" [ $? -eq 0 ]

# --- the local pass and the exit code; the cache's mode ----------------------
# start_sim sets d to its own directory.
top=$d
if start_sim "$top/sim"; then
	d=$top
	C="--config $d/sim/config.json"
	mkdir -p "$d/elsewhere"
	(umask 022 && "$W" sync --once $C --cache "$d/elsewhere/c.db" >"$d/s1.out" 2>"$d/s1.err")
	check "the first sync exits 0" [ $? -eq 0 ]
	check "a cache made under umask 022 is 0600" [ "$(stat -c %a "$d/elsewhere/c.db")" = 600 ]
	# While a sync follows, its -wal and -shm exist: the same mode.
	(umask 022 && exec "$W" sync --follow $C --cache "$d/elsewhere/c.db" >"$d/f.out" 2>"$d/f.err") &
	fpid=$!
	PIDS="$PIDS $fpid"
	i=0
	while [ ! -e "$d/elsewhere/c.db-shm" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	check "the -wal is 0600" [ "$(stat -c %a "$d/elsewhere/c.db-wal" 2>/dev/null)" = 600 ]
	check "the -shm is 0600" [ "$(stat -c %a "$d/elsewhere/c.db-shm" 2>/dev/null)" = 600 ]
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	# A local pass that fails (the KPI samples refused by a trigger) fails --once.
	sqlite3 "$d/elsewhere/c.db" "CREATE TRIGGER refuse_kpi BEFORE INSERT ON kpi_sample
	  BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
	"$W" sync --once $C --cache "$d/elsewhere/c.db" >"$d/s2.out" 2>"$d/s2.err"
	rc=$?
	check "sync --once exits 1 when the local pass fails (got $rc)" [ $rc -eq 1 ]
	check "the failure is the local pass's line" grep -q 'local kpis: .*refused by the test' "$d/s2.err"
	check "and the closing line counts it" grep -q 'sync incomplete: 1 ' "$d/s2.err"
	stop_sim
else
	not_ok "sim started"
fi
d=$top

# --- --demo's leftovers ------------------------------------------------------
mkdir -p "$d/tmp/waybill-demo.dead01" "$d/tmp/waybill-demo.live01" "$d/tmp/waybill-demo.other"
sh -c 'exit 0' &
gone=$!
wait "$gone"
echo "$gone 0" >"$d/tmp/waybill-demo.dead01/owner"
echo '{"token":"left-behind"}' >"$d/tmp/waybill-demo.dead01/config.json"
touch "$d/tmp/waybill-demo.dead01/cache.db"
echo "$$ 0" >"$d/tmp/waybill-demo.live01/owner"
echo '{"token":"in-use"}' >"$d/tmp/waybill-demo.live01/config.json"
echo 'q' >"$d/quit.keys"
case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
(cd "$d" && TMPDIR="$d/tmp" LC_ALL=C.UTF-8 TERM=xterm-256color LINES=24 COLUMNS=80 \
	timeout 60 "$AW" --demo --script "$d/quit.keys" >"$d/demo.out" 2>"$d/demo.err")
rc=$?
check "the demo ran and quit with exit 0 (got $rc)" [ $rc -eq 0 ]
check "a dead demo's directory and token are removed" [ ! -e "$d/tmp/waybill-demo.dead01" ]
check "a running demo's directory is kept" [ -e "$d/tmp/waybill-demo.live01/config.json" ]
check "a directory with no owner is left alone" [ -d "$d/tmp/waybill-demo.other" ]
check "this demo left nothing behind" \
	[ "$(ls "$d/tmp" | tr '\n' ' ')" = "waybill-demo.live01 waybill-demo.other " ]

cleanup
finish
