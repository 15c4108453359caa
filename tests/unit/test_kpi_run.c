/* The KPI state (local/kpi_state.c) against the full recompute (local/kpi_full.c):
 * after random batches of inserts, updates (arrivals, statuses, deliveries,
 * PODs moving between loads) and tombstones, the incremental figures equal the
 * recomputed ones, and a refresh reads about as many rows as the batch changed.
 * Also: samples per 5-minute bucket, replaced and pruned; the KPI board's
 * sparkline and history parsing (views/kpis.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"
#include "cache/cache.h"
#include "local/kpi_run.h"
#include "views/view_kpi.h"
#include "../../local/kpi_internal.h"

#define NOW INT64_C(1718020800)
#define NLOAD 240
#define NSTOP 480
#define NVEH 16
#define NWO 24
#define NPOD 160
#define NINV 160
#define NEXC 160

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11) % n;
}

/* A small depot whose rows the batches create, change and tombstone. */
static char ids[7][NSTOP][16];
static struct wb_load loads[NLOAD];
static struct wb_stop stops[NSTOP];
static struct wb_vehicle vehs[NVEH];
static struct wb_work_order wos[NWO];
static struct wb_pod pods[NPOD];
static struct wb_invoice invs[NINV];
static struct wb_exception excs[NEXC];
static const char *const places[] = {"Depot North", "Store 12", "Store 40", "DC East"};
static const char *const kinds[] = {"late_eta", "fuel_anomaly", "detention", "pod_mismatch",
                                    "bogus"};

static int64_t maybe_time(int64_t base, uint32_t spread)
{
	return rnd(6) == 0 ? WB_NULL : base + (int64_t)rnd(spread);
}

static void meta(struct wb_meta *m, int e, int i, const char *prefix)
{
	if (!m->id) {
		snprintf(ids[e][i], sizeof(ids[e][i]), "%s-%d", prefix, i);
		m->id = m->ext_id = ids[e][i];
		m->source = "tms";
	}
	m->ext_version++;
	m->deleted = rnd(12) == 0; /* a tombstone now and then; a later version revives it */
}

static void gen_load(int i)
{
	int64_t v = loads[i].meta.ext_version;
	struct wb_meta m = loads[i].meta;
	wb_entity_clear(WB_ENT_LOAD, &loads[i]);
	loads[i].meta = m;
	loads[i].meta.ext_version = v;
	meta(&loads[i].meta, 0, i, "L");
	static const char *const st[] = {"planned", "in_transit", "delivered", "cancelled"};
	loads[i].status = st[rnd(4)];
	loads[i].tendered_at = maybe_time(NOW - 3 * 86400, 2 * 86400);
	int64_t base = loads[i].tendered_at == WB_NULL ? NOW - 86400 : loads[i].tendered_at;
	loads[i].departed_at = maybe_time(base - 600, 6 * 3600);
	loads[i].delivered_at =
	        loads[i].departed_at == WB_NULL ? WB_NULL : maybe_time(loads[i].departed_at, 40000);
	loads[i].revenue = rnd(8) ? 500 + rnd(2500) : NAN;
	loads[i].est_cost = rnd(8) ? 400 + rnd(2000) : NAN;
	loads[i].distance_m = rnd(5) ? 1000.0 * rnd(400) : NAN;
	loads[i].empty_m = rnd(3) ? 1000.0 * rnd(60) : NAN;
	loads[i].origin = rnd(7) ? places[rnd(4)] : NULL;
	loads[i].destination = places[rnd(4)];
}

static void gen_stop(int i)
{
	int64_t v = stops[i].meta.ext_version;
	struct wb_meta m = stops[i].meta;
	wb_entity_clear(WB_ENT_STOP, &stops[i]);
	stops[i].meta = m;
	stops[i].meta.ext_version = v;
	meta(&stops[i].meta, 1, i, "S");
	stops[i].load_id = ids[0][rnd(NLOAD)];
	stops[i].kind = rnd(2) ? "drop" : "pickup";
	stops[i].window_start = maybe_time(NOW - 86400, 86400);
	stops[i].window_end =
	        stops[i].window_start == WB_NULL ? WB_NULL : stops[i].window_start + 3600;
	stops[i].arrived_at = maybe_time(NOW - 86400 - 1800, 86400 + 3600);
	stops[i].departed_at = stops[i].arrived_at == WB_NULL
	                               ? WB_NULL
	                               : maybe_time(stops[i].arrived_at - 600, 4 * 3600);
	stops[i].status = stops[i].arrived_at == WB_NULL ? "pending" : "arrived";
}

