/* Who am I, as the connector table has it: the waybill kind's request path
 * and the pure parse of its answer into user and role (the console, doctor
 * and the CLI's actions ask through it, see sync/whoami.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "connectors/connector.h"

/* The who-am-I operation of the waybill connector: a pure parse. */
static void test_whoami_parse(void **state)
{
	(void)state;
	const struct connector_ops *k = connector_find("waybill");
	assert_non_null(k);
	assert_string_equal(k->whoami_path, "/v1/me");
	struct connector_whoami me;
	struct wb_err err = {0};
	const char *ok = "{\"user\":\"m.okafor\",\"role\":\"dispatcher\","
	                 "\"server_time\":\"2025-03-07T10:00:00Z\"}";
	assert_int_equal(k->whoami(ok, strlen(ok), &me, &err), 0);
	assert_string_equal(me.user, "m.okafor");
	assert_string_equal(me.role, "dispatcher");
	assert_string_equal(me.server_time, "2025-03-07T10:00:00Z");
	const char *bad[] = {"{\"user\":\"x\"}", "not json", "{\"user\":1,\"role\":\"viewer\"}"};
	for (size_t i = 0; i < 3; i++)
		assert_int_not_equal(k->whoami(bad[i], strlen(bad[i]), &me, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whoami_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
