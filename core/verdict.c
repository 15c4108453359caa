/* Verdict and exception plumbing shared by every rule: reason labels, state
 * names and the deterministic exception id used to deduplicate flags. */
#include "internal.h"
#include "core/core_detect.h"

static const char *const reason_labels[CORE_R__COUNT] = {
#define REASON_LABEL(R, label) [CORE_R_##R] = label,
        CORE_REASONS(REASON_LABEL)
#undef REASON_LABEL
};

const char *core_reason_label(enum core_reason_code c)
{
	return (unsigned)c < CORE_R__COUNT ? reason_labels[c] : "?";
}

int core_reasons_has(const struct core_reasons *rs, enum core_reason_code c)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->r[i].code == c)
			return 1;
	return 0;
}

const char *core_ready_state_name(enum core_ready_state s)
{
	static const char *const n[] = {"ready", "limited", "held"};
	return (unsigned)s < 3 ? n[s] : "?";
}

const char *core_gate_state_name(enum core_gate_state s)
{
	static const char *const n[] = {"pass", "fail", "overridden"};
	return (unsigned)s < 3 ? n[s] : "?";
}

const char *core_invoice_state_name(enum core_invoice_state s)
{
	static const char *const n[] = {"release", "hold"};
	return (unsigned)s < 2 ? n[s] : "?";
}

const char *core_hold_state_name(enum core_hold_state s)
{
	static const char *const n[] = {"active", "cleared_work_order", "cleared", "overridden"};
	return (unsigned)s < 4 ? n[s] : "?";
}

int core_exception_id(char *buf, size_t n, const char *kind, const char *subject_id)
{
	if (!buf || n == 0)
		return -1;
	int len = snprintf(buf, n, "X-%s-%s", cstr(kind), cstr(subject_id));
	return len < 0 || (size_t)len >= n ? -1 : len;
}

void core_exception_rebind(struct core_exception_out *o)
{
	o->x.meta.id = o->id;
	o->x.subject_id = o->subject_id;
	o->x.evidence = o->evidence;
}

void core_exception_init(struct core_exception_out *o, enum core_kind kind,
                         const char *subject_kind, const char *subject_id, const char *severity,
                         double confidence, double impact, const char *suggested_action,
                         int64_t now, const struct core_policy *pol)
{
	wb_entity_clear(WB_ENT_EXCEPTION, &o->x);
	snprintf(o->subject_id, sizeof(o->subject_id), "%s", cstr(subject_id));
	core_exception_id(o->id, sizeof(o->id), core_kind_name(kind), o->subject_id);
	o->evidence[0] = '\0';
	core_exception_rebind(o);
	o->x.meta.source = "local";
	o->x.kind = core_kind_name(kind);
	o->x.subject_kind = subject_kind;
	o->x.severity = severity;
	o->x.confidence = confidence;
	o->x.impact = impact;
	o->x.suggested_action = suggested_action;
	o->x.origin = "local";
	o->x.status = "open";
	o->x.detected_at = now;
	struct core_policy_verdict v = core_policy_decide(pol, (int)kind, confidence, impact);
	o->x.required_role = core_role_name(v.required_role);
}
