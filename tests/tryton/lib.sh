# A real Tryton server for tests and benchmarks (POSIX sh; source it).
#
#   tryton_template [seed.py options]  builds (or finds) the template database:
#       a fresh SQLite database with TRYTON_MODULES activated, seeded through the
#       JSON-RPC API by a running trytond. Cached under $TRYTON_CACHE (default
#       build/tryton, whatever the build: the ASan run reuses the plain run's
#       template, which is data, not a build product), keyed by a hash of the seed scripts, the
#       module list, the options and a --mirror file's content. Sets
#       TRYTON_TEMPLATE (the .sqlite file).
#   tryton_start DIR [session_timeout_s]  copies the template into DIR, starts
#       trytond on 127.0.0.1 and a port free at run time, waits until a login
#       answers, exports TRYTON_URL TRYTON_DB TRYTON_USER TRYTON_PASSWORD_FILE
#       TRYTON_PID (and TRYTON_DIR, TRYTON_PORT). Log: DIR/trytond.log.
#   tryton_stop      stops it; safe to call twice (call it from your trap).
#   tryton_restart   stops and starts it again on the same DIR, database and port.
#   tryton_rpc METHOD PARAMS_JSON  one JSON-RPC call as the admin user; prints
#       the result as JSON. Model calls take the context last:
#       tryton_rpc model.sale.sale.search_count '[[["state","=","draft"]], {}]'
#
# Needs trytond 6.0 (make deps) and python3; tryton_available says whether
# they are here.

# Sourced from the repository's top (as tests/run.sh and make run them).
TRYTON_LIB_DIR=${TRYTON_LIB_DIR:-$(pwd)/tests/tryton}
TRYTON_MODULES=${TRYTON_MODULES:-"sale account_invoice_stock sale_shipment_cost carrier"}
TRYTON_DB=${TRYTON_DB:-waybill}
TRYTON_USER=${TRYTON_USER:-admin}
TRYTON_PID=
TRYTON_PORT=
TRYTON_DIR=

tryton_available() {
	command -v trytond >/dev/null 2>&1 && command -v trytond-admin >/dev/null 2>&1 &&
		command -v python3 >/dev/null 2>&1
}

# A TCP port free on 127.0.0.1 right now (the kernel picks it).
_tryton_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# _tryton_port_busy PORT: something answers on 127.0.0.1:PORT.
_tryton_port_busy() {
	python3 -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"
}

# _tryton_conf DIR PORT TIMEOUT: DIR/trytond.conf serving DIR/db on loopback only.
_tryton_conf() {
	cat >"$1/trytond.conf" <<EOF
[database]
uri = sqlite://
path = $1/db
[web]
listen = 127.0.0.1:$2
[session]
timeout = $3
EOF
}

# _tryton_serve DIR: starts trytond on DIR's config and waits until a login
# answers (state, not time: the process dying or 120 s without an answer fail).
_tryton_serve() {
	# Waiting on a login to answer must not be fooled by another server
	# (an old trytond still going) on the port.
	if _tryton_port_busy "$TRYTON_PORT"; then
		echo "# 127.0.0.1:$TRYTON_PORT is already in use" >>"$1/trytond.log"
		echo "# trytond: 127.0.0.1:$TRYTON_PORT is already in use" >&2
		return 1
	fi
	trytond -c "$1/trytond.conf" -d "$TRYTON_DB" >>"$1/trytond.log" 2>&1 &
	TRYTON_PID=$!
	echo "$TRYTON_PID" >"$1/trytond.pid"
	case " ${PIDS-} " in *" $TRYTON_PID "*) ;; *) PIDS="${PIDS-} $TRYTON_PID" ;; esac
	export TRYTON_PID TRYTON_URL="http://127.0.0.1:$TRYTON_PORT" TRYTON_DB TRYTON_USER \
		TRYTON_PASSWORD_FILE="$1/password"
	i=0
	while [ $i -lt 1200 ]; do
		if ! kill -0 "$TRYTON_PID" 2>/dev/null; then
			wait "$TRYTON_PID" 2>/dev/null
			TRYTON_PID=
			echo "# trytond exited at start; its log ends:" >&2
			tail -n 5 "$1/trytond.log" | sed 's/^/#   /' >&2
			return 1
		fi
		python3 "$TRYTON_LIB_DIR/rpc.py" model.res.user.get_preferences '[true, {}]' \
			>/dev/null 2>&1 && return 0
		# A database that failed to load answers every call with an error.
		if grep -q '^Traceback' "$1/trytond.log"; then
			echo "# trytond failed to load $TRYTON_DB; its log:" >&2
			grep -m 1 -A 30 '^Traceback' "$1/trytond.log" | tail -n 4 | sed 's/^/#   /' >&2
			tryton_stop
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "# trytond did not answer a login within 120 s" >&2
	tryton_stop
	return 1
}

