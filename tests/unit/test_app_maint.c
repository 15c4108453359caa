/* A maintenance source (sources.maintenance, #13): its vehicle_maint record
 * decides a vehicle's hold, PM due and shop status for every reader (the
 * cache's vehicle_now: cache_get, the action layer's facts, the workflow
 * pass's readiness), and a vehicle's maintenance actions go to it. Without
 * one they go to the vehicle's own source; when that source's kind takes no
 * holds or work orders the refusal names the owner to configure, and nothing
 * is queued, from the action layer and the local pass alike. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "testutil.h"
#include "app/app.h"
#include "cache/cache.h"
#include "local/workflow_run.h"
#include "settings/settings.h"

#define NOW 1741341600

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	struct settings *cfg;
};

static void set_source(struct settings *cfg, int i, const char *role, const char *kind)
{
	struct config_source *s = &cfg->sources[i];
	free(s->name);
	free(s->kind);
	free(s->url);
	free(s->token);
	s->name = strdup(role);
	s->kind = strdup(kind);
	s->ops = connector_find(kind);
	assert_non_null(s->ops);
	s->url = strdup("http://127.0.0.1:9");
	s->token = strdup("t");
}

static void put_vehicle(struct fx *f, const char *id, const char *status, int on_hold,
                        double pm_due)
{
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	test_meta(&v.meta, id, "telematics", 1);
	v.unit = id;
	v.kind = "tractor";
	v.status = status;
	v.odometer_m = 100000;
	v.pm_due_odometer_m = pm_due;
	v.on_hold = on_hold;
	v.hold_reason = on_hold ? "dispatcher" : NULL;
	test_put(f->c, WB_ENT_VEHICLE, &v);
}

static void put_maint(struct fx *f, const char *id, const char *vid, const char *status,
                      int on_hold, double pm_due, int deleted)
{
	struct wb_vehicle_maint m;
	wb_entity_clear(WB_ENT_VEHICLE_MAINT, &m);
	test_meta(&m.meta, id, "maintenance", deleted ? 2 : 1);
	m.meta.deleted = deleted;
	m.vehicle_id = vid;
	m.status = status;
	m.on_hold = on_hold;
	m.hold_reason = on_hold ? "brakes" : NULL;
	m.pm_due_odometer_m = pm_due;
	test_put(f->c, WB_ENT_VEHICLE_MAINT, &m);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(test_tmpdir(f->dir, sizeof(f->dir)));
	snprintf(f->path, sizeof(f->path), "%s/c.db", f->dir);
	struct wb_err err = {0};
	f->c = cache_open(f->path, NULL, &err);
	assert_non_null(f->c);
	f->cfg = settings_defaults();
	set_source(f->cfg, 0, "erp", "waybill");
	set_source(f->cfg, 1, "tms", "waybill");
	set_source(f->cfg, 2, "telematics", "samsara");
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

static struct app_ctx ctx(struct fx *f, int role)
{
	return (struct app_ctx){.cache = f->c,
	                        .settings = f->cfg,
	                        .actor = {.user = "dana", .role = role},
	                        .now = NOW};
}

static int64_t queued(struct fx *f, const char *source)
{
	int64_t depth = 0;
	assert_int_equal(outbox_depth(f->c, source, &depth, NULL, NULL), 0);
	return depth;
}

/* ---- the one reader of a vehicle's facts ---------------------------------------- */

static void get(struct fx *f, const char *id, struct wb_vehicle *v, char **s)
{
	struct wb_err err = {0};
	if (cache_get(f->c, WB_ENT_VEHICLE, id, v, s, &err) != 0)
		fail_msg("cache_get %s: %s", id, err.msg);
}

static void add_pos(struct fx *f, const char *vid, int64_t ts_ms, double fuel, double odo)
{
	struct wb_position p = {.vehicle_id = vid,
	                        .ts_ms = ts_ms,
	                        .lat = 52.0 + (double)ts_ms / 1e12,
	                        .lon = 4.5,
	                        .speed_mps = 12,
	                        .heading = 90,
	                        .odometer_m = odo,
	                        .fuel_pct = fuel,
	                        .ignition = 1};
	struct wb_err err = {0};
	size_t added = 0;
	if (cache_add_positions(f->c, &p, 1, &added, &err) != 0)
		fail_msg("positions: %s", err.msg);
}

/* A vendor's vehicle list carries no live readings; its positions do: the
 * newest position wins over an older row, an older one changes nothing, and a
 * reading a position leaves out keeps the last one known. */
