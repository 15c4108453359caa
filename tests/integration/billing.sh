# The ERP's side of a load against the real waybill-sim (#12): after the clock
# of a small fleet has run six hours (its position ring still holds them all),
# one sync brings the shipments list and invoices and charges naming their order; every shipment and every invoice and charge meets
# its load through the order, each shipment's state follows its load, and the
# cache holds exactly what the sim does (cache_matches_sim covers shipments).
. tests/integration/lib.sh

q() { sqlite3 "$1" "$2" </dev/null; }
AUTOMATION=off

d="$T/billing"
if start_sim "$d" --speed 0 --no-ai --vehicles 30 --loads-per-day 300; then
	admin clock '{"advance_s": 21600}' >/dev/null
	"$W" sync --once --config "$d/config.json" --cache "$d/c.db" >"$d/out" 2>"$d/err"
	rc=$?
	check "sync --once exits 0" [ $rc -eq 0 ]
	db="$d/c.db"
	check "the cache equals the sim, shipments included" cache_matches_sim "$db" "$d"
	check "the ERP served shipments" [ "$(q "$db" "SELECT count(*) FROM shipment")" -gt 0 ]
	check "one shipment per load, of the load's order" \
		[ "$(q "$db" "SELECT count(*) FROM load l WHERE (SELECT count(*) FROM shipment s
		  WHERE s.order_id=l.order_id AND s.deleted=0)!=1")" -eq 0 ]
	check "every invoice names its load's order" \
		[ "$(q "$db" "SELECT count(*) FROM invoice i JOIN load l ON l.id=i.load_id
		  WHERE i.order_id IS NOT l.order_id")" -eq 0 ]
	check "... and there are invoices to look at" [ "$(q "$db" "SELECT count(*) FROM invoice")" -gt 0 ]
	check "every charge names its load's order" \
		[ "$(q "$db" "SELECT count(*) FROM charge c JOIN load l ON l.id=c.load_id
		  WHERE c.order_id IS NOT l.order_id")" -eq 0 ]
	# The state a load's shipment must show, as docs/api.md says.
	mismatch=$(q "$db" "SELECT l.id||' '||l.status||' '||s.status FROM load l
	  JOIN shipment s ON s.order_id=l.order_id WHERE s.status IS NOT CASE
	  WHEN l.status='planned' AND (l.vehicle_id IS NOT NULL OR l.carrier IS NOT 'own')
	    THEN 'assigned'
	  WHEN l.status='planned' THEN 'waiting'
	  WHEN l.status IN ('staged','released') THEN 'packed'
	  WHEN l.status='cancelled' THEN 'cancelled' ELSE 'done' END
	  OR (s.status='done' AND s.effective_at IS NOT l.departed_at) LIMIT 3")
	check "each shipment's state follows its load (done at its departure)" [ -z "$mismatch" ]
	[ -z "$mismatch" ] || echo "# $mismatch"
	check "shipments in several states" \
		[ "$(q "$db" "SELECT count(DISTINCT status) FROM shipment")" -ge 3 ]
	stop_sim
else
	not_ok "sim started"
fi
finish
