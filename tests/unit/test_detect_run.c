/* The local detectors over a real cache (local/detect_run.c): rows seeded through
 * cache_upsert, one local exception per subject and kind, audited once when
 * raised, refreshed (ext_version + 1) only when its content changes. */
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
#include "local/detect_run.h"

#define NOW 1741341600 /* 2025-03-07 10:00 UTC, the simulator's default start */

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
};

static void seed_fuel(struct cache *c, double litres, int64_t version)
{
	struct wb_fuel_txn f;
	wb_entity_clear(WB_ENT_FUEL_TXN, &f);
	test_meta(&f.meta, "FT-1", "erp", version);
	f.vehicle_id = "V-1";
	f.at = NOW - 1800;
	f.litres = litres;
	f.amount = litres * 1.7;
	f.station = "Shell A12";
	f.card = "****4431";
	test_put(c, WB_ENT_FUEL_TXN, &f);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	struct cache *c = f->c;

	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	test_meta(&v.meta, "V-1", "telematics", 1);
	v.unit = "T-17";
	v.tank_l = 400;
	v.lat = 52.0;
	v.lon = 4.0;
	v.speed_mps = 0;
	v.last_seen_ms = (int64_t)NOW * 1000;
	test_put(c, WB_ENT_VEHICLE, &v);

	seed_fuel(c, 450, 1); /* more than the tank holds */

	struct wb_fault ft;
	wb_entity_clear(WB_ENT_FAULT, &ft);
	test_meta(&ft.meta, "F-1", "telematics", 1);
	ft.vehicle_id = "V-1";
	ft.code = "SPN3031-FMI9";
	ft.protocol = "j1939";
	ft.severity = "critical";
	ft.active = 1;
	ft.first_seen = NOW - 3600;
	ft.last_seen = NOW - 60;
	test_put(c, WB_ENT_FAULT, &ft);

	/* Arrived inside its window and stayed 3.5 h: 1.5 h past the free time. */
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	test_meta(&s.meta, "S-1", "tms", 1);
	s.load_id = "L-1";
	s.seq = 2;
	s.kind = "drop";
	s.window_start = NOW - 6 * 3600;
	s.window_end = NOW - 4 * 3600;
	s.arrived_at = NOW - 5 * 3600;
	s.departed_at = NOW - 5 * 3600 + 210 * 60;
	s.status = "departed";
	test_put(c, WB_ENT_STOP, &s);

	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	test_meta(&p.meta, "POD-1", "tms", 1);
	p.load_id = "L-1";
	p.stop_id = "S-1";
	p.signed_by = "J. Doe";
	p.signed_at = NOW - 3600;
	p.exception_codes = "DAMAGED";
	test_put(c, WB_ENT_POD, &p);

	struct wb_charge ch;
	wb_entity_clear(WB_ENT_CHARGE, &ch);
	test_meta(&ch.meta, "CH-1", "erp", 1);
	ch.load_id = "L-1";
	ch.code = "linehaul";
	ch.amount = 1350;
	ch.rated_amount = 1000;
	test_put(c, WB_ENT_CHARGE, &ch);
	test_meta(&ch.meta, "CH-2", "erp", 1); /* within tolerance: alone it raises nothing */
	ch.load_id = "L-2";
	ch.amount = 1000.5;
	test_put(c, WB_ENT_CHARGE, &ch);

	/* The AI's flag on the same subject and kind stays the source's own row. */
	struct wb_exception x;
	wb_entity_clear(WB_ENT_EXCEPTION, &x);
	test_meta(&x.meta, "X-9", "tms", 3);
	x.kind = "fuel_anomaly";
	x.subject_kind = "vehicle";
	x.subject_id = "V-1";
	x.origin = "ai";
	x.status = "open";
	x.confidence = 0.8;
	x.detected_at = NOW - 600;
	test_put(c, WB_ENT_EXCEPTION, &x);
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

static int64_t one(struct cache *c, const char *sql)
{
	return test_count(c, sql);
}

static void test_now_from_data(void **state)
{
	struct fx *f = *state;
	assert_int_equal(detect_run_now(f->c), NOW);
}

static void test_raises_each_kind_once(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct detect_run_stats st;
	assert_int_equal(detect_run(f->c, NULL, NULL, 0, &st, &err), 0);
	assert_int_equal(st.now, NOW);
	assert_int_equal(st.raised, 5);
	static const char *const ids[] = {"X-fuel_anomaly-V-1", "X-critical_fault-V-1",
	                                  "X-detention-S-1", "X-pod_mismatch-L-1",
	                                  "X-charge_out_of_tolerance-L-1"};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct wb_exception x;
		char *strings = NULL;
		assert_int_equal(cache_get(f->c, WB_ENT_EXCEPTION, ids[i], &x, &strings, &err), 0);
		assert_string_equal(x.meta.source, "local");
		assert_string_equal(x.meta.ext_id, ids[i]);
		assert_string_equal(x.origin, "local");
		assert_string_equal(x.status, "open");
		assert_int_equal(x.meta.ext_version, 1);
		assert_non_null(x.required_role);
		assert_true(x.evidence && *x.evidence);
		free(strings);
	}
	assert_int_equal(
	        one(f->c, "SELECT count(*) FROM exception WHERE kind='charge_out_of_tolerance'"),
	        1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-fuel_anomaly-V-1'"
	                           " AND required_role='supervisor' AND related_id='FT-1'"),
	                 1);
	/* the AI's row untouched */
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-9' AND ext_version=3"
	                           " AND origin='ai'"),
	                 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit WHERE action='raise_exception'"
	                           " AND user='waybill' AND role='system'"),
	                 5);
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
}

