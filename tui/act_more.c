/* The console's other actions: hold and clear a vehicle's hold, assign a
 * load's vehicle and driver, open a work order, hold an invoice. app/ checks
 * the role, judges and records; this file parses what was typed or selected
 * and words the result; the source's answer comes back by sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "app/app.h"

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
	struct app_ctx x;
	struct app_result r;
	tui_act_ctx(s, &x);
	app_hold(&x, id, reason, &r);
	if (r.refusal == APP_R_INPUT)
		tui_report(s, true, "hold %s: say why (:hold %s REASON)", r.id, r.id);
	else if (r.refusal == APP_R_NOTFOUND)
		tui_report(s, true, "hold %.60s: no such vehicle or invoice in the cache", id);
	else
		tui_act_report(s, "hold", &r, NULL);
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
	if (!id) {
		tui_report(s, true, "unhold: which vehicle? (:unhold T-17)");
		return;
	}
	bool override = word && !strcmp(word, "override");
	struct app_ctx x;
	struct app_result r;
	tui_act_ctx(s, &x);
	app_unhold(&x, id, override, reason, &r);
	if (r.refusal == APP_R_NOTFOUND)
		tui_report(s, true, "unhold: which vehicle? (:unhold T-17)");
	else if (r.refusal == APP_R_STATE && strstr(r.why[0], "work order"))
		tui_report(s, true, "unhold %s: %.80s (:unhold %s override REASON)", r.id, r.why[0],
		           r.id);
	else
		tui_act_report(s, "unhold", &r, NULL);
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
	struct app_ctx x;
	struct app_result r;
	tui_act_ctx(s, &x);
	app_assign(&x, load_id, veh, drv, &r);
	if (r.refusal == APP_R_NOTFOUND)
		tui_report(s, true, "assign: %s", r.why[0]);
	else
		tui_act_report(s, "assign", &r, NULL);
}

/* :wo VEHICLE [FAULT]: opens a corrective work order at the source. */
void tui_act_work_order(struct tui_console *s, const char *args)
{
	char buf[512], veh[128] = "", fault[128] = "";
	snprintf(buf, sizeof(buf), "%s", args);
	int n = sscanf(buf, "%127s %127s", veh, fault);
	if (n < 1) {
		tui_report(s, true, "wo: :wo VEHICLE [FAULT] with a vehicle in the cache");
		return;
	}
	struct app_ctx x;
	struct app_result r;
	tui_act_ctx(s, &x);
	app_work_order(&x, veh, n == 2 ? fault : NULL, &r);
	if (r.refusal == APP_R_NOTFOUND)
		tui_report(s, true, "wo: :wo VEHICLE [FAULT] with a vehicle in the cache");
	else
		tui_act_report(s, "wo", &r, NULL);
}
