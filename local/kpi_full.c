/* The KPIs by full recompute: every live row of the entities the KPIs read,
 * streamed once into arrays, and the core/kpi*.c functions over them. This is
 * what `waybill kpi` does on a cold process and the reference the incremental
 * state (local/kpi_state.c) is tested against. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_internal.h"
#include "local/detect_run.h"

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
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " FROM %s WHERE deleted=0",
		                        info->table);
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
				*(int64_t *)f = sqlite3_column_type(st, ci) == SQLITE_NULL
				                        ? WB_NULL
				                        : sqlite3_column_int64(st, ci);
				break;
			case WB_REAL:
				*(double *)f = sqlite3_column_type(st, ci) == SQLITE_NULL
				                       ? NAN
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

enum { R_LOAD, R_STOP, R_VEH, R_WO, R_POD, R_INV, R_EXC, R__N };

int kpi_full(struct cache *c, int64_t now, struct kpi_figures *f, struct wb_err *err)
{
	static const enum wb_entity ents[R__N] = {WB_ENT_LOAD,       WB_ENT_STOP, WB_ENT_VEHICLE,
	                                          WB_ENT_WORK_ORDER, WB_ENT_POD,  WB_ENT_INVOICE,
	                                          WB_ENT_EXCEPTION};
	struct rows r[R__N] = {{0}};
	struct core_route_profit *routes = NULL;
	size_t nroutes = 0;
	int rc = 0;
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < R__N && rc == 0; i++)
		rc = read_all(c, ents[i], &r[i], err);
	if (rc != 0)
		goto out;
	if (now <= 0)
		now = detect_run_now(c);
	struct core_kpis k;
	core_kpis_init(&k, kpi_detention_free_s());
	const struct wb_load *loads = r[R_LOAD].rows;
	const struct wb_stop *stops = r[R_STOP].rows;
	const struct wb_exception *exc = r[R_EXC].rows;
	for (size_t i = 0; i < r[R_LOAD].n; i++)
		core_kpis_add_load(&k, &loads[i], +1);
	for (size_t i = 0; i < r[R_STOP].n; i++)
		core_kpis_add_stop(&k, &stops[i], +1);
	for (size_t i = 0; i < r[R_EXC].n; i++)
		core_kpis_add_exception(&k, &exc[i], "ai", +1);
	kpi_figures_from_sums(&k, now, f);

	struct core_kpi_duration pod = {0}, inv = {0};
	if (core_kpi_pod_completion(loads, r[R_LOAD].n, r[R_POD].rows, r[R_POD].n, &pod) != 0 ||
	    core_kpi_invoice_cycle(loads, r[R_LOAD].n, r[R_INV].rows, r[R_INV].n, &inv) != 0 ||
	    core_kpi_resolution(exc, r[R_EXC].n, &f->resolution) != 0 ||
	    core_kpi_routes(loads, r[R_LOAD].n, &routes, &nroutes) != 0 ||
	    kpi_figures_set_routes(f, routes, nroutes) != 0) {
		rc = wb_fail(err, WB_ENOMEM, "out of memory computing the KPIs");
		goto out;
	}
	f->pod_completion_s = pod.n ? pod.mean_s : NAN;
	f->invoice_cycle_s = inv.n ? inv.mean_s : NAN;
	size_t nveh = r[R_VEH].n;
	double util =
	        nveh ? core_kpi_utilization(loads, r[R_LOAD].n, nveh, now - KPI_WINDOW_S, now, now)
	             : NAN;
	f->asset_utilization_pct = util * 100.0;
	f->maintenance_downtime_pct = nveh ? core_kpi_downtime_pct(r[R_WO].rows, r[R_WO].n, nveh,
	                                                           now - KPI_WINDOW_S, now, now)
	                                   : NAN;
	f->dso_days = core_kpi_dso(r[R_INV].rows, r[R_INV].n, now, KPI_DSO_DAYS);
out:
	free(routes);
	for (int i = 0; i < R__N; i++)
		rows_free(&r[i]);
	if (rc != 0)
		kpi_figures_free(f);
	return rc;
}
