/* The other actions: hold and clear a vehicle's hold, hold an invoice, assign
 * a load, open a work order, decide an exception, and put a failed outbox
 * action back to pending. Same shape as app/act.c: role, facts, rule, record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app/act_internal.h"
#include "cache/approval.h"

#define GATHER_MAX 200

static void hold_vehicle(const struct app_ctx *x, const struct wb_vehicle *v, const char *reason,
                         struct app_result *r)
{
	app_result_begin(r, v->meta.id, "place_hold");
	if (!app_check_role(x, CORE_ACT_PLACE_HOLD, NULL, r))
		return;
	if (!reason || !*reason) {
		app_refuse(r, APP_R_INPUT, "say why: a hold needs a reason");
		return;
	}
	if (v->on_hold == 1) {
		app_refuse(r, APP_R_STATE, "already on hold (%.80s)",
		           v->hold_reason ? v->hold_reason : "no reason given");
		return;
	}
	char subject[APP_ID + 16];
	snprintf(subject, sizeof(subject), "vehicle:%s", v->meta.id);
	app_record(x, r, app_maint_source(x->settings, v->meta.source), subject,
	           json_pack("{s:s}", "reason", reason), "{\"on_hold\":false}",
	           "{\"on_hold\":true}", reason);
}

static void hold_invoice(const struct app_ctx *x, const struct wb_invoice *inv, const char *reason,
                         struct app_result *r)
{
	app_result_begin(r, inv->meta.id, "hold_invoice");
	if (!app_check_role(x, CORE_ACT_HOLD_INVOICE, NULL, r))
		return;
	if (!reason || !*reason) {
		app_refuse(r, APP_R_INPUT, "say why: a hold needs a reason");
		return;
	}
	char subject[APP_ID + 16], before[96];
	snprintf(subject, sizeof(subject), "invoice:%s", inv->meta.id);
	app_json_text(before, sizeof(before), "status", inv->status, NULL, NULL);
	app_record(x, r, inv->meta.source, subject, json_pack("{s:s}", "reason", reason), before,
	           "{\"status\":\"held\"}", reason);
}

void app_hold(const struct app_ctx *x, const char *id, const char *reason, struct app_result *r)
{
	struct wb_vehicle v;
	struct wb_invoice inv;
	char *vs = NULL, *is = NULL;
	if (cache_get(x->cache, WB_ENT_VEHICLE, id, &v, &vs, NULL) == 0) {
		hold_vehicle(x, &v, reason, r);
	} else if (cache_get(x->cache, WB_ENT_INVOICE, id, &inv, &is, NULL) == 0) {
		hold_invoice(x, &inv, reason, r);
	} else {
		app_result_begin(r, id, "place_hold");
		app_refuse(r, APP_R_NOTFOUND, "no such vehicle or invoice in the cache");
	}
	free(vs);
	free(is);
}

void app_unhold(const struct app_ctx *x, const char *id, bool override, const char *reason,
                struct app_result *r)
{
	app_result_begin(r, id, "clear_hold");
	struct wb_vehicle v;
	char *strings = NULL, *wstr = NULL;
	void *wos = NULL;
	size_t nwo = 0, open = 0;
	if (cache_get(x->cache, WB_ENT_VEHICLE, id, &v, &strings, NULL) != 0) {
		app_refuse(r, APP_R_NOTFOUND, "no such vehicle in the cache");
		goto out;
	}
	struct wb_err err = {0};
	if (cache_list(x->cache, WB_ENT_WORK_ORDER, "vehicle_id", id, GATHER_MAX, &wos, &nwo, &wstr,
	               &err) != 0) {
		app_error(r, &err);
		goto out;
	}
	for (size_t i = 0; i < nwo; i++) {
		const struct wb_work_order *w = (const struct wb_work_order *)wos + i;
		open += w->status && strcmp(w->status, "closed") != 0;
	}
	if (!app_check_role(x, override ? CORE_ACT_OVERRIDE_HOLD : CORE_ACT_CLEAR_HOLD, NULL, r))
		goto out;
	if (v.on_hold != 1) {
		app_refuse(r, APP_R_STATE, "not on hold");
	} else if (open && !override) {
		app_refuse(r, APP_R_STATE,
		           "%zu open work order(s); a supervisor may override with a reason", open);
	} else if (override && (!reason || !*reason)) {
		app_refuse(r, APP_R_INPUT, "an override needs a reason");
	} else {
		char subject[APP_ID + 16];
		snprintf(subject, sizeof(subject), "vehicle:%s", id);
		r->overridden = override;
		app_record(x, r, app_maint_source(x->settings, v.meta.source), subject,
		           override ? json_pack("{s:b,s:s}", "override", 1, "reason", reason)
		                    : json_object(),
		           "{\"on_hold\":true}", "{\"on_hold\":false}", override ? reason : NULL);
	}
out:
	free(wos);
	free(wstr);
	free(strings);
}

void app_assign(const struct app_ctx *x, const char *load, const char *vehicle, const char *driver,
                struct app_result *r)
{
	app_result_begin(r, load, "assign_load");
	struct wb_load l;
	struct wb_vehicle v;
	struct wb_driver d;
	char *s1 = NULL, *s2 = NULL, *s3 = NULL;
	if (!app_check_role(x, CORE_ACT_ASSIGN, NULL, r))
		return;
	if (cache_get(x->cache, WB_ENT_LOAD, load, &l, &s1, NULL))
		app_refuse(r, APP_R_NOTFOUND, "%.60s is not in the cache", load);
	if (cache_get(x->cache, WB_ENT_VEHICLE, vehicle, &v, &s2, NULL))
		app_refuse(r, APP_R_NOTFOUND, "%.60s is not in the cache", vehicle);
	if (cache_get(x->cache, WB_ENT_DRIVER, driver, &d, &s3, NULL))
		app_refuse(r, APP_R_NOTFOUND, "%.60s is not in the cache", driver);
	if (r->outcome != APP_REFUSED) {
		char subject[APP_ID + 16], before[300], after[300];
		snprintf(subject, sizeof(subject), "load:%s", load);
		app_json_text(before, sizeof(before), "vehicle_id", l.vehicle_id, "driver_id",
		              l.driver_id);
		app_json_text(after, sizeof(after), "vehicle_id", vehicle, "driver_id", driver);
		app_record(x, r, l.meta.source, subject,
		           json_pack("{s:s,s:s}", "vehicle_id", vehicle, "driver_id", driver),
		           before, after, NULL);
	}
	free(s1);
	free(s2);
	free(s3);
}

void app_work_order(const struct app_ctx *x, const char *vehicle, const char *fault,
                    struct app_result *r)
{
	app_result_begin(r, vehicle, "open_work_order");
	struct wb_vehicle v;
	char *strings = NULL;
	if (!app_check_role(x, CORE_ACT_OPEN_WORK_ORDER, NULL, r))
		return;
	if (cache_get(x->cache, WB_ENT_VEHICLE, vehicle, &v, &strings, NULL) != 0) {
		app_refuse(r, APP_R_NOTFOUND, "no such vehicle in the cache");
	} else {
		char subject[APP_ID + 16];
		snprintf(subject, sizeof(subject), "vehicle:%s", vehicle);
		json_t *body =
		        json_pack("{s:s,s:s}", "vehicle_id", vehicle, "category", "corrective");
		if (fault && *fault)
			json_object_set_new(body, "fault_id", json_string(fault));
		app_record(x, r, app_maint_source(x->settings, v.meta.source), subject, body, NULL,
		           "{\"work_order\":\"proposed\"}", NULL);
	}
	free(strings);
}

/* ---- exception decisions ------------------------------------------------------ */

