/* Reading the cache on a snapshot: one read transaction in which every read
 * sees the same data while writers on other connections go on (WAL), and the
 * cursor (struct cache_rows) the typed readers of cache/detect_read.h and
 * cache/kpi_read.h step through. */
#ifndef WAYBILL_CACHE_SNAPSHOT_H
#define WAYBILL_CACHE_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"

/* Opens a read transaction (BEGIN, deferred: no lock until the first read,
 * never the write lock). Not inside cache_begin's transaction. */
int cache_snap_begin(struct cache *c, struct wb_err *err);
/* Ends it: commit (nothing was written) or roll back after a failed read.
 * Returns a commit's failure (err filled), else 0; never leaves it open. */
int cache_snap_end(struct cache *c, bool ok, struct wb_err *err);

/* A cursor over the rows one typed reader selects. Zero it before first use
 * ({0}); a reader that is called again with the same cursor reuses its
 * prepared statement. Close it when done (also after an error). */
struct sqlite3_stmt;
struct cache_rows {
	struct cache *c;
	struct sqlite3_stmt *st;
};
void cache_rows_close(struct cache_rows *r);

/* PRAGMA data_version: moves when another connection commits to the file.
 * -1 when it cannot be read. */
int64_t cache_data_version(struct cache *c);

#endif
