/* The outbox against a real SQLite file: order of delivery, per-subject order,
 * retries and their schedule, permanent failures, crash recovery, keys, depth,
 * backoff, and that an action's outbox and audit rows commit together. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <sqlite3.h>
#include <uuid/uuid.h>

#include "testutil.h"
#include "cache/cache.h"

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	uint32_t changed;
};

static void on_change(void *arg, uint32_t tables)
{
	struct fx *f = arg;
	f->changed |= tables;
}

static struct cache *open_or_fail(const char *path)
{
	struct wb_err err = {0};
	struct cache *c = cache_open(path, NULL, &err);
	if (!c)
		fail_msg("cache_open %s: %s", path, err.msg);
	return c;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	cache_on_change(f->c, on_change, f);
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

/* Enqueues one action and returns its key in key. */
static void enq(struct fx *f, const char *source, const char *action, const char *subject,
                int64_t now, char key[40])
{
	struct wb_err err = {0};
	int rc =
	        outbox_enqueue(f->c, source, action, subject, "{\"n\":1}", "alice", now, key, &err);
	if (rc != 0)
		fail_msg("outbox_enqueue %s %s: %s", action, subject, err.msg);
}

/* Claims for source at now and expects key (NULL: expects nothing due). */
static void expect_claim(struct fx *f, const char *source, int64_t now, const char *key)
{
	struct wb_err err = {0};
	struct outbox_item it;
	int rc = outbox_claim(f->c, source, now, &it, &err);
	if (!key) {
		if (rc != WB_ENOTFOUND)
			fail_msg("expected nothing due for %s at %lld, claimed %s (rc %d)", source,
			         (long long)now, rc == 0 ? it.key : err.msg, rc);
		outbox_item_free(&it);
		return;
	}
	if (rc != 0)
		fail_msg("expected to claim %s for %s at %lld: %s", key, source, (long long)now,
		         err.msg);
	if (strcmp(it.key, key) != 0)
		fail_msg("expected to claim %s (%s), got %s (%s)", key, source, it.key, it.subject);
	assert_int_equal(it.status, OUTBOX_INFLIGHT);
	outbox_item_free(&it);
}

static void deliver(struct fx *f, const char *key)
{
	struct wb_err err = {0};
	if (outbox_delivered(f->c, key, 200, "{\"ok\":true}", 1000, &err) != 0)
		fail_msg("outbox_delivered %s: %s", key, err.msg);
}

static enum outbox_status status_of(struct fx *f, const char *key)
{
	struct wb_err err = {0};
	struct outbox_item it;
	if (outbox_get(f->c, key, &it, &err) != 0)
		fail_msg("outbox_get %s: %s", key, err.msg);
	enum outbox_status s = it.status;
	outbox_item_free(&it);
	return s;
}

