/* The simulated clock: each step advances the world SIM_STEP_S seconds of
 * simulated time. Loads move through their lifecycle, the planner assigns
 * vehicles or subcontracts, vehicles drive their routes (positions, fuel, HOS,
 * idling), PODs and invoices arrive. Every change bumps the row's version. All
 * randomness comes from the world's rng, consumed in a fixed order, so the state
 * at a given simulated time depends only on the seed and the actions applied. */
#include <math.h>
#include <stdlib.h>

#include "sim.h"

#define TOUCH(w, E, i) ((void)sim_touch((w), WB_ENT_##E, (size_t)(i)))

static double cum_to_stop(const struct sim_world *w, const struct sim_load *l, int k)
{
	double d = 0;
	for (int j = 1; j <= k && j < l->nstops; j++) {
		const struct sim_stop *a = SIM_ROW(w, STOP, sim_stop, l->first_stop + (uint32_t)j - 1);
		const struct sim_stop *b = SIM_ROW(w, STOP, sim_stop, l->first_stop + (uint32_t)j);
		d += sim_dist_m(a->lat, a->lon, b->lat, b->lon) * 1.25;
	}
	return d;
}

void sim_emit_position(struct sim_world *w, uint32_t vi)
{
	const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
	struct sim_pos *p = &w->pos[(w->pos_seq + 1) % w->pos_cap];
	p->seq = ++w->pos_seq;
	p->ts_ms = w->now * 1000 + (int64_t)(vi % 1000);
	p->vehicle = vi;
	p->lat = (float)v->lat;
	p->lon = (float)v->lon;
	p->speed_mps = v->speed_mps;
	p->heading = v->heading;
	p->odometer_m = v->odometer_m;
	p->fuel_pct = v->fuel_pct;
	p->ignition = (int8_t)v->engine_on;
}

static long find_trailer(struct sim_world *w, int depot)
{
	struct sim_table *t = &w->t[WB_ENT_VEHICLE];
	for (size_t k = 0; k < t->n && k < 256; k++) {
		size_t i = (w->veh_rr + k * 7 + 5) % t->n;
		struct sim_vehicle *v = sim_row(t, i);
		if (v->kind == VK_TRAILER && v->status == VS_AVAILABLE && !v->hold && v->depot == depot)
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
		if (v->kind != VK_TRAILER && v->status == VS_AVAILABLE && !v->hold && v->depot == l->depot &&
		    v->fuel_pct > 20) {
			vi = (long)i;
			break;
		}
	}
	for (size_t k = 0; vi >= 0 && k < dt->n && k < 64; k++) {
		size_t i = (w->drv_rr + k) % dt->n;
		struct sim_driver *d = sim_row(dt, i);
		if (d->vehicle < 0 && d->depot == l->depot && d->drive_left_s > l->planned_drive_s * 2 + 3600 &&
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

static void new_inspection(struct sim_world *w, uint32_t vi, int32_t di, int kind)
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
	double loaded = cum_to_stop(w, l, l->nstops - 1);
	l->distance_m = (float)loaded;
	if (l->vehicle >= 0) {
		struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
		const struct sim_stop *last = SIM_ROW(w, STOP, sim_stop, l->first_stop + l->nstops - 1u);
		v->status = VS_IN_TRANSIT;
		v->route_done_m = 0;
		v->route_m = (float)(loaded + sim_dist_m(last->lat, last->lon, sim_depot_lat(l->depot),
		                                         sim_depot_lon(l->depot)) * 1.25);
		v->next_stop = 1;
		v->engine_on = 1;
		v->dwell_until = 0;
		v->trips_today++;
		l->empty_m = (float)sim_dist_m(v->lat, v->lon, sim_depot_lat(l->depot), sim_depot_lon(l->depot));
		if (v->trips_today == 1)
			new_inspection(w, (uint32_t)l->vehicle, l->driver, 0);
		TOUCH(w, VEHICLE, l->vehicle);
		if (l->driver >= 0) {
			SIM_ROW(w, DRIVER, sim_driver, (size_t)l->driver)->status = DS_DRIVING;
			TOUCH(w, DRIVER, l->driver);
		}
	}
	TOUCH(w, LOAD, li);
	TOUCH(w, ORDER, l->order);
}

static void deliver(struct sim_world *w, size_t li)
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
	p->exc = (l->flags & LF_FAILED) ? 3 : (l->flags & LF_PARTIAL) ? 1 : r < 0.04 ? 2 : r < 0.05 ? 4 : 0;
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
	inv->due_at = w->now + (int64_t)SIM_ROW(w, CUSTOMER, sim_customer, inv->customer)->terms_days * 86400;
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
	if (l->vehicle < 0 && l->carrier == 0 && w->now >= dep - 2 * 3600 && plan_load(w, li) != 0 &&
	    w->now >= dep - 1800) {
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
			const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
			if (v->hold || v->status == VS_IN_SHOP || v->status == VS_OUT_OF_SERVICE)
				return; /* waits for the unit */
		}
		depart(w, li);
	}
}

