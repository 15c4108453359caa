/* Board windows: keyset paging visits every row exactly once, in order, both
 * ways, with NULL sort keys, filters and hostile filter text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "testutil.h"
#include "cache/cache.h"
#include "views/view.h"

/* The boards under test: their queries live in views/ (one file each). */
#define LOADS (view_loads_ops.board)
#define VEHICLES (view_vehicles_ops.board)
#define EXCEPTIONS (view_exceptions_ops.board)
#define AUDIT (view_audit_ops.board)

enum { NLOADS = 500 };

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	char ids[NLOADS][16];
};

static const char *const statuses[] = {"planned", "staged", "in_transit", "delivered"};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	struct wb_err err = {0};
	static struct wb_load rows[NLOADS];
	for (int i = 0; i < NLOADS; i++) {
		snprintf(f->ids[i], sizeof(f->ids[i]), "L-%04d", i);
		wb_entity_clear(WB_ENT_LOAD, &rows[i]);
		rows[i].meta = (struct wb_meta){f->ids[i], "tms", f->ids[i], 1, 0, 0};
		rows[i].number = f->ids[i];
		rows[i].status = statuses[i % 4];
		/* Many equal etas (ties broken by id) and every 13th unknown. */
		rows[i].eta = i % 13 == 0 ? WB_NULL : 1000 + (i * 7) % 50;
		rows[i].driver_id = i == 42 ? "D-100%_x" : NULL;
	}
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, rows, NLOADS, NULL, &err), 0);
	/* A driver whose name holds LIKE wildcards, to prove they are escaped. */
	struct wb_driver d;
	wb_entity_clear(WB_ENT_DRIVER, &d);
	d.meta = (struct wb_meta){"D-100%_x", "telematics", "100", 1, 0, 0};
	d.name = "Ann 100%_Sure";
	assert_int_equal(cache_upsert(f->c, WB_ENT_DRIVER, &d, 1, NULL, &err), 0);
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

/* The expected order, straight from SQLite. */
static int expected(struct fx *f, const char *order, const char *where, char out[][16])
{
	char sql[4096];
	snprintf(sql, sizeof(sql), "SELECT id FROM %s %s ORDER BY %s", LOADS->from, where, order);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c), sql, -1, &st, NULL), SQLITE_OK);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out[n++], 16, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return n;
}

/* Pages through the board with `limit` rows at a time; returns the ids seen. */
static int page_all(struct fx *f, struct cache_window_req req, char out[][16])
{
	int n = 0, pages = 0;
	struct cache_value key = {0};
	char key_text[64], key_id[16];
	const char *after = NULL;
	for (;;) {
		struct cache_window w;
		struct wb_err err = {0};
		req.after_id = after;
		req.after_sort = after ? &key : NULL;
		assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
		for (int r = 0; r < w.nrows; r++) {
			assert_true(n < NLOADS);
			snprintf(out[n++], 16, "%s", w.cells[r * w.ncols].s);
		}
		if (w.nrows == 0) {
			cache_window_free(&w);
			break;
		}
		/* The key is the last row's (sort value, id). */
		const struct cache_value *last = &w.cells[(w.nrows - 1) * w.ncols];
		key = last[w.sort_col];
		if (key.t == CV_TEXT) {
			snprintf(key_text, sizeof(key_text), "%s", key.s);
			key.s = key_text;
		}
		snprintf(key_id, sizeof(key_id), "%s", last[0].s);
		after = key_id;
		cache_window_free(&w);
		assert_true(++pages < 1000);
	}
	return n;
}

static void check_same(char want[][16], int nwant, char got[][16], int ngot, const char *what)
{
	if (nwant != ngot)
		fail_msg("%s: expected %d rows, paging gave %d", what, nwant, ngot);
	for (int i = 0; i < nwant; i++)
		if (strcmp(want[i], got[i]))
			fail_msg("%s: row %d expected %s, got %s", what, i, want[i], got[i]);
}

static void test_forward_every_row_once(void **state)
{
	struct fx *f = *state;
	static char want[NLOADS][16], got[NLOADS][16];
	int nw = expected(f, "eta, id", "", want);
	assert_int_equal(nw, NLOADS);
	int ng = page_all(f, (struct cache_window_req){.limit = 7}, got);
	check_same(want, nw, got, ng, "eta ascending");
}

static void test_descending_with_nulls(void **state)
{
	struct fx *f = *state;
	static char want[NLOADS][16], got[NLOADS][16];
	int nw = expected(f, "eta DESC, id DESC", "", want);
	int ng = page_all(f, (struct cache_window_req){.limit = 11, .desc = true}, got);
	check_same(want, nw, got, ng, "eta descending");
}

static void test_status_filter(void **state)
{
	struct fx *f = *state;
	static char want[NLOADS][16], got[NLOADS][16];
	int nw = expected(f, "eta, id", "WHERE status='staged'", want);
	assert_int_equal(nw, NLOADS / 4);
	struct cache_window_req req = {.limit = 50, .status = "staged"};
	int ng = page_all(f, req, got);
	check_same(want, nw, got, ng, "status staged");
	struct wb_err err = {0};
	assert_int_equal(cache_window_count(f->c, LOADS, &req, &err), NLOADS / 4);
}

