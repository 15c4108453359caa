/* The automatic workflow pass over a real cache (local/workflow_run.c): readiness
 * verdicts with their reasons, a work order and a hold proposed once per fault
 * across runs and a reopen of the cache, the hold cleared when its work order
 * closes, invoices released or held once, never while an action on them waits,
 * and every decision audited as the system. Rows are seeded with cache_upsert. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>

#include "testutil.h"
#include "cache/cache.h"
#include "settings/settings.h"
#include "connectors/connector.h"
#include "local/workflow_run.h"
#include "views/view.h"

#define NOW 1741341600    /* 2025-03-07 10:00 UTC, the simulator's default start */
#define WO_SOURCE "maint" /* the source that owns work orders, unlike the vehicle's */

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
};

static void vehicle(struct cache *c, const char *id, const char *unit, const char *status,
                    int on_hold, int64_t version)
{
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	test_meta(&v.meta, id, "telematics", version);
	v.unit = unit;
	v.kind = "tractor";
	v.status = status;
	v.odometer_m = 100000e3;
	v.pm_due_odometer_m = 140000e3;
	v.on_hold = on_hold;
	v.hold_reason = on_hold ? "fault" : NULL;
	v.last_seen_ms = (int64_t)NOW * 1000;
	test_put(c, WB_ENT_VEHICLE, &v);
}

static void fault(struct cache *c, int active, int64_t last_seen, int64_t version)
{
	struct wb_fault f;
	wb_entity_clear(WB_ENT_FAULT, &f);
	test_meta(&f.meta, "F-1", "telematics", version);
	f.vehicle_id = "V-1";
	f.code = "SPN100-FMI1";
	f.protocol = "j1939";
	f.severity = "critical";
	f.description = "Engine oil pressure low";
	f.active = active;
	f.first_seen = NOW - 600;
	f.last_seen = last_seen;
	test_put(c, WB_ENT_FAULT, &f);
}

/* The work order the source opened for F-1 (its own id, not the proposal's). */
static void work_order(struct cache *c, const char *status, int64_t closed_at, int64_t version)
{
	struct wb_work_order w;
	wb_entity_clear(WB_ENT_WORK_ORDER, &w);
	test_meta(&w.meta, "WO-77", "telematics", version);
	w.vehicle_id = "V-1";
	w.fault_id = "F-1";
	w.status = status;
	w.category = "corrective";
	w.opened_at = NOW + 60;
	w.due_at = NOW + 86400;
	w.closed_at = closed_at;
	w.est_cost = 540;
	test_put(c, WB_ENT_WORK_ORDER, &w);
}