static void process_load(struct sim_world *w, size_t li)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	switch (l->status) {
	case LS_PLANNED:
	case LS_STAGED:
	case LS_RELEASED:
		pre_departure(w, li);
		break;
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
			deliver(w, li);
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
	default:
		break;
	}
}

/* A unit arrives at or leaves drop k of its load. */
static void stop_depart(struct sim_world *w, struct sim_vehicle *v, uint32_t vi)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)v->load);
	uint32_t si = l->first_stop + v->next_stop - 1u;
	struct sim_stop *s = SIM_ROW(w, STOP, sim_stop, si);
	s->departed_at = w->now;
	double r = sim_rng_unit(&w->rng);
	if (r < 0.015) {
		s->status = SS_FAILED;
		s->pallets_done = 0;
		l->flags |= LF_FAILED;
	} else if (r < 0.045) {
		s->status = SS_PARTIAL;
		s->pallets_done = (uint16_t)(s->pallets_planned * (0.5 + sim_rng_unit(&w->rng) * 0.4));
		l->flags |= LF_PARTIAL;
	} else {
		s->status = SS_DEPARTED;
		s->pallets_done = s->pallets_planned;
	}
	int64_t dwell = s->departed_at - s->arrived_at;
	TOUCH(w, STOP, si);
	if (dwell > 2 * 3600 && l->detention_charge < 0) {
		float amt = (float)round((double)(dwell - 7200) / 3600.0 * 55.0);
		long c = sim_add(w, WB_ENT_CHARGE);
		if (c >= 0) {
			struct sim_charge *ch = SIM_ROW(w, CHARGE, sim_charge, (size_t)c);
			l = SIM_ROW(w, LOAD, sim_load, (size_t)v->load);
			ch->load = (uint32_t)v->load;
			ch->code = CC_DETENTION;
			ch->amount = ch->rated_amount = amt;
			ch->origin = 2;
			l->detention_charge = (int32_t)c;
		}
	}
	v->dwell_until = 0;
	if (v->next_stop >= l->nstops)
		deliver(w, (size_t)v->load);
	(void)vi;
}

static void back_at_depot(struct sim_world *w, struct sim_vehicle *v, uint32_t vi)
{
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)v->load);
	v->status = VS_AVAILABLE;
	v->speed_mps = 0;
	v->engine_on = 0;
	v->lat = sim_depot_lat(v->depot);
	v->lon = sim_depot_lon(v->depot);
	v->load = -1;
	if (l->trailer >= 0) {
		struct sim_vehicle *tr = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->trailer);
		tr->status = VS_AVAILABLE;
		tr->load = -1;
		tr->lat = v->lat;
		tr->lon = v->lon;
		TOUCH(w, VEHICLE, l->trailer);
	}
	if (l->driver >= 0) {
		struct sim_driver *d = SIM_ROW(w, DRIVER, sim_driver, (size_t)l->driver);
		d->status = DS_OFF_DUTY;
		d->vehicle = -1;
		TOUCH(w, DRIVER, l->driver);
	}
	if (sim_rng_unit(&w->rng) < 0.3) {
		new_inspection(w, vi, l->driver, 1);
		struct sim_table *it = &w->t[WB_ENT_INSPECTION];
		const struct sim_inspection *in = sim_row(it, it->n - 1);
		if (!in->safe)
			v->status = VS_OUT_OF_SERVICE;
	}
}