static void test_rerun_refreshes_never_duplicates(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct detect_run_stats st;
	assert_int_equal(detect_run(f->c, NULL, NULL, 0, &st, &err), 0);
	assert_int_equal(detect_run(f->c, NULL, NULL, 0, &st, &err), 0);
	assert_int_equal(st.raised, 0);
	assert_int_equal(st.refreshed, 0);
	assert_int_equal(st.unchanged, 5);

	/* The purchase is corrected upwards: the same exception, new content. */
	seed_fuel(f->c, 520, 2);
	assert_int_equal(detect_run(f->c, NULL, NULL, 0, &st, &err), 0);
	assert_int_equal(st.raised, 0);
	assert_int_equal(st.refreshed, 1);
	assert_int_equal(
	        one(f->c, "SELECT ext_version FROM exception WHERE id='X-fuel_anomaly-V-1'"), 2);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE source='local'"), 5);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit"), 5);
}

static void seed_fault(struct cache *c, int active, int64_t version)
{
	struct wb_fault ft;
	wb_entity_clear(WB_ENT_FAULT, &ft);
	test_meta(&ft.meta, "F-1", "telematics", version);
	ft.vehicle_id = "V-1";
	ft.code = "SPN3031-FMI9";
	ft.protocol = "j1939";
	ft.severity = "critical";
	ft.active = active;
	ft.first_seen = NOW - 3600;
	ft.last_seen = NOW - 60;
	test_put(c, WB_ENT_FAULT, &ft);
}

/* Sets a status on an exception the way a console action does (a local write). */
static void set_status(struct cache *c, const char *id, const char *status)
{
	struct wb_exception x;
	char *strings = NULL;
	struct wb_err err = {0};
	assert_int_equal(cache_get(c, WB_ENT_EXCEPTION, id, &x, &strings, &err), 0);
	x.status = status;
	x.meta.ext_version++;
	test_put(c, WB_ENT_EXCEPTION, &x);
	free(strings);
}

static void run_ok(struct cache *c, const struct core_detect_cfg *dcfg, int64_t now,
                   struct detect_run_stats *st)
{
	struct wb_err err = {0};
	if (detect_run(c, NULL, dcfg, now, st, &err) != 0)
		fail_msg("detect_run: %s", err.msg);
}

/* The fault clears: its exception is resolved, audited; it comes back: the same
 * row is open again, audited; the chain stays whole. */