/* A delivered load with one POD and one linehaul charge, and its invoice. */
static void billed_load(struct cache *c, const char *lid, const char *pod_id, const char *pod_codes,
                        const char *inv_id, const char *inv_status, double amount, double rated,
                        int64_t version)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, lid, "tms", 1);
	l.number = lid;
	l.status = "invoiced";
	l.delivered_at = NOW - 7200;
	test_put(c, WB_ENT_LOAD, &l);
	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	test_meta(&p.meta, pod_id, "tms", version);
	p.load_id = lid;
	p.stop_id = "S-9";
	p.signed_by = "J. Doe";
	p.signed_at = NOW - 7000;
	p.exception_codes = pod_codes;
	test_put(c, WB_ENT_POD, &p);
	char chid[32];
	snprintf(chid, sizeof(chid), "CH-%s", lid);
	struct wb_charge ch;
	wb_entity_clear(WB_ENT_CHARGE, &ch);
	test_meta(&ch.meta, chid, "erp", 1);
	ch.load_id = lid;
	ch.code = "linehaul";
	ch.amount = amount;
	ch.rated_amount = rated;
	test_put(c, WB_ENT_CHARGE, &ch);
	struct wb_invoice inv;
	wb_entity_clear(WB_ENT_INVOICE, &inv);
	test_meta(&inv.meta, inv_id, "erp", version);
	inv.number = inv_id;
	inv.load_id = lid;
	inv.customer_id = "C-1";
	inv.amount = amount;
	inv.currency = "EUR";
	inv.status = inv_status;
	inv.issued_at = NOW - 3600;
	test_put(c, WB_ENT_INVOICE, &inv);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	struct cache *c = f->c;

	vehicle(c, "V-1", "T-1", "available", 0, 1); /* a critical fault */
	fault(c, 1, NOW - 60, 1);

	vehicle(c, "V-2", "T-2", "assigned", 0, 1); /* a run longer than its driver may drive */
	struct wb_driver d;
	wb_entity_clear(WB_ENT_DRIVER, &d);
	test_meta(&d.meta, "D-2", "telematics", 1);
	d.name = "M. Okafor";
	d.drive_left_s = 2 * 3600;
	d.duty_left_s = 8 * 3600;
	d.cycle_left_s = 40 * 3600;
	test_put(c, WB_ENT_DRIVER, &d);
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, "L-2", "tms", 1);
	l.status = "planned";
	l.vehicle_id = "V-2";
	l.driver_id = "D-2";
	l.planned_departure = NOW + 3600;
	l.planned_drive_s = 4 * 3600;
	test_put(c, WB_ENT_LOAD, &l);
	test_meta(&l.meta, "L-3", "tms", 1); /* a later run of the same unit: not the next one */
	l.planned_departure = NOW + 86400;
	l.planned_drive_s = 3600;
	test_put(c, WB_ENT_LOAD, &l);

	vehicle(c, "V-3", "T-3", "available", 0, 1); /* the latest inspection unsafe */
	struct wb_inspection in;
	wb_entity_clear(WB_ENT_INSPECTION, &in);
	test_meta(&in.meta, "I-1", "telematics", 1);
	in.vehicle_id = "V-3";
	in.kind = "pre_trip";
	in.safe = 1;
	in.at = NOW - 86400;
	test_put(c, WB_ENT_INSPECTION, &in);
	test_meta(&in.meta, "I-2", "telematics", 1);
	in.kind = "post_trip";
	in.safe = 0;
	in.defects = "brake chamber leaking";
	in.at = NOW - 3600;
	test_put(c, WB_ENT_INSPECTION, &in);

	vehicle(c, "V-4", "T-4", "available", 0, 1); /* nothing wrong */

	billed_load(c, "L-10", "POD-10", "", "INV-10", "draft", 1000, 1000, 1);        /* clean */
	billed_load(c, "L-11", "POD-11", "DAMAGED", "INV-11", "draft", 1000, 1000, 1); /* POD */
	billed_load(c, "L-12", "POD-12", "", "INV-12", "disputed", 1000, 1000, 1);     /* dispute */
	billed_load(c, "L-13", "POD-13", "", "INV-13", "draft", 1000, 1000, 1);        /* pending */
	billed_load(c, "L-14", "POD-14", "", "INV-14", "held", 1000, 1000, 1); /* a person's hold */
	/* A dispatcher's action on INV-13 waits in the outbox. */
	struct cache_action a = {.source = "erp",
	                         .action = "hold_invoice",
	                         .subject = "invoice:INV-13",
	                         .payload = "{\"reason\":\"customer called\"}",
	                         .user = "ann",
	                         .role = "dispatcher",
	                         .reason = "customer called",
	                         .at = NOW - 60};
	struct wb_err err = {0};
	assert_int_equal(cache_action_record(c, &a, NULL, NULL, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static void run_with(struct fx *f, bool maintenance, bool invoices, struct workflow_run_stats *st)
{
	struct wb_err err = {0};
	struct workflow_opts o = {
	        .wo_source = WO_SOURCE, .maintenance = maintenance, .invoices = invoices};
	if (workflow_run(f->c, NULL, &o, NOW, st, &err) != 0)
		fail_msg("workflow_run: %s", err.msg);
}

static void run(struct fx *f, struct workflow_run_stats *st)
{
	run_with(f, true, true, st);
}

static int64_t count(struct fx *f, const char *sql)
{
	return test_count(f->c, sql);
}

static void assert_readiness(struct fx *f, const char *vid, const char *state, const char *needle)
{
	sqlite3_stmt *st;
	assert_int_equal(
	        sqlite3_prepare_v2(cache_db(f->c),
	                           "SELECT state, reasons FROM readiness WHERE vehicle_id=?", -1,
	                           &st, NULL),
	        SQLITE_OK);
	sqlite3_bind_text(st, 1, vid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("no readiness row for %s", vid);
	const char *got = (const char *)sqlite3_column_text(st, 0);
	const char *why = (const char *)sqlite3_column_text(st, 1);
	if (strcmp(got, state) != 0)
		fail_msg("%s: readiness %s, expected %s (%s)", vid, got, state,
		         why ? why : "no reasons");
	if (needle && (!why || !strstr(why, needle)))
		fail_msg("%s: reasons \"%s\" do not mention \"%s\"", vid, why ? why : "", needle);
	if (!needle && why)
		fail_msg("%s: expected no reasons, got \"%s\"", vid, why);
	sqlite3_finalize(st);
}

static void test_readiness_verdicts(void **state)
{
	struct fx *f = *state;
	struct workflow_run_stats st;
	run(f, &st);
	assert_int_equal(st.now, NOW);
	assert_int_equal(st.vehicles, 4);
	assert_int_equal(st.readiness_written, 4);
	assert_int_equal(st.ready + st.limited + st.held, 4);
	assert_readiness(f, "V-1", "held", "fault SPN100-FMI1 (critical)");
	assert_readiness(f, "V-2", "limited", "drive time left 120 min < planned drive 240 min");
	assert_readiness(f, "V-3", "held",
	                 "post_trip inspection at 09:00 unsafe: brake chamber leaking");
	assert_readiness(f, "V-4", "ready", NULL);
	char sql[2048]; /* the vehicle board's own query (views/vehicles.c) shows it */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE id='V-1' AND ready_state='held'",
	         view_vehicles_ops.board->from);
	assert_int_equal(count(f, sql), 1);

	/* Unchanged verdicts are not rewritten; a changed one is. */
	run(f, &st);
	assert_int_equal(st.readiness_written, 0);
	struct wb_inspection in;
	wb_entity_clear(WB_ENT_INSPECTION, &in);
	test_meta(&in.meta, "I-3", "telematics", 1);
	in.vehicle_id = "V-3";
	in.kind = "pre_trip";
	in.safe = 1;
	in.at = NOW - 60;
	test_put(f->c, WB_ENT_INSPECTION, &in);
	run(f, &st);
	assert_int_equal(st.readiness_written, 1);
	assert_readiness(f, "V-3", "ready", NULL);
}

static void test_proposal_recorded_once(void **state)
{
	struct fx *f = *state;
	struct workflow_run_stats st;
	run(f, &st);
	assert_int_equal(st.work_orders, 1);
	assert_int_equal(st.holds_placed, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='open_work_order'"
	                          " AND subject='fault:F-1' AND source='" WO_SOURCE
	                          "' AND user='waybill'"),
	                 1);
	/* The proposal carries the fault, vehicle, category, parts, cost and due time. */
	assert_int_equal(
	        count(f, "SELECT count(*) FROM outbox WHERE action='open_work_order'"
	                 " AND json_extract(payload,'$.fault_id')='F-1'"
	                 " AND json_extract(payload,'$.vehicle_id')='V-1'"
	                 " AND json_extract(payload,'$.category')='corrective'"
	                 " AND json_extract(payload,'$.est_cost')=540"
	                 " AND json_extract(payload,'$.due_at')='2025-03-08T10:00:00Z'"
	                 " AND json_array_length(payload,'$.parts')=3"
	                 " AND json_extract(payload,'$.parts[0].item')='oil pressure sender'"),
	        1);
	assert_int_equal(count(f,
	                       "SELECT count(*) FROM outbox WHERE action='place_hold'"
	                       " AND subject='vehicle:V-1' AND source='telematics'"
	                       " AND json_extract(payload,'$.reason') LIKE '%fault SPN100-FMI1%'"),
	                 1);
	assert_int_equal(count(f,
	                       "SELECT count(*) FROM audit WHERE user='waybill' AND role='system'"
	                       " AND ((action='open_work_order' AND subject='fault:F-1') OR"
	                       " (action='place_hold' AND subject='vehicle:V-1'"
	                       "  AND reason LIKE '%SPN100-FMI1%'))"),
	                 2);

	/* Again while pending, again once delivered, and again after a restart. */
	run(f, &st);
	assert_int_equal(st.work_orders + st.holds_placed, 0);
	test_deliver_all(f->c, NOW);
	run(f, &st);
	assert_int_equal(st.work_orders + st.holds_placed, 0);
	cache_close(f->c);
	struct wb_err err = {0};
	f->c = cache_open(f->path, NULL, &err);
	assert_non_null(f->c);
	run(f, &st);
	assert_int_equal(st.work_orders + st.holds_placed, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action IN "
	                          "('open_work_order','place_hold')"),
	                 2);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action IN "
	                          "('open_work_order','place_hold')"),
	                 2);

	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
}

