/* Exceptions board: the queue a dispatcher or supervisor works through, with
 * each exception's confidence, money at stake, age, the role it needs and the
 * suggested action. A approve, R reject, E escalate and K acknowledge act on
 * the selected (or marked) exceptions through tui/act.c. One awaiting its
 * second supervisor (the two-person rule) shows STATUS "1 of 2" and NEEDS
 * "not" the first one. */
#include <stdio.h>

#include "views/view.h"

/* The board's query: one row per live exception. */
/* clang-format off */
static const struct cache_board board = {
	.name = "exceptions",
	.from = "(SELECT x.id AS id, x.kind AS kind, x.subject_id AS subject,"
		" x.confidence AS confidence, x.impact AS impact, x.detected_at AS detected_at,"
		" x.required_role AS required_role, x.suggested_action AS suggested_action,"
		" x.status AS status, x.origin AS origin, x.source AS source,"
		" x.synced_at AS synced_at,"
		/* the two-person rule: who approved an open one first (cache/approval.h) */
		" (SELECT p.user FROM pending_approval p WHERE p.exception_id=x.id"
		"  AND coalesce(x.status, 'open') IN ('open','acknowledged','escalated'))"
		" AS first_by FROM exception x WHERE x.deleted=0)",
	.cols = (const char *const[]){"id", "kind", "subject", "confidence", "impact",
		"detected_at", "required_role", "suggested_action", "status", "origin", "source",
		"synced_at", "first_by", NULL},
	.search = (const char *const[]){"id", "kind", "subject", NULL},
	.sorts = (const char *const[]){"detected_at", "id", "kind", "impact", "confidence", NULL},
	.status_col = "status",
};
/* clang-format on */

VIEW_TEXT_CELL(cell_kind, "kind")
VIEW_TEXT_CELL(cell_subject, "subject")
VIEW_TEXT_CELL(cell_suggested, "suggested_action")

/* The first supervisor of a decision awaiting its second one, or NULL. */
static const char *first_by(const struct view_row *r)
{
	const struct cache_value *v = view_get(r, "first_by");
	return v->t == CV_TEXT && v->s && *v->s ? v->s : NULL;
}

/* Awaiting a second supervisor: the one it needs is anyone but the first. */
static void cell_needs(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const char *first = first_by(r);
	if (first) {
		snprintf(buf, len, "not %s", first);
		*slot = VIEW_S_warn;
	} else {
		view_fmt_text(view_get(r, "required_role"), buf, len);
	}
}

/* "1 of 2": one of the two supervisors the two-person rule asks for approved. */
static void cell_status(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	if (first_by(r)) {
		snprintf(buf, len, "1 of 2");
		*slot = VIEW_S_warn;
	} else {
		view_fmt_text(view_get(r, "status"), buf, len);
	}
}

static void cell_conf(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "confidence");
	if (v->t == CV_REAL)
		snprintf(buf, len, "%.2f", v->d);
	else
		view_fmt_int(v, buf, len);
}

static void cell_stake(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_money(view_get(r, "impact"), r->utf8, buf, len);
}

static void cell_age(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int64_t at = view_int(view_get(r, "detected_at"), 0);
	if (at <= 0)
		snprintf(buf, len, "--");
	else
		view_fmt_age(r->now - at, buf, len);
}

static const struct view_col cols[] = {
        {"KIND", 15, VIEW_LEFT, false, cell_kind},
        {"SUBJECT", 8, VIEW_LEFT, false, cell_subject},
        {"CONF", 4, VIEW_RIGHT, false, cell_conf},
        {"AT STAKE", 8, VIEW_RIGHT, false, cell_stake},
        {"AGE", 4, VIEW_RIGHT, false, cell_age},
        {"NEEDS", 10, VIEW_LEFT, false, cell_needs},
        {"STATUS", 8, VIEW_LEFT, false, cell_status},
        {"SUGGESTED", 12, VIEW_LEFT, true, cell_suggested},
};

const struct view_ops view_exceptions_ops = {
        .name = "exceptions",
        .title = "Exceptions",
        .board = &board,
        .actions = (const char *const[]){"approve", "reject", "escalate", "ack", NULL},
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .desc = true,            /* newest first */
        .stale_after_s = 2 * 60, /* a row with no source: as the ERP */
        .source_col = "source",  /* the TMS's queue, the ERP's AI flags, local detectors */
        .detail_kind = "exception",
        .count_status = "open",
};