static void test_closes_when_condition_ends_and_reopens(void **state)
{
	struct fx *f = *state;
	struct detect_run_stats st;
	struct wb_err err = {0};
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.raised, 5);
	assert_int_equal(st.resolved, 0);

	seed_fault(f->c, 0, 2);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.resolved, 1);
	assert_int_equal(one(f->c,
	                     "SELECT count(*) FROM exception WHERE id='X-critical_fault-V-1'"
	                     " AND status='resolved' AND resolved_at=1741341600 AND ext_version=2"),
	                 1);
	assert_int_equal(one(f->c,
	                     "SELECT count(*) FROM audit WHERE action='resolve_exception'"
	                     " AND user='waybill' AND role='system' AND reason='condition ended'"
	                     " AND subject='exception:X-critical_fault-V-1' AND at=1741341600"),
	                 1);
	/* the others still stand, still open */
	assert_int_equal(
	        one(f->c, "SELECT count(*) FROM exception WHERE source='local' AND status='open'"),
	        4);

	/* Already resolved: not resolved (nor audited) again. */
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.resolved, 0);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit WHERE action='resolve_exception'"),
	                 1);

	seed_fault(f->c, 1, 3);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.reopened, 1);
	assert_int_equal(st.raised, 0);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-critical_fault-V-1'"
	                           " AND status='open' AND resolved_at IS NULL AND ext_version=3"),
	                 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit WHERE action='reopen_exception'"
	                           " AND subject='exception:X-critical_fault-V-1' AND "
	                           "reason='condition returned'"),
	                 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE source='local'"), 5);
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
}

/* Acknowledged and escalated ones close like open ones; approved and rejected
 * ones are a person's decision and stay; the AI's row on the same vehicle and
 * kind is the source's and stays. */
static void test_closing_spares_human_decisions_and_sources(void **state)
{
	struct fx *f = *state;
	struct detect_run_stats st;
	run_ok(f->c, NULL, 0, &st);
	set_status(f->c, "X-pod_mismatch-L-1", "approved");
	set_status(f->c, "X-critical_fault-V-1", "rejected");
	set_status(f->c, "X-charge_out_of_tolerance-L-1", "acknowledged");
	set_status(f->c, "X-fuel_anomaly-V-1", "escalated");

	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	test_meta(&p.meta, "POD-1", "tms", 2);
	p.load_id = "L-1";
	p.stop_id = "S-1";
	p.signed_at = NOW - 3600;
	p.exception_codes = ""; /* cleaned up at the source */
	test_put(f->c, WB_ENT_POD, &p);
	seed_fault(f->c, 0, 2);
	struct wb_charge ch;
	wb_entity_clear(WB_ENT_CHARGE, &ch);
	test_meta(&ch.meta, "CH-1", "erp", 2);
	ch.load_id = "L-1";
	ch.code = "linehaul";
	ch.amount = 1000;
	ch.rated_amount = 1000;
	test_put(f->c, WB_ENT_CHARGE, &ch);
	seed_fuel(f->c, 300, 2); /* corrected: fits the tank */

	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.resolved, 2);
	assert_int_equal(
	        one(f->c, "SELECT status='approved' FROM exception WHERE id='X-pod_mismatch-L-1'"),
	        1);
	assert_int_equal(
	        one(f->c,
	            "SELECT status='rejected' FROM exception WHERE id='X-critical_fault-V-1'"),
	        1);
	assert_int_equal(one(f->c, "SELECT status='resolved' FROM exception WHERE "
	                           "id='X-charge_out_of_tolerance-L-1'"),
	                 1);
	assert_int_equal(
	        one(f->c, "SELECT status='resolved' FROM exception WHERE id='X-fuel_anomaly-V-1'"),
	        1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-9' AND status='open'"
	                           " AND ext_version=3 AND resolved_at IS NULL"),
	                 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit WHERE action='resolve_exception'"),
	                 2);
}

/* Three days on, the stop and the purchase lie outside the look-back: not
 * looked at, so not "ended"; their exceptions stay open. A stop the source
 * deleted is gone wherever it lies: its detention is resolved. */
static void test_outside_lookback_untouched(void **state)
{
	struct fx *f = *state;
	struct detect_run_stats st;
	run_ok(f->c, NULL, 0, &st);
	const int64_t later = NOW + 3 * 86400;
	run_ok(f->c, NULL, later, &st);
	assert_int_equal(st.resolved, 0);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id IN ('X-detention-S-1',"
	                           " 'X-fuel_anomaly-V-1') AND status='open'"),
	                 2);

	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	test_meta(&s.meta, "S-1", "tms", 2);
	s.meta.deleted = 1;
	s.load_id = "L-1";
	test_put(f->c, WB_ENT_STOP, &s);
	run_ok(f->c, NULL, later, &st);
	assert_int_equal(st.resolved, 1);
	assert_int_equal(
	        one(f->c, "SELECT status='resolved' FROM exception WHERE id='X-detention-S-1'"), 1);
	assert_int_equal(
	        one(f->c, "SELECT status='open' FROM exception WHERE id='X-fuel_anomaly-V-1'"), 1);
}

