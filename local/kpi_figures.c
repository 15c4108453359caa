/* The figures from the incremental KPI state: the sums as they stand, and the
 * windowed ones (utilization, downtime, DSO, resolution median and P90, the
 * least profitable routes) from the records in memory, without SQL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_state_internal.h"

static double overlap(int64_t a, int64_t b, int64_t from, int64_t to)
{
	if (a < from)
		a = from;
	if (b > to)
		b = to;
	return b > a ? (double)(b - a) : 0;
}

static void swap_d(double *a, double *b)
{
	double t = *a;
	*a = *b;
	*b = t;
}

/* Moves the k-th smallest of v[0..n) to v[k], smaller ones before it. */
static void select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < v[lo])
			swap_d(&v[mid], &v[lo]);
		if (v[hi] < v[lo])
			swap_d(&v[hi], &v[lo]);
		if (v[hi] < v[mid])
			swap_d(&v[hi], &v[mid]);
		double pivot = v[mid];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				swap_d(&v[i], &v[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* Median (mean of the two middle values when n is even) and nearest-rank P90,
 * as core/kpi_time.c's summarize, by selection instead of a sort. */
static int resolution(const struct kpi_state *s, struct core_kpi_duration *out)
{
	const struct exc_rec *x = (const struct exc_rec *)s->exc.v;
	size_t n = 0;
	for (size_t i = 0; i < s->exc.cap; i++)
		n += (x[i].flags & P_LIVE) && x[i].detected_at != WB_NULL &&
		     x[i].resolved_at != WB_NULL && x[i].resolved_at >= x[i].detected_at;
	out->n = n;
	out->mean_s = out->median_s = out->p90_s = NAN;
	if (!n)
		return 0;
	double *v = malloc(n * sizeof(*v)), sum = 0;
	if (!v)
		return WB_ENOMEM;
	n = 0;
	for (size_t i = 0; i < s->exc.cap; i++)
		if ((x[i].flags & P_LIVE) && x[i].detected_at != WB_NULL &&
		    x[i].resolved_at != WB_NULL && x[i].resolved_at >= x[i].detected_at)
			sum += v[n++] = (double)(x[i].resolved_at - x[i].detected_at);
	out->mean_s = sum / (double)n;
	select_kth(v, n, n / 2);
	double mid = v[n / 2];
	if (n % 2 == 0) {
		double below = v[0];
		for (size_t i = 1; i < n / 2; i++)
			if (v[i] > below)
				below = v[i];
		mid = (below + mid) / 2;
	}
	out->median_s = mid;
	size_t rank = (size_t)ceil(0.9 * (double)n);
	select_kth(v, n, rank ? rank - 1 : 0);
	out->p90_s = v[rank ? rank - 1 : 0];
	free(v);
	return 0;
}

int kpi_state_figures(struct kpi_state *s, int64_t now, struct kpi_figures *f, struct wb_err *err)
{
	kpi_figures_from_sums(&s->k, now, f);
	f->pod_completion_s = s->pod_n > 0 ? s->pod_sum_s / (double)s->pod_n : NAN;
	f->invoice_cycle_s = s->inv_n > 0 ? s->inv_sum_s / (double)s->inv_n : NAN;
	int64_t from = now - KPI_WINDOW_S;
	double avail = (double)s->nveh * (double)KPI_WINDOW_S;
	if (s->nveh > 0) {
		double busy = 0, down = 0;
		const struct load_span *sp = (const struct load_span *)s->span.v;
		for (size_t i = 0; i < s->span.cap; i++)
			if (sp[i].departed_at != WB_NULL)
				busy += overlap(sp[i].departed_at,
				                sp[i].delivered_at != WB_NULL ? sp[i].delivered_at
				                                              : now,
				                from, now);
		const struct wo_rec *w = (const struct wo_rec *)s->wo.v;
		for (size_t i = 0; i < s->wo.cap; i++)
			if (w[i].flags & P_COUNTED)
				down += overlap(w[i].opened_at,
				                w[i].closed_at != WB_NULL ? w[i].closed_at : now,
				                from, now);
		f->asset_utilization_pct = busy / avail * 100.0;
		f->maintenance_downtime_pct = 100 * down / avail;
	}
	/* DSO as core_kpi_dso: receivables at now over the last 30 days' sales. */
	double receivable = 0, sales = 0;
	int64_t since = now - (int64_t)KPI_DSO_DAYS * 86400;
	const struct inv_rec *inv = (const struct inv_rec *)s->inv.v;
	for (size_t i = 0; i < s->inv.cap; i++) {
		const struct inv_rec *v = &inv[i];
		if (!(v->flags & P_LIVE) || v->issued_at == WB_NULL || v->issued_at > now ||
		    isnan(v->amount))
			continue;
		if (v->paid_at == WB_NULL || v->paid_at > now)
			receivable += v->amount;
		if (v->issued_at >= since)
			sales += v->amount;
	}
	f->dso_days = sales > 0 ? receivable / sales * KPI_DSO_DAYS : NAN;
	struct core_route_profit *r = malloc((s->nroutes ? s->nroutes : 1) * sizeof(*r));
	int rc = r ? resolution(s, &f->resolution) : WB_ENOMEM;
	if (rc == 0) {
		size_t n = 0;
		for (size_t i = 0; i < s->nroutes; i++)
			if (s->routes[i].loads > 0)
				r[n++] = (struct core_route_profit){
				        s->routes[i].origin,
				        s->routes[i].destination,
				        (size_t)s->routes[i].loads,
				        s->routes[i].revenue,
				        s->routes[i].cost,
				        s->routes[i].revenue - s->routes[i].cost};
		rc = kpi_figures_set_routes(f, r, n);
	}
	free(r);
	if (rc != 0) {
		kpi_figures_free(f);
		return wb_fail(err, rc, "out of memory computing the KPIs");
	}
	return 0;
}
