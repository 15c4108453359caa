/* The maintenance rule of the workflow pass (docs/design.md §6): an active critical
 * or major fault proposes a corrective work order, with its part reservations,
 * to the source that owns work orders, and puts the vehicle on hold; once that
 * work order is closed the pass clears the hold it placed.
 *
 * Decide once: a proposal is recorded on the subject "fault:<id>", and the audit
 * trail (which keeps every action) is asked before proposing, so a fault is
 * proposed for once across runs and restarts, whatever became of the delivery.
 * The hold remembers its fault and proposal in its audit row's "after", which is
 * how a later run finds the work order whose closing clears it: the source
 * names the work order it opens, so it is found by its fault. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "workflow_internal.h"

static void rfc3339(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t == WB_NULL || !gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%s", "");
}

/* s copied into buf (NULL stays NULL), cut at a whole UTF-8 character. */
static const char *copy(char *buf, size_t n, const char *s)
{
	if (!s)
		return NULL;
	snprintf(buf, n, "%s", s);
	return wb_utf8_trim(buf);
}

/* Records the proposal p for fault f, and the hold when hold is 1. */
static int propose(struct wf *w, const struct wb_vehicle *v, const struct wb_fault *f,
                   const struct core_wo_proposal *p, int hold)
{
	char fsubj[160], vsubj[160], due[32], msg[CORE_REASON_MSG];
	snprintf(vsubj, sizeof(vsubj), "vehicle:%s", v->meta.id);
	/* The vehicle was found with nothing pending: apply checks that again. */
	int rc = wf_key(w, vsubj, 1);
	if (rc)
		return rc;
	snprintf(msg, sizeof(msg), "%s", p->msg);
	wb_utf8_trim(msg); /* the core cut it to its buffer */
	snprintf(fsubj, sizeof(fsubj), "fault:%s", f->meta.id);
	rfc3339(p->wo.due_at, due, sizeof(due));
	json_t *parts = json_array();
	for (size_t i = 0; i < p->nparts; i++)
		json_array_append_new(parts, json_pack("{s:s, s:I, s:s}", "item", p->parts[i].item,
		                                       "qty", (json_int_t)p->parts[i].qty, "status",
		                                       p->parts[i].status));
	json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:o, s:s}", "vehicle_id",
	                            v->meta.id, "fault_id", f->meta.id, "category", p->wo.category,
	                            "proposal_id", p->wo_id, "family", p->family, "est_cost",
	                            p->wo.est_cost, "due_at", due, "parts", parts, "reason", msg);
	json_t *after = json_pack("{s:s, s:s, s:s, s:f}", "work_order", "proposed", "proposal_id",
	                          p->wo_id, "fault_id", f->meta.id, "est_cost", p->wo.est_cost);
	if (!payload || !after) {
		json_decref(payload);
		json_decref(after);
		return wb_fail(w->err, WB_ENOMEM, "out of memory");
	}
	const char *src = w->wo_source ? w->wo_source : v->meta.source;
	rc = wf_record(w, WF_N_WORK_ORDER, src, "open_work_order", fsubj, payload, NULL, after,
	               msg);
	if (rc || !hold)
		return rc;
	payload = json_pack("{s:s}", "reason", msg);
	after = json_pack("{s:b, s:s, s:s}", "on_hold", 1, "fault_id", f->meta.id, "work_order_id",
	                  p->wo_id);
	if (!payload || !after) {
		json_decref(payload);
		json_decref(after);
		return wb_fail(w->err, WB_ENOMEM, "out of memory");
	}
	return wf_record(w, WF_N_HOLD_PLACED, app_maint_source(w->cfg, v->meta.source),
	                 "place_hold", vsubj, payload, "{\"on_hold\":false}", after, msg);
}

/* The newest work order at the source for the hold's fault (or carrying the
 * proposal's id, for a source that keeps it): 1 found, 0 none, <0 error. The
 * pass's way for app_vehicle_hold to find it: one statement for the read. */
static int hold_work_order(void *arg, const char *vid, const char *fault_id, const char *proposal,
                           struct app_wo *o, struct wb_err *err)
{
	struct wf *w = arg;
	(void)err; /* failures go to w->err, as every read of the pass */
	struct wb_work_order found;
	int rc = cache_wf_hold_work_order(w->rd, vid, fault_id, proposal, &found, w->err);
	if (rc <= 0)
		return rc;
	/* The reader's text lives till its next call: app keeps its own copy. */
	wb_entity_clear(WB_ENT_WORK_ORDER, &o->w);
	o->w.meta.id = copy(o->id, sizeof(o->id), found.meta.id);
	o->w.status = copy(o->status, sizeof(o->status), found.status);
	o->w.closed_at = found.closed_at;
	o->w.fault_id = copy(o->fid, sizeof(o->fid), found.fault_id);
	o->w.category = copy(o->category, sizeof(o->category), found.category);
	o->w.vehicle_id = vid;
	return 1;
}

/* 1 while something else still grounds the vehicle: an unclosed corrective work
 * order, or a serious fault not repaired (no work order for it closed since it
 * was last seen). Clearing the hold then would put a faulty unit back on the road. */
