/* The figures both KPI paths produce, as JSON for `waybill kpi --json` and as
 * samples for the KPI board; and the local pass that refreshes the connection's
 * incremental state and writes one sample per KPI per 5 minutes of data time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpi_internal.h"
#include "core/core_detect.h"
#include "local/detect_run.h"

const char *const kpi_sample_name[KPI__COUNT] = {
#define KPI_SAMPLE_NAME(n, ...) #n,
        KPI_SAMPLES(KPI_SAMPLE_NAME)
#undef KPI_SAMPLE_NAME
};
const struct kpi_info kpi_info[KPI__COUNT] = {
#define KPI_INFO_ROW(n, l, u, b) {#n, l, u, b},
        KPI_SAMPLES(KPI_INFO_ROW)
#undef KPI_INFO_ROW
};

/* The free time at a stop the detention KPI counts from: the detectors'
 * threshold (free_s < 0: the default), the same one the detectors judge by. */
int64_t kpi_free_s(int64_t free_s)
{
	if (free_s >= 0)
		return free_s;
	struct core_detect_cfg d;
	core_detect_cfg_default(&d);
	return d.detention_free_s;
}

static double ratio(double num, double den, double scale)
{
	return den > 0 ? scale * num / den : NAN;
}

void kpi_figures_from_sums(const struct core_kpis *k, int64_t now, struct kpi_figures *f)
{
	memset(f, 0, sizeof(*f));
	f->now = now;
	f->asset_utilization_pct = f->maintenance_downtime_pct = f->pod_completion_s = NAN;
	f->invoice_cycle_s = f->dso_days = NAN;
	f->resolution.mean_s = f->resolution.median_s = f->resolution.p90_s = NAN;
	f->on_time_pct = core_kpi_on_time_pct(k);
	f->dispatch_cycle_s = core_kpi_dispatch_cycle_s(k);
	f->empty_miles_pct = core_kpi_empty_miles_pct(k);
	f->dwell_s = core_kpi_dwell_s(k);
	f->detention_s = ratio(k->detention_sum_s, (double)k->detention_n, 1);
	f->margin_per_load = core_kpi_margin_per_load(k);
	int64_t approved = 0, decided = 0;
	for (int kind = 0; kind < CORE_KIND__COUNT; kind++) {
		f->precision[kind] = core_kpi_precision(k, (enum core_kind)kind);
		approved += k->approved[kind];
		decided += k->approved[kind] + k->rejected[kind];
	}
	f->ai_precision = ratio((double)approved, (double)decided, 1);
}

static int cmp_route(const void *a, const void *b)
{
	const struct core_route_profit *x = a, *y = b;
	if (x->margin != y->margin)
		return x->margin < y->margin ? -1 : 1;
	int c = strcmp(x->origin, y->origin);
	return c ? c : strcmp(x->destination, y->destination);
}

/* Sifts heap[i] down a max-heap (by cmp_route) of n routes. */
static void sift_down(struct core_route_profit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && cmp_route(&h[l], &h[m]) > 0)
			m = l;
		if (r < n && cmp_route(&h[r], &h[m]) > 0)
			m = r;
		if (m == i)
			return;
		struct core_route_profit t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

int kpi_figures_set_routes(struct kpi_figures *f, const struct core_route_profit *r, size_t n)
{
	/* The KPI_ROUTES_MAX lowest by a max-heap over them: O(n log 50), not a
	 * sort of every route, since a refresh does this each time. */
	size_t keep = 0;
	struct core_route_profit h[KPI_ROUTES_MAX];
	for (size_t i = 0; i < n; i++) {
		if (keep < KPI_ROUTES_MAX) {
			h[keep++] = r[i];
			if (keep == KPI_ROUTES_MAX)
				for (size_t j = keep / 2; j-- > 0;)
					sift_down(h, keep, j);
		} else if (cmp_route(&r[i], &h[0]) < 0) {
			h[0] = r[i];
			sift_down(h, keep, 0);
		}
	}
	qsort(h, keep, sizeof(*h), cmp_route);
	f->routes = calloc(keep ? keep : 1, sizeof(*f->routes));
	if (!f->routes)
		return WB_ENOMEM;
	for (size_t i = 0; i < keep; i++) {
		struct kpi_route *o = &f->routes[i];
		o->origin = strdup(h[i].origin);
		o->destination = strdup(h[i].destination);
		f->nroutes = i + 1;
		if (!o->origin || !o->destination)
			return WB_ENOMEM;
		o->loads = h[i].loads;
		o->revenue = h[i].revenue;
		o->cost = h[i].cost;
		o->margin = h[i].margin;
	}
	return 0;
}

void kpi_figures_free(struct kpi_figures *f)
{
	for (size_t i = 0; i < f->nroutes; i++) {
		free(f->routes[i].origin);
		free(f->routes[i].destination);
	}
	free(f->routes);
	f->routes = NULL;
	f->nroutes = 0;
}

double kpi_figures_sample(const struct kpi_figures *f, enum kpi_sample_id id)
{
	switch (id) {
	case KPI_on_time_pct: return f->on_time_pct;
	case KPI_dispatch_cycle_s: return f->dispatch_cycle_s;
	case KPI_asset_utilization_pct: return f->asset_utilization_pct;
	case KPI_maintenance_downtime_pct: return f->maintenance_downtime_pct;
	case KPI_pod_completion_s: return f->pod_completion_s;
	case KPI_invoice_cycle_s: return f->invoice_cycle_s;
	case KPI_dso_days: return f->dso_days;
	case KPI_exception_resolution_median_s:
		return f->resolution.n ? f->resolution.median_s : NAN;
	case KPI_exception_resolution_p90_s: return f->resolution.n ? f->resolution.p90_s : NAN;
	case KPI_empty_miles_pct: return f->empty_miles_pct;
	case KPI_dwell_s: return f->dwell_s;
	case KPI_detention_s: return f->detention_s;
	case KPI_margin_per_load: return f->margin_per_load;
	case KPI_ai_precision_pct: return f->ai_precision * 100.0;
	case KPI__COUNT: break;
	}
	return NAN;
}

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

