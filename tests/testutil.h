/* Small helpers shared by the unit tests: a scratch directory per test run. */
#ifndef WAYBILL_TESTUTIL_H
#define WAYBILL_TESTUTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under $WAYBILL_TEST_TMP (set by tests/run.sh) or /tmp. */
/* SQL undoing what migrations 3, 5, 6 and 8 added: followed by
 * "PRAGMA user_version=2" it makes a latest-schema cache look like one of schema
 * 2 (migration 4 only dropped views), for the tests of upgrading old caches.
 * A migration that adds to a table adds its undo here. */
#define TEST_UNDO_TO_V2_SQL                                                                        \
	"DROP VIEW vehicle_now; DROP TABLE vehicle_seen; DROP TABLE vehicle_maint;"                \
	"DROP TABLE pending_approval;"                                                             \
	"DROP TABLE shipment; DROP INDEX invoice_order; DROP INDEX charge_order;"                  \
	"DROP INDEX load_order; ALTER TABLE invoice DROP COLUMN order_id;"                         \
	"ALTER TABLE charge DROP COLUMN order_id;"                                                 \
	"DROP TABLE audit_chain; ALTER TABLE audit DROP COLUMN key_id;"                            \
	"ALTER TABLE audit DROP COLUMN display_name;"                                              \
	"ALTER TABLE sync_state DROP COLUMN rejected;"

static inline char *test_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("WAYBILL_TEST_TMP");
	snprintf(buf, len, "%s/t.XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(buf);
}

/* Removes a directory tree made by test_tmpdir (files one level deep). */
static inline void test_rmdir(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* The helpers below use cmocka's assertions and the cache: include them only
 * after <cmocka.h>. */
#ifdef cmocka_unit_test
#include <sqlite3.h>

#include "cache/cache.h"

/* A fresh cache in a new scratch directory: fills dir and path, fails the
 * test if it cannot be made. */
static inline struct cache *test_cache_new(char *dir, size_t dlen, char *path, size_t plen)
{
	assert_non_null(test_tmpdir(dir, dlen));
	snprintf(path, plen, "%s/cache.db", dir);
	struct wb_err err = {0};
	struct cache *c = cache_open(path, NULL, &err);
	if (!c)
		fail_msg("cache_open %s: %s", path, err.msg);
	return c;
}

/* A synced row's identity: id (also its ext_id) from source at version. */
static inline void test_meta(struct wb_meta *m, const char *id, const char *source, int64_t version)
{
	m->id = id;
	m->source = source;
	m->ext_id = id;
	m->ext_version = version;
}

/* Upserts one row of entity e, failing the test if the cache refuses it. */
static inline void test_put(struct cache *c, enum wb_entity e, const void *row)
{
	struct wb_err err = {0};
	if (cache_upsert(c, e, row, 1, NULL, &err) != 0)
		fail_msg("cache_upsert: %s", err.msg);
}

/* The first column of the first row of sql, as an integer. */
static inline int64_t test_count(struct cache *c, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(c), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Marks every open outbox item delivered at now, as the sender would after a 2xx. */
static inline void test_deliver_all(struct cache *c, int64_t now)
{
	sqlite3_stmt *st;
	assert_int_equal(
	        sqlite3_prepare_v2(cache_db(c),
	                           "SELECT key FROM outbox WHERE status IN ('pending','inflight')",
	                           -1, &st, NULL),
	        SQLITE_OK);
	char keys[64][40];
	int n = 0;
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
		snprintf(keys[n++], 40, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	struct wb_err err = {0};
	for (int i = 0; i < n; i++)
		if (outbox_delivered(c, keys[i], 200, "ok", now, &err) != 0)
			fail_msg("outbox_delivered: %s", err.msg);
}
#endif

#endif
