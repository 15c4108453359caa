/* How each dialect of the telematics service names the world's vehicles and
 * drivers, in the vendor's own id shape (sim/sim.h, enum sim_dialect):
 *   samsara: numeric strings, vehicles 281474977000000+N, drivers 52000000+N
 *   geotab:  "b" and hex digits, devices b1, b2 ... and users b10001, ...
 *            (0x10000+N), as Geotab's entity ids look
 *   traccar: the database's integer ids as text, devices N, drivers 100000+N
 * N is the row's index + 1. The canonical dialect keeps "V-N" and "D-N". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

const char *const sim_dialect_names[SIM_DIALECT__COUNT] = {"waybill", "samsara", "geotab",
                                                           "traccar"};

int sim_dialect_by_name(const char *name)
{
	for (int i = 0; name && i < SIM_DIALECT__COUNT; i++)
		if (strcmp(name, sim_dialect_names[i]) == 0)
			return i;
	return -1;
}

/* The number a dialect adds to N for entity e, and the base of its digits. */
static int scheme(int dialect, enum wb_entity e, uint64_t *offset, int *hex)
{
	*hex = 0;
	if (e == WB_ENT_VEHICLE) {
		*offset = dialect == SIM_DIALECT_SAMSARA ? 281474977000000ULL : 0;
	} else if (e == WB_ENT_DRIVER) {
		*offset = dialect == SIM_DIALECT_SAMSARA   ? 52000000ULL
		          : dialect == SIM_DIALECT_GEOTAB  ? 0x10000ULL
		          : dialect == SIM_DIALECT_TRACCAR ? 100000ULL
		                                           : 0;
	} else {
		return -1;
	}
	if (dialect == SIM_DIALECT_GEOTAB)
		*hex = 1;
	return dialect > SIM_DIALECT_WAYBILL && dialect < SIM_DIALECT__COUNT ? 0 : -1;
}

int sim_dialect_format_id(int dialect, enum wb_entity e, size_t i, char *buf, size_t n)
{
	uint64_t off;
	int hex;
	if (scheme(dialect, e, &off, &hex) != 0)
		return -1;
	uint64_t v = off + (uint64_t)i + 1;
	if (hex)
		snprintf(buf, n, "b%" PRIX64, v);
	else
		snprintf(buf, n, "%" PRIu64, v);
	return 0;
}

long sim_dialect_parse_id(int dialect, enum wb_entity e, const char *s)
{
	uint64_t off;
	int hex;
	if (!s || scheme(dialect, e, &off, &hex) != 0)
		return -1;
	if (hex && *s++ != 'b')
		return -1;
	if (!*s || strlen(s) > 16 || *s == '0')
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (hex && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		v = v * (hex ? 16 : 10) + (uint64_t)d;
	}
	if (v <= off || v - off > 100000000ULL)
		return -1;
	return (long)(v - off - 1);
}
