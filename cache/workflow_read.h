/* What the workflow pass (local/workflow_*.c) reads, as typed readers over one
 * read transaction: every live vehicle with the rows its readiness is judged
 * on (streamed by vehicle id through the indexes and merged, one pass over each
 * table), the open invoices of delivered loads, the work order a hold waits on,
 * and apply's check of a stored readiness verdict. */
#ifndef WAYBILL_CACHE_WORKFLOW_READ_H
#define WAYBILL_CACHE_WORKFLOW_READ_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"

/* At most this many serious faults and work orders of a vehicle are handed
 * out (a real unit has a handful); the rest are counted in extra. */
#define CACHE_WF_MAX_ROWS 32

/* One read of the pass: opens a read transaction (BEGIN, deferred: the
 * snapshot starts at the first read and holds till close, whatever other
 * connections write meanwhile; never a write lock). WB_EINVALID inside a
 * transaction on c. *out is malloc'ed; close it also after a failure. */
struct cache_wf_read;
int cache_wf_read_open(struct cache *c, struct cache_wf_read **out, struct wb_err *err);
/* Ends the read (commit: nothing was written; rolled back when ok is 0) and
 * frees r. Returns 0, or the failure to end it when ok. */
int cache_wf_read_close(struct cache_wf_read *r, int ok, struct wb_err *err);

/* A live vehicle and what its readiness is judged on. All text lives until the
 * next cache_wf_vehicle_next on the same read. */
struct cache_wf_vehicle {
	struct wb_vehicle vehicle; /* id, unit, status, odometer, PM due, hold, source */
	/* Its active critical and major faults, by id. */
	const struct wb_fault *faults;
	size_t nfaults;
	/* Its open work orders, and closed ones of faults still active (a repair
	 * the telematics has not cleared yet), by id. */
	const struct wb_work_order *work_orders;
	size_t nwork_orders;
	size_t extra; /* faults and work orders beyond CACHE_WF_MAX_ROWS, not handed out */
	/* Its latest inspection that carries a time; NULL when none. */
	const struct wb_inspection *inspection;
	/* Its next planned (planned, staged, released) run: the planned drive
	 * (WB_NULL none) and the live driver's clocks (NULL none). */
	int64_t planned_drive_s;
	const struct wb_driver *driver;
	/* The stored readiness verdict: stored 0 when there is none. */
	int stored;
	const char *state, *reasons;
};
/* The next live vehicle in id order (strcmp order): 1 *v filled, 0 no more,
 * negative on a read error. Text is copied bounded, cut at a whole UTF-8
 * character. */
int cache_wf_vehicle_next(struct cache_wf_read *r, struct cache_wf_vehicle *v, struct wb_err *err);

/* The newest live work order (by opened_at, then id, descending) of vehicle
 * vid for fault_id, or whose id is proposal (NULL: none): 1 found (*out filled,
 * its text living until the next call), 0 none, negative on error. One
 * statement for the whole read. */
int cache_wf_hold_work_order(struct cache_wf_read *r, const char *vid, const char *fault_id,
                             const char *proposal, struct wb_work_order *out, struct wb_err *err);

/* The next invoice in draft, held or disputed of a live load delivered (a
 * delivered_at, or status delivered, pod_received or invoiced), its load by
 * load_id or by order (CACHE_BILLED_LOAD_SQL), in invoice id
 * order: 1 with *invoice_id and *load_id (living until the next call), 0 no
 * more, negative on error. */
int cache_wf_invoice_next(struct cache_wf_read *r, const char **invoice_id, const char **load_id,
                          struct wb_err *err);

/* A readiness verdict as a candidate for the stored one; state NULL stands for
 * no stored row. */
struct cache_verdict {
	const char *state, *reasons;
};
/* Which of the n candidates vehicle_id's stored verdict is: *match the first
 * whose state and reasons equal the stored row's (NULL equals NULL), n when
 * none does. A statement kept from call to call. */
int cache_readiness_match(struct cache *c, const char *vehicle_id, const struct cache_verdict *cand,
                          size_t n, size_t *match, struct wb_err *err);

#endif
