/* Reading canonical rows back into their structs: one by id, or all the live
 * rows whose column equals a value (a vehicle's faults, a load's stops). Text
 * fields point into one block of strings the caller frees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"

#define META_COLS "id, source, ext_id, ext_version, deleted, synced_at"
#define NMETA 6

struct arena {
	char *buf;
	size_t len, cap;
};

/* Text is stored as offset + 1 in the pointer field while the arena may still
 * move (0 stays NULL); fix_texts turns them into pointers at the end. */
static int arena_text(struct arena *a, sqlite3_stmt *st, int i, const char **field)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		*field = NULL;
		return 0;
	}
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	if (a->len + n + 1 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		while (cap < a->len + n + 1)
			cap *= 2;
		char *b = realloc(a->buf, cap);
		if (!b)
			return -1;
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, t ? (const char *)t : "", n);
	a->buf[a->len + n] = '\0';
	*field = (const char *)(uintptr_t)(a->len + 1);
	a->len += n + 1;
	return 0;
}

static int read_row(sqlite3_stmt *st, const struct wb_entity_info *info, void *row, struct arena *a)
{
	wb_entity_clear(info->entity, row);
	struct wb_meta *m = row;
	if (arena_text(a, st, 0, &m->id) || arena_text(a, st, 1, &m->source) ||
	    arena_text(a, st, 2, &m->ext_id))
		return -1;
	m->ext_version = sqlite3_column_int64(st, 3);
	m->deleted = sqlite3_column_int(st, 4);
	m->synced_at = sqlite3_column_int64(st, 5);
	for (size_t i = 0; i < info->ncols; i++) {
		int col = (int)(NMETA + i);
		char *f = (char *)row + info->cols[i].offset;
		if (info->cols[i].type == WB_TEXT) {
			if (arena_text(a, st, col, (const char **)(void *)f))
				return -1;
		} else if (sqlite3_column_type(st, col) == SQLITE_NULL) {
			continue; /* left unknown by wb_entity_clear */
		} else if (info->cols[i].type == WB_INT) {
			*(int64_t *)(void *)f = sqlite3_column_int64(st, col);
		} else {
			*(double *)(void *)f = sqlite3_column_double(st, col);
		}
	}
	return 0;
}

static void fix_one(const char *base, const char **field)
{
	if (*field)
		*field = base + ((uintptr_t)*field - 1);
}

static void fix_texts(const struct wb_entity_info *info, void *rows, size_t n, const char *base)
{
	for (size_t r = 0; r < n; r++) {
		char *row = (char *)rows + r * info->size;
		struct wb_meta *m = (void *)row;
		fix_one(base, &m->id);
		fix_one(base, &m->source);
		fix_one(base, &m->ext_id);
		for (size_t i = 0; i < info->ncols; i++)
			if (info->cols[i].type == WB_TEXT)
				fix_one(base, (const char **)(void *)(row + info->cols[i].offset));
	}
}

const char *cache_read_from(const struct wb_entity_info *info)
{
	/* A vehicle is read with the maintenance source's facts over its own
	 * (migration 9): every reader of a vehicle sees the same hold and PM due. */
	return info->entity == WB_ENT_VEHICLE ? CACHE_VEHICLE_FACTS : info->table;
}

static int select_sql(const struct wb_entity_info *info, const char *where, char *sql, size_t len)
{
	size_t n = (size_t)snprintf(sql, len, "SELECT " META_COLS);
	for (size_t i = 0; i < info->ncols && n < len; i++)
		n += (size_t)snprintf(sql + n, len - n, ", %s", info->cols[i].name);
	if (n < len)
		n += (size_t)snprintf(sql + n, len - n, " FROM %s WHERE %s", cache_read_from(info),
		                      where);
	return n < len ? 0 : -1;
}

int cache_get(struct cache *c, enum wb_entity e, const char *id, void *row, char **strings,
              struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	*strings = NULL;
	if (!info || !id)
		return wb_fail(err, WB_EINVALID, "bad arguments to cache_get");
	sqlite3_stmt *st = c->get[e];
	if (st) {
		sqlite3_reset(st);
	} else {
		char sql[4096];
		if (select_sql(info, "id=?", sql, sizeof(sql)) != 0)
			return wb_fail(err, WB_EINVALID, "read SQL for %s too long", info->table);
		int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->get[e],
		                            NULL);
		if (rc != SQLITE_OK)
			return cache_fail(c, rc, err, "preparing a read");
		st = c->get[e];
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	int rc = 0;
	struct arena a = {0};
	if (s == SQLITE_DONE)
		rc = wb_fail(err, WB_ENOTFOUND, "no %s %s in the cache", info->name, id);
	else if (s != SQLITE_ROW)
		rc = cache_fail(c, s, err, "reading");
	else if (read_row(st, info, row, &a) != 0)
		rc = wb_fail(err, WB_ENOMEM, "out of memory reading %s %s", info->name, id);
	sqlite3_reset(st);
	if (rc != 0) {
		free(a.buf);
		return rc;
	}
	if (!a.buf && !(a.buf = malloc(1))) /* callers free *strings whatever it holds */
		return wb_fail(err, WB_ENOMEM, "out of memory");
	fix_texts(info, row, 1, a.buf);
	*strings = a.buf;
	return 0;
}

