/* The cache against a real SQLite file: schema, upserts, tombstones, cursors,
 * change notification, positions and their pruning. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "testutil.h"
#include "cache/cache.h"

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	uint32_t changed;
	int notifications;
};

static void on_change(void *arg, uint32_t tables)
{
	struct fx *f = arg;
	f->changed |= tables;
	f->notifications++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
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

static struct wb_load load(const char *id, int64_t version, const char *status, int64_t eta)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.meta.id = id;
	l.meta.source = "tms";
	l.meta.ext_id = id + 2; /* "L-1042" -> "1042" */
	l.meta.ext_version = version;
	l.number = id;
	l.status = status;
	l.eta = eta;
	l.revenue = 1200.5;
	return l;
}

/* Every column the model declares exists in its table: the X-macro field lists
 * and the migration must never drift apart. */
static void test_schema_matches_model(void **state)
{
	struct fx *f = *state;
	assert_int_equal(cache_schema_version(f->c), cache_schema_latest());
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		const struct wb_entity_info *info = wb_entity_info((enum wb_entity)e);
		for (size_t i = 0; i < info->ncols; i++) {
			char sql[256];
			snprintf(sql, sizeof(sql),
			         "SELECT count(*) FROM pragma_table_info('%s') WHERE name='%s'",
			         info->table, info->cols[i].name);
			if (test_count(f->c, sql) != 1)
				fail_msg("column %s.%s declared in model.h is missing from the "
				         "schema",
				         info->table, info->cols[i].name);
		}
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s')",
		         info->table);
		assert_int_equal(test_count(f->c, sql), (int64_t)info->ncols + 6);
	}
	assert_int_equal(
	        test_count(f->c,
	                   "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode='wal'"),
	        1);
}

static void test_upsert_versions(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	size_t changed;
	struct wb_load rows[2] = {load("L-1", 5, "planned", 100), load("L-2", 5, "planned", 200)};
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, rows, 2, &changed, &err), 0);
	assert_int_equal(changed, 2);
	assert_true(f->changed & CACHE_BIT(WB_ENT_LOAD));

	/* The same version again, and an older one: ignored. */
	struct wb_load same = load("L-1", 5, "staged", 100);
	struct wb_load older = load("L-1", 4, "released", 100);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &same, 1, &changed, &err), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &older, 1, &changed, &err), 0);
	assert_int_equal(changed, 0);

	struct wb_load got;
	char *strings;
	assert_int_equal(cache_get(f->c, WB_ENT_LOAD, "L-1", &got, &strings, &err), 0);
	assert_string_equal(got.status, "planned");
	assert_int_equal(got.meta.ext_version, 5);
	assert_int_equal(got.eta, 100);
	assert_true(got.revenue > 1200.4 && got.revenue < 1200.6);
	assert_int_equal(got.priority, WB_NULL);
	assert_null(got.driver_id);
	assert_true(isnan(got.weight_kg));
	free(strings);

	/* A newer version replaces it. */
	struct wb_load newer = load("L-1", 6, "staged", 150);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &newer, 1, &changed, &err), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(cache_get(f->c, WB_ENT_LOAD, "L-1", &got, &strings, &err), 0);
	assert_string_equal(got.status, "staged");
	assert_int_equal(got.eta, 150);
	free(strings);

	assert_int_equal(cache_get(f->c, WB_ENT_LOAD, "L-404", &got, &strings, &err), WB_ENOTFOUND);
	assert_null(strings);
}

static void test_tombstones(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	size_t changed;
	struct wb_load l = load("L-7", 1, "planned", 100);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &l, 1, &changed, &err), 0);
	struct wb_load gone = load("L-7", 3, NULL, WB_NULL);
	gone.meta.deleted = 1;
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &gone, 1, &changed, &err), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(test_count(f->c, "SELECT deleted FROM load WHERE id='L-7'"), 1);
	/* It keeps nothing of the record but its identity, whatever the
	 * tombstone carried (here its number and revenue). */
	assert_int_equal(test_count(f->c,
	                            "SELECT count(*) FROM load WHERE id='L-7' AND number IS NULL"
	                            " AND revenue IS NULL AND status IS NULL"),
	                 1);
	/* An out-of-order older copy must not bring it back... */
	struct wb_load late = load("L-7", 2, "staged", 100);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &late, 1, &changed, &err), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(test_count(f->c, "SELECT deleted FROM load WHERE id='L-7'"), 1);
	/* ...but a newer one does (the source re-created it). */
	struct wb_load back = load("L-7", 4, "planned", 100);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &back, 1, &changed, &err), 0);
	assert_int_equal(test_count(f->c, "SELECT deleted FROM load WHERE id='L-7'"), 0);
	/* A tombstone for a record never seen is kept, so its older copies stay dead. */
	struct wb_load unseen = load("L-8", 9, NULL, WB_NULL);
	unseen.meta.deleted = 1;
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &unseen, 1, &changed, &err), 0);
	struct wb_load stale = load("L-8", 3, "planned", 1);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &stale, 1, &changed, &err), 0);
	assert_int_equal(test_count(f->c, "SELECT deleted FROM load WHERE id='L-8'"), 1);
}

