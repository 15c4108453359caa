/* waybill-sim's telematics service in geotab's dialect (sim/dialect.h).
 * Not served yet: every path answers 501 until the dialect is written. */
#include <string.h>

#include "dialect.h"

bool sim_geotab_owns(const char *url)
{
	return strncmp(url, "/v1/", 4) != 0;
}

void sim_geotab_serve(struct sim_req *r, struct sim_reply *rep)
{
	(void)r;
	rep->status = 501;
	rep->body = sim_error("not_implemented", "the geotab dialect is not served yet");
}
