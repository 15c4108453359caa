/* Releasing from the console: `:release [ID [override REASON]]`, or r on the
 * selected row of the Loads or the Billing board. app/ decides
 * (a load through the dispatch release gate with the configured policy, an
 * invoice through the invoice gate with the configured tolerance); every
 * failing condition is named in the status line, the first two with a count
 * of the rest. A supervisor may pass a failed load gate with a reason, which
 * the audit row records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "app/app.h"

/* "pallets staged below threshold (12 of 20); labor not ready (+1 more)" */
static void reasons_line(const struct app_result *r, size_t from, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = from; i < r->nwhy && i < from + 2 && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i > from ? "; " : "", r->why[i]);
	size_t total = r->nwhy - from + r->more;
	if (total > 2 && n < len)
		snprintf(buf + n, len - n, " (+%zu more: Enter shows the load)", total - 2);
}

void tui_act_release(struct tui_console *s, const char *args)
{
	char buf[512], reasons[600];
	snprintf(buf, sizeof(buf), "%s", args);
	char *save = NULL, *id = strtok_r(buf, " ", &save);
	char *word = id ? strtok_r(NULL, " ", &save) : NULL;
	const char *reason = save && *save ? save : "";
	struct tui_table *t = tui_current(s);
	/* The selected load, or the selected invoice on the Billing board. */
	if (!id && view_has_action(t->view, "release") && t->sel_id[0])
		id = t->sel_id;
	if (!id) {
		tui_report(s, true,
		           "release: which load or invoice? (select one on the Loads or Billing "
		           "board, or type :release L-1042)");
		return;
	}
	bool override = word && !strcmp(word, "override");
	struct app_ctx x;
	struct app_result *r = malloc(sizeof(*r));
	if (!r) {
		tui_report(s, true, "release %s: out of memory", id);
		return;
	}
	tui_act_ctx(s, &x);
	char iid[APP_ID];
	snprintf(iid, sizeof(iid), "%s", id);
	struct wb_invoice inv;
	char *istr = NULL;
	bool invoice = cache_get(s->cache, WB_ENT_INVOICE, id, &inv, &istr, NULL) == 0;
	free(istr);
	if (word && !override && !invoice) {
		tui_report(s, true,
		           "release %s: to pass a failed gate type :release %s override REASON", id,
		           id);
		free(r);
		return;
	}
	app_release(&x, iid, override ? reason : NULL, r);
	if (r->outcome == APP_QUEUED && !invoice) {
		char queued[300];
		snprintf(queued, sizeof(queued), "release %s: %s; pending until the TMS answers",
		         iid, r->overridden ? "gate overridden, audited" : "gate passed");
		tui_act_report(s, "release", r, queued);
	} else if (r->refusal == APP_R_PENDING || r->outcome == APP_QUEUED) {
		tui_act_report(s, "release", r, NULL);
	} else if (r->refusal == APP_R_GATE && invoice) {
		tui_report(s, true, "release %s held: %s%s", iid, r->why[0],
		           r->nwhy + r->more > 1 ? " (and more: Enter shows the load)" : "");
	} else if (r->refusal == APP_R_GATE) {
		reasons_line(r, 0, reasons, sizeof(reasons));
		tui_report(s, true, "release %s blocked: %s", iid, reasons);
	} else {
		tui_report(s, true, "release %s: %s", iid, r->nwhy ? r->why[0] : "refused");
	}
	free(r);
}
