/* The local pass the sync engine runs over what the cache holds (docs/design.md §7):
 * the detectors (local/detect_run.c), the workflow pass (local/workflow_run.c) and
 * the KPI samples (local/kpi_run.c). Each of the first two reads a snapshot and
 * plans, then applies only what changes. At the end of `sync --once` all of it
 * runs in turn on the engine's connection. In --follow (and in the console) the
 * reading, which grows with the cache, runs on libuv's thread pool over a
 * read-only connection of its own, so the event loop never waits for it; the
 * loop then writes the plans (work that grows with what changed) and samples
 * the KPIs, whose state follows this connection's writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_internal.h"
#include "local/detect_run.h"
#include "local/kpi_run.h"
#include "local/workflow_run.h"

struct sync_local_job {
	uv_work_t req;
	struct sync *sy;
	struct core_policy pol;
	struct core_detect_cfg dcfg;
	struct workflow_opts wopt;
	struct detect_plan *dplan;
	struct workflow_plan *wplan;
	struct detect_run_stats dst;   /* what the plan found unchanged */
	struct workflow_run_stats wst; /* what the plan judged */
	int64_t fuel_since;            /* purchases synced before were judged by an applied pass */
	struct wb_err err;
	const char *failed; /* "detectors" or "workflow" when rc != 0 */
	int rc;
	uint64_t read_ns;
};

static uint64_t ms(uint64_t ns)
{
	return ns / 1000000u;
}

/* Reads and plans on c: the thread pool's half in --follow. */
static void plan(struct sync_local_job *j, struct cache *c)
{
	uint64_t t0 = uv_hrtime();
	j->failed = "detectors";
	j->rc = detect_plan_since(c, &j->pol, &j->dcfg, 0, j->fuel_since, &j->dplan, &j->dst,
	                          &j->err);
	if (j->rc == 0) {
		j->failed = "workflow";
		j->rc = workflow_plan(c, &j->pol, &j->wopt, 0, &j->wplan, &j->wst, &j->err);
	}
	j->read_ns = uv_hrtime() - t0;
}

/* An ERROR line for a part of the pass that failed; --once then exits 1. */
static void local_fail(struct sync *sy, const char *part, const char *why)
{
	sy->local_failed++;
	sync_emit(sy, SYNC_EV_ERROR, "local", part, why, 0, 0);
}

/* Writes the plans and samples the KPIs on the engine's connection; one
 * NOTICE line each (--follow: only for a pass that changed something). */
static void apply(struct sync *sy, struct sync_local_job *j)
{
	struct wb_err err = {0};
	char line[400];
	if (j->rc != 0) {
		local_fail(sy, j->failed, j->err.msg);
		return;
	}
	uint64_t t0 = uv_hrtime();
	struct detect_run_stats dst;
	if (detect_apply(sy->cache, j->dplan, &dst, &err) != 0) {
		local_fail(sy, "detectors", err.msg);
		return;
	}
	dst.unchanged += j->dst.unchanged;
	/* The next pass judges only purchases synced since this snapshot (a second
	 * of slack for rows written in the same second). */
	int64_t mark = detect_plan_fuel_mark(j->dplan);
	sy->fuel_since = mark > 0 ? mark - 1 : 0;
	uint64_t t1 = uv_hrtime();
	struct workflow_run_stats wrote, wst;
	if (workflow_apply(sy->cache, j->wplan, &wrote, &err) != 0) {
		local_fail(sy, "workflow", err.msg);
		return;
	}
	uint64_t t2 = uv_hrtime();
	workflow_run_stats_merge(&wst, &j->wst, &wrote);
	if (sy->o.once || dst.raised || dst.refreshed || dst.resolved || dst.reopened) {
		snprintf(line, sizeof(line),
		         "%zu raised, %zu refreshed, %zu resolved, %zu reopened, %zu unchanged"
		         " (read %llu ms, written %llu ms)",
		         dst.raised, dst.refreshed, dst.resolved, dst.reopened, dst.unchanged,
		         (unsigned long long)ms(j->read_ns), (unsigned long long)ms(t1 - t0));
		sync_emit(sy, SYNC_EV_NOTICE, "local", "detectors", line, 0, 0);
	}
	/* KPIs over what the passes left, by the detectors' thresholds (the
	 * detention KPI counts from their free time): the state follows the rows changed
	 * since the last sample; one sample per KPI per 5 minutes of data time. */
	struct kpi_run_stats kst;
	if (kpi_run_sample(sy->cache, 0, &j->dcfg, &kst, &err) != 0) {
		local_fail(sy, "kpis", err.msg);
	} else if (sy->o.once) {
		kpi_run_summary(&kst, line, sizeof(line));
		sync_emit(sy, SYNC_EV_NOTICE, "local", "kpis", line, 0, 0);
	}
	if (!sy->o.once && !wst.readiness_written && !wst.work_orders && !wst.holds_placed &&
	    !wst.holds_cleared && !wst.invoices_released && !wst.invoices_held &&
	    !wst.exceptions.raised && !wst.exceptions.refreshed)
		return;
	workflow_run_summary(&wst, line, sizeof(line));
	size_t len = strlen(line);
	snprintf(line + len, sizeof(line) - len, " (written %llu ms)",
	         (unsigned long long)ms(t2 - t1));
	sync_emit(sy, SYNC_EV_NOTICE, "local", "workflow", line, 0, 0);
}

