/* Benchmark of the KPI refresh (local/kpi_state.c) against issue 5's target:
 * "KPI refresh after a sync batch under 10 ms" on a 100,000-load cache. Builds
 * the cache (loads, two stops each, PODs, invoices, exceptions, vehicles, work
 * orders), then in the same run times the full recompute (`waybill kpi` on a
 * cold process), the state's first full scan, and the refresh after sync
 * batches of 1,000 rows of several shapes. Also the cost the state's update
 * hook adds to the page writer (sync --once throughput). Prints each figure
 * beside its target or baseline; never fails on time. Median of RUNS. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cache/cache.h"
#include "local/kpi_run.h"

#define NLOAD 100000
#define NVEH 2000
#define NWO 5000
#define NEXC 20000
#define BATCH 1000
#define RUNS 7
#define NOW INT64_C(1718020800)

static uint64_t rng = 88172645463325252u;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11) % n;
}

static char (*lid)[16], (*sid)[16], (*vid)[16], (*pid)[16], (*iid)[16], (*xid)[16], (*wid)[16];
static char origin[20][16], dest[200][16];
static int64_t version = 1;

static void fill_load(void *row, int i)
{
	struct wb_load *l = row;
	wb_entity_clear(WB_ENT_LOAD, l);
	l->meta = (struct wb_meta){lid[i], "tms", lid[i], version, 0, 0};
	l->status = i % 5 == 0 ? "in_transit" : i % 5 == 1 ? "planned" : "delivered";
	l->tendered_at = NOW - 86400 * 20 + (int64_t)i * 17 + rnd(3600);
	l->departed_at = l->tendered_at + 1800 + rnd(7200);
	l->delivered_at = i % 5 < 2 ? WB_NULL : l->departed_at + 3600 + rnd(20000);
	l->revenue = 800 + rnd(2000);
	l->est_cost = 600 + rnd(1800);
	l->distance_m = 1000.0 * (50 + rnd(400));
	l->empty_m = 1000.0 * rnd(60);
	l->origin = origin[i % 20];
	l->destination = dest[rnd(200)];
	l->vehicle_id = vid[i % NVEH];
}

static void fill_stop(void *row, int i)
{
	struct wb_stop *s = row;
	wb_entity_clear(WB_ENT_STOP, s);
	s->meta = (struct wb_meta){sid[i], "tms", sid[i], version, 0, 0};
	s->load_id = lid[i / 2];
	s->seq = i % 2;
	s->kind = i % 2 ? "drop" : "pickup";
	s->window_start = NOW - 86400 * 20 + (int64_t)(i / 2) * 17 + 7200;
	s->window_end = s->window_start + 3600;
	s->arrived_at = i % 7 == 0 ? WB_NULL : s->window_start - 1800 + rnd(5400);
	s->departed_at = s->arrived_at == WB_NULL ? WB_NULL : s->arrived_at + 600 + rnd(9000);
	s->status = s->arrived_at == WB_NULL ? "pending" : "departed";
}

static void fill_pod(void *row, int i)
{
	struct wb_pod *p = row;
	wb_entity_clear(WB_ENT_POD, p);
	p->meta = (struct wb_meta){pid[i], "tms", pid[i], version, 0, 0};
	p->load_id = lid[i];
	p->signed_at = NOW - 86400 * 20 + (int64_t)i * 17 + 30000 + rnd(20000);
}

static void fill_invoice(void *row, int i)
{
	struct wb_invoice *v = row;
	wb_entity_clear(WB_ENT_INVOICE, v);
	v->meta = (struct wb_meta){iid[i], "erp", iid[i], version, 0, 0};
	v->load_id = lid[i];
	v->amount = 900 + rnd(2000);
	v->issued_at = NOW - 86400 * 20 + (int64_t)i * 17 + 60000 + rnd(86400);
	v->paid_at = rnd(3) ? v->issued_at + 86400 * (5 + rnd(30)) : WB_NULL;
	v->status = "sent";
}

static void fill_exception(void *row, int i)
{
	struct wb_exception *x = row;
	static const char *const kinds[] = {"late_eta", "fuel_anomaly", "detention",
	                                    "pod_mismatch"};
	static const char *const st[] = {"open", "approved", "rejected", "resolved"};
	wb_entity_clear(WB_ENT_EXCEPTION, x);
	x->meta = (struct wb_meta){xid[i], "tms", xid[i], version, 0, 0};
	x->kind = kinds[rnd(4)];
	x->origin = rnd(2) ? "ai" : "local";
	x->status = st[rnd(4)];
	x->subject_id = lid[rnd(NLOAD)];
	x->detected_at = NOW - rnd(86400 * 10);
	x->resolved_at = rnd(2) ? x->detected_at + rnd(20000) : WB_NULL;
}

static void fill_vehicle(void *row, int i)
{
	struct wb_vehicle *v = row;
	wb_entity_clear(WB_ENT_VEHICLE, v);
	v->meta = (struct wb_meta){vid[i], "telematics", vid[i], version, 0, 0};
	v->unit = vid[i];
	v->last_seen_ms = NOW * 1000;
}

static void fill_wo(void *row, int i)
{
	struct wb_work_order *w = row;
	wb_entity_clear(WB_ENT_WORK_ORDER, w);
	w->meta = (struct wb_meta){wid[i], "erp", wid[i], version, 0, 0};
	w->vehicle_id = vid[i % NVEH];
	w->status = i % 3 ? "closed" : "open";
	w->opened_at = NOW - rnd(86400 * 5);
	w->closed_at = i % 3 ? w->opened_at + rnd(86400) : WB_NULL;
}

static void die(const char *what, const struct wb_err *err)
{
	fprintf(stderr, "bench/kpi: %s: %s\n", what, err->msg);
	exit(1);
}

/* Writes n rows made by fill(row, first + k) in pages of BATCH, one transaction each. */
static void put(struct cache *c, enum wb_entity e, int first, int n, void (*fill)(void *, int))
{
	const struct wb_entity_info *info = wb_entity_info(e);
	char *rows = malloc((size_t)BATCH * info->size);
	struct wb_err err = {0};
	for (int at = 0; at < n; at += BATCH) {
		int m = n - at < BATCH ? n - at : BATCH;
		for (int k = 0; k < m; k++)
			fill(rows + (size_t)k * info->size, first + at + k);
		if (cache_upsert(c, e, rows, (size_t)m, NULL, &err) != 0)
			die("upsert", &err);
	}
	free(rows);
}