static void test_enqueue_claim_deliver_in_order(void **state)
{
	struct fx *f = *state;
	char k1[40], k2[40], k3[40];
	enq(f, "tms", "release_load", "load:L-1", 100, k1);
	enq(f, "tms", "release_load", "load:L-2", 100, k2);
	enq(f, "tms", "release_load", "load:L-3", 100, k3);
	assert_true(f->changed & CACHE_BIT(CACHE_T_OUTBOX));

	struct wb_err err = {0};
	struct outbox_item it;
	assert_int_equal(outbox_get(f->c, k1, &it, &err), 0);
	assert_string_equal(it.source, "tms");
	assert_string_equal(it.action, "release_load");
	assert_string_equal(it.subject, "load:L-1");
	assert_string_equal(it.payload, "{\"n\":1}");
	assert_string_equal(it.user, "alice");
	assert_int_equal(it.created_at, 100);
	assert_int_equal(it.next_attempt_at, 100);
	assert_int_equal(it.attempts, 0);
	assert_int_equal(it.status, OUTBOX_PENDING);
	assert_null(it.answer);
	assert_int_equal(it.http_status, 0);
	outbox_item_free(&it);

	/* Nothing for another source, nothing before it was enqueued. */
	expect_claim(f, "erp", 200, NULL);
	expect_claim(f, "tms", 99, NULL);

	assert_int_equal(outbox_claim(f->c, "tms", 200, &it, &err), 0);
	assert_string_equal(it.key, k1);
	assert_int_equal(it.attempts, 1);
	assert_string_equal(it.payload, "{\"n\":1}");
	outbox_item_free(&it);
	expect_claim(f, "tms", 200, k2);
	expect_claim(f, "tms", 200, k3);
	expect_claim(f, "tms", 200, NULL);

	deliver(f, k1);
	assert_int_equal(outbox_get(f->c, k1, &it, &err), 0);
	assert_int_equal(it.status, OUTBOX_DELIVERED);
	assert_int_equal(it.http_status, 200);
	assert_string_equal(it.answer, "{\"ok\":true}");
	outbox_item_free(&it);

	/* A final row stays final. */
	assert_int_equal(outbox_failed(f->c, k1, 500, "late", 1001, &err), WB_ECONFLICT);
	assert_int_equal(outbox_retry(f->c, k1, 503, "late", 1001, &err), WB_ECONFLICT);
	assert_int_equal(outbox_delivered(f->c, "no-such-key", 200, NULL, 1, &err), WB_ENOTFOUND);
	assert_int_equal(outbox_get(f->c, "no-such-key", &it, &err), WB_ENOTFOUND);
}

static void test_subject_order(void **state)
{
	struct fx *f = *state;
	char a1[40], a2[40], b1[40];
	enq(f, "tms", "release_load", "load:L-1", 100, a1);
	enq(f, "tms", "cancel_load", "load:L-1", 101, a2);
	enq(f, "tms", "release_load", "load:L-2", 102, b1);

	expect_claim(f, "tms", 200, a1);
	/* a2 waits for a1 (inflight); L-2 goes ahead independently. */
	expect_claim(f, "tms", 200, b1);
	expect_claim(f, "tms", 200, NULL);
	deliver(f, b1);
	expect_claim(f, "tms", 200, NULL);
	deliver(f, a1);
	expect_claim(f, "tms", 200, a2);
}

/* The order holds across sources too: the ERP action on a load waits for the
 * TMS action enqueued before it. */
static void test_subject_order_across_sources(void **state)
{
	struct fx *f = *state;
	char t[40], e[40];
	enq(f, "tms", "release_load", "load:L-1", 100, t);
	enq(f, "erp", "release_invoice", "load:L-1", 101, e);
	expect_claim(f, "erp", 200, NULL);
	expect_claim(f, "tms", 200, t);
	expect_claim(f, "erp", 200, NULL);
	deliver(f, t);
	expect_claim(f, "erp", 200, e);
}

static void test_retry_schedule(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char a1[40], a2[40], b1[40];
	enq(f, "tms", "release_load", "load:L-1", 100, a1);
	enq(f, "tms", "cancel_load", "load:L-1", 101, a2);
	expect_claim(f, "tms", 100, a1);
	assert_int_equal(outbox_retry(f->c, a1, 503, "busy", 160, &err), 0);

	struct outbox_item it;
	assert_int_equal(outbox_get(f->c, a1, &it, &err), 0);
	assert_int_equal(it.status, OUTBOX_PENDING);
	assert_int_equal(it.next_attempt_at, 160);
	assert_int_equal(it.http_status, 503);
	assert_string_equal(it.answer, "busy");
	outbox_item_free(&it);

	/* Not before its time, and a2 still waits behind it. */
	expect_claim(f, "tms", 159, NULL);
	enq(f, "tms", "release_load", "load:L-2", 150, b1);
	expect_claim(f, "tms", 159, b1);
	assert_int_equal(outbox_claim(f->c, "tms", 160, &it, &err), 0);
	assert_string_equal(it.key, a1);
	assert_int_equal(it.attempts, 2);
	outbox_item_free(&it);
	deliver(f, a1);
	expect_claim(f, "tms", 160, a2);

	/* No answer at all (the connection closed): no HTTP status is stored,
	 * not a status 0 that `waybill outbox` would show as "HTTP 0". */
	assert_int_equal(outbox_retry(f->c, a2, 0, "connection closed", 170, &err), 0);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM outbox WHERE http_status IS NULL"
	                                  " AND answer='connection closed'"),
	                 1);
}

