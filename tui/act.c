/* The console's actions on exceptions (acknowledge, approve, reject,
 * escalate), on the selected row, the marked rows or the ids typed after the
 * command. Each asks core/ whether this user's role may act, so a refusal
 * names its reason before anything is sent; then the action is recorded with
 * its outbox and audit rows (cache_action_record) and shows as pending until
 * the source answers through sync. Exceptions raised by Waybill's own
 * detectors have no source to ask: their decision is recorded here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "core/core.h"

struct verb {
	const char *word;     /* what the user types */
	enum core_action act; /* what core/ checks */
	const char *action;   /* the outbox action the source knows */
	const char *status;   /* the exception's status once it is done */
};

static const struct verb verbs[] = {
        {"ack", CORE_ACT_ACK_EXCEPTION, "acknowledge_exception", "acknowledged"},
        {"acknowledge", CORE_ACT_ACK_EXCEPTION, "acknowledge_exception", "acknowledged"},
        {"approve", CORE_ACT_APPROVE_EXCEPTION, "approve_exception", "approved"},
        {"reject", CORE_ACT_REJECT_EXCEPTION, "reject_exception", "rejected"},
        {"escalate", CORE_ACT_ESCALATE_EXCEPTION, "escalate_exception", "escalated"},
};

static const struct verb *find_verb(const char *word)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].word, word))
			return &verbs[i];
	return NULL;
}

bool tui_act_handles(const char *word)
{
	return find_verb(word) != NULL;
}

struct tally {
	int done, refused;
	char first_refusal[200];
};

static void refuse(struct tally *t, const char *id, const char *why)
{
	if (!t->refused++)
		snprintf(t->first_refusal, sizeof(t->first_refusal), "%.60s: %.120s", id, why);
}

/* A decision on one of Waybill's own exceptions: its new status and the audit
 * row, in one transaction. */
static int decide_local(struct tui_console *s, struct wb_exception *x, const struct verb *v,
                        const char *role, struct wb_err *err)
{
	char before[96], after[96];
	snprintf(before, sizeof(before), "{\"status\":\"%s\"}", x->status ? x->status : "open");
	snprintf(after, sizeof(after), "{\"status\":\"%s\"}", v->status);
	char subject[160];
	snprintf(subject, sizeof(subject), "exception:%s", x->meta.id);
	int rc = cache_begin(s->cache, err);
	if (rc != 0)
		return rc;
	x->status = v->status;
	x->meta.ext_version++;
	if (strcmp(v->status, "acknowledged") && strcmp(v->status, "escalated"))
		x->resolved_at = tui_now(s);
	struct audit_entry e = {.user = s->user,
	                        .role = role,
	                        .action = v->action,
	                        .subject = subject,
	                        .before = before,
	                        .after = after,
	                        .at = tui_now(s)};
	rc = cache_upsert(s->cache, WB_ENT_EXCEPTION, x, 1, NULL, err);
	if (rc == 0)
		rc = audit_append(s->cache, &e, NULL, err);
	if (rc == 0)
		return cache_commit(s->cache, err);
	cache_rollback(s->cache);
	return rc;
}

static void act_one(struct tui_console *s, const struct verb *v, const char *id, struct tally *t)
{
	struct wb_exception x;
	char *strings = NULL;
	struct wb_err err = {0};
	if (cache_get(s->cache, WB_ENT_EXCEPTION, id, &x, &strings, &err) != 0) {
		refuse(t, id, err.code == WB_ENOTFOUND ? "not an exception in the cache" : err.msg);
		return;
	}
	const char *role = core_role_name((enum core_role)s->role);
	struct core_permission p = core_role_check((enum core_role)s->role, v->act, &x);
	char subject[160], pending[48], payload[64];
	snprintf(subject, sizeof(subject), "exception:%s", id);
	if (x.meta.deleted) {
		refuse(t, id, "gone at the source");
	} else if (!p.allowed) {
		refuse(t, id, p.why);
	} else if (x.status && strcmp(x.status, "open") && strcmp(x.status, "acknowledged") &&
	           strcmp(x.status, "escalated")) {
		char why[80];
		snprintf(why, sizeof(why), "already %.40s", x.status);
		refuse(t, id, why);
	} else if (cache_action_pending(s->cache, subject, pending, sizeof(pending), NULL) == 0) {
		char why[96];
		snprintf(why, sizeof(why), "%.48s still waiting for the source", pending);
		refuse(t, id, why);
	} else if (x.origin && !strcmp(x.origin, "local")) {
		if (decide_local(s, &x, v, role, &err) != 0)
			refuse(t, id, err.msg);
		else
			t->done++;
	} else {
		char before[96], after[96];
		snprintf(before, sizeof(before), "{\"status\":\"%s\"}",
		         x.status ? x.status : "open");
		snprintf(after, sizeof(after), "{\"status\":\"%s\"}", v->status);
		snprintf(payload, sizeof(payload), "{}");
		struct cache_action a = {.source = x.meta.source,
		                         .action = v->action,
		                         .subject = subject,
		                         .payload = payload,
		                         .user = s->user,
		                         .role = role,
		                         .before = before,
		                         .after = after,
		                         .at = tui_now(s)};
		char key[40];
		if (cache_action_record(s->cache, &a, key, NULL, &err) != 0)
			refuse(t, id, err.msg);
		else
			t->done++;
	}
	free(strings);
}

void tui_act(struct tui_console *s, const char *word, const char *args)
{
	const struct verb *v = find_verb(word);
	struct tui_table *t = tui_current(s);
	if (!v)
		return;
	if (s->role < 0) {
		tui_report(s, true,
		           "%s: read-only until a source says who you are (no config, or /v1/me "
		           "not answered)",
		           word);
		return;
	}
	if (s->role == CORE_ROLE_VIEWER) {
		tui_report(s, true, "%s: viewer is read-only", word);
		return;
	}
	struct tally tally = {0};
	int n = 0;
	if (*args) {
		char buf[512];
		snprintf(buf, sizeof(buf), "%s", args);
		for (char *save = NULL, *id = strtok_r(buf, " ", &save); id;
		     id = strtok_r(NULL, " ", &save)) {
			act_one(s, v, id, &tally);
			n++;
		}
	} else if (t->nmarks) {
		for (int i = 0; i < t->nmarks; i++, n++)
			act_one(s, v, t->marks[i], &tally);
	} else if (t->sel_id[0]) {
		act_one(s, v, t->sel_id, &tally);
		n = 1;
	} else {
		tui_report(s, true, "%s: no row selected", word);
		return;
	}
	if (n == 1 && tally.done)
		tui_report(s, false, "%s: queued; pending until the source answers", v->action);
	else if (n == 1)
		tui_report(s, true, "%s %s", word, tally.first_refusal);
	else
		tui_report(s, tally.refused > 0, "%s: %d of %d queued%s%s", word, tally.done, n,
		           tally.refused ? "; refused " : "",
		           tally.refused ? tally.first_refusal : "");
	s->data_stale = true;
	tui_request_redraw(s);
}
