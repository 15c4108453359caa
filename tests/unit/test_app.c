/* The action layer (app/) over a real cache: the judging functions the
 * console, the CLI and the workflow pass share, and the actions. Each of the
 * old divergences has a test here that failed while the console judged on its
 * own: the configured invoice tolerance, the configured blocks_release, and a
 * vehicle judged the same on the Vehicles board (the pass's verdict) and by
 * the release gate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>

#include "testutil.h"
#include "app/app.h"
#include "cache/cache.h"
#include "core/core_policy.h"
#include "local/workflow_run.h"
#include "settings/settings.h"

#define NOW 1741341600

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	struct settings *cfg; /* every default; a test changes the policy */
};

static void vehicle(struct cache *c, const char *id, const char *status, int on_hold,
                    int64_t version)
{
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	test_meta(&v.meta, id, "telematics", version);
	v.unit = id;
	v.kind = "tractor";
	v.status = status;
	v.odometer_m = 100000e3;
	v.pm_due_odometer_m = 140000e3;
	v.on_hold = on_hold;
	v.hold_reason = on_hold ? "fault" : NULL;
	test_put(c, WB_ENT_VEHICLE, &v);
}

static void fault(struct cache *c, const char *vid, int active, int64_t version)
{
	struct wb_fault f;
	wb_entity_clear(WB_ENT_FAULT, &f);
	test_meta(&f.meta, "F-1", "telematics", version);
	f.vehicle_id = vid;
	f.code = "SPN100-FMI1";
	f.severity = "critical";
	f.description = "Engine oil pressure low";
	f.active = active;
	f.first_seen = NOW - 600;
	f.last_seen = NOW - 60;
	test_put(c, WB_ENT_FAULT, &f);
}

static void driver(struct cache *c, const char *id, int64_t drive_left_s)
{
	struct wb_driver d;
	wb_entity_clear(WB_ENT_DRIVER, &d);
	test_meta(&d.meta, id, "telematics", 1);
	d.name = id;
	d.drive_left_s = drive_left_s;
	d.duty_left_s = 10 * 3600;
	d.cycle_left_s = 40 * 3600;
	test_put(c, WB_ENT_DRIVER, &d);
}

/* A planned load, fully staged at a door with labor ready. */
static void load(struct cache *c, const char *id, const char *vid, const char *did,
                 int64_t departure, int64_t drive_s)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, id, "tms", 1);
	l.number = id;
	l.status = "planned";
	l.vehicle_id = vid;
	l.driver_id = did;
	l.planned_departure = departure;
	l.planned_drive_s = drive_s;
	l.pallets = 10;
	test_put(c, WB_ENT_LOAD, &l);
	char sid[64];
	snprintf(sid, sizeof(sid), "ST-%s", id);
	struct wb_staging s;
	wb_entity_clear(WB_ENT_STAGING, &s);
	test_meta(&s.meta, sid, "tms", 1);
	s.load_id = id;
	s.dock_door = "D1";
	s.pallets_staged = 10;
	s.pallets_total = 10;
	s.labor_ready = 1;
	s.appointment_at = departure - 1800;
	test_put(c, WB_ENT_STAGING, &s);
}

static void exception(struct cache *c, const char *id, const char *kind, const char *subject,
                      const char *origin, const char *status)
{
	struct wb_exception x;
	wb_entity_clear(WB_ENT_EXCEPTION, &x);
	test_meta(&x.meta, id, origin && !strcmp(origin, "local") ? "local" : "tms", 1);
	x.kind = kind;
	x.subject_kind = "load";
	x.subject_id = subject;
	x.severity = "major";
	/* A dispatcher's decision under the default policy (an unknown amount at
	 * stake would need two supervisors: test_app_approve.c). */
	x.confidence = 0.7;
	x.impact = 500;
	x.origin = origin;
	x.status = status;
	x.required_role = "dispatcher";
	x.detected_at = NOW - 600;
	test_put(c, WB_ENT_EXCEPTION, &x);
}

