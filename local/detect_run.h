/* The local detectors run over the cache (local/detect_run.c): reads what the
 * core detectors need through cache/'s typed readers (cache/detect_read.h),
 * calls them, and keeps one local exception per subject and kind in the cache
 * (source and origin "local", id X-<kind>-<subject>), with an audit row for
 * each one newly raised. Run by the sync engine at the end of `sync --once`
 * and every 30 s in --follow. */
#ifndef WAYBILL_DETECT_RUN_H
#define WAYBILL_DETECT_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "core/core.h"
#include "core/core_detect.h"
#include "core/core_policy.h"
#include "base/err.h"

struct detect_run_stats {
	int64_t now;      /* the time the detectors ran against */
	size_t raised;    /* new exceptions (each audited) */
	size_t refreshed; /* existing ones whose content changed (ext_version + 1) */
	size_t unchanged; /* existing ones found again as they were */
	size_t reopened;  /* resolved ones whose condition came back (open again, audited) */
	size_t resolved;  /* open ones whose condition ended (resolved, audited) */
};

/* The newest server time the cache's data implies: the latest vehicle
 * last_seen_ms (else the latest position), in seconds; the wall clock only when
 * the cache holds no telemetry. The sources' clock (a simulator's in tests) may
 * be far from the wall clock, and the detectors must judge windows and dwell
 * against the clock the data was written with. */
int64_t detect_run_now(struct cache *c);

/* A run in two steps, so the reading can happen off the event loop:
 * detect_plan reads (one read transaction, no writes: it may run on another
 * connection to the same file, on another thread, while this one writes) and
 * keeps only what would change the cache: new, changed and reopened findings
 * and exceptions whose condition ended. detect_apply writes a plan in one
 * IMMEDIATE transaction on c, judging each finding again against what the
 * cache holds then, and resolving an ended one only if it is still at the
 * version the plan read (one a person decided meanwhile is left alone).
 * stats: detect_plan counts the findings it found unchanged; detect_apply what
 * it wrote. */
struct detect_plan;
int detect_plan(struct cache *c, const struct core_policy *pol, const struct core_detect_cfg *dcfg,
                int64_t now, struct detect_plan **out, struct detect_run_stats *stats,
                struct wb_err *err);
int detect_apply(struct cache *c, const struct detect_plan *p, struct detect_run_stats *stats,
                 struct wb_err *err);
size_t detect_plan_size(const struct detect_plan *p); /* findings and closings kept */
/* As detect_plan, but fuel purchases synced before fuel_since (the cache's
 * synced_at) are not judged again, unless a local exception rests on one: a
 * purchase's verdict does not change unless the purchase does, and finding its
 * vehicle's positions is the costly read. The sync engine passes the previous
 * applied plan's detect_plan_fuel_mark; 0 judges every purchase in the
 * look-back. */
int detect_plan_since(struct cache *c, const struct core_policy *pol,
                      const struct core_detect_cfg *dcfg, int64_t now, int64_t fuel_since,
                      struct detect_plan **out, struct detect_run_stats *stats, struct wb_err *err);
int64_t detect_plan_fuel_mark(const struct detect_plan *p); /* newest purchase synced_at it saw */
void detect_plan_free(struct detect_plan *p);

/* Runs every detector at `now` (0: detect_run_now): detect_plan then
 * detect_apply on c. What ends is closed: an open, acknowledged or escalated local exception of a
 * kind the detectors own (late_eta, missed_window, detention, fuel_anomaly,
 * idle_excess, critical_fault, unsafe_inspection, pod_mismatch,
 * charge_out_of_tolerance) that this run judged again and did not find is
 * resolved (resolved_at now, next ext_version, audited "resolve_exception" by
 * user "waybill", role "system", reason "condition ended"). Judged again means:
 * the detector reads every candidate of that kind (no look-back), or, for
 * missed_window and detention, this run examined the stop (within the
 * look-back), or for fuel_anomaly the purchase the exception rests on; a record
 * that is gone counts as examined. A late_eta whose load has no usable position
 * is not judged. Rows from a source, and ones a person approved or rejected,
 * are never touched. pol NULL: the default policy; dcfg NULL: the default
 * thresholds. st may be NULL. Must not be called inside a transaction. */
int detect_run(struct cache *c, const struct core_policy *pol, const struct core_detect_cfg *dcfg,
               int64_t now, struct detect_run_stats *st, struct wb_err *err);

/* Writes one finding o (from core_exception_init and a detector) as the local
 * exception X-<kind>-<subject>: new ones are written and audited (user
 * "waybill", role "system", "raise_exception"); a resolved one is open again
 * (the condition came back: next ext_version, detected_at now, resolved_at and
 * owner cleared, audited "reopen_exception"); other changed ones get the next
 * ext_version and keep status, owner and detected_at, unchanged ones are left
 * alone; a source's row with the same id is never overwritten. Counts into stats (may be NULL).
 * Runs in the caller's transaction. local/detect_emit.c. */
int detect_emit(struct cache *c, struct core_exception_out *o, const char *related_id, int64_t now,
                struct detect_run_stats *stats, struct wb_err *err);
/* Whether detect_emit would write o now (1) or leave the row as it is (0):
 * read-only, o unchanged. Negative on a read error. */
int detect_emit_needed(struct cache *c, struct core_exception_out *o, const char *related_id,
                       struct wb_err *err);

#endif
