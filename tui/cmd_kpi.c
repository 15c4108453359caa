/* `waybill kpi [--json]`: the KPIs of DESIGN.md §5 over the cache, computed by
 * core/kpi*.c. --json prints one object whose snake_case keys carry their unit;
 * a KPI with nothing to measure is null. Without --json, a readable table.
 * "now" is the newest server time the data implies (detect_run_now), so a
 * cache synced from a source whose clock differs from ours reads sensibly. */
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/cache.h"
#include "waybill/cmd.h"
#include "waybill/core_detect.h"
#include "waybill/core_kpi.h"
#include "waybill/detect_run.h"
#include "waybill/tui.h"

#define KPI_WINDOW_S 86400 /* utilization and downtime: the last 24 h */
#define DSO_DAYS 30
#define ROUTES_MAX 50

/* The live rows of one entity, every column, text copied into one pool. */
struct rows {
	void *rows;
	size_t n, cap, size;
	char **texts;
	size_t ntexts, captexts;
};

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->ntexts; i++)
		free(r->texts[i]);
	free(r->texts);
	free(r->rows);
}

static const char *keep_text(struct rows *r, sqlite3_stmt *st, int i, int *oom)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	if (r->ntexts == r->captexts) {
		size_t cap = r->captexts ? r->captexts * 2 : 256;
		char **t = realloc(r->texts, cap * sizeof(*t));
		if (!t) {
			*oom = 1;
			return NULL;
		}
		r->texts = t;
		r->captexts = cap;
	}
	char *s = strdup((const char *)sqlite3_column_text(st, i));
	if (!s) {
		*oom = 1;
		return NULL;
	}
	r->texts[r->ntexts++] = s;
	return s;
}

/* Streams the table (one statement, rows read one at a time). */
static int read_all(struct cache *c, enum wb_entity e, struct rows *r, struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	char sql[2048];
	size_t len = (size_t)snprintf(sql, sizeof(sql), "SELECT id");
	for (size_t i = 0; i < info->ncols && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s", info->cols[i].name);
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " FROM %s WHERE deleted=0", info->table);
	if (len >= sizeof(sql))
		return wb_fail(err, WB_EINVALID, "KPI query for %s too long", info->table);
	memset(r, 0, sizeof(*r));
	r->size = info->size;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(cache_db(c), sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "preparing a KPI read");
	int s, oom = 0;
	while (!oom && (s = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 256;
			void *p = realloc(r->rows, cap * r->size);
			if (!p) {
				oom = 1;
				break;
			}
			r->rows = p;
			r->cap = cap;
		}
		char *row = (char *)r->rows + r->n * r->size;
		wb_entity_clear(e, row);
		((struct wb_meta *)row)->id = keep_text(r, st, 0, &oom);
		for (size_t i = 0; i < info->ncols; i++) {
			int ci = (int)i + 1;
			void *f = row + info->cols[i].offset;
			switch (info->cols[i].type) {
			case WB_TEXT: *(const char **)f = keep_text(r, st, ci, &oom); break;
			case WB_INT:
				*(int64_t *)f = sqlite3_column_type(st, ci) == SQLITE_NULL ? WB_NULL
											 : sqlite3_column_int64(st, ci);
				break;
			case WB_REAL:
				*(double *)f = sqlite3_column_type(st, ci) == SQLITE_NULL ? NAN
											 : sqlite3_column_double(st, ci);
				break;
			}
		}
		r->n++;
	}
	sqlite3_finalize(st);
	if (oom)
		return wb_fail(err, WB_ENOMEM, "out of memory reading %s", info->table);
	if (s != SQLITE_DONE)
		return cache_fail(c, s, err, "reading for the KPIs");
	return 0;
}

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *duration(const struct core_kpi_duration *d, int want_median)
{
	if (!d->n)
		return json_null();
	return json_real(want_median ? d->median_s : d->mean_s);
}