static void drive(struct sim_world *w, uint32_t vi)
{
	struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)v->load);
	int changed = 0;
	if (v->dwell_until && w->now >= v->dwell_until) {
		stop_depart(w, v, vi);
		v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
		l = SIM_ROW(w, LOAD, sim_load, (size_t)v->load);
		changed = 1;
	}
	if (v->dwell_until) { /* at a stop, engine idling part of the time */
		v->speed_mps = 0;
		if (sim_rng_unit(&w->rng) < 0.3) {
			v->idle_s += SIM_STEP_S;
			v->engine_s += SIM_STEP_S;
			v->fuel_pct -= (float)(2.5 / 3600.0 * SIM_STEP_S / v->tank_l * 100.0);
		}
	} else {
		/* traffic: a few loads crawl, which is how ETAs slip past windows */
		double slow = sim_hash64(w->o.seed * 7 + (uint64_t)v->load) % 9 == 0 ? 0.5 : 0.8;
		double mps = v->cruise_kmh / 3.6 * (slow + sim_rng_unit(&w->rng) * 0.3);
		double d = mps * SIM_STEP_S;
		double target = v->next_stop < l->nstops ? cum_to_stop(w, l, v->next_stop) : v->route_m;
		if (v->route_done_m + d >= target) {
			d = target - v->route_done_m;
			if (d < 0)
				d = 0;
		}
		v->route_done_m += (float)d;
		v->odometer_m += d;
		v->engine_s += SIM_STEP_S;
		v->speed_mps = (float)mps;
		static const double l_per_km[] = {0.32, 0, 0.12, 0.22};
		v->fuel_pct -= (float)(d / 1000.0 * l_per_km[v->kind] / v->tank_l * 100.0);
		if (l->driver >= 0) {
			struct sim_driver *dr = SIM_ROW(w, DRIVER, sim_driver, (size_t)l->driver);
			dr->drive_left_s = dr->drive_left_s > SIM_STEP_S ? dr->drive_left_s - SIM_STEP_S : 0;
			dr->duty_left_s = dr->duty_left_s > SIM_STEP_S ? dr->duty_left_s - SIM_STEP_S : 0;
			dr->cycle_left_s = dr->cycle_left_s > SIM_STEP_S ? dr->cycle_left_s - SIM_STEP_S : 0;
			if ((w->steps + vi) % 10 == 0)
				TOUCH(w, DRIVER, l->driver);
		}
		if (v->next_stop < l->nstops && v->route_done_m >= target - 1) {
			uint32_t si = l->first_stop + v->next_stop;
			struct sim_stop *s = SIM_ROW(w, STOP, sim_stop, si);
			s->arrived_at = w->now;
			s->status = SS_ARRIVED;
			TOUCH(w, STOP, si);
			int detained = sim_rng_unit(&w->rng) < 0.05;
			v->dwell_until = w->now + (detained ? sim_rng_range(&w->rng, 150, 210) : sim_rng_range(&w->rng, 20, 40)) * 60;
			v->next_stop++;
			v->speed_mps = 0;
			changed = 1;
		}
	}
	if (v->fuel_pct < 1)
		v->fuel_pct = 1;
	double hd = v->heading;
	sim_stop_pos(w, l, v->route_done_m, &v->lat, &v->lon, &hd);
	v->heading = (float)hd;
	v->last_seen_ms = w->now * 1000;
	if (l->status == LS_IN_TRANSIT) {
		double rem = cum_to_stop(w, l, l->nstops - 1) - v->route_done_m;
		int64_t eta = w->now + (int64_t)(rem > 0 ? rem / (v->cruise_kmh / 3.6 * 0.85) : 0) +
		              (v->dwell_until > w->now ? v->dwell_until - w->now : 0) +
		              (int64_t)(l->nstops - 1 - (v->next_stop > 0 ? v->next_stop : 1)) * 1800;
		if (llabs(eta - l->eta) >= 300) {
			l->eta = eta;
			TOUCH(w, LOAD, (size_t)v->load);
			uint32_t si = l->first_stop + l->nstops - 1u;
			SIM_ROW(w, STOP, sim_stop, si)->eta = eta;
			TOUCH(w, STOP, si);
		}
	}
	if (v->route_done_m >= v->route_m - 1 && !v->dwell_until) {
		back_at_depot(w, v, vi);
		changed = 1;
	}
	if (changed || (w->steps + vi) % 10 == 0)
		TOUCH(w, VEHICLE, vi);
	sim_emit_position(w, vi);
}