/* A delivered load with a clean POD, one charge and its draft invoice. */
static void billed(struct cache *c, const char *lid, const char *inv_id, double amount,
                   double rated)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, lid, "tms", 1);
	l.number = lid;
	l.status = "delivered";
	l.delivered_at = NOW - 7200;
	test_put(c, WB_ENT_LOAD, &l);
	char id[64];
	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	snprintf(id, sizeof(id), "POD-%s", lid);
	test_meta(&p.meta, id, "tms", 1);
	p.load_id = lid;
	p.signed_by = "J. Doe";
	p.signed_at = NOW - 7000;
	p.exception_codes = "";
	test_put(c, WB_ENT_POD, &p);
	struct wb_charge ch;
	wb_entity_clear(WB_ENT_CHARGE, &ch);
	snprintf(id, sizeof(id), "CH-%s", lid);
	test_meta(&ch.meta, id, "erp", 1);
	ch.load_id = lid;
	ch.code = "linehaul";
	ch.amount = amount;
	ch.rated_amount = rated;
	test_put(c, WB_ENT_CHARGE, &ch);
	struct wb_invoice inv;
	wb_entity_clear(WB_ENT_INVOICE, &inv);
	test_meta(&inv.meta, inv_id, "erp", 1);
	inv.number = inv_id;
	inv.load_id = lid;
	inv.amount = amount;
	inv.currency = "EUR";
	inv.status = "draft";
	inv.issued_at = NOW - 3600;
	test_put(c, WB_ENT_INVOICE, &inv);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	f->cfg = settings_defaults();
	assert_non_null(f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	settings_free(f->cfg);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static struct app_ctx ctx(struct fx *f, const char *user, int role)
{
	return (struct app_ctx){.cache = f->c,
	                        .settings = f->cfg,
	                        .actor = {.user = user, .role = role},
	                        .now = NOW};
}

static int64_t count(struct fx *f, const char *sql)
{
	return test_count(f->c, sql);
}

static bool has_why(const struct app_result *r, const char *needle)
{
	for (size_t i = 0; i < r->nwhy; i++)
		if (strstr(r->why[i], needle))
			return true;
	return false;
}

static void pass(struct fx *f, const struct core_policy *pol)
{
	struct wb_err err = {0};
	struct workflow_opts o = {.maintenance = true, .invoices = true};
	struct workflow_run_stats st;
	if (workflow_run(f->c, pol, &o, NOW, &st, &err) != 0)
		fail_msg("workflow_run: %s", err.msg);
}

/* The pass's stored verdict of vid: state and reasons ("" when none). */
static void board(struct fx *f, const char *vid, char *state, size_t sl, char *why, size_t wl)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c),
	                                    "SELECT state, coalesce(reasons, '') FROM readiness"
	                                    " WHERE vehicle_id=?",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, vid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("no readiness row for %s", vid);
	snprintf(state, sl, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(why, wl, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
}

/* The verdict app/ gives vid when a person acts, joined as the board shows it. */
static void judged(struct fx *f, const char *vid, char *state, size_t sl, char *why, size_t wl)
{
	struct app_vehicle_data d;
	struct wb_err err = {0};
	if (app_vehicle_gather(f->c, vid, &d, &err) != 0)
		fail_msg("app_vehicle_gather: %s", err.msg);
	struct core_readiness r;
	app_vehicle_readiness(&d.f, &r);
	snprintf(state, sl, "%s", core_ready_state_name(r.state));
	size_t n = 0;
	why[0] = '\0';
	for (size_t i = 0; i < r.why.n && n < wl; i++)
		n += (size_t)snprintf(why + n, wl - n, "%s%s", i ? "; " : "", r.why.r[i].msg);
	app_vehicle_data_free(&d);
}

static void assert_same_verdict(struct fx *f, const char *vid)
{
	char s1[16], s2[16], w1[2048], w2[2048];
	board(f, vid, s1, sizeof(s1), w1, sizeof(w1));
	judged(f, vid, s2, sizeof(s2), w2, sizeof(w2));
	if (strcmp(s1, s2) || strcmp(w1, w2))
		fail_msg("%s: board says %s (%s), the gate's readiness %s (%s)", vid, s1, w1, s2,
		         w2);
}

/* Divergence 3: the Vehicles board (the pass) and :release judge a truck the
 * same: the pass's own hold names its work order; the driver and drive of the
 * vehicle's next run, not of the load being released. */
/* :release judges a load by its newest staging row (the latest appointment),
 * whichever order the rows come in, never by an older one. */
static void test_newest_staging_judged(void **state)
{
	(void)state;
	const struct {
		int64_t old_staged, new_staged; /* of 10 pallets */
		bool under_staged;              /* the gate's verdict on the newest */
	} cases[] = {
	        {10, 4, true},  /* old row full, newest 40%: held */
	        {4, 10, false}, /* old row 40%, newest full: not under-staged */
	};
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, "L-9", "tms", 1);
	l.status = "planned";
	l.pallets = 10;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (int newest_first = 0; newest_first <= 1; newest_first++) {
			struct wb_staging rows[2];
			for (int i = 0; i < 2; i++) {
				wb_entity_clear(WB_ENT_STAGING, &rows[i]);
				test_meta(&rows[i].meta, i ? "ST-b" : "ST-a", "tms", 1);
				rows[i].load_id = "L-9";
				rows[i].dock_door = "D1";
				rows[i].pallets_total = 10;
				rows[i].labor_ready = 1;
			}
			struct wb_staging *older = &rows[newest_first ? 1 : 0];
			struct wb_staging *newer = &rows[newest_first ? 0 : 1];
			older->appointment_at = 1700000000;
			older->pallets_staged = cases[c].old_staged;
			newer->appointment_at = 1700003600;
			newer->pallets_staged = cases[c].new_staged;
			assert_ptr_equal(app_newest_staging(rows, 2), newer);

			struct app_load_facts f = {.load = &l, .staging = rows, .nstaging = 2};
			struct core_gate g;
			app_load_gate(&f, NULL, &g);
			assert_int_equal(core_reasons_has(&g.why, CORE_R_UNDER_STAGED),
			                 cases[c].under_staged);
		}
	}
}