/* A longer free time from the config: 3.5 h on site is no longer detention,
 * and the exception the default raised is resolved. */
static void test_thresholds_from_config(void **state)
{
	struct fx *f = *state;
	struct detect_run_stats st;
	struct wb_err err = {0};
	struct settings cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct core_detect_cfg d;
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(
	        one(f->c, "SELECT status='open' FROM exception WHERE id='X-detention-S-1'"), 1);

	cfg.detectors = json_pack("{s:i, s:i}", "detention_free_s", 4 * 3600, "eta_grace_s", 300);
	core_detect_cfg_default(&d);
	assert_int_equal(core_detect_cfg_from_json(&d, cfg.detectors, &err), 0);
	assert_int_equal(d.detention_free_s, 4 * 3600);
	assert_true(d.eta_grace_s == 300);
	assert_true(d.road_factor == 1.25); /* not given: the default */
	run_ok(f->c, &d, 0, &st);
	assert_int_equal(st.resolved, 1);
	assert_int_equal(
	        one(f->c, "SELECT status='resolved' FROM exception WHERE id='X-detention-S-1'"), 1);
	json_decref(cfg.detectors);

	/* and a shorter one raises what the default would not: 3 h free, 3.5 h here */
	cfg.detectors = json_pack("{s:i}", "detention_free_s", 3 * 3600);
	core_detect_cfg_default(&d);
	assert_int_equal(core_detect_cfg_from_json(&d, cfg.detectors, &err), 0);
	run_ok(f->c, &d, 0, &st);
	assert_int_equal(st.reopened, 1);
	assert_int_equal(
	        one(f->c, "SELECT status='open' FROM exception WHERE id='X-detention-S-1'"), 1);
	json_decref(cfg.detectors);
}

static void seed_late_load(struct cache *c, const char *status, int64_t version)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, "L-5", "tms", version);
	l.status = status;
	l.vehicle_id = "V-1";
	l.revenue = 2000;
	test_put(c, WB_ENT_LOAD, &l);
}

/* late_eta: a vehicle whose position is unknown proves nothing, so the open one
 * stays; once the load is no longer in transit the forecast has ended. */
static void test_late_eta_closes_only_when_judged(void **state)
{
	struct fx *f = *state;
	struct detect_run_stats st;
	seed_late_load(f->c, "in_transit", 1);
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	test_meta(&s.meta, "S-5", "tms", 1);
	s.load_id = "L-5";
	s.seq = 2;
	s.kind = "drop";
	s.lat = 53.0; /* about 110 km north of the unit, window closing in 30 min */
	s.lon = 4.0;
	s.window_start = NOW - 1800;
	s.window_end = NOW + 1800;
	test_put(f->c, WB_ENT_STOP, &s);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(one(f->c, "SELECT status='open' FROM exception WHERE id='X-late_eta-L-5'"),
	                 1);

	struct wb_vehicle v;
	char *strings = NULL;
	struct wb_err err = {0};
	assert_int_equal(cache_get(f->c, WB_ENT_VEHICLE, "V-1", &v, &strings, &err), 0);
	v.lat = NAN;
	v.lon = NAN;
	v.meta.ext_version = 2;
	test_put(f->c, WB_ENT_VEHICLE, &v);
	free(strings);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.resolved, 0);
	assert_int_equal(one(f->c, "SELECT status='open' FROM exception WHERE id='X-late_eta-L-5'"),
	                 1);

	seed_late_load(f->c, "delivered", 2);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.resolved, 1);
	assert_int_equal(
	        one(f->c, "SELECT status='resolved' FROM exception WHERE id='X-late_eta-L-5'"), 1);
}

/* A tractor in the yard since 5 h, silent (ignition off), and its card used
 * 61 km away 20 min ago while the rest of the fleet reports (simulator seed
 * 32: the tractor out of service at the depot). */