enum { R_LOAD, R_STOP, R_VEH, R_WO, R_POD, R_INV, R_EXC, R__N };

static json_t *compute(struct cache *c, struct wb_err *err)
{
	static const enum wb_entity ents[R__N] = {WB_ENT_LOAD, WB_ENT_STOP, WB_ENT_VEHICLE, WB_ENT_WORK_ORDER,
						  WB_ENT_POD, WB_ENT_INVOICE, WB_ENT_EXCEPTION};
	struct rows r[R__N] = {{0}};
	json_t *o = NULL;
	for (int i = 0; i < R__N; i++)
		if (read_all(c, ents[i], &r[i], err) != 0)
			goto out;
	int64_t now = detect_run_now(c);
	struct core_detect_cfg dcfg;
	core_detect_cfg_default(&dcfg);
	struct core_kpis k;
	core_kpis_init(&k, dcfg.detention_free_s);
	const struct wb_load *loads = r[R_LOAD].rows;
	const struct wb_stop *stops = r[R_STOP].rows;
	const struct wb_exception *exc = r[R_EXC].rows;
	for (size_t i = 0; i < r[R_LOAD].n; i++)
		core_kpis_add_load(&k, &loads[i], +1);
	for (size_t i = 0; i < r[R_STOP].n; i++)
		core_kpis_add_stop(&k, &stops[i], +1);
	for (size_t i = 0; i < r[R_EXC].n; i++)
		core_kpis_add_exception(&k, &exc[i], "ai", +1);

	struct core_kpi_duration pod = {0}, inv = {0}, res = {0};
	struct core_route_profit *routes = NULL;
	size_t nroutes = 0;
	if (core_kpi_pod_completion(loads, r[R_LOAD].n, r[R_POD].rows, r[R_POD].n, &pod) != 0 ||
	    core_kpi_invoice_cycle(loads, r[R_LOAD].n, r[R_INV].rows, r[R_INV].n, &inv) != 0 ||
	    core_kpi_resolution(exc, r[R_EXC].n, &res) != 0 ||
	    core_kpi_routes(loads, r[R_LOAD].n, &routes, &nroutes) != 0) {
		wb_fail(err, WB_ENOMEM, "out of memory computing the KPIs");
		free(routes);
		goto out;
	}
	size_t nveh = r[R_VEH].n;
	double util = nveh ? core_kpi_utilization(loads, r[R_LOAD].n, nveh, now - KPI_WINDOW_S, now, now) : NAN;
	double down = nveh ? core_kpi_downtime_pct(r[R_WO].rows, r[R_WO].n, nveh, now - KPI_WINDOW_S, now, now)
			   : NAN;

	json_t *resj = json_object();
	json_object_set_new(resj, "n", json_integer((json_int_t)res.n));
	json_object_set_new(resj, "median", res.n ? json_real(res.median_s) : json_null());
	json_object_set_new(resj, "p90", res.n ? json_real(res.p90_s) : json_null());

	json_t *rp = json_object();
	json_object_set_new(rp, "margin_per_load", num(core_kpi_margin_per_load(&k)));
	json_t *ra = json_array();
	for (size_t i = 0; i < nroutes && i < ROUTES_MAX; i++)
		json_array_append_new(ra, json_pack("{s:s?, s:s?, s:I, s:o, s:o, s:o}", "origin", routes[i].origin,
						    "destination", routes[i].destination, "loads",
						    (json_int_t)routes[i].loads, "revenue", num(routes[i].revenue),
						    "cost", num(routes[i].cost), "margin", num(routes[i].margin)));
	json_object_set_new(rp, "routes", ra);
	free(routes);

	json_t *prec = json_object();
	for (int kind = 0; kind < CORE_KIND__COUNT; kind++)
		json_object_set_new(prec, core_kind_name((enum core_kind)kind),
				    num(core_kpi_precision(&k, (enum core_kind)kind)));

	o = json_object();
	json_object_set_new(o, "now", json_integer((json_int_t)now));
	json_object_set_new(o, "on_time_pct", num(core_kpi_on_time_pct(&k)));
	json_object_set_new(o, "dispatch_cycle_s", num(core_kpi_dispatch_cycle_s(&k)));
	json_object_set_new(o, "asset_utilization_pct", num(util * 100.0));
	json_object_set_new(o, "maintenance_downtime_pct", num(down));
	json_object_set_new(o, "pod_completion_s", duration(&pod, 0));
	json_object_set_new(o, "invoice_cycle_s", duration(&inv, 0));
	json_object_set_new(o, "dso_days", num(core_kpi_dso(r[R_INV].rows, r[R_INV].n, now, DSO_DAYS)));
	json_object_set_new(o, "exception_resolution_s", resj);
	json_object_set_new(o, "empty_miles_pct", num(core_kpi_empty_miles_pct(&k)));
	json_object_set_new(o, "dwell_s", num(core_kpi_dwell_s(&k)));
	json_object_set_new(o, "detention_s", k.detention_n ? json_real(k.detention_sum_s / (double)k.detention_n)
							    : json_null());
	json_object_set_new(o, "route_profit", rp);
	json_object_set_new(o, "ai_precision", prec);
out:
	for (int i = 0; i < R__N; i++)
		rows_free(&r[i]);
	return o;
}

