/* The generated world: depots, customers, vehicles, drivers and the loads the
 * depot tenders over a day. sim_world_init builds the fleet, then runs the
 * simulated clock from 14 hours before the start time, so the world at start
 * holds a day's history (delivered, PODded, invoiced loads) made by the same
 * rules that drive it afterwards. Everything derives from the seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define DEFAULT_START 1741341600 /* 2025-03-07T10:00:00Z */
#define ROAD_FACTOR 1.25

static const double depot_ll[][2] = {
        {51.9225, 4.4792}, {52.3676, 4.9041}, {51.4416, 5.4697}, {52.0907, 5.1214},
        {50.8503, 4.3517}, {51.2194, 4.4025}, {53.2194, 6.5665}, {51.5719, 4.7683},
};
#define NDEPOT_LL (sizeof depot_ll / sizeof depot_ll[0])

double sim_depot_lat(int depot)
{
	return depot_ll[(size_t)depot % NDEPOT_LL][0] + 0.05 * (depot / (int)NDEPOT_LL);
}
double sim_depot_lon(int depot)
{
	return depot_ll[(size_t)depot % NDEPOT_LL][1];
}

double sim_dist_m(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371000.0, d2r = M_PI / 180.0;
	double dlat = (lat2 - lat1) * d2r, dlon = (lon2 - lon1) * d2r;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	           cos(lat1 * d2r) * cos(lat2 * d2r) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

static double bearing(double lat1, double lon1, double lat2, double lon2)
{
	const double d2r = M_PI / 180.0;
	double y = sin((lon2 - lon1) * d2r) * cos(lat2 * d2r);
	double x = cos(lat1 * d2r) * sin(lat2 * d2r) -
	           sin(lat1 * d2r) * cos(lat2 * d2r) * cos((lon2 - lon1) * d2r);
	double b = atan2(y, x) / d2r;
	return b < 0 ? b + 360.0 : b;
}

/* Where a vehicle is after driving along_m road metres of load l's route:
 * depot, each drop in turn, back to the depot. */
void sim_stop_pos(const struct sim_world *w, const struct sim_load *l, double along_m, double *lat,
                  double *lon, double *heading)
{
	double plat = sim_depot_lat(l->depot), plon = sim_depot_lon(l->depot);
	double left = along_m / ROAD_FACTOR;
	for (int k = 1; k <= l->nstops; k++) {
		double nlat, nlon;
		if (k < l->nstops) {
			const struct sim_stop *s =
			        SIM_ROW(w, STOP, sim_stop, l->first_stop + (uint32_t)k);
			nlat = s->lat;
			nlon = s->lon;
		} else {
			nlat = sim_depot_lat(l->depot);
			nlon = sim_depot_lon(l->depot);
		}
		double seg = sim_dist_m(plat, plon, nlat, nlon);
		if (left <= seg || k == l->nstops) {
			double f = seg > 0 ? fmin(1.0, left / seg) : 1.0;
			*lat = plat + (nlat - plat) * f;
			*lon = plon + (nlon - plon) * f;
			*heading = bearing(plat, plon, nlat, nlon);
			return;
		}
		left -= seg;
		plat = nlat;
		plon = nlon;
	}
	*lat = plat;
	*lon = plon;
	*heading = 0;
}

static void new_customer(struct sim_world *w, int depot)
{
	long i = sim_add(w, WB_ENT_CUSTOMER);
	if (i < 0)
		return;
	struct sim_customer *c = SIM_ROW(w, CUSTOMER, sim_customer, (size_t)i);
	double r_km = 8 + sim_rng_unit(&w->rng) * 55, ang = sim_rng_unit(&w->rng) * 2 * M_PI;
	c->lat = (float)(sim_depot_lat(depot) + r_km / 111.0 * cos(ang));
	c->lon = (float)(sim_depot_lon(depot) +
	                 r_km / (111.0 * cos(sim_depot_lat(depot) * M_PI / 180)) * sin(ang));
	static const uint8_t terms[] = {14, 30, 30, 45, 60};
	c->terms_days = terms[sim_rng_range(&w->rng, 0, 4)];
	c->credit_limit = (float)(sim_rng_range(&w->rng, 2, 40) * 5000);
}

static void new_vehicle(struct sim_world *w, int depot, int kind)
{
	long i = sim_add(w, WB_ENT_VEHICLE);
	if (i < 0)
		return;
	struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)i);
	v->kind = (uint8_t)kind;
	v->depot = (uint8_t)depot;
	v->status = VS_AVAILABLE;
	v->load = -1;
	v->lat = sim_depot_lat(depot) + (sim_rng_unit(&w->rng) - 0.5) * 0.002;
	v->lon = sim_depot_lon(depot) + (sim_rng_unit(&w->rng) - 0.5) * 0.002;
	v->odometer_m = (double)sim_rng_range(&w->rng, 20000, 900000) * 1000.0;
	/* about one in eight is past its preventive-maintenance odometer */
	v->pm_due_odometer_m =
	        v->odometer_m + (double)sim_rng_range(&w->rng, -2500, 40000) * 1000.0;
	v->engine_s = kind == VK_TRAILER ? 0 : (int64_t)(v->odometer_m / 16.0);
	static const float tanks[] = {400, 0, 90, 200};
	static const uint8_t cruise[] = {78, 0, 70, 72};
	v->tank_l = tanks[kind];
	v->fuel_pct = kind == VK_TRAILER ? 0 : (float)sim_rng_range(&w->rng, 35, 100);
	v->cruise_kmh = (uint8_t)(cruise[kind] - sim_rng_range(&w->rng, 0, 8));
	v->last_seen_ms = w->now * 1000;
}