/* A retried action waits behind every action due before its retry, though it
 * is older: each action of a source failing alike gets its answer in turn,
 * rather than the first few retried over and over (issue #11: every pending
 * action shows its own reason). */
static void test_retry_goes_behind_the_waiting(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char a[40], b[40], c[40];
	enq(f, "tms", "release_load", "load:L-1", 100, a);
	enq(f, "tms", "release_load", "load:L-2", 100, b);
	enq(f, "tms", "release_load", "load:L-3", 100, c);
	expect_claim(f, "tms", 100, a);
	assert_int_equal(outbox_retry(f->c, a, 200, "answer not recognised", 101, &err), 0);
	expect_claim(f, "tms", 105, b);
	assert_int_equal(outbox_retry(f->c, b, 200, "answer not recognised", 102, &err), 0);
	expect_claim(f, "tms", 105, c);
	assert_int_equal(outbox_retry(f->c, c, 200, "answer not recognised", 102, &err), 0);
	/* Then in the order they fell due, enqueue order breaking ties. */
	expect_claim(f, "tms", 105, a);
	expect_claim(f, "tms", 105, b);
	expect_claim(f, "tms", 105, c);
}

static void test_permanent_failure_unblocks(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char a1[40], a2[40];
	enq(f, "tms", "release_load", "load:L-1", 100, a1);
	enq(f, "tms", "place_hold", "load:L-1", 101, a2);
	expect_claim(f, "tms", 200, a1);
	assert_int_equal(outbox_failed(f->c, a1, 422, "load L-1 is already closed", 201, &err), 0);

	struct outbox_item it;
	assert_int_equal(outbox_get(f->c, a1, &it, &err), 0);
	assert_int_equal(it.status, OUTBOX_FAILED);
	assert_int_equal(it.http_status, 422);
	assert_string_equal(it.answer, "load L-1 is already closed");
	outbox_item_free(&it);

	expect_claim(f, "tms", 202, a2);
	/* Never retried. */
	assert_int_equal(status_of(f, a1), OUTBOX_FAILED);
	deliver(f, a2);
	expect_claim(f, "tms", 10000, NULL);
	int64_t depth = -1, oldest = -1;
	assert_int_equal(outbox_depth(f->c, NULL, &depth, &oldest, &err), 0);
	assert_int_equal(depth, 0);
	assert_int_equal(oldest, 0);
}

static void test_survives_reopen(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char a1[40], a2[40], b1[40];
	enq(f, "tms", "release_load", "load:L-1", 100, a1);
	enq(f, "tms", "cancel_load", "load:L-1", 101, a2);
	enq(f, "tms", "release_load", "load:L-2", 102, b1);
	expect_claim(f, "tms", 200, a1); /* inflight when the process "dies" */
	cache_close(f->c);

	f->c = open_or_fail(f->path);
	assert_int_equal(status_of(f, a1), OUTBOX_PENDING);
	assert_int_equal(status_of(f, a2), OUTBOX_PENDING);
	struct outbox_item it;
	assert_int_equal(outbox_claim(f->c, "tms", 300, &it, &err), 0);
	assert_string_equal(it.key, a1);
	assert_int_equal(it.attempts, 2);
	assert_string_equal(it.payload, "{\"n\":1}");
	outbox_item_free(&it);
	expect_claim(f, "tms", 300, b1);
	deliver(f, a1);
	expect_claim(f, "tms", 300, a2);
}

static bool is_uuid_v4(const char *k)
{
	if (strlen(k) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (k[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)k[i]) || isupper((unsigned char)k[i])) {
			return false;
		}
	}
	uuid_t u;
	return uuid_parse(k, u) == 0 && k[14] == '4' && strchr("89ab", k[19]) != NULL;
}