static void test_live_readings_from_positions(void **state)
{
	struct fx *f = *state;
	put_vehicle(f, "V-1", NULL, 0, NAN); /* odometer 100 km, no last_seen */
	struct wb_vehicle v;
	char *s = NULL;
	get(f, "V-1", &v, &s);
	assert_true(v.last_seen_ms == WB_NULL);
	assert_true(isnan(v.fuel_pct));
	free(s);
	add_pos(f, "V-1", 1741341600000, 80, 150000);
	get(f, "V-1", &v, &s);
	assert_int_equal(v.last_seen_ms, 1741341600000);
	assert_true(v.fuel_pct == 80 && v.odometer_m == 150000 && v.speed_mps == 12);
	free(s);
	add_pos(f, "V-1", 1741341660000, 79, NAN);   /* no odometer in this one */
	add_pos(f, "V-1", 1741341000000, 95, 90000); /* older: changes nothing */
	get(f, "V-1", &v, &s);
	assert_int_equal(v.last_seen_ms, 1741341660000);
	assert_true(v.fuel_pct == 79);
	assert_true(v.odometer_m == 150000);
	free(s);
}

static void put_load(struct fx *f, const char *id, const char *vid, const char *status)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, id, "tms", 1);
	l.vehicle_id = vid;
	l.status = status;
	test_put(f->c, WB_ENT_LOAD, &l);
}

static void expect_status(struct fx *f, const char *id, const char *want)
{
	struct wb_vehicle v;
	char *s = NULL;
	get(f, id, &v, &s);
	assert_non_null(v.status);
	assert_string_equal(v.status, want);
	free(s);
}

/* A vendor tells no dispatch status: the TMS's loads and the newest reading
 * decide it; a status the source does give stays. */
static void test_status_without_one(void **state)
{
	struct fx *f = *state;
	put_vehicle(f, "V-1", NULL, 0, NAN);
	expect_status(f, "V-1", "available");
	put_load(f, "L-1", "V-1", "delivered");
	expect_status(f, "V-1", "available");
	put_load(f, "L-2", "V-1", "staged");
	expect_status(f, "V-1", "assigned");
	add_pos(f, "V-1", 1741341600000, 50, NAN); /* 12 m/s: moving */
	expect_status(f, "V-1", "in_transit");
	put_load(f, "L-3", "V-1", "in_transit");
	expect_status(f, "V-1", "in_transit");
	put_vehicle(f, "V-2", "available", 0, NAN);
	put_load(f, "L-4", "V-2", "in_transit");
	expect_status(f, "V-2", "available");
}