static void test_fuel_silent_vehicle(void **state)
{
	struct fx *f = *state;
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	test_meta(&v.meta, "V-3", "telematics", 1);
	v.unit = "T-19";
	v.tank_l = 400;
	v.status = "out_of_service";
	v.lat = 52.0;
	v.lon = 4.0;
	v.speed_mps = 0;
	v.last_seen_ms = ((int64_t)NOW - 5 * 3600) * 1000;
	test_put(f->c, WB_ENT_VEHICLE, &v);
	struct wb_fuel_txn t;
	wb_entity_clear(WB_ENT_FUEL_TXN, &t);
	test_meta(&t.meta, "FT-3", "erp", 1);
	t.vehicle_id = "V-3";
	t.at = NOW - 1200;
	t.litres = 300;
	t.amount = 537;
	t.lat = 52.0 + 61000 / 111195.0;
	t.lon = 4.0;
	test_put(f->c, WB_ENT_FUEL_TXN, &t);
	struct detect_run_stats st;
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-fuel_anomaly-V-3'"
	                           " AND related_id='FT-3' AND status='open' AND evidence LIKE"
	                           " '%stood 61.0 km from the station at 05:00 and has reported"
	                           " nothing since (telematics, up to 10:00)%'"),
	                 1);
}

/* Every drop a load has left is judged, not only the next: V-1 (at 52.0, 4.0,
 * no movement seen: 16.7 m/s) has S-6 20 km north, on time, then S-7 5 km
 * south of it, on time from where the truck is but not after S-6 (56 km by
 * road and 20 min there: 4568 s, window closing in 3000 s + grace). L-6's one
 * drop is close, but the TMS's own ETA is 30 min past its window. */
static void test_late_eta_every_drop_and_source(void **state)
{
	struct fx *f = *state;
	const double km = 1000 / 111195.0;
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, "L-6", "tms", 1);
	l.status = "in_transit";
	l.vehicle_id = "V-1";
	test_put(f->c, WB_ENT_LOAD, &l);
	test_meta(&l.meta, "L-7", "tms", 1);
	test_put(f->c, WB_ENT_LOAD, &l);
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	test_meta(&s.meta, "S-6", "tms", 1);
	s.load_id = "L-7";
	s.seq = 2;
	s.kind = "drop";
	s.lat = 52.0 + 20 * km;
	s.lon = 4.0;
	s.window_start = NOW;
	s.window_end = NOW + 3600;
	test_put(f->c, WB_ENT_STOP, &s);
	test_meta(&s.meta, "S-7", "tms", 1);
	s.seq = 3;
	s.lat = 52.0 - 5 * km;
	s.window_end = NOW + 3000;
	test_put(f->c, WB_ENT_STOP, &s);
	test_meta(&s.meta, "S-8", "tms", 1);
	s.load_id = "L-6";
	s.seq = 2;
	s.lat = 52.0 + 5 * km;
	s.window_end = NOW + 3600;
	s.eta = NOW + 3600 + 1800;
	test_put(f->c, WB_ENT_STOP, &s);
	struct detect_run_stats st;
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-late_eta-L-7'"
	                           " AND related_id='S-7' AND status='open' AND evidence LIKE"
	                           " '%stop 3 (?): 56.3 km left via 1 earlier drop%'"),
	                 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-late_eta-L-6'"
	                           " AND related_id='S-8' AND status='open' AND evidence LIKE"
	                           " '%The tms''s own ETA, 11:30, is 30 min after%'"),
	                 1);
}