static double ms(double t0)
{
	return (bench_now() - t0) * 1e3;
}

/* One sync-like page of `n` rows of entity e, chosen at random, newer version. */
static void page(struct cache *c, enum wb_entity e, int n, int nrows, void (*fill)(void *, int))
{
	const struct wb_entity_info *info = wb_entity_info(e);
	char *rows = malloc((size_t)n * info->size);
	struct wb_err err = {0};
	version++;
	for (int k = 0; k < n; k++)
		fill(rows + (size_t)k * info->size, (int)rnd((uint32_t)nrows));
	if (cache_begin(c, &err) != 0 || cache_upsert(c, e, rows, (size_t)n, NULL, &err) != 0 ||
	    cache_commit(c, &err) != 0)
		die("page", &err);
	free(rows);
}

static double refresh_ms(struct cache *c, size_t *rows, int *full)
{
	struct wb_err err = {0};
	struct kpi_refresh_stats rs;
	struct kpi_figures f;
	double t0 = bench_now();
	struct kpi_state *s = kpi_state_get(c, -1, &err);
	if (!s || kpi_state_refresh(s, &rs, &err) != 0 || kpi_state_figures(s, NOW, &f, &err) != 0)
		die("refresh", &err);
	double t = ms(t0);
	kpi_figures_free(&f);
	*rows = rs.rows;
	*full = rs.full;
	return t;
}

/* n ids "<prefix>-<i, zero-padded to width>". */
static char *ids(int n, const char *prefix, int width)
{
	char *v = malloc((size_t)n * 16);
	for (int i = 0; i < n; i++)
		snprintf(v + (size_t)i * 16, 16, "%s-%0*d", prefix, width, i);
	return v;
}

