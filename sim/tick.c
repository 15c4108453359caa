/* The simulated clock: each step advances the world SIM_STEP_S seconds of
 * simulated time: a new day resets hours, new loads are tendered, loads move
 * through their lifecycle (loads.c), vehicles drive or stand (drive.c), faults,
 * maintenance, invoices and the AI's scan come round. Every change bumps the
 * row's version. All randomness comes from the world's rng, consumed in a fixed
 * order, so the state at a given simulated time depends only on the seed and the
 * actions applied. */
#include <math.h>
#include <stdlib.h>

#include "sim.h"

#define TOUCH(w, E, i) ((void)sim_touch((w), WB_ENT_##E, (size_t)(i)))

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
		sim_load_step(w, i);
	}
	struct sim_table *vt = &w->t[WB_ENT_VEHICLE];
	for (size_t i = 0; i < vt->n; i++) {
		struct sim_vehicle *v = sim_row(vt, i);
		if (v->kind == VK_TRAILER)
			continue;
		if (v->status == VS_IN_TRANSIT && v->load >= 0)
			sim_vehicle_drive(w, (uint32_t)i);
		else
			sim_vehicle_parked(w, (uint32_t)i);
	}
	size_t npowered = vt->n - vt->n / 4;
	w->fault_acc += (double)npowered * SIM_STEP_S / (5.0 * 86400.0);
	while (w->fault_acc >= 1.0) {
		w->fault_acc -= 1.0;
		sim_new_fault(w);
	}
	if (w->steps % 10 == 0) {
		sim_maintenance(w);
		sim_invoices_step(w);
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