static void new_driver(struct sim_world *w, int depot)
{
	long i = sim_add(w, WB_ENT_DRIVER);
	if (i < 0)
		return;
	struct sim_driver *d = SIM_ROW(w, DRIVER, sim_driver, (size_t)i);
	d->depot = (uint8_t)depot;
	d->status = DS_OFF_DUTY;
	d->vehicle = -1;
	d->drive_left_s = 11 * 3600 - sim_rng_range(&w->rng, 0, 4) * 1800;
	d->duty_left_s = 14 * 3600 - sim_rng_range(&w->rng, 0, 4) * 1800;
	d->cycle_left_s = 70 * 3600 - sim_rng_range(&w->rng, 0, 110) * 1800;
}

static void add_charge(struct sim_world *w, uint32_t load, int code, float rated, int origin)
{
	long c = sim_add(w, WB_ENT_CHARGE);
	if (c < 0)
		return;
	struct sim_charge *ch = SIM_ROW(w, CHARGE, sim_charge, (size_t)c);
	ch->load = load;
	ch->code = (uint8_t)code;
	ch->rated_amount = rated;
	ch->amount = rated;
	ch->origin = (uint8_t)origin;
	/* about one charge in thirty-three is billed above its rate */
	if (sim_rng_unit(&w->rng) < 0.03)
		ch->amount = (float)round(rated * (1.15 + sim_rng_unit(&w->rng) * 0.4) * 100) / 100;
}