tryton_start() {
	[ -n "$TRYTON_PID" ] && tryton_stop
	dir=$1
	timeout=${2:-300}
	[ -n "${TRYTON_TEMPLATE:-}" ] && [ -f "$TRYTON_TEMPLATE" ] || tryton_template || return 1
	mkdir -p "$dir/db" || return 1
	TRYTON_DIR=$(cd "$dir" && pwd)
	cp "$TRYTON_TEMPLATE" "$TRYTON_DIR/db/$TRYTON_DB.sqlite" || return 1
	(umask 077 && cp "$TRYTON_TEMPLATE_DIR/password" "$TRYTON_DIR/password") || return 1
	chmod 600 "$TRYTON_DIR/password"
	tries=0
	while [ $tries -lt 3 ]; do
		TRYTON_PORT=$(_tryton_free_port) || return 1
		_tryton_conf "$TRYTON_DIR" "$TRYTON_PORT" "$timeout"
		export TRYTON_DIR TRYTON_PORT
		_tryton_serve "$TRYTON_DIR" && return 0
		# Another process may have taken the port between our probe and bind.
		grep -q 'Address already in use\|is already in use' "$TRYTON_DIR/trytond.log" || return 1
		tries=$((tries + 1))
	done
	return 1
}

tryton_stop() {
	[ -n "${TRYTON_PID:-}" ] || return 0
	kill "$TRYTON_PID" 2>/dev/null
	i=0
	while kill -0 "$TRYTON_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$TRYTON_PID" 2>/dev/null
	wait "$TRYTON_PID" 2>/dev/null
	TRYTON_PID=
	return 0
}

# Same DIR, database (with whatever the tests changed) and port.
tryton_restart() {
	[ -n "${TRYTON_DIR:-}" ] || { echo "# tryton_restart: nothing was started" >&2; return 1; }
	tryton_stop
	_tryton_serve "$TRYTON_DIR"
}

tryton_rpc() {
	python3 "$TRYTON_LIB_DIR/rpc.py" "$@"
}

# _tryton_base CACHE: the database with the modules activated and nothing
# else (trytond-admin's part, the slowest), cached apart from the seed so that
# a change to seed.py does not redo it. Sets TRYTON_BASE (a directory).
_tryton_base() {
	bkey=$(echo "$TRYTON_MODULES|$TRYTON_DB|$(trytond --version 2>&1)" | sha256sum | cut -c1-16)
	TRYTON_BASE=$1/base-$bkey
	[ -f "$TRYTON_BASE/$TRYTON_DB.sqlite" ] && return 0
	ab=$(mktemp -d "$1/base.XXXXXX") || return 1
	mkdir -p "$ab/db"
	: >"$ab/db/$TRYTON_DB.sqlite"
	(umask 077 && head -c 18 /dev/urandom | base64 | tr '/+' '_-' >"$ab/password")
	_tryton_conf "$ab" 0 300
	echo "# tryton: activating $TRYTON_MODULES in a fresh database..." >&2
	# shellcheck disable=SC2086
	if ! TRYTONPASSFILE="$ab/password" trytond-admin -c "$ab/trytond.conf" -d "$TRYTON_DB" \
		-u $TRYTON_MODULES --activate-dependencies --email admin@localhost >"$ab/admin.log" 2>&1; then
		echo "# trytond-admin failed; its log ends:" >&2
		tail -n 5 "$ab/admin.log" | sed 's/^/#   /' >&2
		rm -rf "$ab"
		return 1
	fi
	mkdir -p "$ab/t" && mv "$ab/db/$TRYTON_DB.sqlite" "$ab/password" "$ab/t/" &&
		{ mv "$ab/t" "$TRYTON_BASE" 2>/dev/null || [ -f "$TRYTON_BASE/$TRYTON_DB.sqlite" ]; }
	rc=$?
	rm -rf "$ab"
	return $rc
}

