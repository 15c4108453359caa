/* The console's other actions: hold and clear a vehicle's hold, assign a load's
 * vehicle and driver, open a work order, and release or hold an invoice (the
 * invoice release gate decides first: delivered, POD clean, charges within
 * tolerance). Each is checked against the user's role by core/ and recorded
 * with its outbox and audit rows; the source's answer comes back by sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "core/core.h"

#define GATHER_MAX 200

int tui_act_record(struct tui_console *s, const char *source, const char *action,
                   const char *subject, json_t *payload, const char *before, const char *after,
                   const char *reason, const char *queued)
{
	char pending[48];
	if (cache_action_pending(s->cache, subject, pending, sizeof(pending), NULL) == 0) {
		tui_report(s, true, "%s %s: %s still waiting for the source", action, subject,
		           pending);
		json_decref(payload);
		return -1;
	}
	char *body = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	struct cache_action a = {.source = source,
	                         .action = action,
	                         .subject = subject,
	                         .payload = body,
	                         .user = s->user,
	                         .role = core_role_name((enum core_role)s->role),
	                         .before = before,
	                         .after = after,
	                         .reason = reason,
	                         .at = tui_now(s)};
	struct wb_err err = {0};
	int rc = body ? cache_action_record(s->cache, &a, NULL, NULL, &err)
	              : wb_fail(&err, WB_ENOMEM, "out of memory");
	free(body);
	if (rc != 0) {
		tui_report(s, true, "%s %s: %s", action, subject, err.msg);
		return rc;
	}
	if (queued)
		tui_report(s, false, "%s", queued);
	else
		tui_report(s, false, "%s %s: queued; pending until the source answers", action,
		           subject);
	s->data_stale = true;
	tui_request_redraw(s);
	return 0;
}

/* The role may take the action, or the status line says why not. */
static bool allowed(struct tui_console *s, enum core_action act, const char *what)
{
	if (s->role < 0) {
		tui_report(s, true, "%s: read-only until a source says who you are", what);
		return false;
	}
	struct core_permission p = core_role_check((enum core_role)s->role, act, NULL);
	if (!p.allowed)
		tui_report(s, true, "%s: %s", what, p.why);
	return p.allowed;
}

/* The selected row's id when nothing was typed (on the board that shows them). */
static const char *id_or_selected(struct tui_console *s, const char *typed, const char *board)
{
	struct tui_table *t = tui_current(s);
	if (typed)
		return typed;
	if (!strcmp(t->view->board->name, board) && t->sel_id[0])
		return t->sel_id;
	return NULL;
}

static void hold_vehicle(struct tui_console *s, const struct wb_vehicle *v, const char *reason)
{
	char subject[160];
	snprintf(subject, sizeof(subject), "vehicle:%s", v->meta.id);
	if (!*reason) {
		tui_report(s, true, "hold %s: say why (:hold %s REASON)", v->meta.id, v->meta.id);
		return;
	}
	if (v->on_hold == 1) {
		tui_report(s, true, "hold %s: already on hold (%.80s)", v->meta.id,
		           v->hold_reason ? v->hold_reason : "no reason given");
		return;
	}
	if (allowed(s, CORE_ACT_PLACE_HOLD, "hold"))
		tui_act_record(s, v->meta.source, "place_hold", subject,
		               json_pack("{s:s}", "reason", reason), "{\"on_hold\":false}",
		               "{\"on_hold\":true}", reason, NULL);
}

static void hold_invoice(struct tui_console *s, const struct wb_invoice *inv, const char *reason)
{
	char subject[160], before[96];
	snprintf(subject, sizeof(subject), "invoice:%s", inv->meta.id);
	if (!*reason) {
		tui_report(s, true, "hold %s: say why (:hold %s REASON)", inv->meta.id,
		           inv->meta.id);
		return;
	}
	snprintf(before, sizeof(before), "{\"status\":\"%.40s\"}", inv->status ? inv->status : "");
	if (allowed(s, CORE_ACT_HOLD_INVOICE, "hold"))
		tui_act_record(s, inv->meta.source, "hold_invoice", subject,
		               json_pack("{s:s}", "reason", reason), before,
		               "{\"status\":\"held\"}", reason, NULL);
}

