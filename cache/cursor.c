/* Sync cursors: how far each stream of each source has been read. A cursor is
 * written in the transaction that writes the rows it covers, so a crash never
 * skips or repeats a page. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache_internal.h"

int cache_cursor_get(struct cache *c, const char *source, const char *stream, char *buf, size_t len,
                     struct wb_err *err)
{
	if (len)
		buf[0] = '\0';
	sqlite3_stmt *st = cache_stmt(
	        c, ST_CURSOR_GET, "SELECT cursor FROM sync_state WHERE source=? AND stream=?", err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	int rc = 0;
	if (s == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (v && strlen(v) >= len)
			rc = wb_fail(err, WB_EINVALID, "stored cursor longer than %zu bytes", len);
		else if (v)
			snprintf(buf, len, "%s", v);
	} else if (s != SQLITE_DONE) {
		rc = cache_fail(c, s, err, "reading a cursor");
	}
	sqlite3_reset(st);
	return rc;
}

static int cursor_write(struct cache *c, const char *source, const char *stream, const char *cursor,
                        struct wb_err *err)
{
	sqlite3_stmt *st =
	        cache_stmt(c, ST_CURSOR_SET,
	                   "INSERT INTO sync_state(source, stream, cursor) VALUES(?,?,?)"
	                   " ON CONFLICT(source, stream) DO UPDATE SET cursor=excluded.cursor",
	                   err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cursor ? cursor : "", -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return cache_fail(c, s, err, "writing a cursor");
	cache_touch(c, CACHE_BIT(CACHE_T_SYNC_STATE));
	return 0;
}

int cache_cursor_set(struct cache *c, const char *source, const char *stream, const char *cursor,
                     struct wb_err *err)
{
	if (!source || !stream)
		return wb_fail(err, WB_EINVALID, "cursor needs a source and a stream");
	int began, rc = cache_autobegin(c, &began, err);
	if (rc == 0)
		rc = cursor_write(c, source, stream, cursor, err);
	return cache_autoend(c, began, rc, err);
}

int cache_cursor_reset(struct cache *c, const char *source, const char *stream, struct wb_err *err)
{
	return cache_cursor_set(c, source, stream, "", err);
}
