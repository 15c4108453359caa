/* The board queries the console reads through cache_window(): which view,
 * which columns, what the free-text filter searches and what may be sorted.
 * Every sort column is also selected: the table keys its windows on it. */
#include <stddef.h>

#include "cache/cache.h"

const struct cache_board cache_board_loads = {
        .name = "loads",
        .from = "load_board",
        .cols = (const char *const[]){"id", "number", "status", "customer", "vehicle", "driver",
                                      "door", "stage_pct", "eta", "window_start", "window_end",
                                      "priority", "planned_departure", "source", "synced_at", NULL},
        .search = (const char *const[]){"id", "number", "customer", "vehicle", "driver", "door",
                                        NULL},
        .sorts = (const char *const[]){"eta", "id", "status", "planned_departure", "priority",
                                       "customer", NULL},
        .status_col = "status",
        /* Counting the joined view scans 100,000 loads in ~150 ms; the table, 20 ms. */
        .count_from = "(SELECT id, status FROM load WHERE deleted=0)",
};

/* readiness is the verdict's rank, so that sorting by it puts held vehicles
 * first, then limited, ready, and last those not yet judged; ready_state is
 * the verdict itself ("held", "limited", "ready"; NULL until the workflow pass
 * has judged the vehicle) and readiness_reasons its reasons joined by "; ". */
const struct cache_board cache_board_vehicles = {
        .name = "vehicles",
        .from = "(SELECT id, unit, kind, status, depot, fuel_pct, odometer_m, last_seen_ms,"
                " serious_faults, readiness AS ready_state, readiness_reasons,"
                " CASE readiness WHEN 'held' THEN 0 WHEN 'limited' THEN 1 WHEN 'ready' THEN 2"
                " ELSE 3 END AS readiness, source, synced_at FROM vehicle_board)",
        .cols = (const char *const[]){"id", "unit", "kind", "status", "depot", "fuel_pct",
                                      "odometer_m", "last_seen_ms", "serious_faults", "ready_state",
                                      "readiness_reasons", "readiness", "source", "synced_at",
                                      NULL},
        .search = (const char *const[]){"id", "unit", "depot", "readiness_reasons", NULL},
        .sorts = (const char *const[]){"unit", "readiness", "id", "status", "last_seen_ms",
                                       "fuel_pct", NULL},
        .status_col = "status",
};

const struct cache_board cache_board_exceptions = {
        .name = "exceptions",
        .from = "exception_board",
        .cols = (const char *const[]){"id", "kind", "subject", "confidence", "impact",
                                      "detected_at", "required_role", "suggested_action", "status",
                                      "origin", "source", "synced_at", NULL},
        .search = (const char *const[]){"id", "kind", "subject", NULL},
        .sorts = (const char *const[]){"detected_at", "id", "kind", "impact", "confidence", NULL},
        .status_col = "status",
};

const struct cache_board cache_board_audit = {
        .name = "audit",
        .from = "(SELECT seq AS id, seq, at, user, display_name, role, action, subject, reason"
                " FROM audit)",
        .cols = (const char *const[]){"id", "seq", "at", "user", "display_name", "role", "action",
                                      "subject", "reason", NULL},
        .search = (const char *const[]){"user", "display_name", "action", "subject", NULL},
        .sorts = (const char *const[]){"seq", "at", NULL},
        .status_col = NULL,
};
