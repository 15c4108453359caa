/* The dispatch release gate: every condition, the staging threshold boundary,
 * and the supervisor override (reason needed, hard reasons never overridden). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/core.h"
#include "core/core_policy.h"

struct world {
	struct wb_load l;
	struct core_readiness r;
	struct wb_driver d;
	struct wb_staging s;
	struct wb_exception x;
	int has_r, has_d, has_s, has_x;
	double threshold;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	wb_entity_clear(WB_ENT_LOAD, &w->l);
	w->l.meta.id = "L-1042";
	w->l.status = "staged";
	w->l.vehicle_id = "T-17";
	w->l.driver_id = "D-1";
	w->l.pallets = 20;
	w->l.planned_drive_s = 4 * 3600;
	w->r.state = CORE_READY;
	wb_entity_clear(WB_ENT_DRIVER, &w->d);
	w->d.meta.id = "D-1";
	w->d.drive_left_s = 8 * 3600;
	w->d.duty_left_s = 10 * 3600;
	wb_entity_clear(WB_ENT_STAGING, &w->s);
	w->s.load_id = "L-1042";
	w->s.dock_door = "D4";
	w->s.pallets_staged = 20;
	w->s.pallets_total = 20;
	w->s.labor_ready = 1;
	wb_entity_clear(WB_ENT_EXCEPTION, &w->x);
	w->x.meta.id = "X-partial_shipment-L-1042";
	w->x.kind = "partial_shipment";
	w->x.subject_kind = "load";
	w->x.subject_id = "L-1042";
	w->x.severity = "major";
	w->x.status = "open";
	w->has_r = w->has_d = w->has_s = 1;
	w->threshold = NAN;
}

static void run(struct world *w, struct core_gate *g)
{
	struct core_gate_input in = {
	        .load = &w->l,
	        .vehicle = w->has_r ? &w->r : NULL,
	        .driver = w->has_d ? &w->d : NULL,
	        .staging = w->has_s ? &w->s : NULL,
	        .exceptions = &w->x,
	        .nexceptions = w->has_x,
	        .stage_threshold = w->threshold,
	};
	core_release_gate(&in, NULL, g);
}

static void limit_vehicle(struct world *w, enum core_reason_code code, int hard)
{
	w->r.state = hard ? CORE_HELD : CORE_LIMITED;
	w->r.why.n = 1;
	w->r.why.r[0] = (struct core_reason){code, hard, "from readiness"};
}

enum setup {
	S_OK,
	S_RELEASED,
	S_CANCELLED,
	S_NO_VEHICLE_ID,
	S_NO_READINESS,
	S_HELD,
	S_LIMITED_PM,
	S_NO_DRIVER_ID,
	S_DRIVER_UNKNOWN,
	S_HOURS_SHORT,
	S_HOURS_UNKNOWN,
	S_NO_STAGING,
	S_NO_DOOR,
	S_UNDER_19_20,
	S_EXACT_THRESHOLD_80,
	S_UNDER_THRESHOLD_80,
	S_TOTAL_FROM_LOAD,
	S_TOTAL_UNKNOWN,
	S_LABOR,
	S_LABOR_UNKNOWN,
	S_EXC_BLOCKING,
	S_EXC_CRITICAL_SEVERITY,
	S_EXC_NONBLOCKING_KIND,
	S_EXC_RESOLVED,
	S_EXC_OTHER_LOAD,
	S_EXC_ESCALATED,
	S_READINESS_HOURS_SKIPPED,
};

static const struct gcase {
	const char *name;
	enum setup setup;
	enum core_gate_state state;
	int reason; /* expected code, -1 none */
	int hard;   /* expected hardness of that reason */
} cases[] = {
        {"everything staged passes", S_OK, CORE_GATE_PASS, -1, 0},
        {"released load is not releasable", S_RELEASED, CORE_GATE_FAIL, CORE_R_LOAD_STATUS, 1},
        {"cancelled load is not releasable", S_CANCELLED, CORE_GATE_FAIL, CORE_R_LOAD_STATUS, 1},
        {"no vehicle on load", S_NO_VEHICLE_ID, CORE_GATE_FAIL, CORE_R_NO_VEHICLE, 1},
        {"vehicle readiness unknown", S_NO_READINESS, CORE_GATE_FAIL, CORE_R_NO_VEHICLE, 1},
        {"held vehicle fails hard", S_HELD, CORE_GATE_FAIL, CORE_R_FAULT_CRITICAL, 1},
        {"limited vehicle fails soft", S_LIMITED_PM, CORE_GATE_FAIL, CORE_R_PM_OVERDUE, 0},
        {"no driver on load", S_NO_DRIVER_ID, CORE_GATE_FAIL, CORE_R_NO_DRIVER, 1},
        {"driver row unknown", S_DRIVER_UNKNOWN, CORE_GATE_FAIL, CORE_R_NO_DRIVER, 1},
        {"driver hours short fails hard", S_HOURS_SHORT, CORE_GATE_FAIL, CORE_R_DRIVER_HOURS_SHORT,
         1},
        {"driver hours unknown fails soft", S_HOURS_UNKNOWN, CORE_GATE_FAIL,
         CORE_R_DRIVER_HOURS_UNKNOWN, 0},
        {"no staging record", S_NO_STAGING, CORE_GATE_FAIL, CORE_R_NO_STAGING, 0},
        {"no dock door", S_NO_DOOR, CORE_GATE_FAIL, CORE_R_NO_DOCK_DOOR, 0},
        {"19 of 20 pallets at default 100%", S_UNDER_19_20, CORE_GATE_FAIL, CORE_R_UNDER_STAGED, 0},
        {"16 of 20 at 80% threshold passes", S_EXACT_THRESHOLD_80, CORE_GATE_PASS, -1, 0},
        {"15 of 20 at 80% threshold fails", S_UNDER_THRESHOLD_80, CORE_GATE_FAIL,
         CORE_R_UNDER_STAGED, 0},
        {"staging total falls back to load pallets", S_TOTAL_FROM_LOAD, CORE_GATE_FAIL,
         CORE_R_UNDER_STAGED, 0},
        {"pallet total unknown fails", S_TOTAL_UNKNOWN, CORE_GATE_FAIL, CORE_R_UNDER_STAGED, 0},
        {"labor not ready", S_LABOR, CORE_GATE_FAIL, CORE_R_LABOR_NOT_READY, 0},
        {"labor readiness unknown is not ready", S_LABOR_UNKNOWN, CORE_GATE_FAIL,
         CORE_R_LABOR_NOT_READY, 0},
        {"open blocking exception", S_EXC_BLOCKING, CORE_GATE_FAIL, CORE_R_BLOCKING_EXCEPTION, 0},
        {"critical exception blocks whatever its kind", S_EXC_CRITICAL_SEVERITY, CORE_GATE_FAIL,
         CORE_R_BLOCKING_EXCEPTION, 0},
        {"late_eta exception does not block", S_EXC_NONBLOCKING_KIND, CORE_GATE_PASS, -1, 0},
        {"resolved exception does not block", S_EXC_RESOLVED, CORE_GATE_PASS, -1, 0},
        {"another load's exception ignored", S_EXC_OTHER_LOAD, CORE_GATE_PASS, -1, 0},
        {"escalated exception still blocks", S_EXC_ESCALATED, CORE_GATE_FAIL,
         CORE_R_BLOCKING_EXCEPTION, 0},
        {"readiness driver hours not counted twice", S_READINESS_HOURS_SKIPPED, CORE_GATE_PASS, -1,
         0},
};

