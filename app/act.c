/* The actions: check the role, gather the facts, judge with core/ and the
 * configured policy, then record the outbox and audit rows in one transaction
 * (cache_action_record). The console and the CLI call these and only word the
 * result; nothing is sent from here: sync's sender delivers the outbox. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app/act_internal.h"
#include "base/text.h"
#include "settings/settings.h"

const char *app_outcome_name(enum app_outcome o)
{
	switch (o) {
	case APP_QUEUED: return "queued";
	case APP_DONE: return "done";
	case APP_REFUSED: return "refused";
	case APP_ERROR: return "error";
	case APP_AWAITING: return "awaiting";
	}
	return "error";
}

void app_result_begin(struct app_result *r, const char *id, const char *action)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
	snprintf(r->action, sizeof(r->action), "%s", action ? action : "");
}

void app_why(struct app_result *r, const char *fmt, ...)
{
	if (r->nwhy >= APP_MAX_WHY) {
		r->more++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why[r->nwhy++], APP_WHY_LEN, fmt, ap);
	va_end(ap);
}

void app_refuse(struct app_result *r, enum app_refusal kind, const char *fmt, ...)
{
	r->outcome = APP_REFUSED;
	if (r->refusal == APP_R_NONE)
		r->refusal = kind;
	if (r->nwhy >= APP_MAX_WHY) {
		r->more++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why[r->nwhy++], APP_WHY_LEN, fmt, ap);
	va_end(ap);
}

void app_error(struct app_result *r, const struct wb_err *err)
{
	r->outcome = APP_ERROR;
	r->err = *err;
	if (r->nwhy < APP_MAX_WHY)
		snprintf(r->why[r->nwhy++], APP_WHY_LEN, "%.190s", err->msg);
}

void app_reasons(struct app_result *r, const struct core_reasons *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		app_why(r, "%s", rs->r[i].msg);
	r->more += rs->dropped;
}

bool app_check_role(const struct app_ctx *x, enum core_action act, const struct wb_exception *e,
                    struct app_result *r)
{
	char why[160];
	if (app_allowed(x->actor.role, act, e, why, sizeof(why)))
		return true;
	if (x->actor.role < 0 && x->actor.why_ro)
		app_refuse(r, APP_R_ROLE, "%s (%s)", why, x->actor.why_ro);
	else
		app_refuse(r, APP_R_ROLE, "%s", why);
	return false;
}

bool app_pending(const struct app_ctx *x, const char *subject, struct app_result *r)
{
	char pending[48];
	if (cache_action_pending(x->cache, subject, pending, sizeof(pending), NULL) != 0)
		return false;
	app_refuse(r, APP_R_PENDING, "%s still waiting for the source", pending);
	return true;
}

void app_record(const struct app_ctx *x, struct app_result *r, const char *source,
                const char *subject, json_t *payload, const char *before, const char *after,
                const char *reason)
{
	snprintf(r->subject, sizeof(r->subject), "%s", subject);
	if (app_source_refuses(x, r, source, subject, payload) || app_pending(x, subject, r)) {
		json_decref(payload);
		return;
	}
	char *body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	struct cache_action a = {.source = source,
	                         .action = r->action,
	                         .subject = subject,
	                         .payload = body,
	                         .user = x->actor.user,
	                         .role = core_role_name((enum core_role)x->actor.role),
	                         .before = before,
	                         .after = after,
	                         .reason = reason,
	                         .at = x->now};
	struct wb_err err = {0};
	int rc = body ? cache_action_record(x->cache, &a, r->key, NULL, &err)
	              : wb_fail(&err, WB_ENOMEM, "out of memory");
	free(body);
	if (rc != 0)
		app_error(r, &err);
	else
		r->outcome = APP_QUEUED;
}

/* ---- release ------------------------------------------------------------------ */

