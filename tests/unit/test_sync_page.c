/* Pages from a source land whole with their cursor, or not at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "testutil.h"
#include "sync/sync.h"

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	const struct connector_ops *k;
	const struct connector_stream *loads, *positions;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	f->k = connector_find("waybill");
	f->loads = connector_stream(f->k, "tms", "loads");
	f->positions = connector_stream(f->k, "telematics", "positions");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static int apply(struct fx *f, const char *body, struct sync_page_result *r, struct wb_err *err)
{
	return sync_apply_page(f->c, f->k, f->loads, "tms", body, strlen(body), r, err);
}

static void cursor_is(struct fx *f, const char *want)
{
	char cur[128];
	struct wb_err err = {0};
	assert_int_equal(cache_cursor_get(f->c, "tms", "loads", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, want);
}

static void test_page_with_cursor(void **state)
{
	struct fx *f = *state;
	struct sync_page_result r;
	struct wb_err err = {0};
	/* A duplicate and an out-of-order older copy inside one page. */
	const char *page = "{\"data\":["
	                   "{\"id\":\"L-1\",\"version\":2,\"status\":\"staged\"},"
	                   "{\"id\":\"L-2\",\"version\":1,\"status\":\"planned\"},"
	                   "{\"id\":\"L-1\",\"version\":2,\"status\":\"staged\"},"
	                   "{\"id\":\"L-1\",\"version\":1,\"status\":\"planned\"}],"
	                   "\"next\":\"c-4\",\"has_more\":true}";
	assert_int_equal(apply(f, page, &r, &err), 0);
	assert_int_equal(r.records, 4);
	assert_int_equal(r.written, 2);
	assert_true(r.has_more);
	assert_string_equal(r.next, "c-4");
	cursor_is(f, "c-4");
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM load"), 2);
	assert_int_equal(
	        test_count(f->c, "SELECT count(*) FROM load WHERE id='L-1' AND status='staged'"),
	        1);
	/* The same page again (a replay after a crash before the caller saw it). */
	assert_int_equal(apply(f, page, &r, &err), 0);
	assert_int_equal(r.written, 0);
	/* An empty last page moves the cursor and ends the pass. */
	assert_int_equal(apply(f, "{\"data\":[],\"next\":\"c-5\",\"has_more\":false}", &r, &err),
	                 0);
	assert_false(r.has_more);
	cursor_is(f, "c-5");
}

