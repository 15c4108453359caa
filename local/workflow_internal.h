/* Shared by the workflow pass's files (local/workflow_run.c, workflow_plan.c,
 * workflow_maint.c, workflow_invoice.c); not a public header.
 *
 * The rules run in the plan phase, over one read transaction (w->rd, the
 * readers of cache/workflow_read.h; local/ holds no SQL): where they would
 * write, they add to w->plan instead. A decision is what must be written
 * together (all of a vehicle's maintenance records, or an invoice's), with a
 * key per subject it touches: the subject's newest audit seq at plan time, and
 * whether the rule saw no action pending on it. workflow_apply writes a
 * decision only while every key still holds. */
#ifndef WAYBILL_WORKFLOW_INTERNAL_H
#define WAYBILL_WORKFLOW_INTERNAL_H

#include <jansson.h>

#include "cache/workflow_read.h"
#include "core/core.h"
#include "base/text.h"
#include "local/workflow_run.h"

/* One run of the pass. */
struct wf {
	struct cache *c;
	struct cache_wf_read *rd; /* the plan's read transaction and its readers */
	const struct core_policy *pol;
	const char *wo_source;      /* the source owning work orders, or NULL: the vehicle's */
	bool maintenance;           /* may propose work orders and place/clear holds */
	bool invoices;              /* may release and hold invoices */
	const struct settings *cfg; /* sources' kinds, for what they cannot take; NULL */
	int64_t now;
	struct workflow_run_stats st; /* what was judged, and put off while pending */
	struct wb_err *err;
	struct workflow_plan *plan; /* the decisions kept */
};

#define WF_ID 136 /* ids are at most 128 bytes (connectors refuse longer ones) */

/* ---- building the plan (workflow_plan.c) ---- */

/* Which count of workflow_run_stats a record adds to once written. */
enum wf_count { WF_N_WORK_ORDER, WF_N_HOLD_PLACED, WF_N_HOLD_CLEARED, WF_N_RELEASED, WF_N_HELD };

struct workflow_plan *wf_plan_new(int64_t now);
/* A verdict that differs from the stored row: seen 0 when there was none,
 * else the stored state and reasons, which apply requires to be unchanged. */
int wf_plan_readiness(struct wf *w, const char *vehicle_id, const char *state, const char *reasons,
                      int seen, const char *seen_state, const char *seen_reasons);
/* Starts the decision the next keys, records and findings belong to. */
void wf_decision_begin(struct wf *w);
/* Keys the decision on subject (once per subject): its newest audit seq now;
 * pending_checked 1 when the rule found no action pending on it, which apply
 * then checks again. */
int wf_key(struct wf *w, const char *subject, int pending_checked);
/* An action to record as the system at w->now (cache_action_record: outbox and
 * audit together), keyed on its subject. payload and after are stolen (NULL:
 * {}); reason may be NULL. */
int wf_record(struct wf *w, enum wf_count n, const char *source, const char *action,
              const char *subject, json_t *payload, const char *before, json_t *after,
              const char *reason);
/* A finding for detect_emit, copied (rebound when applied). */
int wf_finding(struct wf *w, const struct core_exception_out *o, const char *related_id);
/* Ends the decision: kept when it records or emits something, else dropped. */
int wf_decision_end(struct wf *w);

/* ---- reading (workflow_run.c) ---- */

/* 1 when an action on subject waits in the outbox (counted in st.pending), 0
 * when none, negative on error. */
int wf_pending(struct wf *w, const char *subject);
/* The newest `action` on subject by user (NULL: anyone): 1 found (seq, after
 * filled when given), 0 none, negative on error. */
int wf_last(struct wf *w, const char *subject, const char *action, const char *user, int64_t *seq,
            char *after, size_t len);

/* The maintenance rule for one vehicle (workflow_maint.c): proposes a work
 * order and a hold for each serious fault not proposed before, clears a hold of
 * the pass's own whose work order closed, and fills *hold (returning 1) with the
 * hold the vehicle is under for readiness (app_vehicle_hold decides which), 0
 * when none, negative on error. */
int wf_maintenance(struct wf *w, const struct wb_vehicle *v, const struct wb_fault *faults,
                   size_t nfaults, const struct wb_work_order *wos, size_t nwos,
                   struct app_hold *hold);
/* The invoice release rule over every open invoice of a delivered load
 * (workflow_invoice.c). */
int wf_invoices(struct wf *w);

#endif