static void test_hold_clears_when_work_order_closes(void **state)
{
	struct fx *f = *state;
	struct workflow_run_stats st;
	run(f, &st);
	test_deliver_all(f->c, NOW);
	/* The source opened its work order and holds the unit. */
	vehicle(f->c, "V-1", "T-1", "available", 1, 2);
	work_order(f->c, "open", WB_NULL, 1);
	run(f, &st);
	assert_int_equal(st.holds_cleared, 0);
	assert_int_equal(st.work_orders, 0);
	assert_readiness(f, "V-1", "held", "on maintenance hold until work order WO-77");

	/* In progress is not closed. */
	work_order(f->c, "in_progress", WB_NULL, 2);
	run(f, &st);
	assert_int_equal(st.holds_cleared, 0);

	/* Closed: the fault is repaired and the pass clears its hold, once. */
	work_order(f->c, "closed", NOW + 600, 3);
	fault(f->c, 0, NOW + 600, 2);
	run(f, &st);
	assert_int_equal(st.holds_cleared, 1);
	const char *q =
	        "SELECT count(*) FROM outbox WHERE action='clear_hold' AND subject='vehicle:V-1'"
	        " AND user='waybill' AND source='telematics'";
	assert_int_equal(count(f, q), 1);
	assert_int_equal(
	        count(f, "SELECT count(*) FROM audit WHERE action='clear_hold' AND user='waybill'"
	                 " AND role='system' AND reason LIKE '%work order WO-77%closed%'"),
	        1);
	/* Until the source lifts it, the unit is still held. */
	assert_readiness(f, "V-1", "held", "on maintenance hold");
	run(f, &st); /* pending */
	test_deliver_all(f->c, NOW);
	run(f, &st); /* delivered, the source not synced yet */
	assert_int_equal(count(f, q), 1);
	vehicle(f->c, "V-1", "T-1", "available", 0, 3);
	run(f, &st);
	assert_int_equal(count(f, q), 1);
	assert_readiness(f, "V-1", "ready", NULL);
}