static void test_rejected_pages_write_nothing(void **state)
{
	struct fx *f = *state;
	struct sync_page_result r;
	struct wb_err err = {0};
	assert_int_equal(apply(f, "{\"data\":[],\"next\":\"c-1\",\"has_more\":true}", &r, &err), 0);
	static const struct {
		const char *body, *want;
	} bad[] = {
	        {"{\"data\":[{\"id\":\"L-1\",\"version\":1}],\"next\":\"c-2\",\"has_m",
	         "malformed JSON at line 1 column"},
	        {"{\"data\":[{\"id\":\"L-1\",\"version\":1},\n{\"id\":\"L-2\",\"version\":1,"
	         "\"status\":"
	         "7}],"
	         "\"next\":\"c-2\"}",
	         "record 1: loads L-2: field status"},
	        {"{\"data\":[{\"id\":\"L-1\",\"version\":1},{\"id\":\"L-2\",\"version\":1,"
	         "\"departed_at\":9223372036854775807}],\"next\":\"c-2\"}",
	         "record 1: loads L-2: field departed_at: 9223372036854775807 is out of range (a "
	         "time from 2000-01-01 to 2100-01-01)"},
	        {"{\"data\":[{\"id\":\"L-1\",\"version\":1,\"revenue\":1e300}],\"next\":\"c-2\"}",
	         "record 0: loads L-1: field revenue: 1e+300 is out of range"},
	        {"{\"data\":[{\"id\":\"L-1\",\"version\":1,\"pallets\":-4}],\"next\":\"c-2\"}",
	         "record 0: loads L-1: field pallets: -4 is out of range"},
	        {"{\"data\":{},\"next\":\"c-2\"}", "no \"data\" array"},
	        {"{\"data\":[],\"next\":null}", "no usable \"next\""},
	        {"{\"data\":[],\"next\":\"c-2\",\"has_more\":\"yes\"}",
	         "\"has_more\" is not a boolean"},
	        {"{\"data\":[],\"data\":[],\"next\":\"c-2\"}", "malformed JSON"},
	        {"", "malformed JSON"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = (struct wb_err){0};
		int rc = apply(f, bad[i].body, &r, &err);
		if (rc == 0 || !strstr(err.msg, bad[i].want))
			fail_msg("page %zu: expected an error with \"%s\", got %d \"%s\"", i,
			         bad[i].want, rc, err.msg);
		/* The line that shows it names source and stream; the message must
		 * not name them again ("tms loads: tms loads: page rejected"). */
		if (strncmp(err.msg, "page rejected: ", 15) != 0 || strstr(err.msg, "tms"))
			fail_msg("page %zu: expected \"page rejected: ...\" without the source, "
			         "got \"%s\"",
			         i, err.msg);
		assert_int_equal(test_count(f->c, "SELECT count(*) FROM load"), 0);
		cursor_is(f, "c-1");
	}
}

static void test_positions_page_and_events(void **state)
{
	struct fx *f = *state;
	struct sync_page_result r;
	struct wb_err err = {0};
	const char *page =
	        "{\"data\":[{\"vehicle_id\":\"V-1\",\"ts_ms\":1741341600000,\"lat\":52,\"lon\":4},"
	        "{\"vehicle_id\":\"V-2\",\"ts_ms\":1741341600000,\"lat\":52,\"lon\":4}],"
	        "\"next\":\"p-2\",\"has_more\":false}";
	assert_int_equal(sync_apply_page(f->c, f->k, f->positions, "telematics", page, strlen(page),
	                                 &r, &err),
	                 0);
	assert_int_equal(r.written, 2);
	json_error_t je;
	json_t *ev[2] = {
	        json_loads("{\"vehicle_id\":\"V-1\",\"ts_ms\":1741341601000,\"lat\":52,\"lon\":4}",
	                   0, &je),
	        json_loads("{\"vehicle_id\":\"V-1\",\"ts_ms\":1741341600000,\"lat\":52,\"lon\":4}",
	                   0, &je)};
	struct sync_events_result er;
	assert_int_equal(sync_apply_positions(f->c, f->k, "telematics", "positions", ev, 2, "ev-9",
	                                      &er, &err),
	                 0);
	assert_int_equal(er.added, 1); /* the second was already there */
	assert_int_equal(er.rejected, 0);
	assert_string_equal(er.first_reject, "");
	char cur[32];
	assert_int_equal(cache_cursor_get(f->c, "telematics", "positions", cur, sizeof(cur), &err),
	                 0);
	assert_string_equal(cur, "ev-9");
	json_decref(ev[0]);
	json_decref(ev[1]);
}

/* One bad live event costs only itself: the good ones of its batch are
 * stored, the bad ones counted (returned and on the stream's health row), and
 * the last event id moves past them. */
static void test_bad_event_keeps_the_batch(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	static const char *const events[] = {
	        "{\"vehicle_id\":\"V-1\",\"ts_ms\":1741341600000,\"lat\":52,\"lon\":4}",
	        "{\"vehicle_id\":\"V-2\",\"ts_ms\":1741341600000,\"lat\":1e308,\"lon\":4}",
	        "{\"vehicle_id\":\"V-1\",\"ts_ms\":1741341601000,\"lat\":52.1,\"lon\":4}",
	        NULL, /* an event that was not JSON (sync/live.c keeps it as a null) */
	        "{\"vehicle_id\":\"V-3\",\"ts_ms\":9223372036854775807,\"lat\":52,\"lon\":4}",
	        "{\"vehicle_id\":\"V-2\",\"ts_ms\":1741341602000,\"lat\":51,\"lon\":5}",
	};
	enum { N = sizeof(events) / sizeof(events[0]) };
	json_t *ev[N];
	json_error_t je;
	for (size_t i = 0; i < N; i++)
		ev[i] = events[i] ? json_loads(events[i], 0, &je) : json_null();
	struct sync_events_result er;
	assert_int_equal(sync_apply_positions(f->c, f->k, "telematics", "positions_live", ev, N,
	                                      "41", &er, &err),
	                 0);
	assert_int_equal(er.added, 3);
	assert_int_equal(er.rejected, 3);
	assert_non_null(strstr(er.first_reject, "position V-2: field lat: 1e+308 is out of range"));
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM position"), 3);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM position WHERE lat > 90"), 0);
	assert_int_equal(
	        test_count(f->c, "SELECT rejected FROM sync_state WHERE stream='positions_live'"),
	        3);
	char cur[32];
	assert_int_equal(
	        cache_cursor_get(f->c, "telematics", "positions_live", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, "41");
	/* A batch of nothing but bad events still moves the cursor, and the count adds up. */
	assert_int_equal(sync_apply_positions(f->c, f->k, "telematics", "positions_live", &ev[1], 1,
	                                      "42", &er, &err),
	                 0);
	assert_int_equal(er.added, 0);
	assert_int_equal(er.rejected, 1);
	assert_int_equal(
	        cache_cursor_get(f->c, "telematics", "positions_live", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, "42");
	struct cache_health *h;
	size_t nh;
	assert_int_equal(cache_health_list(f->c, &h, &nh, &err), 0);
	assert_int_equal(nh, 1);
	assert_int_equal(h[0].rejected, 4);
	free(h);
	/* Pages stay all or nothing: a page with the same bad position is refused whole. */
	const struct connector_stream *ps = connector_stream(f->k, "telematics", "positions");
	const char *page =
	        "{\"data\":[{\"vehicle_id\":\"V-9\",\"ts_ms\":1741341700000,\"lat\":52,\"lon\":4},"
	        "{\"vehicle_id\":\"V-9\",\"ts_ms\":1741341701000,\"lat\":1e308,\"lon\":4}],"
	        "\"next\":\"p-9\",\"has_more\":false}";
	struct sync_page_result pr;
	assert_int_equal(
	        sync_apply_page(f->c, f->k, ps, "telematics", page, strlen(page), &pr, &err),
	        WB_EINVALID);
	assert_non_null(strstr(err.msg, "page rejected: record 1: position V-9: field lat"));
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM position WHERE vehicle_id='V-9'"),
	                 0);
	for (size_t i = 0; i < N; i++)
		json_decref(ev[i]);
}

