/* KPIs that need whole arrays: durations with median and P90 (POD completion,
 * invoice cycle, exception resolution), DSO and route profitability. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "core/core_kpi.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v and fills out; nearest-rank percentiles. */
static void summarize(double *v, size_t n, struct core_kpi_duration *out)
{
	out->n = n;
	out->mean_s = out->median_s = out->p90_s = NAN;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	out->mean_s = sum / (double)n;
	out->median_s = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	size_t rank = (size_t)ceil(0.9 * (double)n);
	out->p90_s = v[rank ? rank - 1 : 0];
}

struct delivered {
	const char *id;
	int64_t at;
};

static int cmp_delivered(const void *a, const void *b)
{
	return strcmp(((const struct delivered *)a)->id, ((const struct delivered *)b)->id);
}

/* Delivered loads sorted by id, for joins by load_id. NULL on no memory. */
static struct delivered *index_delivered(const struct wb_load *l, size_t nl, size_t *n)
{
	struct delivered *d = malloc((nl ? nl : 1) * sizeof(*d));
	if (!d)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < nl; i++)
		if (!l[i].meta.deleted && l[i].meta.id && l[i].delivered_at != WB_NULL)
			d[(*n)++] = (struct delivered){l[i].meta.id, l[i].delivered_at};
	qsort(d, *n, sizeof(*d), cmp_delivered);
	return d;
}

static const struct delivered *find_delivered(const struct delivered *d, size_t n, const char *id)
{
	struct delivered key = {id, 0};
	return id ? bsearch(&key, d, n, sizeof(*d), cmp_delivered) : NULL;
}

int core_kpi_pod_completion(const struct wb_load *l, size_t nl, const struct wb_pod *p, size_t np,
                            struct core_kpi_duration *out)
{
	size_t nd;
	struct delivered *d = index_delivered(l, nl, &nd);
	/* One duration per load: its latest signature completes its paperwork. */
	int64_t *last = calloc(nd ? nd : 1, sizeof(*last));
	double *v = malloc((nd ? nd : 1) * sizeof(*v));
	if (!d || !last || !v) {
		free(d), free(last), free(v);
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < np; i++) {
		const struct delivered *e = find_delivered(d, nd, p[i].load_id);
		if (!e || p[i].meta.deleted || p[i].signed_at == WB_NULL)
			continue;
		size_t k = (size_t)(e - d);
		if (p[i].signed_at > last[k])
			last[k] = p[i].signed_at;
	}
	size_t n = 0;
	int64_t span;
	for (size_t k = 0; k < nd; k++)
		if (last[k] && span_ok(d[k].at, last[k], &span))
			v[n++] = (double)span;
	summarize(v, n, out);
	free(d), free(last), free(v);
	return 0;
}

int core_kpi_invoice_cycle(const struct wb_load *l, size_t nl, const struct wb_invoice *inv,
                           size_t ni, struct core_kpi_duration *out)
{
	size_t nd;
	struct delivered *d = index_delivered(l, nl, &nd);
	double *v = malloc((ni ? ni : 1) * sizeof(*v));
	if (!d || !v) {
		free(d), free(v);
		return WB_ENOMEM;
	}
	size_t n = 0;
	for (size_t i = 0; i < ni; i++) {
		const struct delivered *e = find_delivered(d, nd, inv[i].load_id);
		int64_t span;
		if (e && !inv[i].meta.deleted && inv[i].issued_at != WB_NULL &&
		    span_ok(e->at, inv[i].issued_at, &span))
			v[n++] = (double)span;
	}
	summarize(v, n, out);
	free(d), free(v);
	return 0;
}

int core_kpi_resolution(const struct wb_exception *x, size_t n, struct core_kpi_duration *out)
{
	double *v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return WB_ENOMEM;
	size_t m = 0;
	int64_t span;
	for (size_t i = 0; i < n; i++)
		if (x[i].detected_at != WB_NULL && x[i].resolved_at != WB_NULL &&
		    span_ok(x[i].detected_at, x[i].resolved_at, &span))
			v[m++] = (double)span;
	summarize(v, m, out);
	free(v);
	return 0;
}

double core_kpi_dso(const struct wb_invoice *inv, size_t n, int64_t now, int days)
{
	double receivable = 0, sales = 0;
	int64_t since = sat_sub(now, (int64_t)days * 86400);
	for (size_t i = 0; i < n; i++) {
		const struct wb_invoice *v = &inv[i];
		if (v->meta.deleted || v->issued_at == WB_NULL || v->issued_at > now ||
		    !money_ok(v->amount))
			continue;
		if (v->paid_at == WB_NULL || v->paid_at > now)
			receivable += v->amount;
		if (v->issued_at >= since)
			sales += v->amount;
	}
	return sales > 0 ? receivable / sales * days : NAN;
}

static int cmp_route(const void *a, const void *b)
{
	const struct wb_load *x = *(const struct wb_load *const *)a,
	                     *y = *(const struct wb_load *const *)b;
	int c = strcmp(x->origin, y->origin);
	return c ? c : strcmp(x->destination, y->destination);
}

static int cmp_margin(const void *a, const void *b)
{
	double x = ((const struct core_route_profit *)a)->margin,
	       y = ((const struct core_route_profit *)b)->margin;
	return x < y ? -1 : x > y;
}

int core_kpi_routes(const struct wb_load *l, size_t n, struct core_route_profit **out, size_t *nout)
{
	const struct wb_load **idx = malloc((n ? n : 1) * sizeof(*idx));
	struct core_route_profit *r = malloc((n ? n : 1) * sizeof(*r));
	if (!idx || !r) {
		free(idx), free(r);
		return WB_ENOMEM;
	}
	size_t m = 0, nr = 0;
	for (size_t i = 0; i < n; i++)
		if (!l[i].meta.deleted && l[i].origin && l[i].destination &&
		    money_ok(l[i].revenue) && money_ok(l[i].est_cost) &&
		    !cstreq(l[i].status, "cancelled"))
			idx[m++] = &l[i];
	qsort(idx, m, sizeof(*idx), cmp_route);
	for (size_t i = 0; i < m; i++) {
		if (!nr || cmp_route(&idx[i], &idx[i - 1]) != 0)
			r[nr++] = (struct core_route_profit){
			        idx[i]->origin, idx[i]->destination, 0, 0, 0, 0};
		struct core_route_profit *p = &r[nr - 1];
		p->loads++;
		p->revenue += idx[i]->revenue;
		p->cost += idx[i]->est_cost;
		p->margin = p->revenue - p->cost;
	}
	qsort(r, nr, sizeof(*r), cmp_margin);
	free(idx);
	*out = r;
	*nout = nr;
	return 0;
}
