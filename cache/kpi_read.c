/* The KPI tables' reads by rowid (cache/kpi_read.h): one SELECT per table of
 * the columns the KPIs count, over every row or over a bound JSON array of
 * the rowids a batch changed, and the rowids of a load's PODs and invoices. */
#include <stdio.h>
#include <stdlib.h>

#include "rows_internal.h"
#include "cache/kpi_read.h"

/* What each table's KPI read selects (its rowid first) and that rowid's name. */
static const struct {
	const char *select, *key;
} sql_of[CACHE_KT__N] = {
        [CACHE_KT_LOAD] = {"SELECT rowid, deleted, status, tendered_at, departed_at, delivered_at,"
                           " distance_m, empty_m, revenue, est_cost, origin, destination, id"
                           " FROM load",
                           "rowid"},
        [CACHE_KT_STOP] = {"SELECT rowid, deleted, kind, window_start, window_end, arrived_at,"
                           " departed_at FROM stop",
                           "rowid"},
        [CACHE_KT_VEHICLE] = {"SELECT rowid, deleted FROM vehicle", "rowid"},
        [CACHE_KT_WORK_ORDER] = {"SELECT rowid, deleted, status, opened_at, closed_at"
                                 " FROM work_order",
                                 "rowid"},
        [CACHE_KT_POD] = {"SELECT p.rowid, p.deleted, l.rowid, p.signed_at FROM pod p"
                          " LEFT JOIN load l ON l.id=p.load_id",
                          "p.rowid"},
        /* An invoice's load by load_id or by order (cache.h, billing joins). */
        [CACHE_KT_INVOICE] =
                {"SELECT i.rowid, i.deleted, l.rowid, i.issued_at, i.paid_at,"
                 " i.amount FROM invoice i LEFT JOIN load l ON l.id=" CACHE_BILLED_LOAD_SQL(
                         "i.load_id", "i.order_id"),
                 "i.rowid"},
        [CACHE_KT_EXCEPTION] = {"SELECT rowid, deleted, kind, origin, status, detected_at,"
                                " resolved_at FROM exception",
                                "rowid"},
};

/* The row st holds, as table t's member of w. */
static void decode(enum cache_kt t, sqlite3_stmt *st, struct cache_kpi_row *w)
{
	w->rowid = sqlite3_column_int64(st, 0);
	w->deleted = sqlite3_column_int(st, 1) != 0;
	switch (t) {
	case CACHE_KT_LOAD:
		w->load.status = cache_col_text(st, 2);
		w->load.tendered_at = cache_col_i64(st, 3);
		w->load.departed_at = cache_col_i64(st, 4);
		w->load.delivered_at = cache_col_i64(st, 5);
		w->load.distance_m = cache_col_real(st, 6);
		w->load.empty_m = cache_col_real(st, 7);
		w->load.revenue = cache_col_real(st, 8);
		w->load.est_cost = cache_col_real(st, 9);
		w->load.origin = cache_col_text(st, 10);
		w->load.destination = cache_col_text(st, 11);
		w->load.id = cache_col_text(st, 12);
		break;
	case CACHE_KT_STOP:
		w->stop.kind = cache_col_text(st, 2);
		w->stop.window_start = cache_col_i64(st, 3);
		w->stop.window_end = cache_col_i64(st, 4);
		w->stop.arrived_at = cache_col_i64(st, 5);
		w->stop.departed_at = cache_col_i64(st, 6);
		break;
	case CACHE_KT_VEHICLE: break;
	case CACHE_KT_WORK_ORDER:
		w->work_order.status = cache_col_text(st, 2);
		w->work_order.opened_at = cache_col_i64(st, 3);
		w->work_order.closed_at = cache_col_i64(st, 4);
		break;
	case CACHE_KT_POD:
		w->pod.load_rowid = cache_col_i64(st, 2);
		w->pod.signed_at = cache_col_i64(st, 3);
		break;
	case CACHE_KT_INVOICE:
		w->invoice.load_rowid = cache_col_i64(st, 2);
		w->invoice.issued_at = cache_col_i64(st, 3);
		w->invoice.paid_at = cache_col_i64(st, 4);
		w->invoice.amount = cache_col_real(st, 5);
		break;
	case CACHE_KT_EXCEPTION:
		w->exception.kind = cache_col_text(st, 2);
		w->exception.origin = cache_col_text(st, 3);
		w->exception.status = cache_col_text(st, 4);
		w->exception.detected_at = cache_col_i64(st, 5);
		w->exception.resolved_at = cache_col_i64(st, 6);
		break;
	case CACHE_KT__N: break;
	}
}