/* The detectors' thresholds from a config: each bad value refused with its path. */
static const struct {
	const char *json;
	const char *want;
} bad_detectors[] = {
        {"[]", "detectors: expected an object"},
        {"{\"eta_grace_s\": -1}", "detectors.eta_grace_s: must be a number >= 0"},
        {"{\"eta_grace_s\": \"600\"}", "detectors.eta_grace_s: must be a number >= 0"},
        {"{\"eta_grace_s\": null}", "detectors.eta_grace_s: must be a number >= 0"},
        {"{\"eta_grace\": 600}",
         "detectors.eta_grace: unknown key (known: eta_grace_s, road_factor,"},
        {"{\"detention_free_s\": 5400.5}",
         "detectors.detention_free_s: must be a whole number between 0 and 604800"},
        {"{\"detention_free_s\": 700000}",
         "detectors.detention_free_s: must be a whole number between 0 and 604800"},
        {"{\"late_penalty_share\": 1.5}",
         "detectors.late_penalty_share: must be a number between 0 and 1"},
        {"{\"fallback_speed_mps\": 0}", "detectors.fallback_speed_mps: must be a number > 0"},
        {"{\"road_factor\": 0.9}", "detectors.road_factor: must be a number >= 1"},
        {"{\"idle_streak_s\": true}",
         "detectors.idle_streak_s: must be a whole number between 0 and 86400"},
        {"{\"eta_grace_s\": 300, \"fuel_far_m\": -5}",
         "detectors.fuel_far_m: must be a number > 0"},
};

static void test_detectors_config_parsing(void **state)
{
	(void)state;
	struct settings cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct core_detect_cfg d, def;
	struct wb_err err = {0};
	core_detect_cfg_default(&def);

	cfg.detectors = json_loads(
	        "{\"detention_free_s\": 5400, \"eta_grace_s\": 300, \"road_factor\": 1.4,"
	        " \"late_penalty_share\": 0.2, \"fuel_match_ms\": 600000}",
	        0, NULL);
	assert_non_null(cfg.detectors);
	core_detect_cfg_default(&d);
	assert_int_equal(core_detect_cfg_from_json(&d, cfg.detectors, &err), 0);
	assert_int_equal(d.detention_free_s, 5400);
	assert_true(d.eta_grace_s == 300 && d.road_factor == 1.4 && d.late_penalty_share == 0.2);
	assert_int_equal(d.fuel_match_ms, 600000);
	assert_true(d.idle_day_s == def.idle_day_s && d.fuel_far_m == def.fuel_far_m);
	json_decref(cfg.detectors);

	for (size_t i = 0; i < sizeof(bad_detectors) / sizeof(bad_detectors[0]); i++) {
		cfg.detectors = json_loads(bad_detectors[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(cfg.detectors);
		memset(&err, 0, sizeof(err));
		core_detect_cfg_default(&d);
		int rc = core_detect_cfg_from_json(&d, cfg.detectors, &err);
		if (rc != WB_EINVALID ||
		    strncmp(err.msg, bad_detectors[i].want, strlen(bad_detectors[i].want)) != 0)
			fail_msg("%s: want \"%s\", got rc %d \"%s\"", bad_detectors[i].json,
			         bad_detectors[i].want, rc, err.msg);
		json_decref(cfg.detectors);
	}
}

/* unsafe_inspection over the cache: the latest inspection of the vehicle. */
static void seed_inspection(struct cache *c, const char *id, int64_t at, int safe,
                            const char *defects)
{
	struct wb_inspection in;
	wb_entity_clear(WB_ENT_INSPECTION, &in);
	test_meta(&in.meta, id, "telematics", 1);
	in.vehicle_id = "V-1";
	in.driver_id = "D-1";
	in.kind = "pre_trip";
	in.at = at;
	in.safe = safe;
	in.defects = defects;
	test_put(c, WB_ENT_INSPECTION, &in);
}

static void test_unsafe_inspection_over_cache(void **state)
{
	struct fx *f = *state;
	struct detect_run_stats st;
	seed_inspection(f->c, "IN-1", NOW - 7200, 0, "headlamp inoperative");
	seed_inspection(f->c, "IN-2", NOW - 3600, 1, NULL); /* repaired: the newer one is safe */
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE kind='unsafe_inspection'"),
	                 0);
	seed_inspection(f->c, "IN-3", NOW - 600, 0, "brake chamber air leak, axle 2");
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(
	        one(f->c, "SELECT count(*) FROM exception WHERE id='X-unsafe_inspection-V-1'"
	                  " AND subject_kind='vehicle' AND subject_id='V-1' AND severity='critical'"
	                  " AND confidence=1.0 AND related_id='IN-3' AND status='open'"),
	        1);
	seed_inspection(f->c, "IN-4", NOW - 60, 1, NULL);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.resolved, 1);
	assert_int_equal(
	        one(f->c,
	            "SELECT status='resolved' FROM exception WHERE id='X-unsafe_inspection-V-1'"),
	        1);
}

