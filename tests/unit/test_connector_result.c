/* The waybill kind's reading of an action's answer (connector_ops.result):
 * only the source's own result, about the subject asked, confirms a delivery;
 * a 2xx with an error member is the source's refusal; anything else (a
 * gateway's login page, an empty body, another shape or another record) is
 * unrecognised with a one-line reason. The answers are recorded from
 * waybill-sim, and from gateways in front of it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"

#define JSON_CT "application/json; charset=utf-8"

/* Recorded: POST /v1/vehicles/V-3/hold. */
static const char hold_v3[] =
        "{\"data\":{\"id\":\"V-3\",\"version\":138,\"deleted\":false,\"unit\":\"TRK-003\","
        "\"kind\":\"tractor\",\"depot\":\"DEP-1\",\"status\":\"in_transit\",\"odometer_m\":"
        "895439105,\"fuel_pct\":61.38,\"lat\":51.854458,\"lon\":4.317693,\"on_hold\":true,"
        "\"hold_reason\":\"dispatcher\"}}";
/* Recorded: POST /v1/work_orders {"vehicle_id":"V-5","category":"corrective"}. */
static const char wo_v5[] =
        "{\"data\":{\"id\":\"WO-4\",\"version\":1,\"deleted\":false,\"vehicle_id\":\"V-5\","
        "\"fault_id\":null,\"status\":\"open\",\"category\":\"corrective\",\"opened_at\":"
        "\"2025-03-07T10:00:00Z\",\"due_at\":\"2025-03-07T15:00:00Z\",\"closed_at\":null,"
        "\"est_cost\":2743.0}}";
/* A login gateway's page, as a reverse proxy in front of the source sends it. */
static const char login_page[] =
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>\n"
        "<form method=\"post\" action=\"/login\"><input name=\"user\">"
        "<input type=\"password\" name=\"pass\"><button>Sign in</button></form>\n"
        "</body></html>\n";

static enum connector_verdict ask(const char *action, const char *subject, long status,
                                  const char *ctype, const char *body, char *msg, size_t len)
{
	struct connector_answer a = {status, ctype, body, body ? strlen(body) : 0};
	memset(msg, 'x', len); /* whatever was there before is overwritten */
	return connector_waybill.result(action, subject, &a, msg, len);
}

static void test_the_sources_result_confirms(void **state)
{
	char msg[200];
	assert_int_equal(ask("place_hold", "V-3", 200, JSON_CT, hold_v3, msg, sizeof(msg)),
	                 CONNECTOR_CONFIRMED);
	assert_string_equal(msg, "");
	/* Media types are case-blind and +json types are JSON; no Content-Type at
	 * all leaves the body to say. */
	assert_int_equal(ask("place_hold", "V-3", 200, "Application/JSON", hold_v3, msg, 200),
	                 CONNECTOR_CONFIRMED);
	assert_int_equal(
	        ask("place_hold", "V-3", 200, "application/vnd.erp+json", hold_v3, msg, 200),
	        CONNECTOR_CONFIRMED);
	assert_int_equal(ask("place_hold", "V-3", 200, NULL, hold_v3, msg, 200),
	                 CONNECTOR_CONFIRMED);
	/* A creation answers 201 with the new work order, about the vehicle or
	 * the fault the action was queued on. */
	assert_int_equal(ask("open_work_order", "V-5", 201, JSON_CT, wo_v5, msg, 200),
	                 CONNECTOR_CONFIRMED);
	assert_int_equal(ask("open_work_order", "F-9", 201, JSON_CT,
	                     "{\"data\":{\"id\":\"WO-7\",\"version\":1,\"vehicle_id\":\"V-5\","
	                     "\"fault_id\":\"F-9\"}}",
	                     msg, 200),
	                 CONNECTOR_CONFIRMED);
}