static void test_board_and_gate_agree(void **state)
{
	struct fx *f = *state;
	vehicle(f->c, "V-1", "available", 0, 1);
	fault(f->c, "V-1", 1, 1);
	driver(f->c, "D-1", 10 * 3600);
	load(f->c, "L-1", "V-1", "D-1", NOW + 3600, 3600);
	/* V-2: its next run is longer than its driver may drive; the load
	 * released below is a later, shorter one. */
	vehicle(f->c, "V-2", "in_transit", 0, 1);
	driver(f->c, "D-2", 2 * 3600);
	load(f->c, "L-2", "V-2", "D-2", NOW + 3600, 4 * 3600);
	load(f->c, "L-3", "V-2", "D-1", NOW + 86400, 3600);
	pass(f, &f->cfg->policy_rules); /* proposes a work order and holds V-1 */
	test_deliver_all(f->c, NOW);
	vehicle(f->c, "V-1", "available", 1, 2); /* the source holds it, opens WO-77 */
	struct wb_work_order w;
	wb_entity_clear(WB_ENT_WORK_ORDER, &w);
	test_meta(&w.meta, "WO-77", "telematics", 1);
	w.vehicle_id = "V-1";
	w.fault_id = "F-1";
	w.status = "open";
	w.category = "corrective";
	w.opened_at = NOW + 60;
	test_put(f->c, WB_ENT_WORK_ORDER, &w);
	pass(f, &f->cfg->policy_rules);
	assert_same_verdict(f, "V-1");
	assert_same_verdict(f, "V-2");

	struct app_ctx x = ctx(f, "ann", CORE_ROLE_DISPATCHER);
	struct app_result r;
	app_release(&x, "L-1", NULL, &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_int_equal(r.refusal, APP_R_GATE);
	if (!has_why(&r, "vehicle V-1 held: on maintenance hold until work order WO-77"))
		fail_msg("the gate does not carry the board's hold reason: %s", r.why[0]);
	app_release(&x, "L-3", NULL, &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_true(has_why(&r, "vehicle V-2 limited: vehicle V-2 is in transit"));
}

static void app_release_as(struct fx *f, const char *id, int role, struct app_result *r)
{
	struct app_ctx x = ctx(f, "sam", role);
	app_release(&x, id, NULL, r);
}

/* Divergence 1: the configured charge tolerance decides for the pass and for
 * a person alike. 1100 against 1000 rated is out of the default tolerance
 * (25 or 2%) and within 15%. */
static void test_invoice_tolerance_default(void **state)
{
	struct fx *f = *state;
	billed(f->c, "L-20", "INV-20", 1100, 1000);
	billed(f->c, "L-21", "INV-21", 1100, 1000);
	struct app_result r;
	app_release_as(f, "INV-20", CORE_ROLE_SUPERVISOR, &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_int_equal(r.refusal, APP_R_GATE);
	assert_string_equal(r.action, "release_invoice");
	assert_true(has_why(&r, "tolerance"));
	pass(f, &f->cfg->policy_rules);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-21'"
	                          " AND action='hold_invoice'"),
	                 1);
}

static void test_invoice_tolerance_configured(void **state)
{
	struct fx *f = *state;
	f->cfg->policy_rules.charge_tol_pct = 15;
	billed(f->c, "L-20", "INV-20", 1100, 1000);
	billed(f->c, "L-21", "INV-21", 1100, 1000);
	struct app_result r;
	app_release_as(f, "INV-20", CORE_ROLE_SUPERVISOR, &r);
	if (r.outcome != APP_QUEUED)
		fail_msg("release INV-20 with 15%% tolerance: %s", r.why[0]);
	assert_int_equal(strlen(r.key), 36);
	pass(f, &f->cfg->policy_rules);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE subject='invoice:INV-21'"
	                          " AND action='release_invoice'"),
	                 1);
	/* A dispatcher may not release an invoice at all. */
	billed(f->c, "L-22", "INV-22", 1000, 1000);
	app_release_as(f, "INV-22", CORE_ROLE_DISPATCHER, &r);
	assert_int_equal(r.refusal, APP_R_ROLE);
}

