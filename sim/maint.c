/* Maintenance in the sim: faults appear on powered units at a steady rate,
 * minor ones clear themselves, the shop proposes work orders for preventive
 * maintenance due and for critical faults, and works them through to closed
 * (the unit is in_shop meanwhile; its part reservations are consumed). */
#include "sim.h"

#define TOUCH(w, E, i) ((void)sim_touch((w), WB_ENT_##E, (size_t)(i)))

void sim_new_fault(struct sim_world *w)
{
	size_t nv = w->t[WB_ENT_VEHICLE].n;
	uint32_t vi = (uint32_t)(sim_rng_next(&w->rng) % nv);
	const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
	if (v->kind == VK_TRAILER)
		return;
	int code = sim_rng_range(&w->rng, 0, sim_fault_count() - 1);
	while ((v->kind == VK_VAN) != (sim_fault_code(code)[0] == 'P'))
		code = (code + 1) % sim_fault_count();
	long fi = sim_add(w, WB_ENT_FAULT);
	if (fi < 0)
		return;
	struct sim_fault *f = SIM_ROW(w, FAULT, sim_fault, (size_t)fi);
	f->vehicle = vi;
	f->code = (uint8_t)code;
	f->first_seen = f->last_seen = w->now;
	f->active = 1;
}

long sim_open_work_order(struct sim_world *w, uint32_t vi, int32_t fault, int category, int status)
{
	long oi = sim_add(w, WB_ENT_WORK_ORDER);
	if (oi < 0)
		return -1;
	struct sim_work_order *o = SIM_ROW(w, WORK_ORDER, sim_work_order, (size_t)oi);
	o->vehicle = vi;
	o->fault = fault;
	o->category = (uint8_t)category;
	o->status = (uint8_t)status;
	o->opened_at = w->now;
	o->due_at = w->now + sim_rng_range(&w->rng, 3, 8) * 3600;
	o->est_cost = (float)(category == WC_PREVENTIVE ? sim_rng_range(&w->rng, 300, 900)
	                                                : sim_rng_range(&w->rng, 400, 4200));
	SIM_ROW(w, VEHICLE, sim_vehicle, vi)->wo_open = 1;
	int nparts = sim_rng_range(&w->rng, 1, 3);
	for (int k = 0; k < nparts; k++) {
		long pi = sim_add(w, WB_ENT_PART_RESERVATION);
		if (pi < 0)
			break;
		struct sim_part_reservation *p =
		        SIM_ROW(w, PART_RESERVATION, sim_part_reservation, (size_t)pi);
		p->wo = (uint32_t)oi;
		p->item = (uint8_t)sim_rng_range(&w->rng, 0, 9);
		p->qty = (uint8_t)sim_rng_range(&w->rng, 1, 4);
		p->status = 0;
	}
	return oi;
}

void sim_maintenance(struct sim_world *w)
{
	struct sim_table *vt = &w->t[WB_ENT_VEHICLE];
	for (size_t i = 0; i < vt->n; i++) {
		struct sim_vehicle *v = sim_row(vt, i);
		if (v->kind != VK_TRAILER && !v->wo_open && v->odometer_m > v->pm_due_odometer_m)
			(void)sim_open_work_order(w, (uint32_t)i, -1, WC_PREVENTIVE, WS_PROPOSED);
	}
	struct sim_table *ft = &w->t[WB_ENT_FAULT];
	for (size_t i = 0; i < ft->n; i++) {
		struct sim_fault *f = sim_row(ft, i);
		if (!f->active)
			continue;
		struct sim_vehicle *fv = SIM_ROW(w, VEHICLE, sim_vehicle, f->vehicle);
		/* the shop notices a critical fault after two hours */
		if (sim_fault_severity(f->code) == 0 && !fv->wo_open &&
		    w->now - f->first_seen > 7200) {
			(void)sim_open_work_order(w, f->vehicle, (int32_t)i, WC_CORRECTIVE,
			                          WS_PROPOSED);
			f = sim_row(ft, i);
		}
		/* minor and info faults clear themselves after a few hours */
		if (sim_fault_severity(f->code) >= 2 &&
		    w->now - f->first_seen > (int64_t)(3600 + sim_hash64(i) % 36000)) {
			f->active = 0;
			f->last_seen = w->now;
			TOUCH(w, FAULT, i);
		}
	}
	struct sim_table *wt = &w->t[WB_ENT_WORK_ORDER];
	for (size_t i = 0; i < wt->n; i++) {
		struct sim_work_order *o = sim_row(wt, i);
		struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, o->vehicle);
		if (o->status == WS_PROPOSED && w->now >= o->opened_at + 3600) {
			o->status = WS_OPEN;
			TOUCH(w, WORK_ORDER, i);
		} else if (o->status == WS_OPEN && v->status == VS_AVAILABLE) {
			o->status = WS_IN_PROGRESS;
			v->status = VS_IN_SHOP;
			TOUCH(w, WORK_ORDER, i);
			TOUCH(w, VEHICLE, o->vehicle);
		} else if (o->status == WS_IN_PROGRESS && w->now >= o->due_at) {
			o->status = WS_CLOSED;
			o->closed_at = w->now;
			v->status = VS_AVAILABLE;
			v->wo_open = 0;
			if (o->category == WC_PREVENTIVE)
				v->pm_due_odometer_m = v->odometer_m + 40000000.0;
			if (o->fault >= 0) {
				struct sim_fault *f =
				        SIM_ROW(w, FAULT, sim_fault, (size_t)o->fault);
				f->active = 0;
				f->last_seen = w->now;
				TOUCH(w, FAULT, o->fault);
			}
			TOUCH(w, WORK_ORDER, i);
			TOUCH(w, VEHICLE, o->vehicle);
			struct sim_table *pt = &w->t[WB_ENT_PART_RESERVATION];
			for (size_t p = 0; p < pt->n;
			     p++) { /* parts consumed: the reservations go */
				struct sim_part_reservation *r = sim_row(pt, p);
				if (r->wo == i && !r->m.deleted)
					(void)sim_delete(w, WB_ENT_PART_RESERVATION, p);
			}
		}
	}
}

const char *const sim_maint_status_names[] = {"available", "in_shop", "out_of_service"};

void sim_vehicle_maint_follow(struct sim_world *w, size_t vi)
{
	struct sim_table *mt = &w->t[WB_ENT_VEHICLE_MAINT];
	while (mt->n <= vi) { /* one record per vehicle, at the vehicle's index */
		size_t k = mt->n;
		if (sim_add(w, WB_ENT_VEHICLE_MAINT) < 0)
			return;
		SIM_ROW(w, VEHICLE_MAINT, sim_vehicle_maint, k)->vehicle = (uint32_t)k;
	}
	const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
	struct sim_vehicle_maint *m = SIM_ROW(w, VEHICLE_MAINT, sim_vehicle_maint, vi);
	uint8_t ms = v->status == VS_IN_SHOP ? 1 : v->status == VS_OUT_OF_SERVICE ? 2 : 0;
	uint8_t reason = v->hold ? v->hold_reason : 0;
	if (m->mstatus == ms && m->hold == v->hold && m->hold_reason == reason &&
	    m->pm_due_odometer_m == v->pm_due_odometer_m)
		return;
	m->mstatus = ms;
	m->hold = v->hold;
	m->hold_reason = reason;
	m->pm_due_odometer_m = v->pm_due_odometer_m;
	TOUCH(w, VEHICLE_MAINT, vi);
}