static void setup(struct world *w, enum setup s)
{
	world_init(w);
	switch (s) {
	case S_OK: break;
	case S_RELEASED: w->l.status = "released"; break;
	case S_CANCELLED: w->l.status = "cancelled"; break;
	case S_NO_VEHICLE_ID: w->l.vehicle_id = NULL; break;
	case S_NO_READINESS: w->has_r = 0; break;
	case S_HELD: limit_vehicle(w, CORE_R_FAULT_CRITICAL, 1); break;
	case S_LIMITED_PM: limit_vehicle(w, CORE_R_PM_OVERDUE, 0); break;
	case S_NO_DRIVER_ID: w->l.driver_id = NULL; break;
	case S_DRIVER_UNKNOWN: w->has_d = 0; break;
	case S_HOURS_SHORT: w->l.planned_drive_s = 9 * 3600; break;
	case S_HOURS_UNKNOWN: w->d.duty_left_s = WB_NULL; break;
	case S_NO_STAGING: w->has_s = 0; break;
	case S_NO_DOOR: w->s.dock_door = " "; break;
	case S_UNDER_19_20: w->s.pallets_staged = 19; break;
	case S_EXACT_THRESHOLD_80:
		w->s.pallets_staged = 16;
		w->threshold = 0.8;
		break;
	case S_UNDER_THRESHOLD_80:
		w->s.pallets_staged = 15;
		w->threshold = 0.8;
		break;
	case S_TOTAL_FROM_LOAD:
		w->s.pallets_total = WB_NULL;
		w->l.pallets = 24;
		break;
	case S_TOTAL_UNKNOWN:
		w->s.pallets_total = WB_NULL;
		w->l.pallets = WB_NULL;
		break;
	case S_LABOR: w->s.labor_ready = 0; break;
	case S_LABOR_UNKNOWN: w->s.labor_ready = WB_NULL; break;
	case S_EXC_BLOCKING: w->has_x = 1; break;
	case S_EXC_CRITICAL_SEVERITY:
		w->has_x = 1;
		w->x.kind = "late_eta";
		w->x.severity = "critical";
		break;
	case S_EXC_NONBLOCKING_KIND:
		w->has_x = 1;
		w->x.kind = "late_eta";
		break;
	case S_EXC_RESOLVED:
		w->has_x = 1;
		w->x.status = "resolved";
		break;
	case S_EXC_OTHER_LOAD:
		w->has_x = 1;
		w->x.subject_id = "L-9";
		break;
	case S_EXC_ESCALATED:
		w->has_x = 1;
		w->x.status = "escalated";
		break;
	case S_READINESS_HOURS_SKIPPED: limit_vehicle(w, CORE_R_DRIVER_HOURS_SHORT, 0); break;
	}
}