long sim_world_new_load(struct sim_world *w, int64_t dep, int64_t now)
{
	struct sim_table *ct = &w->t[WB_ENT_CUSTOMER];
	if (ct->n == 0)
		return -1;
	int depot = sim_rng_range(&w->rng, 0, w->o.depots - 1);
	long oi = sim_add(w, WB_ENT_ORDER), li = sim_add(w, WB_ENT_LOAD);
	if (oi < 0 || li < 0)
		return -1;
	uint32_t cust = (uint32_t)sim_rng_range(&w->rng, 0, (int)ct->n - 1);
	int ndrops = sim_rng_unit(&w->rng) < 0.25 ? 2 : 1;
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
	l->order = (uint32_t)oi;
	l->depot = (uint8_t)depot;
	l->status = LS_PLANNED;
	l->priority = (uint8_t)(sim_rng_unit(&w->rng) < 0.1   ? 1
	                        : sim_rng_unit(&w->rng) < 0.3 ? 3
	                                                      : 2);
	l->vehicle = l->trailer = l->driver = -1;
	l->detention_charge = l->pod = l->invoice = -1;
	l->planned_departure = dep;
	l->tendered_at = now;
	l->pallets = (uint16_t)sim_rng_range(&w->rng, 4, 33);
	l->weight_kg = (float)(l->pallets * sim_rng_range(&w->rng, 250, 700));
	l->nstops = (uint8_t)(1 + ndrops);
	l->next_at = dep - 3 * 3600;

	double plat = sim_depot_lat(depot), plon = sim_depot_lon(depot), dist = 0;
	double t = (double)dep;
	int left = l->pallets;
	for (int k = 0; k < l->nstops; k++) {
		long si = sim_add(w, WB_ENT_STOP);
		if (si < 0)
			return -1;
		l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		if (k == 0)
			l->first_stop = (uint32_t)si;
		struct sim_stop *s = SIM_ROW(w, STOP, sim_stop, (size_t)si);
		s->load = (uint32_t)li;
		s->seq = (uint8_t)(k + 1);
		s->kind = k == 0 ? 0 : 1;
		s->status = SS_PENDING;
		if (k == 0) {
			s->lat = (float)plat;
			s->lon = (float)plon;
			s->customer = cust;
			s->window_start = dep - 3600;
			s->window_end = dep;
			s->pallets_planned = l->pallets;
			continue;
		}
		uint32_t c = k == 1 ? cust : (uint32_t)sim_rng_range(&w->rng, 0, (int)ct->n - 1);
		const struct sim_customer *cu = SIM_ROW(w, CUSTOMER, sim_customer, c);
		s->customer = c;
		s->lat = cu->lat;
		s->lon = cu->lon;
		double leg = sim_dist_m(plat, plon, cu->lat, cu->lon) * ROAD_FACTOR;
		dist += leg;
		t += leg / (60.0 / 3.6) + (k > 1 ? 1800 : 0);
		int64_t ws = ((int64_t)t - 1800) / 1800 * 1800;
		s->window_start = ws;
		s->window_end = ws + (sim_rng_unit(&w->rng) < 0.5 ? 3600 : 7200);
		s->eta = (int64_t)t;
		int p = k == l->nstops - 1 ? left : left / 2;
		s->pallets_planned = (uint16_t)p;
		left -= p;
		plat = cu->lat;
		plon = cu->lon;
	}
	l->distance_m = (float)dist;
	l->planned_drive_s = (int32_t)(dist / (60.0 / 3.6));
	l->eta = (int64_t)t;
	l->revenue = (float)round(180 + dist / 1000.0 * 2.1 + l->pallets * 6.5);
	l->est_cost = (float)round(l->revenue * (0.62 + sim_rng_unit(&w->rng) * 0.25));

	struct sim_order *o = SIM_ROW(w, ORDER, sim_order, (size_t)oi);
	o->customer = cust;
	o->load = (uint32_t)li;
	o->ordered_at = now - sim_rng_range(&w->rng, 1, 72) * 3600;
	o->requested_at = l->eta;
	o->total = l->revenue;

	long gi = sim_add(w, WB_ENT_STAGING);
	if (gi < 0)
		return -1;
	struct sim_staging *g = SIM_ROW(w, STAGING, sim_staging, (size_t)gi);
	g->load = (uint32_t)li;
	g->pallets_total = l->pallets;
	g->dock_door =
	        (uint8_t)(1 + (li % (8 + w->o.vehicles / 10 > 250 ? 250 : 8 + w->o.vehicles / 10)));
	g->appointment_at = dep - 2700;
	g->status = STG_PENDING;
	l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
	l->staging = (uint32_t)gi;
	l->first_charge = (uint32_t)w->t[WB_ENT_CHARGE].n;

	float rev = l->revenue;
	add_charge(w, (uint32_t)li, CC_LINEHAUL, (float)round(rev * 0.82), 0);
	add_charge(w, (uint32_t)li, CC_FUEL, (float)round(rev * 0.12), 0);
	if (sim_rng_unit(&w->rng) < 0.15)
		add_charge(w, (uint32_t)li, CC_TOLL, (float)sim_rng_range(&w->rng, 8, 45), 2);
	if (sim_rng_unit(&w->rng) < 0.08)
		add_charge(w, (uint32_t)li, CC_LUMPER, (float)sim_rng_range(&w->rng, 40, 120), 2);
	l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
	l->ncharges = (uint8_t)(w->t[WB_ENT_CHARGE].n - l->first_charge);
	sim_shipment_open(w, (size_t)li);
	return li;
}

