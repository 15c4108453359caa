/* KPIs: each definition on a small hand-computed data set, and retracting a row
 * undoes adding it (the incremental path a sync batch takes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_kpi.h"

#define T0 1700000000
#define H 3600

static struct wb_stop drop(int64_t w0, int64_t w1, int64_t arr, int64_t dep)
{
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	s.kind = "drop";
	s.window_start = w0;
	s.window_end = w1;
	s.arrived_at = arr;
	s.departed_at = dep;
	return s;
}

static struct wb_load load(const char *id, const char *o, const char *d, double rev, double cost)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.meta.id = id;
	l.origin = o;
	l.destination = d;
	l.revenue = rev;
	l.est_cost = cost;
	return l;
}

static void test_on_time_and_dwell(void **state)
{
	(void)state;
	struct core_kpis k;
	core_kpis_init(&k, 2 * H);
	assert_true(isnan(core_kpi_on_time_pct(&k)));
	struct wb_stop s[] = {
	        drop(T0, T0 + H, T0, T0 + H), /* at window start: on time, 1 h dwell */
	        drop(T0, T0 + H, T0 + H,
	             T0 + 4 * H), /* at window end: on time, 3 h: 1 h detention */
	        drop(T0, T0 + H, T0 + H + 1, WB_NULL), /* a second late */
	        drop(T0, T0 + H, T0 - 1,
	             T0 + 2 * H), /* early: not inside the window; clock from T0 */
	        drop(WB_NULL, WB_NULL, T0, T0 + 60), /* no window: not judged */
	};
	for (size_t i = 0; i < 5; i++)
		core_kpis_add_stop(&k, &s[i], +1);
	assert_int_equal(k.drops_judged, 4);
	assert_int_equal(k.drops_on_time, 2);
	assert_true(core_kpi_on_time_pct(&k) == 50);
	assert_int_equal(k.dwell_n, 4);
	assert_int_equal(k.detention_n, 1);
	assert_true(k.detention_sum_s == H);
	core_kpis_add_stop(&k, &s[1], -1);
	assert_int_equal(k.drops_judged, 3);
	assert_int_equal(k.detention_n, 0);
}

static void test_loads_incremental(void **state)
{
	(void)state;
	struct core_kpis k, empty;
	core_kpis_init(&k, 2 * H);
	empty = k;
	struct wb_load a = load("L-1", "North", "Store 1", 1000, 700),
	               b = load("L-2", "North", "Store 2", 500, 600);
	a.tendered_at = T0;
	a.departed_at = T0 + 2 * H;
	a.distance_m = 90000;
	a.empty_m = 10000;
	b.tendered_at = T0;
	b.departed_at = T0 + 4 * H;
	b.distance_m = 100000;
	core_kpis_add_load(&k, &a, +1);
	core_kpis_add_load(&k, &b, +1);
	assert_true(core_kpi_dispatch_cycle_s(&k) == 3 * H);
	assert_true(fabs(core_kpi_empty_miles_pct(&k) - 5) < 1e-9); /* 10 km of 200 km */
	assert_true(core_kpi_margin_per_load(&k) == 100);           /* (300 - 100) / 2 */
	core_kpis_add_load(&k, &b, -1);
	core_kpis_add_load(&k, &a, -1);
	assert_memory_equal(&k, &empty, sizeof(k));
}

static void test_precision(void **state)
{
	(void)state;
	struct core_kpis k;
	core_kpis_init(&k, 0);
	struct wb_exception x;
	wb_entity_clear(WB_ENT_EXCEPTION, &x);
	x.kind = "fuel_anomaly";
	x.origin = "ai";
	const char *st[] = {"approved", "approved", "approved", "rejected", "open", "auto_applied"};
	for (size_t i = 0; i < 6; i++) {
		x.status = st[i];
		core_kpis_add_exception(&k, &x, "ai", +1);
	}
	x.origin = "local";
	x.status = "rejected";
	core_kpis_add_exception(&k, &x, "ai", +1); /* other origin: not counted */
	assert_true(core_kpi_precision(&k, CORE_KIND_FUEL_ANOMALY) == 0.75);
	assert_true(isnan(core_kpi_precision(&k, CORE_KIND_LATE_ETA)));
}

static void test_utilization_downtime(void **state)
{
	(void)state;
	struct wb_load l[2] = {load("L-1", "a", "b", 1, 1), load("L-2", "a", "b", 1, 1)};
	l[0].departed_at = T0 - H; /* clipped to the period */
	l[0].delivered_at = T0 + 5 * H;
	l[1].departed_at = T0 + 20 * H; /* still in transit at now = T0 + 24 h */
	/* 5 h + 4 h over 2 vehicles x 24 h */
	assert_true(fabs(core_kpi_utilization(l, 2, 2, T0, T0 + 24 * H, T0 + 24 * H) - 9.0 / 48) <
	            1e-12);
	struct wb_work_order w[2];
	wb_entity_clear(WB_ENT_WORK_ORDER, &w[0]);
	wb_entity_clear(WB_ENT_WORK_ORDER, &w[1]);
	w[0].status = "closed";
	w[0].opened_at = T0;
	w[0].closed_at = T0 + 12 * H;
	w[1].status = "proposed";
	w[1].opened_at = T0;
	assert_true(fabs(core_kpi_downtime_pct(w, 2, 2, T0, T0 + 24 * H, T0 + 24 * H) - 25) <
	            1e-12);
}

