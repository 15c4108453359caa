/* Releasing a load from the console: the dispatch release gate ("release when
 * staged") decides with everything the cache knows about the load, its
 * vehicle, driver, staging and exceptions; every failing condition is named in
 * the status line. A supervisor may pass a failed gate with a reason
 * (`:release L-1042 override REASON`), which the audit row records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "internal.h"
#include "core/core.h"

#define GATHER_MAX 200 /* rows of one kind about one vehicle or load */

/* What the gate needs, read from the cache; owns every row and string. */
struct gate_facts {
	struct wb_load load;
	struct wb_vehicle vehicle;
	struct wb_driver driver;
	bool has_vehicle, has_driver;
	void *faults, *inspections, *work_orders, *staging, *exceptions;
	size_t nfaults, ninspections, nwork_orders, nstaging, nexceptions;
	char *strings[8];
	struct core_hold hold;
	struct core_readiness readiness;
	struct core_gate gate;
};

static void facts_free(struct gate_facts *g)
{
	free(g->faults);
	free(g->inspections);
	free(g->work_orders);
	free(g->staging);
	free(g->exceptions);
	for (size_t i = 0; i < sizeof(g->strings) / sizeof(g->strings[0]); i++)
		free(g->strings[i]);
}

static int gather(struct cache *c, const char *load_id, struct gate_facts *g, struct wb_err *err)
{
	memset(g, 0, sizeof(*g));
	int rc = cache_get(c, WB_ENT_LOAD, load_id, &g->load, &g->strings[0], err);
	if (rc != 0)
		return rc;
	if (g->load.vehicle_id) {
		const char *v = g->load.vehicle_id;
		g->has_vehicle =
		        cache_get(c, WB_ENT_VEHICLE, v, &g->vehicle, &g->strings[1], NULL) == 0;
		if ((rc = cache_list(c, WB_ENT_FAULT, "vehicle_id", v, GATHER_MAX, &g->faults,
		                     &g->nfaults, &g->strings[2], err)) ||
		    (rc = cache_list(c, WB_ENT_INSPECTION, "vehicle_id", v, GATHER_MAX,
		                     &g->inspections, &g->ninspections, &g->strings[3], err)) ||
		    (rc = cache_list(c, WB_ENT_WORK_ORDER, "vehicle_id", v, GATHER_MAX,
		                     &g->work_orders, &g->nwork_orders, &g->strings[4], err)))
			return rc;
	}
	if (g->load.driver_id)
		g->has_driver = cache_get(c, WB_ENT_DRIVER, g->load.driver_id, &g->driver,
		                          &g->strings[5], NULL) == 0;
	if ((rc = cache_list(c, WB_ENT_STAGING, "load_id", load_id, GATHER_MAX, &g->staging,
	                     &g->nstaging, &g->strings[6], err)) ||
	    (rc = cache_list(c, WB_ENT_EXCEPTION, "subject_id", load_id, GATHER_MAX, &g->exceptions,
	                     &g->nexceptions, &g->strings[7], err)))
		return rc;
	return 0;
}

static void decide(struct gate_facts *g)
{
	const struct wb_driver *driver = g->has_driver ? &g->driver : NULL;
	if (g->has_vehicle) {
		/* A hold placed at the source shows on the vehicle row. */
		if (g->vehicle.on_hold == 1)
			g->hold = (struct core_hold){.vehicle_id = g->vehicle.meta.id};
		struct core_readiness_input in = {.vehicle = &g->vehicle,
		                                  .faults = g->faults,
		                                  .nfaults = g->nfaults,
		                                  .inspections = g->inspections,
		                                  .ninspections = g->ninspections,
		                                  .work_orders = g->work_orders,
		                                  .nwork_orders = g->nwork_orders,
		                                  .holds =
		                                          g->vehicle.on_hold == 1 ? &g->hold : NULL,
		                                  .nholds = g->vehicle.on_hold == 1 ? 1 : 0,
		                                  .driver = driver,
		                                  .planned_drive_s = g->load.planned_drive_s};
		core_vehicle_readiness(&in, &g->readiness);
	}
	/* The newest staging row is the one the dock works to. */
	const struct wb_staging *st = NULL, *rows = g->staging;
	for (size_t i = 0; i < g->nstaging; i++)
		if (!st || rows[i].appointment_at > st->appointment_at)
			st = &rows[i];
	struct core_gate_input gi = {.load = &g->load,
	                             .vehicle = g->has_vehicle ? &g->readiness : NULL,
	                             .driver = driver,
	                             .staging = st,
	                             .exceptions = g->exceptions,
	                             .nexceptions = g->nexceptions,
	                             .stage_threshold = NAN};
	core_release_gate(&gi, NULL, &g->gate);
}