static void test_hand_hold_is_not_cleared(void **state)
{
	struct fx *f = *state;
	struct workflow_run_stats st;
	/* Held by a person before the fault: the pass proposes the work order but
	 * neither places nor clears a hold it did not place. */
	vehicle(f->c, "V-1", "T-1", "available", 1, 2);
	run(f, &st);
	assert_int_equal(st.work_orders, 1);
	assert_int_equal(st.holds_placed, 0);
	test_deliver_all(f->c, NOW);
	work_order(f->c, "closed", NOW + 600, 1);
	fault(f->c, 0, NOW + 600, 2);
	run(f, &st);
	assert_int_equal(st.holds_cleared, 0);
	assert_int_equal(
	        count(f, "SELECT count(*) FROM outbox WHERE action IN ('place_hold','clear_hold')"),
	        0);
	assert_readiness(f, "V-1", "held", "on maintenance hold");
}

/* With a Tryton ERP, which has no invoice hold, the pass leaves the hold out
 * (refused before it is queued, as a person's would be) and still releases:
 * the same invoices as test_invoices_released_or_held_once. */
static void test_invoice_hold_left_out_for_a_kind_without_it(void **state)
{
	struct fx *f = *state;
	struct settings *cfg = settings_defaults();
	assert_non_null(cfg);
	cfg->sources[0].name = strdup("erp");
	cfg->sources[0].kind = strdup("tryton");
	cfg->sources[0].ops = connector_find("tryton");
	assert_non_null(cfg->sources[0].ops);
	struct workflow_run_stats st;
	struct wb_err err = {0};
	struct workflow_opts o = {
	        .wo_source = WO_SOURCE, .maintenance = true, .invoices = true, .cfg = cfg};
	if (workflow_run(f->c, NULL, &o, NOW, &st, &err) != 0)
		fail_msg("workflow_run: %s", err.msg);
	assert_int_equal(st.unsupported, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='hold_invoice'"
	                          " AND subject='invoice:INV-11'"),
	                 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='hold_invoice'"
	                          " AND subject='invoice:INV-11'"),
	                 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='release_invoice'"
	                          " AND subject='invoice:INV-10'"),
	                 1);
	settings_free(cfg);
}

static void test_invoices_released_or_held_once(void **state)
{
	struct fx *f = *state;
	struct workflow_run_stats st;
	run(f, &st);
	assert_int_equal(st.invoices_released, 1);
	assert_int_equal(st.invoices_held, 1);
	assert_int_equal(st.pending, 1); /* INV-13 */
	assert_int_equal(count(f,
	                       "SELECT count(*) FROM outbox WHERE action='release_invoice'"
	                       " AND subject='invoice:INV-10' AND source='erp' AND user='waybill'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='release_invoice'"
	                          " AND subject='invoice:INV-10' AND role='system' AND reason="
	                          "'automatic: delivered, POD clean, charges within tolerance'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='hold_invoice'"
	                          " AND subject='invoice:INV-11' AND user='waybill'"
	                          " AND json_extract(payload,'$.reason') LIKE '%POD POD-11 has "
	                          "exception codes DAMAGED%'"),
	                 1);
	/* The dispute opens its exception on the invoice; the pass records nothing on it. */
	assert_int_equal(count(f,
	                       "SELECT count(*) FROM exception WHERE id='X-invoice_dispute-INV-12'"
	                       " AND subject_id='INV-12' AND source='local' AND status='open'"
	                       " AND related_id='L-12'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-12'"), 0);
	/* The POD finding is the detectors' (on the load): the pass does not write it. */
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE kind='pod_mismatch'"), 0);
	/* Pending: nothing recorded on INV-13 but the dispatcher's own action. */
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-13'"), 1);
	/* A person's hold on INV-14 is theirs to lift. */
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-14'"), 0);

	/* No duplicates while pending, nor once delivered and the source not synced. */
	run(f, &st);
	assert_int_equal(st.invoices_released + st.invoices_held, 0);
	assert_int_equal(st.pending, 3); /* INV-13, and the pass's own INV-10 and INV-11 */
	test_deliver_all(f->c, NOW);
	run(f, &st);
	assert_int_equal(st.invoices_released + st.invoices_held, 0);
	assert_int_equal(st.exceptions.raised, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE user='waybill' AND subject "
	                          "LIKE 'invoice:%'"),
	                 2);

	/* INV-13's hold was delivered but has not come back by sync: it is still
	 * a clean draft in the cache, and still the dispatcher's to lift. */
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-13'"), 1);
	/* INV-11 held by the pass, its POD corrected: the pass releases its own hold. */
	billed_load(f->c, "L-11", "POD-11", "", "INV-11", "held", 1000, 1000, 2);
	run(f, &st);
	assert_int_equal(st.invoices_released, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='release_invoice'"
	                          " AND subject='invoice:INV-11' AND user='waybill'"),
	                 1);
	run(f, &st);
	assert_int_equal(st.invoices_released, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-13'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-14'"), 0);
	struct wb_err err = {0};
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
}

