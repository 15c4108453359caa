/* The incremental KPI state (local/kpi_run.h). The additive sums
 * (struct core_kpis and a few more) stay in memory with, per row, what that row
 * counted: a refresh re-reads only the rows whose rowids the update hook saw
 * change, retracts each one's old share and adds its new one. The rowid of a
 * synced row never changes (the upsert is ON CONFLICT DO UPDATE and tombstones
 * are updates), so per-row records live in dense arrays indexed by rowid.
 *
 * What is incremental and what is not:
 * - sums, updated per changed row: on time, dispatch cycle, empty miles, margin
 *   per load and per route, dwell, detention, AI precision, POD completion and
 *   invoice cycle. The last two are per delivered load (its latest POD, its
 *   invoices): each load keeps a list of its PODs and invoices in memory, so a
 *   changed POD or invoice, or a load's new delivery time, is settled without
 *   SQL; only a load seen for the first time asks pod_load / invoice_load for
 *   the PODs and invoices that arrived before it.
 * - windowed, from the per-row records in memory at each refresh (no SQL; a pass
 *   over a few compact arrays): utilization and downtime over the last 24 h, DSO
 *   (it moves with `now`), and the exception resolution median and P90 (a
 *   selection over the resolved exceptions' durations). */
#include <stdlib.h>
#include <string.h>

#include "kpi_state_internal.h"

#define KPI_FN_NAME "waybill_kpi_state"

static struct kpi_state *states;

/* What each table's KPI read selects (its rowid first) and that rowid's name. */
static const struct {
	const char *select, *key;
} sql_of[KT__N] = {
        [KT_LOAD] = {"SELECT rowid, deleted, status, tendered_at, departed_at, delivered_at, "
                     "distance_m,"
                     " empty_m, revenue, est_cost, origin, destination, id FROM load",
                     "rowid"},
        [KT_STOP] =
                {"SELECT rowid, deleted, kind, window_start, window_end, arrived_at, departed_at"
                 " FROM stop",
                 "rowid"},
        [KT_VEHICLE] = {"SELECT rowid, deleted FROM vehicle", "rowid"},
        [KT_WORK_ORDER] = {"SELECT rowid, deleted, status, opened_at, closed_at FROM work_order",
                           "rowid"},
        [KT_POD] = {"SELECT p.rowid, p.deleted, l.rowid, p.signed_at FROM pod p"
                    " LEFT JOIN load l ON l.id=p.load_id",
                    "p.rowid"},
        [KT_INVOICE] = {"SELECT i.rowid, i.deleted, l.rowid, i.issued_at, i.paid_at, i.amount FROM "
                        "invoice i"
                        " LEFT JOIN load l ON l.id=i.load_id",
                        "i.rowid"},
        [KT_EXCEPTION] = {"SELECT rowid, deleted, kind, origin, status, detected_at, resolved_at"
                          " FROM exception",
                          "rowid"},
};

/* Runs fn over every row (ids NULL: one scan) or over the rows of ids (sorted,
 * unique), read by one statement that looks each rowid up from a bound JSON
 * array; fn gets NULL for an id with no row. */
static int each_row(struct kpi_state *s, enum kt t, const struct rowids *ids, row_fn fn)
{
	if (ids && !ids->n)
		return 0;
	char *list = NULL;
	if (ids) {
		size_t cap = ids->n * 21 + 3, len = 0;
		if (!(list = malloc(cap)))
			return wb_fail(s->err, WB_ENOMEM, "out of memory");
		list[len++] = '[';
		for (size_t i = 0; i < ids->n; i++)
			len += (size_t)snprintf(list + len, cap - len, "%s%lld", i ? "," : "",
			                        (long long)ids->v[i]);
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
	int rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		free(list);
		return cache_fail(s->c, rc, s->err, "preparing a KPI read");
	}
	if (list)
		sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	size_t next = 0; /* ids before ids->v[next] are done */
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(st, 0);
		s->read++;
		rc = 0;
		while (ids && rc == 0 && next < ids->n && ids->v[next] < r)
			rc = fn(s, ids->v[next++], NULL);
		if (ids && next < ids->n && ids->v[next] == r)
			next++;
		if (rc == 0)
			rc = fn(s, r, st);
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = cache_fail(s->c, rc, s->err, "reading for the KPIs");
	while (ids && rc == 0 && next < ids->n)
		rc = fn(s, ids->v[next++], NULL);
	sqlite3_finalize(st);
	free(list);
	return rc;
}

