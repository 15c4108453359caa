/* Scheduled full passes for sources that keep no record of deletions
 * (connector_ops.sweep_s: Tryton). A record deleted there simply stops being
 * listed, so every sweep_s seconds the stream is read again from the start as
 * a resync (cache/resync.c): the ids of the pass are remembered, and at its
 * end the rows it did not see are tombstoned. A stream is swept on its first
 * sync (an empty cache), then whenever a poll finds the last sweep sweep_s
 * old; --once sweeps when due, at most once per stream and run. When the last
 * sweep began is kept in the stream's stored cursor ("T<epoch s>;<the kind's
 * cursor>"), written with each page in its transaction, so it survives
 * restarts and a crash in the middle of a pass resumes that pass. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync_internal.h"

bool sync_sweep_used(const struct sync_stream *st)
{
	const struct connector_ops *k = st->src->ops;
	return st->cs->entity >= 0 && k->sweep_s && k->sweep_s(st->cs) > 0;
}

/* The pass's start from a stored cursor, 0 when it has none (a cursor stored
 * before sweeps, or ""); *kind points at the kind's own cursor. */
static int64_t unwrap(const char *stored, const char **kind)
{
	*kind = stored;
	if (stored[0] != 'T')
		return 0;
	char *end;
	long long v = strtoll(stored + 1, &end, 10);
	if (end == stored + 1 || *end != ';' || v <= 0)
		return 0;
	*kind = end + 1;
	return (int64_t)v;
}

int sync_sweep_poll(struct sync_stream *st, const char *stored, char *kc, size_t len,
                    struct wb_err *err)
{
	struct sync *sy = st->sy;
	const char *k;
	int64_t at = unwrap(stored, &k), now = (int64_t)time(NULL);
	if (cache_resync_active(sy->cache, st->src->name, st->cs->name)) {
		/* A pass is under way (this one's, or a resync after a lost cursor). */
		st->sweep_at = at ? at : now;
		snprintf(kc, len, "%s", k);
		return 0;
	}
	int64_t every = st->src->ops->sweep_s(st->cs);
	/* A start in the future is a clock that moved back: sweep now. */
	bool due = at == 0 || now - at >= every || at > now + 60;
	if (!due || (sy->o.once && st->swept)) {
		st->sweep_at = at ? at : now;
		snprintf(kc, len, "%s", k);
		return 0;
	}
	int rc = cache_resync_begin(sy->cache, st->src->name, st->cs->name, err);
	if (rc != 0)
		return rc;
	st->sweep_at = now;
	st->swept = true;
	kc[0] = '\0';
	if (at) {
		char line[200];
		snprintf(line, sizeof(line),
		         "full pass to find records deleted at the source (last one %" PRId64
		         " s ago, every %" PRId64 " s)",
		         now - at, every);
		sync_emit(sy, SYNC_EV_NOTICE, st->src->name, st->cs->name, line, 0, 0);
	}
	return 0;
}

int sync_sweep_wrap(const struct sync_stream *st, const char *next, char *out, size_t len)
{
	int n = snprintf(out, len, "T%" PRId64 ";%s", st->sweep_at, next);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
