/* The invoice release rule of the workflow pass (docs/design.md §6): every invoice
 * not yet released of a delivered load goes through core_invoice_release with
 * its load, PODs and charges and the policy's tolerance.
 *
 *   draft, RELEASE   -> release_invoice, once
 *   draft, HOLD      -> hold_invoice with the reasons, once
 *   held, RELEASE    -> release_invoice, once, only when the newest hold is the
 *                       pass's own
 *   held or disputed -> nothing more to record (a disputed invoice is the
 *                       customer's hold: the source refuses a hold on it)
 *
 * A person's hold (the newest hold_invoice recorded is not the pass's) is theirs
 * to lift: the pass then records nothing on that invoice.
 *
 * Exceptions: the verdict's pod_mismatch and charge_out_of_tolerance are the
 * very findings the detectors already keep on the same subject (the load), so
 * only the verdict's invoice_dispute (subject: the invoice) is opened here, via
 * detect_emit; writing the other two again would fight the detectors' rows.
 * Nothing is decided on an invoice while an action on it waits in the outbox.
 * What is decided goes into the plan, one decision per invoice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow_internal.h"

#define RELEASE_REASON "automatic: delivered, POD clean, charges within tolerance"
#define GATHER_MAX 256

static int has_action(struct wf *w, const char *subject, const char *action, const char *user,
                      int64_t *seq)
{
	return wf_last(w, subject, action, user, seq, NULL, 0);
}

/* Who held the invoice last: the audit seq of the pass's newest hold (*ours),
 * of anyone's (*any) and of the pass's newest release (*released), 0 for none. */
static int history(struct wf *w, const char *subject, int64_t *ours, int64_t *any,
                   int64_t *released)
{
	int rc;
	if ((rc = has_action(w, subject, "hold_invoice", WORKFLOW_USER, ours)) < 0 ||
	    (rc = has_action(w, subject, "hold_invoice", NULL, any)) < 0 ||
	    (rc = has_action(w, subject, "release_invoice", WORKFLOW_USER, released)) < 0)
		return rc;
	return 0;
}

static int release(struct wf *w, const struct wb_invoice *inv, const char *subject)
{
	char before[96];
	snprintf(before, sizeof(before), "{\"status\":\"%.40s\"}", inv->status);
	int rc = wf_key(w, subject, 1); /* found with nothing pending */
	if (rc)
		return rc;
	json_t *after = json_pack("{s:s}", "status", "released");
	if (!after)
		return wb_fail(w->err, WB_ENOMEM, "out of memory");
	return wf_record(w, WF_N_RELEASED, inv->meta.source, "release_invoice", subject,
	                 json_object(), before, after, RELEASE_REASON);
}

static int hold(struct wf *w, const struct wb_invoice *inv, const char *subject,
                const struct core_invoice_verdict *vd)
{
	int rc = wf_key(w, subject, 1); /* found with nothing pending */
	if (rc)
		return rc;
	char reasons[1024] = "", before[96];
	size_t len = 0;
	json_t *codes = json_array();
	for (size_t i = 0; i < vd->why.n; i++) {
		if (len < sizeof(reasons)) {
			char msg[CORE_REASON_MSG];
			snprintf(msg, sizeof(msg), "%s", vd->why.r[i].msg);
			int k = snprintf(reasons + len, sizeof(reasons) - len, "%s%s",
			                 i ? "; " : "", wb_utf8_trim(msg));
			len += k > 0 ? (size_t)k : 0;
		}
		json_array_append_new(codes, json_string(core_reason_label(vd->why.r[i].code)));
	}
	wb_utf8_trim(reasons);
	snprintf(before, sizeof(before), "{\"status\":\"%.40s\"}", inv->status);
	json_t *payload = json_pack("{s:s}", "reason", reasons);
	json_t *after = json_pack("{s:s, s:o}", "status", "held", "reasons", codes);
	if (!payload || !after) {
		json_decref(payload);
		json_decref(after);
		return wb_fail(w->err, WB_ENOMEM, "out of memory");
	}
	return wf_record(w, WF_N_HELD, inv->meta.source, "hold_invoice", subject, payload, before,
	                 after, reasons);
}

