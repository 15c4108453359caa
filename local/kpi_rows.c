/* What each row counts in the incremental KPI state: its record (kept so a
 * later version can retract it), its share of the sums, and for PODs and
 * invoices the per-load lists that settle POD completion and invoice cycle
 * without SQL. See local/kpi_state.c for the design. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_state_internal.h"

/* --- small containers --------------------------------------------------- */

void *kpi_dense_at(struct dense *d, int64_t rowid)
{
	if (rowid < 1 || rowid >= KPI_ROWID_MAX)
		return NULL;
	size_t i = (size_t)rowid;
	if (i >= d->cap) {
		size_t cap = d->cap ? d->cap : 1024;
		while (cap <= i)
			cap *= 2;
		char *v = realloc(d->v, cap * d->size);
		if (!v)
			return NULL;
		memset(v + d->cap * d->size, 0, (cap - d->cap) * d->size);
		d->v = v;
		d->cap = cap;
	}
	return d->v + i * d->size;
}

void kpi_dense_free(struct dense *d)
{
	free(d->v);
	d->v = NULL;
	d->cap = 0;
}

int kpi_rowids_push(struct rowids *r, int64_t id)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		int64_t *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = id;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

void kpi_rowids_sort_unique(struct rowids *r)
{
	if (!r->n)
		return;
	qsort(r->v, r->n, sizeof(*r->v), cmp_i64);
	size_t j = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!j || r->v[i] != r->v[j - 1])
			r->v[j++] = r->v[i];
	r->n = j;
}

