/* What the local detectors (local/detect_*.c) read, as typed readers: each
 * names the rows it selects and hands them out as model structs or small
 * records, streaming through an index or a bounded look-back. Call them on a
 * snapshot (cache/snapshot.h) so every detector sees the same data; full rows
 * come from cache_get (a persistent statement). */
#ifndef WAYBILL_CACHE_DETECT_READ_H
#define WAYBILL_CACHE_DETECT_READ_H

#include "cache/snapshot.h"

/* A record a reader found: its id, the id it hangs off (its load or vehicle;
 * NULL when the reader has none) and, for PODs, the amount at stake (NAN
 * unknown). The text lives until the cursor's next step. */
struct cache_ref {
	const char *id;
	const char *parent;
	double amount;
};
/* The next record of a reader below that hands out cache_refs: 1 a record, 0
 * the end, negative on a read error. */
int cache_ref_next(struct cache_rows *r, struct cache_ref *ref, struct wb_err *err);

/* The newest telemetry time: the latest live vehicle's last_seen_ms, else the
 * latest position's ts_ms; WB_NULL when the cache holds none. */
int64_t cache_telemetry_latest_ms(struct cache *c);

/* Every live vehicle, ordered by id (strcmp order), into *veh (malloc'd, *n
 * rows; at least one slot is allocated) with each row's text in (*strs)[i].
 * The caller frees every (*strs)[i], *strs and *veh, also after a failure. */
int cache_vehicles_live(struct cache *c, struct wb_vehicle **veh, char ***strs, size_t *n,
                        struct wb_err *err);

/* Positions at or after since_ms, in time order through the (ts_ms,
 * vehicle_id) key; cache_position_next fills p (vehicle_id lives until the
 * next step; unknown readings NAN, ignition -1). */
int cache_snap_open_positions_since(struct cache *c, struct cache_rows *r, int64_t since_ms,
                                    struct wb_err *err);
int cache_position_next(struct cache_rows *r, struct wb_position *p, struct wb_err *err);
/* At most max positions of vehicle_id with ts_ms in [from_ms, to_ms], oldest
 * first, into out (ts_ms, lat, lon; the rest unknown, vehicle_id the one
 * given). r keeps the statement between calls. */
int cache_positions_near(struct cache *c, struct cache_rows *r, const char *vehicle_id,
                         int64_t from_ms, int64_t to_ms, struct wb_position *out, size_t max,
                         size_t *n, struct wb_err *err);

/* Drops not arrived yet of in-transit loads: id the stop, parent its load,
 * ordered by load then stop seq. */
int cache_snap_open_pending_drops(struct cache *c, struct cache_rows *r, struct wb_err *err);
/* Stops that arrived at or after since and could be late or detained (a drop
 * past its window end, or more than free_s between arrival, or the window's
 * start when later, and departure or now), and those a local detention or
 * missed_window exception is open on: ids, ordered. */
int cache_snap_open_stops_to_judge(struct cache *c, struct cache_rows *r, int64_t since,
                                   int64_t now, int64_t free_s, struct wb_err *err);

/* The newest fuel purchase's synced_at (0: none). */
int cache_fuel_synced_latest(struct cache *c, int64_t *synced_at, struct wb_err *err);
/* Live fuel purchases at or after since, synced at or after synced_since or
 * the ones a local fuel_anomaly exception (open, acknowledged, escalated)
 * rests on: id, parent the vehicle; by vehicle, newest first, then id. */
int cache_snap_open_fuel_to_judge(struct cache *c, struct cache_rows *r, int64_t since,
                                  int64_t synced_since, struct wb_err *err);

/* Active critical and major faults: id, parent the vehicle; by vehicle, the
 * critical first, then the oldest, then id. */
int cache_snap_open_active_faults(struct cache *c, struct cache_rows *r, struct wb_err *err);
/* The newest max inspections of vehicle_id that carry a time (ids, newest
 * first, then id), through the (vehicle_id, at) index; r keeps the statement
 * between calls. */
int cache_open_latest_inspections(struct cache *c, struct cache_rows *r, const char *vehicle_id,
                                  int max, struct wb_err *err);
/* Live PODs with exception codes: id, parent the load, amount that load's
 * newest live invoice's amount; by load, the newest signed first, then id. */
int cache_snap_open_pods_with_codes(struct cache *c, struct cache_rows *r, struct wb_err *err);
/* Loads (as id) with a live charge off its rated amount by more than
 * max(tol_amount, |rated| * tol_pct / 100), or with no rated amount; ordered. */
int cache_snap_open_loads_off_rate(struct cache *c, struct cache_rows *r, double tol_amount,
                                   double tol_pct, struct wb_err *err);

/* A local exception a detector owns, as the closing step reads it. */
struct cache_exc_ref {
	const char *id, *kind, *subject_id, *related_id; /* live until the next step */
	int64_t ext_version;
};
/* Live exceptions with source and origin "local", open, acknowledged or
 * escalated, of one of the nkinds kinds; ordered by id. */
int cache_snap_open_local_exceptions(struct cache *c, struct cache_rows *r,
                                     const char *const *kinds, size_t nkinds, struct wb_err *err);
int cache_exc_ref_next(struct cache_rows *r, struct cache_exc_ref *x, struct wb_err *err);

/* 1 when record id of e is absent or a tombstone, 0 when it is live, negative
 * on a read error. */
int cache_record_gone(struct cache *c, enum wb_entity e, const char *id, struct wb_err *err);

#endif