/* With the automation switched off the pass still judges readiness but records
 * nothing; switched on again it does what it would have done. */
static void test_automation_off(void **state)
{
	struct fx *f = *state;
	struct workflow_run_stats st;
	run_with(f, false, false, &st);
	assert_int_equal(st.vehicles, 4);
	assert_readiness(f, "V-1", "held", "fault SPN100-FMI1 (critical)");
	assert_int_equal(st.work_orders + st.holds_placed + st.invoices_released + st.invoices_held,
	                 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE user='waybill'"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE kind='invoice_dispute'"),
	                 0);
	run_with(f, true, false, &st);
	assert_int_equal(st.work_orders, 1); /* V-1's critical fault */
	assert_int_equal(st.invoices_released + st.invoices_held, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE user='waybill' AND subject "
	                          "LIKE 'invoice:%'"),
	                 0);
	run_with(f, true, true, &st);
	assert_int_equal(st.invoices_released, 1);
}

/* A source's text cut to a reason's length must not leave half a character:
 * the audit refuses text that is not UTF-8, and that would fail the pass. */
static void test_long_source_text_stays_utf8(void **state)
{
	struct fx *f = *state;
	char codes[401] = "";
	for (int i = 0; i < 200; i++)
		strcat(codes, "\xc3\xa9"); /* é */
	billed_load(f->c, "L-15", "POD-15x", codes, "INV-15", "draft", 1000, 1000, 1);
	struct workflow_run_stats st;
	run(f, &st);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='hold_invoice'"
	                          " AND subject='invoice:INV-15' AND user='waybill'"),
	                 1);
	char *r = NULL;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c),
	                                    "SELECT reason FROM audit WHERE subject="
	                                    "'invoice:INV-15'",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	r = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	json_t *j = json_string(r); /* NULL for text that is not UTF-8 */
	assert_non_null(j);
	json_decref(j);
	free(r);
}

static void test_refuses_inside_a_transaction(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	assert_int_equal(cache_begin(f->c, &err), 0);
	assert_int_equal(workflow_run(f->c, NULL, NULL, NOW, NULL, &err), WB_EINVALID);
	cache_rollback(f->c);
	assert_int_equal(count(f, "SELECT count(*) FROM readiness"), 0);
}

static void test_work_order_source_from_config(void **state)
{
	(void)state;
	struct settings cfg;
	memset(&cfg, 0, sizeof(cfg));
	static const char *const roles[] = {"erp", "tms", "telematics", "maintenance"};
	for (int i = 0; i < CONFIG_NREQUIRED; i++) {
		cfg.sources[i].name = (char *)roles[i];
		cfg.sources[i].ops = connector_find("waybill");
	}
	assert_null(workflow_run_work_order_source(NULL));
	assert_string_equal(workflow_run_work_order_source(&cfg), "telematics");
	/* A maintenance source owns work orders, though the telematics kind
	 * serves them too. */
	cfg.sources[3].name = (char *)roles[3];
	cfg.sources[3].ops = connector_find("waybill");
	assert_string_equal(workflow_run_work_order_source(&cfg), "maintenance");
}

/* ---- plan and apply --------------------------------------------------------- */

static const struct workflow_opts all_on = {
        .wo_source = WO_SOURCE, .maintenance = true, .invoices = true};

/* A second connection on the fixture's cache file. */
static struct cache *second(struct fx *f, int busy_ms, bool readonly)
{
	struct wb_err err = {0};
	struct cache_opts o = {.busy_ms = busy_ms, .readonly = readonly};
	struct cache *c = cache_open(f->path, &o, &err);
	if (!c)
		fail_msg("cache_open (second connection): %s", err.msg);
	return c;
}

