/* The geotab dialect's two halves (sim/dialect_geotab.c: JSON-RPC, sessions,
 * faults; sim/dialect_geotab_render.c: the world as Geotab's entities and
 * feeds). Callers hold w.mu. */
#ifndef SIM_DIALECT_GEOTAB_H
#define SIM_DIALECT_GEOTAB_H

#include <stdbool.h>

#include "server.h"

/* A JSON-RPC error as MyGeotab sends it (JSONRPCError, errors[0].name). */
json_t *sim_geotab_error(const char *type, const char *message);

/* Get: Device, User (search isDriver or name). NULL and *err for a type or
 * search this dialect does not serve. */
json_t *sim_geotab_get(struct sim_server *s, json_t *params, json_t **err);
/* GetFeed: FaultData, DVIRLog, LogRecord, StatusData (diagnosticSearch
 * fuel level or odometer). NULL and *err for an unusable fromVersion (or any
 * fromVersion when the request drew the expire fault: expired) or a type it
 * does not serve. */
json_t *sim_geotab_feed(struct sim_req *r, json_t *params, bool expired, json_t **err);

#endif