/* A resync after an expired cursor: rows the source deleted while we could
 * not see its tombstones are swept at the end of the pass, nothing else. */
static void test_resync_sweeps_ghosts(void **state)
{
	struct fx *f = *state;
	struct sync_page_result r;
	struct wb_err err = {0};
	assert_int_equal(
	        apply(f,
	              "{\"data\":[{\"id\":\"L-1\",\"version\":1},{\"id\":\"L-2\",\"version\":1},"
	              "{\"id\":\"L-3\",\"version\":1}],\"next\":\"c-3\",\"has_more\":false}",
	              &r, &err),
	        0);
	/* Another source's load: not this resync's to sweep. */
	struct wb_load other;
	wb_entity_clear(WB_ENT_LOAD, &other);
	test_meta(&other.meta, "B-1", "tms_b", 1);
	test_put(f->c, WB_ENT_LOAD, &other);
	assert_int_equal(cache_resync_begin(f->c, "tms", "loads", &err), 0);
	assert_true(cache_resync_active(f->c, "tms", "loads"));
	cursor_is(f, "");
	/* The full pass, in two pages: L-2 is gone, L-4 is new, L-1 changed. */
	assert_int_equal(apply(f,
	                       "{\"data\":[{\"id\":\"L-3\",\"version\":1}],\"next\":\"r-1\",\"has_"
	                       "more\":true}",
	                       &r, &err),
	                 0);
	/* A crash here leaves the resync flag and what it saw on disk. */
	cache_close(f->c);
	f->c = cache_open(f->path, NULL, &err);
	assert_non_null(f->c);
	assert_true(cache_resync_active(f->c, "tms", "loads"));
	assert_int_equal(
	        apply(f,
	              "{\"data\":[{\"id\":\"L-4\",\"version\":1},{\"id\":\"L-1\",\"version\":2}],"
	              "\"next\":\"r-2\",\"has_more\":false}",
	              &r, &err),
	        0);
	assert_int_equal(cache_resync_finish(f->c, "tms", "loads", WB_ENT_LOAD, &err), 1);
	assert_false(cache_resync_active(f->c, "tms", "loads"));
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM load WHERE deleted=0"), 4);
	assert_int_equal(test_count(f->c, "SELECT deleted FROM load WHERE id='L-2'"), 1);
	assert_int_equal(test_count(f->c, "SELECT deleted FROM load WHERE id='B-1'"), 0);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM resync_seen"), 0);
	/* Later pages no longer remember ids. */
	assert_int_equal(apply(f,
	                       "{\"data\":[{\"id\":\"L-5\",\"version\":1}],\"next\":\"r-3\",\"has_"
	                       "more\":false}",
	                       &r, &err),
	                 0);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM resync_seen"), 0);
}

