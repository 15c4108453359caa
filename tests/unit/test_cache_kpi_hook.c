/* The KPI machinery of cache/ (cache/kpi_hook.h, cache/kpi_read.h) on a real
 * cache file: the row watch hears the rowid of each write to a KPI table and
 * nothing else, and says when another hook replaced it; a value attached to
 * the connection is destroyed on detach or close, once; the rowid batch read
 * hands out each row once, in rowid order, and NULL for a rowid with no row. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"
#include "cache/kpi_hook.h"

struct heard {
	int n;
	enum cache_kt t[16];
	int64_t rowid[16];
};

static void hear(void *arg, enum cache_kt t, int64_t rowid)
{
	struct heard *h = arg;
	if (h->n < 16) {
		h->t[h->n] = t;
		h->rowid[h->n] = rowid;
	}
	h->n++;
}

static void put_load(struct cache *c, const char *id, int64_t version, const char *status)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, id, "tms", version);
	l.status = status;
	test_put(c, WB_ENT_LOAD, &l);
}

static void other_hook(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
	(void)arg, (void)op, (void)db, (void)table, (void)rowid;
}

static void test_watch(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct heard h = {0};
	struct cache_row_watch w = {hear, &h};
	assert_false(cache_row_watch_set(c, &w)); /* new: writes before it went unheard */
	assert_true(cache_row_watch_set(c, &w));
	put_load(c, "L-1", 1, "planned");
	put_load(c, "L-2", 1, "planned");
	put_load(c, "L-1", 2, "in_transit"); /* an update keeps its rowid */
	assert_int_equal(h.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(h.t[i], CACHE_KT_LOAD);
	assert_int_equal(h.rowid[0], h.rowid[2]);
	assert_int_not_equal(h.rowid[0], h.rowid[1]);
	/* A table the KPIs do not count is not heard. */
	struct wb_driver d;
	wb_entity_clear(WB_ENT_DRIVER, &d);
	test_meta(&d.meta, "D-1", "tms", 1);
	test_put(c, WB_ENT_DRIVER, &d);
	assert_int_equal(h.n, 3);
	/* Someone else's hook: the next set says so. */
	sqlite3_update_hook(cache_db(c), other_hook, NULL);
	assert_false(cache_row_watch_set(c, &w));
	assert_true(cache_row_watch_set(c, &w));
	cache_row_watch_clear(c);
	put_load(c, "L-3", 1, "planned");
	assert_int_equal(h.n, 3);
	cache_close(c);
	test_rmdir(dir);
}

static int destroyed;
static void destroy(void *arg)
{
	assert_ptr_equal(arg, &destroyed);
	destroyed++;
}

static void test_attach(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	destroyed = 0;
	assert_int_equal(cache_attach(c, "test_state", &destroyed, destroy, &err), 0);
	assert_int_equal(destroyed, 0);
	cache_detach(c, "test_state");
	assert_int_equal(destroyed, 1);
	assert_int_equal(cache_attach(c, "test_state", &destroyed, destroy, &err), 0);
	cache_close(c); /* the value lives as long as the connection */
	assert_int_equal(destroyed, 2);
	test_rmdir(dir);
}

struct seen {
	int n;
	int64_t rowid[8];
	bool row[8];
	char status[8][16];
};

static int see(void *arg, int64_t rowid, const struct cache_kpi_row *w)
{
	struct seen *s = arg;
	if (s->n >= 8)
		return WB_EINVALID;
	s->rowid[s->n] = rowid;
	s->row[s->n] = w != NULL;
	snprintf(s->status[s->n], sizeof(s->status[0]), "%s",
	         w && w->load.status ? w->load.status : "");
	if (w)
		assert_int_equal(w->rowid, rowid);
	s->n++;
	return 0;
}

static void test_rowids(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct cache *c = test_cache_new(dir, sizeof(dir), path, sizeof(path));
	struct wb_err err = {0};
	put_load(c, "L-1", 1, "planned");
	put_load(c, "L-2", 1, "in_transit");
	put_load(c, "L-3", 1, "delivered");
	struct seen s = {0};
	size_t read = 0;
	assert_int_equal(cache_kpi_scan(c, CACHE_KT_LOAD, see, &s, &read, &err), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(read, 3);
	int64_t first = s.rowid[0], third = s.rowid[2];
	assert_string_equal(s.status[2], "delivered");
	/* Rowids 0 (none), the third, and one past every row. */
	const int64_t ids[] = {0, third, third + 100};
	memset(&s, 0, sizeof(s));
	read = 0;
	assert_int_equal(cache_kpi_read_rowids(c, CACHE_KT_LOAD, ids, 3, see, &s, &read, &err), 0);
	assert_int_equal(read, 1);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.rowid[0], 0);
	assert_false(s.row[0]);
	assert_int_equal(s.rowid[1], third);
	assert_true(s.row[1]);
	assert_string_equal(s.status[1], "delivered");
	assert_int_equal(s.rowid[2], third + 100);
	assert_false(s.row[2]);
	/* No rowids: nothing read, nothing heard. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(cache_kpi_read_rowids(c, CACHE_KT_LOAD, &first, 0, see, &s, &read, &err),
	                 0);
	assert_int_equal(s.n, 0);
	cache_close(c);
	test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_watch),
	        cmocka_unit_test(test_attach),
	        cmocka_unit_test(test_rowids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
