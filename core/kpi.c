/* Incremental KPI sums: each row adds or retracts its share, so a sync batch
 * updates the board in O(changed rows). */
#include <math.h>

#include "internal.h"
#include "core/core_kpi.h"

void core_kpis_init(struct core_kpis *k, int64_t detention_free_s)
{
	memset(k, 0, sizeof(*k));
	k->free_s = detention_free_s;
}

void core_kpis_add_load(struct core_kpis *k, const struct wb_load *l, int sign)
{
	if (l->meta.deleted || cstreq(l->status, "cancelled"))
		return;
	/* Every figure summed here is retracted later: only values inside the
	 * model's ranges are added, so a sum stays exact (spans) or near enough
	 * (money, metres) after a huge value comes and goes, and nothing overflows.
	 * The decision reads only the row, so add and retract agree. */
	int64_t cycle;
	if (l->tendered_at != WB_NULL && l->departed_at != WB_NULL &&
	    span_ok(l->tendered_at, l->departed_at, &cycle)) {
		k->cycle_n += sign;
		k->cycle_sum_s += sign * (double)cycle;
	}
	int has_dist = wb_in_range(WB_R_DIST, l->distance_m),
	    has_empty = wb_in_range(WB_R_DIST, l->empty_m);
	if (has_dist || has_empty) {
		double e = has_empty ? l->empty_m : 0;
		k->empty_m += sign * e;
		k->total_m += sign * (e + (has_dist ? l->distance_m : 0));
	}
	if (money_ok(l->revenue) && money_ok(l->est_cost)) {
		k->profit_n += sign;
		k->revenue += sign * l->revenue;
		k->cost += sign * l->est_cost;
	}
}

void core_kpis_add_stop(struct core_kpis *k, const struct wb_stop *s, int sign)
{
	if (s->meta.deleted || s->arrived_at == WB_NULL)
		return;
	if (cstreq(s->kind, "drop") && s->window_start != WB_NULL && s->window_end != WB_NULL) {
		k->drops_judged += sign;
		if (s->arrived_at >= s->window_start && s->arrived_at <= s->window_end)
			k->drops_on_time += sign;
	}
	int64_t dwell_s;
	if (s->departed_at != WB_NULL && span_ok(s->arrived_at, s->departed_at, &dwell_s)) {
		double dwell = (double)dwell_s;
		k->dwell_n += sign;
		k->dwell_sum_s += sign * dwell;
		/* Same clock as the detention detector: from the later of arrival and window start.
		 */
		int64_t start = s->window_start != WB_NULL && s->window_start > s->arrived_at
		                        ? s->window_start
		                        : s->arrived_at;
		int64_t over; /* departed - start fits: start lies between arrival and departure, or
		                 after */
		if (!ckd_sub(&over, s->departed_at, start) && !ckd_sub(&over, over, k->free_s) &&
		    over > 0) {
			k->detention_n += sign;
			k->detention_sum_s += sign * (double)over;
		}
	}
}

void core_kpis_add_exception(struct core_kpis *k, const struct wb_exception *x, const char *origin,
                             int sign)
{
	if (origin && !cstreq(x->origin, origin))
		return;
	int kind = core_kind_from_name(x->kind);
	if (kind < 0)
		return;
	if (cstreq(x->status, "approved"))
		k->approved[kind] += sign;
	else if (cstreq(x->status, "rejected"))
		k->rejected[kind] += sign;
}

static double ratio(double num, double den, double scale)
{
	return den > 0 ? scale * num / den : NAN;
}

double core_kpi_on_time_pct(const struct core_kpis *k)
{
	return ratio((double)k->drops_on_time, (double)k->drops_judged, 100);
}

double core_kpi_dispatch_cycle_s(const struct core_kpis *k)
{
	return ratio(k->cycle_sum_s, (double)k->cycle_n, 1);
}

double core_kpi_empty_miles_pct(const struct core_kpis *k)
{
	return ratio(k->empty_m, k->total_m, 100);
}

double core_kpi_margin_per_load(const struct core_kpis *k)
{
	return ratio(k->revenue - k->cost, (double)k->profit_n, 1);
}

double core_kpi_dwell_s(const struct core_kpis *k)
{
	return ratio(k->dwell_sum_s, (double)k->dwell_n, 1);
}

double core_kpi_precision(const struct core_kpis *k, enum core_kind kind)
{
	if ((unsigned)kind >= CORE_KIND__COUNT)
		return NAN;
	return ratio((double)k->approved[kind], (double)(k->approved[kind] + k->rejected[kind]), 1);
}

static double overlap(int64_t a, int64_t b, int64_t from, int64_t to)
{
	if (a < from)
		a = from;
	if (b > to)
		b = to;
	return b > a ? (double)(b - a) : 0;
}

double core_kpi_utilization(const struct wb_load *l, size_t n, size_t nvehicles, int64_t from,
                            int64_t to, int64_t now)
{
	double busy = 0;
	for (size_t i = 0; i < n; i++) {
		if (l[i].meta.deleted || l[i].departed_at == WB_NULL)
			continue;
		int64_t end = l[i].delivered_at != WB_NULL ? l[i].delivered_at : now;
		busy += overlap(l[i].departed_at, end, from, to);
	}
	return ratio(busy, (double)nvehicles * (double)(to - from), 1);
}

double core_kpi_downtime_pct(const struct wb_work_order *w, size_t n, size_t nvehicles,
                             int64_t from, int64_t to, int64_t now)
{
	double down = 0;
	for (size_t i = 0; i < n; i++) {
		if (w[i].meta.deleted || w[i].opened_at == WB_NULL ||
		    cstreq(w[i].status, "proposed"))
			continue;
		int64_t end = w[i].closed_at != WB_NULL ? w[i].closed_at : now;
		down += overlap(w[i].opened_at, end, from, to);
	}
	return ratio(down, (double)nvehicles * (double)(to - from), 100);
}