static void test_durations(void **state)
{
	(void)state;
	struct wb_load l[3] = {load("L-1", "a", "b", 1, 1), load("L-2", "a", "b", 1, 1),
	                       load("L-3", "a", "b", 1, 1)};
	l[0].delivered_at = T0;
	l[1].delivered_at = T0;
	struct wb_pod p[3];
	for (int i = 0; i < 3; i++)
		wb_entity_clear(WB_ENT_POD, &p[i]);
	p[0].load_id = "L-1", p[0].signed_at = T0 + 600;
	p[1].load_id = "L-1", p[1].signed_at = T0 + 1200; /* latest signature counts */
	p[2].load_id = "L-2", p[2].signed_at = T0 + 3600;
	struct core_kpi_duration d;
	assert_int_equal(core_kpi_pod_completion(l, 3, p, 3, &d), 0);
	assert_int_equal(d.n, 2);
	assert_true(d.mean_s == 2400 && d.median_s == 2400 && d.p90_s == 3600);

	struct wb_invoice inv[2];
	wb_entity_clear(WB_ENT_INVOICE, &inv[0]);
	wb_entity_clear(WB_ENT_INVOICE, &inv[1]);
	inv[0].load_id = "L-2", inv[0].issued_at = T0 + 86400;
	inv[1].load_id = "L-3", inv[1].issued_at = T0; /* L-3 not delivered */
	assert_int_equal(core_kpi_invoice_cycle(l, 3, inv, 2, &d), 0);
	assert_int_equal(d.n, 1);
	assert_true(d.median_s == 86400);

	struct wb_exception x[10];
	for (int i = 0; i < 10; i++) {
		wb_entity_clear(WB_ENT_EXCEPTION, &x[i]);
		x[i].detected_at = T0;
		x[i].resolved_at = T0 + 60 * (i + 1); /* 1..10 min */
	}
	x[9].resolved_at = WB_NULL; /* open: not counted */
	assert_int_equal(core_kpi_resolution(x, 10, &d), 0);
	assert_int_equal(d.n, 9);
	assert_true(d.median_s == 300); /* 5th of 9 */
	assert_true(d.p90_s == 540);    /* rank ceil(8.1) = 9 */
	assert_int_equal(core_kpi_resolution(x, 0, &d), 0);
	assert_true(isnan(d.median_s));
}

static void test_dso(void **state)
{
	(void)state;
	struct wb_invoice v[3];
	for (int i = 0; i < 3; i++)
		wb_entity_clear(WB_ENT_INVOICE, &v[i]);
	int64_t now = T0 + 90 * 86400;
	v[0].amount = 3000, v[0].issued_at = now - 10 * 86400;                     /* unpaid */
	v[1].amount = 6000, v[1].issued_at = now - 40 * 86400, v[1].paid_at = now; /* paid */
	v[2].amount = 1000, v[2].issued_at = now - 120 * 86400;                    /* unpaid, old */
	/* receivable 4000 over sales 9000 in 90 days -> 40 days */
	assert_true(fabs(core_kpi_dso(v, 3, now, 90) - 40) < 1e-9);
}

static void test_routes(void **state)
{
	(void)state;
	struct wb_load l[4] = {
	        load("L-1", "North", "S1", 1000, 700), load("L-2", "North", "S2", 500, 600),
	        load("L-3", "North", "S1", 800, 900), load("L-4", "North", "S1", NAN, 100)};
	struct core_route_profit *r;
	size_t n;
	assert_int_equal(core_kpi_routes(l, 4, &r, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].destination, "S2"); /* lowest margin first */
	assert_true(r[0].margin == -100);
	assert_int_equal(r[1].loads, 2);
	assert_true(r[1].margin == 200);
	free(r);
}

/* Times and money no source may send (the connectors refuse them) but a cache
 * may still hold: no KPI overflows (UBSan runs these under SAN=1), a row made
 * of them counts for nothing, and retracting it leaves the sums exact. */