static void test_overlay_wins(void **state)
{
	struct fx *f = *state;
	put_vehicle(f, "V-1", "in_transit", 0, 200000);
	put_maint(f, "VM-1", "V-1", "available", 1, 50000, 0);
	struct wb_vehicle v;
	char *s = NULL;
	get(f, "V-1", &v, &s);
	assert_int_equal(v.on_hold, 1);
	assert_string_equal(v.hold_reason, "brakes");
	assert_true(v.pm_due_odometer_m == 50000);
	/* "available" is maintenance's word for none of its statuses: the
	 * telematics status stands. */
	assert_string_equal(v.status, "in_transit");
	assert_string_equal(v.meta.source, "telematics");
	free(s);
	/* A list reads the same. */
	void *rows = NULL;
	size_t n = 0;
	struct wb_err err = {0};
	assert_int_equal(cache_list(f->c, WB_ENT_VEHICLE, "unit", "V-1", 5, &rows, &n, &s, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(((struct wb_vehicle *)rows)->on_hold, 1);
	free(rows);
	free(s);
	/* The action layer's facts, and so the release gate, judge it held. */
	struct app_vehicle_data d;
	assert_int_equal(app_vehicle_gather(f->c, "V-1", &d, &err), 0);
	struct core_readiness rd;
	app_vehicle_readiness(&d.f, &rd);
	assert_int_equal(rd.state, CORE_HELD);
	app_vehicle_data_free(&d);
	/* The workflow pass's snapshot, and so the Vehicles board. */
	assert_int_equal(workflow_run(f->c, NULL, NULL, NOW, NULL, &err), 0);
	assert_int_equal(test_count(f->c,
	                            "SELECT count(*) FROM readiness WHERE vehicle_id='V-1' AND "
	                            "state='held' AND reasons LIKE '%hold%'"),
	                 1);
}

static void test_overlay_status(void **state)
{
	struct fx *f = *state;
	put_vehicle(f, "V-1", "available", 1, 200000);
	put_maint(f, "VM-1", "V-1", "in_shop", 0, 200000, 0);
	put_vehicle(f, "V-2", "in_shop", 0, 200000);
	put_maint(f, "VM-2", "V-2", "available", 0, 200000, 0);
	put_vehicle(f, "V-3", "out_of_service", 1, 50000); /* no maintenance record */
	put_vehicle(f, "V-4", "assigned", 1, 200000);
	put_maint(f, "VM-4", "V-4", "out_of_service", 0, 200000, 1); /* gone */
	struct wb_vehicle v;
	char *s = NULL;
	get(f, "V-1", &v, &s);
	assert_string_equal(v.status, "in_shop");
	assert_int_equal(v.on_hold, 0); /* maintenance says not held */
	free(s);
	get(f, "V-2", &v, &s);
	assert_string_equal(v.status, "available"); /* out of the shop, as maintenance says */
	free(s);
	get(f, "V-3", &v, &s);
	assert_string_equal(v.status, "out_of_service");
	assert_int_equal(v.on_hold, 1);
	assert_true(v.pm_due_odometer_m == 50000);
	free(s);
	get(f, "V-4", &v, &s); /* a tombstoned record decides nothing */
	assert_string_equal(v.status, "assigned");
	assert_int_equal(v.on_hold, 1);
	free(s);
}

/* ---- routing ------------------------------------------------------------------- */

static void test_refused_without_owner(void **state)
{
	struct fx *f = *state;
	put_vehicle(f, "V-1", "available", 0, 200000);
	put_vehicle(f, "V-2", "available", 1, 200000);
	struct app_ctx x = ctx(f, CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_hold(&x, "V-1", "brakes squeal", &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_int_equal(r.refusal, APP_R_SOURCE);
	assert_string_equal(r.why[0],
	                    "the samsara telematics source cannot hold a vehicle: it takes "
	                    "no vehicle holds; holds belong to a maintenance source "
	                    "(sources.maintenance)");
	app_unhold(&x, "V-2", false, NULL, &r);
	assert_int_equal(r.refusal, APP_R_SOURCE);
	assert_string_equal(r.why[0],
	                    "the samsara telematics source cannot clear a vehicle's hold: "
	                    "it takes no vehicle holds; holds belong to a maintenance "
	                    "source (sources.maintenance)");
	app_work_order(&x, "V-1", NULL, &r);
	assert_int_equal(r.refusal, APP_R_SOURCE);
	assert_string_equal(r.why[0], "the samsara telematics source cannot open a work order: it "
	                              "keeps no work orders; work orders belong to a maintenance "
	                              "source (sources.maintenance)");
	assert_int_equal(queued(f, NULL), 0);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM audit"), 0);
}

static void test_routed_to_maintenance(void **state)
{
	struct fx *f = *state;
	set_source(f->cfg, 3, "maintenance", "waybill");
	put_vehicle(f, "V-1", "available", 0, 200000);
	put_vehicle(f, "V-2", "available", 0, 200000);
	put_maint(f, "VM-2", "V-2", "available", 1, 200000, 0);
	struct app_ctx x = ctx(f, CORE_ROLE_SUPERVISOR);
	struct app_result r;
	assert_string_equal(app_maint_source(f->cfg, "telematics"), "maintenance");
	app_hold(&x, "V-1", "brakes squeal", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	app_unhold(&x, "V-2", false, NULL, &r); /* held as maintenance says */
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_int_equal(queued(f, "maintenance"), 2);
	assert_int_equal(queued(f, "telematics"), 0);
	/* Without one, the vehicle's own source, as before. */
	free(f->cfg->sources[3].name);
	f->cfg->sources[3].name = NULL;
	f->cfg->sources[3].ops = NULL;
	assert_string_equal(app_maint_source(f->cfg, "telematics"), "telematics");
	assert_string_equal(app_maint_source(NULL, "telematics"), "telematics");
}

/* The local pass: a critical fault's proposal and hold are left out and
 * counted when their owner cannot take them, and go to the maintenance
 * source when there is one. */
static void put_fault(struct fx *f)
{
	struct wb_fault ft;
	wb_entity_clear(WB_ENT_FAULT, &ft);
	test_meta(&ft.meta, "F-1", "telematics", 1);
	ft.vehicle_id = "V-1";
	ft.code = "SPN 100 FMI 1";
	ft.protocol = "j1939";
	ft.severity = "critical";
	ft.description = "Engine oil pressure low";
	ft.first_seen = ft.last_seen = NOW - 600;
	ft.active = 1;
	test_put(f->c, WB_ENT_FAULT, &ft);
}

static void test_pass_left_out(void **state)
{
	struct fx *f = *state;
	put_vehicle(f, "V-1", "available", 0, 200000);
	put_fault(f);
	struct workflow_opts o;
	workflow_run_opts(f->cfg, &o);
	struct workflow_run_stats st;
	struct wb_err err = {0};
	assert_int_equal(workflow_run(f->c, NULL, &o, NOW, &st, &err), 0);
	assert_true(st.unsupported >= 2); /* the work order and the hold */
	assert_int_equal(queued(f, NULL), 0);
}

static void test_pass_to_maintenance(void **state)
{
	struct fx *f = *state;
	set_source(f->cfg, 3, "maintenance", "waybill");
	put_vehicle(f, "V-1", "available", 0, 200000);
	put_fault(f);
	struct workflow_opts o;
	workflow_run_opts(f->cfg, &o);
	struct workflow_run_stats st;
	struct wb_err err = {0};
	assert_int_equal(workflow_run(f->c, NULL, &o, NOW, &st, &err), 0);
	assert_int_equal(st.unsupported, 0);
	assert_int_equal(queued(f, "maintenance"), 2);
	assert_int_equal(queued(f, "telematics"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_overlay_wins, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_live_readings_from_positions, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_without_one, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_overlay_status, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refused_without_owner, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_routed_to_maintenance, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pass_left_out, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pass_to_maintenance, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
