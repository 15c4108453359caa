/* Staging board: dock doors and what is staged at them for which load. */
#include <stdio.h>

#include "views/view.h"

/* The board's query: one row per live staging record with its load. */
/* clang-format off */
static const struct cache_board board = {
	.name = "staging",
	.from = "(SELECT s.id AS id, s.dock_door AS door, s.load_id AS load_id,"
		" l.status AS load_status, c.name AS customer, s.pallets_staged AS pallets_staged,"
		" s.pallets_total AS pallets_total, CASE WHEN s.pallets_total>0"
		" THEN s.pallets_staged*100/s.pallets_total END AS stage_pct,"
		" s.labor_ready AS labor_ready, s.status AS status,"
		" s.appointment_at AS appointment_at, s.source AS source, s.synced_at AS synced_at"
		" FROM staging s LEFT JOIN load l ON l.id=s.load_id"
		" LEFT JOIN orders o ON o.id=l.order_id LEFT JOIN customer c ON c.id=o.customer_id"
		" WHERE s.deleted=0)",
	.cols = (const char *const[]){"id", "door", "load_id", "load_status", "customer",
		"pallets_staged", "pallets_total", "stage_pct", "labor_ready", "status",
		"appointment_at", "source", "synced_at", NULL},
	.search = (const char *const[]){"id", "door", "load_id", "customer", NULL},
	.sorts = (const char *const[]){"appointment_at", "door", "stage_pct", "id", NULL},
	.status_col = "status",
};
/* clang-format on */

VIEW_TEXT_CELL(cell_door, "door")
VIEW_TEXT_CELL(cell_load, "load_id")
VIEW_TEXT_CELL(cell_load_status, "load_status")
VIEW_TEXT_CELL(cell_customer, "customer")
VIEW_TEXT_CELL(cell_status, "status")

static void cell_pallets(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int64_t s = view_int(view_get(r, "pallets_staged"), -1);
	int64_t t = view_int(view_get(r, "pallets_total"), -1);
	if (s < 0 || t < 0)
		snprintf(buf, len, "--");
	else
		snprintf(buf, len, "%d/%d", (int)s, (int)t);
}

static void cell_pct(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "stage_pct");
	view_fmt_pct(v, buf, len);
	if (view_int(v, 0) >= 100)
		*slot = VIEW_S_ok;
}

static void cell_labor(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int64_t v = view_int(view_get(r, "labor_ready"), -1);
	snprintf(buf, len, "%s", v < 0 ? "--" : v ? "yes" : "no");
	if (v == 0)
		*slot = VIEW_S_warn;
}

static void cell_appt(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_time(view_get(r, "appointment_at"), r->now, buf, len);
}

static const struct view_col cols[] = {
        {"DOOR", 5, VIEW_LEFT, false, cell_door},
        {"APPT", 5, VIEW_LEFT, false, cell_appt},
        {"LOAD", 8, VIEW_LEFT, false, cell_load},
        {"LOAD STATUS", 11, VIEW_LEFT, false, cell_load_status},
        {"CUSTOMER", 14, VIEW_LEFT, true, cell_customer},
        {"PALLETS", 7, VIEW_RIGHT, false, cell_pallets},
        {"STAGE", 5, VIEW_RIGHT, false, cell_pct},
        {"LABOR", 5, VIEW_LEFT, false, cell_labor},
        {"STATUS", 10, VIEW_LEFT, false, cell_status},
};

const struct view_ops view_staging_ops = {
        .name = "staging",
        .title = "Staging",
        .short_title = "Stage",
        .board = &board,
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .stale_after_s = 2 * 5, /* a row with no source: as the TMS */
        .source_col = "source",
        .detail_kind = "staging",
};