static void gen_vehicle(int i)
{
	meta(&vehs[i].meta, 2, i, "T");
	vehs[i].unit = vehs[i].meta.id;
}

static void gen_wo(int i)
{
	meta(&wos[i].meta, 3, i, "WO");
	static const char *const st[] = {"proposed", "open", "in_progress", "closed"};
	wos[i].status = st[rnd(4)];
	wos[i].vehicle_id = ids[2][rnd(NVEH)];
	wos[i].opened_at = maybe_time(NOW - 2 * 86400, 2 * 86400);
	wos[i].closed_at =
	        wos[i].opened_at == WB_NULL ? WB_NULL : maybe_time(wos[i].opened_at, 86400);
}

static void gen_pod(int i)
{
	meta(&pods[i].meta, 4, i, "P");
	pods[i].load_id = rnd(10) ? ids[0][rnd(NLOAD)] : "L-none"; /* moves between loads */
	pods[i].signed_at = maybe_time(NOW - 86400, 86400);
}

static void gen_invoice(int i)
{
	meta(&invs[i].meta, 5, i, "I");
	invs[i].load_id = ids[0][rnd(NLOAD)];
	invs[i].amount = rnd(9) ? 100 + rnd(3000) : NAN;
	invs[i].issued_at = maybe_time(NOW - 40 * 86400, 41 * 86400);
	invs[i].paid_at =
	        invs[i].issued_at == WB_NULL ? WB_NULL : maybe_time(invs[i].issued_at, 30 * 86400);
}

static void gen_exception(int i)
{
	meta(&excs[i].meta, 6, i, "X");
	excs[i].kind = kinds[rnd(5)];
	excs[i].origin = rnd(3) ? "ai" : "local";
	static const char *const st[] = {"open", "approved", "rejected", "resolved"};
	excs[i].status = st[rnd(4)];
	excs[i].detected_at = maybe_time(NOW - 86400, 86400);
	excs[i].resolved_at = excs[i].detected_at == WB_NULL
	                              ? WB_NULL
	                              : maybe_time(excs[i].detected_at - 60, 7200);
}

static void setup_ids(void)
{
	for (int i = 0; i < NLOAD; i++)
		snprintf(ids[0][i], sizeof(ids[0][i]), "L-%d", i);
	for (int i = 0; i < NVEH; i++)
		snprintf(ids[2][i], sizeof(ids[2][i]), "T-%d", i);
	wb_entity_clear(WB_ENT_LOAD, loads);
	for (int i = 0; i < NLOAD; i++)
		wb_entity_clear(WB_ENT_LOAD, &loads[i]);
	for (int i = 0; i < NSTOP; i++)
		wb_entity_clear(WB_ENT_STOP, &stops[i]);
	for (int i = 0; i < NVEH; i++)
		wb_entity_clear(WB_ENT_VEHICLE, &vehs[i]);
	for (int i = 0; i < NWO; i++)
		wb_entity_clear(WB_ENT_WORK_ORDER, &wos[i]);
	for (int i = 0; i < NPOD; i++)
		wb_entity_clear(WB_ENT_POD, &pods[i]);
	for (int i = 0; i < NINV; i++)
		wb_entity_clear(WB_ENT_INVOICE, &invs[i]);
	for (int i = 0; i < NEXC; i++)
		wb_entity_clear(WB_ENT_EXCEPTION, &excs[i]);
}

