/* Numbered migrations, applied at open through PRAGMA user_version, each in
 * one transaction. A migration that has shipped is never edited: add the next. */
#include <sqlite3.h>
#include <stdio.h>

#include "cache_internal.h"

/* Columns every synced row carries (docs/design.md §5). ext_version decides which
 * of two copies of a record is newer; (source, ext_id) is the upsert key. */
/* The migrations are SQL text laid out by hand, as SQL reads best. */
/* clang-format off */
#define META "id TEXT PRIMARY KEY, source TEXT NOT NULL, ext_id TEXT NOT NULL, " \
	     "ext_version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, " \
	     "synced_at INTEGER NOT NULL, "
#define KEYED(t) "CREATE UNIQUE INDEX " t "_ext ON " t "(source, ext_id);"

static const char migration_1[] =
	"CREATE TABLE customer(" META
	"name TEXT, payment_terms_days INTEGER, credit_limit REAL);" KEYED("customer")
	"CREATE TABLE orders(" META
	"number TEXT, customer_id TEXT, ordered_at INTEGER, requested_at INTEGER,"
	" status TEXT, currency TEXT, total REAL);" KEYED("orders")
	"CREATE TABLE load(" META
	"number TEXT, order_id TEXT, depot TEXT, status TEXT, priority INTEGER,"
	" vehicle_id TEXT, trailer_id TEXT, driver_id TEXT, carrier TEXT, origin TEXT,"
	" destination TEXT, planned_departure INTEGER, eta INTEGER, tendered_at INTEGER,"
	" departed_at INTEGER, delivered_at INTEGER, revenue REAL, est_cost REAL,"
	" pallets INTEGER, weight_kg REAL, distance_m REAL, empty_m REAL,"
	" planned_drive_s INTEGER, route_changed INTEGER);" KEYED("load")
	/* The loads board filters by status and sorts by eta or departure. */
	"CREATE INDEX load_status_eta ON load(status, eta, id);"
	"CREATE INDEX load_eta ON load(eta, id);"
	"CREATE INDEX load_departure ON load(planned_departure, id);"
	"CREATE INDEX load_vehicle ON load(vehicle_id);"
	"CREATE INDEX load_driver ON load(driver_id);"
	"CREATE TABLE stop(" META
	"load_id TEXT, seq INTEGER, kind TEXT, place TEXT, lat REAL, lon REAL,"
	" window_start INTEGER, window_end INTEGER, eta INTEGER, arrived_at INTEGER,"
	" departed_at INTEGER, status TEXT, pallets_planned INTEGER,"
	" pallets_done INTEGER);" KEYED("stop")
	"CREATE INDEX stop_load ON stop(load_id, seq);"
	"CREATE TABLE vehicle(" META
	"unit TEXT, kind TEXT, depot TEXT, status TEXT, odometer_m REAL,"
	" engine_s INTEGER, fuel_pct REAL, tank_l REAL, lat REAL, lon REAL,"
	" speed_mps REAL, heading REAL, last_seen_ms INTEGER, pm_due_odometer_m REAL,"
	" idle_s INTEGER, on_hold INTEGER, hold_reason TEXT);" KEYED("vehicle")
	"CREATE INDEX vehicle_unit ON vehicle(unit, id);"
	"CREATE TABLE driver(" META
	"name TEXT, depot TEXT, status TEXT, drive_left_s INTEGER, duty_left_s INTEGER,"
	" cycle_left_s INTEGER, vehicle_id TEXT);" KEYED("driver")
	"CREATE TABLE fault(" META
	"vehicle_id TEXT, code TEXT, protocol TEXT, severity TEXT, description TEXT,"
	" first_seen INTEGER, last_seen INTEGER, active INTEGER);" KEYED("fault")
	"CREATE INDEX fault_vehicle ON fault(vehicle_id, active);"
	"CREATE TABLE inspection(" META
	"vehicle_id TEXT, driver_id TEXT, kind TEXT, safe INTEGER, defects TEXT,"
	" at INTEGER);" KEYED("inspection")
	"CREATE INDEX inspection_vehicle ON inspection(vehicle_id, at);"
	"CREATE TABLE work_order(" META
	"vehicle_id TEXT, fault_id TEXT, status TEXT, category TEXT, opened_at INTEGER,"
	" due_at INTEGER, closed_at INTEGER, est_cost REAL);" KEYED("work_order")
	"CREATE INDEX work_order_vehicle ON work_order(vehicle_id, status);"
	"CREATE TABLE part_reservation(" META
	"work_order_id TEXT, item TEXT, qty INTEGER, status TEXT);" KEYED("part_reservation")
	"CREATE INDEX part_reservation_wo ON part_reservation(work_order_id);"
	"CREATE TABLE staging(" META
	"load_id TEXT, dock_door TEXT, pallets_staged INTEGER, pallets_total INTEGER,"
	" labor_ready INTEGER, status TEXT, appointment_at INTEGER);" KEYED("staging")
	"CREATE INDEX staging_load ON staging(load_id);"
	"CREATE INDEX staging_door ON staging(dock_door, appointment_at);"
	"CREATE TABLE pod(" META
	"load_id TEXT, stop_id TEXT, signed_by TEXT, signed_at INTEGER,"
	" exception_codes TEXT, document_ref TEXT);" KEYED("pod")
	"CREATE INDEX pod_load ON pod(load_id);"
	"CREATE TABLE invoice(" META
	"number TEXT, load_id TEXT, customer_id TEXT, amount REAL, currency TEXT,"
	" status TEXT, issued_at INTEGER, due_at INTEGER, paid_at INTEGER);" KEYED("invoice")
	"CREATE INDEX invoice_load ON invoice(load_id);"
	"CREATE TABLE charge(" META
	"load_id TEXT, code TEXT, amount REAL, rated_amount REAL, origin TEXT);" KEYED("charge")
	"CREATE INDEX charge_load ON charge(load_id);"
	"CREATE TABLE fuel_txn(" META
	"vehicle_id TEXT, driver_id TEXT, at INTEGER, litres REAL, amount REAL, lat REAL,"
	" lon REAL, station TEXT, card TEXT);" KEYED("fuel_txn")
	"CREATE INDEX fuel_txn_vehicle ON fuel_txn(vehicle_id, at);"
	"CREATE TABLE exception(" META
	"kind TEXT, subject_kind TEXT, subject_id TEXT, severity TEXT, confidence REAL,"
	" impact REAL, suggested_action TEXT, evidence TEXT, origin TEXT, status TEXT,"
	" required_role TEXT, owner TEXT, detected_at INTEGER, resolved_at INTEGER,"
	" related_id TEXT);"
	KEYED("exception")
	"CREATE INDEX exception_status ON exception(status, detected_at, id);"
	"CREATE INDEX exception_detected ON exception(detected_at, id);"
	"CREATE INDEX exception_subject ON exception(subject_id, kind);"
	/* Positions arrive in time order: keyed (ts_ms, vehicle_id) they append at the
	 * right edge of one b-tree (docs/design.md §5), and a repeated report is ignored. */
	"CREATE TABLE position(ts_ms INTEGER NOT NULL, vehicle_id TEXT NOT NULL,"
	" lat REAL, lon REAL, speed_mps REAL, heading REAL, odometer_m REAL,"
	" fuel_pct REAL, ignition INTEGER, PRIMARY KEY(ts_ms, vehicle_id)) WITHOUT ROWID;"
	"CREATE TABLE sync_state(source TEXT NOT NULL, stream TEXT NOT NULL,"
	" cursor TEXT NOT NULL DEFAULT '', last_ok_at INTEGER, last_attempt_at INTEGER,"
	" last_error TEXT, errors_in_row INTEGER NOT NULL DEFAULT 0,"
	" lag_s INTEGER, rows_total INTEGER NOT NULL DEFAULT 0,"
	" resync INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(source, stream)) WITHOUT ROWID;"
	/* During a full resync (after an expired cursor) the ids seen so far; at the
	 * end of the pass the rows not seen are tombstoned. Kept on disk so a crash
	 * in the middle of a resync still sweeps. */
	"CREATE TABLE resync_seen(source TEXT NOT NULL, stream TEXT NOT NULL, id TEXT NOT NULL,"
	" PRIMARY KEY(source, stream, id)) WITHOUT ROWID;"
	/* status: pending, inflight, delivered, failed. */
	"CREATE TABLE outbox(key TEXT PRIMARY KEY, source TEXT NOT NULL,"
	" action TEXT NOT NULL, subject TEXT NOT NULL, payload TEXT NOT NULL,"
	" user TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pending', answer TEXT, http_status INTEGER,"
	" done_at INTEGER, seq INTEGER NOT NULL);"
	"CREATE INDEX outbox_due ON outbox(status, source, next_attempt_at, seq);"
	"CREATE UNIQUE INDEX outbox_seq ON outbox(seq);"
	"CREATE INDEX outbox_subject ON outbox(subject, seq);"
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	" user TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL,"
	" subject TEXT NOT NULL, before TEXT, after TEXT, reason TEXT,"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX audit_subject ON audit(subject, seq);"
	/* Board views: one row per record with what a board shows joined in. SQLite
	 * flattens them into the query, so the load indexes still serve the window. */
	"CREATE VIEW load_board AS SELECT l.id AS id, l.number AS number, l.status AS status,"
	" l.priority AS priority, c.name AS customer, v.unit AS vehicle, d.name AS driver,"
	" (SELECT s.dock_door FROM staging s WHERE s.load_id=l.id AND s.deleted=0"
	"   ORDER BY s.appointment_at DESC LIMIT 1) AS door,"
	" (SELECT CASE WHEN s.pallets_total>0 THEN s.pallets_staged*100/s.pallets_total END"
	"   FROM staging s WHERE s.load_id=l.id AND s.deleted=0"
	"   ORDER BY s.appointment_at DESC LIMIT 1) AS stage_pct,"
	" l.eta AS eta, (SELECT st.window_start FROM stop st WHERE st.load_id=l.id"
	"   AND st.kind='drop' AND st.deleted=0 ORDER BY st.seq LIMIT 1) AS window_start,"
	" (SELECT st.window_end FROM stop st WHERE st.load_id=l.id"
	"   AND st.kind='drop' AND st.deleted=0 ORDER BY st.seq LIMIT 1) AS window_end,"
	" l.planned_departure AS planned_departure, l.origin AS origin,"
	" l.destination AS destination, l.source AS source, l.synced_at AS synced_at"
	" FROM load l LEFT JOIN orders o ON o.id=l.order_id"
	" LEFT JOIN customer c ON c.id=o.customer_id"
	" LEFT JOIN vehicle v ON v.id=l.vehicle_id LEFT JOIN driver d ON d.id=l.driver_id"
	" WHERE l.deleted=0;"
	"CREATE VIEW vehicle_board AS SELECT v.id AS id, v.unit AS unit, v.kind AS kind,"
	" v.status AS status, v.depot AS depot, v.fuel_pct AS fuel_pct,"
	" v.odometer_m AS odometer_m, v.last_seen_ms AS last_seen_ms,"
	" (SELECT count(*) FROM fault f WHERE f.vehicle_id=v.id AND f.active=1"
	"   AND f.deleted=0 AND f.severity IN ('critical','major')) AS serious_faults,"
	" v.source AS source, v.synced_at AS synced_at"
	" FROM vehicle v WHERE v.deleted=0;"
	"CREATE VIEW exception_board AS SELECT x.id AS id, x.kind AS kind,"
	" x.subject_id AS subject, x.confidence AS confidence, x.impact AS impact,"
	" x.detected_at AS detected_at, x.required_role AS required_role,"
	" x.suggested_action AS suggested_action, x.status AS status, x.origin AS origin,"
	" x.source AS source, x.synced_at AS synced_at FROM exception x WHERE x.deleted=0;";