static int still_grounded(const struct wb_fault *faults, size_t nfaults,
                          const struct wb_work_order *wos, size_t nwos)
{
	for (size_t i = 0; i < nwos; i++)
		if (wos[i].category && !strcmp(wos[i].category, "corrective") &&
		    !(wos[i].status && !strcmp(wos[i].status, "closed")))
			return 1;
	for (size_t i = 0; i < nfaults; i++) {
		int repaired = 0;
		for (size_t j = 0; j < nwos && !repaired; j++)
			repaired = wos[j].fault_id && !strcmp(wos[j].fault_id, faults[i].meta.id) &&
			           wos[j].status && !strcmp(wos[j].status, "closed") &&
			           wos[j].closed_at != WB_NULL &&
			           (faults[i].last_seen == WB_NULL ||
			            wos[j].closed_at >= faults[i].last_seen);
		if (!repaired)
			return 1;
	}
	return 0;
}

/* The hold a vehicle the source says is on hold is under (app_vehicle_hold,
 * the console's too), and its clearing once the pass's own hold has its work
 * order closed. */
static int hold_of(struct wf *w, const struct wb_vehicle *v, const struct wb_fault *faults,
                   size_t nfaults, const struct wb_work_order *wos, size_t nwos,
                   struct app_hold *hold)
{
	struct wb_err e = {0};
	int rc = app_vehicle_hold(w->c, v, hold_work_order, w, hold, &e);
	if (rc < 0) {
		if (e.code)
			*w->err = e;
		return rc;
	}
	if (rc == 0 || !hold->wo_closed || !w->maintenance)
		return rc;
	char vsubj[160];
	snprintf(vsubj, sizeof(vsubj), "vehicle:%s", v->meta.id);
	int64_t cleared = 0;
	if ((rc = wf_last(w, vsubj, "clear_hold", NULL, &cleared, NULL, 0)) < 0)
		return rc;
	if (cleared > hold->ours || still_grounded(faults, nfaults, wos, nwos))
		return 1;
	if ((rc = wf_pending(w, vsubj)) != 0)
		return rc < 0 ? rc : 1;
	if ((rc = wf_key(w, vsubj, 1)))
		return rc;
	char reason[2 * WF_ID + 64];
	snprintf(reason, sizeof(reason), "automatic: work order %s for fault %s closed", hold->wo,
	         hold->fault);
	json_t *aft = json_pack("{s:b, s:s, s:s}", "on_hold", 0, "work_order_id", hold->wo,
	                        "fault_id", hold->fault);
	if (!aft)
		return wb_fail(w->err, WB_ENOMEM, "out of memory");
	rc = wf_record(w, WF_N_HOLD_CLEARED, app_maint_source(w->cfg, v->meta.source), "clear_hold",
	               vsubj, json_object(), "{\"on_hold\":true}", aft, reason);
	return rc ? rc : 1;
}

/* The proposals for the vehicle's serious faults not proposed before. */
static int proposals(struct wf *w, const struct wb_vehicle *v, const struct wb_fault *faults,
                     size_t nfaults, const struct wb_work_order *wos, size_t nwos)
{
	char vsubj[160];
	snprintf(vsubj, sizeof(vsubj), "vehicle:%s", v->meta.id);
	int rc, vpending = -1, hold_placed = 0;
	for (size_t i = 0; w->maintenance && i < nfaults; i++) {
		const struct wb_fault *f = &faults[i];
		struct core_wo_proposal p;
		if (!core_maintenance_propose(f, wos, nwos, w->now, &p))
			continue;
		char fsubj[160];
		snprintf(fsubj, sizeof(fsubj), "fault:%s", f->meta.id);
		if ((rc = wf_last(w, fsubj, "open_work_order", WORKFLOW_USER, NULL, NULL, 0)) !=
		    0) {
			if (rc < 0)
				return rc;
			continue; /* proposed before: never twice */
		}
		/* The proposal and its hold go together: while an action on the
		 * vehicle waits for its source, both wait for the next run. */
		if (vpending < 0 && (vpending = wf_pending(w, vsubj)) < 0)
			return vpending;
		if (vpending)
			break;
		int hold_now = !hold_placed && v->on_hold != 1;
		if ((rc = propose(w, v, f, &p, hold_now)))
			return rc;
		hold_placed |= hold_now;
	}
	return 0;
}

/* All the vehicle's records are one decision: they share its subject (the
 * proposals wait on it, the hold and its clearing are recorded on it), so
 * apply writes them all or none. */
int wf_maintenance(struct wf *w, const struct wb_vehicle *v, const struct wb_fault *faults,
                   size_t nfaults, const struct wb_work_order *wos, size_t nwos,
                   struct app_hold *hold)
{
	wf_decision_begin(w);
	int rc = proposals(w, v, faults, nfaults, wos, nwos);
	/* The source's flag decides; a hold just proposed is not yet in force. */
	if (rc == 0)
		rc = hold_of(w, v, faults, nfaults, wos, nwos, hold);
	int end = rc < 0 ? 0 : wf_decision_end(w);
	return end < 0 ? end : rc;
}