/* One sync-like batch: n changed rows across the entities, one transaction. */
static size_t batch(struct cache *c, int n)
{
	static struct wb_load bl[64];
	static struct wb_stop bs[64];
	static struct wb_vehicle bv[64];
	static struct wb_work_order bw[64];
	static struct wb_pod bp[64];
	static struct wb_invoice bi[64];
	static struct wb_exception bx[64];
	size_t nl = 0, ns = 0, nv = 0, nw = 0, np = 0, ni = 0, nx = 0;
	for (int k = 0; k < n; k++) {
		int i;
		switch (rnd(7)) {
		case 0:
			if (nl < 64) {
				gen_load(i = (int)rnd(NLOAD));
				bl[nl++] = loads[i];
			}
			break;
		case 1:
			if (ns < 64) {
				gen_stop(i = (int)rnd(NSTOP));
				bs[ns++] = stops[i];
			}
			break;
		case 2:
			if (nv < 64) {
				gen_vehicle(i = (int)rnd(NVEH));
				bv[nv++] = vehs[i];
			}
			break;
		case 3:
			if (nw < 64) {
				gen_wo(i = (int)rnd(NWO));
				bw[nw++] = wos[i];
			}
			break;
		case 4:
			if (np < 64) {
				gen_pod(i = (int)rnd(NPOD));
				bp[np++] = pods[i];
			}
			break;
		case 5:
			if (ni < 64) {
				gen_invoice(i = (int)rnd(NINV));
				bi[ni++] = invs[i];
			}
			break;
		default:
			if (nx < 64) {
				gen_exception(i = (int)rnd(NEXC));
				bx[nx++] = excs[i];
			}
			break;
		}
	}
	struct wb_err err = {0};
	size_t written = 0, w = 0;
	assert_int_equal(cache_begin(c, &err), 0);
	/* Rows changed twice in one batch: only the later version is newer. */
	assert_int_equal(cache_upsert(c, WB_ENT_LOAD, bl, nl, &w, &err), 0), written += w;
	assert_int_equal(cache_upsert(c, WB_ENT_STOP, bs, ns, &w, &err), 0), written += w;
	assert_int_equal(cache_upsert(c, WB_ENT_VEHICLE, bv, nv, &w, &err), 0), written += w;
	assert_int_equal(cache_upsert(c, WB_ENT_WORK_ORDER, bw, nw, &w, &err), 0), written += w;
	assert_int_equal(cache_upsert(c, WB_ENT_POD, bp, np, &w, &err), 0), written += w;
	assert_int_equal(cache_upsert(c, WB_ENT_INVOICE, bi, ni, &w, &err), 0), written += w;
	assert_int_equal(cache_upsert(c, WB_ENT_EXCEPTION, bx, nx, &w, &err), 0), written += w;
	assert_int_equal(cache_commit(c, &err), 0);
	return written;
}

static void close_to(double inc, double full, const char *what, int round)
{
	if (isnan(inc) && isnan(full))
		return;
	double tol = 1e-9 * fmax(1.0, fmax(fabs(inc), fabs(full)));
	if (isnan(inc) || isnan(full) || fabs(inc - full) > tol)
		fail_msg("batch %d: %s: incremental %.17g, full recompute %.17g", round, what, inc,
		         full);
}

