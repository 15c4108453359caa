/* How often a source's streams are polled, for judging freshness: a source
 * configured in the settings by its own intervals; a role with no configured
 * source (a console on a cache only) by the default connector's cadences, the
 * same CONFIG_FAST_DEFAULT_S / CONFIG_SLOW_DEFAULT_S a fresh config gets. */
#include <stdio.h>
#include <string.h>

#include "connectors/connector.h"
#include "settings/settings.h"

int settings_interval_s(const struct settings *c, const char *role, const char *stream)
{
	if (!role)
		return -1;
	const struct config_source *src = c ? settings_source(c, role) : NULL;
	char name[32];
	struct config_source dflt = {0};
	if (!src) {
		snprintf(name, sizeof(name), "%s", role);
		dflt.name = name;
		dflt.ops = connector_find("waybill");
		src = &dflt;
	}
	if (stream)
		return config_interval_s(src, stream);
	/* A source confirms its rows as of its stream that answered least
	 * recently, so it is judged by its slowest polled stream. */
	size_t n = 0;
	const struct connector_stream *all =
	        src->ops && src->ops->streams ? src->ops->streams(src->name, &n) : NULL;
	int longest = -1;
	for (size_t i = 0; all && i < n; i++) {
		int iv = config_interval_s(src, all[i].name);
		if (iv > longest)
			longest = iv;
	}
	return longest;
}

int config_interval_s(const struct config_source *s, const char *stream)
{
	const struct connector_stream *st =
	        s->ops ? connector_stream(s->ops, s->name, stream) : NULL;
	if (!st)
		return -1;
	if (st->cadence == CADENCE_LIVE)
		return 0;
	for (size_t i = 0; i < s->n_intervals; i++)
		if (strcmp(s->intervals[i].stream, stream) == 0)
			return s->intervals[i].seconds;
	return st->cadence == CADENCE_FAST ? CONFIG_FAST_DEFAULT_S : CONFIG_SLOW_DEFAULT_S;
}
