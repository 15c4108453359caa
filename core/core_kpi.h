/* KPIs with their industry definitions (docs/design.md §6), as pure functions over
 * arrays of canonical rows. Sums that a sync batch can update row by row live in
 * struct core_kpis: add a row with sign +1, retract its old version with -1. */
#ifndef WAYBILL_CORE_KPI_H
#define WAYBILL_CORE_KPI_H

#include <stddef.h>
#include <stdint.h>

#include "core/core_policy.h"
#include "model/model.h"

struct core_kpis {
	int64_t drops_judged;  /* drop stops arrived with a known window */
	int64_t drops_on_time; /* of which window_start <= arrived_at <= window_end */
	int64_t cycle_n;       /* loads with tendered_at and departed_at */
	double cycle_sum_s;    /* dispatch cycle: departed_at - tendered_at */
	double empty_m;        /* deadhead metres */
	double total_m;        /* loaded distance_m + empty_m */
	int64_t profit_n;      /* loads with revenue and est_cost */
	double revenue, cost;
	int64_t dwell_n; /* stops with arrived_at and departed_at */
	double dwell_sum_s;
	int64_t detention_n;    /* of which past the free time */
	double detention_sum_s; /* time past free time */
	int64_t free_s;         /* free time used for detention (set by core_kpis_init) */
	int64_t approved[CORE_KIND__COUNT]; /* human decisions on flags, per kind */
	int64_t rejected[CORE_KIND__COUNT];
};

void core_kpis_init(struct core_kpis *k, int64_t detention_free_s);
/* sign +1 adds the row, -1 retracts it (pass the old version of a changed row). */
void core_kpis_add_load(struct core_kpis *k, const struct wb_load *l, int sign);
void core_kpis_add_stop(struct core_kpis *k, const struct wb_stop *s, int sign);
/* Only flags of this origin count for precision ("ai"; NULL: every origin). */
void core_kpis_add_exception(struct core_kpis *k, const struct wb_exception *x, const char *origin,
                             int sign);

/* Each returns NAN when there is nothing to measure. */
double core_kpi_on_time_pct(const struct core_kpis *k);      /* 100 * on time / judged */
double core_kpi_dispatch_cycle_s(const struct core_kpis *k); /* mean */
double core_kpi_empty_miles_pct(const struct core_kpis *k);  /* 100 * empty / total */
double core_kpi_margin_per_load(const struct core_kpis *k);  /* (revenue - cost) / loads */
double core_kpi_dwell_s(const struct core_kpis *k);          /* mean dwell per stop */
double core_kpi_precision(const struct core_kpis *k, enum core_kind kind); /* approved / decided */

/* Revenue hours (departed_at..delivered_at, or now while in transit, clipped to
 * [from, to)) over available hours (nvehicles * (to - from)), as a fraction. */
double core_kpi_utilization(const struct wb_load *l, size_t n, size_t nvehicles, int64_t from,
                            int64_t to, int64_t now);
/* Work-order time (opened_at..closed_at, or now while open, clipped to [from, to))
 * over nvehicles * (to - from), in percent. Proposed work orders do not count. */
double core_kpi_downtime_pct(const struct wb_work_order *w, size_t n, size_t nvehicles,
                             int64_t from, int64_t to, int64_t now);

struct core_kpi_duration {
	size_t n; /* pairs measured */
	double mean_s;
	double median_s;
	double p90_s; /* nearest-rank */
};

/* Load delivered_at to the load's latest POD signed_at. WB_ENOMEM or 0. */
int core_kpi_pod_completion(const struct wb_load *l, size_t nl, const struct wb_pod *p, size_t np,
                            struct core_kpi_duration *out);
/* Load delivered_at to its invoice's issued_at. */
int core_kpi_invoice_cycle(const struct wb_load *l, size_t nl, const struct wb_invoice *inv,
                           size_t ni, struct core_kpi_duration *out);
/* Exception detected_at to resolved_at, over exceptions with both. */
int core_kpi_resolution(const struct wb_exception *x, size_t n, struct core_kpi_duration *out);
/* Days sales outstanding: receivables at `now` (issued, unpaid) over the amount
 * invoiced in the last `days` days, times days. */
double core_kpi_dso(const struct wb_invoice *inv, size_t n, int64_t now, int days);

struct core_route_profit {
	const char *origin, *destination; /* point into the loads */
	size_t loads;
	double revenue, cost, margin;
};
/* Route profitability (revenue - est_cost) per origin -> destination, sorted by
 * margin, lowest first. *out is malloc'ed (caller frees). WB_ENOMEM or 0. */
int core_kpi_routes(const struct wb_load *l, size_t n, struct core_route_profit **out,
                    size_t *nout);

#endif
