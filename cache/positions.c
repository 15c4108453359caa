/* Positions: append-only telemetry, deduplicated on (ts_ms, vehicle_id), pruned
 * to a retention bound in small steps so the loop never stalls. Each batch also
 * moves vehicle_seen, the newest position of each vehicle, which vehicle_now
 * shows as the vehicle's live readings when it is newer than the row's
 * (cache/schema.c, migration 9). */
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"

static int by_vehicle_then_time(const void *a, const void *b)
{
	const struct wb_position *x = *(const struct wb_position *const *)a;
	const struct wb_position *y = *(const struct wb_position *const *)b;
	int c = strcmp(x->vehicle_id, y->vehicle_id);
	if (c)
		return c;
	return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
}

/* Upserts the newest position of each vehicle in p (n > 0, ids checked) into
 * vehicle_seen, unless the one stored is as new: one row per vehicle of the
 * batch, not per position. */
static int note_newest(struct cache *c, const struct wb_position *p, size_t n, struct wb_err *err)
{
	const struct wb_position **ix = malloc(n * sizeof(*ix));
	if (!ix)
		return wb_fail(err, WB_ENOMEM, "out of memory noting the newest positions");
	for (size_t i = 0; i < n; i++)
		ix[i] = &p[i];
	qsort(ix, n, sizeof(*ix), by_vehicle_then_time);
	sqlite3_stmt *st = cache_stmt(
	        c, ST_POS_SEEN,
	        "INSERT INTO vehicle_seen(vehicle_id, ts_ms, lat, lon, speed_mps, heading,"
	        " odometer_m, fuel_pct) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(vehicle_id) DO UPDATE"
	        " SET ts_ms=excluded.ts_ms, lat=excluded.lat, lon=excluded.lon,"
	        " speed_mps=excluded.speed_mps, heading=excluded.heading,"
	        " odometer_m=coalesce(excluded.odometer_m, vehicle_seen.odometer_m),"
	        " fuel_pct=coalesce(excluded.fuel_pct, vehicle_seen.fuel_pct)"
	        " WHERE excluded.ts_ms > vehicle_seen.ts_ms",
	        err);
	int rc = st ? 0 : (err ? err->code : WB_EIO);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i + 1 < n && strcmp(ix[i]->vehicle_id, ix[i + 1]->vehicle_id) == 0)
			continue; /* not the newest of its vehicle */
		const struct wb_position *q = ix[i];
		sqlite3_bind_text(st, 1, q->vehicle_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, q->ts_ms);
		cache_bind_real(st, 3, q->lat);
		cache_bind_real(st, 4, q->lon);
		cache_bind_real(st, 5, q->speed_mps);
		cache_bind_real(st, 6, q->heading);
		cache_bind_real(st, 7, q->odometer_m);
		cache_bind_real(st, 8, q->fuel_pct);
		int s = sqlite3_step(st);
		sqlite3_reset(st);
		if (s != SQLITE_DONE)
			rc = cache_fail(c, s, err, "noting a vehicle's newest position");
	}
	if (st)
		sqlite3_clear_bindings(st);
	free(ix);
	return rc;
}

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
		rc = note_newest(c, p, n, err);
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