static struct workflow_plan *plan_on(struct cache *c, struct workflow_run_stats *st)
{
	struct wb_err err = {0};
	struct workflow_plan *p = NULL;
	if (workflow_plan(c, NULL, &all_on, NOW, &p, st, &err) != 0)
		fail_msg("workflow_plan: %s", err.msg);
	assert_non_null(p);
	return p;
}

static void apply_on(struct cache *c, const struct workflow_plan *p, struct workflow_run_stats *st)
{
	struct wb_err err = {0};
	if (workflow_apply(c, p, st, &err) != 0)
		fail_msg("workflow_apply: %s", err.msg);
}

/* The first column of sql's one row as malloc'd text ("" for NULL). */
static char *text_of(struct cache *c, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(cache_db(c), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(cache_db(c)));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	char *r = strdup(t ? (const char *)t : "");
	sqlite3_finalize(st);
	return r;
}

/* What a pass leaves behind, as text: the outbox, the audit trail (without
 * the random outbox keys and the hashes over them), readiness and exceptions. */
static const char *const dump_sql[] = {
        "SELECT group_concat(x, char(10)) FROM (SELECT "
        "source||'|'||action||'|'||subject||'|'||payload"
        "||'|'||user||'|'||status AS x FROM outbox ORDER BY seq)",
        "SELECT group_concat(x, char(10)) FROM (SELECT "
        "user||'|'||role||'|'||action||'|'||subject||'|'"
        "||coalesce(before,'')||'|'||coalesce(json_remove(after,'$.outbox_key'),'')||'|'"
        "||coalesce(reason,'')||'|'||at AS x FROM audit ORDER BY seq)",
        "SELECT group_concat(x, char(10)) FROM (SELECT "
        "vehicle_id||'|'||state||'|'||coalesce(reasons,'')"
        "||'|'||computed_at AS x FROM readiness ORDER BY vehicle_id)",
        "SELECT group_concat(x, char(10)) FROM (SELECT id||'|'||kind||'|'||status||'|'"
        "||coalesce(related_id,'')||'|'||ext_version||'|'||coalesce(evidence,'') AS x FROM "
        "exception"
        " ORDER BY id)",
};

static void assert_same_cache(struct cache *a, struct cache *b)
{
	for (size_t i = 0; i < sizeof(dump_sql) / sizeof(dump_sql[0]); i++) {
		char *x = text_of(a, dump_sql[i]), *y = text_of(b, dump_sql[i]);
		if (strcmp(x, y) != 0)
			fail_msg("workflow_run and plan+apply differ:\n--- run\n%s\n--- "
			         "plan+apply\n%s",
			         x, y);
		free(x);
		free(y);
	}
}

/* The facts move on as in test_hold_clears_when_work_order_closes and the
 * invoice test: the source holds V-1, closes its work order, repairs the
 * fault, and holds INV-11 with its POD corrected. */
static void facts_move_on(struct fx *f)
{
	test_deliver_all(f->c, NOW);
	vehicle(f->c, "V-1", "T-1", "available", 1, 2);
	work_order(f->c, "closed", NOW + 600, 1);
	fault(f->c, 0, NOW + 600, 2);
	billed_load(f->c, "L-11", "POD-11", "", "INV-11", "held", 1000, 1000, 2);
}

/* Planned on a second connection and applied on the first, a pass leaves the
 * cache exactly as workflow_run does, on a first pass and on a later one that
 * clears a hold and releases the pass's own held invoice. */
static void test_plan_elsewhere_apply_here(void **state)
{
	struct fx *a = *state, *b = NULL;
	void *sb = NULL;
	setup(&sb);
	b = sb;
	struct cache *b2 = second(b, 0, false);
	for (int round = 0; round < 2; round++) {
		struct workflow_run_stats ran, judged, wrote;
		run(a, &ran);
		int changes = sqlite3_total_changes(cache_db(b2));
		struct workflow_plan *p = plan_on(b2, &judged);
		assert_int_equal(sqlite3_total_changes(cache_db(b2)),
		                 changes); /* the plan wrote nothing */
		/* The first pass: 4 verdicts, V-1, INV-10, -11, -12's dispute (as in
		 * test_plan_reads_under_a_writer); the second: fewer steps, the facts having moved
		 * on. */
		assert_int_equal(workflow_plan_size(p), round == 0 ? 8 : 3);
		apply_on(b->c, p, &wrote);
		workflow_plan_free(p);
		assert_int_equal(judged.vehicles, ran.vehicles);
		assert_int_equal(judged.held, ran.held);
		assert_int_equal(judged.pending + wrote.pending, ran.pending);
		assert_int_equal(wrote.readiness_written, ran.readiness_written);
		assert_int_equal(wrote.work_orders, ran.work_orders);
		assert_int_equal(wrote.holds_placed, ran.holds_placed);
		assert_int_equal(wrote.holds_cleared, ran.holds_cleared);
		assert_int_equal(wrote.invoices_released, ran.invoices_released);
		assert_int_equal(wrote.invoices_held, ran.invoices_held);
		assert_int_equal(wrote.exceptions.raised, ran.exceptions.raised);
		assert_same_cache(a->c, b->c);
		if (round == 0) {
			assert_int_equal(ran.work_orders + ran.holds_placed +
			                         ran.invoices_released + ran.invoices_held +
			                         ran.exceptions.raised,
			                 5);
			facts_move_on(a);
			facts_move_on(b);
		} else {
			assert_int_equal(ran.holds_cleared + ran.invoices_released, 2);
		}
	}
	/* Nothing left to do: the plan is empty and apply takes no lock. */
	struct workflow_plan *p = plan_on(b2, NULL);
	test_deliver_all(b->c, NOW);
	workflow_plan_free(p);
	p = plan_on(b2, NULL);
	assert_int_equal(workflow_plan_size(p), 0);
	workflow_plan_free(p);
	cache_close(b2);
	teardown(&sb);
}

