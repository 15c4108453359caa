/* Roles: the whole table of who may do what, and the exception's required_role. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/core.h"

/* Expected least role per action: the table a reviewer checks against docs/design.md §6 and
 * core/roles.c. */
static const struct {
	enum core_action a;
	enum core_role least;
} table[] = {
        {CORE_ACT_RELEASE_LOAD, CORE_ROLE_DISPATCHER},
        {CORE_ACT_OVERRIDE_GATE, CORE_ROLE_SUPERVISOR},
        {CORE_ACT_ASSIGN, CORE_ROLE_DISPATCHER},
        {CORE_ACT_PLACE_HOLD, CORE_ROLE_DISPATCHER},
        {CORE_ACT_CLEAR_HOLD, CORE_ROLE_DISPATCHER},
        {CORE_ACT_OVERRIDE_HOLD, CORE_ROLE_SUPERVISOR},
        {CORE_ACT_ACK_EXCEPTION, CORE_ROLE_DISPATCHER},
        {CORE_ACT_APPROVE_EXCEPTION, CORE_ROLE_DISPATCHER},
        {CORE_ACT_REJECT_EXCEPTION, CORE_ROLE_DISPATCHER},
        {CORE_ACT_ESCALATE_EXCEPTION, CORE_ROLE_DISPATCHER},
        {CORE_ACT_RELEASE_INVOICE, CORE_ROLE_SUPERVISOR},
        {CORE_ACT_HOLD_INVOICE, CORE_ROLE_DISPATCHER},
        {CORE_ACT_OPEN_WORK_ORDER, CORE_ROLE_DISPATCHER},
};

static void test_table(void **state)
{
	(void)state;
	assert_int_equal(sizeof(table) / sizeof(table[0]), CORE_ACT__COUNT);
	for (size_t i = 0; i < CORE_ACT__COUNT; i++) {
		for (int r = 0; r < CORE_ROLE__COUNT; r++) {
			struct core_permission p =
			        core_role_check((enum core_role)r, table[i].a, NULL);
			int want = r != CORE_ROLE_VIEWER && (enum core_role)r >= table[i].least;
			if (p.allowed != want)
				fail_msg("%s as %s: expected %s, got %s (%s)",
				         core_action_name(table[i].a),
				         core_role_name((enum core_role)r),
				         want ? "allowed" : "refused",
				         p.allowed ? "allowed" : "refused", p.why);
			assert_int_equal(p.needs, table[i].least);
			if (!p.allowed)
				assert_string_equal(p.why, r == CORE_ROLE_VIEWER
				                                   ? "viewer is read-only"
				                                   : "needs supervisor");
			else
				assert_string_equal(p.why, "");
		}
	}
}

static void test_exception_required_role(void **state)
{
	(void)state;
	struct wb_exception x;
	wb_entity_clear(WB_ENT_EXCEPTION, &x);
	x.required_role = "supervisor";
	struct core_permission p =
	        core_role_check(CORE_ROLE_DISPATCHER, CORE_ACT_APPROVE_EXCEPTION, &x);
	assert_false(p.allowed);
	assert_string_equal(p.why, "needs supervisor");
	p = core_role_check(CORE_ROLE_DISPATCHER, CORE_ACT_REJECT_EXCEPTION, &x);
	assert_false(p.allowed);
	p = core_role_check(CORE_ROLE_SUPERVISOR, CORE_ACT_APPROVE_EXCEPTION, &x);
	assert_true(p.allowed);
	/* acknowledging and escalating stay with the dispatcher */
	assert_true(core_role_check(CORE_ROLE_DISPATCHER, CORE_ACT_ACK_EXCEPTION, &x).allowed);
	assert_true(core_role_check(CORE_ROLE_DISPATCHER, CORE_ACT_ESCALATE_EXCEPTION, &x).allowed);
	x.required_role = "dispatcher";
	assert_true(core_role_check(CORE_ROLE_DISPATCHER, CORE_ACT_APPROVE_EXCEPTION, &x).allowed);
	x.required_role = "admiral"; /* unknown: treated as supervisor, never as nobody */
	assert_false(core_role_check(CORE_ROLE_DISPATCHER, CORE_ACT_APPROVE_EXCEPTION, &x).allowed);
	x.required_role = NULL;
	assert_true(core_role_check(CORE_ROLE_DISPATCHER, CORE_ACT_APPROVE_EXCEPTION, &x).allowed);
}

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < CORE_ACT__COUNT; i++)
		assert_int_equal(core_action_from_name(core_action_name((enum core_action)i)), i);
	for (int i = 0; i < CORE_ROLE__COUNT; i++)
		assert_int_equal(core_role_from_name(core_role_name((enum core_role)i)), i);
	assert_int_equal(core_role_from_name("root"), -1);
	assert_int_equal(core_role_from_name(NULL), -1);
	assert_int_equal(core_action_from_name("release"), -1);
	assert_false(core_role_check(CORE_ROLE_SUPERVISOR, CORE_ACT__COUNT, NULL).allowed);
	assert_false(core_role_check((enum core_role)7, CORE_ACT_ASSIGN, NULL).allowed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_exception_required_role),
	        cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("core_roles", tests, NULL, NULL);
}
