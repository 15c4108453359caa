/* The two-person rule in the action layer (app/approve.c) over a real cache:
 * above the policy's two-person amount the first supervisor's approval is
 * recorded as pending (nothing queued), a second, different supervisor
 * completes it and it is queued as any approval, the same person again (by
 * name, not by pointer) is refused, a reject by either ends it, a dispatcher
 * and the system user never count, and the local pass never ends one awaiting
 * its second supervisor. Every step is in the audit trail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>

#include "testutil.h"
#include "app/app.h"
#include "cache/approval.h"
#include "cache/cache.h"
#include "core/core_policy.h"
#include "local/detect_run.h"
#include "settings/settings.h"

#define NOW 1741341600

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	struct settings *cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	f->cfg = settings_defaults();
	assert_non_null(f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	settings_free(f->cfg);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

/* An open exception: impact 6000 is above the default two-person amount
 * (5000), and at confidence 0.5 no band matches: a supervisor's decision. */
static void exc(struct fx *f, const char *id, const char *kind, const char *origin, double impact,
                const char *role)
{
	struct wb_exception x;
	wb_entity_clear(WB_ENT_EXCEPTION, &x);
	bool local = !strcmp(origin, "local");
	test_meta(&x.meta, id, local ? "local" : "tms", 1);
	x.kind = kind;
	x.subject_kind = local ? "vehicle" : "load";
	x.subject_id = local ? "V-1" : "L-1";
	x.severity = "major";
	x.confidence = 0.5;
	x.impact = impact;
	x.suggested_action = "check";
	x.origin = origin;
	x.status = "open";
	x.required_role = role;
	x.detected_at = NOW - 600;
	test_put(f->c, WB_ENT_EXCEPTION, &x);
}

static struct app_ctx ctx(struct fx *f, const char *user, int role)
{
	return (struct app_ctx){.cache = f->c,
	                        .settings = f->cfg,
	                        .actor = {.user = user, .role = role},
	                        .now = NOW};
}

static int64_t count(struct fx *f, const char *sql)
{
	return test_count(f->c, sql);
}

static void audit_whole(struct fx *f)
{
	struct audit_verify_result v;
	struct wb_err err = {0};
	assert_int_equal(audit_verify(f->c, &v, &err), 0);
	assert_int_equal(v.first_bad_seq, 0);
}