/* Between plan and apply a person holds INV-10 (the plan would release it), the
 * hold already delivered, and an action goes pending on V-1 (the plan proposes
 * its work order and hold): apply drops both, counted as put off, one for its
 * audit trail, the other for its outbox, and writes the rest. Applying the same
 * plan again writes nothing twice; later passes decide both anew. */
static void test_stale_decision_dropped(void **state)
{
	struct fx *f = *state;
	struct cache *c2 = second(f, 0, false);
	struct workflow_run_stats judged, wrote;
	struct workflow_plan *p = plan_on(c2, &judged);
	struct wb_err err = {0};
	struct cache_action a = {.source = "erp",
	                         .action = "hold_invoice",
	                         .subject = "invoice:INV-10",
	                         .payload = "{\"reason\":\"wrong PO\"}",
	                         .user = "ann",
	                         .role = "dispatcher",
	                         .reason = "wrong PO",
	                         .at = NOW};
	assert_int_equal(cache_action_record(f->c, &a, NULL, NULL, &err), 0);
	test_deliver_all(f->c,
	                 NOW); /* INV-10 held and no longer pending: only its audit trail moved */
	/* V-1 pending without an audit row of its own: only the outbox says so. */
	char key[40];
	assert_int_equal(outbox_enqueue(f->c, "telematics", "assign_vehicle", "vehicle:V-1", "{}",
	                                "bob", NOW, key, &err),
	                 0);
	apply_on(f->c, p, &wrote);
	assert_int_equal(wrote.pending, 2);
	assert_int_equal(wrote.invoices_released, 0);
	assert_int_equal(wrote.work_orders + wrote.holds_placed, 0);
	assert_int_equal(wrote.invoices_held, 1); /* INV-11 did not move */
	assert_int_equal(wrote.readiness_written, 4);
	assert_int_equal(wrote.exceptions.raised, 1);
	const char *mine = "SELECT count(*) FROM outbox WHERE user='waybill' AND subject IN"
	                   " ('invoice:INV-10','vehicle:V-1','fault:F-1')";
	assert_int_equal(count(f, mine), 0);

	/* The same plan again: INV-11 is now recorded on, the rest as before. */
	apply_on(f->c, p, &wrote);
	assert_int_equal(wrote.invoices_held + wrote.invoices_released + wrote.work_orders, 0);
	assert_int_equal(wrote.readiness_written + wrote.exceptions.raised, 0);
	assert_int_equal(wrote.pending, 3);
	assert_int_equal(
	        count(f,
	              "SELECT count(*) FROM audit WHERE user='waybill' AND action='hold_invoice'"),
	        1);
	workflow_plan_free(p);

	/* The next pass puts V-1 off while its action waits ... */
	p = plan_on(c2, &judged);
	apply_on(f->c, p, &wrote);
	workflow_plan_free(p);
	assert_int_equal(count(f, mine), 0);
	/* ... and once delivered, proposes V-1's work order and hold, once; INV-10
	 * stays the person's who held it. */
	test_deliver_all(f->c, NOW);
	for (int i = 0; i < 2; i++) {
		p = plan_on(c2, &judged);
		apply_on(f->c, p, &wrote);
		workflow_plan_free(p);
		assert_int_equal(wrote.work_orders, i == 0);
		assert_int_equal(wrote.invoices_released + wrote.invoices_held, 0);
	}
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE user='waybill' AND action IN"
	                          " ('open_work_order','place_hold') AND subject IN "
	                          "('fault:F-1','vehicle:V-1')"),
	                 2);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-10'"), 1);
	cache_close(c2);
}

/* A plan applied after another pass already wrote what it decided writes
 * nothing again, and a verdict another pass changed since is not put back. */
