/* Vehicles board: each unit's readiness verdict (held, limited, ready: the
 * workflow pass's core_vehicle_readiness, kept in the cache's readiness table)
 * with its first reason, its kind, status, fuel, when telematics last heard
 * from it and its serious (critical or major) active faults. The detail pane
 * lists every reason. */
#include <stdio.h>
#include <string.h>

#include "views/view.h"

/* The board's query: one row per live vehicle with its serious active faults
 * and the workflow pass's readiness verdict. readiness is the verdict's rank,
 * so that sorting by it puts held vehicles first, then limited, ready, and
 * last those not yet judged; ready_state is the verdict itself ("held",
 * "limited", "ready"; NULL until the workflow pass has judged the vehicle) and
 * readiness_reasons its reasons joined by "; ". */
/* clang-format off */
static const struct cache_board board = {
	.name = "vehicles",
	.from = "(SELECT v.id AS id, v.unit AS unit, v.kind AS kind, v.status AS status,"
		" v.depot AS depot, v.fuel_pct AS fuel_pct, v.odometer_m AS odometer_m,"
		" v.last_seen_ms AS last_seen_ms,"
		" (SELECT count(*) FROM fault f WHERE f.vehicle_id=v.id AND f.active=1"
		"   AND f.deleted=0 AND f.severity IN ('critical','major')) AS serious_faults,"
		" r.state AS ready_state, r.reasons AS readiness_reasons,"
		" CASE r.state WHEN 'held' THEN 0 WHEN 'limited' THEN 1 WHEN 'ready' THEN 2"
		" ELSE 3 END AS readiness, v.source AS source, v.synced_at AS synced_at"
		" FROM " CACHE_VEHICLE_FACTS " v LEFT JOIN readiness r ON r.vehicle_id=v.id WHERE v.deleted=0)",
	.cols = (const char *const[]){"id", "unit", "kind", "status", "depot", "fuel_pct",
		"odometer_m", "last_seen_ms", "serious_faults", "ready_state", "readiness_reasons",
		"readiness", "source", "synced_at", NULL},
	.search = (const char *const[]){"id", "unit", "depot", "readiness_reasons", NULL},
	.sorts = (const char *const[]){"unit", "readiness", "id", "status", "last_seen_ms",
		"fuel_pct", NULL},
	.status_col = "status",
};
/* clang-format on */

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
        .short_title = "Veh",
        .board = &board,
        .actions = (const char *const[]){"hold", NULL},
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .stale_after_s = 2 * 5, /* a row with no source: as telematics */
        .source_col = "source",
        .detail_kind = "vehicle",
};
