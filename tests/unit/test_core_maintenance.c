/* Maintenance: proposals from faults (with parts from the family table), the
 * hold they place, and how a hold clears. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/core.h"

#define NOW 1700000000

static struct wb_fault fault(const char *code, const char *sev, int active)
{
	struct wb_fault f;
	wb_entity_clear(WB_ENT_FAULT, &f);
	f.meta.id = "F-7";
	f.vehicle_id = "T-31";
	f.code = code;
	f.severity = sev;
	f.active = active;
	f.first_seen = NOW - 3600;
	f.last_seen = NOW - 60;
	return f;
}

static const struct pcase {
	const char *name;
	const char *code, *sev;
	int active;
	int proposes;
	int64_t due_in_s;
	const char *first_part; /* NULL: don't check */
	const char *family;
} cases[] = {
        {"critical fault proposes, due in 24 h", "P0087", "critical", 1, 1, 24 * 3600,
         "fuel filter", "fuel system"},
        {"major fault proposes, due in 72 h", "SPN3031-FMI9", "major", 1, 1, 72 * 3600,
         "DEF tank temperature sensor", "aftertreatment (DEF/SCR)"},
        {"minor fault does not", "P0087", "minor", 1, 0, 0, NULL, NULL},
        {"info fault does not", "P0087", "info", 1, 0, 0, NULL, NULL},
        {"inactive fault does not", "P0087", "critical", 0, 0, 0, NULL, NULL},
        {"SPN100 family exact number", "SPN100-FMI1", "critical", 1, 1, 24 * 3600,
         "oil pressure sender", "engine oil pressure"},
        {"SPN1001 is not SPN100", "SPN1001-FMI1", "critical", 1, 1, 24 * 3600,
         "diagnostic labour (h)", "unclassified"},
        {"P030x misfire family", "P0304", "major", 1, 1, 72 * 3600, "ignition coil",
         "ignition / misfire"},
        {"lower-case code matches", "p0304", "major", 1, 1, 72 * 3600, "ignition coil",
         "ignition / misfire"},
        {"unknown code gets diagnostics", "B1234", "critical", 1, 1, 24 * 3600,
         "diagnostic labour (h)", "unclassified"},
};

static void test_case(void **state)
{
	const struct pcase *c = *state;
	struct wb_fault f = fault(c->code, c->sev, c->active);
	struct core_wo_proposal p;
	int got = core_maintenance_propose(&f, NULL, 0, NOW, &p);
	if (got != c->proposes)
		fail_msg("case \"%s\": expected proposes=%d, got %d", c->name, c->proposes, got);
	if (!got)
		return;
	assert_string_equal(p.wo.meta.id, "WO-F-7");
	assert_string_equal(p.wo.category, "corrective");
	assert_string_equal(p.wo.status, "proposed");
	assert_string_equal(p.wo.vehicle_id, "T-31");
	assert_string_equal(p.wo.fault_id, "F-7");
	assert_int_equal(p.wo.opened_at, NOW);
	assert_int_equal(p.wo.due_at, NOW + c->due_in_s);
	assert_true(p.wo.est_cost > 0);
	assert_true(p.nparts >= 1);
	assert_string_equal(p.parts[0].item, c->first_part);
	assert_string_equal(p.parts[0].work_order_id, "WO-F-7");
	assert_string_equal(p.parts[0].status, "reserved");
	assert_string_equal(p.family, c->family);
	assert_string_equal(p.hold.vehicle_id, "T-31");
	assert_string_equal(p.hold.work_order_id, "WO-F-7");
	assert_null(p.hold.overridden_by);
	assert_int_equal(core_hold_state(&p.hold, NULL), CORE_HOLD_ACTIVE);
}

static void test_dedupe_against_existing(void **state)
{
	(void)state;
	struct wb_fault f = fault("P0087", "critical", 1);
	struct wb_work_order wo;
	struct core_wo_proposal p;
	wb_entity_clear(WB_ENT_WORK_ORDER, &wo);
	wo.meta.id = "WO-F-7";
	wo.fault_id = "F-7";
	wo.status = "open";
	assert_int_equal(core_maintenance_propose(&f, &wo, 1, NOW, &p), 0);
	wo.status = "closed";
	wo.closed_at = NOW; /* closed after last_seen: repaired, code not cleared yet */
	assert_int_equal(core_maintenance_propose(&f, &wo, 1, NOW, &p), 0);
	wo.closed_at = NOW - 3000; /* the fault came back after the repair */
	assert_int_equal(core_maintenance_propose(&f, &wo, 1, NOW, &p), 1);
}