static uint64_t route_hash(const char *o, const char *d)
{
	uint64_t h = 1469598103934665603u;
	for (const unsigned char *p = (const unsigned char *)o; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	h = (h ^ 0x1f) * 1099511628211u;
	for (const unsigned char *p = (const unsigned char *)d; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

static int route_rehash(struct kpi_state *s, size_t cap)
{
	int32_t *h = malloc(cap * sizeof(*h));
	if (!h)
		return -1;
	memset(h, 0xff, cap * sizeof(*h));
	for (size_t i = 0; i < s->nroutes; i++) {
		size_t j = (size_t)route_hash(s->routes[i].origin, s->routes[i].destination) &
		           (cap - 1);
		while (h[j] >= 0)
			j = (j + 1) & (cap - 1);
		h[j] = (int32_t)i;
	}
	free(s->rhash);
	s->rhash = h;
	s->rhcap = cap;
	return 0;
}

/* The index of route origin -> destination, added if new; -1 on no memory. */
static int32_t route_find(struct kpi_state *s, const char *o, const char *d)
{
	if ((s->nroutes + 1) * 2 > s->rhcap && route_rehash(s, s->rhcap ? s->rhcap * 2 : 256) != 0)
		return -1;
	size_t j = (size_t)route_hash(o, d) & (s->rhcap - 1);
	for (; s->rhash[j] >= 0; j = (j + 1) & (s->rhcap - 1)) {
		const struct route *r = &s->routes[s->rhash[j]];
		if (!strcmp(r->origin, o) && !strcmp(r->destination, d))
			return s->rhash[j];
	}
	if (s->nroutes == s->caproutes) {
		size_t cap = s->caproutes ? s->caproutes * 2 : 64;
		struct route *v = realloc(s->routes, cap * sizeof(*v));
		if (!v)
			return -1;
		s->routes = v;
		s->caproutes = cap;
	}
	struct route *r = &s->routes[s->nroutes];
	*r = (struct route){strdup(o), strdup(d), 0, 0, 0};
	if (!r->origin || !r->destination) {
		free(r->origin), free(r->destination);
		return -1;
	}
	s->rhash[j] = (int32_t)s->nroutes;
	return (int32_t)s->nroutes++;
}

/* --- what a row counts ---------------------------------------------------- */

void kpi_load_count(struct kpi_state *s, const struct load_rec *p, const struct load_span *sp,
                    int sign)
{
	if (!(p->flags & P_LIVE))
		return;
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.status = p->flags & P_CANCELLED ? "cancelled" : "live";
	l.tendered_at = p->tendered_at;
	l.departed_at = sp->departed_at;
	l.delivered_at = sp->delivered_at;
	l.distance_m = p->distance_m;
	l.empty_m = p->empty_m;
	l.revenue = p->revenue;
	l.est_cost = p->est_cost;
	core_kpis_add_load(&s->k, &l, sign);
	if (p->route >= 0 && !(p->flags & P_CANCELLED) && !isnan(p->revenue) &&
	    !isnan(p->est_cost)) {
		struct route *r = &s->routes[p->route];
		r->loads += sign;
		r->revenue += sign * p->revenue;
		r->cost += sign * p->est_cost;
	}
	if (sp->delivered_at == WB_NULL)
		return;
	if (p->pod_last_at != WB_NULL && p->pod_last_at >= sp->delivered_at) {
		s->pod_n += sign;
		s->pod_sum_s += sign * (double)(p->pod_last_at - sp->delivered_at);
	}
	s->inv_n += sign * p->inv_n;
	s->inv_sum_s += sign * p->inv_sum_s;
}

static void stop_count(struct kpi_state *s, const struct stop_rec *p, int sign)
{
	s->k.drops_judged += sign * !!(p->flags & P_JUDGED);
	s->k.drops_on_time += sign * !!(p->flags & P_ON_TIME);
	if (p->flags & P_DWELL) {
		s->k.dwell_n += sign;
		s->k.dwell_sum_s += sign * p->dwell_s;
	}
	if (p->flags & P_DETAINED) {
		s->k.detention_n += sign;
		s->k.detention_sum_s += sign * p->over_s;
	}
}

static void exc_count(struct kpi_state *s, const struct exc_rec *p, int sign)
{
	if (!(p->flags & P_LIVE) || p->kind < 0)
		return;
	struct wb_exception x;
	wb_entity_clear(WB_ENT_EXCEPTION, &x);
	x.kind = core_kind_name((enum core_kind)p->kind);
	x.origin = p->flags & P_AI ? "ai" : "other";
	x.status = p->flags & P_APPROVED   ? "approved"
	           : p->flags & P_REJECTED ? "rejected"
	                                   : "other";
	core_kpis_add_exception(&s->k, &x, "ai", sign);
}

/* --- reading rows ----------------------------------------------------------- */

static int fail_rowid(struct kpi_state *s, int64_t rowid)
{
	return wb_fail(s->err, WB_ENOMEM, "KPI state: no room for row %lld", (long long)rowid);
}

int kpi_row_vehicle(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w)
{
	uint8_t *p = kpi_dense_at(&s->veh, rowid);
	if (!p)
		return fail_rowid(s, rowid);
	s->nveh -= !!(*p & P_LIVE);
	*p = w ? P_SEEN | (w->deleted ? 0 : P_LIVE) : 0;
	s->nveh += !!(*p & P_LIVE);
	return 0;
}

int kpi_row_work_order(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w)
{
	struct wo_rec *p = kpi_dense_at(&s->wo, rowid);
	if (!p)
		return fail_rowid(s, rowid);
	*p = (struct wo_rec){WB_NULL, WB_NULL, 0};
	if (!w)
		return 0;
	p->flags = P_SEEN;
	const char *status = w->work_order.status;
	p->opened_at = w->work_order.opened_at;
	p->closed_at = w->work_order.closed_at;
	if (!w->deleted && p->opened_at != WB_NULL && !(status && !strcmp(status, "proposed")))
		p->flags |= P_COUNTED;
	return 0;
}

int kpi_row_stop(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w)
{
	struct stop_rec *p = kpi_dense_at(&s->stop, rowid);
	if (!p)
		return fail_rowid(s, rowid);
	stop_count(s, p, -1);
	*p = (struct stop_rec){0, 0, 0};
	if (!w)
		return 0;
	/* What core_kpis_add_stop makes of the row, taken apart so it can be
	 * retracted without keeping the row. */
	struct wb_stop stop;
	wb_entity_clear(WB_ENT_STOP, &stop);
	stop.meta.deleted = w->deleted;
	stop.kind = w->stop.kind;
	stop.window_start = w->stop.window_start;
	stop.window_end = w->stop.window_end;
	stop.arrived_at = w->stop.arrived_at;
	stop.departed_at = w->stop.departed_at;
	struct core_kpis one;
	core_kpis_init(&one, s->k.free_s);
	core_kpis_add_stop(&one, &stop, +1);
	p->flags = (uint8_t)(P_SEEN | (one.drops_judged ? P_JUDGED : 0) |
	                     (one.drops_on_time ? P_ON_TIME : 0) | (one.dwell_n ? P_DWELL : 0) |
	                     (one.detention_n ? P_DETAINED : 0));
	p->dwell_s = one.dwell_sum_s;
	p->over_s = one.detention_sum_s;
	stop_count(s, p, +1);
	return 0;
}

int kpi_row_exception(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w)
{
	struct exc_rec *p = kpi_dense_at(&s->exc, rowid);
	if (!p)
		return fail_rowid(s, rowid);
	exc_count(s, p, -1);
	*p = (struct exc_rec){WB_NULL, WB_NULL, -1, 0};
	if (!w)
		return 0;
	const char *kind = w->exception.kind, *origin = w->exception.origin,
	           *status = w->exception.status;
	p->flags = P_SEEN;
	if (!w->deleted)
		p->flags |= P_LIVE;
	if (origin && !strcmp(origin, "ai"))
		p->flags |= P_AI;
	if (status && !strcmp(status, "approved"))
		p->flags |= P_APPROVED;
	else if (status && !strcmp(status, "rejected"))
		p->flags |= P_REJECTED;
	p->kind = (int8_t)(kind ? core_kind_from_name(kind) : -1);
	p->detected_at = w->exception.detected_at;
	p->resolved_at = w->exception.resolved_at;
	exc_count(s, p, +1);
	return 0;
}

/* The lists of PODs and invoices hanging off a load, threaded through the
 * children's records (a load has a few; walking them is cheap). */
static int64_t *child_next(struct kpi_state *s, int kind, int64_t child)
{
	if (kind == 0) {
		struct pod_rec *p = kpi_dense_at(&s->pod, child);
		return p ? &p->next : NULL;
	}
	struct inv_rec *v = kpi_dense_at(&s->inv, child);
	return v ? &v->next : NULL;
}

static int64_t *child_load(struct kpi_state *s, int kind, int64_t child)
{
	if (kind == 0) {
		struct pod_rec *p = kpi_dense_at(&s->pod, child);
		return p ? &p->load : NULL;
	}
	struct inv_rec *v = kpi_dense_at(&s->inv, child);
	return v ? &v->load : NULL;
}

/* Moves child onto load's list (0: onto none). */
static int child_link(struct kpi_state *s, int kind, int64_t child, int64_t load)
{
	int64_t *from = child_load(s, kind, child), *next = child_next(s, kind, child);
	if (!from || !next)
		return fail_rowid(s, child);
	if (*from == load)
		return 0;
	if (*from) {
		struct load_rec *l = kpi_dense_at(&s->load, *from);
		int64_t *at = l ? (kind == 0 ? &l->first_pod : &l->first_inv) : NULL;
		while (at && *at && *at != child)
			at = child_next(s, kind, *at);
		if (at && *at == child)
			*at = *next;
	}
	*from = 0;
	*next = 0;
	if (load) {
		struct load_rec *l = kpi_dense_at(&s->load, load);
		if (!l)
			return fail_rowid(s, load);
		int64_t *head = kind == 0 ? &l->first_pod : &l->first_inv;
		*next = *head;
		*head = child;
		*from = load;
	}
	return 0;
}

/* A load's POD and invoice figures from its lists (nothing unless delivered). */
void kpi_load_kids(struct kpi_state *s, struct load_rec *l, const struct load_span *sp)
{
	l->pod_last_at = WB_NULL;
	l->inv_n = 0;
	l->inv_sum_s = 0;
	if (!(l->flags & P_LIVE) || sp->delivered_at == WB_NULL)
		return;
	for (int64_t c = l->first_pod; c;) {
		const struct pod_rec *p = kpi_dense_at(&s->pod, c);
		if ((p->flags & P_LIVE) && p->signed_at != WB_NULL && p->signed_at > 0 &&
		    (l->pod_last_at == WB_NULL || p->signed_at > l->pod_last_at))
			l->pod_last_at = p->signed_at;
		c = p->next;
	}
	for (int64_t c = l->first_inv; c;) {
		const struct inv_rec *v = kpi_dense_at(&s->inv, c);
		if ((v->flags & P_LIVE) && v->issued_at != WB_NULL &&
		    v->issued_at >= sp->delivered_at) {
			l->inv_n++;
			l->inv_sum_s += (double)(v->issued_at - sp->delivered_at);
		}
		c = v->next;
	}
}

/* A POD or invoice of load changed: the load's share counted again. A load
 * not yet seen is left to kpi_row_load, which comes after the children. */
static void load_recount(struct kpi_state *s, int64_t load)
{
	struct load_rec *l = load ? kpi_dense_at(&s->load, load) : NULL;
	struct load_span *sp = load ? kpi_dense_at(&s->span, load) : NULL;
	if (!l || !sp || !(l->flags & P_SEEN))
		return;
	kpi_load_count(s, l, sp, -1);
	kpi_load_kids(s, l, sp);
	kpi_load_count(s, l, sp, +1);
}

/* POD (col 2: its load's rowid, by the load's id) and invoice rows: onto their
 * load's list; a refresh counts the old and the new load again. */
static int row_child(struct kpi_state *s, int kind, int64_t rowid, const struct cache_kpi_row *w)
{
	int64_t *load = child_load(s, kind, rowid);
	if (!load)
		return fail_rowid(s, rowid);
	int64_t old = *load, now = !w          ? WB_NULL
	                           : kind == 0 ? w->pod.load_rowid
	                                       : w->invoice.load_rowid;
	if (now == WB_NULL)
		now = 0;
	uint8_t flags = w ? (uint8_t)(P_SEEN | (w->deleted ? 0 : P_LIVE)) : 0;
	if (kind == 0) {
		struct pod_rec *p = kpi_dense_at(&s->pod, rowid);
		p->flags = flags;
		p->signed_at = w ? w->pod.signed_at : WB_NULL;
	} else {
		struct inv_rec *v = kpi_dense_at(&s->inv, rowid);
		v->flags = flags;
		v->issued_at = w ? w->invoice.issued_at : WB_NULL;
		v->paid_at = w ? w->invoice.paid_at : WB_NULL;
		v->amount = w ? w->invoice.amount : NAN;
	}
	int rc = child_link(s, kind, rowid, now);
	if (rc || s->scanning)
		return rc; /* scanning: the loads count once every list is built */
	load_recount(s, old);
	if (now != old)
		load_recount(s, now);
	return 0;
}

int kpi_row_pod(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w)
{
	return row_child(s, 0, rowid, w);
}

int kpi_row_invoice(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w)
{
	return row_child(s, 1, rowid, w);
}

/* A load seen for the first time takes the PODs and invoices that name it and
 * arrived before it (their join found no load then), by pod_load and
 * invoice_load. */
struct adopt {
	struct kpi_state *s;
	int kind;
	int64_t load;
};

static int adopt_one(void *arg, int64_t child)
{
	struct adopt *a = arg;
	return child_link(a->s, a->kind, child, a->load);
}

static int load_adopt(struct kpi_state *s, int64_t rowid, const char *id)
{
	static const enum cache_kt kids[2] = {CACHE_KT_POD, CACHE_KT_INVOICE};
	for (int k = 0; k < 2; k++) {
		struct adopt a = {s, k, rowid};
		int rc = cache_kpi_child_rowids(s->c, &s->kids[k], kids[k], id, adopt_one, &a,
		                                &s->read, s->err);
		if (rc)
			return rc;
	}
	return 0;
}

int kpi_row_load(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w)
{
	struct load_rec *p = kpi_dense_at(&s->load, rowid);
	struct load_span *sp = kpi_dense_at(&s->span, rowid);
	if (!p || !sp)
		return fail_rowid(s, rowid);
	bool seen = p->flags & P_SEEN;
	if (!s->scanning && seen)
		kpi_load_count(s, p, sp, -1);
	int64_t first_pod = p->first_pod, first_inv = p->first_inv;
	*p = (struct load_rec){WB_NULL,   NAN,     NAN, NAN, NAN, first_pod,
	                       first_inv, WB_NULL, 0,   0,   -1,  0};
	*sp = (struct load_span){WB_NULL, WB_NULL};
	if (!w) {
		/* Gone for good (not a tombstone): its children belong to no load. */
		int rc = 0;
		while (rc == 0 && p->first_pod)
			rc = child_link(s, 0, p->first_pod, 0);
		while (rc == 0 && p->first_inv)
			rc = child_link(s, 1, p->first_inv, 0);
		return rc;
	}
	bool live = !w->deleted;
	const char *status = w->load.status, *origin = w->load.origin, *dest = w->load.destination;
	p->flags = (uint8_t)(P_SEEN | (live ? P_LIVE : 0) |
	                     (status && !strcmp(status, "cancelled") ? P_CANCELLED : 0));
	p->tendered_at = w->load.tendered_at;
	if (live) {
		sp->departed_at = w->load.departed_at;
		sp->delivered_at = w->load.delivered_at;
	}
	p->distance_m = w->load.distance_m;
	p->empty_m = w->load.empty_m;
	p->revenue = w->load.revenue;
	p->est_cost = w->load.est_cost;
	if (origin && dest && (p->route = route_find(s, origin, dest)) < 0)
		return wb_fail(s->err, WB_ENOMEM, "out of memory");
	if (s->scanning)
		return 0; /* the lists fill next; the sums come last */
	if (!seen) {
		int rc = load_adopt(s, rowid, w->load.id);
		if (rc)
			return rc;
	}
	kpi_load_kids(s, p, sp);
	kpi_load_count(s, p, sp, +1);
	return 0;
}