/* Derived state that the local workflow pass writes (cache/derived.c): each
 * vehicle's readiness verdict with its reasons, and KPI samples over time for
 * the KPI board's sparklines. The vehicle board shows the verdict. */
static const char migration_2[] =
	"CREATE TABLE readiness(vehicle_id TEXT PRIMARY KEY, state TEXT NOT NULL,"
	" reasons TEXT, computed_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE kpi_sample(name TEXT NOT NULL, at INTEGER NOT NULL, value REAL,"
	" PRIMARY KEY(name, at)) WITHOUT ROWID;"
	"DROP VIEW vehicle_board;"
	"CREATE VIEW vehicle_board AS SELECT v.id AS id, v.unit AS unit, v.kind AS kind,"
	" v.status AS status, v.depot AS depot, v.fuel_pct AS fuel_pct,"
	" v.odometer_m AS odometer_m, v.last_seen_ms AS last_seen_ms,"
	" (SELECT count(*) FROM fault f WHERE f.vehicle_id=v.id AND f.active=1"
	"   AND f.deleted=0 AND f.severity IN ('critical','major')) AS serious_faults,"
	" r.state AS readiness, r.reasons AS readiness_reasons,"
	" v.source AS source, v.synced_at AS synced_at"
	" FROM vehicle v LEFT JOIN readiness r ON r.vehicle_id=v.id WHERE v.deleted=0;";

