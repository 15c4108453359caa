/* Private to local/kpi_*.c: what the full recompute and the incremental state
 * share, so both turn their sums into figures the same way. */
#ifndef WAYBILL_KPI_INTERNAL_H
#define WAYBILL_KPI_INTERNAL_H

#include "local/kpi_run.h"

/* Resets f (every figure NAN, no routes) and fills the figures that come from
 * the additive sums: on time, dispatch cycle, empty miles, dwell, detention,
 * margin per load and the AI precision per kind and overall. */
void kpi_figures_from_sums(const struct core_kpis *k, int64_t now, struct kpi_figures *f);
/* Sorts routes by margin (then origin, destination) and keeps the first
 * KPI_ROUTES_MAX in f, copying their names. WB_ENOMEM or 0. */
int kpi_figures_set_routes(struct kpi_figures *f, const struct core_route_profit *r, size_t n);
/* The detention free time the KPIs use (the detectors' default). */
int64_t kpi_free_s(int64_t free_s);

#endif
