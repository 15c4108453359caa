/* The automatic workflow pass (local/workflow_run.h): its plan phase,
 * the readiness verdict of every live vehicle, with the maintenance rule applied
 * on the way, then the invoice release rule (workflow_invoice.c), all over one
 * read transaction that writes nothing; what they decide goes into a plan that
 * workflow_apply (workflow_plan.c) writes.
 *
 * Readiness reads no row by key: the reader (cache/workflow_read.h) streams
 * the vehicles and their serious faults, latest inspections, work orders, next
 * planned run and stored verdict, each ordered by vehicle id through an index,
 * and merges them like sorted files. So the cost is one pass over each table,
 * not six look-ups per vehicle (bench/workflow.c times it on 10,000 vehicles). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings/settings.h"
#include "connectors/connector.h"
#include "workflow_internal.h"

/* ---- shared helpers --------------------------------------------------------- */

int wf_pending(struct wf *w, const char *subject)
{
	char action[48];
	struct wb_err e = {0};
	int rc = cache_action_pending(w->c, subject, action, sizeof(action), &e);
	if (rc == 0) {
		w->st.pending++;
		return 1;
	}
	if (rc == WB_ENOTFOUND)
		return 0;
	*w->err = e;
	return rc;
}

int wf_last(struct wf *w, const char *subject, const char *action, const char *user, int64_t *seq,
            char *after, size_t len)
{
	struct wb_err e = {0};
	int rc = cache_action_last(w->c, subject, action, user, seq, after, len, &e);
	if (rc == 0)
		return 1;
	if (rc == WB_ENOTFOUND)
		return 0;
	*w->err = e;
	return rc;
}

const char *workflow_run_work_order_source(const struct settings *cfg)
{
	if (!cfg)
		return NULL;
	for (int i = 0; i < CONFIG_NROLES; i++) {
		const struct config_source *s = &cfg->sources[i];
		size_t n = 0;
		const struct connector_stream *cs =
		        s->ops && s->name ? s->ops->streams(s->name, &n) : NULL;
		/* One owner: a maintenance source takes the work orders away
		 * from a telematics kind that serves them too. */
		for (size_t j = 0; cs && j < n; j++)
			if (cs[j].entity == WB_ENT_WORK_ORDER &&
			    settings_reads_stream(cfg, s, &cs[j]))
				return s->name;
	}
	return NULL;
}

/* ---- readiness --------------------------------------------------------------- */

/* The reasons' messages joined by "; ", NULL when there are none. */
static const char *join_reasons(const struct core_reasons *why, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < why->n && len < n; i++) {
		int k = snprintf(buf + len, n - len, "%s%s", i ? "; " : "", why->r[i].msg);
		len += k > 0 ? (size_t)k : 0;
	}
	if (why->dropped && len < n)
		snprintf(buf + len, n - len, "%s(%zu more not shown)", len ? "; " : "",
		         why->dropped);
	return buf[0] ? buf : NULL;
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Keeps the verdict in the plan when it differs from the stored one. */
static int keep_verdict(struct wf *w, const struct cache_wf_vehicle *r, const char *state,
                        const char *reasons)
{
	if (r->stored && same_text(r->state, state) && same_text(r->reasons, reasons))
		return 0;
	return wf_plan_readiness(w, r->vehicle.meta.id, state, reasons, r->stored, r->state,
	                         r->reasons);
}

static int vehicle_pass(struct wf *w, const struct cache_wf_vehicle *r)
{
	const struct wb_vehicle *v = &r->vehicle;
	struct app_hold hold;
	int held =
	        wf_maintenance(w, v, r->faults, r->nfaults, r->work_orders, r->nwork_orders, &hold);
	if (held < 0)
		return held;
	/* The judging is app/'s, the same the console's release gate runs. */
	struct app_vehicle_facts f = {
	        .vehicle = v,
	        .faults = r->faults,
	        .nfaults = r->nfaults,
	        .inspections = r->inspection,
	        .ninspections = r->inspection ? 1 : 0,
	        .work_orders = r->work_orders,
	        .nwork_orders = r->nwork_orders,
	        .hold = held ? &hold.h : NULL,
	        .driver = r->driver,
	        .planned_drive_s = r->planned_drive_s,
	        .extra = r->extra,
	};
	struct core_readiness out;
	app_vehicle_readiness(&f, &out);
	w->st.vehicles++;
	w->st.ready += out.state == CORE_READY;
	w->st.limited += out.state == CORE_LIMITED;
	w->st.held += out.state == CORE_HELD;
	char reasons[CORE_MAX_REASONS * (CORE_REASON_MSG + 2) + 48];
	return keep_verdict(w, r, core_ready_state_name(out.state),
	                    join_reasons(&out.why, reasons, sizeof(reasons)));
}

