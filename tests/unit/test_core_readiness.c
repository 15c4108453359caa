/* Vehicle readiness: every reason, and which ones hold versus limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/core.h"

#define NOW 1700000000

struct world {
	struct wb_vehicle v;
	struct wb_fault f[2];
	size_t nf;
	struct wb_inspection ins[2];
	size_t nins;
	struct wb_work_order wo[2];
	size_t nwo;
	struct core_hold holds[1];
	size_t nholds;
	struct wb_driver d;
	int has_driver;
	int64_t planned;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	wb_entity_clear(WB_ENT_VEHICLE, &w->v);
	w->v.meta.id = "T-17";
	w->v.unit = "T-17";
	w->v.status = "available";
	w->v.odometer_m = 100000e3;
	w->v.pm_due_odometer_m = 120000e3;
	wb_entity_clear(WB_ENT_DRIVER, &w->d);
	w->d.meta.id = "D-1";
	w->d.drive_left_s = 8 * 3600;
	w->d.duty_left_s = 10 * 3600;
	w->d.cycle_left_s = 40 * 3600;
	w->planned = WB_NULL;
}

static void add_fault(struct world *w, const char *id, const char *sev, int active)
{
	struct wb_fault *f = &w->f[w->nf++];
	wb_entity_clear(WB_ENT_FAULT, f);
	f->meta.id = id;
	f->vehicle_id = "T-17";
	f->code = "P0087";
	f->severity = sev;
	f->active = active;
	f->first_seen = NOW - 3600;
	f->last_seen = NOW - 60;
}

static void add_wo(struct world *w, const char *id, const char *cat, const char *status,
                   const char *fault)
{
	struct wb_work_order *o = &w->wo[w->nwo++];
	wb_entity_clear(WB_ENT_WORK_ORDER, o);
	o->meta.id = id;
	o->vehicle_id = "T-17";
	o->category = cat;
	o->status = status;
	o->fault_id = fault;
	if (strcmp(status, "closed") == 0)
		o->closed_at = NOW;
}

static void add_inspection(struct world *w, int64_t at, int safe)
{
	struct wb_inspection *s = &w->ins[w->nins++];
	wb_entity_clear(WB_ENT_INSPECTION, s);
	s->vehicle_id = "T-17";
	s->kind = "pre_trip";
	s->at = at;
	s->safe = safe;
	s->defects = safe ? "" : "brake lining worn";
}

static void run(struct world *w, struct core_readiness *out)
{
	struct core_readiness_input in = {
	        .vehicle = &w->v,
	        .faults = w->f,
	        .nfaults = w->nf,
	        .inspections = w->ins,
	        .ninspections = w->nins,
	        .work_orders = w->wo,
	        .nwork_orders = w->nwo,
	        .holds = w->holds,
	        .nholds = w->nholds,
	        .driver = w->has_driver ? &w->d : NULL,
	        .planned_drive_s = w->planned,
	};
	core_vehicle_readiness(&in, out);
}

/* Each case: a setup, the state expected and the one reason code expected
 * (-1: no reason at all). */
enum setup {
	S_CLEAN,
	S_CRITICAL,
	S_MAJOR,
	S_MINOR,
	S_INACTIVE_CRITICAL,
	S_OTHER_VEHICLE_FAULT,
	S_FAULT_REPAIRED,
	S_FAULT_AGAIN_AFTER_REPAIR,
	S_UNSAFE_LATEST,
	S_UNSAFE_OLDER,
	S_WO_OPEN,
	S_WO_PROPOSED,
	S_WO_CLOSED,
	S_WO_PREVENTIVE,
	S_PM_AT_DUE,
	S_PM_OVER,
	S_IN_TRANSIT,
	S_IN_SHOP,
	S_OUT_OF_SERVICE,
	S_HOURS_ENOUGH,
	S_HOURS_EXACT,
	S_DRIVE_SHORT,
	S_DUTY_SHORT,
	S_CYCLE_SHORT,
	S_HOURS_UNKNOWN,
	S_NO_DRIVER_PLANNED,
	S_HOLD_ACTIVE,
	S_HOLD_OVERRIDDEN,
	S_HOLD_WO_CLOSED,
};

