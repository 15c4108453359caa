/* Maintenance: a critical or major fault proposes a corrective work order with
 * part reservations from a small table of fault families, and puts the vehicle
 * on hold; the hold clears when the work order closes or by supervisor override. */
#include <ctype.h>

#include "internal.h"

struct part {
	const char *item;
	int64_t qty;
};

/* A pattern ending in '*' matches a family prefix ("P030*": P0300..P0309);
 * otherwise the code must start with it and not continue with a digit
 * ("SPN100" matches "SPN100-FMI1", not "SPN1001"). First match wins. */
static const struct family {
	const char *pattern;
	const char *family;
	double est_cost;
	struct part parts[CORE_MAX_PARTS];
} families[] = {
        {"SPN3031",
         "aftertreatment (DEF/SCR)",
         680,
         {{"DEF tank temperature sensor", 1}, {"DEF filter", 1}}},
        {"SPN3226", "aftertreatment (DEF/SCR)", 920, {{"NOx sensor (outlet)", 1}}},
        {"SPN4364",
         "aftertreatment (DEF/SCR)",
         1450,
         {{"SCR catalyst inspection kit", 1}, {"DEF doser", 1}}},
        {"SPN3251",
         "aftertreatment (DPF)",
         1200,
         {{"DPF differential pressure sensor", 1}, {"DPF cleaning service", 1}}},
        {"SPN3719", "aftertreatment (DPF)", 1600, {{"DPF cleaning service", 1}}},
        {"SPN100",
         "engine oil pressure",
         540,
         {{"oil pressure sender", 1}, {"oil filter", 1}, {"engine oil 15W-40 (L)", 40}}},
        {"SPN110", "engine cooling", 410, {{"thermostat", 1}, {"coolant (L)", 20}}},
        {"SPN157", "fuel system", 620, {{"fuel filter", 2}, {"fuel rail pressure sensor", 1}}},
        {"SPN168", "electrical (battery/charging)", 380, {{"battery 12V group 31", 2}}},
        {"SPN520", "brakes", 750, {{"brake chamber", 1}, {"brake shoes (axle set)", 1}}},
        {"SPN789", "brakes (ABS)", 330, {{"ABS wheel speed sensor", 1}}},
        {"P0087", "fuel system", 620, {{"fuel filter", 1}, {"fuel rail pressure sensor", 1}}},
        {"P020*", "fuel injection", 1100, {{"injector", 1}, {"injector seal kit", 1}}},
        {"P030*", "ignition / misfire", 520, {{"ignition coil", 1}, {"spark plug", 4}}},
        {"P042*", "exhaust (catalyst)", 1300, {{"catalytic converter", 1}}},
        {"P0A*", "hybrid/EV system", 2400, {{"high-voltage diagnostic (h)", 2}}},
        {"C0*", "chassis (ABS/stability)", 330, {{"ABS wheel speed sensor", 1}}},
        {"U0*", "network (CAN)", 260, {{"CAN diagnostic (h)", 1}}},
};

static const struct family unknown_family = {
        "", "unclassified", 450, {{"diagnostic labour (h)", 2}}};

static int code_matches(const char *code, const char *pattern)
{
	size_t n = strlen(pattern);
	int family = n && pattern[n - 1] == '*';
	if (family)
		n--;
	for (size_t i = 0; i < n; i++)
		if (!code[i] || toupper((unsigned char)code[i]) != pattern[i])
			return 0;
	return family || !isdigit((unsigned char)code[n]);
}

static const struct family *family_of(const char *code)
{
	if (code)
		for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
			if (code_matches(code, families[i].pattern))
				return &families[i];
	return &unknown_family;
}

void core_proposal_rebind(struct core_wo_proposal *p)
{
	p->wo.meta.id = p->wo_id;
	p->hold.work_order_id = p->wo_id;
	for (size_t i = 0; i < p->nparts; i++)
		p->parts[i].work_order_id = p->wo_id;
}

