/* Geometry for the detectors: great-circle distance. */
#include <math.h>

#include "core/core_detect.h"

double core_haversine_m(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8; /* mean Earth radius, m (IUGG) */
	const double rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	           cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	if (a > 1)
		a = 1;
	return 2 * r * asin(sqrt(a));
}
