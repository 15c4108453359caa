/* Benchmark of the workflow pass (local/workflow_run.h) on a 10,000-vehicle
 * cache: builds the cache through the cache API (vehicles with faults,
 * inspections, work orders and a planned run with a driver; delivered loads
 * with POD, charges and a draft invoice), then in the same run times
 *   - the baseline: a plain `SELECT count(*)` scan of each table the plan reads,
 *   - the first pass (every verdict new, proposals, holds, invoice decisions),
 *   - the steady plan (nothing changed since the last pass: nothing to write),
 *   - a re-judged cache (the stored verdicts gone: 10,000 verdicts to write),
 * each plan beside the scan as a ratio. Median of RUNS; never fails on time.
 * Usage: workflow [vehicles] */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cache/cache.h"
#include "local/workflow_run.h"

#define BATCH 1000
#define RUNS 7
#define NOW INT64_C(1718020800)

static int nveh = 10000;
static int ndrv, nload, ndel;
static char (*vid)[16], (*did)[16], (*lid)[16], (*fid)[16], (*iid)[16], (*wid)[16];
static char (*pid)[16], (*cid)[16], (*nid)[16];
static int64_t version = 1;

static void die(const char *what, const struct wb_err *err)
{
	fprintf(stderr, "bench/workflow: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void meta(struct wb_meta *m, const char *id, const char *source)
{
	*m = (struct wb_meta){id, source, id, version, 0, 0};
}

/* Vehicle i; held marks the ones a proposal's hold came back on from the source. */
static int held_back;
static void fill_vehicle(void *row, int i)
{
	struct wb_vehicle *v = row;
	wb_entity_clear(WB_ENT_VEHICLE, v);
	meta(&v->meta, vid[i], "telematics");
	v->unit = vid[i];
	v->kind = "tractor";
	v->status = i % 4 ? "available" : "assigned";
	v->odometer_m = 1e8 + 1000.0 * i;
	v->pm_due_odometer_m = i % 9 ? 2e8 : 1e8; /* every 9th is past its PM */
	v->last_seen_ms = NOW * 1000;
	v->on_hold = held_back && i % 20 == 0 ? 1 : 0;
	v->hold_reason = v->on_hold ? "automatic" : NULL;
}

static void fill_driver(void *row, int i)
{
	struct wb_driver *d = row;
	wb_entity_clear(WB_ENT_DRIVER, d);
	meta(&d->meta, did[i], "tms");
	d->name = did[i];
	d->status = "on_duty";
	d->drive_left_s = i % 11 ? 8 * 3600 : 1800; /* every 11th is short of hours */
	d->duty_left_s = 12 * 3600;
	d->cycle_left_s = 50 * 3600;
}

/* Two faults a vehicle: a minor one, and every 20th a critical one (proposed),
 * every 7th a major one whose corrective work order closed (repaired). */
static void fill_fault(void *row, int i)
{
	struct wb_fault *f = row;
	int v = i / 2, serious = i % 2;
	wb_entity_clear(WB_ENT_FAULT, f);
	meta(&f->meta, fid[i], "telematics");
	f->vehicle_id = vid[v];
	f->protocol = "j1939";
	f->code = serious ? "SPN-100" : "SPN-7";
	f->severity = !serious ? "minor" : v % 20 == 0 ? "critical" : v % 7 == 0 ? "major" : "info";
	f->description = serious ? "engine oil pressure low" : "washer fluid low";
	f->first_seen = NOW - 86400 - v;
	f->last_seen = NOW - 3600;
	f->active = 1;
}

static void fill_inspection(void *row, int i)
{
	struct wb_inspection *x = row;
	wb_entity_clear(WB_ENT_INSPECTION, x);
	meta(&x->meta, iid[i], "tms");
	x->vehicle_id = vid[i / 2];
	x->kind = "pre_trip";
	x->safe = (i / 2) % 50 == 0 && i % 2 ? 0 : 1;
	x->defects = x->safe ? NULL : "brake lining worn";
	x->at = NOW - 86400 * (i % 2 ? 1 : 3);
}

/* A work order a vehicle: every 7th closes its major fault, every 3rd else an
 * open preventive one, the rest closed preventive ones. */
static void fill_wo(void *row, int i)
{
	struct wb_work_order *w = row;
	wb_entity_clear(WB_ENT_WORK_ORDER, w);
	meta(&w->meta, wid[i], "telematics");
	w->vehicle_id = vid[i];
	int repair = i % 7 == 0 && i % 20 != 0;
	w->fault_id = repair ? fid[2 * i + 1] : NULL;
	w->category = repair ? "corrective" : "preventive";
	w->status = repair || i % 3 ? "closed" : "open";
	w->opened_at = NOW - 86400 * 2;
	w->closed_at = !strcmp(w->status, "closed") ? NOW - 1800 : WB_NULL;
	w->est_cost = 400;
}

/* Loads 0..nveh-1: each vehicle's next planned run; the rest delivered. */
static void fill_load(void *row, int i)
{
	struct wb_load *l = row;
	wb_entity_clear(WB_ENT_LOAD, l);
	meta(&l->meta, lid[i], "tms");
	int planned = i < nveh;
	l->status = planned ? "planned" : "delivered";
	l->vehicle_id = vid[i % nveh];
	l->driver_id = did[i % ndrv];
	l->planned_departure = planned ? NOW + 3600 + i : NOW - 86400;
	l->planned_drive_s = 4 * 3600;
	l->delivered_at = planned ? WB_NULL : NOW - 7200;
	l->revenue = 1500;
	l->origin = "Depot 1";
	l->destination = "Store 9";
}

static void fill_pod(void *row, int i)
{
	struct wb_pod *p = row;
	wb_entity_clear(WB_ENT_POD, p);
	meta(&p->meta, pid[i], "tms");
	p->load_id = lid[nveh + i];
	p->signed_by = "R. Dock";
	p->signed_at = NOW - 7000;
	p->exception_codes = i % 13 == 0 ? "SHORT" : "";
}

static void fill_charge(void *row, int i)
{
	struct wb_charge *ch = row;
	wb_entity_clear(WB_ENT_CHARGE, ch);
	meta(&ch->meta, cid[i], "erp");
	ch->load_id = lid[nveh + i];
	ch->code = "linehaul";
	ch->rated_amount = 1200;
	ch->amount = i % 10 == 0 ? 1900 : 1200; /* every 10th is off its rate */
	ch->origin = "rate";
}

static void fill_invoice(void *row, int i)
{
	struct wb_invoice *v = row;
	wb_entity_clear(WB_ENT_INVOICE, v);
	meta(&v->meta, nid[i], "erp");
	v->number = nid[i];
	v->load_id = lid[nveh + i];
	v->amount = 1200;
	v->currency = "EUR";
	v->status = "draft";
	v->issued_at = NOW - 3600;
}

/* Writes n rows made by fill(row, k) in pages of BATCH, one transaction each. */
static void put(struct cache *c, enum wb_entity e, int n, void (*fill)(void *, int))
{
	const struct wb_entity_info *info = wb_entity_info(e);
	char *rows = malloc((size_t)BATCH * info->size);
	struct wb_err err = {0};
	if (!rows)
		die("out of memory", NULL);
	for (int at = 0; at < n; at += BATCH) {
		int m = n - at < BATCH ? n - at : BATCH;
		for (int k = 0; k < m; k++)
			fill(rows + (size_t)k * info->size, at + k);
		if (cache_upsert(c, e, rows, (size_t)m, NULL, &err) != 0)
			die("upsert", &err);
	}
	free(rows);
}

static char (*ids(int n, const char *prefix))[16]
{
	char(*v)[16] = malloc((size_t)n * 16);
	if (!v)
		die("out of memory", NULL);
	for (int i = 0; i < n; i++)
		snprintf(v[i], 16, "%s-%05d", prefix, i);
	return v;
}

static double ms(double t0)
{
	return (bench_now() - t0) * 1e3;
}

/* The baseline: a count over every table the plan reads, on one read
 * transaction as the plan's, that looks at each row (a bare count(*) only
 * counts the b-tree's cells). */
static const char *const scanned[] = {
        "vehicle WHERE deleted=0",           "fault WHERE deleted=0",  "inspection WHERE deleted=0",
        "work_order WHERE deleted=0",        "load WHERE deleted=0",   "driver WHERE deleted=0",
        "readiness WHERE state IS NOT NULL", "invoice WHERE deleted=0"};

static double scan_ms(sqlite3 *db, int64_t *rows)
{
	double t0 = bench_now();
	*rows = 0;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		die("begin the scan", NULL);
	for (size_t i = 0; i < sizeof(scanned) / sizeof(scanned[0]); i++) {
		char q[96];
		sqlite3_stmt *st;
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s", scanned[i]);
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW)
			die(sqlite3_errmsg(db), NULL);
		*rows += sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return ms(t0);
}

/* One pass: the plan and its apply timed apart. */
static void pass(struct cache *c, const struct workflow_opts *o, double *plan_ms, double *apply_ms,
                 size_t *kept, struct workflow_run_stats *st)
{
	struct wb_err err = {0};
	struct workflow_plan *p = NULL;
	struct workflow_run_stats judged, wrote;
	double t0 = bench_now();
	if (workflow_plan(c, NULL, o, NOW, &p, &judged, &err) != 0)
		die("workflow_plan", &err);
	*plan_ms = ms(t0);
	*kept = workflow_plan_size(p);
	t0 = bench_now();
	if (workflow_apply(c, p, &wrote, &err) != 0)
		die("workflow_apply", &err);
	*apply_ms = ms(t0);
	workflow_plan_free(p);
	workflow_run_stats_merge(st, &judged, &wrote);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nveh = atoi(argv[1]) > 0 ? atoi(argv[1]) : nveh;
	ndrv = nveh / 5 ? nveh / 5 : 1;
	ndel = nveh / 2;
	nload = nveh + ndel;
	char dir[] = "/tmp/waybill-bench-workflow.XXXXXX", path[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	struct wb_err err = {0};
	struct cache *c = cache_open(path, NULL, &err);
	if (!c)
		die("open", &err);
	vid = ids(nveh, "T");
	did = ids(ndrv, "D");
	lid = ids(nload, "L");
	fid = ids(2 * nveh, "F");
	iid = ids(2 * nveh, "I");
	wid = ids(nveh, "WO");
	pid = ids(ndel, "P");
	cid = ids(ndel, "C");
	nid = ids(ndel, "N");

	double t0 = bench_now();
	put(c, WB_ENT_VEHICLE, nveh, fill_vehicle);
	put(c, WB_ENT_DRIVER, ndrv, fill_driver);
	put(c, WB_ENT_FAULT, 2 * nveh, fill_fault);
	put(c, WB_ENT_INSPECTION, 2 * nveh, fill_inspection);
	put(c, WB_ENT_WORK_ORDER, nveh, fill_wo);
	put(c, WB_ENT_LOAD, nload, fill_load);
	put(c, WB_ENT_POD, ndel, fill_pod);
	put(c, WB_ENT_CHARGE, ndel, fill_charge);
	put(c, WB_ENT_INVOICE, ndel, fill_invoice);
	printf("cache: %d vehicles (2 faults, 2 inspections, 1 work order, 1 planned run each),"
	       " %d drivers, %d delivered loads with POD, charge and draft invoice (built in %.1f "
	       "s)\n",
	       nveh, ndrv, ndel, bench_now() - t0);

	sqlite3 *db = NULL; /* the baseline's own connection: plain SQL, no cache API */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("open the baseline's connection", NULL);
	int64_t rows = 0;
	/* Scans run between the passes below too, so both see the same machine. */
	double scan[3 * RUNS], tmp[3 * RUNS];
	size_t nscan = 0;
	for (int r = 0; r < RUNS; r++)
		scan[nscan++] = scan_ms(db, &rows);
	memcpy(tmp, scan, nscan * sizeof(*scan));
	double base = bench_median(tmp, nscan);
	printf("baseline: SELECT count(*) ... WHERE over the %zu tables the plan reads (%" PRId64
	       " rows): %.2f ms\n",
	       sizeof(scanned) / sizeof(scanned[0]), rows, base);

	/* The first pass: every verdict new, the proposals, holds and invoices. */
	struct workflow_run_stats st;
	double plan1, apply1;
	size_t kept;
	pass(c, NULL, &plan1, &apply1, &kept, &st);
	char sum[512];
	workflow_run_summary(&st, sum, sizeof(sum));
	printf("first pass: plan %.1f ms (%.1fx the scan), apply %.1f ms, %zu decisions\n  %s\n",
	       plan1, plan1 / base, apply1, kept, sum);

	/* The holds the pass placed come back from the source: the steady pass
	 * then finds each one's work order (the per-vehicle look-up). */
	held_back = 1;
	version++;
	put(c, WB_ENT_VEHICLE, nveh, fill_vehicle);
	pass(c, NULL, &plan1, &apply1, &kept, &st); /* the verdicts of the held vehicles */

	double plan[RUNS], apply[RUNS], vapply[RUNS];
	for (int r = 0; r < RUNS; r++) {
		scan[nscan++] = scan_ms(db, &rows);
		pass(c, NULL, &plan[r], &apply[r], &kept, &st);
	}
	memcpy(tmp, scan, nscan * sizeof(*scan));
	base = bench_median(tmp, nscan);
	double steady = bench_median(plan, RUNS);
	/* The readiness merge and maintenance rule alone, without the invoices. */
	const struct workflow_opts vehicles_only = {.maintenance = true};
	double vplan[RUNS];
	for (int r = 0; r < RUNS; r++)
		pass(c, &vehicles_only, &vplan[r], &vapply[r], &kept, &st);
	printf("steady plan (nothing changed, %zu decisions): %.1f ms (%.1fx the scan), apply "
	       "%.2f ms\n",
	       kept, steady, steady / base, bench_median(apply, RUNS));
	printf("  of which the vehicles (readiness merge, maintenance rule): %.1f ms (%.1fx the "
	       "scan)\n",
	       bench_median(vplan, RUNS), bench_median(vplan, RUNS) / base);

	/* Every stored verdict gone: the plan keeps 10,000, apply writes them. */
	for (int r = 0; r < RUNS; r++) {
		if (sqlite3_exec(db, "DELETE FROM readiness", NULL, NULL, NULL) != SQLITE_OK)
			die(sqlite3_errmsg(db), NULL);
		pass(c, NULL, &plan[r], &apply[r], &kept, &st);
		scan[nscan++] = scan_ms(db, &rows);
	}
	base = bench_median(scan, nscan);
	double rejudge = bench_median(plan, RUNS);
	printf("re-judged (no stored verdict, %zu written): plan %.1f ms (%.1fx the scan), apply "
	       "%.1f ms\n",
	       st.readiness_written, rejudge, rejudge / base, bench_median(apply, RUNS));
	printf("workflow plan on a %d-vehicle cache: %.1f ms steady, %.1f ms with every verdict "
	       "new; baseline scan %.2f ms (median of all, ratio %.1f / %.1f); peak RSS %.0f MB\n",
	       nveh, steady, rejudge, base, steady / base, rejudge / base, bench_peak_rss_mb());

	sqlite3_close(db);
	cache_close(c);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(vid), free(did), free(lid), free(fid), free(iid), free(wid), free(pid), free(cid),
	        free(nid);
	return 0;
}