/* Runs fn over every row (ids NULL) or over the rows of ids (sorted, unique),
 * read by one statement that looks each rowid up from a bound JSON array; fn
 * gets NULL for an id with no row. */
static int each_row(struct cache *c, enum cache_kt t, const int64_t *ids, size_t n,
                    cache_kpi_row_fn fn, void *arg, size_t *read, struct wb_err *err)
{
	if ((unsigned)t >= CACHE_KT__N)
		return wb_fail(err, WB_EINVALID, "no KPI table %d", (int)t);
	char *list = NULL;
	if (ids) {
		size_t cap = n * 21 + 3, len = 0;
		if (!(list = malloc(cap)))
			return wb_fail(err, WB_ENOMEM, "out of memory");
		list[len++] = '[';
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(list + len, cap - len, "%s%lld", i ? "," : "",
			                        (long long)ids[i]);
		list[len++] = ']';
		list[len] = '\0';
	}
	char q[640];
	if (ids)
		snprintf(q, sizeof(q),
		         "%s WHERE %s IN (SELECT value FROM json_each(?1)) ORDER BY %s",
		         sql_of[t].select, sql_of[t].key, sql_of[t].key);
	else
		snprintf(q, sizeof(q), "%s ORDER BY %s", sql_of[t].select, sql_of[t].key);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, q, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		free(list);
		return cache_fail(c, rc, err, "preparing a KPI read");
	}
	if (list)
		sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	size_t next = 0; /* ids before ids[next] are done */
	struct cache_kpi_row w;
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		decode(t, st, &w);
		(*read)++;
		rc = 0;
		while (ids && rc == 0 && next < n && ids[next] < w.rowid)
			rc = fn(arg, ids[next++], NULL);
		if (ids && next < n && ids[next] == w.rowid)
			next++;
		if (rc == 0)
			rc = fn(arg, w.rowid, &w);
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = cache_fail(c, rc, err, "reading for the KPIs");
	while (ids && rc == 0 && next < n)
		rc = fn(arg, ids[next++], NULL);
	sqlite3_finalize(st);
	free(list);
	return rc;
}

int cache_kpi_scan(struct cache *c, enum cache_kt t, cache_kpi_row_fn fn, void *arg, size_t *read,
                   struct wb_err *err)
{
	return each_row(c, t, NULL, 0, fn, arg, read, err);
}

int cache_kpi_read_rowids(struct cache *c, enum cache_kt t, const int64_t *rowids, size_t n,
                          cache_kpi_row_fn fn, void *arg, size_t *read, struct wb_err *err)
{
	if (!n)
		return 0;
	return each_row(c, t, rowids, n, fn, arg, read, err);
}

int cache_kpi_child_rowids(struct cache *c, struct cache_rows *r, enum cache_kt t,
                           const char *load_id, int (*fn)(void *arg, int64_t rowid), void *arg,
                           size_t *read, struct wb_err *err)
{
	if (t != CACHE_KT_POD && t != CACHE_KT_INVOICE)
		return wb_fail(err, WB_EINVALID, "KPI table %d has no load", (int)t);
	int rc = cache_rows_prepare(
	        r, c,
	        t == CACHE_KT_POD
	                ? "SELECT rowid FROM pod WHERE load_id=?1"
	                : "SELECT rowid FROM invoice WHERE " CACHE_BILLED_TO_SQL("invoice", "?1"),
	        err);
	if (rc)
		return rc;
	sqlite3_bind_text(r->st, 1, load_id, -1, SQLITE_TRANSIENT);
	int s;
	while ((s = cache_rows_step(r, "reading for the KPIs", err)) == 1) {
		(*read)++;
		if ((rc = fn(arg, sqlite3_column_int64(r->st, 0))) != 0) {
			sqlite3_reset(r->st);
			return rc;
		}
	}
	return s;
}
