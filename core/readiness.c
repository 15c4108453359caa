/* Vehicle readiness: one verdict per unit (ready, limited, held) with every
 * reason. Which reasons hold and which limit is documented in core.h. */
#include <math.h>

#include "internal.h"

int core_driver_hours(const struct wb_driver *d, int64_t planned_drive_s, char *msg, size_t n)
{
	if (msg && n)
		msg[0] = '\0';
	if (planned_drive_s == WB_NULL || planned_drive_s <= 0)
		return 0;
	if (!d || d->drive_left_s == WB_NULL || d->duty_left_s == WB_NULL) {
		if (msg)
			snprintf(msg, n, "driver %s: hours of service unknown for a %lld min run",
			         d ? cstr(d->meta.id) : "?", (long long)(planned_drive_s / 60));
		return 2;
	}
	/* Driving also spends on-duty and cycle time, so every clock must cover it. */
	const struct {
		const char *name;
		int64_t left;
	} clocks[] = {
	        {"drive", d->drive_left_s}, {"duty", d->duty_left_s}, {"cycle", d->cycle_left_s}};
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		if (clocks[i].left == WB_NULL || clocks[i].left >= planned_drive_s)
			continue;
		if (msg)
			snprintf(msg, n,
			         "driver %s: %s time left %lld min < planned drive %lld min",
			         cstr(d->meta.id), clocks[i].name, (long long)(clocks[i].left / 60),
			         (long long)(planned_drive_s / 60));
		return 1;
	}
	return 0;
}

/* The work order a hold points at, or NULL. */
static const struct wb_work_order *hold_wo(const struct core_readiness_input *in,
                                           const struct core_hold *h)
{
	if (!h->work_order_id)
		return NULL;
	for (size_t i = 0; i < in->nwork_orders; i++)
		if (cstreq(in->work_orders[i].meta.id, h->work_order_id))
			return &in->work_orders[i];
	return NULL;
}

/* A supervisor override covering this fault or work order, or NULL. */
static const struct core_hold *override_for(const struct core_readiness_input *in,
                                            const char *fault_id, const char *wo_id)
{
	for (size_t i = 0; i < in->nholds; i++) {
		const struct core_hold *h = &in->holds[i];
		if (!h->overridden_by || !cstreq(h->vehicle_id, in->vehicle->meta.id))
			continue;
		if ((fault_id && cstreq(h->fault_id, fault_id)) ||
		    (wo_id && cstreq(h->work_order_id, wo_id)))
			return h;
	}
	return NULL;
}

/* A fault is repaired when a work order for it closed after it was last seen;
 * one seen again after the repair is a new occurrence. */
static int fault_repaired(const struct core_readiness_input *in, const struct wb_fault *f)
{
	for (size_t i = 0; i < in->nwork_orders; i++) {
		const struct wb_work_order *w = &in->work_orders[i];
		if (cstreq(w->fault_id, f->meta.id) && cstreq(w->status, "closed") &&
		    w->closed_at != WB_NULL &&
		    (f->last_seen == WB_NULL || w->closed_at >= f->last_seen))
			return 1;
	}
	return 0;
}

static void check_faults(const struct core_readiness_input *in, struct core_reasons *rs)
{
	const char *vid = in->vehicle->meta.id;
	for (size_t i = 0; i < in->nfaults; i++) {
		const struct wb_fault *f = &in->faults[i];
		if (!cstreq(f->vehicle_id, vid) || f->active != 1 || f->meta.deleted)
			continue;
		int crit = cstreq(f->severity, "critical");
		if (!crit && !cstreq(f->severity, "major"))
			continue;
		if (fault_repaired(in, f))
			continue;
		const struct core_hold *ov = override_for(in, f->meta.id, NULL);
		char t[8];
		if (ov)
			reasons_add(rs, CORE_R_HOLD_OVERRIDDEN, 0,
			            "fault %s (%s) overridden by %s: %s", cstr(f->code),
			            f->severity, ov->overridden_by, cstr(ov->override_reason));
		else
			reasons_add(rs, crit ? CORE_R_FAULT_CRITICAL : CORE_R_FAULT_MAJOR, 1,
			            "fault %s (%s) active since %s%s%s", cstr(f->code), f->severity,
			            hhmm(f->first_seen, t, sizeof(t)), f->description ? ": " : "",
			            f->description ? f->description : "");
	}
}

