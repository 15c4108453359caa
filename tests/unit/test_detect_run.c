/* The local detectors over a real cache (net/detect_run.c): rows seeded through
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
#include "waybill/cache.h"
#include "waybill/config.h"
#include "waybill/detect_run.h"

#define NOW 1741341600 /* 2025-03-07 10:00 UTC, the simulator's default start */

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
};

static void meta(struct wb_meta *m, const char *id, const char *source, int64_t version)
{
	m->id = id;
	m->source = source;
	m->ext_id = id;
	m->ext_version = version;
}

static void put(struct cache *c, enum wb_entity e, const void *row)
{
	struct wb_err err = {0};
	assert_int_equal(cache_upsert(c, e, row, 1, NULL, &err), 0);
}

static void seed_fuel(struct cache *c, double litres, int64_t version)
{
	struct wb_fuel_txn f;
	wb_entity_clear(WB_ENT_FUEL_TXN, &f);
	meta(&f.meta, "FT-1", "erp", version);
	f.vehicle_id = "V-1";
	f.at = NOW - 1800;
	f.litres = litres;
	f.amount = litres * 1.7;
	f.station = "Shell A12";
	f.card = "****4431";
	put(c, WB_ENT_FUEL_TXN, &f);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	struct cache *c = f->c;

	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	meta(&v.meta, "V-1", "telematics", 1);
	v.unit = "T-17";
	v.tank_l = 400;
	v.lat = 52.0;
	v.lon = 4.0;
	v.speed_mps = 0;
	v.last_seen_ms = (int64_t)NOW * 1000;
	put(c, WB_ENT_VEHICLE, &v);

	seed_fuel(c, 450, 1); /* more than the tank holds */

	struct wb_fault ft;
	wb_entity_clear(WB_ENT_FAULT, &ft);
	meta(&ft.meta, "F-1", "telematics", 1);
	ft.vehicle_id = "V-1";
	ft.code = "SPN3031-FMI9";
	ft.protocol = "j1939";
	ft.severity = "critical";
	ft.active = 1;
	ft.first_seen = NOW - 3600;
	ft.last_seen = NOW - 60;
	put(c, WB_ENT_FAULT, &ft);

	/* Arrived inside its window and stayed 3.5 h: 1.5 h past the free time. */
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	meta(&s.meta, "S-1", "tms", 1);
	s.load_id = "L-1";
	s.seq = 2;
	s.kind = "drop";
	s.window_start = NOW - 6 * 3600;
	s.window_end = NOW - 4 * 3600;
	s.arrived_at = NOW - 5 * 3600;
	s.departed_at = NOW - 5 * 3600 + 210 * 60;
	s.status = "departed";
	put(c, WB_ENT_STOP, &s);

	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	meta(&p.meta, "POD-1", "tms", 1);
	p.load_id = "L-1";
	p.stop_id = "S-1";
	p.signed_by = "J. Doe";
	p.signed_at = NOW - 3600;
	p.exception_codes = "DAMAGED";
	put(c, WB_ENT_POD, &p);

	struct wb_charge ch;
	wb_entity_clear(WB_ENT_CHARGE, &ch);
	meta(&ch.meta, "CH-1", "erp", 1);
	ch.load_id = "L-1";
	ch.code = "linehaul";
	ch.amount = 1350;
	ch.rated_amount = 1000;
	put(c, WB_ENT_CHARGE, &ch);
	meta(&ch.meta, "CH-2", "erp", 1); /* within tolerance: alone it raises nothing */
	ch.load_id = "L-2";
	ch.amount = 1000.5;
	put(c, WB_ENT_CHARGE, &ch);

	/* The AI's flag on the same subject and kind stays the source's own row. */
	struct wb_exception x;
	wb_entity_clear(WB_ENT_EXCEPTION, &x);
	meta(&x.meta, "X-9", "tms", 3);
	x.kind = "fuel_anomaly";
	x.subject_kind = "vehicle";
	x.subject_id = "V-1";
	x.origin = "ai";
	x.status = "open";
	x.confidence = 0.8;
	x.detected_at = NOW - 600;
	put(c, WB_ENT_EXCEPTION, &x);
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
	assert_int_equal(detect_run(f->c, NULL, 0, &st, &err), 0);
	assert_int_equal(st.now, NOW);
	assert_int_equal(st.raised, 5);
	static const char *const ids[] = {"X-fuel_anomaly-V-1", "X-critical_fault-V-1", "X-detention-S-1",
					  "X-pod_mismatch-L-1", "X-charge_out_of_tolerance-L-1"};
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
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE kind='charge_out_of_tolerance'"), 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-fuel_anomaly-V-1'"
				   " AND required_role='supervisor' AND related_id='FT-1'"), 1);
	/* the AI's row untouched */
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE id='X-9' AND ext_version=3"
				   " AND origin='ai'"), 1);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit WHERE action='raise_exception'"
				   " AND user='waybill' AND role='system'"), 5);
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
}

static void test_rerun_refreshes_never_duplicates(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct detect_run_stats st;
	assert_int_equal(detect_run(f->c, NULL, 0, &st, &err), 0);
	assert_int_equal(detect_run(f->c, NULL, 0, &st, &err), 0);
	assert_int_equal(st.raised, 0);
	assert_int_equal(st.refreshed, 0);
	assert_int_equal(st.unchanged, 5);

	/* The purchase is corrected upwards: the same exception, new content. */
	seed_fuel(f->c, 520, 2);
	assert_int_equal(detect_run(f->c, NULL, 0, &st, &err), 0);
	assert_int_equal(st.raised, 0);
	assert_int_equal(st.refreshed, 1);
	assert_int_equal(one(f->c, "SELECT ext_version FROM exception WHERE id='X-fuel_anomaly-V-1'"), 2);
	assert_int_equal(one(f->c, "SELECT count(*) FROM exception WHERE source='local'"), 5);
	assert_int_equal(one(f->c, "SELECT count(*) FROM audit"), 5);
}

static void test_policy_from_config(void **state)
{
	(void)state;
	struct core_policy pol;
	struct wb_err err = {0};
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(detect_run_policy(NULL, &pol, &err), 0);
	assert_int_equal(detect_run_policy(&cfg, &pol, &err), 0);
	cfg.policy = json_pack("{s:s}", "no_such_kind", "x");
	assert_int_equal(detect_run_policy(&cfg, &pol, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "policy"));
	json_decref(cfg.policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_now_from_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raises_each_kind_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rerun_refreshes_never_duplicates, setup, teardown),
		cmocka_unit_test(test_policy_from_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
