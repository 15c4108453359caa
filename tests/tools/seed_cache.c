/* seed_cache: fills a cache with a small deterministic depot for the screen
 * tests (loads, stops, vehicles, drivers, staging, faults, work orders,
 * exceptions, POD, invoices, audit, sync_state, outbox), through the cache API.
 * Times are relative to --now (default 1718020800, 2024-06-10 12:00 UTC).
 * --positions N adds N positions (the 8 units in turn, 5 s apart, ending at
 * --now) for the console benchmark's large cache.
 * Usage: seed_cache CACHE [--now EPOCH] [--loads N] [--positions N] */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"

static struct cache *c;
static struct wb_err err;
static int64_t now = 1718020800;

static void check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "seed_cache: %s: %s\n", what, err.msg);
		exit(1);
	}
}

static void meta(struct wb_meta *m, const char *id, const char *source)
{
	m->id = id;
	m->source = source;
	m->ext_id = id;
	m->ext_version = 1;
}

static void sql(const char *q)
{
	char *msg = NULL;
	if (sqlite3_exec(cache_db(c), q, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "seed_cache: %s: %s\n", q, msg);
		exit(1);
	}
}

/* Strings live until exit: every one is kept here and freed at the end. */
static char **strs;
static size_t nstrs, capstrs;

/* prefix + n + suffix, as in "L-" 1042 "" */
static char *strn(const char *prefix, int n, const char *suffix)
{
	if (nstrs == capstrs) {
		capstrs = capstrs ? capstrs * 2 : 1024;
		strs = realloc(strs, capstrs * sizeof(*strs));
		if (!strs)
			exit(1);
	}
	char *s = malloc(32);
	if (!s)
		exit(1);
	snprintf(s, 32, "%s%d%s", prefix, n, suffix);
	return strs[nstrs++] = s;
}

static const char *const customers[] = {"Harbor Foods", "Kestrel Retail", "Alder Grocers",
                                        "Pine & Co"};
static const char *const units[] = {"T-09", "T-17", "T-22", "T-31", "V-03", "T-40", "T-41", "T-42"};
static const char *const drivers[] = {"Mary Okafor", "Joao Silva", "Rita Haas",
                                      "Karin Lund",  "Ama Mensah", "Sam Park"};
static const char *const statuses[] = {"staged",  "planned",      "in_transit", "delivered",
                                       "planned", "pod_received", "released",   "in_transit"};

static void seed_masters(void)
{
	for (int i = 0; i < 4; i++) {
		struct wb_customer r;
		wb_entity_clear(WB_ENT_CUSTOMER, &r);
		meta(&r.meta, strn("C-", i + 1, ""), "erp");
		r.name = customers[i];
		r.payment_terms_days = 30;
		check(cache_upsert(c, WB_ENT_CUSTOMER, &r, 1, NULL, &err), "customer");
	}
	for (int i = 0; i < 8; i++) {
		struct wb_vehicle v;
		wb_entity_clear(WB_ENT_VEHICLE, &v);
		meta(&v.meta, units[i], "telematics");
		v.unit = units[i];
		v.kind = i == 4 ? "van" : "tractor";
		v.depot = "Depot North";
		v.status = i == 3 ? "in_shop" : i % 3 == 0 ? "in_transit" : "available";
		v.fuel_pct = i == 5 ? 9 : 40 + i * 7;
		v.odometer_m = 120000000.0 + i * 3456789.0;
		v.tank_l = 400;
		v.last_seen_ms = (now - 5 - i * 30) * 1000;
		check(cache_upsert(c, WB_ENT_VEHICLE, &v, 1, NULL, &err), "vehicle");
	}
	for (int i = 0; i < 6; i++) {
		struct wb_driver d;
		wb_entity_clear(WB_ENT_DRIVER, &d);
		meta(&d.meta, strn("D-", i + 1, ""), "tms");
		d.name = drivers[i];
		d.depot = "Depot North";
		d.status = "on_duty";
		d.drive_left_s = 4 * 3600 + i * 600;
		d.duty_left_s = 6 * 3600;
		check(cache_upsert(c, WB_ENT_DRIVER, &d, 1, NULL, &err), "driver");
	}
}

