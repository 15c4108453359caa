/* Invoice release: released automatically when delivered, the POD is signed and
 * clean, and every charge is within the policy tolerance of its rate; otherwise
 * held with every reason and the exceptions to open, as data. */
#include <math.h>

#include "internal.h"
#include "core/core_detect.h"

int core_within_tolerance(double amount, double rated, double tol_amount, double tol_pct)
{
	/* An amount no till makes (NAN, infinity, 1e300) is never "within": a person
	 * looks at it. */
	if (!money_ok(amount) || !money_ok(rated))
		return 0;
	double allowed = fabs(rated) * (isnan(tol_pct) ? 0 : tol_pct) / 100.0;
	if (!isnan(tol_amount) && tol_amount > allowed)
		allowed = tol_amount;
	/* The epsilon keeps a difference of exactly the tolerance inside it despite
	 * binary cents (100.10 - 100.00 is 0.0999999...). */
	return fabs(amount - rated) <= allowed + 1e-9;
}

int core_detect_pod(const struct wb_pod *pod, double at_stake, int64_t now,
                    const struct core_policy *pol, struct core_exception_out *out)
{
	if (!pod || cstrempty(pod->exception_codes))
		return 0;
	core_exception_init(out, CORE_KIND_POD_MISMATCH, "load", pod->load_id, "major", 1.0,
	                    at_stake, "check the POD with the customer before invoicing", now, pol);
	char t[8];
	snprintf(out->evidence, sizeof(out->evidence),
	         "POD %s for load %s (stop %s) signed by %s at %s carries exception codes %s; "
	         "the invoice waits until they are resolved.",
	         cstr(pod->meta.id), cstr(pod->load_id), cstr(pod->stop_id), cstr(pod->signed_by),
	         hhmm(pod->signed_at, t, sizeof(t)), pod->exception_codes);
	return 1;
}

int core_detect_charges(const char *load_id, const struct wb_charge *c, size_t n, int64_t now,
                        const struct core_policy *pol, struct core_exception_out *out)
{
	if (!pol)
		pol = core_policy_default();
	double at_stake = 0;
	size_t bad = 0;
	char ev[CORE_EVIDENCE_MAX] = "";
	for (size_t i = 0; i < n; i++) {
		if (c[i].meta.deleted)
			continue;
		if (isnan(c[i].rated_amount)) {
			at_stake += money_ok(c[i].amount) ? fabs(c[i].amount) : 0;
			bufcat(ev, sizeof(ev), "%s%s %.2f has no rated amount", bad++ ? "; " : "",
			       cstr(c[i].code), c[i].amount);
		} else if (!core_within_tolerance(c[i].amount, c[i].rated_amount,
		                                  pol->charge_tol_amount, pol->charge_tol_pct)) {
			double d = c[i].amount - c[i].rated_amount;
			at_stake +=
			        money_ok(c[i].amount) && money_ok(c[i].rated_amount) ? fabs(d) : 0;
			bufcat(ev, sizeof(ev), "%s%s %.2f vs rated %.2f (%+.2f, %+.1f%%)",
			       bad++ ? "; " : "", cstr(c[i].code), c[i].amount, c[i].rated_amount,
			       d, c[i].rated_amount != 0 ? 100 * d / c[i].rated_amount : 0.0);
		}
	}
	if (!bad)
		return 0;
	core_exception_init(out, CORE_KIND_CHARGE_OUT_OF_TOLERANCE, "load", load_id, "major", 1.0,
	                    at_stake, "correct the charges or approve them against the rate", now,
	                    pol);
	/* evidence is empty after init; bufcat cuts a long list cleanly */
	bufcat(out->evidence, sizeof(out->evidence),
	       "Load %s: %zu charge(s) outside the tolerance of %.2f or %.1f%% of the rate: %s. "
	       "%.2f at stake.",
	       cstr(load_id), bad, pol->charge_tol_amount, pol->charge_tol_pct, ev, at_stake);
	return 1;
}

static int delivered(const struct wb_load *l)
{
	return l->delivered_at != WB_NULL || cstreq(l->status, "delivered") ||
	       cstreq(l->status, "pod_received") || cstreq(l->status, "invoiced");
}

static void check_pods(const struct core_invoice_input *in, const struct core_policy *pol,
                       struct core_invoice_verdict *out)
{
	size_t signed_pods = 0;
	int opened = 0;
	const char *lid = in->load ? in->load->meta.id : NULL;
	double at_stake = in->invoice && money_ok(in->invoice->amount) ? in->invoice->amount : NAN;
	for (size_t i = 0; i < in->npods; i++) {
		const struct wb_pod *p = &in->pods[i];
		if (p->meta.deleted)
			continue;
		if (p->signed_at == WB_NULL || cstrempty(p->signed_by)) {
			reasons_add(&out->why, CORE_R_NO_POD, 0, "POD %s (stop %s) not signed",
			            cstr(p->meta.id), cstr(p->stop_id));
			continue;
		}
		signed_pods++;
		if (!cstrempty(p->exception_codes)) {
			reasons_add(&out->why, CORE_R_POD_EXCEPTIONS, 0,
			            "POD %s has exception codes %s", cstr(p->meta.id),
			            p->exception_codes);
			/* One pod_mismatch per load: the first bad POD opens it. */
			if (!opened && out->nexc < CORE_MAX_INVOICE_EXC &&
			    core_detect_pod(p, at_stake, in->now, pol, &out->exc[out->nexc])) {
				out->nexc++;
				opened = 1;
			}
		}
	}
	if (signed_pods == 0 && !core_reasons_has(&out->why, CORE_R_NO_POD))
		reasons_add(&out->why, CORE_R_NO_POD, 0, "load %s has no signed proof of delivery",
		            cstr(lid));
}