/* Divergence 2: blocks_release per exception kind, as configured. */
static void test_blocks_release_configured(void **state)
{
	struct fx *f = *state;
	vehicle(f->c, "V-4", "available", 0, 1);
	driver(f->c, "D-4", 10 * 3600);
	load(f->c, "L-5", "V-4", "D-4", NOW + 3600, 3600);
	exception(f->c, "X-ps", "partial_shipment", "L-5", "tms", "open");
	struct app_result r;
	app_release_as(f, "L-5", CORE_ROLE_DISPATCHER, &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_true(has_why(&r, "exception X-ps (partial_shipment, major) is open"));
	f->cfg->policy_rules.kind[CORE_KIND_PARTIAL_SHIPMENT].blocks_release = 0;
	app_release_as(f, "L-5", CORE_ROLE_DISPATCHER, &r);
	if (r.outcome != APP_QUEUED)
		fail_msg("release L-5 with partial_shipment not blocking: %s", r.why[0]);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='release_load'"
	                          " AND subject='load:L-5' AND user='sam' AND role='dispatcher'"),
	                 1);
	/* A second release while the first waits for the source. */
	app_release_as(f, "L-5", CORE_ROLE_DISPATCHER, &r);
	assert_int_equal(r.refusal, APP_R_PENDING);
	assert_string_equal(r.why[0], "release_load still waiting for the source");
}