/* The audit trail records the person's display name (the config's "user")
 * beside the identity the source gave; rows written before have none, and
 * their hashes stay as they were (cache/audit.c). */
static const char migration_3[] =
	"ALTER TABLE audit ADD COLUMN display_name TEXT;";

/* The boards' queries moved into their files in views/ (each board owns its
 * SELECT), so a column a board shows no longer needs a migration: the board
 * views go. Nothing else referred to them. */
static const char migration_4[] =
	"DROP VIEW IF EXISTS load_board;"
	"DROP VIEW IF EXISTS vehicle_board;"
	"DROP VIEW IF EXISTS exception_board;";

/* Live events a connector refused (a position off the globe, not JSON), counted
 * per source and stream for the Health board: one bad event is left out, the
 * rest of its batch is kept (sync/page.c sync_apply_positions). */
static const char migration_5[] =
	"ALTER TABLE sync_state ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;";

/* The keyed audit chain (cache/audit.c): a row written under a key carries
 * the key's id and an HMAC-SHA-256 in hash; rows without one (all rows written
 * before) stay plain SHA-256 and verify as they did. audit_chain names this
 * cache's chain with a random id, so an anchor file shared by several caches
 * (app/audit_anchor.c) tells their lines apart even after a cache moves. */
static const char migration_6[] =
	"ALTER TABLE audit ADD COLUMN key_id TEXT;"
	"CREATE TABLE audit_chain(id TEXT NOT NULL);"
	"INSERT INTO audit_chain(id) VALUES(lower(hex(randomblob(16))));";