static void test_html_is_unrecognised(void **state)
{
	char msg[200], want[120];
	assert_int_equal(ask("place_hold", "V-3", 200, "text/html; charset=utf-8", login_page, msg,
	                     sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	snprintf(want, sizeof(want), "answer not recognised: 200 text/html, %zu bytes",
	         strlen(login_page));
	assert_string_equal(msg, want);
	/* Even JSON sent as text/plain is not the source speaking its contract. */
	assert_int_equal(ask("place_hold", "V-3", 200, "text/plain", hold_v3, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_non_null(strstr(msg, "200 text/plain"));
	/* HTML without a Content-Type is not JSON either. */
	assert_int_equal(ask("place_hold", "V-3", 200, NULL, login_page, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	snprintf(want, sizeof(want),
	         "answer not recognised: 200 without a Content-Type, %zu bytes that are not JSON",
	         strlen(login_page));
	assert_string_equal(msg, want);
}

static void test_empty_body_is_unrecognised(void **state)
{
	char msg[200];
	assert_int_equal(ask("release_load", "L-1042", 200, JSON_CT, "", msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: 200 application/json with an empty body");
	assert_int_equal(ask("release_load", "L-1042", 204, NULL, NULL, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg,
	                    "answer not recognised: 204 without a Content-Type with an empty body");
}

/* A body bigger than one record is not parsed: 1 MiB of {} would be a tree of
 * about 77 MiB (a source that lies must not cost that). */
static void test_oversized_body_is_not_parsed(void **state)
{
	size_t n = 1u << 20;
	char *body = malloc(n + 32);
	assert_non_null(body);
	size_t o = (size_t)sprintf(body, "{\"data\":[");
	while (o < n)
		o += (size_t)sprintf(body + o, "{},");
	sprintf(body + o, "{}]}");
	char msg[200];
	assert_int_equal(ask("release_load", "L-1042", 200, JSON_CT, body, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_non_null(strstr(msg, "more than one record"));
	free(body);
}

static void test_other_shapes_are_unrecognised(void **state)
{
	static const struct {
		const char *body, *reason;
	} cases[] = {
	        {"{\"ok\":true}", "200 JSON without a \"data\" record"},
	        {"{\"status\":\"accepted\",\"data\":[{\"id\":\"L-1042\"}]}",
	         "200 JSON without a \"data\" record"},
	        {"{\"data\":{\"version\":3}}", "200 JSON whose record has no id"},
	        {"{\"data\":{\"id\":\"L-1042\"}}", "200 JSON whose record L-1042 has no version"},
	        {"{\"data\":{\"id\":\"L-1042\",\"version\":\"3\"}}",
	         "200 JSON whose record L-1042 has no version"},
	        {"{\"data\":{\"id\":\"L-1042\",\"version\":-1}}",
	         "200 JSON whose record L-1042 has no version"},
	        {"[{\"id\":\"L-1042\",\"version\":3}]",
	         "200 application/json, JSON that is not an object"},
	        {"\"OK\"", "200 application/json, JSON that is not an object"},
	        {"{\"data\":{\"id\":\"L-1042\",\"version\":3}", /* cut short */
	         "200 application/json, 35 bytes that are not JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[200], want[200];
		if (ask("release_load", "L-1042", 200, "application/json", cases[i].body, msg,
		        sizeof(msg)) != CONNECTOR_UNRECOGNISED)
			fail_msg("%s: expected unrecognised", cases[i].body);
		snprintf(want, sizeof(want), "answer not recognised: %s", cases[i].reason);
		if (strcmp(msg, want) != 0)
			fail_msg("%s: expected \"%s\", got \"%s\"", cases[i].body, want, msg);
	}
}

static void test_another_subject_is_unrecognised(void **state)
{
	char msg[200];
	assert_int_equal(ask("release_load", "L-1042", 200, JSON_CT,
	                     "{\"data\":{\"id\":\"L-7\",\"version\":12,\"status\":\"released\"}}",
	                     msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: JSON names L-7, not L-1042");
	/* The recorded hold of V-3 does not confirm a hold of V-30. */
	assert_int_equal(ask("place_hold", "V-30", 200, JSON_CT, hold_v3, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: JSON names V-3, not V-30");
	/* A work order for another vehicle, or a record that is no work order. */
	assert_int_equal(ask("open_work_order", "V-6", 201, JSON_CT, wo_v5, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: JSON names WO-4 for V-5, not for V-6");
	assert_int_equal(ask("open_work_order", "V-3", 200, JSON_CT, hold_v3, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: JSON names V-3, not a new work order");
	/* What the source sends is cleaned before it reaches a message. */
	assert_int_equal(ask("release_load", "L-1042", 200, JSON_CT,
	                     "{\"data\":{\"id\":\"L-\\u001b]0;x\\u0007\",\"version\":1}}", msg,
	                     sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: JSON names L-?]0;x?, not L-1042");
}

static void test_error_member_is_a_refusal(void **state)
{
	char msg[200];
	/* As an ERP answers a business error: 200 with an error member. */
	assert_int_equal(ask("release_invoice", "INV-9", 200, JSON_CT,
	                     "{\"error\":{\"code\":\"posting_locked\",\"message\":\"Periode "
	                     "gesperrt: Buchung nicht möglich\"}}",
	                     msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "Periode gesperrt: Buchung nicht möglich");
	assert_int_equal(ask("release_invoice", "INV-9", 200, JSON_CT,
	                     "{\"error\":{\"code\":\"posting_locked\"}}", msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "posting_locked");
	assert_int_equal(ask("release_invoice", "INV-9", 200, JSON_CT,
	                     "{\"success\":false,\"error\":\"customer on credit stop\"}", msg,
	                     sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "customer on credit stop");
	assert_int_equal(ask("release_invoice", "INV-9", 202, JSON_CT,
	                     "{\"errors\":[{\"title\":\"invoice is disputed\"}]}", msg,
	                     sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "invoice is disputed");
	/* Even beside a record that looks right, the error wins. */
	assert_int_equal(ask("release_invoice", "INV-9", 200, JSON_CT,
	                     "{\"data\":{\"id\":\"INV-9\",\"version\":2},\"error\":{}}", msg,
	                     sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "the source refused it without a message");
	/* A null error member is no error. */
	assert_int_equal(ask("release_invoice", "INV-9", 200, JSON_CT,
	                     "{\"data\":{\"id\":\"INV-9\",\"version\":2},\"error\":null}", msg,
	                     sizeof(msg)),
	                 CONNECTOR_CONFIRMED);
	/* Nor is a false one ({"error": false} beside the record, as some APIs say it). */
	assert_int_equal(ask("release_invoice", "INV-9", 200, JSON_CT,
	                     "{\"data\":{\"id\":\"INV-9\",\"version\":2},\"error\":false}", msg,
	                     sizeof(msg)),
	                 CONNECTOR_CONFIRMED);
	/* Control bytes and bidi overrides from the source become '?'. */
	assert_int_equal(ask("release_invoice", "INV-9", 200, JSON_CT,
	                     "{\"error\":\"no\\u001b[2J\\u202eway\\u0085\"}", msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "no?[2J?way?");
}

static void test_odd_calls(void **state)
{
	char msg[64];
	/* Not a 2xx: the sender handles those, but the answer is still no result. */
	assert_int_equal(ask("place_hold", "V-3", 302, "text/html", login_page, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: HTTP 302 is not a result");
	assert_int_equal(ask("teleport_load", "L-1", 200, JSON_CT, hold_v3, msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(msg, "answer not recognised: no result is known for \"teleport_load\"");
	/* A short buffer is cut, never overrun. */
	char tiny[12];
	assert_int_equal(ask("place_hold", "V-3", 200, "text/html", login_page, tiny, sizeof(tiny)),
	                 CONNECTOR_UNRECOGNISED);
	assert_string_equal(tiny, "answer not ");
	/* A huge content type is cut in the message. */
	char ct[400];
	memset(ct, 'a', sizeof(ct) - 1);
	ct[sizeof(ct) - 1] = '\0';
	char big[300];
	assert_int_equal(ask("place_hold", "V-3", 200, ct, login_page, big, sizeof(big)),
	                 CONNECTOR_UNRECOGNISED);
	assert_true(strlen(big) < 120);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_the_sources_result_confirms),
	        cmocka_unit_test(test_html_is_unrecognised),
	        cmocka_unit_test(test_empty_body_is_unrecognised),
	        cmocka_unit_test(test_other_shapes_are_unrecognised),
	        cmocka_unit_test(test_another_subject_is_unrecognised),
	        cmocka_unit_test(test_error_member_is_a_refusal),
	        cmocka_unit_test(test_odd_calls),
	        cmocka_unit_test(test_oversized_body_is_not_parsed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