static const struct {
	const char *word;
	enum app_decision d;
} words[] = {{"ack", APP_ACK},
             {"acknowledge", APP_ACK},
             {"approve", APP_APPROVE},
             {"reject", APP_REJECT},
             {"escalate", APP_ESCALATE}};

static const struct {
	enum core_action act;
	const char *action, *status;
} decisions[] = {
        [APP_ACK] = {CORE_ACT_ACK_EXCEPTION, "acknowledge_exception", "acknowledged"},
        [APP_APPROVE] = {CORE_ACT_APPROVE_EXCEPTION, "approve_exception", "approved"},
        [APP_REJECT] = {CORE_ACT_REJECT_EXCEPTION, "reject_exception", "rejected"},
        [APP_ESCALATE] = {CORE_ACT_ESCALATE_EXCEPTION, "escalate_exception", "escalated"},
};

int app_decision_from_word(const char *word)
{
	for (size_t i = 0; word && i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(words[i].word, word))
			return (int)words[i].d;
	return -1;
}

const char *app_decision_action(enum app_decision d)
{
	return decisions[d].action;
}

/* A decision on one of Waybill's own exceptions: its new status and the audit
 * row, in the caller's transaction (there is no source to ask). after: the
 * audit row's, or "" for the new status alone. */
static int decide_local(const struct app_ctx *x, struct wb_exception *e, enum app_decision d,
                        const char *subject, const char *reason, const char *after_given,
                        struct wb_err *err)
{
	char before[96], after[96];
	app_json_text(before, sizeof(before), "status", e->status ? e->status : "open", NULL, NULL);
	snprintf(after, sizeof(after), "{\"status\":\"%s\"}", decisions[d].status);
	int rc = 0;
	e->status = decisions[d].status;
	e->meta.ext_version++;
	if (d == APP_APPROVE || d == APP_REJECT)
		e->resolved_at = x->now;
	struct audit_entry a = {.user = x->actor.user,
	                        .role = core_role_name((enum core_role)x->actor.role),
	                        .action = decisions[d].action,
	                        .subject = subject,
	                        .before = before,
	                        .after = *after_given ? after_given : after,
	                        .reason = reason,
	                        .at = x->now};
	rc = cache_upsert(x->cache, WB_ENT_EXCEPTION, e, 1, NULL, err);
	if (rc == 0)
		rc = audit_append(x->cache, &a, NULL, err);
	return rc;
}

/* The decision once every check passed: Waybill's own exception decided
 * here, another queued for its source; a first approval on record (clear) is
 * cleared in the same transaction, so a decision and its end are one. */