json_t *kpi_figures_json(const struct kpi_figures *f)
{
	json_t *res = json_object();
	json_object_set_new(res, "n", json_integer((json_int_t)f->resolution.n));
	json_object_set_new(res, "median",
	                    f->resolution.n ? num(f->resolution.median_s) : json_null());
	json_object_set_new(res, "p90", f->resolution.n ? num(f->resolution.p90_s) : json_null());

	json_t *rp = json_object();
	json_object_set_new(rp, "margin_per_load", num(f->margin_per_load));
	json_t *ra = json_array();
	for (size_t i = 0; i < f->nroutes; i++) {
		const struct kpi_route *r = &f->routes[i];
		json_array_append_new(ra,
		                      json_pack("{s:s?, s:s?, s:I, s:o, s:o, s:o}", "origin",
		                                r->origin, "destination", r->destination, "loads",
		                                (json_int_t)r->loads, "revenue", num(r->revenue),
		                                "cost", num(r->cost), "margin", num(r->margin)));
	}
	json_object_set_new(rp, "routes", ra);

	json_t *prec = json_object();
	for (int kind = 0; kind < CORE_KIND__COUNT; kind++)
		json_object_set_new(prec, core_kind_name((enum core_kind)kind),
		                    num(f->precision[kind]));

	json_t *o = json_object();
	json_object_set_new(o, "now", json_integer((json_int_t)f->now));
	json_object_set_new(o, "on_time_pct", num(f->on_time_pct));
	json_object_set_new(o, "dispatch_cycle_s", num(f->dispatch_cycle_s));
	json_object_set_new(o, "asset_utilization_pct", num(f->asset_utilization_pct));
	json_object_set_new(o, "maintenance_downtime_pct", num(f->maintenance_downtime_pct));
	json_object_set_new(o, "pod_completion_s", num(f->pod_completion_s));
	json_object_set_new(o, "invoice_cycle_s", num(f->invoice_cycle_s));
	json_object_set_new(o, "dso_days", num(f->dso_days));
	json_object_set_new(o, "exception_resolution_s", res);
	json_object_set_new(o, "empty_miles_pct", num(f->empty_miles_pct));
	json_object_set_new(o, "dwell_s", num(f->dwell_s));
	json_object_set_new(o, "detention_s", num(f->detention_s));
	json_object_set_new(o, "route_profit", rp);
	json_object_set_new(o, "ai_precision", prec);
	return o;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int kpi_run_figures(struct cache *c, int64_t now, const struct core_detect_cfg *dcfg,
                    struct kpi_figures *f, struct kpi_refresh_stats *rs, struct wb_err *err)
{
	struct kpi_refresh_stats local = {0};
	if (!rs)
		rs = &local;
	memset(rs, 0, sizeof(*rs));
	if (cache_in_txn(c))
		return wb_fail(err, WB_EINVALID, "KPIs cannot be computed inside a transaction");
	if (now <= 0)
		now = detect_run_now(c);
	int64_t free_s = kpi_free_s(dcfg ? dcfg->detention_free_s : -1);
	struct kpi_state *s = kpi_state_get(c, free_s, err);
	int rc = s ? kpi_state_refresh(s, rs, err) : WB_ENOMEM;
	if (rc == 0)
		rc = kpi_state_figures(s, now, f, err);
	if (rc == 0)
		return 0;
	/* The state could not follow (no memory, a sparse table): the figures by
	 * full recompute this time; the state starts over at its next refresh. */
	rs->full = 1;
	return kpi_full(c, now, free_s, f, err);
}

int kpi_run_sample(struct cache *c, int64_t now, const struct core_detect_cfg *dcfg,
                   struct kpi_run_stats *st, struct wb_err *err)
{
	struct kpi_run_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (now <= 0)
		now = detect_run_now(c);
	struct kpi_refresh_stats rs;
	struct kpi_figures f;
	int rc = kpi_run_figures(c, now, dcfg, &f, &rs, err);
	if (rc != 0)
		return rc;
	st->now = now;
	/* floor(now / step) * step, also for a (nonsensical) negative clock */
	st->at = now / KPI_SAMPLE_STEP_S * KPI_SAMPLE_STEP_S;
	if (now < 0 && now % KPI_SAMPLE_STEP_S)
		st->at -= KPI_SAMPLE_STEP_S;
	st->full = rs.full;
	st->rows = rs.rows;
	st->refresh_ms = ms_since(&t0);
	if ((rc = cache_begin(c, err)) == 0) {
		for (int i = 0; i < KPI__COUNT && rc == 0; i++)
			rc = cache_kpi_sample_put(c, kpi_sample_name[i], st->at,
			                          kpi_figures_sample(&f, (enum kpi_sample_id)i),
			                          st->at - KPI_SAMPLE_KEEP_S, err);
		if (rc == 0)
			rc = cache_commit(c, err);
		else
			cache_rollback(c);
	}
	kpi_figures_free(&f);
	return rc;
}

void kpi_run_summary(const struct kpi_run_stats *st, char *buf, size_t len)
{
	snprintf(buf, len, "%d sampled at %lld (%s, %zu rows read, %.1f ms)", KPI__COUNT,
	         (long long)st->at, st->full ? "full scan" : "incremental", st->rows,
	         st->refresh_ms);
}