static const struct rcase {
	const char *name;
	enum setup setup;
	enum core_ready_state state;
	int reason;
} cases[] = {
        {"clean vehicle is ready", S_CLEAN, CORE_READY, -1},
        {"active critical fault holds", S_CRITICAL, CORE_HELD, CORE_R_FAULT_CRITICAL},
        {"active major fault holds", S_MAJOR, CORE_HELD, CORE_R_FAULT_MAJOR},
        {"minor fault is no reason", S_MINOR, CORE_READY, -1},
        {"inactive critical fault is no reason", S_INACTIVE_CRITICAL, CORE_READY, -1},
        {"another vehicle's fault is ignored", S_OTHER_VEHICLE_FAULT, CORE_READY, -1},
        {"fault repaired by closed work order", S_FAULT_REPAIRED, CORE_READY, -1},
        {"fault seen again after repair holds", S_FAULT_AGAIN_AFTER_REPAIR, CORE_HELD,
         CORE_R_FAULT_CRITICAL},
        {"latest inspection unsafe holds", S_UNSAFE_LATEST, CORE_HELD, CORE_R_INSPECTION_UNSAFE},
        {"older unsafe inspection superseded", S_UNSAFE_OLDER, CORE_READY, -1},
        {"open corrective work order holds", S_WO_OPEN, CORE_HELD, CORE_R_WORK_ORDER_OPEN},
        {"proposed corrective work order holds", S_WO_PROPOSED, CORE_HELD, CORE_R_WORK_ORDER_OPEN},
        {"closed work order is no reason", S_WO_CLOSED, CORE_READY, -1},
        {"preventive work order is no reason", S_WO_PREVENTIVE, CORE_READY, -1},
        {"odometer exactly at PM due is not overdue", S_PM_AT_DUE, CORE_READY, -1},
        {"PM overdue limits", S_PM_OVER, CORE_LIMITED, CORE_R_PM_OVERDUE},
        {"in transit limits", S_IN_TRANSIT, CORE_LIMITED, CORE_R_IN_TRANSIT},
        {"in shop holds", S_IN_SHOP, CORE_HELD, CORE_R_OUT_OF_SERVICE},
        {"out of service holds", S_OUT_OF_SERVICE, CORE_HELD, CORE_R_OUT_OF_SERVICE},
        {"driver hours enough", S_HOURS_ENOUGH, CORE_READY, -1},
        {"driver drive time exactly the run is enough", S_HOURS_EXACT, CORE_READY, -1},
        {"drive time short limits", S_DRIVE_SHORT, CORE_LIMITED, CORE_R_DRIVER_HOURS_SHORT},
        {"duty time short limits", S_DUTY_SHORT, CORE_LIMITED, CORE_R_DRIVER_HOURS_SHORT},
        {"cycle time short limits", S_CYCLE_SHORT, CORE_LIMITED, CORE_R_DRIVER_HOURS_SHORT},
        {"unknown hours limit", S_HOURS_UNKNOWN, CORE_LIMITED, CORE_R_DRIVER_HOURS_UNKNOWN},
        {"planned run without driver", S_NO_DRIVER_PLANNED, CORE_LIMITED,
         CORE_R_DRIVER_HOURS_UNKNOWN},
        {"active hold holds", S_HOLD_ACTIVE, CORE_HELD, CORE_R_MAINT_HOLD},
        {"overridden hold limits", S_HOLD_OVERRIDDEN, CORE_LIMITED, CORE_R_HOLD_OVERRIDDEN},
        {"hold cleared by closed work order", S_HOLD_WO_CLOSED, CORE_READY, -1},
};

