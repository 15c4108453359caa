/* Private to the detectors (net/detect_run.c, net/detect_plan.c): how a run
 * fills the plan that detect_apply later writes. */
#ifndef WAYBILL_DETECT_INTERNAL_H
#define WAYBILL_DETECT_INTERNAL_H

#include "waybill/detect_run.h"

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
