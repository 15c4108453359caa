# waybill --demo in a real terminal: it starts waybill-sim on free loopback
# ports, syncs live into a temporary cache, and on q stops the simulator and
# leaves no process or file behind.
. tests/integration/lib.sh

if ! command -v tmux >/dev/null 2>&1; then
	echo "ok - tmux not installed # SKIP"
	finish
fi
case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
SOCK="waybill-demo-$$"
tm() { tmux -L "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT INT TERM
mkdir -p "$T/tmp"

tm -f /dev/null new-session -d -x 100 -y 30 -s demo \
	"env TMPDIR=$T/tmp TERM=screen-256color LC_ALL=C.UTF-8 WAYBILL_THEMES=$(pwd)/themes \
	 $AW --demo 2>$T/demo.err; echo exited \$? >$T/demo.rc; sleep 30"

# wait_for TEXT SECONDS: polls the pane.
wait_for() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		tm capture-pane -p -t demo >"$T/pane" 2>/dev/null
		grep -q -- "$1" "$T/pane" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

if wait_for "TEL ● live" 20; then ok "demo: every source goes live"; else not_ok "demo: every source goes live" "$(cat "$T/pane")"; fi
if wait_for "^.L-[0-9]" 10; then ok "demo: the Loads board fills from the simulator"; else not_ok "demo: the Loads board fills from the simulator" "$(cat "$T/pane")"; fi
check "demo: a temporary config and cache exist while it runs" [ -n "$(ls "$T"/tmp/waybill-demo.*/cache.db 2>/dev/null)" ]
# The demo's own simulator: the waybill-sim child of this test's waybill (a
# global count would see other consoles and test runs on the machine).
demo_pid=$(pgrep -f -x "$AW --demo" | head -n 1)
sim_pid=$([ -n "$demo_pid" ] && pgrep -P "$demo_pid" -x waybill-sim | head -n 1)
check "demo: it runs its own waybill-sim" [ -n "$sim_pid" ]
check "demo: the temporary config is private" [ "$(stat -c %a "$T"/tmp/waybill-demo.*/config.json 2>/dev/null)" = 600 ]
tm send-keys -t demo q
i=0
while [ ! -s "$T/demo.rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "demo: q quits with exit 0" grep -q "exited 0" "$T/demo.rc"
check "demo: nothing on stderr" [ ! -s "$T/demo.err" ]
check "demo: the simulator is stopped" sh -c "[ -n '$sim_pid' ] && ! kill -0 '$sim_pid' 2>/dev/null"
check "demo: no temporary file is left" [ -z "$(ls -A "$T/tmp")" ]

# --dialect: the sim's telematics in a vendor's dialect, with a maintenance
# source of the canonical kind for the work orders and holds it does not keep.
: >"$T/demo.rc"
tm new-session -d -x 110 -y 30 -s demo2 \
	"env TMPDIR=$T/tmp TERM=screen-256color LC_ALL=C.UTF-8 WAYBILL_THEMES=$(pwd)/themes \
	 $AW --demo --dialect samsara 2>$T/demo.err; echo exited \$? >$T/demo.rc; sleep 30"
i=0
while [ $i -lt 200 ]; do
	tm capture-pane -p -t demo2 >"$T/pane" 2>/dev/null
	grep -q "MNT ●" "$T/pane" && break
	sleep 0.1
	i=$((i + 1))
done
if grep -q "MNT ●" "$T/pane"; then ok "demo --dialect samsara: the maintenance source goes live"; else not_ok "demo --dialect samsara: the maintenance source goes live" "$(cat "$T/pane")"; fi
cfg2=$(ls "$T"/tmp/waybill-demo.*/config.json 2>/dev/null | head -n 1)
check "... its config names the samsara telematics and a waybill maintenance source" \
	[ "$(jq -r '"\(.sources.telematics.kind) \(.sources.maintenance.kind)"' "$cfg2" 2>/dev/null)" = "samsara waybill" ]
tm send-keys -t demo2 q
i=0
while [ ! -s "$T/demo.rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "... q quits with exit 0" grep -q "exited 0" "$T/demo.rc"
check "... no temporary file is left" [ -z "$(ls -A "$T/tmp")" ]
"$W" --dialect samsara >"$T/usage.txt" 2>&1
check "--dialect without --demo: exit 2" [ $? -eq 2 ]
"$W" --demo --dialect sap >"$T/usage.txt" 2>&1
check "--dialect sap: exit 2" [ $? -eq 2 ]
finish
