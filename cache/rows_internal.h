/* Private to cache/'s typed readers (cache/snapshot.c, cache/detect_read.c, workflow_read.c,
 * cache/kpi_read.c): preparing and stepping a struct cache_rows, and reading
 * its columns with NULL mapped to the model's unknowns. */
#ifndef WAYBILL_CACHE_ROWS_INTERNAL_H
#define WAYBILL_CACHE_ROWS_INTERNAL_H

#include <math.h>

#include "cache_internal.h"
#include "cache/snapshot.h"

/* Prepares sql into r (reset and unbound when r already holds a statement:
 * a cursor serves one reader, so the statement is the same). */
int cache_rows_prepare(struct cache_rows *r, struct cache *c, const char *sql, struct wb_err *err);
/* Steps r: 1 a row, 0 the end, a negative WB_E* (err says what) on failure. */
int cache_rows_step(struct cache_rows *r, const char *what, struct wb_err *err);

static inline int64_t cache_col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? WB_NULL : sqlite3_column_int64(st, i);
}

static inline double cache_col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static inline const char *cache_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

#endif
