/* The judging functions: facts -> core input -> core verdict, with the
 * configured policy. The console, the CLI and the workflow pass all decide
 * here, so a truck or an invoice cannot be judged two ways. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "app/app.h"
#include "core/core_policy.h"
#include "settings/settings.h"

const struct core_policy *app_policy(const struct settings *s)
{
	return s ? &s->policy_rules : core_policy_default();
}

bool app_allowed(int role, enum core_action act, const struct wb_exception *x, char *why,
                 size_t len)
{
	if (role < 0 || role >= CORE_ROLE__COUNT) {
		if (why && len)
			snprintf(why, len, "read-only until a source says who you are");
		return false;
	}
	struct core_permission p = core_role_check((enum core_role)role, act, x);
	if (!p.allowed && why && len)
		snprintf(why, len, "%s", p.why);
	return p.allowed;
}

int app_vehicle_hold(struct cache *c, const struct wb_vehicle *v, app_find_wo_fn find, void *arg,
                     struct app_hold *hold, struct wb_err *err)
{
	memset(hold, 0, sizeof(*hold));
	hold->h.vehicle_id = v->meta.id;
	hold->h.placed_at = WB_NULL;
	hold->h.overridden_at = WB_NULL;
	if (v->on_hold != 1)
		return 0;
	char vsubj[APP_ID + 16], after[1024];
	snprintf(vsubj, sizeof(vsubj), "vehicle:%s", v->meta.id);
	int64_t ours = 0, any = 0;
	int rc = cache_action_last(c, vsubj, "place_hold", APP_SYSTEM_USER, &ours, after,
	                           sizeof(after), err);
	if (rc == WB_ENOTFOUND)
		return 1; /* a hand hold: it stands until someone clears it */
	if (rc < 0)
		return rc;
	if ((rc = cache_action_last(c, vsubj, "place_hold", NULL, &any, NULL, 0, err)) < 0)
		return rc;
	if (any != ours)
		return 1; /* held again by hand since */
	json_error_t je;
	json_t *a = json_loads(after, 0, &je);
	const char *fid = json_string_value(json_object_get(a, "fault_id"));
	const char *prop = json_string_value(json_object_get(a, "work_order_id"));
	snprintf(hold->fault, sizeof(hold->fault), "%s", fid ? fid : "");
	snprintf(hold->wo, sizeof(hold->wo), "%s", prop ? prop : "");
	json_decref(a);
	if (!hold->fault[0])
		return 1;
	hold->h.fault_id = hold->fault;
	hold->h.work_order_id = hold->wo[0] ? hold->wo : NULL;
	struct app_wo o;
	if ((rc = find(arg, v->meta.id, hold->fault, hold->wo, &o, err)) <= 0)
		return rc < 0 ? rc : 1; /* not opened at the source yet: held till it is closed */
	snprintf(hold->wo, sizeof(hold->wo), "%s", o.id);
	if (core_hold_state(&hold->h, &o.w) != CORE_HOLD_CLEARED_WORK_ORDER)
		return 1;
	/* The work order is closed, but the source holds the vehicle until the
	 * clear_hold lands: readiness keeps a plain hold till then. */
	hold->h.work_order_id = NULL;
	hold->wo_closed = 1;
	hold->ours = ours;
	return 1;
}

void app_vehicle_readiness(const struct app_vehicle_facts *f, struct core_readiness *out)
{
	struct core_readiness_input in = {
	        .vehicle = f->vehicle,
	        .faults = f->faults,
	        .nfaults = f->nfaults,
	        .inspections = f->inspections,
	        .ninspections = f->ninspections,
	        .work_orders = f->work_orders,
	        .nwork_orders = f->nwork_orders,
	        .holds = f->hold,
	        .nholds = f->hold ? 1 : 0,
	        .driver = f->driver,
	        .planned_drive_s = f->planned_drive_s,
	};
	core_vehicle_readiness(&in, out);
	out->why.dropped += f->extra;
}

const struct wb_staging *app_newest_staging(const struct wb_staging *rows, size_t n)
{
	/* The one the dock works to: the latest appointment; one without an
	 * appointment only when no other has one (WB_NULL sorts first). */
	const struct wb_staging *st = NULL;
	for (size_t i = 0; i < n; i++)
		if (!rows[i].meta.deleted && (!st || rows[i].appointment_at > st->appointment_at))
			st = &rows[i];
	return st;
}

void app_load_gate(const struct app_load_facts *f, const struct core_policy *pol,
                   struct core_gate *out)
{
	struct core_gate_input gi = {.load = f->load,
	                             .vehicle = f->vehicle,
	                             .driver = f->driver,
	                             .staging = app_newest_staging(f->staging, f->nstaging),
	                             .exceptions = f->exceptions,
	                             .nexceptions = f->nexceptions,
	                             .stage_threshold = NAN};
	core_release_gate(&gi, pol ? pol : core_policy_default(), out);
}

void app_invoice_gate(const struct app_invoice_facts *f, const struct core_policy *pol,
                      struct core_invoice_verdict *out)
{
	struct core_invoice_input in = {.load = f->load,
	                                .invoice = f->invoice,
	                                .pods = f->pods,
	                                .npods = f->npods,
	                                .charges = f->charges,
	                                .ncharges = f->ncharges,
	                                .now = f->now};
	core_invoice_release(&in, pol ? pol : core_policy_default(), out);
}
