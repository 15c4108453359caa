/* Loads through their lifecycle, one simulated step at a time: the planner
 * assigns a vehicle, driver and trailer or subcontracts, the pre-trip
 * inspection, departure, delivery, POD and invoice; invoices get paid. Called
 * from sim_step (tick.c) in a fixed order, so the world stays deterministic. */
#include <math.h>
#include <stdlib.h>

#include "sim.h"

#define TOUCH(w, E, i) ((void)sim_touch((w), WB_ENT_##E, (size_t)(i)))

static long find_trailer(struct sim_world *w, int depot)
{
	struct sim_table *t = &w->t[WB_ENT_VEHICLE];
	for (size_t k = 0; k < t->n && k < 256; k++) {
		size_t i = (w->veh_rr + k * 7 + 5) % t->n;
		struct sim_vehicle *v = sim_row(t, i);
		if (v->kind == VK_TRAILER && v->status == VS_AVAILABLE && !v->hold &&
		    v->depot == depot)
			return (long)i;
	}
	return -1;
}

int sim_load_assign(struct sim_world *w, size_t li, int32_t vi, int32_t di)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	if (l->vehicle >= 0) {
		struct sim_vehicle *old = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
		if (old->status == VS_ASSIGNED && old->load == (int32_t)li) {
			old->status = VS_AVAILABLE;
			old->load = -1;
			TOUCH(w, VEHICLE, l->vehicle);
		}
	}
	if (l->driver >= 0) {
		struct sim_driver *od = SIM_ROW(w, DRIVER, sim_driver, (size_t)l->driver);
		od->vehicle = -1;
		od->status = DS_OFF_DUTY;
		TOUCH(w, DRIVER, l->driver);
	}
	struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)vi);
	struct sim_driver *d = SIM_ROW(w, DRIVER, sim_driver, (size_t)di);
	v->status = VS_ASSIGNED;
	v->load = (int32_t)li;
	d->status = DS_ON_DUTY;
	d->vehicle = vi;
	l->vehicle = vi;
	l->driver = di;
	l->carrier = 0;
	if (v->kind == VK_TRACTOR && l->trailer < 0) {
		long t = find_trailer(w, l->depot);
		if (t >= 0) {
			struct sim_vehicle *tr = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)t);
			tr->status = VS_ASSIGNED;
			tr->load = (int32_t)li;
			l->trailer = (int32_t)t;
			TOUCH(w, VEHICLE, t);
		}
	}
	TOUCH(w, VEHICLE, vi);
	TOUCH(w, DRIVER, di);
	TOUCH(w, LOAD, li);
	return 0;
}

/* The TMS planner: a free, healthy unit of the load's depot and a driver with hours. */
static int plan_load(struct sim_world *w, size_t li)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	struct sim_table *vt = &w->t[WB_ENT_VEHICLE], *dt = &w->t[WB_ENT_DRIVER];
	long vi = -1, di = -1;
	for (size_t k = 0; k < vt->n && k < 64; k++) {
		size_t i = (w->veh_rr + k) % vt->n;
		struct sim_vehicle *v = sim_row(vt, i);
		if (v->kind != VK_TRAILER && v->status == VS_AVAILABLE && !v->hold &&
		    v->depot == l->depot && v->fuel_pct > 20) {
			vi = (long)i;
			break;
		}
	}
	for (size_t k = 0; vi >= 0 && k < dt->n && k < 64; k++) {
		size_t i = (w->drv_rr + k) % dt->n;
		struct sim_driver *d = sim_row(dt, i);
		if (d->vehicle < 0 && d->depot == l->depot &&
		    d->drive_left_s > l->planned_drive_s * 2 + 3600 &&
		    d->duty_left_s > l->planned_drive_s * 2 + 7200) {
			di = (long)i;
			break;
		}
	}
	w->veh_rr = (w->veh_rr + 1) % (vt->n ? vt->n : 1);
	w->drv_rr = (w->drv_rr + 1) % (dt->n ? dt->n : 1);
	if (vi < 0 || di < 0)
		return -1;
	return sim_load_assign(w, li, (int32_t)vi, (int32_t)di);
}

void sim_new_inspection(struct sim_world *w, uint32_t vi, int32_t di, int kind)
{
	long ii = sim_add(w, WB_ENT_INSPECTION);
	if (ii < 0)
		return;
	struct sim_inspection *in = SIM_ROW(w, INSPECTION, sim_inspection, (size_t)ii);
	in->vehicle = vi;
	in->driver = di >= 0 ? (uint32_t)di : 0;
	in->kind = (uint8_t)kind;
	in->at = w->now;
	in->safe = sim_rng_unit(&w->rng) < 0.03 ? 0 : 1;
	in->defect = in->safe ? 0 : (uint8_t)sim_rng_range(&w->rng, 1, 5);
}

