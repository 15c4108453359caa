/* What the KPIs (local/kpi_*.c) read: the columns each KPI table counts, by
 * rowid (a rowid of a synced row never changes: the upsert updates in place
 * and tombstones are updates), either every row once or only the rows a batch
 * changed; and every live row of an entity as model structs, for the full
 * recompute. */
#ifndef WAYBILL_CACHE_KPI_READ_H
#define WAYBILL_CACHE_KPI_READ_H

#include "cache/snapshot.h"

/* The tables the KPIs count. */
enum cache_kt {
	CACHE_KT_LOAD,
	CACHE_KT_STOP,
	CACHE_KT_VEHICLE,
	CACHE_KT_WORK_ORDER,
	CACHE_KT_POD,
	CACHE_KT_INVOICE,
	CACHE_KT_EXCEPTION,
	CACHE_KT__N
};

/* One row as the KPIs count it: the member of its table. Text lives until the
 * callback returns; unknown times WB_NULL, unknown amounts NAN. */
struct cache_kpi_row {
	int64_t rowid;
	bool deleted;
	union {
		struct {
			const char *id, *status, *origin, *destination;
			int64_t tendered_at, departed_at, delivered_at;
			double distance_m, empty_m, revenue, est_cost;
		} load;
		struct {
			const char *kind;
			int64_t window_start, window_end, arrived_at, departed_at;
		} stop;
		struct {
			const char *status;
			int64_t opened_at, closed_at;
		} work_order;
		struct {
			int64_t load_rowid; /* the rowid of the load its load_id names; WB_NULL none
			                     */
			int64_t signed_at;
		} pod;
		struct {
			int64_t load_rowid; /* as pod */
			int64_t issued_at, paid_at;
			double amount;
		} invoice;
		struct {
			const char *kind, *origin, *status;
			int64_t detected_at, resolved_at;
		} exception;
	};
};

/* Gets a row (row NULL: no row has that rowid any more); returns 0 to go on,
 * else the code that stops the read and is returned. */
typedef int (*cache_kpi_row_fn)(void *arg, int64_t rowid, const struct cache_kpi_row *row);

/* Every row of table t (tombstones too), in rowid order. *read counts the rows. */
int cache_kpi_scan(struct cache *c, enum cache_kt t, cache_kpi_row_fn fn, void *arg, size_t *read,
                   struct wb_err *err);
/* The rows of the n rowids (sorted, unique), read by one statement that looks
 * each one up from a bound JSON array, in rowid order; fn hears NULL for a
 * rowid with no row. *read counts the rows found. */
int cache_kpi_read_rowids(struct cache *c, enum cache_kt t, const int64_t *rowids, size_t n,
                          cache_kpi_row_fn fn, void *arg, size_t *read, struct wb_err *err);
/* The rowids of the PODs (t CACHE_KT_POD) or invoices (CACHE_KT_INVOICE)
 * whose load_id is load_id, tombstones too, through the load_id index; fn
 * hears each. r keeps the statement between calls (one cursor per table).
 * *read counts them. */
int cache_kpi_child_rowids(struct cache *c, struct cache_rows *r, enum cache_kt t,
                           const char *load_id, int (*fn)(void *arg, int64_t rowid), void *arg,
                           size_t *read, struct wb_err *err);

/* Every live row of an entity, every column, streamed once into an array of
 * struct wb_<entity> (rows, n), each text copied on its own. */
struct cache_live {
	void *rows;
	size_t n, cap, size;
	char **texts;
	size_t ntexts, captexts;
};
int cache_read_live(struct cache *c, enum wb_entity e, struct cache_live *out, struct wb_err *err);
void cache_live_free(struct cache_live *l);

#endif
