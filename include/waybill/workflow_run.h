/* The automatic workflow pass (DESIGN.md §5), run by the sync engine right after
 * the local detectors: every vehicle's readiness verdict, the maintenance rule (a
 * critical or major fault proposes a work order and holds the vehicle; the hold
 * clears once that work order is closed) and the invoice release rule. Each
 * decision is recorded as the system (user "waybill", role "system") through
 * cache_action_record, so its outbox row and its audit row commit together. */
#ifndef WAYBILL_WORKFLOW_RUN_H
#define WAYBILL_WORKFLOW_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/cache.h"
#include "waybill/core_policy.h"
#include "waybill/detect_run.h"
#include "waybill/err.h"

struct config;

/* Who the pass acts as, in the outbox and the audit trail. */
#define WORKFLOW_USER "waybill"
#define WORKFLOW_ROLE "system"

struct workflow_run_stats {
	int64_t now;               /* the time the pass ran against */
	size_t vehicles;           /* readiness verdicts computed */
	size_t ready, limited, held;
	size_t readiness_written;  /* verdicts new or changed (unchanged ones are not rewritten) */
	size_t work_orders;        /* open_work_order proposals recorded */
	size_t holds_placed;       /* place_hold recorded with a proposal */
	size_t holds_cleared;      /* clear_hold recorded: the hold's work order closed */
	size_t invoices_released;  /* release_invoice recorded */
	size_t invoices_held;      /* hold_invoice recorded */
	size_t pending;            /* decisions put off: an action on the subject waits in the outbox */
	struct detect_run_stats exceptions; /* opened through detect_emit (invoice_dispute) */
};

/* The configured source that owns work orders: the one whose connector offers
 * the work_order stream ("telematics" for the waybill kind). NULL when cfg is
 * NULL or none does; the pass then sends a proposal to the vehicle's source. */
const char *workflow_run_work_order_source(const struct config *cfg);

/* What the pass may do beyond judging readiness (which it always does). */
struct workflow_opts {
	const char *wo_source; /* workflow_run_work_order_source(), or NULL */
	bool maintenance;      /* propose work orders, place and clear their holds */
	bool invoices;         /* release and hold invoices, open invoice disputes */
};

/* The options a config asks for: its "automation" switches (both on by
 * default, and with no config). */
void workflow_run_opts(const struct config *cfg, struct workflow_opts *out);

/* Runs the pass at `now` (0: detect_run_now) in one transaction: everything it
 * decided commits together, or nothing does. pol NULL: the default policy.
 * opts NULL: everything on, proposals to the vehicle's source. st may be NULL.
 * Must not be called inside a transaction. net/workflow_run.c. */
int workflow_run(struct cache *c, const struct core_policy *pol, const struct workflow_opts *opts,
		 int64_t now,
		 struct workflow_run_stats *st, struct wb_err *err);

/* One line for the sync engine's NOTICE: what the pass did. */
void workflow_run_summary(const struct workflow_run_stats *st, char *buf, size_t n);

#endif
