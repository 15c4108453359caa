/* The facts an action is judged on, read from the cache through its API
 * (cache_get, cache_list): what the workflow pass reads in bulk, read here for
 * one vehicle, load or invoice, and shaped into the same facts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"

#define GATHER_MAX 200 /* rows of one kind about one vehicle or load */

static void free_all(void **rows, size_t nrows, char **strings, size_t nstrings)
{
	for (size_t i = 0; i < nrows; i++)
		free(rows[i]);
	for (size_t i = 0; i < nstrings; i++)
		free(strings[i]);
}

/* The work order of a hold among the vehicle's: newest by opened_at (unknown
 * as 0), then id, descending, as the pass's read orders them. */
static int find_in_list(void *arg, const char *vid, const char *fault_id, const char *proposal,
                        struct app_wo *out, struct wb_err *err)
{
	(void)err;
	const struct app_vehicle_data *d = arg;
	const struct wb_work_order *best = NULL;
	for (size_t i = 0; i < d->f.nwork_orders; i++) {
		const struct wb_work_order *w = &d->f.work_orders[i];
		if (!w->vehicle_id || strcmp(w->vehicle_id, vid) || !w->meta.id)
			continue;
		bool match = (w->fault_id && !strcmp(w->fault_id, fault_id)) ||
		             !strcmp(w->meta.id, proposal ? proposal : "");
		if (!match)
			continue;
		int64_t a = w->opened_at == WB_NULL ? 0 : w->opened_at;
		int64_t b = !best || best->opened_at == WB_NULL ? 0 : best->opened_at;
		if (!best || a > b || (a == b && strcmp(w->meta.id, best->meta.id) > 0))
			best = w;
	}
	if (!best)
		return 0;
	memset(out, 0, sizeof(*out));
	wb_entity_clear(WB_ENT_WORK_ORDER, &out->w);
	snprintf(out->id, sizeof(out->id), "%s", best->meta.id);
	snprintf(out->fid, sizeof(out->fid), "%s", best->fault_id ? best->fault_id : "");
	snprintf(out->status, sizeof(out->status), "%s", best->status ? best->status : "");
	snprintf(out->category, sizeof(out->category), "%s", best->category ? best->category : "");
	out->w.meta.id = out->id;
	out->w.vehicle_id = vid;
	out->w.fault_id = best->fault_id ? out->fid : NULL;
	out->w.status = best->status ? out->status : NULL;
	out->w.category = best->category ? out->category : NULL;
	out->w.closed_at = best->closed_at;
	return 1;
}

/* The vehicle's next planned run: a load planned, staged or released, the
 * earliest planned departure first (none: last). */
static const struct wb_load *next_run(const struct wb_load *loads, size_t n)
{
	const struct wb_load *best = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = loads[i].status;
		if (!s || (strcmp(s, "planned") && strcmp(s, "staged") && strcmp(s, "released")))
			continue;
		int64_t a = loads[i].planned_departure == WB_NULL ? INT64_MAX
		                                                  : loads[i].planned_departure;
		int64_t b = !best || best->planned_departure == WB_NULL ? INT64_MAX
		                                                        : best->planned_departure;
		if (!best || a < b)
			best = &loads[i];
	}
	return best;
}

int app_vehicle_gather(struct cache *c, const char *vid, struct app_vehicle_data *d,
                       struct wb_err *err)
{
	memset(d, 0, sizeof(*d));
	int rc = cache_get(c, WB_ENT_VEHICLE, vid, &d->vehicle, &d->strings[0], err);
	if (rc == 0 && d->vehicle.meta.deleted)
		rc = wb_fail(err, WB_ENOTFOUND, "vehicle %s is gone at the source", vid);
	size_t nloads = 0;
	if (rc ||
	    (rc = cache_list(c, WB_ENT_FAULT, "vehicle_id", vid, GATHER_MAX, &d->faults,
	                     &d->f.nfaults, &d->strings[1], err)) ||
	    (rc = cache_list(c, WB_ENT_INSPECTION, "vehicle_id", vid, GATHER_MAX, &d->inspections,
	                     &d->f.ninspections, &d->strings[2], err)) ||
	    (rc = cache_list(c, WB_ENT_WORK_ORDER, "vehicle_id", vid, GATHER_MAX, &d->work_orders,
	                     &d->f.nwork_orders, &d->strings[3], err)) ||
	    (rc = cache_list(c, WB_ENT_LOAD, "vehicle_id", vid, GATHER_MAX, &d->loads, &nloads,
	                     &d->strings[4], err)))
		return rc;
	d->f.vehicle = &d->vehicle;
	d->f.faults = d->faults;
	d->f.inspections = d->inspections;
	d->f.work_orders = d->work_orders;
	d->f.planned_drive_s = WB_NULL;
	const struct wb_load *run = next_run(d->loads, nloads);
	if (run) {
		d->f.planned_drive_s = run->planned_drive_s;
		if (run->driver_id &&
		    cache_get(c, WB_ENT_DRIVER, run->driver_id, &d->driver, &d->strings[5], NULL) ==
		            0 &&
		    !d->driver.meta.deleted)
			d->f.driver = &d->driver;
	}
	rc = app_vehicle_hold(c, &d->vehicle, find_in_list, d, &d->hold, err);
	if (rc < 0)
		return rc;
	d->f.hold = rc ? &d->hold.h : NULL;
	return 0;
}

