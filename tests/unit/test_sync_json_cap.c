/* A page's parse is bounded by what it allocates: a body of tiny objects
 * ({"data":[{},{},...]}, about 77x its length in jansson) is refused with a
 * clear reason, while a real page of 1000 records parses as before. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/json_cap.h"
#include "sync/sync.h"

/* {"data":[ELEM,ELEM,...],"next":"c-1"} of about len bytes; caller frees. */
static char *page_of(const char *elem, size_t len, size_t *out_len)
{
	size_t el = strlen(elem);
	char *b = malloc(len + el + 64);
	assert_non_null(b);
	size_t n = (size_t)sprintf(b, "{\"data\":[");
	while (n + el + 32 < len) {
		memcpy(b + n, elem, el);
		n += el;
		b[n++] = ',';
	}
	memcpy(b + n, elem, el);
	n += el;
	n += (size_t)sprintf(b + n, "],\"next\":\"c-1\",\"has_more\":false}");
	*out_len = n;
	return b;
}

static void test_tiny_objects_refused(void **state)
{
	const struct connector_stream *s =
	        connector_stream(connector_find("waybill"), "tms", "loads");
	size_t len;
	/* 1 MiB of {} would take about 77 MiB as a tree. */
	char *body = page_of("{}", 1u << 20, &len);
	json_t *page = NULL;
	struct sync_page_result r;
	struct wb_err err = {0};
	int rc = sync_page_parse(s, "tms", body, len, &page, &r, &err);
	if (rc == 0)
		fail_msg("a page of %zu bytes of {} was parsed whole (%zu records)", len,
		         r.records);
	assert_null(page);
	if (strncmp(err.msg, "page rejected:", 14) != 0 ||
	    !strstr(err.msg, "need more than 32 MiB of memory to parse"))
		fail_msg("unclear reason: %s", err.msg);
	free(body);
}

static void test_real_page_parses(void **state)
{
	const struct connector_stream *s =
	        connector_stream(connector_find("waybill"), "tms", "loads");
	/* 1000 records of about 580 bytes, like the simulator's loads. */
	char rec[600];
	snprintf(rec, sizeof(rec),
	         "{\"id\":\"L-100042\",\"version\":1741341600123,\"status\":\"staged\","
	         "\"customer_id\":\"C-0042\",\"order_id\":\"O-100042\",\"vehicle_id\":\"V-017\","
	         "\"driver_id\":\"D-031\",\"origin\":\"Depot 1, Industrieweg 12, Utrecht\","
	         "\"destination\":\"Kanaalweg 220, Amersfoort\",\"pickup_at\":\"2025-03-07T"
	         "10:00:00Z\",\"deliver_by\":\"2025-03-07T16:00:00Z\",\"weight_kg\":12400,"
	         "\"pallets\":18,\"notes\":\"%0*d\"}",
	         180, 7);
	size_t one = strlen(rec), len;
	char *body = page_of(rec, 1000 * (one + 1), &len);
	json_t *page = NULL;
	struct sync_page_result r;
	struct wb_err err = {0};
	if (sync_page_parse(s, "tms", body, len, &page, &r, &err) != 0)
		fail_msg("a real page of %zu bytes was refused: %s", len, err.msg);
	assert_int_equal(r.records, 1000);
	json_decref(page); /* made under the cap, freed outside it */
	free(body);
}

static void test_cap_counts_only_inside(void **state)
{
	json_error_t je;
	bool over = false;
	const char *doc = "{\"a\":[1,2,3],\"b\":{\"c\":\"d\"}}";
	assert_null(sync_json_loadb_capped(doc, strlen(doc), 0, 64, &je, &over));
	assert_true(over);
	json_t *j = sync_json_loadb_capped(doc, strlen(doc), 0, 1u << 20, &je, &over);
	assert_non_null(j);
	assert_false(over);
	/* Outside a capped parse, jansson allocates as much as it likes. */
	json_t *big = json_array();
	for (int i = 0; i < 100000; i++)
		assert_int_equal(json_array_append_new(big, json_object()), 0);
	json_decref(big);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tiny_objects_refused),
	        cmocka_unit_test(test_real_page_parses),
	        cmocka_unit_test(test_cap_counts_only_inside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