static void row(const char *name, json_t *v, const char *unit)
{
	if (json_is_number(v))
		printf("  %-28s %14.2f %s\n", name, json_number_value(v), unit);
	else
		printf("  %-28s %14s\n", name, "-");
}

int cmd_kpi(const struct cmd_opts *o)
{
	char path[PATH_MAX];
	struct wb_err err = {0};
	if (tui_cache_path(o->cache_path, false, path, sizeof(path), &err) != 0) {
		fprintf(stderr, "waybill: %s\n", err.msg);
		return 1;
	}
	struct cache_opts co = {.readonly = true};
	struct cache *c = cache_open(path, &co, &err);
	if (!c) {
		fprintf(stderr, "waybill: %s\n", err.msg);
		return 1;
	}
	json_t *k = compute(c, &err);
	cache_close(c);
	if (!k) {
		fprintf(stderr, "waybill: %s\n", err.msg);
		return 1;
	}
	if (o->json) {
		char *s = json_dumps(k, JSON_COMPACT | JSON_REAL_PRECISION(6));
		if (s)
			puts(s);
		free(s);
		json_decref(k);
		return s ? 0 : 1;
	}
	printf("KPIs (at %" PRId64 ")\n", (int64_t)json_integer_value(json_object_get(k, "now")));
	row("on-time delivery", json_object_get(k, "on_time_pct"), "%");
	row("dispatch cycle", json_object_get(k, "dispatch_cycle_s"), "s");
	row("asset utilization (24 h)", json_object_get(k, "asset_utilization_pct"), "%");
	row("maintenance downtime (24 h)", json_object_get(k, "maintenance_downtime_pct"), "%");
	row("POD completion", json_object_get(k, "pod_completion_s"), "s");
	row("invoice cycle", json_object_get(k, "invoice_cycle_s"), "s");
	row("DSO", json_object_get(k, "dso_days"), "days");
	json_t *res = json_object_get(k, "exception_resolution_s");
	row("exception resolution median", json_object_get(res, "median"), "s");
	row("exception resolution p90", json_object_get(res, "p90"), "s");
	row("empty miles", json_object_get(k, "empty_miles_pct"), "%");
	row("dwell per stop", json_object_get(k, "dwell_s"), "s");
	row("detention per detained stop", json_object_get(k, "detention_s"), "s");
	row("margin per load", json_object_get(json_object_get(k, "route_profit"), "margin_per_load"), "");
	printf("  AI precision (approved / decided)\n");
	const char *kind;
	json_t *v;
	json_object_foreach(json_object_get(k, "ai_precision"), kind, v)
		row(kind, v, "");
	json_decref(k);
	return 0;
}