#define FAR_PAST (INT64_MIN + 1) /* INT64_MIN is WB_NULL, "unknown" */
static void test_extreme_values(void **state)
{
	(void)state;
	struct core_kpis k;
	core_kpis_init(&k, 2 * H);
	struct wb_stop ok = drop(T0, T0 + H, T0 + 600, T0 + 1200);
	core_kpis_add_stop(&k, &ok, 1);
	struct wb_stop bad[] = {drop(T0, T0 + H, FAR_PAST, INT64_MAX),
	                        drop(FAR_PAST, T0, T0, INT64_MAX), drop(T0, T0 + H, T0, INT64_MAX)};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		core_kpis_add_stop(&k, &bad[i], 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		core_kpis_add_stop(&k, &bad[i], -1);
	assert_int_equal(k.dwell_n, 1);
	assert_true(k.dwell_sum_s == 600);
	assert_int_equal(k.detention_n, 0);
	assert_true(k.detention_sum_s == 0);

	struct wb_load l = load("L-1", "a", "b", 1000, 700), x = load("L-2", "a", "b", 1e300, 1);
	l.tendered_at = T0, l.departed_at = T0 + 3600;
	x.tendered_at = FAR_PAST, x.departed_at = INT64_MAX;
	core_kpis_add_load(&k, &l, 1);
	core_kpis_add_load(&k, &x, 1);
	struct wb_load y = load("L-3", "a", "b", INFINITY, 1);
	y.tendered_at = 0, y.departed_at = INT64_MAX; /* no overflow, but no span either */
	y.empty_m = 1e300;
	core_kpis_add_load(&k, &y, 1);
	core_kpis_add_load(&k, &y, -1);
	core_kpis_add_load(&k, &x, -1);
	assert_int_equal(k.cycle_n, 1);
	assert_true(k.cycle_sum_s == 3600);
	assert_true(core_kpi_margin_per_load(&k) == 300);
	assert_true(isnan(core_kpi_empty_miles_pct(&k)) || core_kpi_empty_miles_pct(&k) == 0);

	/* whole-array KPIs */
	struct wb_load d[2] = {load("L-1", "a", "b", 1, 1), load("L-2", "a", "b", 1, 1)};
	d[0].delivered_at = FAR_PAST;
	d[1].delivered_at = T0;
	struct wb_pod p[2];
	wb_entity_clear(WB_ENT_POD, &p[0]);
	wb_entity_clear(WB_ENT_POD, &p[1]);
	p[0].load_id = "L-1", p[0].signed_at = INT64_MAX;
	p[1].load_id = "L-2", p[1].signed_at = T0 + 600;
	struct core_kpi_duration dur;
	assert_int_equal(core_kpi_pod_completion(d, 2, p, 2, &dur), 0);
	assert_int_equal(dur.n, 1);
	assert_true(dur.median_s == 600);
	struct wb_invoice inv[3];
	for (int i = 0; i < 3; i++)
		wb_entity_clear(WB_ENT_INVOICE, &inv[i]);
	inv[0].load_id = "L-1", inv[0].issued_at = INT64_MAX;
	assert_int_equal(core_kpi_invoice_cycle(d, 2, inv, 1, &dur), 0);
	assert_int_equal(dur.n, 0);
	struct wb_exception xs[2];
	wb_entity_clear(WB_ENT_EXCEPTION, &xs[0]);
	wb_entity_clear(WB_ENT_EXCEPTION, &xs[1]);
	xs[0].detected_at = FAR_PAST, xs[0].resolved_at = INT64_MAX;
	xs[1].detected_at = T0, xs[1].resolved_at = T0 + 60;
	assert_int_equal(core_kpi_resolution(xs, 2, &dur), 0);
	assert_int_equal(dur.n, 1);
	assert_true(dur.median_s == 60);
	/* DSO: amounts no till makes are left out, not summed into infinity */
	int64_t now = T0 + 90 * 86400;
	inv[0].amount = 1e308, inv[0].issued_at = now - 86400;
	inv[1].amount = 1e308, inv[1].issued_at = now - 86400;
	inv[2].amount = 1000, inv[2].issued_at = now - 45 * 86400;
	assert_true(fabs(core_kpi_dso(inv, 3, now, 90) - 90) < 1e-9);
	/* routes: a load "worth" infinity is left out */
	struct wb_load r[2] = {load("L-1", "North", "S1", 1000, 700),
	                       load("L-2", "North", "S1", INFINITY, 100)};
	struct core_route_profit *rp;
	size_t nr;
	assert_int_equal(core_kpi_routes(r, 2, &rp, &nr), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(rp[0].loads, 1);
	assert_true(rp[0].margin == 300);
	free(rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_on_time_and_dwell),
	        cmocka_unit_test(test_loads_incremental),
	        cmocka_unit_test(test_precision),
	        cmocka_unit_test(test_utilization_downtime),
	        cmocka_unit_test(test_durations),
	        cmocka_unit_test(test_dso),
	        cmocka_unit_test(test_routes),
	        cmocka_unit_test(test_extreme_values),
	};
	return cmocka_run_group_tests_name("core_kpi", tests, NULL, NULL);
}
