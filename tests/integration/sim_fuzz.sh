#!/bin/sh
# Throws a few thousand random and malformed requests at each waybill-sim service;
# each must stay up and answer, and the sim must still exit cleanly.
set -u
B=${WAYBILL_BUILD:-build}
T=${WAYBILL_TEST_TMP:-$(mktemp -d)}
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null' EXIT INT TERM
"$B/waybill-sim" --port 0 --seed 5 >"$T/fuzz.out" 2>"$T/fuzz.err" &
PID=$!
i=0
while [ $i -lt 100 ] && ! [ -s "$T/fuzz.out" ]; do sleep 0.1; i=$((i + 1)); done
LINE=$(head -n 1 "$T/fuzz.out")
TOK=$(echo "$LINE" | jq -r .tokens.admin)
fails=0
for s in erp tms telematics; do
	port=$(echo "$LINE" | jq -r ".services.$s.port")
	if "$B/tests/tools/sim_fuzz" "$port" "$TOK" 700 "$port" >"$T/fz.txt" 2>&1; then
		echo "ok - fuzz $s: $(cat "$T/fz.txt")"
	else
		echo "not ok - fuzz $s: $(cat "$T/fz.txt")"
		fails=$((fails + 1))
	fi
done
kill "$PID"
wait "$PID"
rc=$?
PID=""
if [ "$rc" -eq 0 ]; then echo "ok - sim exits 0 after the fuzz"; else echo "not ok - sim exited $rc after the fuzz"; fails=$((fails + 1)); sed 's/^/# /' "$T/fuzz.err" | tail -20; fi
[ $fails -eq 0 ]
