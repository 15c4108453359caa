/* Private to the detectors (local/detect_run.c reads and judges, local/detect_close.c
 * finds what ended, local/detect_plan.c keeps and applies the plan). */
#ifndef WAYBILL_DETECT_INTERNAL_H
#define WAYBILL_DETECT_INTERNAL_H

#include "cache/detect_read.h"
#include "core/core_detect.h"
#include "local/detect_run.h"

/* A set of strings (or pairs): appended while the run reads, sorted once,
 * then searched. local/detect_close.c. */
struct idset {
	char **v;
	size_t n, cap;
	int sorted;
};
int idset_add(struct idset *s, const char *a, const char *b);
int idset_has(struct idset *s, const char *a, const char *b);
void idset_free(struct idset *s);

/* One detector run (local/detect_run.c). */
struct detect_ctx {
	struct cache *c;
	const struct core_policy *pol;
	struct core_detect_cfg cfg;
	int64_t now;
	struct detect_run_stats st;
	struct wb_err *err;
	/* tracks and vehicle rows, sorted by id */
	struct core_track *tracks;
	struct wb_vehicle *veh;
	char **vstr;
	size_t nveh;
	/* For closing (detect_close.c): ids of the exceptions found this run; (kind,
	 * record) pairs a look-back-bound detector examined; loads whose late_eta
	 * could not be judged (no usable position or window). */
	struct idset found, examined, unsure;
	struct detect_plan *plan; /* what the run would change */
	int64_t fuel_since;       /* purchases synced before this were judged already */
};

/* Puts each open local exception whose condition ended into r->plan
 * (local/detect_close.c). */
int detect_close_ended(struct detect_ctx *r);

struct detect_plan *detect_plan_new(int64_t now);
/* A finding that would change the cache (detect_emit_needed said so), copied
 * with its related id. WB_ENOMEM or 0. */
int detect_plan_add_finding(struct detect_plan *p, const struct core_exception_out *o,
                            const char *related_id);
/* A local exception whose condition ended, at the version the run read. */
int detect_plan_add_ended(struct detect_plan *p, const char *id, int64_t version);
/* The newest fuel purchase sync time the run's snapshot held. */
void detect_plan_set_fuel_mark(struct detect_plan *p, int64_t synced_at);

#endif
