/* The dispatch release gate, "release when staged": every failing condition is
 * named; a supervisor may override the soft ones with a reason, never the hard
 * ones (a held vehicle, legal driver hours, a load that is not releasable). */
#include <ctype.h>
#include <math.h>

#include "internal.h"
#include "core/core_policy.h"

int core_exception_open(const struct wb_exception *x)
{
	return !x->status || cstreq(x->status, "open") || cstreq(x->status, "acknowledged") ||
	       cstreq(x->status, "escalated");
}

static void check_vehicle(const struct core_gate_input *in, struct core_reasons *rs)
{
	const struct wb_load *l = in->load;
	if (!l->vehicle_id) {
		reasons_add(rs, CORE_R_NO_VEHICLE, 1, "load %s has no vehicle", cstr(l->meta.id));
		return;
	}
	if (!in->vehicle) {
		reasons_add(rs, CORE_R_NO_VEHICLE, 1, "readiness of vehicle %s unknown",
		            l->vehicle_id);
		return;
	}
	/* Readiness reasons are carried over with their own codes, so the console can
	 * say "T-31 held: fault P0087"; held reasons stay hard. Driver hours are checked
	 * below against this load's driver, so readiness' own copy is skipped. */
	for (size_t i = 0; i < in->vehicle->why.n; i++) {
		const struct core_reason *r = &in->vehicle->why.r[i];
		if (r->code == CORE_R_DRIVER_HOURS_SHORT || r->code == CORE_R_DRIVER_HOURS_UNKNOWN)
			continue;
		reasons_add(rs, r->code, r->hard, "vehicle %s %s: %s", l->vehicle_id,
		            core_ready_state_name(in->vehicle->state), r->msg);
	}
	rs->dropped += in->vehicle->why.dropped;
}

static void check_driver(const struct core_gate_input *in, struct core_reasons *rs)
{
	const struct wb_load *l = in->load;
	if (!l->driver_id) {
		reasons_add(rs, CORE_R_NO_DRIVER, 1, "load %s has no driver", cstr(l->meta.id));
		return;
	}
	if (!in->driver) {
		reasons_add(rs, CORE_R_NO_DRIVER, 1, "driver %s unknown", l->driver_id);
		return;
	}
	char msg[CORE_REASON_MSG];
	int h = core_driver_hours(in->driver, l->planned_drive_s, msg, sizeof(msg));
	if (h == 1)
		reasons_add(rs, CORE_R_DRIVER_HOURS_SHORT, 1, "%s", msg);
	else if (h == 2)
		reasons_add(rs, CORE_R_DRIVER_HOURS_UNKNOWN, 0, "%s", msg);
}

static void check_staging(const struct core_gate_input *in, struct core_reasons *rs)
{
	const struct wb_staging *s = in->staging;
	const struct wb_load *l = in->load;
	if (!s) {
		reasons_add(rs, CORE_R_NO_STAGING, 0, "load %s has no staging record",
		            cstr(l->meta.id));
		return;
	}
	if (cstrempty(s->dock_door))
		reasons_add(rs, CORE_R_NO_DOCK_DOOR, 0, "load %s has no dock door",
		            cstr(l->meta.id));
	double th = isnan(in->stage_threshold) ? 1.0 : in->stage_threshold;
	int64_t total =
	        s->pallets_total != WB_NULL && s->pallets_total > 0 ? s->pallets_total : l->pallets;
	int64_t staged = s->pallets_staged == WB_NULL ? 0 : s->pallets_staged;
	if (total == WB_NULL || total <= 0) {
		reasons_add(rs, CORE_R_UNDER_STAGED, 0, "pallet count unknown: %lld staged",
		            (long long)staged);
	} else if ((double)staged < th * (double)total - 1e-9) {
		reasons_add(rs, CORE_R_UNDER_STAGED, 0,
		            "%lld of %lld pallets staged (%.0f%%), needs %.0f%%", (long long)staged,
		            (long long)total, 100.0 * (double)staged / (double)total, 100.0 * th);
	}
	if (s->labor_ready != 1)
		reasons_add(rs, CORE_R_LABOR_NOT_READY, 0, "labor not ready at door %s",
		            s->dock_door ? s->dock_door : "?");
}

static void check_exceptions(const struct core_gate_input *in, const struct core_policy *pol,
                             struct core_reasons *rs)
{
	const char *lid = in->load->meta.id;
	for (size_t i = 0; i < in->nexceptions; i++) {
		const struct wb_exception *x = &in->exceptions[i];
		if (!cstreq(x->subject_kind, "load") || !cstreq(x->subject_id, lid) ||
		    !core_exception_open(x))
			continue;
		int k = core_kind_from_name(x->kind);
		int blocks =
		        cstreq(x->severity, "critical") || (k >= 0 && pol->kind[k].blocks_release);
		if (blocks)
			reasons_add(rs, CORE_R_BLOCKING_EXCEPTION, 0, "exception %s (%s, %s) is %s",
			            cstr(x->meta.id), cstr(x->kind), cstr(x->severity), x->status);
	}
}

void core_release_gate(const struct core_gate_input *in, const struct core_policy *pol,
                       struct core_gate *out)
{
	struct core_reasons *rs = &out->why;
	reasons_clear(rs);
	out->state = CORE_GATE_FAIL;
	out->must_audit = 0;
	out->override_by = NULL;
	out->override_reason[0] = '\0';
	if (!pol)
		pol = core_policy_default();
	const struct wb_load *l = in->load;
	if (!l) {
		reasons_add(rs, CORE_R_LOAD_STATUS, 1, "no load");
		return;
	}
	if (l->status && !cstreq(l->status, "planned") && !cstreq(l->status, "staged"))
		reasons_add(rs, CORE_R_LOAD_STATUS, 1, "load %s is %s", cstr(l->meta.id),
		            l->status);
	check_vehicle(in, rs);
	check_driver(in, rs);
	check_staging(in, rs);
	check_exceptions(in, pol, rs);
	if (rs->n == 0 && rs->dropped == 0)
		out->state = CORE_GATE_PASS;
}

int core_gate_override(struct core_gate *g, enum core_role role, const char *user,
                       const char *reason, struct wb_err *err)
{
	struct core_permission p = core_role_check(role, CORE_ACT_OVERRIDE_GATE, NULL);
	if (!p.allowed)
		return wb_fail(err, WB_EDENIED, "override of the release gate refused: %s", p.why);
	if (g->state == CORE_GATE_PASS)
		return wb_fail(err, WB_EINVALID, "the release gate passes: nothing to override");
	if (cstrempty(user))
		return wb_fail(err, WB_EINVALID,
		               "override of the release gate needs the supervisor's name");
	if (cstrempty(reason))
		return wb_fail(err, WB_EINVALID, "override of the release gate needs a reason");
	for (size_t i = 0; i < g->why.n; i++)
		if (g->why.r[i].hard)
			return wb_fail(err, WB_EDENIED, "cannot override: %s (fix it first)",
			               g->why.r[i].msg);
	while (isspace((unsigned char)*reason))
		reason++;
	snprintf(g->override_reason, sizeof(g->override_reason), "%s", reason);
	for (size_t n = strlen(g->override_reason);
	     n && isspace((unsigned char)g->override_reason[n - 1]); n--)
		g->override_reason[n - 1] = '\0';
	g->state = CORE_GATE_OVERRIDDEN;
	g->override_by = user;
	g->must_audit = 1;
	return 0;
}