/* Load i: L-(1042+i), its order, two stops, and staging for the first ten. */
static void seed_load(int i, bool small)
{
	struct wb_order o;
	wb_entity_clear(WB_ENT_ORDER, &o);
	char *oid = strn("O-", 1042 + i, "");
	meta(&o.meta, oid, "erp");
	o.number = oid;
	o.customer_id = strn("C-", i % 4 + 1, "");
	o.status = "open";
	o.currency = "EUR";
	check(cache_upsert(c, WB_ENT_ORDER, &o, 1, NULL, &err), "order");

	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	char *id = strn("L-", 1042 + i, "");
	meta(&l.meta, id, "tms");
	l.number = id;
	l.order_id = oid;
	l.depot = "Depot North";
	l.status = statuses[i % 8];
	l.priority = i % 7 == 1 ? 1 : 0;
	l.vehicle_id = i % 9 == 8 ? NULL : units[i % 8];
	l.driver_id = strn("D-", i % 6 + 1, "");
	l.carrier = "own";
	l.origin = "Depot North";
	l.destination = strn("Store ", 200 + i, "");
	l.planned_departure = now + i * 600;
	l.eta = now + 3000 + (int64_t)(i % 23) * 900 + (i == 2 ? 7200 : 0);
	l.revenue = 1200 + i * 37.5;
	l.est_cost = 800 + i * 20;
	l.pallets = 10 + i % 12;
	l.weight_kg = 9000 + i * 100;
	l.distance_m = 85000 + i * 1500;
	check(cache_upsert(c, WB_ENT_LOAD, &l, 1, NULL, &err), "load");

	for (int k = 0; k < 2 && small; k++) {
		struct wb_stop s;
		wb_entity_clear(WB_ENT_STOP, &s);
		meta(&s.meta, strn("S-", 1042 + i, k ? "-2" : "-1"), "tms");
		s.load_id = id;
		s.seq = k + 1;
		s.kind = k ? "drop" : "pickup";
		s.place = k ? l.destination : "Depot North";
		int64_t hour = (now / 3600 + 1 + (i % 23) / 4) * 3600;
		s.window_start = k ? hour : now;
		s.window_end = k ? hour + 3600 * (1 + i % 2) : now + 1800;
		s.eta = k ? l.eta : l.planned_departure;
		s.status = "pending";
		s.pallets_planned = l.pallets;
		check(cache_upsert(c, WB_ENT_STOP, &s, 1, NULL, &err), "stop");
	}
	if (small && i < 10) {
		struct wb_staging st;
		wb_entity_clear(WB_ENT_STAGING, &st);
		meta(&st.meta, strn("ST-", 1042 + i, ""), "tms");
		st.load_id = id;
		st.dock_door = strn("D", i % 6 + 1, "");
		st.pallets_total = l.pallets;
		st.pallets_staged = i % 3 == 0 ? l.pallets : l.pallets * (i % 3) / 3;
		st.labor_ready = i % 4 != 3;
		st.status = st.pallets_staged == st.pallets_total ? "ready" : "staging";
		st.appointment_at = now + i * 900;
		check(cache_upsert(c, WB_ENT_STAGING, &st, 1, NULL, &err), "staging");
	}
}

static void seed_maintenance(void)
{
	static const struct {
		const char *id, *veh, *code, *sev, *desc;
	} faults[] = {
	        {"F-1", "T-31", "P0087", "critical", "Fuel rail pressure too low"},
	        {"F-2", "T-09", "SPN3031-FMI9", "major", "DEF tank level sensor"},
	        {"F-3", "T-22", "P0420", "minor", "Catalyst efficiency below threshold"},
	};
	for (int i = 0; i < 3; i++) {
		struct wb_fault f;
		wb_entity_clear(WB_ENT_FAULT, &f);
		meta(&f.meta, faults[i].id, "telematics");
		f.vehicle_id = faults[i].veh;
		f.code = faults[i].code;
		f.protocol = i == 1 ? "j1939" : "obd2";
		f.severity = faults[i].sev;
		f.description = faults[i].desc;
		f.first_seen = now - 3600 * (i + 1);
		f.last_seen = now - 60;
		f.active = 1;
		check(cache_upsert(c, WB_ENT_FAULT, &f, 1, NULL, &err), "fault");
	}
	struct wb_work_order w;
	wb_entity_clear(WB_ENT_WORK_ORDER, &w);
	meta(&w.meta, "WO-1", "erp");
	w.vehicle_id = "T-31";
	w.fault_id = "F-1";
	w.status = "open";
	w.category = "corrective";
	w.opened_at = now - 3000;
	w.due_at = now + 7200;
	w.est_cost = 2900;
	check(cache_upsert(c, WB_ENT_WORK_ORDER, &w, 1, NULL, &err), "work order");
	meta(&w.meta, "WO-2", "erp");
	w.vehicle_id = "T-40";
	w.fault_id = NULL;
	w.category = "preventive";
	w.opened_at = now - 86400;
	w.due_at = now - 3600;
	w.est_cost = 450;
	check(cache_upsert(c, WB_ENT_WORK_ORDER, &w, 1, NULL, &err), "work order");
	struct wb_part_reservation p;
	wb_entity_clear(WB_ENT_PART_RESERVATION, &p);
	meta(&p.meta, "PR-1", "erp");
	p.work_order_id = "WO-1";
	p.item = "fuel rail pressure sensor";
	p.qty = 1;
	p.status = "reserved";
	check(cache_upsert(c, WB_ENT_PART_RESERVATION, &p, 1, NULL, &err), "part");
}