static void test_rebind_after_copy(void **state)
{
	(void)state;
	struct wb_fault f = fault("P0087", "critical", 1);
	struct core_wo_proposal a, b;
	assert_int_equal(core_maintenance_propose(&f, NULL, 0, NOW, &a), 1);
	b = a;
	core_proposal_rebind(&b);
	assert_ptr_equal(b.wo.meta.id, b.wo_id);
	assert_ptr_equal(b.hold.work_order_id, b.wo_id);
	assert_ptr_equal(b.parts[0].work_order_id, b.wo_id);
}

static void test_hold_lifecycle(void **state)
{
	(void)state;
	struct core_hold h = {.vehicle_id = "T-31", .work_order_id = "WO-F-7", .fault_id = "F-7"};
	struct wb_work_order wo;
	struct wb_err err = {0};
	wb_entity_clear(WB_ENT_WORK_ORDER, &wo);
	wo.meta.id = "WO-F-7";
	wo.status = "in_progress";
	assert_int_equal(core_hold_state(&h, &wo), CORE_HOLD_ACTIVE);
	/* clearing needs the work order closed */
	assert_int_equal(core_hold_clear(&h, &wo, CORE_ROLE_SUPERVISOR, &err), WB_EDENIED);
	assert_non_null(strstr(err.msg, "until work order WO-F-7 is closed"));
	assert_int_equal(core_hold_clear(&h, NULL, CORE_ROLE_DISPATCHER, &err), WB_EDENIED);
	/* a viewer can do nothing */
	assert_int_equal(core_hold_clear(&h, &wo, CORE_ROLE_VIEWER, &err), WB_EDENIED);
	assert_non_null(strstr(err.msg, "viewer is read-only"));
	/* override: supervisor only, with a reason */
	assert_int_equal(core_hold_override(&h, CORE_ROLE_DISPATCHER, "J", "r", NOW, &err),
	                 WB_EDENIED);
	assert_non_null(strstr(err.msg, "needs supervisor"));
	assert_int_equal(core_hold_override(&h, CORE_ROLE_SUPERVISOR, "S. Park", "", NOW, &err),
	                 WB_EINVALID);
	assert_int_equal(core_hold_override(&h, CORE_ROLE_SUPERVISOR, "", "limp home", NOW, &err),
	                 WB_EINVALID);
	assert_int_equal(core_hold_state(&h, &wo), CORE_HOLD_ACTIVE);
	assert_int_equal(core_hold_override(&h, CORE_ROLE_SUPERVISOR, "S. Park", "limp to the shop",
	                                    NOW, &err),
	                 0);
	assert_int_equal(core_hold_state(&h, &wo), CORE_HOLD_OVERRIDDEN);
	assert_string_equal(h.override_reason, "limp to the shop");
	/* closing the work order clears it whatever happened before */
	wo.status = "closed";
	assert_int_equal(core_hold_state(&h, &wo), CORE_HOLD_CLEARED_WORK_ORDER);
	struct core_hold h2 = {.vehicle_id = "T-31", .work_order_id = "WO-F-7"};
	assert_int_equal(core_hold_clear(&h2, &wo, CORE_ROLE_DISPATCHER, &err), 0);
	assert_int_equal(core_hold_state(&h2, NULL), CORE_HOLD_CLEARED);
	/* a hand hold without work order may be cleared by a dispatcher */
	struct core_hold h3 = {.vehicle_id = "T-31"};
	assert_int_equal(core_hold_clear(&h3, NULL, CORE_ROLE_DISPATCHER, &err), 0);
}

int main(void)
{
	enum { NCASES = sizeof(cases) / sizeof(cases[0]), NFIX = 3 };
	struct CMUnitTest tests[NCASES + NFIX] = {
	        cmocka_unit_test(test_dedupe_against_existing),
	        cmocka_unit_test(test_rebind_after_copy),
	        cmocka_unit_test(test_hold_lifecycle),
	};
	for (size_t i = 0; i < NCASES; i++)
		tests[NFIX + i] = (struct CMUnitTest){cases[i].name, test_case, NULL, NULL,
		                                      (void *)&cases[i]};
	return _cmocka_run_group_tests("core_maintenance", tests, NCASES + NFIX, NULL, NULL);
}