/* A batch is all or nothing: one bad row leaves the cache as it was. */
static void test_batch_atomic(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct wb_load rows[3] = {load("L-1", 1, "planned", 1), load("L-2", 1, "planned", 2),
	                          load("L-3", 1, "planned", 3)};
	rows[2].meta.ext_id = NULL;
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, rows, 3, NULL, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "record 2"));
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM load"), 0);

	/* An id clash with another source's record fails mid-batch: nothing stays. */
	struct wb_load a = load("L-1", 1, "planned", 1);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &a, 1, NULL, &err), 0);
	struct wb_load clash[2] = {load("L-5", 1, "planned", 5), load("L-1", 1, "planned", 1)};
	clash[1].meta.source = "erp";
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, clash, 2, NULL, &err), WB_ECONFLICT);
	assert_non_null(strstr(err.msg, "L-1"));
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM load"), 1);
}

/* A page and its cursor commit together or not at all. */
static void test_cursor_with_rows(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char cur[64];
	assert_int_equal(cache_cursor_get(f->c, "tms", "loads", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, "");

	struct wb_load l = load("L-1", 1, "planned", 1);
	assert_int_equal(cache_begin(f->c, &err), 0);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &l, 1, NULL, &err), 0);
	assert_int_equal(cache_cursor_set(f->c, "tms", "loads", "c1", &err), 0);
	f->notifications = 0;
	cache_rollback(f->c);
	assert_int_equal(f->notifications, 0);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM load"), 0);
	assert_int_equal(cache_cursor_get(f->c, "tms", "loads", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, "");

	f->changed = 0;
	assert_int_equal(cache_begin(f->c, &err), 0);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &l, 1, NULL, &err), 0);
	assert_int_equal(cache_cursor_set(f->c, "tms", "loads", "c1", &err), 0);
	assert_int_equal(f->notifications, 0); /* nothing is announced before commit */
	assert_int_equal(cache_commit(f->c, &err), 0);
	assert_int_equal(f->notifications, 1);
	assert_int_equal(f->changed, CACHE_BIT(WB_ENT_LOAD) | CACHE_BIT(CACHE_T_SYNC_STATE));

	/* And both survive a reopen. */
	cache_close(f->c);
	f->c = cache_open(f->path, NULL, &err);
	assert_non_null(f->c);
	assert_int_equal(cache_cursor_get(f->c, "tms", "loads", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, "c1");
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM load"), 1);
	assert_int_equal(cache_cursor_reset(f->c, "tms", "loads", &err), 0);
	assert_int_equal(cache_cursor_get(f->c, "tms", "loads", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, "");
	assert_int_equal(cache_begin(f->c, &err), 0);
	assert_int_equal(cache_begin(f->c, &err), WB_EINVALID);
	cache_rollback(f->c);
}

static void test_positions(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	enum { N = 1000 };
	static struct wb_position p[N];
	for (int i = 0; i < N; i++)
		p[i] = (struct wb_position){.vehicle_id = i % 2 ? "V-1" : "V-2",
		                            .ts_ms = 1000 + i / 2 * 1000,
		                            .lat = 52.0,
		                            .lon = 4.0,
		                            .speed_mps = 10,
		                            .heading = NAN,
		                            .odometer_m = i,
		                            .fuel_pct = 50,
		                            .ignition = -1};
	size_t added;
	assert_int_equal(cache_add_positions(f->c, p, N, &added, &err), 0);
	assert_int_equal(added, N);
	/* A replayed batch adds nothing. */
	assert_int_equal(cache_add_positions(f->c, p, 10, &added, &err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM position WHERE heading IS NULL"),
	                 N);

	/* Prune everything older than ts 401000 (800 rows) in steps of 64. */
	int64_t now = 401000 + 1000, retention = 1000, total = 0, d;
	int steps = 0;
	while ((d = cache_prune_positions(f->c, now, retention, 64, &err)) > 0) {
		assert_true(d <= 64 + 1);
		total += d;
		steps++;
	}
	assert_int_equal(d, 0);
	assert_int_equal(total, 800);
	assert_true(steps >= 800 / 65);
	assert_int_equal(test_count(f->c, "SELECT min(ts_ms) FROM position"), 401000);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM position"), 200);

	struct wb_position bad = {.vehicle_id = NULL};
	assert_int_equal(cache_add_positions(f->c, &bad, 1, NULL, &err), WB_EINVALID);
}

static void test_info(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct wb_load l = load("L-1", 1, "planned", 1);
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, &l, 1, NULL, &err), 0);
	struct cache_info info;
	assert_int_equal(cache_info(f->c, &info, &err), 0);
	assert_int_equal(info.ntables, CACHE_T__COUNT);
	assert_int_equal(info.schema_version, cache_schema_latest());
	assert_true(info.size_bytes > 0);
	int found = 0;
	for (int i = 0; i < info.ntables; i++)
		if (!strcmp(info.tables[i].table, "load")) {
			assert_int_equal(info.tables[i].rows, 1);
			found = 1;
		}
	assert_true(found);
}

