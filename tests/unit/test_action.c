/* Actions are recorded whole: outbox row and audit row together, or neither. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "testutil.h"
#include "cache/cache.h"

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
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

static int64_t rows(struct cache *c, const char *table)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return test_count(c, sql);
}

static const struct cache_action approve = {
        .source = "tms",
        .action = "approve_exception",
        .subject = "exception:X-7",
        .payload = "{\"note\":\"checked the card\"}",
        .user = "s.park",
        .role = "supervisor",
        .before = "{\"status\":\"open\"}",
        .after = "{\"status\":\"approved\"}",
        .reason = "checked the card",
        .at = 1764400000,
};

static void test_recorded_together(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char key[40];
	int64_t seq = 0;
	assert_int_equal(cache_action_record(f->c, &approve, key, &seq, &err), 0);
	assert_int_equal(strlen(key), 36);
	assert_int_equal(seq, 1);
	assert_int_equal(rows(f->c, "outbox"), 1);
	assert_int_equal(rows(f->c, "audit"), 1);
	/* The audit row leads to the outbox row. */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c),
	                                    "SELECT after, user, role, reason FROM audit", -1, &st,
	                                    NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	json_error_t je;
	json_t *after = json_loads((const char *)sqlite3_column_text(st, 0), 0, &je);
	assert_string_equal(json_string_value(json_object_get(after, "outbox_key")), key);
	assert_string_equal(json_string_value(json_object_get(after, "status")), "approved");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "s.park");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "checked the card");
	json_decref(after);
	sqlite3_finalize(st);
	char pending[48];
	assert_int_equal(
	        cache_action_pending(f->c, "exception:X-7", pending, sizeof(pending), &err), 0);
	assert_string_equal(pending, "approve_exception");
	assert_int_equal(
	        cache_action_pending(f->c, "exception:X-8", pending, sizeof(pending), &err),
	        WB_ENOTFOUND);
	/* Delivered: no longer pending. */
	assert_int_equal(outbox_delivered(f->c, key, 200, "ok", 1764400005, &err), 0);
	assert_int_equal(
	        cache_action_pending(f->c, "exception:X-7", pending, sizeof(pending), &err),
	        WB_ENOTFOUND);
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.first_bad_seq, 0);
}

/* Anything wrong with either half leaves neither. */
static void test_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct cache_action a = approve;
	a.after = "[1,2]";
	assert_int_equal(cache_action_record(f->c, &a, NULL, NULL, &err), WB_EINVALID);
	a = approve;
	a.payload = "{not json";
	assert_int_equal(cache_action_record(f->c, &a, NULL, NULL, &err), WB_EINVALID);
	a = approve;
	a.role = NULL;
	assert_int_equal(cache_action_record(f->c, &a, NULL, NULL, &err), WB_EINVALID);
	a = approve;
	a.user = "";
	assert_int_equal(cache_action_record(f->c, &a, NULL, NULL, &err), WB_EINVALID);
	assert_int_equal(rows(f->c, "outbox"), 0);
	assert_int_equal(rows(f->c, "audit"), 0);
	/* Inside a caller's transaction that rolls back, nothing stays either. */
	assert_int_equal(cache_begin(f->c, &err), 0);
	assert_int_equal(cache_action_record(f->c, &approve, NULL, NULL, &err), 0);
	cache_rollback(f->c);
	assert_int_equal(rows(f->c, "outbox"), 0);
	assert_int_equal(rows(f->c, "audit"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_recorded_together, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
	};
	return cmocka_run_group_tests_name("action", tests, NULL, NULL);
}
