/* Vehicles board: each unit's readiness verdict (held, limited, ready: the
 * workflow pass's core_vehicle_readiness, kept in the cache's readiness table)
 * with its first reason, its kind, status, fuel, when telematics last heard
 * from it and its serious (critical or major) active faults. The detail pane
 * lists every reason. */
#include <stdio.h>
#include <string.h>

#include "views/view.h"

VIEW_TEXT_CELL(cell_unit, "unit")
VIEW_TEXT_CELL(cell_kind, "kind")
VIEW_TEXT_CELL(cell_status, "status")

/* "--" until the workflow pass has judged the vehicle. */
static void cell_ready(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "ready_state");
	view_fmt_text(v, buf, len);
	if (v->t != CV_TEXT)
		return;
	if (!strcmp(v->s, "held"))
		*slot = VIEW_S_hold;
	else if (!strcmp(v->s, "limited"))
		*slot = VIEW_S_warn;
	else if (!strcmp(v->s, "ready"))
		*slot = VIEW_S_ok;
}

/* The first of the reasons (joined by "; "); the detail pane has them all. */
static void cell_reason(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "readiness_reasons");
	if (v->t != CV_TEXT) {
		snprintf(buf, len, "%s", "");
		return;
	}
	const char *sep = strstr(v->s, "; ");
	int n = sep ? (int)(sep - v->s) : (int)strlen(v->s);
	snprintf(buf, len, "%.*s", n, v->s);
}

static void cell_fuel(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "fuel_pct");
	view_fmt_pct(v, buf, len);
	if (view_int(v, 100) < 15)
		*slot = VIEW_S_warn;
}

static void cell_seen(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
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

static void cell_faults(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int64_t n = view_int(view_get(r, "serious_faults"), 0);
	if (n > 0) {
		snprintf(buf, len, "%d%s", (int)n, r->utf8 ? " \u26a0" : " !");
		*slot = VIEW_S_hold;
	} else {
		snprintf(buf, len, "0");
	}
}

/* The depot is in the header and the odometer in the detail pane: the room
 * goes to the reason. */
static const struct view_col cols[] = {
        {"UNIT", 7, VIEW_LEFT, false, cell_unit},
        {"READY", 7, VIEW_LEFT, false, cell_ready},
        {"REASON", 10, VIEW_LEFT, true, cell_reason},
        {"KIND", 7, VIEW_LEFT, false, cell_kind},
        {"STATUS", 10, VIEW_LEFT, false, cell_status},
        {"FUEL", 4, VIEW_RIGHT, false, cell_fuel},
        {"LAST SEEN", 9, VIEW_RIGHT, false, cell_seen},
        {"FAULTS", 6, VIEW_RIGHT, false, cell_faults},
};

const struct view_ops view_vehicles_ops = {
        .name = "vehicles",
        .title = "Vehicles",
        .board = &cache_board_vehicles,
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .stale_after_s = 2 * 5, /* a row with no source: as telematics */
        .source_col = "source",
        .detail_kind = "vehicle",
        .hints = "Enter detail  h hold  / filter  s sort  : command  ? help  q quit",
};
