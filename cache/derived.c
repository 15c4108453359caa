/* Derived state (cache/cache.h, "derived state"): readiness verdicts
 * and KPI samples written by the local workflow pass. */
#include <math.h>

#include "cache_internal.h"

int cache_readiness_put(struct cache *c, const char *vehicle_id, const char *state,
                        const char *reasons, int64_t at, int *changed, struct wb_err *err)
{
	if (changed)
		*changed = 0;
	if (!vehicle_id || !*vehicle_id || !state || !*state)
		return wb_fail(err, WB_EINVALID, "readiness needs a vehicle id and a state");
	/* The WHERE keeps an unchanged verdict from being rewritten: computed_at
	 * then says since when the verdict has stood. */
	sqlite3_stmt *st = cache_stmt(
	        c, ST_READINESS_PUT,
	        "INSERT INTO readiness(vehicle_id, state, reasons, computed_at) VALUES(?1,?2,?3,?4)"
	        " ON CONFLICT(vehicle_id) DO UPDATE SET state=excluded.state,"
	        " reasons=excluded.reasons, computed_at=excluded.computed_at"
	        " WHERE state IS NOT excluded.state OR reasons IS NOT excluded.reasons",
	        err);
	if (!st)
		return err ? err->code : WB_EIO;
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_text(st, 1, vehicle_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	cache_bind_text(st, 3, reasons);
	sqlite3_bind_int64(st, 4, at);
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (s != SQLITE_DONE) {
		rc = cache_fail(c, s, err, "writing readiness");
	} else if (sqlite3_changes(c->db) > 0) {
		cache_touch(c, CACHE_BIT(CACHE_T_READINESS));
		if (changed)
			*changed = 1;
	}
	return cache_autoend(c, began, rc, err);
}

int cache_kpi_sample_put(struct cache *c, const char *name, int64_t at, double value,
                         int64_t keep_after, struct wb_err *err)
{
	if (!name || !*name)
		return wb_fail(err, WB_EINVALID, "a KPI sample needs a name");
	sqlite3_stmt *put =
	        cache_stmt(c, ST_KPI_SAMPLE_PUT,
	                   "INSERT OR REPLACE INTO kpi_sample(name, at, value) VALUES(?,?,?)", err);
	sqlite3_stmt *prune = put ? cache_stmt(c, ST_KPI_SAMPLE_PRUNE,
	                                       "DELETE FROM kpi_sample WHERE name=? AND at<?", err)
	                          : NULL;
	if (!put || !prune)
		return err ? err->code : WB_EIO;
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_text(put, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(put, 2, at);
	cache_bind_real(put, 3, value);
	int s = sqlite3_step(put);
	sqlite3_reset(put);
	sqlite3_clear_bindings(put);
	if (s == SQLITE_DONE) {
		sqlite3_bind_text(prune, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(prune, 2, keep_after);
		s = sqlite3_step(prune);
		sqlite3_reset(prune);
		sqlite3_clear_bindings(prune);
	}
	if (s != SQLITE_DONE)
		rc = cache_fail(c, s, err, "writing a KPI sample");
	else
		cache_touch(c, CACHE_BIT(CACHE_T_KPI_SAMPLE));
	return cache_autoend(c, began, rc, err);
}
