/* The board queries the console reads through cache_window(): which view,
 * which columns, what the free-text filter searches and what may be sorted. */
#include <stddef.h>

#include "waybill/cache.h"

const struct cache_board cache_board_loads = {
	.name = "loads",
	.from = "load_board",
	.cols = (const char *const[]){"id", "number", "status", "customer", "vehicle", "driver",
				      "door", "stage_pct", "eta", "window_start", "window_end",
				      "priority", "source", "synced_at", NULL},
	.search = (const char *const[]){"id", "number", "customer", "vehicle", "driver", "door",
					NULL},
	.sorts = (const char *const[]){"eta", "id", "status", "planned_departure", "priority",
				       "customer", NULL},
	.status_col = "status",
	/* Counting the joined view scans 100,000 loads in ~150 ms; the table, 20 ms. */
	.count_from = "(SELECT id, status FROM load WHERE deleted=0)",
};

const struct cache_board cache_board_vehicles = {
	.name = "vehicles",
	.from = "vehicle_board",
	.cols = (const char *const[]){"id", "unit", "kind", "status", "depot", "fuel_pct",
				      "odometer_m", "last_seen_ms", "serious_faults", "source",
				      "synced_at", NULL},
	.search = (const char *const[]){"id", "unit", "depot", NULL},
	.sorts = (const char *const[]){"unit", "id", "status", "last_seen_ms", "fuel_pct", NULL},
	.status_col = "status",
};

const struct cache_board cache_board_exceptions = {
	.name = "exceptions",
	.from = "exception_board",
	.cols = (const char *const[]){"id", "kind", "subject", "confidence", "impact",
				      "detected_at", "required_role", "suggested_action",
				      "status", "origin", "source", "synced_at", NULL},
	.search = (const char *const[]){"id", "kind", "subject", NULL},
	.sorts = (const char *const[]){"detected_at", "id", "kind", "impact", "confidence", NULL},
	.status_col = "status",
};

const struct cache_board cache_board_audit = {
	.name = "audit",
	.from = "(SELECT seq AS id, seq, at, user, role, action, subject, reason FROM audit)",
	.cols = (const char *const[]){"id", "at", "user", "role", "action", "subject", "reason",
				      NULL},
	.search = (const char *const[]){"user", "action", "subject", NULL},
	.sorts = (const char *const[]){"seq", "at", NULL},
	.status_col = NULL,
};
