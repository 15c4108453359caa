/* The exception policy: every band boundary of the defaults, the two-person rule,
 * and loading from JSON with the path of every bad value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "core/core_policy.h"

static const struct dcase {
	const char *name;
	enum core_kind kind;
	double conf, impact;
	enum core_decision want;
	enum core_role role;
	int approvals;
} dcases[] = {
        {"late_eta 0.9/100 auto", CORE_KIND_LATE_ETA, 0.9, 100, CORE_DECIDE_AUTO_APPLY,
         CORE_ROLE_DISPATCHER, 0},
        {"late_eta 0.89/100 dispatcher", CORE_KIND_LATE_ETA, 0.89, 100, CORE_DECIDE_DISPATCHER,
         CORE_ROLE_DISPATCHER, 1},
        {"late_eta 0.9/100.01 dispatcher", CORE_KIND_LATE_ETA, 0.9, 100.01, CORE_DECIDE_DISPATCHER,
         CORE_ROLE_DISPATCHER, 1},
        {"late_eta 0.6/1000 dispatcher", CORE_KIND_LATE_ETA, 0.6, 1000, CORE_DECIDE_DISPATCHER,
         CORE_ROLE_DISPATCHER, 1},
        {"late_eta 0.6/1000.01 supervisor", CORE_KIND_LATE_ETA, 0.6, 1000.01,
         CORE_DECIDE_SUPERVISOR, CORE_ROLE_SUPERVISOR, 1},
        {"late_eta 0.59/50 dismiss", CORE_KIND_LATE_ETA, 0.59, 50, CORE_DECIDE_DISMISS,
         CORE_ROLE_DISPATCHER, 0},
        {"late_eta 0.59/50.01 supervisor", CORE_KIND_LATE_ETA, 0.59, 50.01, CORE_DECIDE_SUPERVISOR,
         CORE_ROLE_SUPERVISOR, 1},
        {"late_eta 0.2/5000 one supervisor", CORE_KIND_LATE_ETA, 0.2, 5000, CORE_DECIDE_SUPERVISOR,
         CORE_ROLE_SUPERVISOR, 1},
        {"late_eta 0.2/5000.01 two supervisors", CORE_KIND_LATE_ETA, 0.2, 5000.01,
         CORE_DECIDE_SUPERVISOR, CORE_ROLE_SUPERVISOR, 2},
        {"late_eta NAN confidence counts as 0", CORE_KIND_LATE_ETA, NAN, 10, CORE_DECIDE_DISMISS,
         CORE_ROLE_DISPATCHER, 0},
        {"late_eta NAN impact is unbounded", CORE_KIND_LATE_ETA, 0.95, NAN, CORE_DECIDE_SUPERVISOR,
         CORE_ROLE_SUPERVISOR, 2},
        {"detention 0.95/20 auto", CORE_KIND_DETENTION, 0.95, 20, CORE_DECIDE_AUTO_APPLY,
         CORE_ROLE_DISPATCHER, 0},
        {"charge never auto: 0.99/10 dispatcher", CORE_KIND_CHARGE_OUT_OF_TOLERANCE, 0.99, 10,
         CORE_DECIDE_DISPATCHER, CORE_ROLE_DISPATCHER, 1},
        {"charge 0.59/10 supervisor, not dismissed", CORE_KIND_CHARGE_OUT_OF_TOLERANCE, 0.59, 10,
         CORE_DECIDE_SUPERVISOR, CORE_ROLE_SUPERVISOR, 1},
        {"fuel needs supervisor even in dispatcher band", CORE_KIND_FUEL_ANOMALY, 0.87, 310,
         CORE_DECIDE_SUPERVISOR, CORE_ROLE_SUPERVISOR, 1},
        {"critical fault 2900 one supervisor", CORE_KIND_CRITICAL_FAULT, 1.0, 2900,
         CORE_DECIDE_SUPERVISOR, CORE_ROLE_SUPERVISOR, 1},
        {"critical fault 6000 two supervisors", CORE_KIND_CRITICAL_FAULT, 1.0, 6000,
         CORE_DECIDE_SUPERVISOR, CORE_ROLE_SUPERVISOR, 2},
        {"unknown kind gets supervisor", (enum core_kind) - 1, 1.0, 1, CORE_DECIDE_SUPERVISOR,
         CORE_ROLE_SUPERVISOR, 1},
};

static void test_decide(void **state)
{
	const struct dcase *c = *state;
	struct core_policy_verdict v = core_policy_decide(NULL, (int)c->kind, c->conf, c->impact);
	if (v.decision != c->want || v.required_role != c->role ||
	    v.approvals_needed != c->approvals)
		fail_msg("case \"%s\": expected %s by %s x%d, got %s by %s x%d", c->name,
		         core_decision_name(c->want), core_role_name(c->role), c->approvals,
		         core_decision_name(v.decision), core_role_name(v.required_role),
		         v.approvals_needed);
}

/* JSON in, error message (or "" for accepted) out. */
static const struct jcase {
	const char *name;
	const char *json;
	const char *err;
} jcases[] = {
        {"empty object keeps defaults", "{}", ""},
        {"not an object", "[]", "policy: expected an object"},
        {"band confidence above 1",
         "{\"late_eta\":{\"bands\":[{\"decide\":\"dispatcher\"},{\"min_confidence\":1.5,\"decide\":"
         "\"dismiss\"}]}}",
         "policy.late_eta.bands[1].min_confidence: expected a number between 0 and 1"},
        {"band confidence a string",
         "{\"late_eta\":{\"bands\":[{\"min_confidence\":\"high\",\"decide\":\"dismiss\"}]}}",
         "policy.late_eta.bands[0].min_confidence: expected a number between 0 and 1"},
        {"negative max_impact",
         "{\"detention\":{\"bands\":[{\"max_impact\":-1,\"decide\":\"dismiss\"}]}}",
         "policy.detention.bands[0].max_impact: expected a number >= 0 or null (no bound)"},
        {"bad decision", "{\"detention\":{\"bands\":[{\"decide\":\"maybe\"}]}}",
         "policy.detention.bands[0].decide: expected one of auto_apply, dispatcher, supervisor, "
         "dismiss"},
        {"missing decision", "{\"detention\":{\"bands\":[{\"min_confidence\":0.5}]}}",
         "policy.detention.bands[0].decide: missing (expected one of auto_apply, dispatcher, "
         "supervisor, dismiss)"},
        {"unknown band key",
         "{\"detention\":{\"bands\":[{\"min_confidance\":0.5,\"decide\":\"dismiss\"}]}}",
         "policy.detention.bands[0].min_confidance: unknown key (expected min_confidence, "
         "max_impact, "
         "decide)"},
        {"unknown kind key", "{\"lat_eta\":{}}",
         "policy.lat_eta: unknown key (expected an exception kind, two_person_above or "
         "charge_tolerance)"},
        {"unknown key in kind", "{\"late_eta\":{\"band\":[]}}",
         "policy.late_eta.band: unknown key (expected bands, required_role, blocks_release, "
         "two_person_above)"},
        {"bands not an array", "{\"late_eta\":{\"bands\":{}}}",
         "policy.late_eta.bands: expected an array of bands"},
        {"too many bands",
         "{\"late_eta\":{\"bands\":[{\"decide\":\"dismiss\"},{\"decide\":\"dismiss\"},{\"decide\":"
         "\"dismiss\"},{\"decide\":\"dismiss\"},{\"decide\":\"dismiss\"},{\"decide\":\"dismiss\"},{"
         "\"decide\":\"dismiss\"},{\"decide\":\"dismiss\"},{\"decide\":\"dismiss\"}]}}",
         "policy.late_eta.bands: at most 8 bands"},
        {"band not an object", "{\"late_eta\":{\"bands\":[3]}}",
         "policy.late_eta.bands[0]: expected an object with min_confidence, max_impact and decide"},
        {"viewer cannot be required", "{\"late_eta\":{\"required_role\":\"viewer\"}}",
         "policy.late_eta.required_role: expected \"dispatcher\" or \"supervisor\""},
        {"blocks_release not boolean", "{\"late_eta\":{\"blocks_release\":1}}",
         "policy.late_eta.blocks_release: expected true or false"},
        {"two_person_above negative", "{\"two_person_above\":-5}",
         "policy.two_person_above: expected an amount >= 0"},
        {"tolerance pct over 100", "{\"charge_tolerance\":{\"pct\":150}}",
         "policy.charge_tolerance.pct: expected a percent between 0 and 100"},
        {"tolerance unknown key", "{\"charge_tolerance\":{\"percent\":2}}",
         "policy.charge_tolerance.percent: unknown key (expected amount, pct)"},
        {"kind not an object", "{\"late_eta\":true}",
         "policy.late_eta: expected an object with bands, required_role, blocks_release, "
         "two_person_above"},
        {"a full valid policy",
         "{\"two_person_above\":8000,\"charge_tolerance\":{\"amount\":10,\"pct\":1.5},"
         "\"late_eta\":{\"required_role\":\"supervisor\",\"blocks_release\":true,\"two_person_"
         "above\":"
         "null,"
         "\"bands\":[{\"min_confidence\":0.8,\"max_impact\":null,\"decide\":\"dispatcher\"}]}}",
         ""},
};