static void seed_exceptions(void)
{
	static const struct {
		const char *id, *kind, *skind, *subject, *status, *role, *action, *evidence;
		double conf, impact;
		int age_s;
	} xs[] = {
	        {"X-1", "fuel_anomaly", "vehicle", "T-22", "open", "supervisor",
	         "freeze card, review",
	         "412 L bought 09:14 at Shell A12; tank holds 400 L; the truck was 61 km from that "
	         "station at 09:14 (telematics). Card ****4431.",
	         0.87, 310, 18 * 60},
	        {"X-2", "late_eta", "load", "L-1044", "open", "dispatcher", "notify, re-slot dock",
	         "ETA 16:55 against a drop window ending 16:00.", 0.91, 420, 6 * 60},
	        {"X-3", "critical_fault", "vehicle", "T-31", "open", "supervisor",
	         "hold, open work order", "P0087 fuel rail pressure too low, active 1 h.", 1.0,
	         2900, 3600},
	        {"X-4", "pod_mismatch", "load", "L-1045", "acknowledged", "dispatcher",
	         "check pallets with customer", "POD signed for 9 of 10 pallets.", 0.75, 180, 7200},
	};
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		struct wb_exception x;
		wb_entity_clear(WB_ENT_EXCEPTION, &x);
		meta(&x.meta, xs[i].id, "erp");
		x.kind = xs[i].kind;
		x.subject_kind = xs[i].skind;
		x.subject_id = xs[i].subject;
		x.severity = "major";
		x.confidence = xs[i].conf;
		x.impact = xs[i].impact;
		x.suggested_action = xs[i].action;
		x.evidence = xs[i].evidence;
		x.origin = i == 2 ? "local" : "ai";
		x.status = xs[i].status;
		x.required_role = xs[i].role;
		x.detected_at = now - xs[i].age_s;
		check(cache_upsert(c, WB_ENT_EXCEPTION, &x, 1, NULL, &err), "exception");
	}
	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	meta(&p.meta, "POD-1045", "tms");
	p.load_id = "L-1045";
	p.stop_id = "S-1045-2";
	p.signed_by = "J. Berg";
	p.signed_at = now - 7300;
	p.exception_codes = "SHORT";
	p.document_ref = "pod/1045.pdf";
	check(cache_upsert(c, WB_ENT_POD, &p, 1, NULL, &err), "pod");
	struct wb_invoice inv;
	wb_entity_clear(WB_ENT_INVOICE, &inv);
	meta(&inv.meta, "INV-1047", "erp");
	inv.number = "INV-1047";
	inv.load_id = "L-1047";
	inv.customer_id = "C-2";
	inv.amount = 1387.5;
	inv.currency = "EUR";
	inv.status = "released";
	inv.issued_at = now - 1800;
	check(cache_upsert(c, WB_ENT_INVOICE, &inv, 1, NULL, &err), "invoice");
}

static void seed_audit(void)
{
	static const struct {
		const char *user, *role, *action, *subject, *reason;
	} a[] = {
	        {"s.park", "supervisor", "acknowledge", "exception:X-4", "customer called"},
	        {"m.lee", "dispatcher", "release_load", "load:L-1042", NULL},
	        {"s.park", "supervisor", "place_hold", "vehicle:T-31", "critical fault P0087"},
	        {"m.lee", "dispatcher", "assign_driver", "load:L-1043", NULL},
	};
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		struct audit_entry e = {.user = a[i].user,
		                        .role = a[i].role,
		                        .action = a[i].action,
		                        .subject = a[i].subject,
		                        .reason = a[i].reason,
		                        .at = now - 3000 + (int64_t)i * 600};
		check(audit_append(c, &e, NULL, &err), "audit");
	}
	char key[40];
	check(outbox_enqueue(c, "tms", "release_load", "load:L-1042", "{}", "m.lee", now - 20, key,
	                     &err),
	      "outbox");
	check(outbox_enqueue(c, "erp", "place_hold", "vehicle:T-31", "{}", "s.park", now - 10, key,
	                     &err),
	      "outbox");
}