int main(void)
{
	char dir[] = "/tmp/waybill-bench-kpi.XXXXXX", path[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	struct wb_err err = {0};
	struct cache *c = cache_open(path, NULL, &err);
	if (!c)
		die("open", &err);
	lid = (char(*)[16])ids(NLOAD, "L", 6);
	sid = (char(*)[16])ids(2 * NLOAD, "S", 6);
	pid = (char(*)[16])ids(NLOAD, "P", 6);
	iid = (char(*)[16])ids(NLOAD, "I", 6);
	xid = (char(*)[16])ids(NEXC, "X", 6);
	vid = (char(*)[16])ids(NVEH, "T", 4);
	wid = (char(*)[16])ids(NWO, "WO", 5);
	for (int i = 0; i < 20; i++)
		snprintf(origin[i], sizeof(origin[i]), "Depot %d", i);
	for (int i = 0; i < 200; i++)
		snprintf(dest[i], sizeof(dest[i]), "Store %d", i);

	double t0 = bench_now();
	put(c, WB_ENT_VEHICLE, 0, NVEH, fill_vehicle);
	put(c, WB_ENT_WORK_ORDER, 0, NWO, fill_wo);
	put(c, WB_ENT_LOAD, 0, NLOAD, fill_load);
	put(c, WB_ENT_STOP, 0, 2 * NLOAD, fill_stop);
	put(c, WB_ENT_POD, 0, NLOAD * 6 / 10, fill_pod);
	put(c, WB_ENT_INVOICE, 0, NLOAD * 6 / 10, fill_invoice);
	put(c, WB_ENT_EXCEPTION, 0, NEXC, fill_exception);
	printf("cache: %d loads, %d stops, %d PODs, %d invoices, %d exceptions, %d vehicles, %d "
	       "work orders"
	       " (built in %.1f s)\n",
	       NLOAD, 2 * NLOAD, NLOAD * 6 / 10, NLOAD * 6 / 10, NEXC, NVEH, NWO, bench_now() - t0);

	/* The full recompute (`waybill kpi` on a cold process) and the state's first scan. */
	double full[3], scan[3];
	struct kpi_figures f;
	for (int r = 0; r < 3; r++) {
		t0 = bench_now();
		if (kpi_full(c, NOW, -1, &f, &err) != 0)
			die("kpi_full", &err);
		full[r] = ms(t0);
		kpi_figures_free(&f);
		kpi_state_drop(c);
		size_t rows;
		int isfull;
		scan[r] = refresh_ms(c, &rows, &isfull);
	}
	double full_ms = bench_median(full, 3), scan_ms = bench_median(scan, 3);
	printf("full recompute (kpi_full, every live row): %.1f ms\n", full_ms);
	printf("state's first full scan: %.1f ms (%.2fx the full recompute)\n", scan_ms,
	       scan_ms / full_ms);
	printf("state memory: %.1f MB (records per row, routes); peak RSS of this process %.0f "
	       "MB\n",
	       (double)kpi_state_bytes(kpi_state_get(c, -1, &err)) / 1e6, bench_peak_rss_mb());

	{
		double t[RUNS];
		size_t rows = 0;
		int isfull = 0;
		for (int r = 0; r < RUNS; r++)
			t[r] = refresh_ms(c, &rows, &isfull);
		printf("  nothing changed: figures from the state alone   %6.2f ms\n",
		       bench_median(t, RUNS));
	}
	struct {
		const char *name;
		enum wb_entity e;
		int nrows;
		void (*fill)(void *, int);
	} shapes[] = {
	        {"loads (status, times, money)", WB_ENT_LOAD, NLOAD, fill_load},
	        {"stops (arrivals)", WB_ENT_STOP, 2 * NLOAD, fill_stop},
	        {"PODs", WB_ENT_POD, NLOAD * 6 / 10, fill_pod},
	        {"invoices", WB_ENT_INVOICE, NLOAD * 6 / 10, fill_invoice},
	        {"exceptions", WB_ENT_EXCEPTION, NEXC, fill_exception},
	};
	double worst = 0;
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		double t[RUNS];
		size_t rows = 0;
		int isfull = 0, anyfull = 0;
		for (int r = 0; r < RUNS; r++) {
			page(c, shapes[k].e, BATCH, shapes[k].nrows, shapes[k].fill);
			t[r] = refresh_ms(c, &rows, &isfull);
			anyfull |= isfull;
		}
		double m = bench_median(t, RUNS);
		worst = m > worst ? m : worst;
		printf("  batch of 1,000 %-30s refresh %6.2f ms, %zu rows read%s\n", shapes[k].name,
		       m, rows, anyfull ? " (FELL BACK TO A FULL SCAN)" : "");
	}
	printf("KPI refresh after a 1,000-row sync batch on a 100,000-load cache: %.2f ms (target "
	       "10 ms, ratio %.2f);"
	       " full recompute in the same run: %.1f ms (%.0fx slower)\n",
	       worst, worst / 10.0, full_ms, full_ms / worst);

	/* The whole local-pass step: refresh + 14 samples written. */
	double t[RUNS];
	struct kpi_run_stats st;
	for (int r = 0; r < RUNS; r++) {
		page(c, WB_ENT_LOAD, BATCH, NLOAD, fill_load);
		t0 = bench_now();
		if (kpi_run_sample(c, NOW + r * 300, NULL, &st, &err) != 0)
			die("sample", &err);
		t[r] = ms(t0);
	}
	printf("refresh + 14 samples written (kpi_run_sample): %.2f ms (target 10 ms, ratio "
	       "%.2f)\n",
	       bench_median(t, RUNS), bench_median(t, RUNS) / 10.0);

	/* What the update hook costs the page writer: 1,000-load pages with and
	 * without a state watching the connection, interleaved. */
	double with[RUNS], without[RUNS];
	for (int r = 0; r < RUNS; r++) {
		kpi_state_drop(c);
		t0 = bench_now();
		for (int p = 0; p < 10; p++)
			page(c, WB_ENT_LOAD, BATCH, NLOAD, fill_load);
		without[r] = ms(t0);
		size_t rows;
		int isfull;
		refresh_ms(c, &rows, &isfull); /* the scan, then the hook records every row */
		t0 = bench_now();
		for (int p = 0; p < 10; p++)
			page(c, WB_ENT_LOAD, BATCH, NLOAD, fill_load);
		with[r] = ms(t0);
	}
	double a = bench_median(without, RUNS), b = bench_median(with, RUNS);
	printf("page writer, 10 pages of 1,000 loads: %.1f ms without the KPI hook, %.1f ms with it"
	       " (%+.1f%%, target within a few %%)\n",
	       a, b, (b - a) / a * 100.0);

	cache_close(c);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(lid), free(sid), free(pid), free(iid), free(xid), free(vid), free(wid);
	return 0;
}