/* Every live vehicle, with its rows merged by the reader (cache/workflow_read.h). */
static int readiness_pass(struct wf *w)
{
	struct cache_wf_vehicle r;
	int rc;
	while ((rc = cache_wf_vehicle_next(w->rd, &r, w->err)) == 1)
		if ((rc = vehicle_pass(w, &r)))
			return rc;
	return rc;
}

/* ---- the pass --------------------------------------------------------------- */

void workflow_run_opts(const struct settings *cfg, struct workflow_opts *out)
{
	out->wo_source = workflow_run_work_order_source(cfg);
	out->maintenance = cfg ? cfg->auto_maintenance : true;
	out->invoices = cfg ? cfg->auto_invoices : true;
	out->cfg = cfg;
}

int workflow_plan(struct cache *c, const struct core_policy *pol, const struct workflow_opts *opts,
                  int64_t now, struct workflow_plan **out, struct workflow_run_stats *stats,
                  struct wb_err *err)
{
	struct wb_err local = {0};
	struct workflow_opts all = {.maintenance = true, .invoices = true};
	if (!opts)
		opts = &all;
	struct wf w = {.c = c,
	               .pol = pol ? pol : core_policy_default(),
	               .wo_source = opts->wo_source,
	               .maintenance = opts->maintenance,
	               .invoices = opts->invoices,
	               .cfg = opts->cfg,
	               .err = err ? err : &local};
	if (!c || !out)
		return wb_fail(w.err, WB_EINVALID,
		               "workflow_plan: a cache and a place for the plan must be given");
	*out = NULL;
	/* One read transaction, no write at all: every rule sees the same data. */
	int rc = cache_wf_read_open(c, &w.rd, w.err);
	if (rc)
		return rc;
	w.now = now > 0 ? now : detect_run_now(c);
	w.st.now = w.st.exceptions.now = w.now;
	if (!(w.plan = wf_plan_new(w.now)))
		rc = wb_fail(w.err, WB_ENOMEM, "out of memory");
	else if ((rc = readiness_pass(&w)) == 0 && w.invoices)
		rc = wf_invoices(&w);
	int end = cache_wf_read_close(w.rd, rc == 0, w.err);
	if (rc == 0)
		rc = end;
	if (rc) {
		workflow_plan_free(w.plan);
		return rc;
	}
	*out = w.plan;
	if (stats)
		*stats = w.st;
	return 0;
}

int workflow_run(struct cache *c, const struct core_policy *pol, const struct workflow_opts *opts,
                 int64_t now, struct workflow_run_stats *stats, struct wb_err *err)
{
	struct workflow_plan *p = NULL;
	struct workflow_run_stats judged, wrote;
	int rc = workflow_plan(c, pol, opts, now, &p, &judged, err);
	if (rc == 0)
		rc = workflow_apply(c, p, &wrote, err);
	workflow_plan_free(p);
	if (rc == 0 && stats)
		workflow_run_stats_merge(stats, &judged, &wrote);
	return rc;
}

void workflow_run_stats_merge(struct workflow_run_stats *out,
                              const struct workflow_run_stats *judged,
                              const struct workflow_run_stats *wrote)
{
	*out = *wrote;
	out->vehicles = judged->vehicles;
	out->ready = judged->ready;
	out->limited = judged->limited;
	out->held = judged->held;
	out->pending = judged->pending + wrote->pending;
	out->unsupported = judged->unsupported; /* left out when planned: never applied */
}

void workflow_run_summary(const struct workflow_run_stats *st, char *buf, size_t n)
{
	snprintf(buf, n,
	         "readiness %zu (%zu ready, %zu limited, %zu held; %zu written), %zu work orders"
	         " proposed, %zu holds placed, %zu cleared, %zu invoices released, %zu held,"
	         " %zu exceptions raised, %zu put off while pending",
	         st->vehicles, st->ready, st->limited, st->held, st->readiness_written,
	         st->work_orders, st->holds_placed, st->holds_cleared, st->invoices_released,
	         st->invoices_held, st->exceptions.raised, st->pending);
	size_t used = strlen(buf);
	if (st->unsupported && used < n)
		snprintf(buf + used, n - used, ", %zu left out (the source cannot take them)",
		         st->unsupported);
}
