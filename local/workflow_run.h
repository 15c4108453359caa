/* The automatic workflow pass (docs/design.md §6), run by the sync engine right after
 * the local detectors: every vehicle's readiness verdict, the maintenance rule (a
 * critical or major fault proposes a work order and holds the vehicle; the hold
 * clears once that work order is closed) and the invoice release rule. Each
 * decision is recorded as the system (user "waybill", role "system") through
 * cache_action_record, so its outbox row and its audit row commit together.
 *
 * The pass is two phases: workflow_plan reads (it may run on a connection of
 * its own, off the event loop) and keeps what it decided; workflow_apply writes
 * that in one short transaction, dropping what went stale meanwhile. */
#ifndef WAYBILL_WORKFLOW_RUN_H
#define WAYBILL_WORKFLOW_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "cache/cache.h"
#include "core/core_policy.h"
#include "local/detect_run.h"
#include "base/err.h"

struct settings;

/* Who the pass acts as, in the outbox and the audit trail. */
#define WORKFLOW_USER APP_SYSTEM_USER
#define WORKFLOW_ROLE "system"

struct workflow_run_stats {
	int64_t now;     /* the time the pass ran against */
	size_t vehicles; /* readiness verdicts computed */
	size_t ready, limited, held;
	size_t readiness_written; /* verdicts new or changed (unchanged ones are not rewritten) */
	size_t work_orders;       /* open_work_order proposals recorded */
	size_t holds_placed;      /* place_hold recorded with a proposal */
	size_t holds_cleared;     /* clear_hold recorded: the hold's work order closed */
	size_t invoices_released; /* release_invoice recorded */
	size_t invoices_held;     /* hold_invoice recorded */
	size_t unsupported;       /* actions left out: the owning source's kind cannot take them */
	size_t pending; /* decisions put off: an action on the subject waits in the outbox,
	                 * or (apply) the subject moved on since the plan */
	struct detect_run_stats exceptions; /* opened through detect_emit (invoice_dispute) */
};

/* The configured source that owns work orders: the maintenance source when
 * one is configured, else the one whose connector offers the work_order
 * stream ("telematics" for the waybill kind). NULL when cfg is NULL or none
 * does; the pass then sends a proposal to the vehicle's source. */
const char *workflow_run_work_order_source(const struct settings *cfg);

/* What the pass may do beyond judging readiness (which it always does). */
struct workflow_opts {
	const char *wo_source;      /* workflow_run_work_order_source(), or NULL */
	bool maintenance;           /* propose work orders, place and clear their holds */
	bool invoices;              /* release and hold invoices, open invoice disputes */
	const struct settings *cfg; /* an action the owning source's kind cannot take is
	                             * left out (app_source_can); NULL: none is */
};

/* The options a config asks for: its "automation" switches (both on by
 * default, and with no config). */
void workflow_run_opts(const struct settings *cfg, struct workflow_opts *out);

/* Runs the pass at `now` (0: detect_run_now): workflow_plan then workflow_apply
 * on c, so everything it decided commits together, or nothing does. pol NULL:
 * the default policy. opts NULL: everything on, proposals to the vehicle's
 * source. st (may be NULL) gets both phases' counts, pending their sum. Must
 * not be called inside a transaction. local/workflow_run.c. */
int workflow_run(struct cache *c, const struct core_policy *pol, const struct workflow_opts *opts,
                 int64_t now, struct workflow_run_stats *st, struct wb_err *err);

/* What one pass decided, from one consistent snapshot (local/workflow_plan.c). */
struct workflow_plan;

/* Read-only: runs every rule over one read transaction (BEGIN ... COMMIT, no
 * writes at all, so it may run on another connection, even a read-only one, on
 * another thread, while the main connection writes) and keeps every decision
 * that would change something: readiness verdicts that differ from the stored
 * ones, work-order proposals with their holds, hold clearances, invoice
 * releases and holds, invoice_dispute findings. Arguments as workflow_run.
 * Fills st (may be NULL) with what was judged: now, vehicles, ready, limited,
 * held, pending; the rest 0. *out is malloc'ed (NULL on failure); free it with
 * workflow_plan_free. Must not be called inside a transaction on c. */
int workflow_plan(struct cache *c, const struct core_policy *pol, const struct workflow_opts *opts,
                  int64_t now, struct workflow_plan **out, struct workflow_run_stats *st,
                  struct wb_err *err);

/* Writes a plan in one IMMEDIATE transaction on c (the connection that planned
 * or another, at once or later; a busy cache fails with WB_EBUSY and nothing
 * written, and the same plan may be applied again). Each decision is first
 * checked against what the cache holds now and dropped, counted in st->pending,
 * when its subject moved on since the plan's snapshot: an action recorded on it
 * since (its newest audit seq is not the one seen at plan time), or an action
 * on it now pending in the outbox where the rule required none; a verdict is
 * dropped when the stored one is no longer the one the plan compared with. So
 * nothing is decided twice or on a stale trail; the next pass judges it again.
 * A decision is all a vehicle's maintenance records (proposals with their hold,
 * a hold's clearing), or an invoice's record and dispute: written whole or not
 * at all. Fills st (may be NULL) with what was written: now, readiness_written,
 * work_orders, holds_placed, holds_cleared, invoices_released, invoices_held,
 * exceptions, pending. An empty plan takes no lock. Must not be called inside a
 * transaction. */
int workflow_apply(struct cache *c, const struct workflow_plan *p, struct workflow_run_stats *st,
                   struct wb_err *err);
void workflow_plan_free(struct workflow_plan *p);
/* Decisions kept, verdicts included (0: apply has nothing to write). */
size_t workflow_plan_size(const struct workflow_plan *p);

/* A whole pass's counts from what its plan judged and its apply wrote. */
void workflow_run_stats_merge(struct workflow_run_stats *out,
                              const struct workflow_run_stats *judged,
                              const struct workflow_run_stats *wrote);

/* One line for the sync engine's NOTICE: what the pass did. */
void workflow_run_summary(const struct workflow_run_stats *st, char *buf, size_t n);

#endif
