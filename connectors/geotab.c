/* The "geotab" kind: the telematics role from geotab's API (docs/connectors/geotab.md).
 * Not written yet: it offers no streams, so a config naming it syncs nothing. */
#include <stddef.h>

#include "connectors/connector.h"

static const struct connector_stream *streams(const char *role, size_t *n)
{
	(void)role;
	*n = 0;
	return NULL;
}

const struct connector_ops connector_geotab = {
        .kind = "geotab",
        .streams = streams,
};