static void decide(const struct app_ctx *x, enum app_decision d, struct wb_exception *e,
                   const char *subject, const char *reason, bool clear, const char *after_given,
                   struct app_result *r)
{
	struct wb_err err = {0};
	if (cache_begin(x->cache, &err) != 0) {
		app_error(r, &err);
		return;
	}
	if (clear && cache_approval_clear(x->cache, e->meta.id, &err) != 0) {
		app_error(r, &err);
	} else if (e->origin && !strcmp(e->origin, "local")) {
		if (decide_local(x, e, d, subject, reason, after_given, &err) != 0)
			app_error(r, &err);
		else
			r->outcome = APP_DONE;
	} else {
		char before[96], after[96];
		app_json_text(before, sizeof(before), "status", e->status ? e->status : "open",
		              NULL, NULL);
		snprintf(after, sizeof(after), "{\"status\":\"%s\"}", decisions[d].status);
		json_t *body =
		        reason && *reason ? json_pack("{s:s}", "reason", reason) : json_object();
		app_record(x, r, e->meta.source, subject, body, before,
		           *after_given ? after_given : after, reason);
	}
	if (r->outcome == APP_DONE || r->outcome == APP_QUEUED) {
		if (cache_commit(x->cache, &err) != 0)
			app_error(r, &err);
	} else {
		cache_rollback(x->cache);
	}
}

void app_decide(const struct app_ctx *x, enum app_decision d, const char *id, const char *reason,
                struct app_result *r)
{
	app_result_begin(r, id, decisions[d].action);
	struct wb_exception e;
	char *strings = NULL;
	struct wb_err err = {0};
	char subject[APP_ID + 16];
	snprintf(subject, sizeof(subject), "exception:%s", id);
	snprintf(r->subject, sizeof(r->subject), "%s", subject);
	/* The role first, then again with the exception's required role. */
	if (!app_check_role(x, decisions[d].act, NULL, r))
		return;
	if (cache_get(x->cache, WB_ENT_EXCEPTION, id, &e, &strings, &err) != 0) {
		if (err.code == WB_ENOTFOUND)
			app_refuse(r, APP_R_NOTFOUND, "not an exception in the cache");
		else
			app_error(r, &err);
	} else if (e.meta.deleted) {
		app_refuse(r, APP_R_STATE, "gone at the source");
	} else if (!app_check_role(x, decisions[d].act, &e, r)) {
		/* refused with the role's reason */
	} else if (!core_exception_open(&e)) {
		app_refuse(r, APP_R_STATE, "already %.40s", e.status);
	} else if (app_pending(x, subject, r)) {
		/* refused: waiting */
	} else {
		bool clear = false;
		char after[600];
		if (!app_two_person(x, d, &e, subject, reason, r, &clear, after, sizeof(after)))
			decide(x, d, &e, subject, reason, clear, after, r);
	}
	free(strings);
}

/* ---- the outbox ------------------------------------------------------------------ */

void app_outbox_retry(const struct app_ctx *x, const char *key, struct app_result *r)
{
	app_result_begin(r, key, "retry_action");
	struct outbox_item it;
	struct wb_err err = {0};
	if (outbox_get(x->cache, key, &it, &err) != 0) {
		if (err.code == WB_ENOTFOUND)
			app_refuse(r, APP_R_NOTFOUND, "no outbox action %s", key);
		else
			app_error(r, &err);
		return;
	}
	/* Retrying asks what the action itself asked of the role. */
	int act = core_action_from_name(it.action);
	if (!app_check_role(x, act >= 0 ? (enum core_action)act : CORE_ACT_ASSIGN, NULL, r)) {
		outbox_item_free(&it);
		return;
	}
	snprintf(r->subject, sizeof(r->subject), "%s", it.subject);
	snprintf(r->key, sizeof(r->key), "%s", it.key);
	if (it.status != OUTBOX_FAILED) {
		app_refuse(r, APP_R_STATE, "only a failed action can be retried");
		outbox_item_free(&it);
		return;
	}
	char before[64], after[128];
	snprintf(before, sizeof(before), "{\"status\":\"failed\"}");
	snprintf(after, sizeof(after),
	         "{\"status\":\"pending\",\"key\":\"%s\",\"action\":\"%.40s\"}", it.key, it.action);
	struct audit_entry a = {.user = x->actor.user,
	                        .role = core_role_name((enum core_role)x->actor.role),
	                        .action = "retry_action",
	                        .subject = it.subject,
	                        .before = before,
	                        .after = after,
	                        .at = x->now};
	int rc = cache_begin(x->cache, &err);
	if (rc == 0 && (rc = outbox_requeue(x->cache, key, x->now, &err)) == 0 &&
	    (rc = audit_append(x->cache, &a, NULL, &err)) == 0)
		rc = cache_commit(x->cache, &err);
	else if (cache_in_txn(x->cache))
		cache_rollback(x->cache);
	if (rc)
		app_error(r, &err);
	else
		r->outcome = APP_QUEUED;
	outbox_item_free(&it);
}