/* Every failing condition comes back, not the first two; a supervisor may
 * pass the soft ones with a reason, audited; never the hard ones. */
static void test_every_reason_and_override(void **state)
{
	struct fx *f = *state;
	vehicle(f->c, "V-5", "in_transit", 0, 1);
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, "L-6", "tms", 1);
	l.status = "planned";
	l.vehicle_id = "V-5";
	l.pallets = 10;
	test_put(f->c, WB_ENT_LOAD, &l); /* no driver, no staging */
	struct app_result r;
	app_release_as(f, "L-6", CORE_ROLE_SUPERVISOR, &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_true(r.nwhy >= 3);
	assert_true(has_why(&r, "in transit"));
	assert_true(has_why(&r, "has no driver"));
	assert_true(has_why(&r, "no staging record"));
	struct app_ctx x = ctx(f, "sam", CORE_ROLE_SUPERVISOR);
	app_release(&x, "L-6", "customer takes it", &r); /* no driver: hard */
	assert_int_equal(r.refusal, APP_R_OVERRIDE);
	assert_true(has_why(&r, "cannot override"));

	driver(f->c, "D-6", 10 * 3600);
	l.driver_id = "D-6";
	l.meta.ext_version = 2;
	test_put(f->c, WB_ENT_LOAD, &l);
	x.actor.role = CORE_ROLE_DISPATCHER;
	app_release(&x, "L-6", "customer takes it", &r);
	assert_int_equal(r.refusal, APP_R_OVERRIDE);
	assert_true(has_why(&r, "needs supervisor"));
	x.actor.role = CORE_ROLE_SUPERVISOR;
	app_release(&x, "L-6", "", &r);
	assert_int_equal(r.refusal, APP_R_OVERRIDE);
	app_release(&x, "L-6", "customer takes a partial load", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_true(r.overridden);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='release_load'"
	                          " AND reason='customer takes a partial load'"),
	                 1);
}

/* No role from the source, or a viewer: every action refused, nothing recorded. */
static void test_roles(void **state)
{
	struct fx *f = *state;
	vehicle(f->c, "V-1", "available", 0, 1);
	driver(f->c, "D-1", 10 * 3600);
	load(f->c, "L-1", "V-1", "D-1", NOW + 3600, 3600);
	exception(f->c, "X-1", "late_eta", "L-1", "tms", "open");
	int roles[] = {-1, CORE_ROLE_VIEWER};
	for (size_t i = 0; i < 2; i++) {
		struct app_ctx x = ctx(f, "vic", roles[i]);
		x.actor.why_ro = "no config";
		struct app_result r;
		const char *want = roles[i] < 0 ? "read-only until a source says who you are"
		                                : "viewer is read-only";
		app_release(&x, "L-1", NULL, &r);
		assert_int_equal(r.refusal, APP_R_ROLE);
		assert_non_null(strstr(r.why[0], want));
		app_hold(&x, "V-1", "brakes", &r);
		assert_int_equal(r.refusal, APP_R_ROLE);
		app_unhold(&x, "V-1", false, NULL, &r);
		assert_int_equal(r.refusal, APP_R_ROLE);
		app_assign(&x, "L-1", "V-1", "D-1", &r);
		assert_int_equal(r.refusal, APP_R_ROLE);
		app_work_order(&x, "V-1", NULL, &r);
		assert_int_equal(r.refusal, APP_R_ROLE);
		app_decide(&x, APP_APPROVE, "X-1", NULL, &r);
		assert_int_equal(r.refusal, APP_R_ROLE);
		assert_non_null(strstr(r.why[0], want));
	}
	/* A role number no source gives (a newer peer's) is no role either. */
	struct app_ctx x = ctx(f, "vic", CORE_ROLE__COUNT);
	struct app_result r;
	app_release(&x, "L-1", NULL, &r);
	assert_int_equal(r.refusal, APP_R_ROLE);
	assert_non_null(strstr(r.why[0], "read-only until a source says who you are"));
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit"), 0);
}

