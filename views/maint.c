/* Maintenance board: active faults and open work orders, most severe first. */
#include <stdio.h>
#include <string.h>

#include "views/view.h"

/* The board's query: active faults and open work orders in one list; rank
 * orders them by severity (critical first). */
/* clang-format off */
#define RANK(col) \
	" CASE " col " WHEN 'critical' THEN 0 WHEN 'major' THEN 1" \
	" WHEN 'minor' THEN 2 WHEN 'info' THEN 3 ELSE 4 END"

static const struct cache_board board = {
	.name = "maint",
	.from = "(SELECT f.id AS id, 'fault' AS what, v.unit AS unit, f.code AS code,"
		" f.severity AS severity," RANK("f.severity") " AS rank, 'active' AS status,"
		" f.description AS description, f.first_seen AS since, NULL AS due_at,"
		" f.source AS source, f.synced_at AS synced_at"
		" FROM fault f LEFT JOIN vehicle v ON v.id=f.vehicle_id"
		" WHERE f.active=1 AND f.deleted=0"
		" UNION ALL SELECT w.id, 'work order', v.unit, w.category, f.severity,"
		RANK("f.severity") ", w.status, coalesce(f.description, w.category), w.opened_at,"
		" w.due_at, w.source, w.synced_at FROM work_order w"
		" LEFT JOIN vehicle v ON v.id=w.vehicle_id LEFT JOIN fault f ON f.id=w.fault_id"
		" WHERE w.deleted=0 AND w.status<>'closed')",
	.cols = (const char *const[]){"id", "what", "unit", "code", "severity", "rank", "status",
		"description", "since", "due_at", "source", "synced_at", NULL},
	.search = (const char *const[]){"id", "unit", "code", "description", NULL},
	.sorts = (const char *const[]){"rank", "unit", "since", "due_at", "id", NULL},
	.status_col = "status",
};
/* clang-format on */

VIEW_TEXT_CELL(cell_id, "id")
VIEW_TEXT_CELL(cell_what, "what")
VIEW_TEXT_CELL(cell_unit, "unit")
VIEW_TEXT_CELL(cell_code, "code")
VIEW_TEXT_CELL(cell_status, "status")
VIEW_TEXT_CELL(cell_desc, "description")

static void cell_sev(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "severity");
	view_fmt_text(v, buf, len);
	if (v->t == CV_TEXT && !strcmp(v->s, "critical"))
		*slot = VIEW_S_hold;
	else if (v->t == CV_TEXT && !strcmp(v->s, "major"))
		*slot = VIEW_S_warn;
}

static void cell_since(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_time(view_get(r, "since"), r->now, buf, len);
}

static void cell_due(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "due_at");
	view_fmt_time(v, r->now, buf, len);
	if (view_int(v, 0) > 0 && view_int(v, 0) < r->now)
		*slot = VIEW_S_late;
}

static const struct view_col cols[] = {
        {"SEVERITY", 8, VIEW_LEFT, false, cell_sev},
        {"WHAT", 10, VIEW_LEFT, false, cell_what},
        {"ID", 5, VIEW_LEFT, false, cell_id},
        {"UNIT", 5, VIEW_LEFT, false, cell_unit},
        {"CODE", 12, VIEW_LEFT, false, cell_code},
        {"STATUS", 8, VIEW_LEFT, false, cell_status},
        {"SINCE", 5, VIEW_LEFT, false, cell_since},
        {"DUE", 5, VIEW_LEFT, false, cell_due},
        {"DESCRIPTION", 8, VIEW_LEFT, true, cell_desc},
};

const struct view_ops view_maint_ops = {
        .name = "maint",
        .title = "Maint",
        .board = &board,
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .stale_after_s = 2 * 5, /* a row with no source: as the telematics */
        .source_col = "source", /* faults from telematics, work orders from the ERP or local */
        .detail_kind = "maint",
};
