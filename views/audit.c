/* Audit board: who did what to which record, when, and why; newest first.
 * Rows are local and never stale. */
#include <stdio.h>

#include "views/view.h"

/* The board's query: the audit trail, its sequence number as the row id. */
/* clang-format off */
static const struct cache_board board = {
	.name = "audit",
	.from = "(SELECT seq AS id, seq, at, user, display_name, role, action, subject, reason"
	        " FROM audit)",
	.cols = (const char *const[]){"id", "seq", "at", "user", "display_name", "role", "action", "subject",
		"reason", NULL},
	.search = (const char *const[]){"user", "display_name", "action", "subject", NULL},
	.sorts = (const char *const[]){"seq", "at", NULL},
	.status_col = NULL,
};
/* clang-format on */

VIEW_TEXT_CELL(cell_seq, "id")
VIEW_TEXT_CELL(cell_role, "role")
VIEW_TEXT_CELL(cell_action, "action")
VIEW_TEXT_CELL(cell_subject, "subject")

static void cell_at(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_time(view_get(r, "at"), r->now, buf, len);
}

/* The person by the name the config gives (display_name), else, for rows
 * from before it was recorded, the source's identity; Enter shows both. */
static void cell_user(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "display_name");
	view_fmt_text(v->t == CV_TEXT ? v : view_get(r, "user"), buf, len);
}

static void cell_reason(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "reason");
	if (v->t == CV_NULL)
		snprintf(buf, len, "%s", "");
	else
		view_fmt_text(v, buf, len);
}

static const struct view_col cols[] = {
        {"SEQ", 5, VIEW_RIGHT, false, cell_seq},
        {"AT", 5, VIEW_LEFT, false, cell_at},
        {"WHO", 12, VIEW_LEFT, false, cell_user},
        {"ROLE", 10, VIEW_LEFT, false, cell_role},
        {"ACTION", 14, VIEW_LEFT, false, cell_action},
        {"SUBJECT", 14, VIEW_LEFT, false, cell_subject},
        {"REASON", 10, VIEW_LEFT, true, cell_reason},
};

const struct view_ops view_audit_ops = {
        .name = "audit",
        .title = "Audit",
        .board = &board,
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .desc = true,
        .detail_kind = "audit",
};