static const row_fn fn_of[KT__N] = {kpi_row_load,       kpi_row_stop, kpi_row_vehicle,
                                    kpi_row_work_order, kpi_row_pod,  kpi_row_invoice,
                                    kpi_row_exception};
/* Loads last: PODs and invoices mark (or, scanning, fold into) their loads. */
static const enum kt order[KT__N] = {KT_VEHICLE, KT_WORK_ORDER, KT_STOP,   KT_EXCEPTION,
                                     KT_LOAD,    KT_POD,        KT_INVOICE};

static void reset(struct kpi_state *s)
{
	core_kpis_init(&s->k, kpi_detention_free_s());
	s->pod_n = s->inv_n = s->nveh = 0;
	s->pod_sum_s = s->inv_sum_s = 0;
	struct dense *d[] = {&s->load, &s->span, &s->stop, &s->veh,
	                     &s->wo,   &s->pod,  &s->inv,  &s->exc};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i]->v)
			memset(d[i]->v, 0, d[i]->cap * d[i]->size);
	for (size_t i = 0; i < s->nroutes; i++)
		s->routes[i].loads = 0, s->routes[i].revenue = s->routes[i].cost = 0;
	for (int t = 0; t < KT__N; t++)
		s->dirty[t].n = 0;
	s->ndirty = 0;
}

static int full_scan(struct kpi_state *s)
{
	reset(s);
	s->scanning = true;
	int rc = 0;
	for (int i = 0; i < KT__N && rc == 0; i++)
		rc = each_row(s, order[i], NULL, fn_of[order[i]]);
	s->scanning = false;
	if (rc != 0)
		return rc;
	struct load_rec *l = (struct load_rec *)s->load.v;
	const struct load_span *sp = (const struct load_span *)s->span.v;
	for (size_t i = 0; i < s->load.cap; i++)
		if (l[i].flags & P_SEEN) {
			kpi_load_kids(s, &l[i], &sp[i]);
			kpi_load_count(s, &l[i], &sp[i], +1);
		}
	s->rows = s->read;
	return 0;
}

static int apply_dirty(struct kpi_state *s)
{
	int rc = 0;
	for (int t = 0; t < KT__N; t++)
		kpi_rowids_sort_unique(&s->dirty[t]);
	/* PODs and invoices before loads: a new load then adopts only the ones
	 * that named it before it existed. */
	static const enum kt inc[KT__N] = {KT_VEHICLE, KT_WORK_ORDER, KT_STOP, KT_EXCEPTION,
	                                   KT_POD,     KT_INVOICE,    KT_LOAD};
	for (int i = 0; i < KT__N && rc == 0; i++)
		rc = each_row(s, inc[i], &s->dirty[inc[i]], fn_of[inc[i]]);
	for (int k = 0; k < 2; k++) {
		sqlite3_finalize(s->kids[k]);
		s->kids[k] = NULL;
	}
	for (int t = 0; t < KT__N; t++)
		s->dirty[t].n = 0;
	s->ndirty = 0;
	return rc;
}

/* --- the update hook and the connection's state ------------------------------ */

static int table_kt(const char *t)
{
	switch (t[0]) {
	case 'l': return strcmp(t, "load") ? -1 : KT_LOAD;
	case 's': return strcmp(t, "stop") ? -1 : KT_STOP;
	case 'v': return strcmp(t, "vehicle") ? -1 : KT_VEHICLE;
	case 'w': return strcmp(t, "work_order") ? -1 : KT_WORK_ORDER;
	case 'p': return strcmp(t, "pod") ? -1 : KT_POD;
	case 'i': return strcmp(t, "invoice") ? -1 : KT_INVOICE;
	case 'e': return strcmp(t, "exception") ? -1 : KT_EXCEPTION;
	}
	return -1;
}

/* Called by SQLite for every row written on the connection: remembers the
 * rowid, nothing more. A batch too large to be worth following row by row
 * (or no memory) turns the next refresh into a full scan. */
static void on_update(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
	struct kpi_state *s = arg;
	int t;
	if (s->overflow || (t = table_kt(table)) < 0 || strcmp(db, "main"))
		return;
	size_t bound = s->rows / 4 > 4096 ? s->rows / 4 : 4096;
	if (++s->ndirty > bound || kpi_rowids_push(&s->dirty[t], rowid) != 0)
		s->overflow = true;
}

