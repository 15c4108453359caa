/* The local detectors' reads (cache/detect_read.h): bound SQL that streams
 * through an index or a bounded look-back, one statement per reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows_internal.h"
#include "cache/detect_read.h"

/* Prepares sql into r and binds the n integers of v from ?1 on. */
static int open_ints(struct cache *c, struct cache_rows *r, const char *sql, const int64_t *v,
                     int n, struct wb_err *err)
{
	int rc = cache_rows_prepare(r, c, sql, err);
	for (int i = 0; rc == 0 && i < n; i++)
		sqlite3_bind_int64(r->st, i + 1, v[i]);
	return rc;
}

int cache_ref_next(struct cache_rows *r, struct cache_ref *ref, struct wb_err *err)
{
	int s = cache_rows_step(r, "reading for the detectors", err);
	if (s != 1)
		return s;
	int ncol = sqlite3_column_count(r->st);
	ref->id = cache_col_text(r->st, 0);
	ref->parent = ncol > 1 ? cache_col_text(r->st, 1) : NULL;
	ref->amount = ncol > 2 ? cache_col_real(r->st, 2) : NAN;
	return 1;
}

int64_t cache_telemetry_latest_ms(struct cache *c)
{
	static const char *const q[] = {
	        "SELECT max(last_seen_ms) FROM vehicle WHERE deleted=0",
	        "SELECT max(ts_ms) FROM position",
	};
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *st = NULL;
		int64_t v = WB_NULL;
		if (sqlite3_prepare_v2(c->db, q[i], -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			v = cache_col_i64(st, 0);
		sqlite3_finalize(st);
		if (v != WB_NULL && v > 0)
			return v;
	}
	return WB_NULL;
}

int cache_vehicles_live(struct cache *c, struct wb_vehicle **veh, char ***strs, size_t *n,
                        struct wb_err *err)
{
	struct cache_rows r = {0};
	*veh = NULL;
	*strs = NULL;
	*n = 0;
	int rc = cache_rows_prepare(&r, c, "SELECT count(*) FROM vehicle WHERE deleted=0", err);
	if (rc)
		return rc;
	size_t cap = cache_rows_step(&r, "counting vehicles", err) == 1
	                     ? (size_t)sqlite3_column_int64(r.st, 0)
	                     : 0;
	cache_rows_close(&r);
	*veh = calloc(cap ? cap : 1, sizeof(**veh));
	*strs = calloc(cap ? cap : 1, sizeof(**strs));
	if (!*veh || !*strs)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	/* ORDER BY id (binary collation) is strcmp order. */
	if ((rc = cache_rows_prepare(&r, c, "SELECT id FROM vehicle WHERE deleted=0 ORDER BY id",
	                             err)))
		return rc;
	int s = 0;
	while (rc == 0 && *n < cap && (s = cache_rows_step(&r, "reading vehicles", err)) == 1) {
		rc = cache_get(c, WB_ENT_VEHICLE, cache_col_text(r.st, 0), &(*veh)[*n],
		               &(*strs)[*n], err);
		*n += rc == 0;
	}
	cache_rows_close(&r);
	return rc ? rc : s < 0 ? s : 0;
}

int cache_snap_open_positions_since(struct cache *c, struct cache_rows *r, int64_t since_ms,
                                    struct wb_err *err)
{
	return open_ints(c, r,
	                 "SELECT ts_ms, vehicle_id, lat, lon, speed_mps, heading, odometer_m,"
	                 " fuel_pct, ignition FROM position WHERE ts_ms >= ? ORDER BY ts_ms",
	                 &since_ms, 1, err);
}

int cache_position_next(struct cache_rows *r, struct wb_position *p, struct wb_err *err)
{
	int s = cache_rows_step(r, "reading positions", err);
	if (s != 1)
		return s;
	sqlite3_stmt *st = r->st;
	*p = (struct wb_position){
	        .ts_ms = sqlite3_column_int64(st, 0),
	        .vehicle_id = cache_col_text(st, 1),
	        .lat = cache_col_real(st, 2),
	        .lon = cache_col_real(st, 3),
	        .speed_mps = cache_col_real(st, 4),
	        .heading = cache_col_real(st, 5),
	        .odometer_m = cache_col_real(st, 6),
	        .fuel_pct = cache_col_real(st, 7),
	        .ignition =
	                sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 8),
	};
	return 1;
}