static void setup(struct world *w, enum setup s)
{
	world_init(w);
	switch (s) {
	case S_CLEAN: break;
	case S_CRITICAL: add_fault(w, "F-1", "critical", 1); break;
	case S_MAJOR: add_fault(w, "F-1", "major", 1); break;
	case S_MINOR: add_fault(w, "F-1", "minor", 1); break;
	case S_INACTIVE_CRITICAL: add_fault(w, "F-1", "critical", 0); break;
	case S_OTHER_VEHICLE_FAULT:
		add_fault(w, "F-1", "critical", 1);
		w->f[0].vehicle_id = "T-99";
		break;
	case S_FAULT_REPAIRED:
		add_fault(w, "F-1", "critical", 1);
		add_wo(w, "WO-1", "corrective", "closed", "F-1");
		break;
	case S_FAULT_AGAIN_AFTER_REPAIR:
		add_fault(w, "F-1", "critical", 1);
		add_wo(w, "WO-1", "corrective", "closed", "F-1");
		w->wo[0].closed_at = NOW - 600;
		break;
	case S_UNSAFE_LATEST:
		add_inspection(w, NOW - 7200, 1);
		add_inspection(w, NOW - 60, 0);
		break;
	case S_UNSAFE_OLDER:
		add_inspection(w, NOW - 60, 1);
		add_inspection(w, NOW - 7200, 0);
		break;
	case S_WO_OPEN: add_wo(w, "WO-1", "corrective", "open", NULL); break;
	case S_WO_PROPOSED: add_wo(w, "WO-1", "corrective", "proposed", NULL); break;
	case S_WO_CLOSED: add_wo(w, "WO-1", "corrective", "closed", NULL); break;
	case S_WO_PREVENTIVE: add_wo(w, "WO-1", "preventive", "open", NULL); break;
	case S_PM_AT_DUE: w->v.odometer_m = w->v.pm_due_odometer_m; break;
	case S_PM_OVER: w->v.odometer_m = w->v.pm_due_odometer_m + 1; break;
	case S_IN_TRANSIT: w->v.status = "in_transit"; break;
	case S_IN_SHOP: w->v.status = "in_shop"; break;
	case S_OUT_OF_SERVICE: w->v.status = "out_of_service"; break;
	case S_HOURS_ENOUGH:
		w->has_driver = 1;
		w->planned = 4 * 3600;
		break;
	case S_HOURS_EXACT:
		w->has_driver = 1;
		w->planned = 8 * 3600;
		break;
	case S_DRIVE_SHORT:
		w->has_driver = 1;
		w->planned = 8 * 3600 + 1;
		break;
	case S_DUTY_SHORT:
		w->has_driver = 1;
		w->planned = 4 * 3600;
		w->d.duty_left_s = 3 * 3600;
		break;
	case S_CYCLE_SHORT:
		w->has_driver = 1;
		w->planned = 4 * 3600;
		w->d.cycle_left_s = 3600;
		break;
	case S_HOURS_UNKNOWN:
		w->has_driver = 1;
		w->planned = 3600;
		w->d.drive_left_s = WB_NULL;
		break;
	case S_NO_DRIVER_PLANNED: w->planned = 3600; break;
	case S_HOLD_ACTIVE:
		w->holds[0] = (struct core_hold){
		        .vehicle_id = "T-17", .work_order_id = "WO-1", .placed_at = NOW};
		w->nholds = 1;
		add_wo(w, "WO-1", "inspection", "open", NULL);
		break;
	case S_HOLD_OVERRIDDEN:
		add_fault(w, "F-1", "critical", 1);
		add_wo(w, "WO-1", "corrective", "open", "F-1");
		w->holds[0] = (struct core_hold){.vehicle_id = "T-17",
		                                 .work_order_id = "WO-1",
		                                 .fault_id = "F-1",
		                                 .overridden_by = "S. Park",
		                                 .override_reason = "limp to shop"};
		w->nholds = 1;
		break;
	case S_HOLD_WO_CLOSED:
		w->holds[0] = (struct core_hold){.vehicle_id = "T-17", .work_order_id = "WO-1"};
		w->nholds = 1;
		add_wo(w, "WO-1", "corrective", "closed", NULL);
		break;
	}
}

/* One case of the table; cmocka gives it as the initial state. */
static void test_case(void **state)
{
	const struct rcase *c = *state;
	struct world w;
	struct core_readiness r;
	setup(&w, c->setup);
	run(&w, &r);
	int ok = r.state == c->state;
	if (c->reason < 0)
		ok = ok && r.why.n == 0;
	else
		ok = ok && core_reasons_has(&r.why, (enum core_reason_code)c->reason);
	for (size_t k = 0; k < r.why.n; k++)
		ok = ok && r.why.r[k].msg[0] != '\0';
	if (!ok)
		fail_msg("case \"%s\": expected %s with reason %s, got %s with %zu reason(s)%s%s",
		         c->name, core_ready_state_name(c->state),
		         c->reason < 0 ? "(none)"
		                       : core_reason_label((enum core_reason_code)c->reason),
		         core_ready_state_name(r.state), r.why.n, r.why.n ? ": " : "",
		         r.why.n ? r.why.r[0].msg : "");
}

