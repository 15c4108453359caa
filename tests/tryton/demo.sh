#!/bin/sh
# make demo-tryton: the console with a real Tryton 6.0 as the ERP beside the
# simulator's TMS and telematics. Starts waybill-sim on free loopback ports,
# mirrors its customers and orders into a seeded Tryton (sales numbered as the
# simulator's order ids, O-n, so its loads meet Tryton's orders and invoices
# on the boards; the template is cached under BUILD/tryton, so only the first
# run waits for the seeding), starts trytond on a free loopback port, writes a
# config (0600) and opens the console. Quitting the console stops Tryton and
# the simulator and removes the directory.
# Usage: tests/tryton/demo.sh [BUILD_DIR]   (from the repository's top)
set -u
B=${1:-build}
W=$B/waybill
S=$B/waybill-sim
export WAYBILL_BUILD=$B
. tests/tryton/lib.sh
tryton_available || { echo "demo-tryton: trytond or python3 missing (make deps)" >&2; exit 1; }
D=$(mktemp -d "${TMPDIR:-/tmp}/waybill-demo-tryton.XXXXXX")
SIM=
trap 'tryton_stop; [ -n "$SIM" ] && kill $SIM 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
trap 'exit 130' INT TERM

# start_sim [options]: waybill-sim on free loopback ports; SIM its pid.
start_sim() {
	: >"$D/sim.json"
	"$S" --port 0 "$@" >"$D/sim.json" 2>"$D/sim.err" &
	SIM=$!
	while [ ! -s "$D/sim.json" ]; do
		sleep 0.1
		kill -0 $SIM 2>/dev/null || { echo "demo-tryton: waybill-sim did not start: $(cat "$D/sim.err")" >&2; exit 1; }
	done
}
# The world at its start, from a paused simulator: the same every run (same
# seed, same start), so the mirrored template is built once, not every run.
start_sim --speed 0
python3 tests/tryton/sim_world.py "$D/sim.json" >"$D/world.json" ||
	{ echo "demo-tryton: could not read the simulator's customers and orders" >&2; exit 1; }
kill $SIM 2>/dev/null
wait $SIM 2>/dev/null
SIM=
echo "demo-tryton: a Tryton mirroring the simulator's $(jq '.customers | length' "$D/world.json") customers" \
	"and $(jq '.orders | length' "$D/world.json") orders (first run: a few minutes)..."
tryton_template --mirror "$D/world.json" || exit 1
tryton_start "$D/tryton" || exit 1
start_sim
echo "demo-tryton: Tryton at $TRYTON_URL, database $TRYTON_DB"
(umask 077 && jq --arg url "$TRYTON_URL" --arg db "$TRYTON_DB" --arg user "$TRYTON_USER" \
	--arg pw "$TRYTON_PASSWORD_FILE" '.tokens.dispatcher as $t | {sources: {
	  erp: {kind: "tryton", url: $url, database: $db, user: $user, password_file: $pw},
	  tms: {kind: "waybill", url: .services.tms.url, token: $t},
	  telematics: {kind: "waybill", url: .services.telematics.url, token: $t}}}' \
	"$D/sim.json" >"$D/config.json")
"$W" --config "$D/config.json" --cache "$D/cache.db"
