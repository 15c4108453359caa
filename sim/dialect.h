/* The telematics service in a vendor's dialect (waybill-sim --dialect): the same
 * world served in Samsara's, Geotab's or Traccar's shapes, paging, auth and error
 * behaviour. A dialect owns the paths that are not the canonical API's: the
 * canonical /v1/ paths (admin, and the maintenance records a vendor does not
 * keep: work orders, part reservations, holds) stay served as they are, on the
 * same port. One file per dialect: sim/dialect_<name>.c. */
#ifndef SIM_DIALECT_H
#define SIM_DIALECT_H

#include <stdbool.h>

#include "server.h"

/* One answer of a dialect. */
struct sim_reply {
	int status;        /* HTTP status */
	json_t *body;      /* a JSON answer (owned), or NULL with text */
	char *text;        /* another answer (malloc'd), sent as ctype */
	const char *ctype; /* NULL: "application/json; charset=utf-8" */
	int retry_after_s; /* > 0: sent as Retry-After */
	char cookie[192];  /* "" none; else a Set-Cookie header's value */
};

/* Whether the dialect of the service serves url: always false for the
 * canonical dialect and for services other than telematics. */
bool sim_dialect_owns(const struct sim_req *r);
/* Serves one request in the dialect. The dialect does its own auth and
 * answers the service's injected faults (struct sim_fault_cfg: rate429 with
 * and without retry_after, rate5xx, expire, relogin, ...) in the vendor's
 * shapes; it takes w.mu itself while it reads the world. */
void sim_dialect_serve(struct sim_req *r, struct sim_reply *rep);

/* The dialects (sim/dialect_<name>.c). owns: whether a path is the vendor's. */
bool sim_samsara_owns(const char *url);
void sim_samsara_serve(struct sim_req *r, struct sim_reply *rep);
bool sim_geotab_owns(const char *url);
void sim_geotab_serve(struct sim_req *r, struct sim_reply *rep);
bool sim_traccar_owns(const char *url);
void sim_traccar_serve(struct sim_req *r, struct sim_reply *rep);

/* The credentials a dialect that signs in with a user (Geotab's database,
 * user and password; Traccar's e-mail and password) accepts, derived from the
 * seed like the tokens, and printed in the start-up line under "dialect". */
void sim_dialect_credentials(const struct sim_server *s, char *user, size_t ulen, char *password,
                             size_t plen);

#endif
