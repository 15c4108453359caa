/* Every live row of an entity into an array of model structs
 * (cache/kpi_read.h, cache_read_live): one statement streamed once, for the
 * KPIs' full recompute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows_internal.h"
#include "cache/kpi_read.h"

void cache_live_free(struct cache_live *r)
{
	for (size_t i = 0; i < r->ntexts; i++)
		free(r->texts[i]);
	free(r->texts);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static const char *keep_text(struct cache_live *r, sqlite3_stmt *st, int i, int *oom)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	if (r->ntexts == r->captexts) {
		size_t cap = r->captexts ? r->captexts * 2 : 256;
		char **t = realloc(r->texts, cap * sizeof(*t));
		if (!t) {
			*oom = 1;
			return NULL;
		}
		r->texts = t;
		r->captexts = cap;
	}
	char *s = strdup((const char *)sqlite3_column_text(st, i));
	if (!s) {
		*oom = 1;
		return NULL;
	}
	r->texts[r->ntexts++] = s;
	return s;
}

int cache_read_live(struct cache *c, enum wb_entity e, struct cache_live *r, struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	char sql[2048];
	size_t len = (size_t)snprintf(sql, sizeof(sql), "SELECT id");
	for (size_t i = 0; i < info->ncols && len < sizeof(sql); i++) {
		/* An invoice's load for the KPIs is its load by load_id or by its
		 * order (cache.h, billing joins), as the incremental state reads it. */
		if (e == WB_ENT_INVOICE && !strcmp(info->cols[i].name, "load_id"))
			len += (size_t)snprintf(
			        sql + len, sizeof(sql) - len,
			        ", " CACHE_BILLED_LOAD_SQL("invoice.load_id", "invoice.order_id"));
		else
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s",
			                        info->cols[i].name);
	}
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " FROM %s WHERE deleted=0",
		                        info->table);
	memset(r, 0, sizeof(*r));
	if (len >= sizeof(sql))
		return wb_fail(err, WB_EINVALID, "KPI query for %s too long", info->table);
	r->size = info->size;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "preparing a KPI read");
	int s = SQLITE_DONE, oom = 0;
	while (!oom && (s = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 256;
			void *p = realloc(r->rows, cap * r->size);
			if (!p) {
				oom = 1;
				break;
			}
			r->rows = p;
			r->cap = cap;
		}
		char *row = (char *)r->rows + r->n * r->size;
		wb_entity_clear(e, row);
		((struct wb_meta *)(void *)row)->id = keep_text(r, st, 0, &oom);
		for (size_t i = 0; i < info->ncols; i++) {
			int ci = (int)i + 1;
			void *f = row + info->cols[i].offset;
			switch (info->cols[i].type) {
			case WB_TEXT: *(const char **)f = keep_text(r, st, ci, &oom); break;
			case WB_INT: *(int64_t *)f = cache_col_i64(st, ci); break;
			case WB_REAL: *(double *)f = cache_col_real(st, ci); break;
			}
		}
		r->n++;
	}
	sqlite3_finalize(st);
	if (oom)
		return wb_fail(err, WB_ENOMEM, "out of memory reading %s", info->table);
	if (s != SQLITE_DONE)
		return cache_fail(c, s, err, "reading for the KPIs");
	return 0;
}
