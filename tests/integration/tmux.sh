# The real binary in a real terminal: tmux at 80x24 on a private server.
# A board renders, keys move and filter, and q quits with the process gone.
. tests/integration/lib.sh

if ! command -v tmux >/dev/null 2>&1; then
	echo "ok - tmux not installed # SKIP"
	finish
fi
SEED="$WAYBILL_BUILD/tests/tools/seed_cache"
case "$W" in /*) AW=$W ;; *) AW="$(pwd)/$W" ;; esac
SOCK="waybill-test-$$"
tm() { tmux -L "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT INT TERM

"$SEED" "$T/tmux.db" --now 1718020800 >/dev/null 2>&1 || not_ok "seeding the cache"
tm -f /dev/null new-session -d -x 80 -y 24 -s wb \
	"env TZ=UTC LC_ALL=C.UTF-8 TERM=screen-256color WAYBILL_NOW=1718020800 WAYBILL_THEMES=$(pwd)/themes \
	 $AW --cache $T/tmux.db 2>$T/tmux.err; echo exited \$? >$T/tmux.rc; sleep 30"

# wait_for TEXT: polls the pane for up to 5 s.
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
		tm capture-pane -p -t wb >"$T/pane" 2>/dev/null
		grep -q -- "$1" "$T/pane" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

if wait_for "L-1042"; then ok "the Loads board renders in tmux at 80x24"; else not_ok "the Loads board renders in tmux at 80x24" "$(cat "$T/pane")"; fi
check "the header shows the sources" grep -q "TEL .* lag 42s" "$T/pane"
check "the tabs show the open exceptions" grep -q "5 Exceptions 3" "$T/pane"
check "no line is wider than 80 columns" [ "$(wc -L <"$T/pane")" -le 80 ]

tm send-keys -t wb 2
if wait_for "UNIT    READY"; then ok "2 switches to Vehicles"; else not_ok "2 switches to Vehicles" "$(cat "$T/pane")"; fi
tm send-keys -t wb 1 / h a r b o r Enter
if wait_for 'filter "harbor"'; then ok "a filter typed in tmux applies"; else not_ok "a filter typed in tmux applies" "$(cat "$T/pane")"; fi
tm resize-window -t wb -x 60 -y 20 2>/dev/null
if wait_for "Enlarge the window"; then ok "a small window asks to be enlarged"; else not_ok "a small window asks to be enlarged" "$(cat "$T/pane")"; fi
tm resize-window -t wb -x 80 -y 24 2>/dev/null
if wait_for "L-1042"; then ok "the board comes back at 80x24"; else not_ok "the board comes back at 80x24" "$(cat "$T/pane")"; fi

tm send-keys -t wb q
i=0
while [ $i -lt 50 ] && [ ! -s "$T/tmux.rc" ]; do sleep 0.1; i=$((i + 1)); done
check "q quits with status 0" grep -qx "exited 0" "$T/tmux.rc"
if pgrep -f "^$AW --cache $T/tmux.db" >/dev/null; then
	not_ok "the process is gone after q"
else
	ok "the process is gone after q"
fi
check "nothing was written on stderr" [ ! -s "$T/tmux.err" ]
finish