static void parked(struct sim_world *w, uint32_t vi)
{
	struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
	if (sim_rng_unit(&w->rng) < (v->engine_on ? 0.03 : 0.002))
		v->engine_on = !v->engine_on;
	if (v->engine_on) {
		v->idle_s += SIM_STEP_S;
		v->engine_s += SIM_STEP_S;
		v->fuel_pct -= (float)(2.5 / 3600.0 * SIM_STEP_S / v->tank_l * 100.0);
		v->last_seen_ms = w->now * 1000;
		sim_emit_position(w, vi);
		if ((w->steps + vi) % 10 == 0)
			TOUCH(w, VEHICLE, vi);
	}
	if (v->status == VS_AVAILABLE && v->fuel_pct < 30) {
		long fi = sim_add(w, WB_ENT_FUEL_TXN);
		if (fi < 0)
			return;
		v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
		struct sim_fuel_txn *f = SIM_ROW(w, FUEL_TXN, sim_fuel_txn, (size_t)fi);
		f->vehicle = vi;
		f->driver = -1;
		f->at = w->now;
		f->litres = (float)round((95 - v->fuel_pct) / 100.0 * v->tank_l * 10) / 10;
		f->amount = (float)round(f->litres * 1.79 * 100) / 100;
		f->lat = (float)v->lat;
		f->lon = (float)v->lon;
		f->station = v->depot;
		f->card4 = (uint16_t)(1000 + sim_hash64(w->o.seed + vi) % 9000);
		v->fuel_pct = 95;
		TOUCH(w, VEHICLE, vi);
	}
}

static void invoices(struct sim_world *w)
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

static void new_day(struct sim_world *w)
{
	w->day_start += 86400;
	struct sim_table *dt = &w->t[WB_ENT_DRIVER], *vt = &w->t[WB_ENT_VEHICLE];
	for (size_t i = 0; i < dt->n; i++) {
		struct sim_driver *d = sim_row(dt, i);
		if (d->status == DS_DRIVING)
			continue;
		d->drive_left_s = 11 * 3600;
		d->duty_left_s = 14 * 3600;
		TOUCH(w, DRIVER, i);
	}
	for (size_t i = 0; i < vt->n; i++) {
		struct sim_vehicle *v = sim_row(vt, i);
		v->trips_today = 0;
		if (v->idle_s) {
			v->idle_s = 0;
			TOUCH(w, VEHICLE, i);
		}
	}
}

void sim_step(struct sim_world *w)
{
	w->now += SIM_STEP_S;
	w->steps++;
	if (w->now - w->day_start >= 86400)
		new_day(w);
	double gap = 86400.0 / w->o.loads_per_day;
	while (w->next_load_at <= (double)(w->now + 8 * 3600)) {
		int64_t dep = (int64_t)w->next_load_at / 300 * 300;
		if (sim_world_new_load(w, dep, w->now) < 0)
			break;
		w->next_load_at += gap * (0.5 + sim_rng_unit(&w->rng));
	}
	struct sim_table *lt = &w->t[WB_ENT_LOAD];
	for (size_t i = w->load_lo; i < lt->n; i++) {
		struct sim_load *l = sim_row(lt, i);
		if (l->planned_departure - 3 * 3600 > w->now)
			break;
		if (l->status == LS_INVOICED || l->status == LS_CANCELLED) {
			if (i == w->load_lo)
				w->load_lo++;
			continue;
		}
		process_load(w, i);
	}
	struct sim_table *vt = &w->t[WB_ENT_VEHICLE];
	for (size_t i = 0; i < vt->n; i++) {
		struct sim_vehicle *v = sim_row(vt, i);
		if (v->kind == VK_TRAILER)
			continue;
		if (v->status == VS_IN_TRANSIT && v->load >= 0)
			drive(w, (uint32_t)i);
		else
			parked(w, (uint32_t)i);
	}
	size_t npowered = vt->n - vt->n / 4;
	w->fault_acc += (double)npowered * SIM_STEP_S / (5.0 * 86400.0);
	while (w->fault_acc >= 1.0) {
		w->fault_acc -= 1.0;
		sim_new_fault(w);
	}
	if (w->steps % 10 == 0) {
		sim_maintenance(w);
		invoices(w);
		/* during the warm-up the AI only looks at the last hour, to start fast */
		if (!w->o.no_ai && w->now >= w->t0 - 3600)
			sim_ai_scan(w);
	}
	if (w->steps % 100 == 0)
		sim_purge_tombstones(w);
	pthread_cond_broadcast(&w->changed);
}

void sim_advance_to(struct sim_world *w, int64_t t)
{
	while (w->now + SIM_STEP_S <= t)
		sim_step(w);
}
