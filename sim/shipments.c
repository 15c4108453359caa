/* The ERP's customer shipments (Tryton's stock.shipment.out): one per load of an
 * order, opened when the load is planned, its state following the load as a
 * real ERP's warehouse would see it. The ERP never names our load: a shipment
 * meets it through the order, the way a real ERP's data arrives. */
#include "sim.h"

const char *const sim_shipment_status_names[] = {"draft",  "waiting", "assigned", "picked",
                                                 "packed", "done",    "cancelled"};

/* planned: waiting for a unit, assigned once a vehicle or a subcontractor has it;
 * staged or released: packed at the dock; gone from the depot: done; cancelled. */
static uint8_t status_of(const struct sim_load *l)
{
	switch (l->status) {
	case LS_PLANNED: return l->vehicle >= 0 || l->carrier ? SH_ASSIGNED : SH_WAITING;
	case LS_STAGED:
	case LS_RELEASED: return SH_PACKED;
	case LS_CANCELLED: return SH_CANCELLED;
	default: return SH_DONE;
	}
}

/* What the shipment of load li says now. */
static struct sim_shipment derive(const struct sim_world *w, size_t li)
{
	const struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	const struct sim_stop *last = SIM_ROW(w, STOP, sim_stop, l->first_stop + l->nstops - 1u);
	struct sim_shipment s = {0};
	s.load = (uint32_t)li;
	s.order = l->order;
	s.customer = SIM_ROW(w, ORDER, sim_order, l->order)->customer;
	s.dest_customer = last->customer;
	s.status = status_of(l);
	s.planned_at = l->planned_departure;
	s.effective_at = s.status == SH_DONE ? l->departed_at : 0;
	s.has_carrier = l->vehicle >= 0 || l->carrier;
	s.carrier = l->carrier;
	return s;
}

static int same(const struct sim_shipment *a, const struct sim_shipment *b)
{
	return a->load == b->load && a->order == b->order && a->customer == b->customer &&
	       a->dest_customer == b->dest_customer && a->status == b->status &&
	       a->planned_at == b->planned_at && a->effective_at == b->effective_at &&
	       a->has_carrier == b->has_carrier && a->carrier == b->carrier;
}

/* Copies the fields, never the row's meta (its version and place in the log). */
static void put(struct sim_shipment *row, const struct sim_shipment *s)
{
	struct sim_meta m = row->m;
	*row = *s;
	row->m = m;
}

void sim_shipment_open(struct sim_world *w, size_t li)
{
	if (SIM_ROW(w, LOAD, sim_load, li)->shipment1)
		return;
	struct sim_shipment s = derive(w, li);
	long si = sim_add(w, WB_ENT_SHIPMENT);
	if (si < 0)
		return;
	put(SIM_ROW(w, SHIPMENT, sim_shipment, (size_t)si), &s);
	SIM_ROW(w, LOAD, sim_load, li)->shipment1 = (uint32_t)si + 1u;
}

void sim_shipment_follow(struct sim_world *w, size_t li)
{
	uint32_t s1 = SIM_ROW(w, LOAD, sim_load, li)->shipment1;
	if (!s1)
		return;
	struct sim_shipment s = derive(w, li);
	struct sim_shipment *row = SIM_ROW(w, SHIPMENT, sim_shipment, s1 - 1u);
	if (row->m.deleted || same(row, &s))
		return;
	put(row, &s);
	(void)sim_touch(w, WB_ENT_SHIPMENT, s1 - 1u);
}