/* :hold ID REASON: a vehicle or an invoice, whichever the id is. */
void tui_act_hold(struct tui_console *s, const char *args)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", args);
	char *save = NULL, *typed = strtok_r(buf, " ", &save);
	const char *reason = save ? save : "";
	const char *id = id_or_selected(s, typed, "vehicles");
	if (!id) {
		tui_report(s, true, "hold: which vehicle or invoice? (:hold T-17 brake fault)");
		return;
	}
	struct wb_vehicle v;
	struct wb_invoice inv;
	char *vs = NULL, *is = NULL;
	if (cache_get(s->cache, WB_ENT_VEHICLE, id, &v, &vs, NULL) == 0)
		hold_vehicle(s, &v, reason);
	else if (cache_get(s->cache, WB_ENT_INVOICE, id, &inv, &is, NULL) == 0)
		hold_invoice(s, &inv, reason);
	else
		tui_report(s, true, "hold %.60s: no such vehicle or invoice in the cache", id);
	free(vs);
	free(is);
}

/* :unhold ID [override REASON]: clears a vehicle's hold; with an open work
 * order only a supervisor's override with a reason may. */
void tui_act_unhold(struct tui_console *s, const char *args)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", args);
	char *save = NULL, *typed = strtok_r(buf, " ", &save);
	char *word = typed ? strtok_r(NULL, " ", &save) : NULL;
	const char *reason = save ? save : "";
	const char *id = id_or_selected(s, typed, "vehicles");
	struct wb_vehicle v;
	char *strings = NULL;
	if (!id || cache_get(s->cache, WB_ENT_VEHICLE, id, &v, &strings, NULL) != 0) {
		tui_report(s, true, "unhold: which vehicle? (:unhold T-17)");
		free(strings);
		return;
	}
	bool override = word && !strcmp(word, "override");
	void *wos = NULL;
	char *wstr = NULL;
	size_t nwo = 0, open = 0;
	cache_list(s->cache, WB_ENT_WORK_ORDER, "vehicle_id", id, GATHER_MAX, &wos, &nwo, &wstr,
	           NULL);
	for (size_t i = 0; i < nwo; i++) {
		const struct wb_work_order *w = (const struct wb_work_order *)wos + i;
		open += w->status && strcmp(w->status, "closed") != 0;
	}
	char subject[160];
	snprintf(subject, sizeof(subject), "vehicle:%s", id);
	if (v.on_hold != 1)
		tui_report(s, true, "unhold %s: not on hold", id);
	else if (open && !override)
		tui_report(s, true,
		           "unhold %s: %zu open work order(s); a supervisor may :unhold %s "
		           "override REASON",
		           id, open, id);
	else if (override && !*reason)
		tui_report(s, true, "unhold %s: an override needs a reason", id);
	else if (allowed(s, override ? CORE_ACT_OVERRIDE_HOLD : CORE_ACT_CLEAR_HOLD, "unhold"))
		tui_act_record(s, v.meta.source, "clear_hold", subject,
		               override ? json_pack("{s:b,s:s}", "override", 1, "reason", reason)
		                        : json_object(),
		               "{\"on_hold\":true}", "{\"on_hold\":false}",
		               override ? reason : NULL, NULL);
	free(wos);
	free(wstr);
	free(strings);
}

/* :assign LOAD VEHICLE DRIVER */
void tui_act_assign(struct tui_console *s, const char *args)
{
	char buf[512], load_id[128] = "", veh[128] = "", drv[128] = "";
	snprintf(buf, sizeof(buf), "%s", args);
	if (sscanf(buf, "%127s %127s %127s", load_id, veh, drv) != 3) {
		tui_report(s, true,
		           "assign: :assign LOAD VEHICLE DRIVER (e.g. :assign L-1043 T-22 D-4)");
		return;
	}
	struct wb_load l;
	struct wb_vehicle v;
	struct wb_driver d;
	char *s1 = NULL, *s2 = NULL, *s3 = NULL;
	const char *missing = cache_get(s->cache, WB_ENT_LOAD, load_id, &l, &s1, NULL)  ? load_id
	                      : cache_get(s->cache, WB_ENT_VEHICLE, veh, &v, &s2, NULL) ? veh
	                      : cache_get(s->cache, WB_ENT_DRIVER, drv, &d, &s3, NULL)  ? drv
	                                                                                : NULL;
	char subject[160], before[300], after[300];
	if (missing) {
		tui_report(s, true, "assign: %.60s is not in the cache", missing);
	} else if (allowed(s, CORE_ACT_ASSIGN, "assign")) {
		snprintf(subject, sizeof(subject), "load:%s", load_id);
		snprintf(before, sizeof(before),
		         "{\"vehicle_id\":\"%.60s\",\"driver_id\":\"%.60s\"}",
		         l.vehicle_id ? l.vehicle_id : "", l.driver_id ? l.driver_id : "");
		snprintf(after, sizeof(after), "{\"vehicle_id\":\"%.60s\",\"driver_id\":\"%.60s\"}",
		         veh, drv);
		tui_act_record(s, l.meta.source, "assign_load", subject,
		               json_pack("{s:s,s:s}", "vehicle_id", veh, "driver_id", drv), before,
		               after, NULL, NULL);
	}
	free(s1);
	free(s2);
	free(s3);
}