static void assert_same(const struct kpi_figures *a, const struct kpi_figures *b, int round)
{
	close_to(a->on_time_pct, b->on_time_pct, "on_time_pct", round);
	close_to(a->dispatch_cycle_s, b->dispatch_cycle_s, "dispatch_cycle_s", round);
	close_to(a->asset_utilization_pct, b->asset_utilization_pct, "asset_utilization_pct",
	         round);
	close_to(a->maintenance_downtime_pct, b->maintenance_downtime_pct,
	         "maintenance_downtime_pct", round);
	close_to(a->pod_completion_s, b->pod_completion_s, "pod_completion_s", round);
	close_to(a->invoice_cycle_s, b->invoice_cycle_s, "invoice_cycle_s", round);
	close_to(a->dso_days, b->dso_days, "dso_days", round);
	assert_int_equal(a->resolution.n, b->resolution.n);
	close_to(a->resolution.mean_s, b->resolution.mean_s, "resolution mean", round);
	close_to(a->resolution.median_s, b->resolution.median_s, "resolution median", round);
	close_to(a->resolution.p90_s, b->resolution.p90_s, "resolution p90", round);
	close_to(a->empty_miles_pct, b->empty_miles_pct, "empty_miles_pct", round);
	close_to(a->dwell_s, b->dwell_s, "dwell_s", round);
	close_to(a->detention_s, b->detention_s, "detention_s", round);
	close_to(a->margin_per_load, b->margin_per_load, "margin_per_load", round);
	close_to(a->ai_precision, b->ai_precision, "ai_precision", round);
	for (int k = 0; k < CORE_KIND__COUNT; k++)
		close_to(a->precision[k], b->precision[k], core_kind_name((enum core_kind)k),
		         round);
	assert_int_equal(a->nroutes, b->nroutes);
	for (size_t i = 0; i < a->nroutes; i++) {
		assert_string_equal(a->routes[i].origin, b->routes[i].origin);
		assert_string_equal(a->routes[i].destination, b->routes[i].destination);
		assert_int_equal(a->routes[i].loads, b->routes[i].loads);
		close_to(a->routes[i].margin, b->routes[i].margin, "route margin", round);
	}
}

static void compare(struct cache *c, int round)
{
	struct wb_err err = {0};
	struct kpi_figures inc, full;
	struct kpi_state *s = kpi_state_get(c, -1, &err);
	assert_non_null(s);
	assert_int_equal(kpi_state_figures(s, NOW, &inc, &err), 0);
	assert_int_equal(kpi_full(c, NOW, -1, &full, &err), 0);
	assert_same(&inc, &full, round);
	kpi_figures_free(&inc);
	kpi_figures_free(&full);
}

static void test_incremental_equals_full(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	setup_ids();
	/* A first population, then the state's full scan. */
	for (int i = 0; i < 12; i++)
		batch(c, 60);
	struct kpi_state *s = kpi_state_get(c, -1, &err);
	assert_non_null(s);
	struct kpi_refresh_stats rs;
	assert_int_equal(kpi_state_refresh(s, &rs, &err), 0);
	assert_int_equal(rs.full, 1);
	size_t all = rs.rows;
	compare(c, 0);
	/* The figures must move, or the equality would prove little. */
	struct kpi_figures first;
	assert_int_equal(kpi_state_figures(s, NOW, &first, &err), 0);
	assert_false(isnan(first.on_time_pct) || isnan(first.pod_completion_s) ||
	             isnan(first.invoice_cycle_s) || isnan(first.dso_days) ||
	             isnan(first.asset_utilization_pct) || first.resolution.n == 0 ||
	             first.nroutes == 0 || isnan(first.ai_precision));
	int moved = 0;
	for (int round = 1; round <= 40; round++) {
		size_t written = batch(c, 1 + (int)rnd(40));
		assert_int_equal(kpi_state_refresh(s, &rs, &err), 0);
		if (rs.full)
			fail_msg("batch %d: the refresh fell back to a full scan", round);
		/* Each changed row, plus the loads its POD or invoice moved from and to
		 * and their PODs and invoices: a handful of rows each, never the cache. */
		if (rs.rows > written * 12 + 8 || rs.rows >= all)
			fail_msg("batch %d: %zu rows written, the refresh read %zu of %zu", round,
			         written, rs.rows, all);
		compare(c, round);
		struct kpi_figures f;
		assert_int_equal(kpi_state_figures(s, NOW, &f, &err), 0);
		moved += f.on_time_pct != first.on_time_pct ||
		         f.margin_per_load != first.margin_per_load;
		kpi_figures_free(&f);
	}
	kpi_figures_free(&first);
	assert_true(moved > 0);
	cache_close(c);
	test_rmdir(dir);
}

/* A write by another connection is not seen by the hook: the next refresh
 * notices (data_version) and scans. */