static void test_policy_from_config(void **state)
{
	(void)state;
	struct core_policy pol;
	struct wb_err err = {0};
	struct settings cfg;
	memset(&cfg, 0, sizeof(cfg));
	core_policy_init_default(&pol);
	cfg.policy = json_pack("{s:s}", "no_such_kind", "x");
	assert_int_equal(core_policy_from_json(&pol, cfg.policy, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "policy"));
	json_decref(cfg.policy);
}

/* The run in two steps on two connections, as the sync engine does it: the
 * plan is read on a second connection while the first holds the write lock
 * (it is not blocked, and writes nothing), then applied on the first. A
 * decision overtaken between the two (a person approved the exception the plan
 * would resolve) is left alone. */
static void test_plan_on_another_connection(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct detect_run_stats st;
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.raised, 5);
	seed_fault(f->c, 0, 2); /* the fault ends ... */
	struct cache_opts ro = {.readonly = true};
	struct cache *rd = cache_open(f->path, &ro, &err); /* as the sync engine opens it */
	if (!rd)
		fail_msg("second connection: %s", err.msg);
	assert_int_equal(cache_begin(f->c, &err),
	                 0); /* ... the first connection writes meanwhile */
	struct detect_plan *p = NULL;
	int before = sqlite3_total_changes(cache_db(rd));
	assert_int_equal(detect_plan(rd, NULL, NULL, 0, &p, &st, &err), 0);
	assert_int_equal(sqlite3_total_changes(cache_db(rd)), before);
	assert_int_equal(detect_plan_size(p), 1); /* only the closing: the rest is unchanged */
	assert_int_equal(st.unchanged, 4);
	assert_int_equal(cache_commit(f->c, &err), 0);
	/* applied on the first connection */
	assert_int_equal(detect_apply(f->c, p, &st, &err), 0);
	assert_int_equal(st.resolved, 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-critical_fault-V-1'"
	                           " AND status='resolved'"),
	                 1);
	detect_plan_free(p);

	/* Overtaken: planned to resolve, approved by a person before the apply. */
	seed_fault(f->c, 1, 3);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(st.reopened, 1);
	seed_fault(f->c, 0, 4);
	assert_int_equal(detect_plan(rd, NULL, NULL, 0, &p, &st, &err), 0);
	assert_int_equal(detect_plan_size(p), 1);
	set_status(f->c, "X-critical_fault-V-1", "approved");
	assert_int_equal(detect_apply(f->c, p, &st, &err), 0);
	assert_int_equal(st.resolved, 0);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-critical_fault-V-1'"
	                           " AND status='approved'"),
	                 1);
	detect_plan_free(p);
	/* An empty plan writes nothing, not even an empty transaction's audit. */
	int64_t audits = one(f->c, "SELECT count(*) FROM audit");
	assert_int_equal(detect_plan(rd, NULL, NULL, 0, &p, &st, &err), 0);
	assert_int_equal(detect_plan_size(p), 0);
	assert_int_equal(detect_apply(f->c, p, &st, &err), 0);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit"), audits);
	detect_plan_free(p);
	cache_close(rd);
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
}

/* The sync engine's passes judge a fuel purchase again only when it changed
 * since the last applied pass (or an open exception rests on it): its
 * position look-up is the costly read. */
