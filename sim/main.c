/* waybill-sim: a whole depot on loopback (ERP, TMS and telematics services over a
 * deterministic simulated world). See docs/api.md. */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

int main(int argc, char **argv)
{
	static struct sim_server s;
	char err[256] = "";
	int rc = sim_server_init(&s, argc, argv, err, sizeof err);
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "waybill-sim: %s\n", err);
		sim_server_free(&s);
		return rc < 0 ? 2 : 0;
	}
	rc = sim_server_run(&s);
	sim_server_free(&s);
	return rc == 0 ? 0 : 1;
}
