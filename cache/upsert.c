/* Batched upserts of canonical rows keyed by (source, ext_id), and reads by id.
 * The SQL for each entity is built once from its column table (cache/model.c). */
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
	n += snprintf(sql + n, len - n,
		      ") ON CONFLICT(source, ext_id) DO UPDATE SET ext_version=excluded.ext_version,"
		      " deleted=excluded.deleted, synced_at=excluded.synced_at");
	for (size_t i = 0; i < info->ncols && n < len; i++)
		n += snprintf(sql + n, len - n, ", %s=excluded.%s", info->cols[i].name,
			      info->cols[i].name);
	n += snprintf(sql + n, len - n, " WHERE excluded.ext_version > %s.ext_version", info->table);
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

int cache_upsert(struct cache *c, enum wb_entity e, const void *rows, size_t n,
		 size_t *changed, struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	if (changed)
		*changed = 0;
	if (!info)
		return wb_fail(err, WB_EINVALID, "unknown entity %d", (int)e);
	for (size_t r = 0; r < n; r++) {
		const struct wb_meta *m = (const void *)((const char *)rows + r * info->size);
		if (!m->id || !*m->id || !m->source || !*m->source || !m->ext_id || !*m->ext_id)
			return wb_fail(err, WB_EINVALID, "%s record %zu has no id, source or ext_id",
				       info->name, r);
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

static sqlite3_stmt *get_stmt(struct cache *c, const struct wb_entity_info *info,
			      struct wb_err *err)
{
	if (c->get[info->entity]) {
		sqlite3_reset(c->get[info->entity]);
		return c->get[info->entity];
	}
	char sql[4096];
	size_t n = snprintf(sql, sizeof(sql), "SELECT " META_COLS);
	for (size_t i = 0; i < info->ncols && n < sizeof(sql); i++)
		n += snprintf(sql + n, sizeof(sql) - n, ", %s", info->cols[i].name);
	snprintf(sql + n, sizeof(sql) - n, " FROM %s WHERE id=?", info->table);
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				    &c->get[info->entity], NULL);
	if (rc != SQLITE_OK) {
		cache_fail(c, rc, err, "preparing a read");
		return NULL;
	}
	return c->get[info->entity];
}

/* Copies a text column into the strings block; offsets first, pointers after
 * the block stops moving. */
int cache_get(struct cache *c, enum wb_entity e, const char *id, void *row, char **strings,
	      struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	*strings = NULL;
	if (!info || !id)
		return wb_fail(err, WB_EINVALID, "bad arguments to cache_get");
	sqlite3_stmt *st = get_stmt(c, info, err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	if (s == SQLITE_DONE) {
		sqlite3_reset(st);
		return wb_fail(err, WB_ENOTFOUND, "no %s %s in the cache", info->name, id);
	}
	if (s != SQLITE_ROW) {
		int rc = cache_fail(c, s, err, "reading");
		sqlite3_reset(st);
		return rc;
	}
	int ncol = sqlite3_column_count(st);
	size_t total = 0;
	for (int i = 0; i < ncol; i++)
		if (sqlite3_column_type(st, i) == SQLITE_TEXT)
			total += (size_t)sqlite3_column_bytes(st, i) + 1;
	char *buf = malloc(total ? total : 1);
	if (!buf) {
		sqlite3_reset(st);
		return wb_fail(err, WB_ENOMEM, "out of memory reading %s %s", info->name, id);
	}
	size_t at = 0;
	wb_entity_clear(e, row);
	/* Meta columns 0..5, then the entity fields in table order. */
	const char **texts[NMETA] = {0};
	struct wb_meta *m = row;
	texts[0] = &m->id;
	texts[1] = &m->source;
	texts[2] = &m->ext_id;
	for (int i = 0; i < ncol; i++) {
		int type = sqlite3_column_type(st, i);
		const char **tp = NULL;
		char *fp = NULL;
		enum wb_type ft = WB_TEXT;
		if (i < NMETA) {
			if (i == 3)
				m->ext_version = sqlite3_column_int64(st, i);
			else if (i == 4)
				m->deleted = sqlite3_column_int(st, i);
			else if (i == 5)
				m->synced_at = sqlite3_column_int64(st, i);
			else
				tp = texts[i];
		} else {
			const struct wb_column *col = &info->cols[i - NMETA];
			fp = (char *)row + col->offset;
			ft = col->type;
			if (ft == WB_TEXT)
				tp = (const char **)(void *)fp;
		}
		if (type == SQLITE_NULL)
			continue;
		if (tp) {
			if (type != SQLITE_TEXT)
				continue;
			int len = sqlite3_column_bytes(st, i);
			memcpy(buf + at, sqlite3_column_text(st, i), (size_t)len);
			buf[at + (size_t)len] = '\0';
			*tp = buf + at;
			at += (size_t)len + 1;
		} else if (fp && ft == WB_INT) {
			*(int64_t *)(void *)fp = sqlite3_column_int64(st, i);
		} else if (fp && ft == WB_REAL) {
			*(double *)(void *)fp = sqlite3_column_double(st, i);
		}
	}
	sqlite3_reset(st);
	*strings = buf;
	return 0;
}