static void check_charges(const struct core_invoice_input *in, const struct core_policy *pol,
                          struct core_invoice_verdict *out)
{
	double sum = 0;
	for (size_t i = 0; i < in->ncharges; i++) {
		const struct wb_charge *c = &in->charges[i];
		if (c->meta.deleted)
			continue;
		if (money_ok(c->amount))
			sum += c->amount;
		if (isnan(c->rated_amount)) {
			reasons_add(&out->why, CORE_R_CHARGE_UNRATED, 0,
			            "charge %s %.2f has no rated amount", cstr(c->code), c->amount);
		} else if (!core_within_tolerance(c->amount, c->rated_amount,
		                                  pol->charge_tol_amount, pol->charge_tol_pct)) {
			reasons_add(&out->why, CORE_R_CHARGE_OUT_OF_TOLERANCE, 0,
			            "charge %s %.2f vs rated %.2f (tolerance %.2f or %.1f%%)",
			            cstr(c->code), c->amount, c->rated_amount,
			            pol->charge_tol_amount, pol->charge_tol_pct);
		}
	}
	const char *lid = in->load ? in->load->meta.id : in->invoice->load_id;
	if (out->nexc < CORE_MAX_INVOICE_EXC &&
	    core_detect_charges(lid, in->charges, in->ncharges, in->now, pol,
	                        &out->exc[out->nexc])) {
		out->money_at_stake += out->exc[out->nexc].x.impact;
		out->nexc++;
	}
	/* The invoice must bill what the charges add up to; a mismatch is a reason,
	 * not an exception of its own: fixing the charges fixes it. */
	if (!core_within_tolerance(in->invoice->amount, sum, pol->charge_tol_amount,
	                           pol->charge_tol_pct))
		reasons_add(&out->why, CORE_R_INVOICE_TOTAL_MISMATCH, 0,
		            "invoice %s amount %.2f, charges add up to %.2f",
		            cstr(in->invoice->number), in->invoice->amount, sum);
}

void core_invoice_release(const struct core_invoice_input *in, const struct core_policy *pol,
                          struct core_invoice_verdict *out)
{
	reasons_clear(&out->why);
	out->nexc = 0;
	out->money_at_stake = 0;
	out->state = CORE_INVOICE_HOLD;
	if (!pol)
		pol = core_policy_default();
	const struct wb_invoice *inv = in->invoice;
	if (!inv) {
		reasons_add(&out->why, CORE_R_INVOICE_STATUS, 1, "no invoice for load %s",
		            in->load ? cstr(in->load->meta.id) : "?");
		return;
	}
	if (cstreq(inv->status, "disputed")) {
		reasons_add(&out->why, CORE_R_INVOICE_DISPUTED, 0,
		            "invoice %s is disputed by the customer", cstr(inv->number));
		struct core_exception_out *x = &out->exc[out->nexc++];
		core_exception_init(
		        x, CORE_KIND_INVOICE_DISPUTE, "invoice", inv->meta.id, "major", 1.0,
		        money_ok(inv->amount) ? inv->amount : NAN,
		        "review the dispute with the customer and correct or confirm the invoice",
		        in->now, pol);
		snprintf(x->evidence, sizeof(x->evidence),
		         "Invoice %s for load %s (%.2f %s) is disputed by customer %s.",
		         cstr(inv->number), in->load ? cstr(in->load->meta.id) : cstr(inv->load_id),
		         inv->amount, cstr(inv->currency), cstr(inv->customer_id));
	} else if (inv->status && !cstreq(inv->status, "draft") && !cstreq(inv->status, "held")) {
		reasons_add(&out->why, CORE_R_INVOICE_STATUS, 1, "invoice %s is already %s",
		            cstr(inv->number), inv->status);
	}
	if (!in->load || !delivered(in->load))
		reasons_add(&out->why, CORE_R_NOT_DELIVERED, 0, "load %s not delivered%s%s",
		            in->load ? cstr(in->load->meta.id) : cstr(inv->load_id),
		            in->load && in->load->status ? ", status " : "",
		            in->load && in->load->status ? in->load->status : "");
	check_pods(in, pol, out);
	check_charges(in, pol, out);
	for (size_t i = 0; i < out->nexc; i++)
		if (out->exc[i].x.kind != core_kind_name(CORE_KIND_CHARGE_OUT_OF_TOLERANCE) &&
		    !isnan(out->exc[i].x.impact) && out->exc[i].x.impact > out->money_at_stake)
			out->money_at_stake = out->exc[i].x.impact;
	if (out->why.n == 0 && out->why.dropped == 0)
		out->state = CORE_INVOICE_RELEASE;
}