static void test_other_connection(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	setup_ids();
	for (int i = 0; i < 4; i++)
		batch(c, 40);
	struct kpi_state *s = kpi_state_get(c, -1, &err);
	struct kpi_refresh_stats rs;
	assert_int_equal(kpi_state_refresh(s, &rs, &err), 0);
	struct cache *other = cache_open(path, NULL, &err);
	assert_non_null(other);
	batch(other, 40);
	cache_close(other);
	assert_int_equal(kpi_state_refresh(s, &rs, &err), 0);
	assert_int_equal(rs.full, 1);
	compare(c, 1);
	/* Dropping the state and getting it again starts from a scan too. */
	kpi_state_drop(c);
	s = kpi_state_get(c, -1, &err);
	assert_int_equal(kpi_state_refresh(s, &rs, &err), 0);
	assert_int_equal(rs.full, 1);
	compare(c, 2);
	/* Inside a transaction a refresh could read rows that a rollback undoes. */
	assert_int_equal(cache_begin(c, &err), 0);
	assert_int_equal(kpi_state_refresh(s, &rs, &err), WB_EINVALID);
	cache_rollback(c);
	cache_close(c);
	test_rmdir(dir);
}

static double sample(struct cache *c, const char *name, int64_t at)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(c),
	                                    "SELECT value FROM kpi_sample WHERE name=?1 AND at=?2",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	double v = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_samples(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	setup_ids();
	for (int i = 0; i < 6; i++)
		batch(c, 60);
	struct kpi_run_stats st;
	int64_t bucket = NOW / 300 * 300;
	assert_int_equal(kpi_run_sample(c, bucket + 17, NULL, &st, &err), 0);
	assert_int_equal(st.at, bucket);
	assert_int_equal(st.full, 1);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample"), KPI__COUNT);
	struct kpi_figures f;
	assert_int_equal(kpi_full(c, bucket + 17, -1, &f, &err), 0);
	close_to(sample(c, "on_time_pct", bucket), f.on_time_pct, "sampled on_time_pct", 0);
	close_to(sample(c, "ai_precision_pct", bucket), f.ai_precision * 100,
	         "sampled ai_precision_pct", 0);
	close_to(sample(c, "exception_resolution_p90_s", bucket), f.resolution.p90_s, "sampled p90",
	         0);
	kpi_figures_free(&f);
	/* Later in the same bucket: replaced, not added; the refresh is incremental. */
	batch(c, 30);
	assert_int_equal(kpi_run_sample(c, bucket + 299, NULL, &st, &err), 0);
	assert_int_equal(st.full, 0);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample"), KPI__COUNT);
	assert_int_equal(kpi_full(c, bucket + 299, -1, &f, &err), 0);
	close_to(sample(c, "asset_utilization_pct", bucket), f.asset_utilization_pct,
	         "replaced utilization", 0);
	kpi_figures_free(&f);
	/* The next bucket adds; a day later the first is pruned. */
	assert_int_equal(kpi_run_sample(c, bucket + 300, NULL, &st, &err), 0);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample"), 2 * KPI__COUNT);
	assert_int_equal(kpi_run_sample(c, bucket + 86400 + 300, NULL, &st, &err), 0);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample"), 2 * KPI__COUNT);
	assert_int_equal(test_count(c, "SELECT min(at) FROM kpi_sample"), bucket + 300);
	assert_int_equal(test_count(c, "SELECT count(DISTINCT name) FROM kpi_sample"), KPI__COUNT);
	/* Not inside a transaction. */
	assert_int_equal(cache_begin(c, &err), 0);
	assert_int_equal(kpi_run_sample(c, bucket, NULL, &st, &err), WB_EINVALID);
	cache_rollback(c);
	cache_close(c);
	test_rmdir(dir);
}