static void test_case(void **state)
{
	const struct gcase *c = *state;
	struct world w;
	struct core_gate g;
	setup(&w, c->setup);
	run(&w, &g);
	const struct core_reason *found = NULL;
	for (size_t i = 0; i < g.why.n; i++)
		if ((int)g.why.r[i].code == c->reason)
			found = &g.why.r[i];
	int ok = g.state == c->state &&
	         (c->reason < 0 ? g.why.n == 0 : found && found->hard == c->hard);
	if (!ok)
		fail_msg("case \"%s\": expected %s with %s (%s), got %s with %zu reason(s)%s%s",
		         c->name, core_gate_state_name(c->state),
		         c->reason < 0 ? "no reason"
		                       : core_reason_label((enum core_reason_code)c->reason),
		         c->hard ? "hard" : "soft", core_gate_state_name(g.state), g.why.n,
		         g.why.n ? ": " : "", g.why.n ? g.why.r[0].msg : "");
}

static void test_every_failure_named(void **state)
{
	(void)state;
	struct world w;
	struct core_gate g;
	world_init(&w);
	limit_vehicle(&w, CORE_R_IN_TRANSIT, 0);
	w.s.dock_door = NULL;
	w.s.pallets_staged = 12;
	w.s.labor_ready = 0;
	w.has_x = 1;
	run(&w, &g);
	assert_int_equal(g.state, CORE_GATE_FAIL);
	assert_int_equal(g.why.n, 5);
	assert_true(core_reasons_has(&g.why, CORE_R_IN_TRANSIT));
	assert_true(core_reasons_has(&g.why, CORE_R_NO_DOCK_DOOR));
	assert_true(core_reasons_has(&g.why, CORE_R_UNDER_STAGED));
	assert_true(core_reasons_has(&g.why, CORE_R_LABOR_NOT_READY));
	assert_true(core_reasons_has(&g.why, CORE_R_BLOCKING_EXCEPTION));
	for (size_t i = 0; i < g.why.n; i++)
		if (g.why.r[i].code == CORE_R_UNDER_STAGED)
			assert_string_equal(g.why.r[i].msg,
			                    "12 of 20 pallets staged (60%), needs 100%");
}

