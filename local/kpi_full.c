/* The KPIs by full recompute: every live row of the entities the KPIs read,
 * streamed once into arrays (cache_read_live), and the core/kpi*.c functions
 * over them. This is what `waybill kpi` does on a cold process and the
 * reference the incremental state (local/kpi_state.c) is tested against. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cache/kpi_read.h"
#include "kpi_internal.h"
#include "local/detect_run.h"

enum { R_LOAD, R_STOP, R_VEH, R_WO, R_POD, R_INV, R_EXC, R__N };

int kpi_full(struct cache *c, int64_t now, int64_t free_s, struct kpi_figures *f,
             struct wb_err *err)
{
	static const enum wb_entity ents[R__N] = {WB_ENT_LOAD,       WB_ENT_STOP, WB_ENT_VEHICLE,
	                                          WB_ENT_WORK_ORDER, WB_ENT_POD,  WB_ENT_INVOICE,
	                                          WB_ENT_EXCEPTION};
	struct cache_live r[R__N] = {{0}};
	struct core_route_profit *routes = NULL;
	size_t nroutes = 0;
	int rc = 0;
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < R__N && rc == 0; i++)
		rc = cache_read_live(c, ents[i], &r[i], err);
	if (rc != 0)
		goto out;
	if (now <= 0)
		now = detect_run_now(c);
	struct core_kpis k;
	core_kpis_init(&k, kpi_free_s(free_s));
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
		cache_live_free(&r[i]);
	if (rc != 0)
		kpi_figures_free(f);
	return rc;
}
