/* The snapshot a local pass reads on (cache/snapshot.h) and the cursor its
 * typed readers share. */
#include "rows_internal.h"

int cache_snap_begin(struct cache *c, struct wb_err *err)
{
	if (cache_in_txn(c) || !sqlite3_get_autocommit(c->db))
		return wb_fail(err, WB_EINVALID, "%s: a snapshot cannot open inside a transaction",
		               cache_path(c));
	/* A deferred BEGIN takes no lock: the snapshot starts at the first read and
	 * holds till COMMIT, whatever other connections write meanwhile (WAL). */
	int rc = sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cache_fail(c, rc, err, "starting a read");
}

int cache_snap_end(struct cache *c, bool ok, struct wb_err *err)
{
	int rc = 0;
	if (ok) {
		int s = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
		if (s != SQLITE_OK)
			rc = cache_fail(c, s, err, "ending a read");
	}
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int cache_rows_prepare(struct cache_rows *r, struct cache *c, const char *sql, struct wb_err *err)
{
	r->c = c;
	if (r->st) {
		sqlite3_reset(r->st);
		sqlite3_clear_bindings(r->st);
		return 0;
	}
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &r->st, NULL);
	return rc == SQLITE_OK ? 0 : cache_fail(c, rc, err, "preparing a read");
}

int cache_rows_step(struct cache_rows *r, const char *what, struct wb_err *err)
{
	int s = sqlite3_step(r->st);
	if (s == SQLITE_ROW)
		return 1;
	return s == SQLITE_DONE ? 0 : cache_fail(r->c, s, err, what);
}

void cache_rows_close(struct cache_rows *r)
{
	sqlite3_finalize(r->st);
	r->st = NULL;
}

int64_t cache_data_version(struct cache *c)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(c->db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}