static void test_keys_are_unique_v4(void **state)
{
	struct fx *f = *state;
	enum { N = 200 };
	static char keys[N][40];
	struct wb_err err = {0};
	assert_int_equal(cache_begin(f->c, &err), 0);
	for (int i = 0; i < N; i++) {
		enq(f, "tms", "release_load", "load:L-1", 100 + i, keys[i]);
		if (!is_uuid_v4(keys[i]))
			fail_msg("key %d \"%s\" is not a lower-case UUID v4", i, keys[i]);
	}
	assert_int_equal(cache_commit(f->c, &err), 0);
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (!strcmp(keys[i], keys[j]))
				fail_msg("keys %d and %d are both %s", i, j, keys[i]);
	/* Enqueue order survives in seq even with equal created_at. */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c), "SELECT key FROM outbox ORDER BY seq",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	for (int i = 0; i < N; i++) {
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), keys[i]);
	}
	sqlite3_finalize(st);
}

static void test_depth(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	int64_t depth = -1, oldest = -1;
	assert_int_equal(outbox_depth(f->c, "tms", &depth, &oldest, &err), 0);
	assert_int_equal(depth, 0);
	assert_int_equal(oldest, 0);

	char k1[40], k2[40], k3[40], k4[40];
	enq(f, "tms", "release_load", "load:L-1", 100, k1);
	enq(f, "tms", "release_load", "load:L-2", 200, k2);
	enq(f, "tms", "release_load", "load:L-3", 300, k3);
	enq(f, "erp", "release_invoice", "invoice:I-1", 50, k4);
	assert_int_equal(outbox_depth(f->c, "tms", &depth, &oldest, &err), 0);
	assert_int_equal(depth, 3);
	assert_int_equal(oldest, 100);
	assert_int_equal(outbox_depth(f->c, NULL, &depth, &oldest, &err), 0);
	assert_int_equal(depth, 4);
	assert_int_equal(oldest, 50);

	expect_claim(f, "tms", 400, k1); /* inflight still counts */
	assert_int_equal(outbox_depth(f->c, "tms", &depth, &oldest, &err), 0);
	assert_int_equal(depth, 3);
	assert_int_equal(oldest, 100);
	deliver(f, k1);
	assert_int_equal(outbox_depth(f->c, "tms", &depth, &oldest, &err), 0);
	assert_int_equal(depth, 2);
	assert_int_equal(oldest, 200);
}

static void test_backoff_bounds(void **state)
{
	(void)state;
	/* Attempt n waits 1..min(2^n, 300) s, whatever the random draw. */
	const uint32_t draws[] = {0,   1,     2,           3,           299,
	                          300, 12345, 0x7fffffffu, 0xfffffffeu, 0xffffffffu};
	for (int a = -1; a <= 200; a++) {
		int64_t ceiling = a < 1 ? 2 : a >= 9 ? 300 : (int64_t)1 << a;
		if (ceiling > 300)
			ceiling = 300;
		int64_t lo = INT64_MAX, hi = 0;
		for (size_t i = 0; i < sizeof(draws) / sizeof(draws[0]); i++) {
			int64_t s = outbox_backoff_s(a, draws[i]);
			if (s < 1 || s > ceiling)
				fail_msg("attempt %d draw %u: %lld s outside 1..%lld", a, draws[i],
				         (long long)s, (long long)ceiling);
			assert_int_equal(s, outbox_backoff_s(a, draws[i])); /* deterministic */
			lo = s < lo ? s : lo;
			hi = s > hi ? s : hi;
		}
		assert_int_equal(lo, 1);
		if (a >= 9)
			assert_int_equal(outbox_backoff_s(a, 299), 300); /* the cap is reachable */
	}
	assert_int_equal(outbox_backoff_s(1, 0), 1);
	assert_int_equal(outbox_backoff_s(1, 1), 2);
	assert_int_equal(outbox_backoff_s(3, 7), 8);
}

