#!/bin/sh
# bench/console_bandwidth.sh: bytes the console writes to its terminal.
#  1. `waybill --demo` (simulator on loopback, sync live) for BENCH_SECONDS
#     (default 60) at 80x24 and at 200x50, each beside htop (`htop -d 10`, a
#     repaint a second) over the same time at the same size, as a ratio.
#     Target: waybill at or below htop (ratio <= 1.00).
#  2. `waybill --demo --low-bandwidth` at 80x24: bytes per second.
#     Target: under 1 KB/s (1024 B/s).
#  3. The same two on the Vehicles board (key 2 a second after the start),
#     which changes with every telematics batch where the Loads board stays
#     quiet: normal mode beside htop at 80x24 (target ratio <= 1.00), and
#     --low-bandwidth in B/s (target under 1024 B/s), also beside htop.
# BENCH_ONLY=vehicles runs only htop at 80x24 and case 3 (3 runs).
# Only prints; nothing passes or fails on the figures.
#
# How bytes are counted: each program runs under `script -m advanced -T TIMING`
# inside a detached tmux session of the wanted size on a private socket.
# script(1) puts the program on a pty of its own (sized from the tmux pane)
# and its timing log records every read from that pty as "O <delay> <bytes>":
# the sum is exactly what the program wrote to its terminal, start-up paint
# and the restore on quit included, and nothing tmux adds (tmux re-renders the
# pane for its own client, which `pipe-pane` or a client's output would mix
# in; the typescript file has script's own header and trailer). Both
# programs see the same TERM (tmux's default), locale (C.UTF-8) and size, and
# both are quit with `q` at the end of the same interval. Runs are one after
# the other so htop never shows a running demo's simulator.
# Usage: bench/console_bandwidth.sh [BUILD_DIR]
set -u
B=$(cd "${1:-build}" && pwd) || exit 1
W=$B/waybill
SECS=${BENCH_SECONDS:-60}
D=$(mktemp -d "${TMPDIR:-/tmp}/waybill-bench-bw.XXXXXX")
SOCK=wb-bench-bw-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$D"' EXIT INT TERM
command -v htop >/dev/null || { echo "bench/console_bandwidth: htop is not installed"; exit 1; }
mkdir -p "$D/home" "$D/tmp"

# run NAME COLS ROWS CMD [KEYS]: runs CMD for SECS seconds (typing KEYS a
# second in), sends q, waits for it to end; prints the bytes it wrote.
run() {
	name=$1 cols=$2 rows=$3 cmd=$4 keys=${5:-}
	tm new-session -d -s "$name" -x "$cols" -y "$rows" \
		"env HOME='$D/home' XDG_CONFIG_HOME='$D/home' TMPDIR='$D/tmp' LANG=C.UTF-8 LC_ALL=C.UTF-8 \
		 script -q -f -m advanced -T '$D/$name.tim' -O '$D/$name.out' -c '$cmd'" || return 1
	size=$(tm display-message -p -t "$name" '#{window_width}x#{window_height}')
	[ "$size" = "${cols}x${rows}" ] || echo "  (warning: $name ran at $size, not ${cols}x${rows})" >&2
	if [ -n "$keys" ]; then
		sleep 1
		tm send-keys -t "$name" "$keys"
		sleep $((SECS - 1))
	else
		sleep "$SECS"
	fi
	tm capture-pane -p -t "$name" >"$D/$name.screen" 2>/dev/null
	tm send-keys -t "$name" q
	i=0
	while tm has-session -t "$name" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if tm has-session -t "$name" 2>/dev/null; then
		echo "  (warning: $name did not quit on q within 10 s; killed)" >&2
		tm kill-session -t "$name"
		sleep 1
	fi
	awk '$1 == "O" {s += $3} END {print s + 0}' "$D/$name.tim"
}

rate() { printf '%.1f' "$(echo "$1 / $SECS" | bc -l)"; }
ratio() { [ "$2" -gt 0 ] && printf '%.2f' "$(echo "$1 / $2" | bc -l)" || echo "n/a"; }
header() { head -n 1 "$D/$1.screen" | sed 's/  */ /g; s/ $//'; }

ONLY=${BENCH_ONLY:-}
lowrate() { printf '%.2f' "$(echo "$(rate "$1") / 1024" | bc -l)"; }

if [ "$ONLY" = vehicles ]; then
	echo "bench/console_bandwidth: the Vehicles board, bytes written to the terminal in $SECS s (3 runs, about $((SECS * 3 / 60 + 1)) min)"
	h=$(run "htop-80x24" 80 24 "htop -d 10")
else
	echo "bench/console_bandwidth: bytes written to the terminal in $SECS s (7 runs, about $((SECS * 7 / 60 + 1)) min)"
fi
for size in 80x24 200x50; do
	[ "$ONLY" = vehicles ] && break
	cols=${size%x*} rows=${size#*x}
	h=$(run "htop-$size" "$cols" "$rows" "htop -d 10")
	w=$(run "waybill-$size" "$cols" "$rows" "$W --demo")
	printf '  %-7s waybill --demo %9d B (%7s B/s)   htop -d 10 %9d B (%7s B/s)   ratio %s   (target <= 1.00)\n' \
		"$size" "$w" "$(rate "$w")" "$h" "$(rate "$h")" "$(ratio "$w" "$h")"
	printf '          waybill header at the end: %s\n' "$(header "waybill-$size")"
done
if [ "$ONLY" != vehicles ]; then
	l=$(run "waybill-low-80x24" 80 24 "$W --demo --low-bandwidth")
	printf '  80x24   waybill --demo --low-bandwidth %9d B = %s B/s   target 1024 B/s   ratio %s\n' \
		"$l" "$(rate "$l")" "$(lowrate "$l")"
	printf '          waybill header at the end: %s\n' "$(header waybill-low-80x24)"
	h=$(awk '$1 == "O" {s += $3} END {print s + 0}' "$D/htop-80x24.tim")
fi
# The Vehicles board, beside htop at 80x24 ($h: its bytes over the same $SECS s).
v=$(run "waybill-veh-80x24" 80 24 "$W --demo" 2)
printf '  80x24   Vehicles, waybill --demo %9d B (%7s B/s)   htop -d 10 %9d B (%7s B/s)   ratio %s   (target <= 1.00)\n' \
	"$v" "$(rate "$v")" "$h" "$(rate "$h")" "$(ratio "$v" "$h")"
printf '          its board at the end: %s\n' "$(sed -n 23p "$D/waybill-veh-80x24.screen" | sed 's/  */ /g')"
vl=$(run "waybill-veh-low-80x24" 80 24 "$W --demo --low-bandwidth" 2)
printf '  80x24   Vehicles, --low-bandwidth %9d B = %s B/s   target 1024 B/s   ratio %s   (htop ratio %s)\n' \
	"$vl" "$(rate "$vl")" "$(lowrate "$vl")" "$(ratio "$vl" "$h")"
printf '          its header at the end: %s\n' "$(header waybill-veh-low-80x24)"
# The demo removes its own temporary directory on quit: anything left is a leak.
left=$(ls -A "$D/tmp")
[ -z "$left" ] || echo "  (warning: the demo left files behind in TMPDIR: $left)"
