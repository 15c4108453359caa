/* Derived state (cache/derived.c): readiness verdicts are written only when
 * they change, KPI samples replace their own time and prune older ones, and a
 * vehicle board row carries its verdict. Also: a cache made at schema 1 (before
 * the derived tables) migrates to the latest and keeps its rows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"
#include "cache/cache.h"
#include "views/view.h"

static uint32_t last_changed;
static void on_change(void *arg, uint32_t tables)
{
	(void)arg;
	last_changed |= tables;
}

static void test_readiness_put(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	cache_on_change(c, on_change, NULL);
	int changed = -1;
	assert_int_equal(
	        cache_readiness_put(c, "V-1", "held", "active critical fault", 100, &changed, &err),
	        0);
	assert_int_equal(changed, 1);
	assert_true(last_changed & CACHE_BIT(CACHE_T_READINESS));
	last_changed = 0;
	/* The same verdict again: nothing written, computed_at kept, no wake-up. */
	assert_int_equal(
	        cache_readiness_put(c, "V-1", "held", "active critical fault", 200, &changed, &err),
	        0);
	assert_int_equal(changed, 0);
	assert_int_equal(last_changed, 0);
	assert_int_equal(test_count(c, "SELECT computed_at FROM readiness WHERE vehicle_id='V-1'"),
	                 100);
	/* A new reason is a change. */
	assert_int_equal(cache_readiness_put(c, "V-1", "held", NULL, 300, &changed, &err), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(test_count(c, "SELECT computed_at FROM readiness WHERE vehicle_id='V-1'"),
	                 300);
	assert_int_equal(cache_readiness_put(c, "", "held", NULL, 1, NULL, &err), WB_EINVALID);
	assert_int_equal(cache_readiness_put(c, "V-2", NULL, NULL, 1, NULL, &err), WB_EINVALID);
	cache_close(c);
	test_rmdir(dir);
}

static void test_kpi_samples(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	for (int i = 0; i < 10; i++)
		assert_int_equal(
		        cache_kpi_sample_put(c, "on_time_pct", 1000 + i * 60, 90.0 + i, 0, &err),
		        0);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample"), 10);
	/* Same time replaces; keep_after prunes older samples of that name only. */
	assert_int_equal(cache_kpi_sample_put(c, "on_time_pct", 1540, NAN, 1300, &err), 0);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample WHERE at>=1300"), 5);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample"), 5);
	assert_int_equal(test_count(c, "SELECT count(*) FROM kpi_sample WHERE value IS NULL"), 1);
	assert_int_equal(cache_kpi_sample_put(c, "", 1, 1.0, 0, &err), WB_EINVALID);
	cache_close(c);
	test_rmdir(dir);
}

/* The vehicle board's ready_state for one vehicle, read as the console does
 * (its query is views/vehicles.c's); NULL when none. */
static const char *ready_state(struct cache *c, const char *id)
{
	static char out[32];
	struct cache_window w;
	struct cache_window_req req = {.limit = 1, .id = id};
	struct wb_err err = {0};
	assert_int_equal(cache_window(c, view_vehicles_ops.board, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 1);
	struct view_row r = {.board = view_vehicles_ops.board, .cells = w.cells};
	const struct cache_value *v = view_get(&r, "ready_state");
	const char *res = NULL;
	if (v->t == CV_TEXT) {
		snprintf(out, sizeof(out), "%s", v->s);
		res = out;
	}
	cache_window_free(&w);
	return res;
}

static void test_vehicle_board_verdict(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	struct wb_vehicle v = {
	        .meta = {.id = "V-7", .source = "tms", .ext_id = "V-7", .ext_version = 1},
	        .unit = "TRK-7",
	        .fuel_pct = NAN,
	        .odometer_m = NAN,
	        .lat = NAN,
	        .lon = NAN,
	        .speed_mps = NAN,
	        .heading = NAN,
	        .last_seen_ms = WB_NULL};
	assert_int_equal(cache_upsert(c, WB_ENT_VEHICLE, &v, 1, NULL, &err), 0);
	assert_null(ready_state(c, "V-7"));
	assert_int_equal(cache_readiness_put(c, "V-7", "limited", "preventive maintenance overdue",
	                                     5, NULL, &err),
	                 0);
	assert_string_equal(ready_state(c, "V-7"), "limited");
	cache_close(c);
	test_rmdir(dir);
}

static void test_migrates_from_1(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	cache_close(c);
	/* Take the file back to schema 1 as it shipped: no derived tables. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	        sqlite3_exec(db,
	                     "DROP TABLE readiness; DROP TABLE kpi_sample;" TEST_UNDO_TO_V2_SQL
	                     "CREATE VIEW load_board AS SELECT id FROM load;"
	                     "CREATE VIEW vehicle_board AS SELECT id FROM vehicle;"
	                     "CREATE VIEW exception_board AS SELECT id FROM exception;"
	                     "INSERT INTO customer(id, source, ext_id, ext_version, synced_at)"
	                     " VALUES('C-1','erp','C-1',1,1); PRAGMA user_version=1",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);
	struct wb_err err = {0};
	c = cache_open(path, NULL, &err);
	assert_non_null(c);
	assert_int_equal(cache_schema_version(c), cache_schema_latest());
	assert_int_equal(test_count(c, "SELECT count(*) FROM customer"), 1);
	assert_int_equal(test_count(c, "SELECT count(*) FROM readiness"), 0);
	/* The boards' views went with schema 4: the boards own their queries;
	 * vehicle_now (schema 9) is the one view. */
	assert_int_equal(test_count(c, "SELECT count(*) FROM sqlite_master WHERE type='view'"
	                               " AND name<>'vehicle_now'"),
	                 0);
	assert_int_equal(cache_readiness_put(c, "V-1", "ready", NULL, 1, NULL, &err), 0);
	cache_close(c);
	test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_readiness_put),
	        cmocka_unit_test(test_kpi_samples),
	        cmocka_unit_test(test_vehicle_board_verdict),
	        cmocka_unit_test(test_migrates_from_1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