# tryton_template [seed.py options]: see the top of this file.
tryton_template() {
	tryton_available || { echo "# trytond or python3 missing (make deps)" >&2; return 1; }
	cache=${TRYTON_CACHE:-build/tryton}
	mkdir -p "$cache" || return 1
	cache=$(cd "$cache" && pwd)
	mirror=
	prev=
	opts=
	# The key holds the options but a --mirror file by its content, not its
	# path (the demo writes it in a new temporary directory every run).
	for a in "$@"; do
		if [ "$prev" = --mirror ]; then mirror=$a; opts="$opts FILE"; else opts="$opts $a"; fi
		prev=$a
	done
	key=$({
		cat "$TRYTON_LIB_DIR/seed.py"
		echo "$TRYTON_MODULES|$TRYTON_DB|$opts"
		trytond --version 2>&1
		[ -n "$mirror" ] && cat "$mirror"
	} | sha256sum | cut -c1-16)
	TRYTON_TEMPLATE_DIR=$cache/$key
	TRYTON_TEMPLATE=$TRYTON_TEMPLATE_DIR/$TRYTON_DB.sqlite
	export TRYTON_TEMPLATE TRYTON_TEMPLATE_DIR
	[ -f "$TRYTON_TEMPLATE" ] && return 0
	# Build in a scratch directory and rename it into place, so that a
	# half-built template is never found.
	b=$(mktemp -d "$cache/build.XXXXXX") || return 1
	mkdir -p "$b/db"
	_tryton_base "$cache" || { rm -rf "$b"; return 1; }
	cp "$TRYTON_BASE/$TRYTON_DB.sqlite" "$b/db/" && cp "$TRYTON_BASE/password" "$b/password" ||
		{ rm -rf "$b"; return 1; }
	echo "# tryton: seeding the template database ($key)..." >&2
	saved_dir=$TRYTON_DIR saved_port=$TRYTON_PORT
	TRYTON_DIR=$b
	TRYTON_PORT=$(_tryton_free_port)
	_tryton_conf "$b" "$TRYTON_PORT" 300
	# First pass with a queue that waits for a worker (none runs): sales are
	# confirmed and processed in batches by explicit calls, not one queued
	# task a sale, and the sales meant to stay confirmed stay so.
	printf '[queue]\nworker = True\n' >>"$b/trytond.conf"
	if _tryton_serve "$b"; then
		python3 "$TRYTON_LIB_DIR/seed.py" --state "$b/state.json" "$@" >"$b/seed.log" 2>&1
		rc=$?
		tryton_stop
	else
		rc=1
	fi
	# Second pass as tests run it (the queue's tasks run at once): payments
	# mark their invoices paid.
	if [ $rc -eq 0 ]; then
		_tryton_conf "$b" "$TRYTON_PORT" 300
		if _tryton_serve "$b"; then
			python3 "$TRYTON_LIB_DIR/seed.py" --finish "$b/state.json" "$@" >>"$b/seed.log" 2>&1
			rc=$?
			tryton_stop
		else
			rc=1
		fi
	fi
	TRYTON_DIR=$saved_dir TRYTON_PORT=$saved_port
	if [ $rc -ne 0 ]; then
		cp "$b/seed.log" "$cache/failed-seed.log"
		echo "# seed.py failed (log: $cache/failed-seed.log); it ends:" >&2
		tail -n 3 "$b/seed.log" | sed 's/^/#   /' >&2
		rm -rf "$b"
		return 1
	fi
	mkdir -p "$b/t" && mv "$b/db/$TRYTON_DB.sqlite" "$b/password" "$b/seed.log" "$b/t/" &&
		{ mv "$b/t" "$TRYTON_TEMPLATE_DIR" 2>/dev/null || [ -f "$TRYTON_TEMPLATE" ]; }
	rc=$?
	rm -rf "$b"
	return $rc
}