static void check_inspection(const struct core_readiness_input *in, struct core_reasons *rs)
{
	const struct wb_inspection *latest = NULL;
	for (size_t i = 0; i < in->ninspections; i++) {
		const struct wb_inspection *s = &in->inspections[i];
		if (!cstreq(s->vehicle_id, in->vehicle->meta.id) || s->at == WB_NULL ||
		    s->meta.deleted)
			continue;
		if (!latest || s->at > latest->at)
			latest = s;
	}
	if (latest && latest->safe == 0) {
		char t[8];
		reasons_add(rs, CORE_R_INSPECTION_UNSAFE, 1, "%s inspection at %s unsafe: %s",
		            cstr(latest->kind), hhmm(latest->at, t, sizeof(t)),
		            latest->defects && *latest->defects ? latest->defects
		                                                : "defects not listed");
	}
}

static void check_work_orders_and_holds(const struct core_readiness_input *in,
                                        struct core_reasons *rs)
{
	const char *vid = in->vehicle->meta.id;
	for (size_t i = 0; i < in->nwork_orders; i++) {
		const struct wb_work_order *w = &in->work_orders[i];
		if (!cstreq(w->vehicle_id, vid) || !cstreq(w->category, "corrective") ||
		    w->meta.deleted)
			continue;
		if (cstreq(w->status, "closed"))
			continue;
		const struct core_hold *ov = override_for(in, w->fault_id, w->meta.id);
		if (ov)
			reasons_add(rs, CORE_R_HOLD_OVERRIDDEN, 0,
			            "work order %s (%s) overridden by %s: %s", cstr(w->meta.id),
			            cstr(w->status), ov->overridden_by, cstr(ov->override_reason));
		else
			reasons_add(rs, CORE_R_WORK_ORDER_OPEN, 1, "corrective work order %s %s",
			            cstr(w->meta.id), cstr(w->status));
	}
	for (size_t i = 0; i < in->nholds; i++) {
		const struct core_hold *h = &in->holds[i];
		if (!cstreq(h->vehicle_id, vid))
			continue;
		if (core_hold_state(h, hold_wo(in, h)) == CORE_HOLD_ACTIVE)
			reasons_add(rs, CORE_R_MAINT_HOLD, 1, "on maintenance hold%s%s",
			            h->work_order_id ? " until work order " : "",
			            h->work_order_id ? h->work_order_id : "");
	}
}

void core_vehicle_readiness(const struct core_readiness_input *in, struct core_readiness *out)
{
	struct core_reasons *rs = &out->why;
	reasons_clear(rs);
	out->state = CORE_READY;
	const struct wb_vehicle *v = in->vehicle;
	if (!v) {
		reasons_add(rs, CORE_R_NO_VEHICLE, 1, "no vehicle");
		out->state = CORE_HELD;
		return;
	}
	if (cstreq(v->status, "out_of_service") || cstreq(v->status, "in_shop"))
		reasons_add(rs, CORE_R_OUT_OF_SERVICE, 1, "vehicle %s is %s", cstr(v->unit),
		            v->status);
	check_faults(in, rs);
	check_inspection(in, rs);
	check_work_orders_and_holds(in, rs);
	if (!isnan(v->odometer_m) && !isnan(v->pm_due_odometer_m) &&
	    v->odometer_m > v->pm_due_odometer_m)
		reasons_add(
		        rs, CORE_R_PM_OVERDUE, 0,
		        "preventive maintenance due at %.0f km, odometer %.0f km (%.0f km over)",
		        v->pm_due_odometer_m / 1000, v->odometer_m / 1000,
		        (v->odometer_m - v->pm_due_odometer_m) / 1000);
	if (cstreq(v->status, "in_transit"))
		reasons_add(rs, CORE_R_IN_TRANSIT, 0, "vehicle %s is in transit", cstr(v->unit));
	char msg[CORE_REASON_MSG];
	int h = core_driver_hours(in->driver, in->planned_drive_s, msg, sizeof(msg));
	if (h)
		reasons_add(rs, h == 1 ? CORE_R_DRIVER_HOURS_SHORT : CORE_R_DRIVER_HOURS_UNKNOWN, 0,
		            "%s", msg);
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->r[i].hard) {
			out->state = CORE_HELD;
			break;
		}
		out->state = CORE_LIMITED;
	}
}
