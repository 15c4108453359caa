/* The two-person rule (docs/design.md §6, §8): above the policy's two-person
 * amount an exception's approval needs two different supervisors. The first
 * one's approval is recorded and audited as pending (cache/approval.h), with
 * nothing queued to the source; a second supervisor, another person by name,
 * completes it and app_decide queues or decides it as for any approval. The
 * same person twice, and the system user (the local pass), never count. Who
 * counts is core's rule (core_policy_approved): names compared by content. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app/act_internal.h"
#include "cache/approval.h"
#include "settings/settings.h"

void app_exception_verdict(const struct settings *s, const struct wb_exception *e,
                           struct core_policy_verdict *v)
{
	int kind = core_kind_from_name(e->kind);
	*v = core_policy_decide(app_policy(s), kind, e->confidence, e->impact);
}

/* The amount above which two supervisors are needed for e's kind. */
static double two_amount(const struct settings *s, const struct wb_exception *e)
{
	const struct core_policy *p = app_policy(s);
	int k = core_kind_from_name(e->kind);
	if (k >= 0 && !isnan(p->kind[k].two_person_above))
		return p->kind[k].two_person_above;
	return p->two_person_above;
}

/* The audit row's "after" of the completed decision: both supervisors. */
static void after_both(const char *status, const char *first, const char *second, char *after,
                       size_t len)
{
	json_t *j = json_pack("{s:s, s:[s,s]}", "status", status, "approved_by", first, second);
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	snprintf(after, len, "%s", t && strlen(t) < len ? t : "");
	free(t);
	json_decref(j);
}

/* A refusal the rule makes is a decision attempt on record: audited. */
static void refuse_audited(const struct app_ctx *x, const char *subject, struct app_result *r,
                           const char *msg)
{
	struct wb_err err = {0};
	struct audit_entry a = {.user = x->actor.user && *x->actor.user ? x->actor.user : "?",
	                        .role = core_role_name((enum core_role)x->actor.role),
	                        .action = "approve_refused",
	                        .subject = subject,
	                        .reason = msg,
	                        .at = x->now};
	if (audit_append(x->cache, &a, NULL, &err) != 0) {
		app_error(r, &err);
		return;
	}
	app_refuse(r, APP_R_TWO, "%s", msg);
}

/* Records the first of the two approvals, with its audit row. */
static void first_approval(const struct app_ctx *x, const struct wb_exception *e,
                           const char *subject, const char *reason, double amount,
                           struct app_result *r)
{
	char before[96], after[600];
	app_json_text(before, sizeof(before), "status", e->status ? e->status : "open", NULL, NULL);
	json_t *j = json_pack("{s:s, s:i, s:i, s:s, s:f}", "status", "awaiting_second", "approvals",
	                      1, "needed", 2, "first", x->actor.user, "two_person_above", amount);
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	snprintf(after, sizeof(after), "%s", t && strlen(t) < sizeof(after) ? t : "{}");
	free(t);
	json_decref(j);
	struct audit_entry a = {.user = x->actor.user,
	                        .role = core_role_name((enum core_role)x->actor.role),
	                        .action = "approve_pending",
	                        .subject = subject,
	                        .before = before,
	                        .after = after,
	                        .reason = reason,
	                        .at = x->now};
	struct wb_err err = {0};
	if (cache_approval_first(x->cache, e->meta.id, &a, &err) != 0) {
		app_error(r, &err);
		return;
	}
	r->outcome = APP_AWAITING;
	app_why(r, "approved by %.100s; needs a second supervisor other than %.100s", x->actor.user,
	        x->actor.user);
}

bool app_two_person(const struct app_ctx *x, enum app_decision d, const struct wb_exception *e,
                    const char *subject, const char *reason, struct app_result *r, bool *clear,
                    char *after, size_t len)
{
	*clear = false;
	after[0] = '\0';
	if (d != APP_APPROVE && d != APP_REJECT)
		return false;
	struct cache_approval first;
	struct wb_err err = {0};
	int have = cache_approval_get(x->cache, e->meta.id, &first, &err);
	if (have < 0) {
		app_error(r, &err);
		return true;
	}
	*clear = have == 1;
	struct core_policy_verdict v;
	app_exception_verdict(x->settings, e, &v);
	if (d == APP_REJECT || v.approvals_needed < 2)
		return false; /* a reject ends it; below the amount one approval decides */
	double amount = two_amount(x->settings, e);
	const char *me = x->actor.user;
	if (!me || !*me || !strcmp(me, APP_SYSTEM_USER)) {
		refuse_audited(x, subject, r,
		               "an automatic decision cannot be one of the two supervisors "
		               "(two-person rule)");
		return true;
	}
	if (x->actor.role < (int)v.required_role) {
		app_refuse(r, APP_R_ROLE,
		           "needs two supervisors (two-person rule: more than %.2f at stake); a %s "
		           "cannot be one of them",
		           amount, core_role_name((enum core_role)x->actor.role));
		return true;
	}
	if (!have) {
		first_approval(x, e, subject, reason, amount, r);
		return true;
	}
	int frole = core_role_from_name(first.role);
	struct core_approval a[2] = {
	        {first.user, frole < 0 ? CORE_ROLE__COUNT : (enum core_role)frole},
	        {me, (enum core_role)x->actor.role},
	};
	char msg[APP_WHY_LEN];
	if (!core_policy_approved(&v, a, 2, msg, sizeof(msg))) {
		refuse_audited(x, subject, r, msg);
		return true;
	}
	after_both("approved", first.user, me, after, len);
	return false;
}
