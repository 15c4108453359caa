/* Batched upserts of canonical rows keyed by (source, ext_id). The SQL for
 * each entity is built once from its column table (model/model.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_internal.h"

#define META_COLS "id, source, ext_id, ext_version, deleted, synced_at"
#define NMETA 6

static int build_upsert_sql(const struct wb_entity_info *info, char *sql, size_t len)
{
	size_t n = 0;
	n += snprintf(sql + n, len - n, "INSERT INTO %s(" META_COLS, info->table);
	for (size_t i = 0; i < info->ncols && n < len; i++)
		n += snprintf(sql + n, len - n, ", %s", info->cols[i].name);
	n += snprintf(sql + n, len - n, ") VALUES(?,?,?,?,?,?");
	for (size_t i = 0; i < info->ncols && n < len; i++)
		n += snprintf(sql + n, len - n, ",?");
	/* Only a strictly newer version replaces what is stored: replays and
	 * out-of-order pages are ignored, and a tombstone stays a tombstone until
	 * the source sends a newer version. */
	n += snprintf(
	        sql + n, len - n,
	        ") ON CONFLICT(source, ext_id) DO UPDATE SET ext_version=excluded.ext_version,"
	        " deleted=excluded.deleted, synced_at=excluded.synced_at");
	for (size_t i = 0; i < info->ncols && n < len; i++)
		n += snprintf(sql + n, len - n, ", %s=excluded.%s", info->cols[i].name,
		              info->cols[i].name);
	n += snprintf(sql + n, len - n, " WHERE excluded.ext_version > %s.ext_version",
	              info->table);
	return n < len ? 0 : -1;
}

static sqlite3_stmt *upsert_stmt(struct cache *c, const struct wb_entity_info *info,
                                 struct wb_err *err)
{
	if (c->upsert[info->entity]) {
		sqlite3_reset(c->upsert[info->entity]);
		return c->upsert[info->entity];
	}
	char sql[4096];
	if (build_upsert_sql(info, sql, sizeof(sql)) != 0) {
		wb_fail(err, WB_EINVALID, "upsert SQL for %s too long", info->table);
		return NULL;
	}
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                            &c->upsert[info->entity], NULL);
	if (rc != SQLITE_OK) {
		cache_fail(c, rc, err, "preparing an upsert");
		return NULL;
	}
	return c->upsert[info->entity];
}

static int bind_row(sqlite3_stmt *st, const struct wb_entity_info *info, const void *row,
                    int64_t now)
{
	const struct wb_meta *m = row;
	int rc = cache_bind_text(st, 1, m->id);
	rc |= cache_bind_text(st, 2, m->source);
	rc |= cache_bind_text(st, 3, m->ext_id);
	rc |= sqlite3_bind_int64(st, 4, m->ext_version);
	rc |= sqlite3_bind_int(st, 5, m->deleted ? 1 : 0);
	rc |= sqlite3_bind_int64(st, 6, now);
	for (size_t i = 0; i < info->ncols; i++) {
		const char *p = (const char *)row + info->cols[i].offset;
		int at = (int)(NMETA + 1 + i);
		/* A tombstone keeps nothing of the record but its identity. */
		if (m->deleted) {
			rc |= sqlite3_bind_null(st, at);
			continue;
		}
		switch (info->cols[i].type) {
		case WB_TEXT: rc |= cache_bind_text(st, at, *(const char *const *)p); break;
		case WB_INT: rc |= cache_bind_int(st, at, *(const int64_t *)p); break;
		case WB_REAL: rc |= cache_bind_real(st, at, *(const double *)p); break;
		}
	}
	return rc;
}

int cache_upsert(struct cache *c, enum wb_entity e, const void *rows, size_t n, size_t *changed,
                 struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	if (changed)
		*changed = 0;
	if (!info)
		return wb_fail(err, WB_EINVALID, "unknown entity %d", (int)e);
	for (size_t r = 0; r < n; r++) {
		const struct wb_meta *m = (const void *)((const char *)rows + r * info->size);
		if (!m->id || !*m->id || !m->source || !*m->source || !m->ext_id || !*m->ext_id)
			return wb_fail(err, WB_EINVALID,
			               "%s record %zu has no id, source or ext_id", info->name, r);
	}
	sqlite3_stmt *st = upsert_stmt(c, info, err);
	if (!st)
		return err ? err->code : WB_EIO;
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	int64_t now = (int64_t)time(NULL);
	size_t written = 0;
	for (size_t r = 0; r < n && rc == 0; r++) {
		const void *row = (const char *)rows + r * info->size;
		if (bind_row(st, info, row, now) != SQLITE_OK) {
			rc = cache_fail(c, sqlite3_errcode(c->db), err, "binding a row");
			break;
		}
		int s = sqlite3_step(st);
		if (s != SQLITE_DONE) {
			const struct wb_meta *m = row;
			rc = cache_fail(c, s, err, "writing");
			if (rc == WB_ECONFLICT)
				wb_fail(err, rc, "%s: %s %s (%s/%s) clashes with a stored row: %s",
				        c->path, info->name, m->id, m->source, m->ext_id,
				        sqlite3_errmsg(c->db));
		} else {
			written += (size_t)sqlite3_changes(c->db);
		}
		sqlite3_reset(st);
	}
	sqlite3_clear_bindings(st);
	if (rc == 0 && written)
		cache_touch(c, CACHE_BIT(e));
	rc = cache_autoend(c, began, rc, err);
	if (rc == 0 && changed)
		*changed = written;
	return rc;
}