static void test_json(void **state)
{
	const struct jcase *c = *state;
	json_error_t je;
	json_t *j = json_loads(c->json, 0, &je);
	if (!j)
		fail_msg("case \"%s\": test JSON does not parse: %s", c->name, je.text);
	struct core_policy p, before;
	core_policy_init_default(&p);
	before = p;
	struct wb_err err = {0};
	int rc = core_policy_from_json(&p, j, &err);
	json_decref(j);
	if (c->err[0] == '\0') {
		if (rc != 0)
			fail_msg("case \"%s\": expected accepted, got refused: %s", c->name,
			         err.msg);
		return;
	}
	if (rc != WB_EINVALID || strcmp(err.msg, c->err) != 0)
		fail_msg("case \"%s\": expected refusal \"%s\", got rc %d \"%s\"", c->name, c->err,
		         rc, err.msg);
	if (memcmp(&p, &before, sizeof(p)) != 0)
		fail_msg("case \"%s\": a refused policy changed the one in place", c->name);
}

static void test_loaded_values_apply(void **state)
{
	(void)state;
	json_t *j = json_loads(
	        "{\"two_person_above\":8000,\"charge_tolerance\":{\"amount\":10,\"pct\":1.5},"
	        "\"late_eta\":{\"required_role\":\"supervisor\",\"blocks_release\":true,"
	        "\"bands\":[{\"min_confidence\":0.8,\"decide\":\"auto_apply\"}]},"
	        "\"detention\":{\"two_person_above\":100}}",
	        0, NULL);
	assert_non_null(j);
	struct core_policy p;
	core_policy_init_default(&p);
	assert_int_equal(core_policy_from_json(&p, j, NULL), 0);
	json_decref(j);
	assert_true(p.two_person_above == 8000);
	assert_true(p.charge_tol_amount == 10 && p.charge_tol_pct == 1.5);
	assert_int_equal(p.kind[CORE_KIND_LATE_ETA].nbands, 1);
	assert_int_equal(p.kind[CORE_KIND_LATE_ETA].blocks_release, 1);
	struct core_policy_verdict v = core_policy_decide(&p, CORE_KIND_LATE_ETA, 0.8, 1e6);
	assert_int_equal(v.decision, CORE_DECIDE_AUTO_APPLY);
	assert_int_equal(v.required_role, CORE_ROLE_SUPERVISOR);
	v = core_policy_decide(&p, CORE_KIND_LATE_ETA, 0.79,
	                       1e6); /* no band: supervisor fallback */
	assert_int_equal(v.decision, CORE_DECIDE_SUPERVISOR);
	assert_int_equal(v.band, -1);
	assert_int_equal(v.approvals_needed, 2);
	v = core_policy_decide(&p, CORE_KIND_LATE_ETA, 0.5, 8000);
	assert_int_equal(v.approvals_needed, 1);
	v = core_policy_decide(&p, CORE_KIND_DETENTION, 0.1,
	                       101); /* kind's own two-person amount */
	assert_int_equal(v.approvals_needed, 2);
}