static void depart(struct sim_world *w, size_t li)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	l->status = LS_IN_TRANSIT;
	l->departed_at = w->now;
	struct sim_staging *g = SIM_ROW(w, STAGING, sim_staging, l->staging);
	if (!g->m.deleted) {
		g->status = STG_LOADED;
		(void)sim_delete(w, WB_ENT_STAGING, l->staging); /* the dock door is free again */
	}
	l = SIM_ROW(w, LOAD, sim_load, li);
	struct sim_stop *s0 = SIM_ROW(w, STOP, sim_stop, l->first_stop);
	s0->arrived_at = l->planned_departure - 1800;
	s0->departed_at = w->now;
	s0->status = SS_DEPARTED;
	s0->pallets_done = s0->pallets_planned;
	TOUCH(w, STOP, l->first_stop);
	/* some routes change on the way out: the last drop moves to another customer */
	if (sim_rng_unit(&w->rng) < 0.02 && w->t[WB_ENT_CUSTOMER].n > 1) {
		uint32_t si = l->first_stop + l->nstops - 1u;
		struct sim_stop *s = SIM_ROW(w, STOP, sim_stop, si);
		s->customer = (s->customer + 1) % (uint32_t)w->t[WB_ENT_CUSTOMER].n;
		const struct sim_customer *c = SIM_ROW(w, CUSTOMER, sim_customer, s->customer);
		s->lat = c->lat;
		s->lon = c->lon;
		l->flags |= LF_ROUTE_CHANGED;
		TOUCH(w, STOP, si);
	}
	double loaded = sim_route_to_stop_m(w, l, l->nstops - 1);
	l->distance_m = (float)loaded;
	if (l->vehicle >= 0) {
		struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
		const struct sim_stop *last =
		        SIM_ROW(w, STOP, sim_stop, l->first_stop + l->nstops - 1u);
		v->status = VS_IN_TRANSIT;
		v->route_done_m = 0;
		v->route_m =
		        (float)(loaded + sim_dist_m(last->lat, last->lon, sim_depot_lat(l->depot),
		                                    sim_depot_lon(l->depot)) *
		                                 1.25);
		v->next_stop = 1;
		v->engine_on = 1;
		v->dwell_until = 0;
		v->trips_today++;
		l->empty_m = (float)sim_dist_m(v->lat, v->lon, sim_depot_lat(l->depot),
		                               sim_depot_lon(l->depot));
		if (v->trips_today == 1)
			sim_new_inspection(w, (uint32_t)l->vehicle, l->driver, 0);
		TOUCH(w, VEHICLE, l->vehicle);
		if (l->driver >= 0) {
			SIM_ROW(w, DRIVER, sim_driver, (size_t)l->driver)->status = DS_DRIVING;
			TOUCH(w, DRIVER, l->driver);
		}
	}
	TOUCH(w, LOAD, li);
	TOUCH(w, ORDER, l->order);
}

void sim_load_deliver(struct sim_world *w, size_t li)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	l->status = LS_DELIVERED;
	l->delivered_at = w->now;
	l->next_at = w->now + sim_rng_range(&w->rng, 20, 90) * 60;
	TOUCH(w, LOAD, li);
	TOUCH(w, ORDER, l->order);
}

static void new_pod(struct sim_world *w, size_t li)
{
	long pi = sim_add(w, WB_ENT_POD);
	if (pi < 0)
		return;
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	struct sim_pod *p = SIM_ROW(w, POD, sim_pod, (size_t)pi);
	p->load = (uint32_t)li;
	p->stop = l->first_stop + l->nstops - 1u;
	p->signed_at = w->now - sim_rng_range(&w->rng, 5, 15) * 60;
	p->signer = (uint8_t)sim_rng_range(&w->rng, 0, 15);
	double r = sim_rng_unit(&w->rng);
	p->exc = (l->flags & LF_FAILED)    ? 3
	         : (l->flags & LF_PARTIAL) ? 1
	         : r < 0.04                ? 2
	         : r < 0.05                ? 4
	                                   : 0;
	l->pod = (int32_t)pi;
	l->status = LS_POD_RECEIVED;
	l->next_at = w->now + sim_rng_range(&w->rng, 60, 180) * 60;
	TOUCH(w, LOAD, li);
	TOUCH(w, ORDER, l->order);
}

static void new_invoice(struct sim_world *w, size_t li)
{
	long ii = sim_add(w, WB_ENT_INVOICE);
	if (ii < 0)
		return;
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	struct sim_invoice *inv = SIM_ROW(w, INVOICE, sim_invoice, (size_t)ii);
	double amount = 0;
	for (uint32_t c = 0; c < l->ncharges; c++)
		amount += SIM_ROW(w, CHARGE, sim_charge, l->first_charge + c)->amount;
	if (l->detention_charge >= 0)
		amount += SIM_ROW(w, CHARGE, sim_charge, (size_t)l->detention_charge)->amount;
	inv->load = (uint32_t)li;
	inv->customer = SIM_ROW(w, ORDER, sim_order, l->order)->customer;
	inv->amount = (float)amount;
	inv->status = IS_DRAFT;
	inv->issued_at = w->now;
	inv->due_at =
	        w->now +
	        (int64_t)SIM_ROW(w, CUSTOMER, sim_customer, inv->customer)->terms_days * 86400;
	l->invoice = (int32_t)ii;
	l->status = LS_INVOICED;
	TOUCH(w, LOAD, li);
	TOUCH(w, ORDER, l->order);
}

