/* Private to local/kpi_state.c, local/kpi_rows.c and local/kpi_figures.c: the
 * incremental KPI state's records (what each row counted, in dense arrays
 * indexed by rowid) and the functions that read a changed row into them. */
#ifndef WAYBILL_KPI_STATE_INTERNAL_H
#define WAYBILL_KPI_STATE_INTERNAL_H

#include <stdbool.h>

#include "cache/kpi_hook.h"
#include "kpi_internal.h"

/* A rowid past this is not a dense table any more: refuse it (the local pass
 * then falls back to a full recompute) rather than allocate for it. */
#define KPI_ROWID_MAX (INT64_C(1) << 25)

/* The tables the state counts (cache/kpi_read.h reads them). */
enum kt {
	KT_LOAD = CACHE_KT_LOAD,
	KT_STOP = CACHE_KT_STOP,
	KT_VEHICLE = CACHE_KT_VEHICLE,
	KT_WORK_ORDER = CACHE_KT_WORK_ORDER,
	KT_POD = CACHE_KT_POD,
	KT_INVOICE = CACHE_KT_INVOICE,
	KT_EXCEPTION = CACHE_KT_EXCEPTION,
	KT__N = CACHE_KT__N
};

enum {
	P_SEEN = 1,      /* the record holds what the row counted */
	P_LIVE = 2,      /* not a tombstone */
	P_CANCELLED = 4, /* load */
	P_JUDGED = 4,    /* stop: a drop with a window, arrived */
	P_ON_TIME = 8,
	P_DWELL = 16,
	P_DETAINED = 32,
	P_COUNTED = 4, /* work order: counts as downtime */
	P_AI = 4,      /* exception */
	P_APPROVED = 8,
	P_REJECTED = 16,
};

struct load_rec {
	int64_t tendered_at;
	double distance_m, empty_m, revenue, est_cost;
	int64_t first_pod, first_inv; /* its lists (pod_rec.next, inv_rec.next); 0 end */
	int64_t pod_last_at;          /* latest signed_at (> 0) of its live PODs; WB_NULL none */
	double inv_sum_s;             /* its live invoices issued at or after delivery */
	int32_t inv_n;
	int32_t route; /* index into routes; -1 none */
	uint8_t flags;
};
/* Apart from load_rec: utilization walks only these. WB_NULL unless live. */
struct load_span {
	int64_t departed_at, delivered_at;
};
struct stop_rec {
	double dwell_s, over_s;
	uint8_t flags;
};
struct wo_rec {
	int64_t opened_at, closed_at;
	uint8_t flags;
};
struct pod_rec {
	int64_t load; /* rowid of the load whose list holds it; 0 none */
	int64_t next; /* next POD of that load; 0 end */
	int64_t signed_at;
	uint8_t flags;
};
struct inv_rec {
	int64_t load, next; /* as pod_rec */
	int64_t issued_at, paid_at;
	double amount;
	uint8_t flags;
};
struct exc_rec {
	int64_t detected_at, resolved_at;
	int8_t kind; /* enum core_kind, -1 unknown */
	uint8_t flags;
};

struct dense {
	char *v;
	size_t cap, size;
};

struct rowids {
	int64_t *v;
	size_t n, cap;
};

struct route {
	char *origin, *destination;
	int64_t loads;
	double revenue, cost;
};

struct kpi_state {
	struct kpi_state *next; /* the registry of connections' states */
	struct cache *c;
	struct cache_row_watch watch; /* the connection's update hook hears writes here */
	struct core_kpis k;
	int64_t pod_n, inv_n, nveh;
	double pod_sum_s, inv_sum_s;
	struct dense load, span, stop, veh, wo, pod, inv, exc;
	struct route *routes;
	size_t nroutes, caproutes;
	int32_t *rhash; /* open addressing over routes, -1 empty */
	size_t rhcap;
	struct rowids dirty[KT__N];
	size_t ndirty;
	size_t rows;   /* rows read by the last full scan: bounds a batch */
	bool scanning; /* the full scan: records only, sums after */
	bool overflow; /* the next refresh is a full scan */
	int64_t data_version;
	size_t read;               /* rows read by this refresh */
	struct cache_rows kids[2]; /* a new load's PODs, invoices: prepared for one refresh */
	struct wb_err *err;
};

/* Each row function gets the row (w) or, for a rowid that no longer exists,
 * w NULL; it retracts what the row counted and counts it again (during the
 * full scan, s->scanning: records only). local/kpi_rows.c. */
typedef int (*row_fn)(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);
int kpi_row_load(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);
int kpi_row_stop(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);
int kpi_row_vehicle(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);
int kpi_row_work_order(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);
int kpi_row_pod(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);
int kpi_row_invoice(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);
int kpi_row_exception(struct kpi_state *s, int64_t rowid, const struct cache_kpi_row *w);

/* The record of rowid in d, grown (zeroed) as needed; NULL past KPI_ROWID_MAX
 * or on no memory. */
void *kpi_dense_at(struct dense *d, int64_t rowid);
void kpi_dense_free(struct dense *d);
int kpi_rowids_push(struct rowids *r, int64_t id);
void kpi_rowids_sort_unique(struct rowids *r);
/* A load's share of the sums, added (sign +1) or retracted (-1). */
void kpi_load_count(struct kpi_state *s, const struct load_rec *p, const struct load_span *sp,
                    int sign);
/* A load's POD and invoice figures from its lists (nothing unless delivered). */
void kpi_load_kids(struct kpi_state *s, struct load_rec *l, const struct load_span *sp);

#endif