static void test_override(void **state)
{
	(void)state;
	struct world w;
	struct core_gate g;
	struct wb_err err = {0};
	world_init(&w);
	w.s.pallets_staged = 18;
	run(&w, &g);
	assert_int_equal(g.state, CORE_GATE_FAIL);
	assert_int_equal(
	        core_gate_override(&g, CORE_ROLE_DISPATCHER, "J. Silva", "customer asked", &err),
	        WB_EDENIED);
	assert_non_null(strstr(err.msg, "needs supervisor"));
	assert_int_equal(core_gate_override(&g, CORE_ROLE_VIEWER, "V", "x", &err), WB_EDENIED);
	assert_int_equal(core_gate_override(&g, CORE_ROLE_SUPERVISOR, "S. Park", "", &err),
	                 WB_EINVALID);
	assert_non_null(strstr(err.msg, "needs a reason"));
	assert_int_equal(core_gate_override(&g, CORE_ROLE_SUPERVISOR, "S. Park", "  \t ", &err),
	                 WB_EINVALID);
	assert_int_equal(core_gate_override(&g, CORE_ROLE_SUPERVISOR, NULL, "ok", &err),
	                 WB_EINVALID);
	assert_int_equal(g.state, CORE_GATE_FAIL);
	assert_int_equal(g.must_audit, 0);
	assert_int_equal(core_gate_override(&g, CORE_ROLE_SUPERVISOR, "S. Park",
	                                    "  two pallets follow on L-1050 ", &err),
	                 0);
	assert_int_equal(g.state, CORE_GATE_OVERRIDDEN);
	assert_int_equal(g.must_audit, 1);
	assert_string_equal(g.override_by, "S. Park");
	assert_string_equal(g.override_reason, "two pallets follow on L-1050");
	assert_true(core_reasons_has(&g.why, CORE_R_UNDER_STAGED)); /* kept for the audit row */
}

static void test_override_refused_on_hard(void **state)
{
	(void)state;
	struct world w;
	struct core_gate g;
	struct wb_err err = {0};
	world_init(&w);
	limit_vehicle(&w, CORE_R_FAULT_CRITICAL, 1);
	run(&w, &g);
	assert_int_equal(core_gate_override(&g, CORE_ROLE_SUPERVISOR, "S. Park", "urgent", &err),
	                 WB_EDENIED);
	assert_non_null(strstr(err.msg, "cannot override"));
	assert_int_equal(g.state, CORE_GATE_FAIL);
	world_init(&w);
	w.l.planned_drive_s = 12 * 3600;
	run(&w, &g);
	assert_int_equal(core_gate_override(&g, CORE_ROLE_SUPERVISOR, "S. Park", "urgent", &err),
	                 WB_EDENIED);
}

static void test_override_on_pass_refused(void **state)
{
	(void)state;
	struct world w;
	struct core_gate g;
	struct wb_err err = {0};
	world_init(&w);
	run(&w, &g);
	assert_int_equal(g.state, CORE_GATE_PASS);
	assert_int_equal(core_gate_override(&g, CORE_ROLE_SUPERVISOR, "S. Park", "x", &err),
	                 WB_EINVALID);
}

static void test_policy_blocks_release(void **state)
{
	(void)state;
	struct core_policy p;
	core_policy_init_default(&p);
	p.kind[CORE_KIND_LATE_ETA].blocks_release = 1;
	struct world w;
	struct core_gate g;
	setup(&w, S_EXC_NONBLOCKING_KIND);
	struct core_gate_input in = {.load = &w.l,
	                             .vehicle = &w.r,
	                             .driver = &w.d,
	                             .staging = &w.s,
	                             .exceptions = &w.x,
	                             .nexceptions = 1,
	                             .stage_threshold = NAN};
	core_release_gate(&in, &p, &g);
	assert_int_equal(g.state, CORE_GATE_FAIL);
	assert_true(core_reasons_has(&g.why, CORE_R_BLOCKING_EXCEPTION));
}

int main(void)
{
	enum { NCASES = sizeof(cases) / sizeof(cases[0]), NFIX = 5 };
	struct CMUnitTest tests[NCASES + NFIX] = {
	        cmocka_unit_test(test_every_failure_named),
	        cmocka_unit_test(test_override),
	        cmocka_unit_test(test_override_refused_on_hard),
	        cmocka_unit_test(test_override_on_pass_refused),
	        cmocka_unit_test(test_policy_blocks_release),
	};
	for (size_t i = 0; i < NCASES; i++)
		tests[NFIX + i] = (struct CMUnitTest){cases[i].name, test_case, NULL, NULL,
		                                      (void *)&cases[i]};
	return _cmocka_run_group_tests("core_gate", tests, NCASES + NFIX, NULL, NULL);
}