static void test_backward(void **state)
{
	struct fx *f = *state;
	static char want[NLOADS][16];
	int nw = expected(f, "eta, id", "", want);
	/* Ten rows before row 100 are rows 90..99, in display order. */
	struct cache_window w;
	struct wb_err err = {0};
	char sortbuf[32];
	struct cache_value key = {0};
	/* Find row 100's sort value through a forward window from the start. */
	struct cache_window first;
	assert_int_equal(
	        cache_window(f->c, LOADS, &(struct cache_window_req){.limit = 101}, &first, &err),
	        0);
	key = first.cells[100 * first.ncols + first.sort_col];
	if (key.t == CV_TEXT) {
		snprintf(sortbuf, sizeof(sortbuf), "%s", key.s);
		key.s = sortbuf;
	}
	struct cache_window_req req = {
	        .limit = 10, .backward = true, .after_sort = &key, .after_id = want[100]};
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 10);
	for (int r = 0; r < 10; r++)
		assert_string_equal(w.cells[r * w.ncols].s, want[90 + r]);
	cache_window_free(&w);
	cache_window_free(&first);
	(void)nw;
}

static void test_text_filter_is_bound_and_escaped(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct cache_window w;
	/* "%_" must match literally: only the driver with those characters. */
	struct cache_window_req req = {.limit = 50, .text = "100%_s"};
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 1);
	assert_string_equal(w.cells[0].s, "L-0042");
	cache_window_free(&w);
	/* SQL in the filter is just text. */
	req.text = "x' OR '1'='1";
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 0);
	cache_window_free(&w);
	req.text = "l-004";
	assert_int_equal(cache_window_count(f->c, LOADS, &req, &err), 10);
	/* Control characters and long input are harmless. */
	char junk[3000];
	for (size_t i = 0; i < sizeof(junk) - 1; i++)
		junk[i] = (char)(1 + i % 31);
	junk[sizeof(junk) - 1] = '\0';
	req.text = junk;
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 0);
	cache_window_free(&w);
}

/* One row by exact id (bound), under the other filters. */
static void test_id_filter(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct cache_window w;
	struct cache_window_req req = {.limit = 5, .id = "L-0042"};
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 1);
	assert_string_equal(w.cells[0].s, "L-0042");
	cache_window_free(&w);
	req.id = "l-0042"; /* exact: not the text search */
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 0);
	cache_window_free(&w);
	req.id = "L-0042' OR '1'='1";
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 0);
	cache_window_free(&w);
	req.id = "L-0042";
	req.status = "no-such-status";
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), 0);
	assert_int_equal(w.nrows, 0);
	cache_window_free(&w);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct cache_window w;
	struct cache_window_req req = {.limit = 10, .sort = "eta; DROP TABLE load"};
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "cannot be sorted"));
	req = (struct cache_window_req){.limit = 0};
	assert_int_equal(cache_window(f->c, LOADS, &req, &w, &err), WB_EINVALID);
	req = (struct cache_window_req){.limit = 10, .status = "x"};
	assert_int_equal(cache_window(f->c, AUDIT, &req, &w, &err), WB_EINVALID);
	/* Other boards answer too. */
	req = (struct cache_window_req){.limit = 10};
	assert_int_equal(cache_window(f->c, VEHICLES, &req, &w, &err), 0);
	cache_window_free(&w);
	assert_int_equal(cache_window(f->c, EXCEPTIONS, &req, &w, &err), 0);
	cache_window_free(&w);
	assert_int_equal(cache_window(f->c, AUDIT, &req, &w, &err), 0);
	cache_window_free(&w);
}

/* A cache made before the boards owned their queries (schema 2, with the
 * board views) upgrades at open: the views go, and every board reads. */
static void test_upgrade_from_board_views(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "CREATE VIEW load_board AS SELECT id, status FROM load;"
	                              "CREATE VIEW vehicle_board AS SELECT id FROM vehicle;"
	                              "CREATE VIEW exception_board AS SELECT id FROM "
	                              "exception;" TEST_UNDO_TO_V2_SQL "PRAGMA user_version=2",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	struct wb_err err = {0};
	f->c = cache_open(f->path, NULL, &err);
	assert_non_null(f->c);
	assert_int_equal(cache_schema_version(f->c), cache_schema_latest());
	/* The board views are gone; vehicle_now (schema 9) is the one view. */
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM sqlite_master WHERE type='view'"
	                                  " AND name<>'vehicle_now'"),
	                 0);
	for (int b = 0; b < view_nboards; b++) {
		if (!view_boards[b]->board)
			continue;
		struct cache_window w;
		struct cache_window_req req = {.limit = 10};
		if (cache_window(f->c, view_boards[b]->board, &req, &w, &err) != 0)
			fail_msg("board %s after the upgrade: %s", view_boards[b]->name, err.msg);
		if (view_boards[b]->board == LOADS)
			assert_int_equal(w.nrows, 10);
		cache_window_free(&w);
	}
	assert_int_equal(
	        cache_window_count(f->c, LOADS, &(struct cache_window_req){.limit = 1}, &err),
	        NLOADS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_forward_every_row_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_descending_with_nulls, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_filter, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backward, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_text_filter_is_bound_and_escaped, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_id_filter, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upgrade_from_board_views, setup, teardown),
	};
	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
