/* Positions: append-only telemetry, deduplicated on (ts_ms, vehicle_id), pruned
 * to a retention bound in small steps so the loop never stalls. */
#include "cache_internal.h"

int cache_add_positions(struct cache *c, const struct wb_position *p, size_t n, size_t *added,
                        struct wb_err *err)
{
	if (added)
		*added = 0;
	sqlite3_stmt *st = cache_stmt(
	        c, ST_POS_INSERT,
	        "INSERT OR IGNORE INTO position(ts_ms, vehicle_id, lat, lon, speed_mps, heading,"
	        " odometer_m, fuel_pct, ignition) VALUES(?,?,?,?,?,?,?,?,?)",
	        err);
	if (!st)
		return err ? err->code : WB_EIO;
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!p[i].vehicle_id || !*p[i].vehicle_id) {
			rc = wb_fail(err, WB_EINVALID, "position %zu has no vehicle id", i);
			break;
		}
		sqlite3_bind_int64(st, 1, p[i].ts_ms);
		sqlite3_bind_text(st, 2, p[i].vehicle_id, -1, SQLITE_STATIC);
		cache_bind_real(st, 3, p[i].lat);
		cache_bind_real(st, 4, p[i].lon);
		cache_bind_real(st, 5, p[i].speed_mps);
		cache_bind_real(st, 6, p[i].heading);
		cache_bind_real(st, 7, p[i].odometer_m);
		cache_bind_real(st, 8, p[i].fuel_pct);
		if (p[i].ignition < 0)
			sqlite3_bind_null(st, 9);
		else
			sqlite3_bind_int(st, 9, p[i].ignition);
		int s = sqlite3_step(st);
		sqlite3_reset(st);
		if (s != SQLITE_DONE) {
			rc = cache_fail(c, s, err, "writing positions");
			break;
		}
		count += (size_t)sqlite3_changes(c->db);
	}
	sqlite3_clear_bindings(st);
	if (rc == 0 && count)
		cache_touch(c, CACHE_BIT(CACHE_T_POSITION));
	rc = cache_autoend(c, began, rc, err);
	if (rc == 0 && added)
		*added = count;
	return rc;
}

int64_t cache_prune_positions(struct cache *c, int64_t now_ms, int64_t retention_ms, int step,
                              struct wb_err *err)
{
	if (step <= 0)
		step = 5000;
	int64_t cut = now_ms - retention_ms;
	/* Find the timestamp `step` rows in, then delete below it: one bounded range
	 * delete on the primary key instead of a scan. */
	sqlite3_stmt *st = cache_stmt(c, ST_POS_PRUNE_FIND,
	                              "SELECT ts_ms FROM position WHERE ts_ms < ?1"
	                              " ORDER BY ts_ms LIMIT 1 OFFSET ?2",
	                              err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_int64(st, 1, cut);
	sqlite3_bind_int(st, 2, step);
	int s = sqlite3_step(st);
	int64_t bound = cut;
	if (s == SQLITE_ROW)
		bound = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return cache_fail(c, s, err, "pruning positions");
	/* Rows sharing the bound timestamp wait for the next step, except when a
	 * whole step shares one timestamp: then take them all, or we never advance. */
	if (s == SQLITE_ROW) {
		int64_t older = 0;
		sqlite3_stmt *q =
		        cache_stmt(c, ST_POS_OLDER,
		                   "SELECT EXISTS(SELECT 1 FROM position WHERE ts_ms < ?)", err);
		if (!q)
			return err ? err->code : WB_EIO;
		sqlite3_bind_int64(q, 1, bound);
		if (sqlite3_step(q) == SQLITE_ROW)
			older = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		if (!older)
			bound = bound + 1 < cut ? bound + 1 : cut;
	}
	st = cache_stmt(c, ST_POS_PRUNE, "DELETE FROM position WHERE ts_ms < ?", err);
	if (!st)
		return err ? err->code : WB_EIO;
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, bound);
	s = sqlite3_step(st);
	sqlite3_reset(st);
	int64_t deleted = 0;
	if (s != SQLITE_DONE)
		rc = cache_fail(c, s, err, "pruning positions");
	else
		deleted = sqlite3_changes(c->db);
	if (rc == 0 && deleted)
		cache_touch(c, CACHE_BIT(CACHE_T_POSITION));
	rc = cache_autoend(c, began, rc, err);
	return rc != 0 ? rc : deleted;
}