/* #12: a real ERP knows an invoice's and a charge's order (sale), not our load, and keeps
 * customer shipments. invoice.order_id and charge.order_id join them to the order's load
 * (docs/design.md §5, "Billing joins"); the indexes serve that join and the Billing board. */
static const char migration_7[] =
	"ALTER TABLE invoice ADD COLUMN order_id TEXT;"
	"ALTER TABLE charge ADD COLUMN order_id TEXT;"
	"CREATE INDEX invoice_order ON invoice(order_id);"
	"CREATE INDEX charge_order ON charge(order_id);"
	"CREATE INDEX load_order ON load(order_id, deleted);"
	"CREATE TABLE shipment(" META
	"number TEXT, order_id TEXT, customer_id TEXT, status TEXT, planned_at INTEGER,"
	" effective_at INTEGER, carrier TEXT, address TEXT);" KEYED("shipment")
	"CREATE INDEX shipment_order ON shipment(order_id);";

/* The two-person rule (app/approve.c): an exception whose decision needs two
 * different supervisors keeps its first approval here until a second
 * supervisor completes it or someone rejects it. A table of its own, not a
 * status on the exception, because a source rewrites its exception rows on
 * every sync and would wipe a status Waybill set. */
static const char migration_8[] =
	"CREATE TABLE pending_approval(exception_id TEXT PRIMARY KEY, user TEXT NOT NULL,"
	" role TEXT NOT NULL, display_name TEXT, at INTEGER NOT NULL,"
	" audit_seq INTEGER NOT NULL) WITHOUT ROWID;";

/* #13: a maintenance source (sources.maintenance) keeps what telematics
 * vendors do not: its vehicle_maint records (one per vehicle) carry the
 * maintenance-owned part of a vehicle's status, its PM due and its hold.
 * vehicle_now is the one place a vehicle's facts are decided for every reader
 * (cache_get and cache_list of a vehicle, the workflow pass's snapshot, the
 * boards, the detail pane; docs/design.md §5 "Who owns a vehicle's facts"):
 * the vehicle row, with pm_due_odometer_m, on_hold and hold_reason the
 * maintenance record's wherever one exists, and status in_shop or
 * out_of_service as maintenance says (its "available" clears those two and
 * leaves the telematics status, such as in_transit, alone); a vehicle whose
 * source tells no status at all (a telematics vendor) is in_transit on a load
 * in transit or when its newest reading moves, assigned to a planned, staged
 * or released load, else available. Its live readings
 * (position, speed, heading, fuel, odometer, last seen) are the newer of the
 * vehicle row's and vehicle_seen's, the newest position of the vehicle that
 * cache_add_positions keeps: a vendor's vehicle list carries none of them
 * (Samsara, Geotab, Traccar report them as positions), and even the canonical
 * row is older than the live stream between polls. A reading a position left
 * out (a Samsara position has no odometer) keeps the last one known. */