/* Every reason is listed, not just the first; the message carries the numbers. */
static void test_all_reasons_listed(void **state)
{
	(void)state;
	struct world w;
	struct core_readiness r;
	world_init(&w);
	add_fault(&w, "F-1", "critical", 1);
	add_inspection(&w, NOW, 0);
	add_wo(&w, "WO-9", "corrective", "open", NULL);
	w.v.odometer_m = w.v.pm_due_odometer_m + 5000e3;
	w.v.status = "in_transit";
	w.has_driver = 1;
	w.planned = 9 * 3600;
	run(&w, &r);
	assert_int_equal(r.state, CORE_HELD);
	assert_int_equal(r.why.n, 6);
	static const enum core_reason_code want[] = {
	        CORE_R_FAULT_CRITICAL, CORE_R_INSPECTION_UNSAFE, CORE_R_WORK_ORDER_OPEN,
	        CORE_R_PM_OVERDUE,     CORE_R_IN_TRANSIT,        CORE_R_DRIVER_HOURS_SHORT};
	for (size_t i = 0; i < 6; i++)
		assert_true(core_reasons_has(&r.why, want[i]));
	for (size_t i = 0; i < r.why.n; i++) {
		if (r.why.r[i].code == CORE_R_PM_OVERDUE)
			assert_non_null(strstr(r.why.r[i].msg, "5000 km over"));
		if (r.why.r[i].code == CORE_R_DRIVER_HOURS_SHORT)
			assert_non_null(strstr(r.why.r[i].msg,
			                       "drive time left 480 min < planned drive 540 min"));
		if (r.why.r[i].code == CORE_R_FAULT_CRITICAL)
			assert_non_null(strstr(r.why.r[i].msg, "P0087"));
		/* held reasons are hard, limiting ones soft */
		int hard = r.why.r[i].code != CORE_R_PM_OVERDUE &&
		           r.why.r[i].code != CORE_R_IN_TRANSIT &&
		           r.why.r[i].code != CORE_R_DRIVER_HOURS_SHORT;
		assert_int_equal(r.why.r[i].hard, hard);
	}
}

static void test_no_vehicle(void **state)
{
	(void)state;
	struct core_readiness_input in = {0};
	struct core_readiness r;
	in.planned_drive_s = WB_NULL;
	core_vehicle_readiness(&in, &r);
	assert_int_equal(r.state, CORE_HELD);
	assert_true(core_reasons_has(&r.why, CORE_R_NO_VEHICLE));
}

static void test_driver_hours_fn(void **state)
{
	(void)state;
	struct wb_driver d;
	char msg[CORE_REASON_MSG];
	wb_entity_clear(WB_ENT_DRIVER, &d);
	d.meta.id = "D-1";
	d.drive_left_s = 3600;
	d.duty_left_s = 3600;
	assert_int_equal(core_driver_hours(&d, WB_NULL, msg, sizeof(msg)), 0);
	assert_int_equal(core_driver_hours(&d, 3600, msg, sizeof(msg)), 0);
	assert_int_equal(core_driver_hours(&d, 3601, msg, sizeof(msg)), 1);
	assert_int_equal(core_driver_hours(NULL, 60, msg, sizeof(msg)), 2);
	/* cycle unknown alone does not block: the other clocks decide */
	assert_int_equal(d.cycle_left_s, WB_NULL);
}

int main(void)
{
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[NCASES + 3] = {
	        cmocka_unit_test(test_all_reasons_listed),
	        cmocka_unit_test(test_no_vehicle),
	        cmocka_unit_test(test_driver_hours_fn),
	};
	for (size_t i = 0; i < NCASES; i++)
		tests[3 + i] = (struct CMUnitTest){cases[i].name, test_case, NULL, NULL,
		                                   (void *)&cases[i]};
	return _cmocka_run_group_tests("core_readiness", tests, NCASES + 3, NULL, NULL);
}