static void test_fuel_judged_once_unless_changed(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct detect_run_stats st, all, since;
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-fuel_anomaly-V-1'"
	                           " AND related_id='FT-1' AND status='open'"),
	                 1);
	struct detect_plan *p = NULL;
	assert_int_equal(detect_plan(f->c, NULL, NULL, 0, &p, &all, &err), 0);
	int64_t mark = detect_plan_fuel_mark(p);
	assert_true(mark > 0);
	detect_plan_free(p);
	/* Open exception on it: judged whatever the mark. */
	assert_int_equal(detect_plan_since(f->c, NULL, NULL, 0, mark + 1, &p, &since, &err), 0);
	assert_int_equal(since.unchanged, all.unchanged);
	detect_plan_free(p);
	/* Decided by a person, unchanged since the mark: not judged again. */
	set_status(f->c, "X-fuel_anomaly-V-1", "approved");
	assert_int_equal(detect_plan(f->c, NULL, NULL, 0, &p, &all, &err), 0);
	detect_plan_free(p);
	assert_int_equal(detect_plan_since(f->c, NULL, NULL, 0, mark + 1, &p, &since, &err), 0);
	assert_int_equal(since.unchanged, all.unchanged - 1);
	assert_int_equal(detect_plan_size(p), 0);
	detect_plan_free(p);
	/* The purchase changes (corrected litres, still over the tank): judged. */
	seed_fuel(f->c, 480, 2);
	char q[96];
	snprintf(q, sizeof(q), "UPDATE fuel_txn SET synced_at=%lld WHERE id='FT-1'",
	         (long long)mark + 5);
	assert_int_equal(sqlite3_exec(cache_db(f->c), q, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(detect_plan_since(f->c, NULL, NULL, 0, mark + 1, &p, &since, &err), 0);
	assert_int_equal(detect_plan_size(p), 1);
	detect_plan_free(p);
}

/* A truck parked with the ignition off reports nothing: its newest position
 * before a purchase can be well over 15 min old (simulator seeds 3 and 15).
 * The run reads back from the purchase until the vehicle reported, through
 * slices fuller than one read (a unit reporting every second), and the newest
 * position decides: 38 km from the station 17 min before is beyond a truck's
 * reach; the oldest of the slice (21 min) or the end of its first read
 * (19 min) would not be. */
static void test_fuel_reach_past_silence(void **state)
{
	struct fx *f = *state;
	const double km = 1000 / 111195.0;
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	test_meta(&v.meta, "V-2", "telematics", 1);
	v.unit = "T-18";
	v.tank_l = 400;
	test_put(f->c, WB_ENT_VEHICLE, &v);
	int64_t at = NOW - 1800;
	static struct wb_position pos[781];
	for (int i = 0; i < 780; i++) /* every second from 30 to 17 min before */
		pos[i] = (struct wb_position){
		        "V-2", (at - 1800 + i) * 1000, 52.0, 4.0, 0, 0, 0, NAN, 1};
	/* Moving at its last report: the vehicle's own row (vehicle_now, whose
	 * readings are that newest position) cannot say it stood there silent. */
	pos[779].speed_mps = 5;
	/* another vehicle at the station itself */
	pos[780] = (struct wb_position){"V-1", at * 1000, 52.0 + 38 * km, 4.0, 0, 0, 0, NAN, 1};
	struct wb_err err = {0};
	size_t added = 0;
	assert_int_equal(cache_add_positions(f->c, pos, 781, &added, &err), 0);
	assert_int_equal(added, 781);
	struct wb_fuel_txn t;
	wb_entity_clear(WB_ENT_FUEL_TXN, &t);
	test_meta(&t.meta, "FT-2", "erp", 1);
	t.vehicle_id = "V-2";
	t.at = at;
	t.litres = 300;
	t.amount = 537;
	t.station = "Shell A4";
	t.lat = 52.0 + 38 * km;
	t.lon = 4.0;
	test_put(f->c, WB_ENT_FUEL_TXN, &t);
	struct detect_run_stats st;
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-fuel_anomaly-V-2'"
	                           " AND related_id='FT-2' AND status='open' AND evidence LIKE"
	                           " '%38.0 km from the station at 09:12 (telematics, 1021 s%'"),
	                 1);
	/* 30 km away it could have driven there: nothing. */
	t.lat = 52.0 + 30 * km;
	test_meta(&t.meta, "FT-2", "erp", 2);
	test_put(f->c, WB_ENT_FUEL_TXN, &t);
	run_ok(f->c, NULL, 0, &st);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-fuel_anomaly-V-2'"
	                           " AND status='open'"),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_now_from_data, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_raises_each_kind_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rerun_refreshes_never_duplicates, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_closes_when_condition_ends_and_reopens, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_closing_spares_human_decisions_and_sources,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_outside_lookback_untouched, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_thresholds_from_config, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unsafe_inspection_over_cache, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_late_eta_closes_only_when_judged, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_plan_on_another_connection, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fuel_judged_once_unless_changed, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_fuel_reach_past_silence, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fuel_silent_vehicle, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_late_eta_every_drop_and_source, setup,
	                                        teardown),
	        cmocka_unit_test(test_detectors_config_parsing),
	        cmocka_unit_test(test_policy_from_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