static void test_health(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	assert_int_equal(cache_health_ok(f->c, "tms", "loads", 100, 3, 50, &err), 0);
	assert_int_equal(
	        cache_health_error(f->c, "tms", "loads", 105, "tms: HTTP 503 (try 1)", &err), 0);
	assert_int_equal(
	        cache_health_error(f->c, "tms", "loads", 110, "tms: HTTP 503 (try 2)", &err), 0);
	assert_int_equal(cache_health_error(f->c, "erp", "orders", 111, NULL, &err), 0);
	struct cache_health *h;
	size_t n;
	assert_int_equal(cache_health_list(f->c, &h, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].source, "erp"); /* sorted by source */
	assert_int_equal(h[0].last_ok_at, 0);
	assert_string_equal(h[0].last_error, "unknown error");
	assert_string_equal(h[1].stream, "loads");
	assert_int_equal(h[1].last_ok_at, 100);
	assert_int_equal(h[1].last_attempt_at, 110);
	assert_int_equal(h[1].errors_in_row, 2);
	assert_string_equal(h[1].last_error, "tms: HTTP 503 (try 2)");
	free(h);
	/* A success clears the errors and adds to the row count; the cursor stays. */
	assert_int_equal(cache_cursor_set(f->c, "tms", "loads", "c9", &err), 0);
	assert_int_equal(cache_health_ok(f->c, "tms", "loads", 120, 0, 25, &err), 0);
	assert_int_equal(cache_health_list(f->c, &h, &n, &err), 0);
	assert_int_equal(h[1].errors_in_row, 0);
	assert_string_equal(h[1].last_error, "");
	assert_int_equal(h[1].rows_total, 75);
	assert_int_equal(h[1].lag_s, 0);
	free(h);
	char cur[16];
	assert_int_equal(cache_cursor_get(f->c, "tms", "loads", cur, sizeof(cur), &err), 0);
	assert_string_equal(cur, "c9");
}

static void test_list(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct wb_fault rows[4];
	const char *ids[] = {"F-3", "F-1", "F-2", "F-4"};
	const char *veh[] = {"V-1", "V-1", "V-2", "V-1"};
	for (int i = 0; i < 4; i++) {
		wb_entity_clear(WB_ENT_FAULT, &rows[i]);
		rows[i].meta = (struct wb_meta){ids[i], "telematics", ids[i], 1, i == 3, 0};
		rows[i].vehicle_id = veh[i];
		rows[i].code = "P0087";
		rows[i].active = 1;
	}
	assert_int_equal(cache_upsert(f->c, WB_ENT_FAULT, rows, 4, NULL, &err), 0);
	void *out;
	size_t n;
	char *strings;
	assert_int_equal(
	        cache_list(f->c, WB_ENT_FAULT, "vehicle_id", "V-1", 10, &out, &n, &strings, &err),
	        0);
	assert_int_equal(n, 2); /* F-4 is a tombstone */
	struct wb_fault *fl = out;
	assert_string_equal(fl[0].meta.id, "F-1");
	assert_string_equal(fl[1].meta.id, "F-3");
	assert_string_equal(fl[1].code, "P0087");
	assert_int_equal(fl[1].active, 1);
	assert_null(fl[1].description);
	free(out);
	free(strings);
	assert_int_equal(
	        cache_list(f->c, WB_ENT_FAULT, "vehicle_id", "V-1", 1, &out, &n, &strings, &err),
	        0);
	assert_int_equal(n, 1);
	free(out);
	free(strings);
	assert_int_equal(
	        cache_list(f->c, WB_ENT_FAULT, "vehicle_id", "V-9", 10, &out, &n, &strings, &err),
	        0);
	assert_int_equal(n, 0);
	free(out);
	free(strings);
	assert_int_equal(cache_list(f->c, WB_ENT_FAULT, "vehicle_id=1 OR 1", "V-1", 10, &out, &n,
	                            &strings, &err),
	                 WB_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_schema_matches_model, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upsert_versions, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tombstones, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_batch_atomic, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cursor_with_rows, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_positions, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_info, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};
	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