static void pre_departure(struct sim_world *w, size_t li)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	int64_t dep = l->planned_departure;
	struct sim_staging *g = SIM_ROW(w, STAGING, sim_staging, l->staging);
	if (!g->m.deleted && w->now >= dep - 3 * 3600) {
		double f = (double)(w->now - (dep - 3 * 3600)) / 9000.0;
		int lagging = sim_hash64(w->o.seed + li) % 10 == 0;
		if (lagging && w->now < dep + 1800 && f > 0.7)
			f = 0.7;
		int target = (int)(g->pallets_total * (f > 1 ? 1 : f));
		int changed = 0;
		if (target > g->pallets_staged) {
			g->pallets_staged = (uint16_t)target;
			g->status = target >= g->pallets_total ? STG_STAGED : STG_STAGING;
			changed = 1;
		}
		if (!g->labor_ready && w->now >= dep - 3600 && (!lagging || w->now >= dep + 1800)) {
			g->labor_ready = 1;
			changed = 1;
		}
		if (changed)
			TOUCH(w, STAGING, l->staging);
	}
	l = SIM_ROW(w, LOAD, sim_load, li);
	if (l->vehicle < 0 && l->carrier == 0 && w->now >= dep - 2 * 3600 &&
	    plan_load(w, li) != 0 && w->now >= dep - 1800) {
		l = SIM_ROW(w, LOAD, sim_load, li);
		l->carrier = (uint8_t)sim_rng_range(&w->rng, 1, 4);
		TOUCH(w, LOAD, li);
	}
	l = SIM_ROW(w, LOAD, sim_load, li);
	g = SIM_ROW(w, STAGING, sim_staging, l->staging);
	int staged = !g->m.deleted && g->pallets_staged >= g->pallets_total && g->labor_ready;
	if (l->status == LS_PLANNED && staged) {
		l->status = LS_STAGED;
		TOUCH(w, LOAD, li);
	}
	if (l->status == LS_STAGED && w->now >= dep - 600 && (l->vehicle >= 0 || l->carrier)) {
		l->status = LS_RELEASED; /* released at the TMS when nobody did it sooner */
		TOUCH(w, LOAD, li);
	}
	if (l->status == LS_RELEASED && w->now >= dep) {
		if (l->vehicle >= 0) {
			const struct sim_vehicle *v =
			        SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
			if (v->hold || v->status == VS_IN_SHOP || v->status == VS_OUT_OF_SERVICE)
				return; /* waits for the unit */
		}
		depart(w, li);
	}
}

void sim_load_step(struct sim_world *w, size_t li)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	switch (l->status) {
	case LS_PLANNED:
	case LS_STAGED:
	case LS_RELEASED: pre_departure(w, li); break;
	case LS_IN_TRANSIT:
		if (l->vehicle < 0 && w->now >= l->eta) { /* a subcontractor's run */
			for (uint32_t k = 1; k < l->nstops; k++) {
				struct sim_stop *s = SIM_ROW(w, STOP, sim_stop, l->first_stop + k);
				s->arrived_at = l->eta - 1800;
				s->departed_at = l->eta;
				s->status = SS_DEPARTED;
				s->pallets_done = s->pallets_planned;
				TOUCH(w, STOP, l->first_stop + k);
			}
			sim_load_deliver(w, li);
		}
		break;
	case LS_DELIVERED:
		if (w->now >= l->next_at)
			new_pod(w, li);
		break;
	case LS_POD_RECEIVED:
		if (w->now >= l->next_at)
			new_invoice(w, li);
		break;
	default: break;
	}
}

/* A unit arrives at or leaves drop k of its load. */

void sim_invoices_step(struct sim_world *w)
{
	struct sim_table *t = &w->t[WB_ENT_INVOICE];
	for (size_t i = w->inv_lo; i < t->n; i++) {
		struct sim_invoice *inv = sim_row(t, i);
		if (inv->status == IS_RELEASED && w->now >= inv->issued_at + 1800) {
			inv->status = IS_SENT;
			TOUCH(w, INVOICE, i);
		} else if (inv->status == IS_SENT && w->now >= inv->issued_at + 6 * 3600 &&
		           sim_hash64(w->o.seed ^ (i * 131)) % 30 == 0) {
			inv->status = IS_DISPUTED;
			TOUCH(w, INVOICE, i);
		}
		if (i == w->inv_lo && inv->status >= IS_SENT && w->now > inv->issued_at + 12 * 3600)
			w->inv_lo++;
	}
}