static void test_rejects_bad_input(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char key[40] = "untouched";
	char long_subject[200];
	memset(long_subject, 'x', sizeof(long_subject) - 1);
	long_subject[sizeof(long_subject) - 1] = '\0';
	assert_int_equal(outbox_enqueue(f->c, "tms", "release_load", "load:L-1", "{oops", "alice",
	                                1, key, &err),
	                 WB_EINVALID);
	assert_non_null(strstr(err.msg, "not JSON"));
	assert_int_equal(outbox_enqueue(f->c, "tms", "release_load", long_subject, "{}", "alice", 1,
	                                key, &err),
	                 WB_EINVALID);
	assert_int_equal(
	        outbox_enqueue(f->c, "", "release_load", "load:L-1", "{}", "alice", 1, key, &err),
	        WB_EINVALID);
	assert_int_equal(
	        outbox_enqueue(f->c, "tms", "release_load", "load:L-1", "{}", NULL, 1, key, &err),
	        WB_EINVALID);
	assert_string_equal(key, "untouched");
	int64_t depth = -1;
	assert_int_equal(outbox_depth(f->c, NULL, &depth, NULL, &err), 0);
	assert_int_equal(depth, 0);
}

/* The sender polls often: an idle poll must not need the write lock, so
 * another process writing the cache does not stall the loop. */
static void test_idle_claim_takes_no_lock(void **state)
{
	struct fx *f = *state;
	char k[40];
	enq(f, "tms", "release_load", "load:L-1", 100, k);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	expect_claim(f, "tms", 99, NULL);  /* not due yet */
	expect_claim(f, "erp", 500, NULL); /* nothing for this source */
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	expect_claim(f, "tms", 100, k);
}

/* An action's local change, outbox row and audit row commit or vanish together. */
static void test_commits_with_audit(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct audit_entry e = {.user = "alice",
	                        .role = "dispatcher",
	                        .action = "release_load",
	                        .subject = "load:L-1",
	                        .after = "{\"status\":\"released\"}",
	                        .at = 100};
	char key[40];
	assert_int_equal(cache_begin(f->c, &err), 0);
	enq(f, "tms", "release_load", "load:L-1", 100, key);
	assert_int_equal(audit_append(f->c, &e, NULL, &err), 0);
	cache_rollback(f->c);
	int64_t depth = -1;
	assert_int_equal(outbox_depth(f->c, NULL, &depth, NULL, &err), 0);
	assert_int_equal(depth, 0);
	assert_int_equal(outbox_get(f->c, key, &(struct outbox_item){0}, &err), WB_ENOTFOUND);

	f->changed = 0;
	assert_int_equal(cache_begin(f->c, &err), 0);
	enq(f, "tms", "release_load", "load:L-1", 100, key);
	assert_int_equal(audit_append(f->c, &e, NULL, &err), 0);
	assert_int_equal(f->changed, 0); /* nothing heard before the commit */
	assert_int_equal(cache_commit(f->c, &err), 0);
	assert_true(f->changed & CACHE_BIT(CACHE_T_OUTBOX));
	assert_true(f->changed & CACHE_BIT(CACHE_T_AUDIT));
	assert_int_equal(outbox_depth(f->c, NULL, &depth, NULL, &err), 0);
	assert_int_equal(depth, 1);
	struct audit_verify_result r;
	assert_int_equal(audit_verify(f->c, &r, &err), 0);
	assert_int_equal(r.rows, 1);
	assert_int_equal(r.first_bad_seq, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_enqueue_claim_deliver_in_order, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_subject_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_subject_order_across_sources, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_schedule, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_goes_behind_the_waiting, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_permanent_failure_unblocks, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_keys_are_unique_v4, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
	        cmocka_unit_test(test_backoff_bounds),
	        cmocka_unit_test_setup_teardown(test_rejects_bad_input, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_idle_claim_takes_no_lock, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_commits_with_audit, setup, teardown),
	};
	return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
