/* Full resyncs after an expired cursor: remember what a pass saw, then
 * tombstone what it did not, so a resync leaves no duplicates and no ghosts. */
#include <stdio.h>
#include <time.h>

#include "cache_internal.h"

/* Runs one statement whose ?1 is the source, ?2 the stream and ?3 (if any) now. */
static int exec_stream(struct cache *c, const char *sql, const char *source, const char *stream,
                       int64_t *changes, struct wb_err *err, const char *what)
{
	sqlite3_stmt *st;
	int s = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (s == SQLITE_OK) {
		sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
		if (sqlite3_bind_parameter_count(st) >= 3)
			sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
		s = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (s != SQLITE_DONE)
		return cache_fail(c, s, err, what);
	if (changes)
		*changes = sqlite3_changes(c->db);
	return 0;
}

int cache_resync_begin(struct cache *c, const char *source, const char *stream, struct wb_err *err)
{
	int began, rc = cache_autobegin(c, &began, err);
	if (rc == 0)
		rc = exec_stream(c, "DELETE FROM resync_seen WHERE source=?1 AND stream=?2", source,
		                 stream, NULL, err, "starting a resync");
	if (rc == 0)
		rc = exec_stream(c,
		                 "INSERT INTO sync_state(source, stream, cursor, resync) "
		                 "VALUES(?1, ?2, '', 1)"
		                 " ON CONFLICT(source, stream) DO UPDATE SET cursor='', resync=1",
		                 source, stream, NULL, err, "starting a resync");
	if (rc == 0)
		cache_touch(c, CACHE_BIT(CACHE_T_SYNC_STATE));
	return cache_autoend(c, began, rc, err);
}

bool cache_resync_active(struct cache *c, const char *source, const char *stream)
{
	sqlite3_stmt *st =
	        cache_stmt(c, ST_RESYNC_ACTIVE,
	                   "SELECT resync FROM sync_state WHERE source=? AND stream=?", NULL);
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	bool on = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return on;
}

int cache_resync_mark(struct cache *c, const char *source, const char *stream,
                      const char *const *ids, size_t n, struct wb_err *err)
{
	sqlite3_stmt *st = cache_stmt(
	        c, ST_RESYNC_MARK,
	        "INSERT OR IGNORE INTO resync_seen(source, stream, id) VALUES(?,?,?)", err);
	if (!st)
		return err ? err->code : WB_EIO;
	int began, rc = cache_autobegin(c, &began, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ids[i], -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		sqlite3_reset(st);
		if (s != SQLITE_DONE)
			rc = cache_fail(c, s, err, "remembering a resync page");
	}
	return cache_autoend(c, began, rc, err);
}

int64_t cache_resync_finish(struct cache *c, const char *source, const char *stream,
                            enum wb_entity e, struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	if (!info)
		return wb_fail(err, WB_EINVALID, "unknown entity %d", (int)e);
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	char sql[512];
	/* The table name comes from the model, never from input. */
	snprintf(sql, sizeof(sql),
	         "UPDATE %s SET deleted=1, synced_at=?3 WHERE source=?1 AND deleted=0 AND id NOT IN"
	         " (SELECT id FROM resync_seen WHERE source=?1 AND stream=?2)",
	         info->table);
	int64_t swept = 0;
	rc = exec_stream(c, sql, source, stream, &swept, err, "finishing a resync");
	if (rc == 0)
		rc = exec_stream(c, "DELETE FROM resync_seen WHERE source=?1 AND stream=?2", source,
		                 stream, NULL, err, "finishing a resync");
	if (rc == 0)
		rc = exec_stream(c, "UPDATE sync_state SET resync=0 WHERE source=?1 AND stream=?2",
		                 source, stream, NULL, err, "finishing a resync");
	if (rc == 0) {
		cache_touch(c, CACHE_BIT(CACHE_T_SYNC_STATE));
		if (swept)
			cache_touch(c, CACHE_BIT(e));
	}
	rc = cache_autoend(c, began, rc, err);
	return rc != 0 ? rc : swept;
}