static void test_two_person_rule(void **state)
{
	(void)state;
	struct core_policy_verdict v =
	        core_policy_decide(NULL, CORE_KIND_CRITICAL_FAULT, 1.0, 6000);
	char msg[160];
	struct core_approval a[] = {
	        {"S. Park", CORE_ROLE_SUPERVISOR},
	        {"S. Park", CORE_ROLE_SUPERVISOR},
	        {"J. Silva", CORE_ROLE_DISPATCHER},
	        {"A. Mensah", CORE_ROLE_SUPERVISOR},
	};
	assert_int_equal(core_policy_approved(&v, a, 0, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "needs two supervisor approval");
	assert_int_equal(core_policy_approved(&v, a, 1, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "needs a second supervisor other than S. Park (two-person rule)");
	assert_int_equal(core_policy_approved(&v, a, 2, msg, sizeof(msg)),
	                 0); /* same person twice */
	assert_int_equal(core_policy_approved(&v, a, 3, msg, sizeof(msg)),
	                 0); /* a dispatcher does not count */
	assert_int_equal(core_policy_approved(&v, a, 4, msg, sizeof(msg)), 1);
	v = core_policy_decide(NULL, CORE_KIND_LATE_ETA, 0.7, 500);
	assert_int_equal(core_policy_approved(&v, &a[2], 1, msg, sizeof(msg)), 1);
	v = core_policy_decide(NULL, CORE_KIND_LATE_ETA, 0.95, 10);
	assert_int_equal(core_policy_approved(&v, NULL, 0, msg, sizeof(msg)),
	                 1); /* auto needs none */
	/* The same person from two strings (two rows, a name typed twice) is
	 * still one person: names are compared, not pointers (the literals above
	 * may be merged by the compiler). */
	char first[] = "S. Park", again[] = "S. Park";
	struct core_approval same[] = {{first, CORE_ROLE_SUPERVISOR},
	                               {again, CORE_ROLE_SUPERVISOR}};
	v = core_policy_decide(NULL, CORE_KIND_CRITICAL_FAULT, 1.0, 6000);
	assert_int_equal(core_policy_approved(&v, same, 2, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "needs a second supervisor other than S. Park (two-person rule)");
}

static void test_names_and_defaults(void **state)
{
	(void)state;
	for (int i = 0; i < CORE_KIND__COUNT; i++)
		assert_int_equal(core_kind_from_name(core_kind_name((enum core_kind)i)), i);
	assert_int_equal(core_kind_from_name("late"), -1);
	const struct core_policy *p = core_policy_default();
	assert_true(p->kind[CORE_KIND_CRITICAL_FAULT].blocks_release);
	assert_false(p->kind[CORE_KIND_LATE_ETA].blocks_release);
	assert_int_equal(p->kind[CORE_KIND_FUEL_ANOMALY].required_role, CORE_ROLE_SUPERVISOR);
}

int main(void)
{
	enum {
		ND = sizeof(dcases) / sizeof(dcases[0]),
		NJ = sizeof(jcases) / sizeof(jcases[0]),
		NFIX = 3
	};
	struct CMUnitTest tests[ND + NJ + NFIX] = {
	        cmocka_unit_test(test_loaded_values_apply),
	        cmocka_unit_test(test_two_person_rule),
	        cmocka_unit_test(test_names_and_defaults),
	};
	for (size_t i = 0; i < ND; i++)
		tests[NFIX + i] = (struct CMUnitTest){dcases[i].name, test_decide, NULL, NULL,
		                                      (void *)&dcases[i]};
	for (size_t i = 0; i < NJ; i++)
		tests[NFIX + ND + i] = (struct CMUnitTest){jcases[i].name, test_json, NULL, NULL,
		                                           (void *)&jcases[i]};
	return _cmocka_run_group_tests("core_policy", tests, ND + NJ + NFIX, NULL, NULL);
}