static void job_free(struct sync_local_job *j)
{
	detect_plan_free(j->dplan);
	workflow_plan_free(j->wplan);
	free(j);
}

/* The policy, thresholds and switches from the settings; NULL after an ERROR. */
static struct sync_local_job *job_new(struct sync *sy)
{
	struct sync_local_job *j = calloc(1, sizeof(*j));
	if (!j) {
		local_fail(sy, "detectors", "out of memory");
		return NULL;
	}
	j->sy = sy;
	j->req.data = j;
	/* Copies: the job reads them on the thread pool while the loop runs on. */
	j->pol = sy->cfg->policy_rules;
	j->dcfg = sy->cfg->detect;
	workflow_run_opts(sy->cfg, &j->wopt);
	j->fuel_since = sy->fuel_since;
	return j;
}

void sync_local_once(struct sync *sy)
{
	struct sync_local_job *j = job_new(sy);
	if (!j)
		return;
	plan(j, sy->cache);
	apply(sy, j);
	job_free(j);
}

static void on_work(uv_work_t *req)
{
	struct sync_local_job *j = req->data;
	struct sync *sy = j->sy;
	if (!sy->rconn) {
		struct cache_opts ro = {.readonly = true};
		sy->rconn = cache_open(cache_path(sy->cache), &ro, &j->err);
		if (!sy->rconn) {
			j->failed = "detectors";
			j->rc = j->err.code ? j->err.code : WB_EIO;
			return;
		}
	}
	plan(j, sy->rconn);
}

static void on_work_done(uv_work_t *req, int status)
{
	struct sync_local_job *j = req->data;
	struct sync *sy = j->sy;
	sy->local = NULL;
	if (status == 0 && !sy->stopping)
		apply(sy, j);
	job_free(j);
}

void sync_local_start(struct sync *sy)
{
	if (sy->local || sy->stopping)
		return; /* the last pass is still reading: this one is skipped */
	struct sync_local_job *j = job_new(sy);
	if (!j)
		return;
	int rc = uv_queue_work(sy->loop, &j->req, on_work, on_work_done);
	if (rc != 0) {
		local_fail(sy, "detectors", uv_strerror(rc));
		job_free(j);
		return;
	}
	sy->local = j;
}

void sync_local_stop(struct sync *sy)
{
	/* A pass not yet started is dropped; one reading finishes on its own and
	 * writes nothing (on_work_done sees stopping). */
	if (sy->local)
		uv_cancel((uv_req_t *)&sy->local->req);
}

void sync_local_free(struct sync *sy)
{
	cache_close(sy->rconn);
	sy->rconn = NULL;
}