/* The live rows of info's table matching where (which binds ?1 and ?2 to v1 and v2,
 * NULL for NULL, and ends with LIMIT ?3), as cache_list hands them out. */
static int list_where(struct cache *c, const struct wb_entity_info *info, const char *where,
                      const char *v1, const char *v2, size_t max, void **rows, size_t *n,
                      char **strings, struct wb_err *err)
{
	char sql[4096];
	if (select_sql(info, where, sql, sizeof(sql)) != 0)
		return wb_fail(err, WB_EINVALID, "read SQL for %s too long", info->table);
	sqlite3_stmt *st = cache_lru_prepare(c, &c->list_stmts, sql, "preparing a read", err);
	if (!st)
		return err ? err->code : WB_EIO;
	if (v1)
		sqlite3_bind_text(st, 1, v1, -1, SQLITE_STATIC);
	if (v2)
		sqlite3_bind_text(st, 2, v2, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)(max > INT64_MAX ? INT64_MAX : max));
	int s;
	struct arena a = {0};
	char *out = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			char *grown = realloc(out, cap * info->size);
			if (!grown) {
				rc = wb_fail(err, WB_ENOMEM, "out of memory");
				break;
			}
			out = grown;
		}
		if (read_row(st, info, out + count * info->size, &a) != 0) {
			rc = wb_fail(err, WB_ENOMEM, "out of memory");
			break;
		}
		count++;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = cache_fail(c, s, err, "reading");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != 0) {
		free(out);
		free(a.buf);
		return rc;
	}
	fix_texts(info, out, count, a.buf);
	*rows = out;
	*n = count;
	*strings = a.buf;
	return 0;
}

int cache_list(struct cache *c, enum wb_entity e, const char *col, const char *value, size_t max,
               void **rows, size_t *n, char **strings, struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	*rows = NULL;
	*n = 0;
	*strings = NULL;
	if (!info || !col || !value || !max)
		return wb_fail(err, WB_EINVALID, "bad arguments to cache_list");
	int known = 0;
	for (size_t i = 0; i < info->ncols; i++)
		known |= !strcmp(info->cols[i].name, col);
	if (!known) /* the column name goes into SQL: only the model's own */
		return wb_fail(err, WB_EINVALID, "%s has no column %.40s", info->name, col);
	char where[96];
	snprintf(where, sizeof(where), "%s=?1 AND deleted=0 ORDER BY id LIMIT ?3", col);
	return list_where(c, info, where, value, NULL, max, rows, n, strings, err);
}

int cache_billed_load(struct cache *c, const char *load_id, const char *order_id,
                      struct wb_load *load, char **strings, struct wb_err *err)
{
	void *rows = NULL;
	size_t n = 0;
	*strings = NULL;
	if (!load_id && !order_id)
		return wb_fail(err, WB_ENOTFOUND, "it names neither a load nor an order");
	int rc = list_where(c, wb_entity_info(WB_ENT_LOAD),
	                    "id=" CACHE_BILLED_LOAD_SQL("?1", "?2") " AND deleted=0 LIMIT ?3",
	                    load_id, order_id, 1, &rows, &n, strings, err);
	if (rc == 0 && n == 0)
		rc = wb_fail(err, WB_ENOTFOUND, "its load (%.60s) is not in the cache",
		             load_id ? load_id : order_id);
	if (rc == 0)
		*load = *(struct wb_load *)rows;
	free(rows);
	if (rc != 0) {
		free(*strings);
		*strings = NULL;
	}
	return rc;
}

int cache_billed_list(struct cache *c, enum wb_entity e, const char *load_id, size_t max,
                      void **rows, size_t *n, char **strings, struct wb_err *err)
{
	*rows = NULL;
	*n = 0;
	*strings = NULL;
	if ((e != WB_ENT_INVOICE && e != WB_ENT_CHARGE) || !load_id || !max)
		return wb_fail(err, WB_EINVALID, "bad arguments to cache_billed_list");
	const char *where =
	        e == WB_ENT_INVOICE
	                ? CACHE_BILLED_TO_SQL("invoice", "?1") " AND deleted=0 ORDER BY id LIMIT ?3"
	                : CACHE_BILLED_TO_SQL("charge", "?1") " AND deleted=0 ORDER BY id LIMIT ?3";
	return list_where(c, wb_entity_info(e), where, load_id, NULL, max, rows, n, strings, err);
}
