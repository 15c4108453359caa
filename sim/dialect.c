/* Dispatch to the telematics service's dialect (sim/dialect.h). */
#include <stdio.h>
#include <string.h>

#include "dialect.h"

bool sim_dialect_owns(const struct sim_req *r)
{
	if (r->svc->id != SIM_TEL)
		return false;
	switch (r->srv->w.o.dialect) {
	case SIM_DIALECT_SAMSARA: return sim_samsara_owns(r->url);
	case SIM_DIALECT_GEOTAB: return sim_geotab_owns(r->url);
	case SIM_DIALECT_TRACCAR: return sim_traccar_owns(r->url);
	default: return false;
	}
}

void sim_dialect_serve(struct sim_req *r, struct sim_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	switch (r->srv->w.o.dialect) {
	case SIM_DIALECT_SAMSARA: sim_samsara_serve(r, rep); break;
	case SIM_DIALECT_GEOTAB: sim_geotab_serve(r, rep); break;
	case SIM_DIALECT_TRACCAR: sim_traccar_serve(r, rep); break;
	default: rep->status = 404; rep->body = sim_error("not_found", "no such path");
	}
}

void sim_dialect_credentials(const struct sim_server *s, char *user, size_t ulen, char *password,
                             size_t plen)
{
	snprintf(user, ulen, "dispatch@depot.example");
	snprintf(password, plen, "pw_%016llx",
	         (unsigned long long)sim_hash64(s->w.o.seed ^ 0x5eedc0deULL));
}
