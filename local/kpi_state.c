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
 *   selection over the resolved exceptions' durations).
 *
 * The reads, the update hook and the state's life as long as its connection's
 * are cache/'s (cache/kpi_read.h, cache/kpi_hook.h); this file keeps the sums. */
#include <stdlib.h>
#include <string.h>

#include "kpi_state_internal.h"

#define KPI_FN_NAME "waybill_kpi_state"

static struct kpi_state *states;

static const row_fn fn_of[KT__N] = {kpi_row_load,       kpi_row_stop, kpi_row_vehicle,
                                    kpi_row_work_order, kpi_row_pod,  kpi_row_invoice,
                                    kpi_row_exception};
/* The row functions, as the cache's readers call them back. */
struct each {
	struct kpi_state *s;
	row_fn fn;
};

static int each_one(void *arg, int64_t rowid, const struct cache_kpi_row *w)
{
	struct each *e = arg;
	return e->fn(e->s, rowid, w);
}

/* Runs table t's row function over every row (ids NULL) or the rows of ids. */
static int each_row(struct kpi_state *s, enum kt t, const struct rowids *ids)
{
	struct each e = {s, fn_of[t]};
	if (!ids)
		return cache_kpi_scan(s->c, (enum cache_kt)t, each_one, &e, &s->read, s->err);
	return cache_kpi_read_rowids(s->c, (enum cache_kt)t, ids->v, ids->n, each_one, &e, &s->read,
	                             s->err);
}

/* Loads last: PODs and invoices mark (or, scanning, fold into) their loads. */
static const enum kt order[KT__N] = {KT_VEHICLE, KT_WORK_ORDER, KT_STOP,   KT_EXCEPTION,
                                     KT_LOAD,    KT_POD,        KT_INVOICE};

static void reset(struct kpi_state *s)
{
	core_kpis_init(&s->k, s->k.free_s);
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
		rc = each_row(s, order[i], NULL);
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
		rc = each_row(s, inc[i], &s->dirty[inc[i]]);
	for (int k = 0; k < 2; k++)
		cache_rows_close(&s->kids[k]);
	for (int t = 0; t < KT__N; t++)
		s->dirty[t].n = 0;
	s->ndirty = 0;
	return rc;
}

/* --- the update hook and the connection's state ------------------------------ */

/* Hears every row of a KPI table written on the connection (cache/kpi_hook.h):
 * remembers the rowid, nothing more. A batch too large to be worth following
 * row by row (or no memory) turns the next refresh into a full scan. */
static void on_update(void *arg, enum cache_kt t, int64_t rowid)
{
	struct kpi_state *s = arg;
	if (s->overflow)
		return;
	size_t bound = s->rows / 4 > 4096 ? s->rows / 4 : 4096;
	if (++s->ndirty > bound || kpi_rowids_push(&s->dirty[t], rowid) != 0)
		s->overflow = true;
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

struct kpi_state *kpi_state_get(struct cache *c, int64_t free_s, struct wb_err *err)
{
	free_s = kpi_free_s(free_s);
	for (struct kpi_state *s = states; s; s = s->next)
		if (s->c == c) {
			if (s->k.free_s == free_s)
				return s;
			kpi_state_drop(c); /* its sums counted detention from another free time */
			break;
		}
	struct kpi_state *s = calloc(1, sizeof(*s));
	if (!s) {
		wb_fail(err, WB_ENOMEM, "out of memory");
		return NULL;
	}
	s->c = c;
	s->watch = (struct cache_row_watch){on_update, s};
	s->load.size = sizeof(struct load_rec);
	s->span.size = sizeof(struct load_span);
	s->stop.size = sizeof(struct stop_rec);
	s->veh.size = 1;
	s->wo.size = sizeof(struct wo_rec);
	s->pod.size = sizeof(struct pod_rec);
	s->inv.size = sizeof(struct inv_rec);
	s->exc.size = sizeof(struct exc_rec);
	s->overflow = true; /* the first refresh is the full scan */
	core_kpis_init(&s->k, free_s);
	/* On failure the cache has already called state_destroy(s). */
	if (cache_attach(c, KPI_FN_NAME, s, state_destroy, err) != 0)
		return NULL;
	s->next = states;
	states = s;
	cache_row_watch_set(c, &s->watch);
	return s;
}

void kpi_state_drop(struct cache *c)
{
	for (struct kpi_state *s = states; s; s = s->next)
		if (s->c == c) {
			cache_row_watch_clear(c);
			cache_detach(c, KPI_FN_NAME); /* destroys the state */
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
	if (!cache_row_watch_set(s->c, &s->watch))
		s->overflow = true;
	int64_t dv = cache_data_version(s->c);
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