int cache_positions_near(struct cache *c, struct cache_rows *r, const char *vehicle_id,
                         int64_t from_ms, int64_t to_ms, struct wb_position *out, size_t max,
                         size_t *n, struct wb_err *err)
{
	*n = 0;
	int rc = cache_rows_prepare(
	        r, c,
	        "SELECT ts_ms, lat, lon FROM position WHERE ts_ms BETWEEN ? AND ?"
	        " AND vehicle_id=? ORDER BY ts_ms LIMIT ?",
	        err);
	if (rc)
		return rc;
	sqlite3_bind_int64(r->st, 1, from_ms);
	sqlite3_bind_int64(r->st, 2, to_ms);
	sqlite3_bind_text(r->st, 3, vehicle_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->st, 4, (int64_t)max);
	int s = 0;
	while (*n < max && (s = cache_rows_step(r, "reading positions", err)) == 1) {
		out[*n] = (struct wb_position){.vehicle_id = vehicle_id,
		                               .ts_ms = sqlite3_column_int64(r->st, 0),
		                               .lat = cache_col_real(r->st, 1),
		                               .lon = cache_col_real(r->st, 2),
		                               .speed_mps = NAN,
		                               .heading = NAN,
		                               .odometer_m = NAN,
		                               .fuel_pct = NAN,
		                               .ignition = -1};
		(*n)++;
	}
	sqlite3_reset(r->st);
	return *n < max && s < 0 ? s : 0;
}

int cache_snap_open_pending_drops(struct cache *c, struct cache_rows *r, struct wb_err *err)
{
	return cache_rows_prepare(
	        r, c,
	        "SELECT s.id, l.id FROM load l JOIN stop s ON s.load_id=l.id AND s.deleted=0"
	        " AND s.kind='drop' AND s.arrived_at IS NULL"
	        " WHERE l.status='in_transit' AND l.deleted=0 ORDER BY l.id, s.seq",
	        err);
}

int cache_snap_open_stops_to_judge(struct cache *c, struct cache_rows *r, int64_t since,
                                   int64_t now, int64_t free_s, struct wb_err *err)
{
	/* A superset of the core's rules, and the stops with such an exception
	 * open (they must be judged again to be closed). */
	const int64_t v[] = {since, now, free_s};
	return open_ints(
	        c, r,
	        "SELECT id FROM stop WHERE deleted=0 AND arrived_at >= ?1 AND ("
	        " (kind='drop' AND window_end IS NOT NULL AND arrived_at > window_end)"
	        " OR coalesce(departed_at, ?2) - max(arrived_at, coalesce(window_start, "
	        "arrived_at)) > ?3"
	        " OR id IN (SELECT subject_id FROM exception WHERE deleted=0 AND source='local'"
	        "  AND kind IN ('detention','missed_window')"
	        "  AND " CACHE_EXC_OPEN_SQL "))"
	        " ORDER BY id",
	        v, 3, err);
}

int cache_fuel_synced_latest(struct cache *c, int64_t *synced_at, struct wb_err *err)
{
	struct cache_rows r = {0};
	*synced_at = 0;
	int rc = cache_rows_prepare(&r, c, "SELECT max(synced_at) FROM fuel_txn", err);
	if (rc == 0 && (rc = cache_rows_step(&r, "reading fuel purchases", err)) == 1) {
		int64_t v = cache_col_i64(r.st, 0);
		*synced_at = v == WB_NULL ? 0 : v;
	}
	cache_rows_close(&r);
	return rc < 0 ? rc : 0;
}

int cache_snap_open_fuel_to_judge(struct cache *c, struct cache_rows *r, int64_t since,
                                  int64_t synced_since, struct wb_err *err)
{
	const int64_t v[] = {since, synced_since};
	return open_ints(
	        c, r,
	        "SELECT id, vehicle_id FROM fuel_txn WHERE deleted=0 AND at >= ?1 AND"
	        " (synced_at >= ?2"
	        " OR id IN (SELECT related_id FROM exception WHERE deleted=0 AND source='local'"
	        "  AND kind='fuel_anomaly' AND " CACHE_EXC_OPEN_SQL "))"
	        " ORDER BY vehicle_id, at DESC, id",
	        v, 2, err);
}

int cache_snap_open_active_faults(struct cache *c, struct cache_rows *r, struct wb_err *err)
{
	return cache_rows_prepare(r, c,
	                          "SELECT id, vehicle_id FROM fault WHERE deleted=0 AND active=1"
	                          " AND severity IN ('critical','major')"
	                          " ORDER BY vehicle_id, severity='critical' DESC, first_seen, id",
	                          err);
}