static int64_t data_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void noop_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_result_null(ctx);
}

/* Runs when the connection closes (or kpi_state_drop replaces the function):
 * the state lives exactly as long as the connection it watches. */
static void state_destroy(void *arg)
{
	struct kpi_state *s = arg;
	for (struct kpi_state **p = &states; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	struct dense *d[] = {&s->load, &s->span, &s->stop, &s->veh,
	                     &s->wo,   &s->pod,  &s->inv,  &s->exc};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		kpi_dense_free(d[i]);
	for (size_t i = 0; i < s->nroutes; i++)
		free(s->routes[i].origin), free(s->routes[i].destination);
	free(s->routes);
	free(s->rhash);
	for (int t = 0; t < KT__N; t++)
		free(s->dirty[t].v);
	free(s);
}

struct kpi_state *kpi_state_get(struct cache *c, struct wb_err *err)
{
	sqlite3 *db = cache_db(c);
	for (struct kpi_state *s = states; s; s = s->next)
		if (s->db == db && s->c == c)
			return s;
	struct kpi_state *s = calloc(1, sizeof(*s));
	if (!s) {
		wb_fail(err, WB_ENOMEM, "out of memory");
		return NULL;
	}
	s->c = c;
	s->db = db;
	s->load.size = sizeof(struct load_rec);
	s->span.size = sizeof(struct load_span);
	s->stop.size = sizeof(struct stop_rec);
	s->veh.size = 1;
	s->wo.size = sizeof(struct wo_rec);
	s->pod.size = sizeof(struct pod_rec);
	s->inv.size = sizeof(struct inv_rec);
	s->exc.size = sizeof(struct exc_rec);
	s->overflow = true; /* the first refresh is the full scan */
	core_kpis_init(&s->k, kpi_detention_free_s());
	int rc = sqlite3_create_function_v2(db, KPI_FN_NAME, 0, SQLITE_UTF8, s, noop_fn, NULL, NULL,
	                                    state_destroy);
	if (rc != SQLITE_OK) {
		/* SQLite has already called state_destroy(s) on failure. */
		cache_fail(c, rc, err, "attaching the KPI state");
		return NULL;
	}
	s->next = states;
	states = s;
	sqlite3_update_hook(db, on_update, s);
	return s;
}

void kpi_state_drop(struct cache *c)
{
	sqlite3 *db = cache_db(c);
	for (struct kpi_state *s = states; s; s = s->next)
		if (s->db == db && s->c == c) {
			sqlite3_update_hook(db, NULL, NULL);
			/* Replacing the function destroys the old one's state. */
			sqlite3_create_function_v2(db, KPI_FN_NAME, 0, SQLITE_UTF8, NULL, NULL,
			                           NULL, NULL, NULL);
			return;
		}
}

int kpi_state_refresh(struct kpi_state *s, struct kpi_refresh_stats *st, struct wb_err *err)
{
	if (cache_in_txn(s->c))
		return wb_fail(err, WB_EINVALID,
		               "the KPI state cannot refresh inside a transaction");
	s->err = err;
	s->read = 0;
	/* Someone else's hook, or another connection's commit: rows changed unseen. */
	if (sqlite3_update_hook(s->db, on_update, s) != s)
		s->overflow = true;
	int64_t dv = data_version(s->db);
	if (dv != s->data_version)
		s->overflow = true;
	s->data_version = dv;
	bool full = s->overflow;
	s->overflow = false;
	int rc = full ? full_scan(s) : apply_dirty(s);
	if (rc != 0)
		s->overflow = true; /* start again from a full scan */
	if (st) {
		st->full = full;
		st->rows = s->read;
	}
	s->err = NULL;
	return rc;
}

size_t kpi_state_bytes(const struct kpi_state *s)
{
	const struct dense *d[] = {&s->load, &s->span, &s->stop, &s->veh,
	                           &s->wo,   &s->pod,  &s->inv,  &s->exc};
	size_t n = sizeof(*s) + s->caproutes * sizeof(*s->routes) + s->rhcap * sizeof(*s->rhash);
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		n += d[i]->cap * d[i]->size;
	for (size_t i = 0; i < s->nroutes; i++)
		n += strlen(s->routes[i].origin) + strlen(s->routes[i].destination) + 2;
	for (int t = 0; t < KT__N; t++)
		n += s->dirty[t].cap * sizeof(int64_t);
	return n;
}