static void seed_sync_state(void)
{
	check(cache_cursor_set(c, "erp", "orders", "c-1", &err), "cursor");
	check(cache_cursor_set(c, "tms", "loads", "c-2", &err), "cursor");
	check(cache_cursor_set(c, "telematics", "positions", "c-3", &err), "cursor");
	char q[600];
	snprintf(q, sizeof(q),
	         "UPDATE sync_state SET last_ok_at=%" PRId64 ", lag_s=0, errors_in_row=0,"
	         " rows_total=120 WHERE source='erp';"
	         "UPDATE sync_state SET last_ok_at=%" PRId64 ", lag_s=1, errors_in_row=0,"
	         " rows_total=860 WHERE source='tms';"
	         "UPDATE sync_state SET last_ok_at=%" PRId64 ", lag_s=42, errors_in_row=1,"
	         " rows_total=5400, last_error='HTTP 503 from telematics' WHERE "
	         "source='telematics';",
	         now - 30, now - 3, now - 20);
	sql(q);
}

/* n positions, the units in turn, through the cache API in 500-row batches. */
static void seed_positions(long n)
{
	static struct wb_position b[500];
	for (long i = 0; i < n;) {
		size_t k = 0;
		for (; k < 500 && i < n; k++, i++)
			b[k] = (struct wb_position){
			        .vehicle_id = units[i % 8],
			        .ts_ms = (now - 5 * ((n - 1 - i) / 8)) * 1000 - i % 8,
			        .lat = 52.0 + (double)(i % 1000) / 10000.0,
			        .lon = 4.0 + (double)(i % 777) / 10000.0,
			        .speed_mps = (double)(i % 30),
			        .heading = (double)(i % 360),
			        .odometer_m = 1e8 + (double)i,
			        .fuel_pct = 50 + (double)(i % 50),
			        .ignition = 1,
			};
		check(cache_add_positions(c, b, k, NULL, &err), "positions");
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
		        "usage: seed_cache CACHE [--now EPOCH] [--loads N] [--positions N]\n");
		return 2;
	}
	int nloads = 30;
	long npositions = 0;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--now"))
			now = strtoll(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--loads"))
			nloads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--positions"))
			npositions = atol(argv[i + 1]);
	}
	c = cache_open(argv[1], NULL, &err);
	if (!c) {
		fprintf(stderr, "seed_cache: %s\n", err.msg);
		return 1;
	}
	check(cache_begin(c, &err), "begin");
	seed_masters();
	for (int i = 0; i < nloads; i++)
		seed_load(i, i < 1000);
	seed_maintenance();
	seed_exceptions();
	seed_audit();
	seed_sync_state();
	seed_positions(npositions);
	check(cache_commit(c, &err), "commit");
	/* Synced a moment ago, except a few rows that went stale. */
	char q[1200];
	snprintf(q, sizeof(q),
	         "UPDATE customer SET synced_at=%1$" PRId64
	         "; UPDATE orders SET synced_at=%1$" PRId64 ";"
	         "UPDATE load SET synced_at=%1$" PRId64 "; UPDATE stop SET synced_at=%1$" PRId64 ";"
	         "UPDATE vehicle SET synced_at=%1$" PRId64
	         "; UPDATE driver SET synced_at=%1$" PRId64 ";"
	         "UPDATE staging SET synced_at=%1$" PRId64 "; UPDATE fault SET synced_at=%1$" PRId64
	         ";"
	         "UPDATE work_order SET synced_at=%1$" PRId64
	         "; UPDATE exception SET synced_at=%1$" PRId64 ";"
	         "UPDATE pod SET synced_at=%1$" PRId64 "; UPDATE invoice SET synced_at=%1$" PRId64
	         ";"
	         "UPDATE part_reservation SET synced_at=%1$" PRId64 ";"
	         "UPDATE load SET synced_at=%2$" PRId64 " WHERE id IN ('L-1046','L-1047');"
	         "UPDATE vehicle SET synced_at=%2$" PRId64 " WHERE id='T-42';",
	         now - 2, now - 600);
	sql(q);
	cache_close(c);
	for (size_t i = 0; i < nstrs; i++)
		free(strs[i]);
	free(strs);
	return 0;
}
