#!/bin/sh
# Installs the Debian packages Waybill needs, and only those that are missing.
# Idempotent: with everything present it prints one line and changes nothing.
set -u

# pkg-config module -> Debian package
LIBS="ncursesw:libncurses-dev libcurl:libcurl4-openssl-dev jansson:libjansson-dev
sqlite3:libsqlite3-dev libuv:libuv1-dev libmicrohttpd:libmicrohttpd-dev
cmocka:libcmocka-dev libcrypto:libssl-dev uuid:uuid-dev zlib:zlib1g-dev"
# command -> Debian package (tests drive the console in tmux; the sync
# benchmark's baseline uses curl, jq and sqlite3; the bandwidth one htop;
# the integration tests pgrep and unshare; the format check clang-format; the
# fuzz harnesses clang; the Tryton tests, benchmark and demo python3 for the
# seed, dump and baseline scripts)
TOOLS="cc:gcc make:make pkg-config:pkg-config tmux:tmux curl:curl jq:jq
sqlite3:sqlite3 htop:htop pgrep:procps unshare:util-linux bc:bc
script:bsdutils time:time openssl:openssl clang-format:clang-format clang:clang
python3:python3"
# Packages no command or pkg-config module names: libFuzzer's runtime (only
# recommended by clang, and make deps installs no recommends), and the real
# Tryton 6.0 server and the modules the Tryton tests activate (issue 12;
# tests/tryton/lib.sh).
DEBS="libclang-rt-14-dev tryton-server tryton-modules-party tryton-modules-company
tryton-modules-product tryton-modules-stock tryton-modules-sale
tryton-modules-account tryton-modules-account-invoice
tryton-modules-account-invoice-stock tryton-modules-carrier
tryton-modules-sale-shipment-cost tryton-modules-country tryton-modules-currency"

missing=""
have_pc=1
command -v pkg-config >/dev/null 2>&1 || have_pc=0
for pair in $LIBS; do
	mod=${pair%%:*}; pkg=${pair#*:}
	if [ $have_pc -eq 0 ] || ! pkg-config --exists "$mod"; then
		missing="$missing $pkg"
	fi
done
for pair in $TOOLS; do
	cmd=${pair%%:*}; pkg=${pair#*:}
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
if command -v dpkg-query >/dev/null 2>&1; then
	for pkg in $DEBS; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $pkg"
	done
fi

if [ -z "$missing" ]; then
	echo "deps: all present"
	exit 0
fi

echo "deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing$missing; run as root or install sudo, then: apt-get install$missing" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: no apt-get here; install the equivalents of:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install$missing failed" >&2; exit 1; }
echo "deps: installed$missing"
