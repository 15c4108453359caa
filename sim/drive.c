/* Vehicles on the road and parked, one simulated step at a time: positions
 * along the route, stops and their dwell, fuel, driver hours and idling, the
 * return to the depot. Called from sim_step (tick.c). */
#include <math.h>
#include <stdlib.h>

#include "sim.h"

#define TOUCH(w, E, i) ((void)sim_touch((w), WB_ENT_##E, (size_t)(i)))

double sim_route_to_stop_m(const struct sim_world *w, const struct sim_load *l, int k)
{
	double d = 0;
	for (int j = 1; j <= k && j < l->nstops; j++) {
		const struct sim_stop *a =
		        SIM_ROW(w, STOP, sim_stop, l->first_stop + (uint32_t)j - 1);
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
		s->pallets_done =
		        (uint16_t)(s->pallets_planned * (0.5 + sim_rng_unit(&w->rng) * 0.4));
		l->flags |= LF_PARTIAL;
	} else {
		s->status = SS_DEPARTED;
		s->pallets_done = s->pallets_planned;
	}
	/* Detention is billed from the later of arrival and the window's start: a
	 * truck that comes early waits on its own time (as the AI and Waybill count). */
	int64_t from = s->window_start > s->arrived_at ? s->window_start : s->arrived_at;
	int64_t dwell = s->departed_at - from;
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
		sim_load_deliver(w, (size_t)v->load);
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
		sim_new_inspection(w, vi, l->driver, 1);
		struct sim_table *it = &w->t[WB_ENT_INSPECTION];
		const struct sim_inspection *in = sim_row(it, it->n - 1);
		if (!in->safe)
			v->status = VS_OUT_OF_SERVICE;
	}
}

void sim_vehicle_drive(struct sim_world *w, uint32_t vi)
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
		double target = v->next_stop < l->nstops ? sim_route_to_stop_m(w, l, v->next_stop)
		                                         : v->route_m;
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
			dr->drive_left_s =
			        dr->drive_left_s > SIM_STEP_S ? dr->drive_left_s - SIM_STEP_S : 0;
			dr->duty_left_s =
			        dr->duty_left_s > SIM_STEP_S ? dr->duty_left_s - SIM_STEP_S : 0;
			dr->cycle_left_s =
			        dr->cycle_left_s > SIM_STEP_S ? dr->cycle_left_s - SIM_STEP_S : 0;
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
			v->dwell_until = w->now + (detained ? sim_rng_range(&w->rng, 150, 210)
			                                    : sim_rng_range(&w->rng, 20, 40)) *
			                                  60;
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
		double rem = sim_route_to_stop_m(w, l, l->nstops - 1) - v->route_done_m;
		int64_t eta =
		        w->now + (int64_t)(rem > 0 ? rem / (v->cruise_kmh / 3.6 * 0.85) : 0) +
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

void sim_vehicle_parked(struct sim_world *w, uint32_t vi)
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
