/* Vehicles board: each unit's kind, status, fuel, odometer, when telematics
 * last heard from it and its serious (critical or major) active faults.
 * A readiness column comes from core/ with the workflow engine. */
#include <stdio.h>

#include "waybill/view.h"

VIEW_TEXT_CELL(cell_unit, "unit")
VIEW_TEXT_CELL(cell_kind, "kind")
VIEW_TEXT_CELL(cell_status, "status")
VIEW_TEXT_CELL(cell_depot, "depot")

static void cell_fuel(const struct view_row *r, char *buf, size_t len, enum tui_slot *slot)
{
	const struct cache_value *v = view_get(r, "fuel_pct");
	view_fmt_pct(v, buf, len);
	if (view_int(v, 100) < 15)
		*slot = TUI_S_warn;
}

static void cell_odo(const struct view_row *r, char *buf, size_t len, enum tui_slot *slot)
{
	view_fmt_km(view_get(r, "odometer_m"), buf, len);
}

static void cell_seen(const struct view_row *r, char *buf, size_t len, enum tui_slot *slot)
{
	int64_t ms = view_int(view_get(r, "last_seen_ms"), 0);
	if (ms <= 0) {
		snprintf(buf, len, "--");
		return;
	}
	char age[16];
	view_fmt_age(r->now - ms / 1000, age, sizeof(age));
	snprintf(buf, len, "%s ago", age);
}

static void cell_faults(const struct view_row *r, char *buf, size_t len, enum tui_slot *slot)
{
	int64_t n = view_int(view_get(r, "serious_faults"), 0);
	if (n > 0) {
		snprintf(buf, len, "%d%s", (int)n, r->utf8 ? " \u26a0" : " !");
		*slot = TUI_S_hold;
	} else {
		snprintf(buf, len, "0");
	}
}

static const struct view_col cols[] = {
	{"UNIT", 8, VIEW_LEFT, false, cell_unit},
	{"KIND", 8, VIEW_LEFT, false, cell_kind},
	{"STATUS", 14, VIEW_LEFT, false, cell_status},
	{"DEPOT", 12, VIEW_LEFT, true, cell_depot},
	{"FUEL", 5, VIEW_RIGHT, false, cell_fuel},
	{"ODOMETER", 10, VIEW_RIGHT, false, cell_odo},
	{"LAST SEEN", 9, VIEW_RIGHT, false, cell_seen},
	{"FAULTS", 6, VIEW_RIGHT, false, cell_faults},
};

const struct view_ops view_vehicles_ops = {
	.name = "vehicles",
	.title = "Vehicles",
	.board = &cache_board_vehicles,
	.cols = cols,
	.ncols = (int)(sizeof(cols) / sizeof(cols[0])),
	.stale_after_s = 2 * 5, /* telematics reports every 5 s */
	.detail_kind = "vehicle",
	.hints = "Enter detail  h hold  / filter  s sort  : command  ? help  q quit",
};