static void release_invoice(const struct app_ctx *x, const char *id, struct app_result *r)
{
	app_result_begin(r, id, "release_invoice");
	if (!app_check_role(x, CORE_ACT_RELEASE_INVOICE, NULL, r))
		return;
	struct app_invoice_data d;
	struct wb_err err = {0};
	if (app_invoice_gather(x->cache, id, x->now, &d, &err) != 0) {
		if (err.code == WB_ENOTFOUND)
			app_refuse(r, APP_R_NOTFOUND, "%s", err.msg);
		else
			app_error(r, &err);
		app_invoice_data_free(&d);
		return;
	}
	struct core_invoice_verdict *vd = malloc(sizeof(*vd));
	if (!vd) {
		app_error(r, &(struct wb_err){.code = WB_ENOMEM, .msg = "out of memory"});
		app_invoice_data_free(&d);
		return;
	}
	app_invoice_gate(&d.f, app_policy(x->settings), vd);
	if (vd->state != CORE_INVOICE_RELEASE) {
		r->gate_failed = true;
		r->outcome = APP_REFUSED;
		r->refusal = APP_R_GATE;
		app_reasons(r, &vd->why);
		if (!r->nwhy)
			app_why(r, "not releasable");
	} else {
		char subject[APP_ID + 16], before[96];
		snprintf(subject, sizeof(subject), "invoice:%s", id);
		app_json_text(before, sizeof(before), "status", d.invoice.status, NULL, NULL);
		app_record(x, r, d.invoice.meta.source, subject, json_object(), before,
		           "{\"status\":\"released\"}", NULL);
	}
	free(vd);
	app_invoice_data_free(&d);
}

static void release_load(const struct app_ctx *x, const char *id, const char *override,
                         struct app_result *r)
{
	app_result_begin(r, id, "release_load");
	if (!app_check_role(x, CORE_ACT_RELEASE_LOAD, NULL, r))
		return;
	struct app_load_data *d = malloc(sizeof(*d));
	struct core_gate *g = malloc(sizeof(*g));
	struct wb_err err = {0};
	if (!d || !g) {
		app_error(r, &(struct wb_err){.code = WB_ENOMEM, .msg = "out of memory"});
		goto out;
	}
	if (app_load_gather(x->cache, id, d, &err) != 0) {
		if (err.code == WB_ENOTFOUND)
			app_refuse(r, APP_R_NOTFOUND, "no load or invoice %s in the cache", id);
		else
			app_error(r, &err);
		app_load_data_free(d);
		goto out;
	}
	app_load_gate(&d->f, app_policy(x->settings), g);
	if (g->state == CORE_GATE_FAIL && !override) {
		r->outcome = APP_REFUSED;
		r->refusal = APP_R_GATE;
		r->gate_failed = true;
		app_reasons(r, &g->why);
	} else if (g->state == CORE_GATE_FAIL &&
	           core_gate_override(g, (enum core_role)x->actor.role, x->actor.user, override,
	                              &err) != 0) {
		r->gate_failed = true;
		app_refuse(r, APP_R_OVERRIDE, "override refused: %s", err.msg);
		app_reasons(r, &g->why);
	} else {
		char subject[APP_ID + 16], before[96];
		r->overridden = g->state == CORE_GATE_OVERRIDDEN;
		snprintf(subject, sizeof(subject), "load:%s", id);
		app_json_text(before, sizeof(before), "status", d->load.status, NULL, NULL);
		json_t *body = r->overridden
		                       ? json_pack("{s:s}", "override_reason", g->override_reason)
		                       : json_object();
		app_record(x, r, d->load.meta.source, subject, body, before,
		           "{\"status\":\"released\"}", r->overridden ? g->override_reason : NULL);
	}
	app_load_data_free(d);
out:
	free(d);
	free(g);
}

void app_release(const struct app_ctx *x, const char *id, const char *override,
                 struct app_result *r)
{
	struct wb_invoice inv;
	char *strings = NULL;
	bool invoice = cache_get(x->cache, WB_ENT_INVOICE, id, &inv, &strings, NULL) == 0;
	free(strings);
	if (invoice)
		release_invoice(x, id, r);
	else
		release_load(x, id, override, r);
}

void app_json_text(char *buf, size_t len, const char *k1, const char *v1, const char *k2,
                   const char *v2)
{
	json_t *o = json_object();
	const char *k[2] = {k1, k2}, *v[2] = {v1, v2};
	for (int i = 0; i < 2 && o; i++) {
		if (!k[i])
			continue;
		char cut[61];
		snprintf(cut, sizeof(cut), "%s", v[i] ? v[i] : "");
		json_t *str = json_string(wb_utf8_trim(cut)); /* NULL when not UTF-8 */
		json_object_set_new(o, k[i], str ? str : json_string("?"));
	}
	char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	snprintf(buf, len, "%s", t && strlen(t) < len ? t : "{}");
	free(t);
	json_decref(o);
}
