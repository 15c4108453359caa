/* The console's actions on exceptions (acknowledge, approve, reject,
 * escalate), on the selected row, the marked rows or the ids typed after the
 * command. app/ decides (role, state, pending action, a local exception
 * decided here) and records; this file words the result in the status line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "app/app.h"
#include "core/core.h"

bool tui_act_handles(const char *word)
{
	return app_decision_from_word(word) >= 0;
}

void tui_act_ctx(struct tui_console *s, struct app_ctx *x)
{
	*x = (struct app_ctx){.cache = s->cache,
	                      .settings = s->opts ? s->opts->config : NULL,
	                      .actor = {.user = s->user, .role = s->role},
	                      .now = tui_now(s)};
}

void tui_act_report(struct tui_console *s, const char *word, const struct app_result *r,
                    const char *queued)
{
	if (r->outcome == APP_AWAITING) {
		tui_report(s, false, "%s %s: %s", r->action, r->subject,
		           r->nwhy ? r->why[0] : "awaiting a second supervisor");
		s->data_stale = true;
		tui_request_redraw(s);
		return;
	}
	if (r->outcome == APP_QUEUED || r->outcome == APP_DONE) {
		if (queued)
			tui_report(s, false, "%s", queued);
		else
			tui_report(s, false, "%s %s: queued; pending until the source answers",
			           r->action, r->subject);
		s->data_stale = true;
		tui_request_redraw(s);
		return;
	}
	const char *why = r->nwhy ? r->why[0] : "refused";
	if (r->refusal == APP_R_ROLE)
		tui_report(s, true, "%s: %s", word, why);
	else if (r->refusal == APP_R_PENDING)
		tui_report(s, true, "%s %s: %s", r->action, r->subject, why);
	else
		tui_report(s, true, "%s %s: %s", word, r->id, why);
}

struct tally {
	int done, awaiting, refused;
	char first_refusal[200], first_awaiting[200];
};

static void act_one(struct tui_console *s, enum app_decision d, const char *id, struct tally *t)
{
	struct app_ctx x;
	struct app_result r;
	tui_act_ctx(s, &x);
	app_decide(&x, d, id, NULL, &r);
	if (r.outcome == APP_QUEUED || r.outcome == APP_DONE)
		t->done++;
	else if (r.outcome == APP_AWAITING) {
		if (!t->awaiting++)
			snprintf(t->first_awaiting, sizeof(t->first_awaiting), "%.60s: %.120s", id,
			         r.nwhy ? r.why[0] : "awaiting a second supervisor");
	} else if (!t->refused++)
		snprintf(t->first_refusal, sizeof(t->first_refusal), "%.60s: %.120s", id,
		         r.nwhy ? r.why[0] : "refused");
}

void tui_act(struct tui_console *s, const char *word, const char *args)
{
	int d = app_decision_from_word(word);
	struct tui_table *t = tui_current(s);
	if (d < 0)
		return;
	char why[160];
	/* Refused as a whole, before any row, when the role may decide none. */
	if (!app_allowed(s->role, CORE_ACT_ACK_EXCEPTION, NULL, why, sizeof(why))) {
		tui_report(s, true, "%s: %s%s", word, why,
		           s->role < 0 ? " (no config, or /v1/me not answered)" : "");
		return;
	}
	struct tally tally = {0};
	int n = 0;
	if (*args) {
		char buf[512];
		snprintf(buf, sizeof(buf), "%s", args);
		for (char *save = NULL, *id = strtok_r(buf, " ", &save); id;
		     id = strtok_r(NULL, " ", &save)) {
			act_one(s, (enum app_decision)d, id, &tally);
			n++;
		}
	} else if (t->nmarks) {
		for (int i = 0; i < t->nmarks; i++, n++)
			act_one(s, (enum app_decision)d, t->marks[i], &tally);
	} else if (t->sel_id[0]) {
		act_one(s, (enum app_decision)d, t->sel_id, &tally);
		n = 1;
	} else {
		tui_report(s, true, "%s: no row selected", word);
		return;
	}
	const char *action = app_decision_action((enum app_decision)d);
	if (n == 1 && tally.done)
		tui_report(s, false, "%s: queued; pending until the source answers", action);
	else if (n == 1 && tally.awaiting)
		tui_report(s, false, "%s %s", word, tally.first_awaiting);
	else if (n == 1)
		tui_report(s, true, "%s %s", word, tally.first_refusal);
	else if (tally.awaiting)
		tui_report(s, tally.refused > 0,
		           "%s: %d of %d queued, %d awaiting a second supervisor%s%s", word,
		           tally.done, n, tally.awaiting, tally.refused ? "; refused " : "",
		           tally.refused ? tally.first_refusal : "");
	else
		tui_report(s, tally.refused > 0, "%s: %d of %d queued%s%s", word, tally.done, n,
		           tally.refused ? "; refused " : "",
		           tally.refused ? tally.first_refusal : "");
	s->data_stale = true;
	tui_request_redraw(s);
}