static int decide(struct wf *w, const struct wb_invoice *inv, const struct wb_load *load)
{
	char subject[160];
	snprintf(subject, sizeof(subject), "invoice:%s", inv->meta.id);
	int rc = wf_pending(w, subject);
	if (rc)
		return rc < 0 ? rc : 0;
	void *pods = NULL, *charges = NULL;
	char *ps = NULL, *cs = NULL;
	size_t npods = 0, ncharges = 0;
	if ((rc = cache_list(w->c, WB_ENT_POD, "load_id", load->meta.id, GATHER_MAX, &pods, &npods,
	                     &ps, w->err)) == 0)
		rc = cache_billed_list(w->c, WB_ENT_CHARGE, load->meta.id, GATHER_MAX, &charges,
		                       &ncharges, &cs, w->err);
	struct core_invoice_verdict *vd = rc == 0 ? malloc(sizeof(*vd)) : NULL;
	if (rc == 0 && !vd)
		rc = wb_fail(w->err, WB_ENOMEM, "out of memory");
	if (rc == 0) {
		/* The judging is app/'s, the same the console and the CLI run. */
		struct app_invoice_facts f = {.load = load,
		                              .invoice = inv,
		                              .pods = pods,
		                              .npods = npods,
		                              .charges = charges,
		                              .ncharges = ncharges,
		                              .now = w->now};
		app_invoice_gate(&f, w->pol, vd);
		int draft = inv->status && !strcmp(inv->status, "draft");
		int held = inv->status && !strcmp(inv->status, "held");
		int64_t ours = 0, any = 0, released = 0;
		/* One decision: what is recorded on the invoice and its dispute,
		 * both found with nothing pending on the invoice. */
		wf_decision_begin(w);
		rc = history(w, subject, &ours, &any, &released);
		/* A person's hold (the newest hold is not the pass's) is theirs to
		 * lift, even while the source still shows the invoice as a draft
		 * because the hold has not come back by sync yet. */
		int person_hold = any && any != ours;
		if (rc < 0 || person_hold) {
			/* nothing to decide */
		} else if (vd->state == CORE_INVOICE_RELEASE) {
			if ((draft && !released) || (held && ours && released < ours))
				rc = release(w, inv, subject);
		} else {
			if (draft && !ours)
				rc = hold(w, inv, subject, vd);
		}
		if (rc >= 0 && vd->state == CORE_INVOICE_HOLD) {
			for (size_t i = 0; rc >= 0 && i < vd->nexc; i++) {
				struct core_exception_out *o = &vd->exc[i];
				if (strcmp(o->x.kind, core_kind_name(CORE_KIND_INVOICE_DISPUTE)) !=
				    0)
					continue;
				/* Kept only when detect_emit would write it (the same test). */
				core_exception_rebind(o);
				if ((rc = detect_emit_needed(w->c, o, load->meta.id, w->err)) ==
				            1 &&
				    (rc = wf_key(w, subject, 1)) == 0)
					rc = wf_finding(w, o, load->meta.id);
			}
		}
		if (rc >= 0)
			rc = wf_decision_end(w);
		rc = rc < 0 ? rc : 0;
	}
	free(vd);
	free(pods);
	free(charges);
	free(ps);
	free(cs);
	return rc;
}

int wf_invoices(struct wf *w)
{
	const char *iid, *lid;
	int rc;
	while ((rc = cache_wf_invoice_next(w->rd, &iid, &lid, w->err)) == 1) {
		struct wb_invoice inv;
		struct wb_load load;
		char *is = NULL, *ls = NULL;
		if ((rc = cache_get(w->c, WB_ENT_INVOICE, iid, &inv, &is, w->err)) == 0 &&
		    (rc = cache_get(w->c, WB_ENT_LOAD, lid, &load, &ls, w->err)) == 0)
			rc = decide(w, &inv, &load);
		free(is);
		free(ls);
		if (rc)
			return rc;
	}
	return rc;
}