int core_maintenance_propose(const struct wb_fault *f, const struct wb_work_order *wos, size_t nwos,
                             int64_t now, struct core_wo_proposal *out)
{
	if (!f || f->active != 1 || f->meta.deleted)
		return 0;
	int crit = cstreq(f->severity, "critical");
	if (!crit && !cstreq(f->severity, "major"))
		return 0;
	for (size_t i = 0; i < nwos; i++) {
		const struct wb_work_order *w = &wos[i];
		if (!cstreq(w->fault_id, f->meta.id) || w->meta.deleted)
			continue;
		if (!cstreq(w->status, "closed"))
			return 0; /* already proposed or in the shop */
		if (w->closed_at != WB_NULL &&
		    (f->last_seen == WB_NULL || w->closed_at >= f->last_seen))
			return 0; /* repaired; telematics has not cleared the code yet */
	}
	memset(out, 0, sizeof(*out));
	const struct family *fam = family_of(f->code);
	snprintf(out->wo_id, sizeof(out->wo_id), "WO-%s", cstr(f->meta.id));
	wb_entity_clear(WB_ENT_WORK_ORDER, &out->wo);
	out->wo.meta.source = "local";
	out->wo.vehicle_id = f->vehicle_id;
	out->wo.fault_id = f->meta.id;
	out->wo.status = "proposed";
	out->wo.category = "corrective";
	out->wo.opened_at = now;
	/* A critical fault grounds the truck today; a major one within three days. */
	out->wo.due_at = sat_add(now, (crit ? 24 : 72) * 3600);
	out->wo.est_cost = fam->est_cost;
	out->family = fam->family;
	for (size_t i = 0; i < CORE_MAX_PARTS && fam->parts[i].item; i++) {
		struct wb_part_reservation *p = &out->parts[out->nparts++];
		wb_entity_clear(WB_ENT_PART_RESERVATION, p);
		p->meta.source = "local";
		p->item = fam->parts[i].item;
		p->qty = fam->parts[i].qty;
		p->status = "reserved";
	}
	out->hold.vehicle_id = f->vehicle_id;
	out->hold.fault_id = f->meta.id;
	out->hold.placed_at = now;
	out->hold.overridden_by = NULL;
	out->hold.override_reason = NULL;
	out->hold.overridden_at = WB_NULL;
	core_proposal_rebind(out);
	snprintf(out->msg, sizeof(out->msg),
	         "%s fault %s (%s) on %s: hold, work order %s, est %.0f", f->severity,
	         cstr(f->code), fam->family, cstr(f->vehicle_id), out->wo_id, fam->est_cost);
	return 1;
}

enum core_hold_state core_hold_state(const struct core_hold *h, const struct wb_work_order *wo)
{
	if (wo && cstreq(wo->status, "closed"))
		return CORE_HOLD_CLEARED_WORK_ORDER;
	if (h->cleared)
		return CORE_HOLD_CLEARED;
	if (h->overridden_by)
		return CORE_HOLD_OVERRIDDEN;
	return CORE_HOLD_ACTIVE;
}

int core_hold_clear(struct core_hold *h, const struct wb_work_order *wo, enum core_role role,
                    struct wb_err *err)
{
	struct core_permission p = core_role_check(role, CORE_ACT_CLEAR_HOLD, NULL);
	if (!p.allowed)
		return wb_fail(err, WB_EDENIED, "clearing the hold on %s refused: %s",
		               cstr(h->vehicle_id), p.why);
	if (h->work_order_id && !(wo && cstreq(wo->status, "closed")))
		return wb_fail(err, WB_EDENIED,
		               "hold on %s stays until work order %s is closed (%s); a supervisor "
		               "may override it",
		               cstr(h->vehicle_id), h->work_order_id,
		               wo ? cstr(wo->status) : "status unknown");
	h->cleared = 1;
	return 0;
}

int core_hold_override(struct core_hold *h, enum core_role role, const char *user,
                       const char *reason, int64_t now, struct wb_err *err)
{
	struct core_permission p = core_role_check(role, CORE_ACT_OVERRIDE_HOLD, NULL);
	if (!p.allowed)
		return wb_fail(err, WB_EDENIED, "override of the hold on %s refused: %s",
		               cstr(h->vehicle_id), p.why);
	if (cstrempty(user))
		return wb_fail(err, WB_EINVALID,
		               "override of the hold on %s needs the supervisor's name",
		               cstr(h->vehicle_id));
	if (cstrempty(reason))
		return wb_fail(err, WB_EINVALID, "override of the hold on %s needs a reason",
		               cstr(h->vehicle_id));
	h->overridden_by = user;
	h->override_reason = reason;
	h->overridden_at = now;
	return 0;
}