/* :wo VEHICLE [FAULT]: opens a corrective work order at the source. */
void tui_act_work_order(struct tui_console *s, const char *args)
{
	char buf[512], veh[128] = "", fault[128] = "";
	snprintf(buf, sizeof(buf), "%s", args);
	int n = sscanf(buf, "%127s %127s", veh, fault);
	struct wb_vehicle v;
	char *strings = NULL;
	if (n < 1 || cache_get(s->cache, WB_ENT_VEHICLE, veh, &v, &strings, NULL) != 0) {
		tui_report(s, true, "wo: :wo VEHICLE [FAULT] with a vehicle in the cache");
		free(strings);
		return;
	}
	char subject[160];
	snprintf(subject, sizeof(subject), "vehicle:%s", veh);
	json_t *body = json_pack("{s:s,s:s}", "vehicle_id", veh, "category", "corrective");
	if (n == 2)
		json_object_set_new(body, "fault_id", json_string(fault));
	if (allowed(s, CORE_ACT_OPEN_WORK_ORDER, "wo"))
		tui_act_record(s, v.meta.source, "open_work_order", subject, body, NULL,
		               "{\"work_order\":\"proposed\"}", NULL, NULL);
	else
		json_decref(body);
	free(strings);
}

/* :release INV-...: the invoice release gate, then the action. */
void tui_act_release_invoice(struct tui_console *s, const struct wb_invoice *inv)
{
	if (!allowed(s, CORE_ACT_RELEASE_INVOICE, "release"))
		return;
	struct wb_load l;
	char *ls = NULL, *ps = NULL, *cs = NULL;
	void *pods = NULL, *charges = NULL;
	size_t npods = 0, ncharges = 0;
	struct wb_err err = {0};
	if (!inv->load_id || cache_get(s->cache, WB_ENT_LOAD, inv->load_id, &l, &ls, &err) != 0 ||
	    cache_list(s->cache, WB_ENT_POD, "load_id", inv->load_id, GATHER_MAX, &pods, &npods,
	               &ps, &err) ||
	    cache_list(s->cache, WB_ENT_CHARGE, "load_id", inv->load_id, GATHER_MAX, &charges,
	               &ncharges, &cs, &err)) {
		tui_report(s, true, "release %s: %s", inv->meta.id,
		           err.msg[0] ? err.msg : "its load is not in the cache");
		goto out;
	}
	struct core_invoice_input in = {.load = &l,
	                                .invoice = inv,
	                                .pods = pods,
	                                .npods = npods,
	                                .charges = charges,
	                                .ncharges = ncharges,
	                                .now = tui_now(s)};
	struct core_invoice_verdict vd;
	core_invoice_release(&in, NULL, &vd);
	if (vd.state != CORE_INVOICE_RELEASE) {
		tui_report(s, true, "release %s held: %s%s", inv->meta.id,
		           vd.why.n ? vd.why.r[0].msg : "not releasable",
		           vd.why.n > 1 ? " (and more: Enter shows the load)" : "");
		goto out;
	}
	char subject[160], before[96];
	snprintf(subject, sizeof(subject), "invoice:%s", inv->meta.id);
	snprintf(before, sizeof(before), "{\"status\":\"%.40s\"}", inv->status ? inv->status : "");
	tui_act_record(s, inv->meta.source, "release_invoice", subject, json_object(), before,
	               "{\"status\":\"released\"}", NULL, NULL);
out:
	free(pods);
	free(charges);
	free(ls);
	free(ps);
	free(cs);
}