static const char migration_9[] =
	"CREATE TABLE vehicle_maint(" META
	"vehicle_id TEXT, status TEXT, pm_due_odometer_m REAL, on_hold INTEGER,"
	" hold_reason TEXT);" KEYED("vehicle_maint")
	"CREATE INDEX vehicle_maint_vehicle ON vehicle_maint(vehicle_id, deleted);"
	"CREATE TABLE vehicle_seen(vehicle_id TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL, lat REAL,"
	" lon REAL, speed_mps REAL, heading REAL, odometer_m REAL, fuel_pct REAL) WITHOUT ROWID;"
	"CREATE VIEW vehicle_now AS SELECT v.id AS id, v.source AS source, v.ext_id AS ext_id,"
	" v.ext_version AS ext_version, v.deleted AS deleted, v.synced_at AS synced_at,"
	" v.unit AS unit, v.kind AS kind, v.depot AS depot,"
	" coalesce(CASE WHEN m.status IS NULL THEN v.status"
	"   WHEN m.status IN ('in_shop','out_of_service') THEN m.status"
	"   WHEN v.status IN ('in_shop','out_of_service') THEN m.status"
	"   ELSE v.status END,"
	/* A vendor tells no dispatch status: the TMS's loads and the newest
	 * reading do (in transit on a load or moving, assigned to a load, else
	 * available). */
	"   (SELECT CASE WHEN max(l.status='in_transit') THEN 'in_transit'"
	"     WHEN s.speed_mps >= 1 THEN 'in_transit'"
	"     WHEN max(l.status IN ('planned','staged','released')) THEN 'assigned'"
	"     ELSE 'available' END FROM load l WHERE l.vehicle_id=v.id AND l.deleted=0))"
	"   AS status,"
	" CASE WHEN s.ts_ms > coalesce(v.last_seen_ms, 0) THEN coalesce(s.odometer_m, v.odometer_m)"
	"   ELSE v.odometer_m END AS odometer_m, v.engine_s AS engine_s,"
	" CASE WHEN s.ts_ms > coalesce(v.last_seen_ms, 0) THEN coalesce(s.fuel_pct, v.fuel_pct)"
	"   ELSE v.fuel_pct END AS fuel_pct, v.tank_l AS tank_l,"
	" CASE WHEN s.ts_ms > coalesce(v.last_seen_ms, 0) THEN s.lat ELSE v.lat END AS lat,"
	" CASE WHEN s.ts_ms > coalesce(v.last_seen_ms, 0) THEN s.lon ELSE v.lon END AS lon,"
	" CASE WHEN s.ts_ms > coalesce(v.last_seen_ms, 0) THEN s.speed_mps ELSE v.speed_mps END"
	"   AS speed_mps,"
	" CASE WHEN s.ts_ms > coalesce(v.last_seen_ms, 0) THEN s.heading ELSE v.heading END"
	"   AS heading,"
	" max(coalesce(v.last_seen_ms, s.ts_ms), coalesce(s.ts_ms, v.last_seen_ms)) AS last_seen_ms,"
	" CASE WHEN m.id IS NULL THEN v.pm_due_odometer_m ELSE m.pm_due_odometer_m END"
	"   AS pm_due_odometer_m,"
	" v.idle_s AS idle_s,"
	" CASE WHEN m.id IS NULL THEN v.on_hold ELSE m.on_hold END AS on_hold,"
	" CASE WHEN m.id IS NULL THEN v.hold_reason ELSE m.hold_reason END AS hold_reason,"
	" m.id AS maint_id, m.source AS maint_source"
	" FROM vehicle v LEFT JOIN vehicle_seen s ON s.vehicle_id=v.id"
	" LEFT JOIN vehicle_maint m ON m.id=(SELECT m2.id FROM vehicle_maint m2"
	"   WHERE m2.vehicle_id=v.id AND m2.deleted=0"
	"   ORDER BY m2.synced_at DESC, m2.id DESC LIMIT 1);";

/* Appended in order; index + 1 is the schema version a migration produces. */
static const char *const migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_5,
	migration_6,
	migration_7,
	migration_8,
	migration_9,
};
/* clang-format on */

int cache_schema_latest(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

int cache_migrate(struct cache *c, int from, struct wb_err *err)
{
	for (int v = from; v < cache_schema_latest(); v++) {
		int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return cache_fail(c, rc, err, "migrating");
		rc = sqlite3_exec(c->db, migrations[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			char sql[64];
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
			rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			int code = cache_fail(c, rc, err, "migrating");
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return code;
		}
	}
	return 0;
}