static void test_hold_unhold_assign_wo(void **state)
{
	struct fx *f = *state;
	vehicle(f->c, "V-1", "available", 0, 1);
	driver(f->c, "D-1", 10 * 3600);
	load(f->c, "L-1", "V-1", "D-1", NOW + 3600, 3600);
	struct app_ctx x = ctx(f, "ann", CORE_ROLE_DISPATCHER);
	struct app_result r;
	app_hold(&x, "V-1", "", &r);
	assert_int_equal(r.refusal, APP_R_INPUT);
	app_hold(&x, "V-9", "brakes", &r);
	assert_int_equal(r.refusal, APP_R_NOTFOUND);
	app_hold(&x, "V-1", "brake chamber leaking", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_string_equal(r.subject, "vehicle:V-1");
	test_deliver_all(f->c, NOW);
	vehicle(f->c, "V-1", "available", 1, 2);
	app_hold(&x, "V-1", "again", &r);
	assert_int_equal(r.refusal, APP_R_STATE);
	struct wb_work_order w;
	wb_entity_clear(WB_ENT_WORK_ORDER, &w);
	test_meta(&w.meta, "WO-1", "telematics", 1);
	w.vehicle_id = "V-1";
	w.status = "open";
	w.category = "corrective";
	test_put(f->c, WB_ENT_WORK_ORDER, &w);
	app_unhold(&x, "V-1", false, NULL, &r);
	assert_int_equal(r.refusal, APP_R_STATE);
	assert_non_null(strstr(r.why[0], "1 open work order"));
	app_unhold(&x, "V-1", true, "road test passed", &r);
	assert_int_equal(r.refusal, APP_R_ROLE);
	x.actor.role = CORE_ROLE_SUPERVISOR;
	app_unhold(&x, "V-1", true, "", &r);
	assert_int_equal(r.refusal, APP_R_INPUT);
	app_unhold(&x, "V-1", true, "road test passed", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_true(r.overridden);
	app_assign(&x, "L-1", "V-1", "D-404", &r);
	assert_int_equal(r.refusal, APP_R_NOTFOUND);
	assert_non_null(strstr(r.why[0], "D-404"));
	app_assign(&x, "L-1", "V-1", "D-1", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	app_work_order(&x, "V-1", "F-1", &r); /* the unhold still waits */
	assert_int_equal(r.refusal, APP_R_PENDING);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action IN"
	                          " ('place_hold','clear_hold','assign_load')"),
	                 3);
}

/* The audit row's before and after are JSON whatever a source put in the
 * texts they quote: a load's vehicle id with a quote and a newline. */
static void test_audit_texts_are_json(void **state)
{
	struct fx *f = *state;
	vehicle(f->c, "V-1", "available", 0, 1);
	driver(f->c, "D-1", 10 * 3600);
	load(f->c, "L-Q", "V-\"7\"\nx", NULL, NOW + 3600, 3600);
	struct app_ctx x = ctx(f, "ann", CORE_ROLE_DISPATCHER);
	struct app_result r;
	app_assign(&x, "L-Q", "V-1", "D-1", &r);
	if (r.outcome != APP_QUEUED)
		fail_msg("assign refused: %s", r.why[0]);
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_int_equal(
	        count(f, "SELECT count(*) FROM audit WHERE subject='load:L-Q'"
	                 " AND json_valid(before) AND json_valid(after)"
	                 " AND json_extract(before, '$.vehicle_id')='V-\"7\"' || char(10) || 'x'"
	                 " AND json_extract(after, '$.driver_id')='D-1'"),
	        1);
}

/* Waybill's own exceptions are decided here; one without a status counts as
 * open, for the gate as for a decision. */
static void test_decisions(void **state)
{
	struct fx *f = *state;
	exception(f->c, "X-loc", "late_eta", "L-1", "local", NULL);
	exception(f->c, "X-tms", "late_eta", "L-1", "tms", "open");
	exception(f->c, "X-done", "late_eta", "L-1", "tms", "approved");
	struct app_ctx x = ctx(f, "ann", CORE_ROLE_DISPATCHER);
	struct app_result r;
	app_decide(&x, APP_APPROVE, "X-loc", "checked the ETA", &r);
	assert_int_equal(r.outcome, APP_DONE);
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE id='X-loc'"
	                          " AND status='approved' AND resolved_at IS NOT NULL"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE subject='exception:X-loc'"
	                          " AND reason='checked the ETA'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
	app_decide(&x, APP_ESCALATE, "X-tms", NULL, &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	app_decide(&x, APP_ACK, "X-tms", NULL, &r);
	assert_int_equal(r.refusal, APP_R_PENDING);
	app_decide(&x, APP_REJECT, "X-done", NULL, &r);
	assert_int_equal(r.refusal, APP_R_STATE);
	assert_string_equal(r.why[0], "already approved");
	app_decide(&x, APP_ACK, "X-none", NULL, &r);
	assert_int_equal(r.refusal, APP_R_NOTFOUND);
	/* One the source deleted meanwhile is gone, not decided. */
	struct wb_exception gone;
	wb_entity_clear(WB_ENT_EXCEPTION, &gone);
	test_meta(&gone.meta, "X-gone", "tms", 2);
	gone.meta.deleted = 1;
	test_put(f->c, WB_ENT_EXCEPTION, &gone);
	app_decide(&x, APP_ACK, "X-gone", NULL, &r);
	assert_int_equal(r.refusal, APP_R_STATE);
	assert_string_equal(r.why[0], "gone at the source");
	assert_int_equal(app_decision_from_word("acknowledge"), APP_ACK);
	assert_int_equal(app_decision_from_word("release"), -1);
}

static void test_outbox_retry(void **state)
{
	struct fx *f = *state;
	vehicle(f->c, "V-1", "available", 0, 1);
	struct app_ctx x = ctx(f, "ann", CORE_ROLE_DISPATCHER);
	struct app_result r, rr;
	app_hold(&x, "V-1", "brakes", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	app_outbox_retry(&x, r.key, &rr);
	assert_int_equal(rr.refusal, APP_R_STATE); /* pending, not failed */
	struct wb_err err = {0};
	assert_int_equal(outbox_failed(f->c, r.key, 409, "vehicle busy", NOW, &err), 0);
	struct outbox_item *items;
	size_t n;
	assert_int_equal(outbox_list(f->c, true, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].answer, "vehicle busy");
	outbox_list_free(items, n);
	x.actor.role = CORE_ROLE_VIEWER;
	app_outbox_retry(&x, r.key, &rr);
	assert_int_equal(rr.refusal, APP_R_ROLE);
	x.actor.role = CORE_ROLE_DISPATCHER;
	app_outbox_retry(&x, r.key, &rr);
	assert_int_equal(rr.outcome, APP_QUEUED);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE status='pending'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='retry_action'"
	                          " AND subject='vehicle:V-1' AND user='ann'"),
	                 1);
	app_outbox_retry(&x, "no-such-key", &rr);
	assert_int_equal(rr.refusal, APP_R_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_board_and_gate_agree, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invoice_tolerance_default, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invoice_tolerance_configured, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_blocks_release_configured, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_every_reason_and_override, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hold_unhold_assign_wo, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_audit_texts_are_json, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_decisions, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_outbox_retry, setup, teardown),
	        cmocka_unit_test(test_newest_staging_judged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