int cache_open_latest_inspections(struct cache *c, struct cache_rows *r, const char *vehicle_id,
                                  int max, struct wb_err *err)
{
	int rc = cache_rows_prepare(
	        r, c,
	        "SELECT id FROM inspection WHERE vehicle_id=? AND deleted=0 AND at IS NOT NULL"
	        " ORDER BY at DESC, id LIMIT ?",
	        err);
	if (rc == 0) {
		sqlite3_bind_text(r->st, 1, vehicle_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(r->st, 2, max);
	}
	return rc;
}

int cache_snap_open_pods_with_codes(struct cache *c, struct cache_rows *r, struct wb_err *err)
{
	return cache_rows_prepare(
	        r, c,
	        "SELECT p.id, p.load_id, (SELECT i.amount FROM invoice i "
	        "WHERE " CACHE_BILLED_TO_SQL(
	                "i", "p.load_id") " AND i.deleted=0 ORDER BY i.issued_at DESC LIMIT 1)"
	                                  " FROM pod p WHERE p.deleted=0 AND p.exception_codes IS "
	                                  "NOT NULL"
	                                  " AND p.exception_codes != '' ORDER BY p.load_id, "
	                                  "p.signed_at DESC, p.id",
	        err);
}

int cache_snap_open_loads_off_rate(struct cache *c, struct cache_rows *r, double tol_amount,
                                   double tol_pct, struct wb_err *err)
{
	int rc = cache_rows_prepare(
	        r, c,
	        /* Each charge's load by load_id or by order (cache.h, billing joins). */
	        "SELECT DISTINCT lid FROM (SELECT " CACHE_BILLED_LOAD_SQL(
	                "ch.load_id",
	                "ch.order_id") " AS lid FROM charge ch WHERE ch.deleted=0"
	                               " AND ch.amount IS NOT NULL AND (ch.rated_amount IS NULL"
	                               " OR abs(ch.amount - ch.rated_amount) > max(?1, "
	                               "abs(ch.rated_amount) * ?2 / 100.0)))"
	                               " WHERE lid IS NOT NULL ORDER BY lid",
	        err);
	if (rc == 0) {
		sqlite3_bind_double(r->st, 1, tol_amount);
		sqlite3_bind_double(r->st, 2, tol_pct);
	}
	return rc;
}

int cache_snap_open_local_exceptions(struct cache *c, struct cache_rows *r,
                                     const char *const *kinds, size_t nkinds, struct wb_err *err)
{
	char sql[512] = "SELECT id, kind, subject_id, related_id, ext_version FROM exception"
	                " WHERE deleted=0 AND source='local' AND origin='local'"
	                " AND " CACHE_EXC_OPEN_SQL " AND kind IN (";
	size_t len = strlen(sql);
	if (nkinds == 0 || nkinds > 32)
		return wb_fail(err, WB_EINVALID, "reading local exceptions: %zu kinds", nkinds);
	for (size_t i = 0; i < nkinds; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, i ? ",?" : "?");
	snprintf(sql + len, sizeof(sql) - len, ") ORDER BY id");
	int rc = cache_rows_prepare(r, c, sql, err);
	for (size_t i = 0; rc == 0 && i < nkinds; i++)
		sqlite3_bind_text(r->st, (int)i + 1, kinds[i], -1, SQLITE_STATIC);
	return rc;
}

int cache_exc_ref_next(struct cache_rows *r, struct cache_exc_ref *x, struct wb_err *err)
{
	int s = cache_rows_step(r, "reading open exceptions", err);
	if (s != 1)
		return s;
	x->id = cache_col_text(r->st, 0);
	x->kind = cache_col_text(r->st, 1);
	x->subject_id = cache_col_text(r->st, 2);
	x->related_id = cache_col_text(r->st, 3);
	x->ext_version = sqlite3_column_int64(r->st, 4);
	return 1;
}

int cache_record_gone(struct cache *c, enum wb_entity e, const char *id, struct wb_err *err)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT deleted FROM %s WHERE id=?", wb_entity_info(e)->table);
	struct cache_rows r = {0};
	int rc = cache_rows_prepare(&r, c, sql, err);
	if (rc)
		return rc;
	sqlite3_bind_text(r.st, 1, id, -1, SQLITE_STATIC);
	int s = cache_rows_step(&r, "reading a record an exception rests on", err);
	int g = s == 0 || (s == 1 && sqlite3_column_int(r.st, 0) != 0);
	cache_rows_close(&r);
	return s < 0 ? s : g;
}