static void test_plan_overtaken_by_another_pass(void **state)
{
	struct fx *f = *state;
	struct cache *c2 = second(f, 0, false);
	struct workflow_run_stats judged, ran, wrote;
	struct workflow_plan *p = plan_on(c2, &judged);
	/* V-3 inspected safe since the plan, which holds it for its unsafe one. */
	struct wb_inspection in;
	wb_entity_clear(WB_ENT_INSPECTION, &in);
	test_meta(&in.meta, "I-3", "telematics", 1);
	in.vehicle_id = "V-3";
	in.kind = "pre_trip";
	in.safe = 1;
	in.at = NOW - 60;
	test_put(f->c, WB_ENT_INSPECTION, &in);
	run(f, &ran);
	assert_int_equal(ran.work_orders + ran.invoices_released + ran.invoices_held, 3);
	test_deliver_all(f->c,
	                 NOW); /* nothing pending: only the audit trail shows the other pass */
	apply_on(f->c, p, &wrote);
	workflow_plan_free(p);
	assert_int_equal(wrote.work_orders + wrote.holds_placed + wrote.invoices_released +
	                         wrote.invoices_held + wrote.readiness_written +
	                         wrote.exceptions.raised,
	                 0);
	assert_int_equal(wrote.pending, 4); /* V-1, INV-10, INV-11 and V-3's verdict */
	assert_readiness(f, "V-3", "ready", NULL);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE user='waybill'"), 4);
	struct wb_err err = {0};
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
	cache_close(c2);
}

/* The plan writes nothing: the planning connection's change count stays put,
 * and it plans while another connection holds the write lock (WAL readers are
 * not blocked), even on a read-only connection, from the last committed
 * snapshot. Apply then fails cleanly while the lock is held, writing nothing,
 * and succeeds once it is released, dropping what the writer changed. */
static void test_plan_reads_under_a_writer(void **state)
{
	struct fx *f = *state;
	struct cache *c2 = second(f, 50, false);
	sqlite3 *db2 = cache_db(c2);
	int changes = sqlite3_total_changes(db2);
	struct wb_err err = {0};
	assert_int_equal(cache_begin(f->c, &err), 0); /* BEGIN IMMEDIATE */
	struct cache_action a = {.source = "erp",
	                         .action = "hold_invoice",
	                         .subject = "invoice:INV-10",
	                         .user = "ann",
	                         .role = "dispatcher",
	                         .reason = "wrong PO",
	                         .at = NOW};
	assert_int_equal(cache_action_record(f->c, &a, NULL, NULL, &err),
	                 0); /* not committed yet */
	struct cache *ro = second(f, 50, true);

	struct workflow_run_stats judged, wrote;
	struct workflow_plan *p = plan_on(c2, &judged);
	assert_int_equal(sqlite3_total_changes(db2), changes);
	assert_int_equal(judged.vehicles, 4);
	assert_int_equal(judged.pending, 1); /* INV-13; the uncommitted hold is not seen */
	struct workflow_plan *p_ro = plan_on(ro, NULL);
	assert_int_equal(workflow_plan_size(p_ro), workflow_plan_size(p));
	assert_int_equal(workflow_plan_size(p),
	                 8); /* 4 verdicts, V-1, INV-10, -11, -12's dispute */

	/* The writer still holds the lock: apply waits its busy time and gives up. */
	assert_int_equal(workflow_apply(c2, p, &wrote, &err), WB_EBUSY);
	assert_false(cache_in_txn(c2));
	assert_int_equal(sqlite3_total_changes(db2), changes);
	assert_int_equal(cache_commit(f->c, &err), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE user='waybill'"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM readiness"), 0);
	/* A read-only connection cannot apply. */
	assert_true(workflow_apply(ro, p_ro, &wrote, &err) < 0);
	assert_false(cache_in_txn(ro));

	apply_on(c2, p, &wrote);
	assert_int_equal(wrote.invoices_released, 0); /* INV-10: held by ann since the snapshot */
	assert_int_equal(wrote.invoices_held, 1);
	assert_int_equal(wrote.work_orders, 1);
	assert_int_equal(wrote.readiness_written, 4);
	assert_int_equal(wrote.pending, 1);
	assert_true(sqlite3_total_changes(db2) > changes);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-10'"), 1);
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
	workflow_plan_free(p);
	workflow_plan_free(p_ro);
	cache_close(ro);
	cache_close(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_readiness_verdicts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_proposal_recorded_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hold_clears_when_work_order_closes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_hand_hold_is_not_cleared, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invoice_hold_left_out_for_a_kind_without_it,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invoices_released_or_held_once, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_long_source_text_stays_utf8, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refuses_inside_a_transaction, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_automation_off, setup, teardown),
	        cmocka_unit_test(test_work_order_source_from_config),
	        cmocka_unit_test_setup_teardown(test_plan_elsewhere_apply_here, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stale_decision_dropped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_plan_overtaken_by_another_pass, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_plan_reads_under_a_writer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