/* An empty cache: every figure unknown, JSON nulls, samples NULL. */
static void test_empty(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	struct kpi_figures f;
	assert_int_equal(kpi_run_figures(c, NOW, NULL, &f, NULL, &err), 0);
	json_t *j = kpi_figures_json(&f);
	assert_true(json_is_null(json_object_get(j, "on_time_pct")));
	assert_true(json_is_null(json_object_get(j, "asset_utilization_pct")));
	assert_true(json_is_null(
	        json_object_get(json_object_get(j, "exception_resolution_s"), "median")));
	assert_int_equal(
	        json_array_size(json_object_get(json_object_get(j, "route_profit"), "routes")), 0);
	assert_true(json_is_null(json_object_get(json_object_get(j, "ai_precision"), "late_eta")));
	json_decref(j);
	kpi_figures_free(&f);
	assert_int_equal(kpi_run_sample(c, NOW, NULL, NULL, &err), 0);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample WHERE value IS NULL"),
	                 KPI__COUNT);
	cache_close(c);
	test_rmdir(dir);
}

static void test_sparkline(void **state)
{
	(void)state;
	char buf[128];
	const double rise[] = {0, 1, 2, 3, 4, 5, 6, 7};
	assert_int_equal(view_kpi_sparkline(rise, 8, true, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588");
	assert_int_equal(view_kpi_sparkline(rise, 8, false, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "_.:-=+*#");
	/* Scaled between min and max whatever the units; NAN is a gap. */
	const double gaps[] = {90, NAN, 100, 95, NAN};
	view_kpi_sparkline(gaps, 5, true, buf, sizeof(buf));
	assert_string_equal(buf, "\u2581 \u2588\u2585 ");
	view_kpi_sparkline(gaps, 5, false, buf, sizeof(buf));
	assert_string_equal(buf, "_ #= ");
	const double flat[] = {42, 42, 42};
	view_kpi_sparkline(flat, 3, false, buf, sizeof(buf));
	assert_string_equal(buf, "---");
	/* A short buffer gets whole glyphs only. */
	assert_int_equal(view_kpi_sparkline(rise, 8, true, buf, 8), 2);
	assert_string_equal(buf, "\u2581\u2582");
	const double none[] = {NAN, NAN};
	view_kpi_sparkline(none, 2, true, buf, sizeof(buf));
	assert_string_equal(buf, "  ");
}

static void test_history(void **state)
{
	(void)state;
	double v[6];
	/* Newest first, as the board's query returns it; a NULL and a missing bucket. */
	assert_int_equal(view_kpi_history("1500:5.5,1200:,900:-2,300:1e3", 1500, 300, v, 6), 3);
	assert_true(v[5] == 5.5);
	assert_true(isnan(v[4]));
	assert_true(v[3] == -2);
	assert_true(isnan(v[2]));
	assert_true(v[1] == 1000);
	assert_true(isnan(v[0]));
	/* Older than the window, or malformed: ignored, never out of bounds. */
	assert_int_equal(view_kpi_history("0:1,1500:2", 1500, 300, v, 4), 1);
	assert_true(v[3] == 2);
	assert_int_equal(view_kpi_history("junk", 1500, 300, v, 4), 0);
	assert_int_equal(view_kpi_history("1800:9", 1500, 300, v, 4), 0);
}

/* Routes: the KPI_ROUTES_MAX lowest margins, in order, ties by name. */
static void test_routes_kept(void **state)
{
	(void)state;
	enum { N = 300 };
	static char names[N][16];
	struct core_route_profit r[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "P%03d", i);
		/* margins 0..99, each three times: ties decided by origin */
		r[i] = (struct core_route_profit){names[i], "Depot", 1,
		                                  0,        0,       (double)((i * 37) % 100)};
	}
	struct kpi_figures f = {0};
	assert_int_equal(kpi_figures_set_routes(&f, r, N), 0);
	assert_int_equal(f.nroutes, KPI_ROUTES_MAX);
	for (size_t i = 0; i < f.nroutes; i++) {
		assert_true(f.routes[i].margin == (double)(i / 3));
		if (i && f.routes[i].margin == f.routes[i - 1].margin)
			assert_true(strcmp(f.routes[i - 1].origin, f.routes[i].origin) < 0);
	}
	kpi_figures_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_incremental_equals_full),
	        cmocka_unit_test(test_other_connection),
	        cmocka_unit_test(test_samples),
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_sparkline),
	        cmocka_unit_test(test_history),
	        cmocka_unit_test(test_routes_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
