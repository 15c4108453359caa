/* Following a connection's writes for the incremental KPIs (local/kpi_state.c):
 * an SQLite update hook that hands on the rowid of every row written to a KPI
 * table, and a value kept alive exactly as long as the connection. */
#ifndef WAYBILL_CACHE_KPI_HOOK_H
#define WAYBILL_CACHE_KPI_HOOK_H

#include "cache/kpi_read.h"

/* Who hears the writes: fn(arg, table, rowid) for every row of a KPI table
 * (cache/kpi_read.h) inserted, updated or deleted on the connection, in the
 * main database. It runs inside SQLite's write: it must only take note. */
struct cache_row_watch {
	void (*fn)(void *arg, enum cache_kt t, int64_t rowid);
	void *arg;
};
/* Makes w the connection's watch (w must live until it is cleared or the
 * connection closes). Returns true when w already was: no write went
 * unheard since; false when it is new or another hook had replaced it. */
bool cache_row_watch_set(struct cache *c, struct cache_row_watch *w);
void cache_row_watch_clear(struct cache *c);

/* Attaches arg to the connection under name (an SQL function that does
 * nothing carries it): destroy(arg) runs when the connection closes or
 * cache_detach(name) is called. On failure destroy(arg) has already run. */
int cache_attach(struct cache *c, const char *name, void *arg, void (*destroy)(void *arg),
                 struct wb_err *err);
void cache_detach(struct cache *c, const char *name);

#endif