static void initial_maintenance(struct sim_world *w, int64_t now)
{
	size_t nv = w->t[WB_ENT_VEHICLE].n;
	for (size_t v = 0; v < nv; v++) {
		struct sim_vehicle *veh = SIM_ROW(w, VEHICLE, sim_vehicle, v);
		if (veh->kind == VK_TRAILER)
			continue;
		if (sim_rng_unit(&w->rng) < 0.06) {
			long f = sim_add(w, WB_ENT_FAULT);
			if (f < 0)
				return;
			struct sim_fault *fa = SIM_ROW(w, FAULT, sim_fault, (size_t)f);
			fa->vehicle = (uint32_t)v;
			fa->code = (uint8_t)sim_rng_range(&w->rng, 0, sim_fault_count() - 1);
			veh = SIM_ROW(w, VEHICLE, sim_vehicle, v);
			/* J1939 codes on heavy units, OBD-II on vans */
			while ((veh->kind == VK_VAN) != (sim_fault_code(fa->code)[0] == 'P'))
				fa->code = (uint8_t)((fa->code + 1) % sim_fault_count());
			fa->first_seen = now - sim_rng_range(&w->rng, 600, 40000);
			fa->last_seen = now;
			fa->active = 1;
		}
	}
}

int sim_world_init(struct sim_world *w, const struct sim_opts *o)
{
	memset(w, 0, sizeof *w);
	w->o = *o;
	if (w->o.depots < 1)
		w->o.depots = 1;
	if (w->o.vehicles < 1)
		w->o.vehicles = 1;
	if (w->o.loads_per_day < 1)
		w->o.loads_per_day = 1;
	if (w->o.retain_changes == 0)
		w->o.retain_changes = 1000000;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&w->changed, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		return -1;
	}
	sim_tables_init(w);
	w->rng = o->seed ^ 0x5deece66dULL;
	w->t0 = o->start_time ? o->start_time : DEFAULT_START;
	w->now = w->t0 - 14 * 3600;
	w->day_start = w->now - w->now % 86400;
	w->pos_cap = (size_t)w->o.vehicles * 24 > 65536 ? (size_t)w->o.vehicles * 24 : 65536;
	w->pos = calloc(w->pos_cap, sizeof *w->pos);
	if (!w->pos)
		return -1;

	int ncust = w->o.loads_per_day / 6 < 20 ? 20 : w->o.loads_per_day / 6;
	for (int i = 0; i < ncust; i++)
		new_customer(w, i % w->o.depots);
	int npowered = 0;
	for (int i = 0; i < w->o.vehicles; i++) {
		int r = i % 20, kind = r < 9    ? VK_TRACTOR
		                       : r < 14 ? VK_TRAILER
		                       : r < 18 ? VK_VAN
		                                : VK_RIGID;
		new_vehicle(w, i % w->o.depots, kind);
		npowered += kind != VK_TRAILER;
	}
	for (int i = 0; i < npowered + npowered / 10 + 1; i++)
		new_driver(w, i % w->o.depots);
	initial_maintenance(w, w->now);
	/* The maintenance system's records start from the vehicles as built. */
	for (size_t i = 0; i < w->t[WB_ENT_VEHICLE].n; i++)
		sim_vehicle_maint_follow(w, i);
	w->next_load_at = (double)(w->now + 2 * 3600);
	if (w->t[WB_ENT_VEHICLE].n != (size_t)w->o.vehicles)
		return -1;
	sim_advance_to(w, w->t0);
	sim_ai_scan(w);
	return 0;
}

void sim_world_free(struct sim_world *w)
{
	sim_scenario_free(w);
	sim_ai_free(w);
	sim_tables_free(w);
	free(w->pos);
	w->pos = NULL;
	pthread_cond_destroy(&w->changed);
	pthread_mutex_destroy(&w->mu);
}