static void test_first_pending_second_completes(void **state)
{
	struct fx *f = *state;
	exc(f, "X-1", "late_eta", "ai", 6000, "supervisor");
	struct app_ctx park = ctx(f, "s.park", CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_decide(&park, APP_APPROVE, "X-1", "customer confirmed", &r);
	assert_int_equal(r.outcome, APP_AWAITING);
	assert_string_equal(app_outcome_name(r.outcome), "awaiting");
	assert_non_null(strstr(r.why[0], "needs a second supervisor other than s.park"));
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
	struct cache_approval first;
	struct wb_err err = {0};
	assert_int_equal(cache_approval_get(f->c, "X-1", &first, &err), 1);
	assert_string_equal(first.user, "s.park");
	assert_string_equal(first.role, "supervisor");
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='approve_pending'"
	                          " AND subject='exception:X-1' AND user='s.park'"
	                          " AND reason='customer confirmed'"
	                          " AND after LIKE '%\"status\":\"awaiting_second\"%'"),
	                 1);
	/* The same person again, under a name made in another buffer: refused
	 * with the reason, audited, still pending, nothing queued. */
	char same[32];
	snprintf(same, sizeof(same), "s.%s", "park");
	struct app_ctx again = ctx(f, same, CORE_ROLE_SUPERVISOR);
	app_decide(&again, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_int_equal(r.refusal, APP_R_TWO);
	assert_string_equal(r.why[0],
	                    "needs a second supervisor other than s.park (two-person rule)");
	assert_int_equal(count(f,
	                       "SELECT count(*) FROM audit WHERE action='approve_refused'"
	                       " AND subject='exception:X-1' AND user='s.park'"
	                       " AND reason LIKE 'needs a second supervisor other than s.park%'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM pending_approval"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
	/* A second, different supervisor completes it: queued as any approval. */
	struct app_ctx mensah = ctx(f, "a.mensah", CORE_ROLE_SUPERVISOR);
	app_decide(&mensah, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_string_equal(r.action, "approve_exception");
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='approve_exception'"
	                          " AND subject='exception:X-1' AND user='a.mensah'"
	                          " AND status='pending'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM pending_approval"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='approve_exception'"
	                          " AND user='a.mensah'"
	                          " AND after LIKE '%\"approved_by\":[\"s.park\",\"a.mensah\"]%'"),
	                 1);
	audit_whole(f);
}

static void test_reject_ends(void **state)
{
	struct fx *f = *state;
	exc(f, "X-1", "late_eta", "ai", 6000, "supervisor");
	exc(f, "X-2", "late_eta", "ai", 6000, "supervisor");
	struct app_ctx park = ctx(f, "s.park", CORE_ROLE_SUPERVISOR);
	struct app_ctx mensah = ctx(f, "a.mensah", CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_decide(&park, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.outcome, APP_AWAITING);
	app_decide(&park, APP_APPROVE, "X-2", NULL, &r);
	assert_int_equal(r.outcome, APP_AWAITING);
	/* The other supervisor rejects X-1, the first one rejects X-2. */
	app_decide(&mensah, APP_REJECT, "X-1", "not ours to pay", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	app_decide(&park, APP_REJECT, "X-2", NULL, &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_int_equal(count(f, "SELECT count(*) FROM pending_approval"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='reject_exception'"),
	                 2);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE action='approve_exception'"),
	                 0);
	audit_whole(f);
}

static void test_dispatcher_not_one(void **state)
{
	struct fx *f = *state;
	/* The source asks a dispatcher of it, but the policy's band needs two
	 * supervisors: a dispatcher's approval is not one of them. */
	exc(f, "X-1", "late_eta", "ai", 6000, "dispatcher");
	struct app_ctx ann = ctx(f, "ann", CORE_ROLE_DISPATCHER);
	struct app_ctx park = ctx(f, "s.park", CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_decide(&ann, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.refusal, APP_R_ROLE);
	assert_non_null(strstr(r.why[0], "needs two supervisors"));
	assert_int_equal(count(f, "SELECT count(*) FROM pending_approval"), 0);
	app_decide(&park, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.outcome, APP_AWAITING);
	app_decide(&ann, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.refusal, APP_R_ROLE);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM pending_approval WHERE user='s.park'"), 1);
}

static void test_amount_decides(void **state)
{
	struct fx *f = *state;
	exc(f, "X-1", "late_eta", "ai", 5000, "supervisor"); /* not above: one supervisor */
	exc(f, "X-2", "late_eta", "ai", 4000, "supervisor");
	struct app_ctx park = ctx(f, "s.park", CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_decide(&park, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	/* policy.two_person_above as configured */
	f->cfg->policy_rules.two_person_above = 3000;
	app_decide(&park, APP_APPROVE, "X-2", NULL, &r);
	assert_int_equal(r.outcome, APP_AWAITING);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 1);
}

static void test_system_never_counts(void **state)
{
	struct fx *f = *state;
	exc(f, "X-1", "late_eta", "ai", 6000, "supervisor");
	struct app_ctx sys = ctx(f, APP_SYSTEM_USER, CORE_ROLE_SUPERVISOR);
	struct app_ctx park = ctx(f, "s.park", CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_decide(&sys, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.refusal, APP_R_TWO);
	assert_non_null(strstr(r.why[0], "automatic decision"));
	app_decide(&park, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.outcome, APP_AWAITING);
	app_decide(&sys, APP_APPROVE, "X-1", NULL, &r);
	assert_int_equal(r.refusal, APP_R_TWO);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='approve_refused'"
	                          " AND user='waybill'"),
	                 2);
}

/* A local exception whose condition ended, awaiting its second supervisor:
 * neither a pass planned after the first approval nor one planned before it
 * and applied after resolves it; the second supervisor decides it here. */
static void test_local_pass_leaves_it(void **state)
{
	struct fx *f = *state;
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	test_meta(&v.meta, "V-1", "telematics", 1);
	v.unit = "V-1";
	v.kind = "tractor";
	v.status = "available";
	test_put(f->c, WB_ENT_VEHICLE, &v);
	exc(f, "X-critical_fault-V-1", "critical_fault", "local", 6000, "supervisor");
	exc(f, "X-critical_fault-V-2", "critical_fault", "local", 6000, "supervisor");
	struct wb_err err = {0};
	struct detect_plan *early = NULL;
	struct detect_run_stats st;
	assert_int_equal(detect_plan(f->c, NULL, NULL, NOW, &early, &st, &err), 0);
	struct app_ctx park = ctx(f, "s.park", CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_decide(&park, APP_APPROVE, "X-critical_fault-V-1", NULL, &r);
	assert_int_equal(r.outcome, APP_AWAITING);
	assert_int_equal(detect_apply(f->c, early, &st, &err), 0);
	detect_plan_free(early);
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE"
	                          " id='X-critical_fault-V-1' AND status='open'"),
	                 1);
	/* The other one, with no approval, the same pass did resolve. */
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE"
	                          " id='X-critical_fault-V-2' AND status='resolved'"),
	                 1);
	/* A plan made now does not even list it as ended. */
	struct detect_plan *late = NULL;
	assert_int_equal(detect_plan(f->c, NULL, NULL, NOW, &late, &st, &err), 0);
	assert_int_equal(detect_plan_size(late), 0);
	detect_plan_free(late);
	assert_int_equal(detect_run(f->c, NULL, NULL, NOW, &st, &err), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE"
	                          " id='X-critical_fault-V-1' AND status='open'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action='resolve_exception'"
	                          " AND subject='exception:X-critical_fault-V-1'"),
	                 0);
	struct app_ctx mensah = ctx(f, "a.mensah", CORE_ROLE_SUPERVISOR);
	app_decide(&mensah, APP_APPROVE, "X-critical_fault-V-1", NULL, &r);
	assert_int_equal(r.outcome, APP_DONE);
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE"
	                          " id='X-critical_fault-V-1' AND status='approved'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM pending_approval"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
	audit_whole(f);
}

/* The board and the detail show who approved first while it awaits. */
static void test_detail_shows_first(void **state)
{
	struct fx *f = *state;
	exc(f, "X-1", "late_eta", "ai", 6000, "supervisor");
	struct app_ctx park = ctx(f, "s.park", CORE_ROLE_SUPERVISOR);
	struct app_result r;
	app_decide(&park, APP_APPROVE, "X-1", NULL, &r);
	struct cache_detail d = {0};
	struct wb_err err = {0};
	assert_int_equal(cache_detail(f->c, "exception", "X-1", &d, &err), 0);
	bool seen = false;
	for (int i = 0; i < d.nrecs; i++) {
		if (strcmp(d.recs[i].section, "approval"))
			continue;
		for (int j = 0; j < d.recs[i].nfields; j++)
			if (!strcmp(d.recs[i].names[j], "approved_by"))
				seen = !strcmp(d.recs[i].vals[j].s, "s.park");
	}
	cache_detail_free(&d);
	assert_true(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_first_pending_second_completes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_reject_ends, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dispatcher_not_one, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_amount_decides, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_system_never_counts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_local_pass_leaves_it, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_detail_shows_first, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