void app_vehicle_data_free(struct app_vehicle_data *d)
{
	void *rows[] = {d->faults, d->inspections, d->work_orders, d->loads};
	free_all(rows, 4, d->strings, 6);
	memset(d, 0, sizeof(*d));
}

int app_load_gather(struct cache *c, const char *id, struct app_load_data *d, struct wb_err *err)
{
	memset(d, 0, sizeof(*d));
	int rc = cache_get(c, WB_ENT_LOAD, id, &d->load, &d->strings[0], err);
	if (rc)
		return rc;
	d->f.load = &d->load;
	if (d->load.vehicle_id) {
		struct wb_err verr = {0};
		rc = app_vehicle_gather(c, d->load.vehicle_id, &d->veh, &verr);
		if (rc == 0) {
			d->has_vehicle = true;
			app_vehicle_readiness(&d->veh.f, &d->readiness);
			d->f.vehicle = &d->readiness;
		} else if (rc != WB_ENOTFOUND) {
			*err = verr;
			return rc;
		}
	}
	if (d->load.driver_id &&
	    cache_get(c, WB_ENT_DRIVER, d->load.driver_id, &d->driver, &d->strings[1], NULL) == 0 &&
	    !d->driver.meta.deleted)
		d->f.driver = &d->driver;
	if ((rc = cache_list(c, WB_ENT_STAGING, "load_id", id, GATHER_MAX, &d->staging,
	                     &d->f.nstaging, &d->strings[2], err)) ||
	    (rc = cache_list(c, WB_ENT_EXCEPTION, "subject_id", id, GATHER_MAX, &d->exceptions,
	                     &d->f.nexceptions, &d->strings[3], err)))
		return rc;
	d->f.staging = d->staging;
	d->f.exceptions = d->exceptions;
	return 0;
}

void app_load_data_free(struct app_load_data *d)
{
	void *rows[] = {d->staging, d->exceptions};
	free_all(rows, 2, d->strings, 4);
	app_vehicle_data_free(&d->veh);
	memset(d, 0, sizeof(*d));
}

int app_invoice_gather(struct cache *c, const char *id, int64_t now, struct app_invoice_data *d,
                       struct wb_err *err)
{
	memset(d, 0, sizeof(*d));
	int rc = cache_get(c, WB_ENT_INVOICE, id, &d->invoice, &d->strings[0], err);
	if (rc)
		return rc;
	/* Its load by load_id, or by its order for an ERP that knows only that
	 * (cache.h, billing joins); its charges the same way. */
	if (cache_billed_load(c, d->invoice.load_id, d->invoice.order_id, &d->load, &d->strings[1],
	                      NULL) != 0)
		return wb_fail(err, WB_ENOTFOUND, "its load is not in the cache");
	const char *lid = d->load.meta.id;
	if ((rc = cache_list(c, WB_ENT_POD, "load_id", lid, GATHER_MAX, &d->pods, &d->f.npods,
	                     &d->strings[2], err)) ||
	    (rc = cache_billed_list(c, WB_ENT_CHARGE, lid, GATHER_MAX, &d->charges, &d->f.ncharges,
	                            &d->strings[3], err)))
		return rc;
	d->f.invoice = &d->invoice;
	d->f.load = &d->load;
	d->f.pods = d->pods;
	d->f.charges = d->charges;
	d->f.now = now;
	return 0;
}

void app_invoice_data_free(struct app_invoice_data *d)
{
	void *rows[] = {d->pods, d->charges};
	free_all(rows, 2, d->strings, 4);
	memset(d, 0, sizeof(*d));
}