/* "pallets staged below threshold (12 of 20); labor not ready (+1 more)" */
static void reasons_line(const struct core_reasons *rs, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < rs->n && i < 2 && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "; " : "", rs->r[i].msg);
	size_t more = rs->n + rs->dropped > 2 ? rs->n + rs->dropped - 2 : 0;
	if (more && n < len)
		snprintf(buf + n, len - n, " (+%zu more: Enter shows the load)", more);
}

void tui_act_release(struct tui_console *s, const char *args)
{
	char buf[512], reasons[400];
	snprintf(buf, sizeof(buf), "%s", args);
	char *save = NULL, *id = strtok_r(buf, " ", &save);
	char *word = id ? strtok_r(NULL, " ", &save) : NULL;
	const char *reason = save && *save ? save : "";
	struct tui_table *t = tui_current(s);
	if (!id && !strcmp(t->view->board->name, "loads") && t->sel_id[0])
		id = t->sel_id;
	if (!id) {
		tui_report(s, true,
		           "release: which load? (select one on the Loads board or type :release "
		           "L-1042)");
		return;
	}
	struct wb_invoice inv;
	char *istr = NULL;
	if (cache_get(s->cache, WB_ENT_INVOICE, id, &inv, &istr, NULL) == 0) {
		tui_act_release_invoice(s, &inv);
		free(istr);
		return;
	}
	free(istr);
	bool override = word && !strcmp(word, "override");
	if (word && !override) {
		tui_report(s, true,
		           "release %s: to pass a failed gate type :release %s override REASON", id,
		           id);
		return;
	}
	struct core_permission p =
	        core_role_check((enum core_role)s->role, CORE_ACT_RELEASE_LOAD, NULL);
	if (s->role < 0 || !p.allowed) {
		tui_report(s, true, "release %s: %s", id,
		           s->role < 0 ? "read-only until a source says who you are" : p.why);
		return;
	}
	struct gate_facts g;
	struct wb_err err = {0};
	if (gather(s->cache, id, &g, &err) != 0) {
		tui_report(s, true, "release %s: %s", id, err.msg);
		facts_free(&g);
		return;
	}
	decide(&g);
	if (g.gate.state == CORE_GATE_FAIL && !override) {
		reasons_line(&g.gate.why, reasons, sizeof(reasons));
		tui_report(s, true, "release %s blocked: %s", id, reasons);
		facts_free(&g);
		return;
	}
	if (g.gate.state == CORE_GATE_FAIL &&
	    core_gate_override(&g.gate, (enum core_role)s->role, s->user, reason, &err) != 0) {
		tui_report(s, true, "release %s: override refused: %s", id, err.msg);
		facts_free(&g);
		return;
	}
	char subject[160], before[96], queued[200];
	bool overridden = g.gate.state == CORE_GATE_OVERRIDDEN;
	snprintf(subject, sizeof(subject), "load:%s", id);
	snprintf(before, sizeof(before), "{\"status\":\"%.40s\"}",
	         g.load.status ? g.load.status : "");
	snprintf(queued, sizeof(queued), "release %s: %s; pending until the TMS answers", id,
	         overridden ? "gate overridden, audited" : "gate passed");
	json_t *body = overridden ? json_pack("{s:s}", "override_reason", g.gate.override_reason)
	                          : json_object();
	tui_act_record(s, g.load.meta.source, "release_load", subject, body, before,
	               "{\"status\":\"released\"}", overridden ? g.gate.override_reason : NULL,
	               queued);
	facts_free(&g);
}