/* What a source said, as one short line safe on a terminal. */
static void test_source_text(void **state)
{
	(void)state;
	static const struct {
		const char *body, *ctype, *want;
	} cases[] = {
	        {"{\"error\":{\"code\":\"bad_cursor\",\"message\":\"unknown cursor\"}}",
	         "application/json", "unknown cursor"},
	        {"{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"detail\":\"cursor "
	         "expired\"}",
	         "application/problem+json", "cursor expired"},
	        {"{\"error\":\"invalid_grant\"}", NULL, "invalid_grant"},
	        {"{\"errors\":[{\"message\":\"first\"},{\"message\":\"second\"}]}", NULL, "first"},
	        {"{\"data\":[]}", "application/json", ""},
	        {"<!DOCTYPE html><html><head><TITLE>Sign in\n to Acme</TITLE></head>"
	         "<body>...</body></html>",
	         "text/html; charset=utf-8", "Sign in to Acme"},
	        {"<html><body>no title</body></html>", "text/html", ""},
	        {"  Service\r\n\tunavailable  \n", "text/plain", "Service unavailable"},
	        /* Escapes, C1 controls and bidi overrides become spaces. */
	        {"{\"error\":{\"message\":\"a\\u001b]0;owned\\u0007b\\u009bc\\u202ed\"}}", NULL,
	         "a ]0;owned b c d"},
	        {"bad \xff\xc0\x80 utf8", "text/plain",
	         "bad \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD utf8"},
	        {"\x1f\x8b\x08\x00binary", "application/octet-stream", ""},
	        {"", "text/plain", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[SYNC_SOURCE_TEXT_MAX];
		size_t n = sync_source_text(cases[i].body, strlen(cases[i].body), cases[i].ctype,
		                            out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0 || n != strlen(out))
			fail_msg("case %zu: expected \"%s\", got \"%s\" (%zu)", i, cases[i].want,
			         out, n);
	}
	/* A long message is cut on a character boundary, marked, and bounded. */
	char big[4000], out[SYNC_SOURCE_TEXT_MAX];
	size_t o = (size_t)snprintf(big, sizeof(big), "{\"error\":{\"message\":\"");
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "\xC3\xA9"); /* é */
	snprintf(big + o, sizeof(big) - o, "\"}}");
	size_t n = sync_source_text(big, strlen(big), NULL, out, sizeof(out));
	assert_true(n < sizeof(out));
	assert_int_equal(strlen(out), n);
	assert_string_equal(out + n - 3, "\xE2\x80\xA6");
	for (size_t i = 0; i + 3 < n; i += 2)
		assert_memory_equal(out + i, "\xC3\xA9", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_page_with_cursor, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rejected_pages_write_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_positions_page_and_events, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_event_keeps_the_batch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resync_sweeps_ghosts, setup, teardown),
	        cmocka_unit_test(test_source_text),
	};
	return cmocka_run_group_tests_name("sync_page", tests, NULL, NULL);
}
