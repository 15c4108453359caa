/* The local detectors over the cache (local/detect_run.h). Every read
 * is bound SQL that streams through an index or a bounded look-back; full rows
 * come from cache_get (a persistent statement). A run reads in one read
 * transaction (a snapshot) and writes nothing: findings that would change the
 * cache, and exceptions whose condition ended, go into a plan
 * (local/detect_plan.c) that detect_apply writes. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect_internal.h"
#include "settings/settings.h"

/* How far back stops and fuel purchases are looked at: older facts have been
 * judged by earlier runs, and their exceptions are left as they are (a run only
 * closes what it looked at again, see local/detect_close.c). */
#define LOOKBACK_S (2 * 86400)
#define TRACK_WINDOW_MS (3600 * 1000LL)
#define FUEL_MAX_POS 128

int detect_q_fail(struct detect_ctx *r, int rc, const char *what)
{
	return cache_fail(r->c, rc, r->err, what);
}

int detect_prep(struct detect_ctx *r, sqlite3_stmt **st, const char *sql)
{
	int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : detect_q_fail(r, rc, "preparing a detector read");
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? WB_NULL : sqlite3_column_int64(st, i);
}

static const char *cstr_or(const char *s)
{
	return s ? s : "";
}

int64_t detect_run_now(struct cache *c)
{
	sqlite3 *db = cache_db(c);
	static const char *const q[] = {
	        "SELECT max(last_seen_ms) FROM vehicle WHERE deleted=0",
	        "SELECT max(ts_ms) FROM position",
	};
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *st = NULL;
		int64_t v = WB_NULL;
		if (sqlite3_prepare_v2(db, q[i], -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			v = col_i64(st, 0);
		sqlite3_finalize(st);
		if (v != WB_NULL && v > 0)
			return v / 1000;
	}
	return (int64_t)time(NULL);
}

static int emit(struct detect_ctx *r, struct core_exception_out *o, const char *related_id)
{
	if (idset_add(&r->found, o->id, NULL) != 0)
		return wb_fail(r->err, WB_ENOMEM, "out of memory");
	int need = detect_emit_needed(r->c, o, related_id, r->err);
	if (need <= 0) {
		r->st.unchanged += need == 0;
		return need;
	}
	return detect_plan_add_finding(r->plan, o, related_id)
	               ? wb_fail(r->err, WB_ENOMEM, "out of memory")
	               : 0;
}

static int examined(struct detect_ctx *r, enum core_kind k, const char *id)
{
	if (id && idset_add(&r->examined, core_kind_name(k), id) != 0)
		return wb_fail(r->err, WB_ENOMEM, "out of memory");
	return 0;
}

/* ---- vehicles and their tracks -------------------------------------------- */

static int load_tracks(struct detect_ctx *r)
{
	sqlite3_stmt *st = NULL;
	int rc = detect_prep(r, &st, "SELECT count(*) FROM vehicle WHERE deleted=0");
	if (rc)
		return rc;
	size_t cap = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	r->tracks = calloc(cap ? cap : 1, sizeof(*r->tracks));
	r->veh = calloc(cap ? cap : 1, sizeof(*r->veh));
	r->vstr = calloc(cap ? cap : 1, sizeof(*r->vstr));
	if (!r->tracks || !r->veh || !r->vstr)
		return wb_fail(r->err, WB_ENOMEM, "out of memory");
	/* ORDER BY id (binary collation) is the strcmp order core_track_find needs. */
	if ((rc = detect_prep(r, &st, "SELECT id FROM vehicle WHERE deleted=0 ORDER BY id")))
		return rc;
	int s;
	while (r->nveh < cap && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		size_t i = r->nveh;
		if (cache_get(r->c, WB_ENT_VEHICLE, id, &r->veh[i], &r->vstr[i], r->err) != 0) {
			sqlite3_finalize(st);
			return r->err->code;
		}
		core_track_init(&r->tracks[i], r->veh[i].meta.id);
		r->nveh++;
	}
	sqlite3_finalize(st);
	/* The last hour of positions, in time order through the (ts_ms, vehicle_id) key. */
	if ((rc = detect_prep(r, &st,
	                      "SELECT ts_ms, vehicle_id, lat, lon, speed_mps, heading, odometer_m,"
	                      " fuel_pct, ignition FROM position WHERE ts_ms >= ? ORDER BY ts_ms")))
		return rc;
	sqlite3_bind_int64(st, 1, r->now * 1000 - TRACK_WINDOW_MS);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct wb_position p = {
		        .ts_ms = sqlite3_column_int64(st, 0),
		        .vehicle_id = (const char *)sqlite3_column_text(st, 1),
		        .lat = sqlite3_column_type(st, 2) == SQLITE_NULL
		                       ? NAN
		                       : sqlite3_column_double(st, 2),
		        .lon = sqlite3_column_type(st, 3) == SQLITE_NULL
		                       ? NAN
		                       : sqlite3_column_double(st, 3),
		        .speed_mps = sqlite3_column_type(st, 4) == SQLITE_NULL
		                             ? NAN
		                             : sqlite3_column_double(st, 4),
		        .heading = sqlite3_column_type(st, 5) == SQLITE_NULL
		                           ? NAN
		                           : sqlite3_column_double(st, 5),
		        .odometer_m = sqlite3_column_type(st, 6) == SQLITE_NULL
		                              ? NAN
		                              : sqlite3_column_double(st, 6),
		        .fuel_pct = sqlite3_column_type(st, 7) == SQLITE_NULL
		                            ? NAN
		                            : sqlite3_column_double(st, 7),
		        .ignition = sqlite3_column_type(st, 8) == SQLITE_NULL
		                            ? -1
		                            : sqlite3_column_int(st, 8),
		};
		struct core_track *t = core_track_find(r->tracks, r->nveh, p.vehicle_id);
		if (t) {
			core_track_add(t, &p, &r->cfg);
			t->last.vehicle_id = t->vehicle_id; /* not the statement's text */
		}
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return detect_q_fail(r, s, "reading positions");
	/* The vehicle row carries the latest state even when its positions were
	 * pruned or not streamed yet. */
	for (size_t i = 0; i < r->nveh; i++) {
		const struct wb_vehicle *v = &r->veh[i];
		if (v->last_seen_ms == WB_NULL || isnan(v->lat) || isnan(v->lon))
			continue;
		struct wb_position p = {.vehicle_id = v->meta.id,
		                        .ts_ms = v->last_seen_ms,
		                        .lat = v->lat,
		                        .lon = v->lon,
		                        .speed_mps = v->speed_mps,
		                        .heading = v->heading,
		                        .odometer_m = v->odometer_m,
		                        .fuel_pct = v->fuel_pct,
		                        .ignition = -1};
		core_track_add(&r->tracks[i], &p, &r->cfg);
	}
	return 0;
}

static struct wb_vehicle *find_vehicle(struct detect_ctx *r, const char *id)
{
	struct core_track *t = core_track_find(r->tracks, r->nveh, id);
	return t ? &r->veh[t - r->tracks] : NULL;
}

/* ---- detectors ------------------------------------------------------------ */

/* Whether core_detect_late_eta has what it needs to say "on time": a position
 * and a window and place for the stop. Without them a quiet detector proves
 * nothing, and an open late_eta stays. */
static int late_eta_judgeable(const struct wb_stop *stop, const struct core_track *t)
{
	return t && t->n && !isnan(t->last.lat) && !isnan(t->last.lon) &&
	       stop->window_end != WB_NULL && !isnan(stop->lat) && !isnan(stop->lon);
}

/* late_eta (per load) and missed_window (per stop) on the pending drops of loads
 * in transit; missed_window on drops that arrived within the look-back, and
 * detention on stops that arrived within it. */
static int run_stops(struct detect_ctx *r)
{
	sqlite3_stmt *st = NULL;
	int rc = detect_prep(
	        r, &st,
	        "SELECT s.id, l.id FROM load l JOIN stop s ON s.load_id=l.id AND s.deleted=0"
	        " AND s.kind='drop' AND s.arrived_at IS NULL"
	        " WHERE l.status='in_transit' AND l.deleted=0 ORDER BY l.id, s.seq");
	if (rc)
		return rc;
	char last_load[96] = "";
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sid = (const char *)sqlite3_column_text(st, 0);
		const char *lid = (const char *)sqlite3_column_text(st, 1);
		struct wb_stop stop;
		struct wb_load load;
		char *s1 = NULL, *s2 = NULL;
		struct core_exception_out o;
		if ((rc = cache_get(r->c, WB_ENT_STOP, sid, &stop, &s1, r->err)) == 0 &&
		    (rc = cache_get(r->c, WB_ENT_LOAD, lid, &load, &s2, r->err)) == 0) {
			/* One late_eta per load: on its first pending drop. */
			if (strcmp(last_load, lid) != 0) {
				snprintf(last_load, sizeof(last_load), "%s", lid);
				const struct core_track *t =
				        core_track_find(r->tracks, r->nveh, load.vehicle_id);
				if (core_detect_late_eta(&load, &stop, t, r->now, &r->cfg, r->pol,
				                         &o))
					rc = emit(r, &o, stop.meta.id);
				else if (!late_eta_judgeable(&stop, t) &&
				         idset_add(&r->unsure, lid, NULL) != 0)
					rc = wb_fail(r->err, WB_ENOMEM, "out of memory");
			}
			if (rc == 0)
				rc = examined(r, CORE_KIND_MISSED_WINDOW, stop.meta.id);
			if (rc == 0 && core_detect_missed_window(&stop, r->now, r->pol, &o))
				rc = emit(r, &o, load.meta.id);
		}
		free(s1);
		free(s2);
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	/* Arrived stops that could be late or detained (the SQL is a superset of
	 * the core's rules), and those with such an exception open, which must be
	 * judged again to be closed: the rest cannot change a finding. */
	if ((rc = detect_prep(
	             r, &st,
	             "SELECT id FROM stop WHERE deleted=0 AND arrived_at >= ?1 AND ("
	             " (kind='drop' AND window_end IS NOT NULL AND arrived_at > window_end)"
	             " OR coalesce(departed_at, ?2) - max(arrived_at, coalesce(window_start, "
	             "arrived_at)) > ?3"
	             " OR id IN (SELECT subject_id FROM exception WHERE deleted=0 AND "
	             "source='local'"
	             "  AND kind IN ('detention','missed_window')"
	             "  AND status IN ('open','acknowledged','escalated')))"
	             " ORDER BY id")))
		return rc;
	sqlite3_bind_int64(st, 1, r->now - LOOKBACK_S);
	sqlite3_bind_int64(st, 2, r->now);
	sqlite3_bind_int64(st, 3, r->cfg.detention_free_s);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct wb_stop stop;
		char *s1 = NULL;
		struct core_exception_out o;
		if ((rc = cache_get(r->c, WB_ENT_STOP, (const char *)sqlite3_column_text(st, 0),
		                    &stop, &s1, r->err)) != 0) {
			free(s1);
			break;
		}
		if ((rc = examined(r, CORE_KIND_DETENTION, stop.meta.id)) == 0 &&
		    core_detect_detention(&stop, r->now, &r->cfg, r->pol, &o))
			rc = emit(r, &o, stop.load_id);
		/* A drop that arrived after its window: the booking was missed. */
		if (rc == 0 && stop.kind && !strcmp(stop.kind, "drop") &&
		    (rc = examined(r, CORE_KIND_MISSED_WINDOW, stop.meta.id)) == 0 &&
		    core_detect_missed_window(&stop, r->now, r->pol, &o))
			rc = emit(r, &o, stop.load_id);
		free(s1);
	}
	sqlite3_finalize(st);
	return rc;
}

/* fuel_anomaly: purchases within the look-back, against the tank and the
 * positions around the purchase time. The newest anomaly of a vehicle wins.
 * Finding a vehicle's positions around a time scans every vehicle's positions
 * in that window (the table is keyed by time, which keeps ingest fast), so a
 * purchase is judged when it is new or changed since r->fuel_since, or while
 * a local exception rests on it: a purchase does not change unless it does. */
static int run_fuel(struct detect_ctx *r)
{
	sqlite3_stmt *st = NULL, *ps = NULL;
	int rc = detect_prep(r, &st, "SELECT max(synced_at) FROM fuel_txn");
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		detect_plan_set_fuel_mark(r->plan, col_i64(st, 0) == WB_NULL ? 0 : col_i64(st, 0));
	sqlite3_finalize(st);
	if ((rc = detect_prep(
	             r, &st,
	             "SELECT id, vehicle_id FROM fuel_txn WHERE deleted=0 AND at >= ?1 AND "
	             "(synced_at "
	             ">= ?2"
	             " OR id IN (SELECT related_id FROM exception WHERE deleted=0 AND "
	             "source='local'"
	             "  AND kind='fuel_anomaly' AND status IN ('open','acknowledged','escalated')))"
	             " ORDER BY vehicle_id, at DESC, id")))
		return rc;
	sqlite3_bind_int64(st, 2, r->fuel_since);
	if ((rc = detect_prep(r, &ps,
	                      "SELECT ts_ms, lat, lon FROM position WHERE ts_ms BETWEEN ? AND ?"
	                      " AND vehicle_id=? ORDER BY ts_ms LIMIT 128"))) {
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_bind_int64(st, 1, r->now - LOOKBACK_S);
	char done_vid[96] = "\x01";
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *vid = (const char *)sqlite3_column_text(st, 1);
		if (vid && !strcmp(done_vid, vid))
			continue;
		struct wb_fuel_txn f;
		char *s1 = NULL;
		if ((rc = cache_get(r->c, WB_ENT_FUEL_TXN, (const char *)sqlite3_column_text(st, 0),
		                    &f, &s1, r->err)) != 0 ||
		    (rc = examined(r, CORE_KIND_FUEL_ANOMALY, f.meta.id)) != 0) {
			free(s1);
			break;
		}
		struct wb_position pos[FUEL_MAX_POS];
		size_t npos = 0;
		if (f.at != WB_NULL && f.vehicle_id) {
			sqlite3_reset(ps);
			sqlite3_bind_int64(ps, 1, f.at * 1000 - r->cfg.fuel_match_ms);
			sqlite3_bind_int64(ps, 2, f.at * 1000 + r->cfg.fuel_match_ms);
			sqlite3_bind_text(ps, 3, f.vehicle_id, -1, SQLITE_STATIC);
			while (npos < FUEL_MAX_POS && sqlite3_step(ps) == SQLITE_ROW) {
				pos[npos] = (struct wb_position){
				        .vehicle_id = f.vehicle_id,
				        .ts_ms = sqlite3_column_int64(ps, 0),
				        .lat = sqlite3_column_type(ps, 1) == SQLITE_NULL
				                       ? NAN
				                       : sqlite3_column_double(ps, 1),
				        .lon = sqlite3_column_type(ps, 2) == SQLITE_NULL
				                       ? NAN
				                       : sqlite3_column_double(ps, 2),
				        .speed_mps = NAN,
				        .heading = NAN,
				        .odometer_m = NAN,
				        .fuel_pct = NAN,
				        .ignition = -1};
				npos++;
			}
		}
		struct core_exception_out o;
		if (core_detect_fuel(&f, find_vehicle(r, f.vehicle_id), NAN, pos, npos, &r->cfg,
		                     r->pol, &o)) {
			rc = emit(r, &o, f.meta.id);
			snprintf(done_vid, sizeof(done_vid), "%s", vid ? vid : "");
		}
		free(s1);
	}
	sqlite3_finalize(ps);
	sqlite3_finalize(st);
	return rc;
}

/* idle_excess on every vehicle, from its track and its idle time today. */
static int run_idle(struct detect_ctx *r)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < r->nveh; i++) {
		struct core_exception_out o;
		if (core_detect_idle(&r->tracks[i], &r->veh[i], r->now, &r->cfg, r->pol, &o))
			rc = emit(r, &o, NULL);
	}
	return rc;
}

/* critical_fault: the worst active fault of each vehicle (critical before major,
 * then the oldest). */
static int run_faults(struct detect_ctx *r)
{
	sqlite3_stmt *st = NULL;
	int rc = detect_prep(r, &st,
	                     "SELECT id, vehicle_id FROM fault WHERE deleted=0 AND active=1"
	                     " AND severity IN ('critical','major')"
	                     " ORDER BY vehicle_id, severity='critical' DESC, first_seen, id");
	if (rc)
		return rc;
	char last[96] = "\x01";
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *vid = (const char *)sqlite3_column_text(st, 1);
		if (!vid || !strcmp(last, vid))
			continue;
		snprintf(last, sizeof(last), "%s", vid);
		struct wb_fault f;
		char *s1 = NULL;
		struct core_exception_out o;
		if ((rc = cache_get(r->c, WB_ENT_FAULT, (const char *)sqlite3_column_text(st, 0),
		                    &f, &s1, r->err)) == 0 &&
		    core_detect_fault(&f, r->now, r->pol, &o))
			rc = emit(r, &o, f.meta.id);
		free(s1);
	}
	sqlite3_finalize(st);
	return rc;
}

/* unsafe_inspection: each vehicle's latest inspection, through the
 * (vehicle_id, at) index; the newest few rows are read so the core can break a
 * tie on `at`. */
#define INSPECTIONS_MAX 4
static int run_inspections(struct detect_ctx *r)
{
	sqlite3_stmt *st = NULL;
	int rc = detect_prep(
	        r, &st,
	        "SELECT id FROM inspection WHERE vehicle_id=? AND deleted=0 AND at IS NOT NULL"
	        " ORDER BY at DESC, id LIMIT ?");
	for (size_t i = 0; rc == 0 && i < r->nveh; i++) {
		struct wb_inspection ins[INSPECTIONS_MAX];
		char *strs[INSPECTIONS_MAX] = {0};
		size_t n = 0;
		int s;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->veh[i].meta.id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, INSPECTIONS_MAX);
		while (rc == 0 && n < INSPECTIONS_MAX && (s = sqlite3_step(st)) == SQLITE_ROW) {
			rc = cache_get(r->c, WB_ENT_INSPECTION,
			               (const char *)sqlite3_column_text(st, 0), &ins[n], &strs[n],
			               r->err);
			n += rc == 0;
		}
		struct core_exception_out o;
		if (rc == 0 && core_detect_inspection(ins, n, r->now, r->pol, &o)) {
			const char *rel = NULL;
			for (size_t k = 0; k < n && !rel; k++)
				if (ins[k].safe == 0 &&
				    !strcmp(cstr_or(ins[k].vehicle_id), o.subject_id))
					rel = ins[k].meta.id;
			rc = emit(r, &o, rel);
		}
		for (size_t k = 0; k < INSPECTIONS_MAX; k++)
			free(strs[k]);
	}
	sqlite3_finalize(st);
	return rc;
}

/* pod_mismatch: the newest POD with exception codes of each load; the invoice
 * amount is what is at stake. */
static int run_pods(struct detect_ctx *r)
{
	sqlite3_stmt *st = NULL;
	int rc = detect_prep(
	        r, &st,
	        "SELECT p.id, p.load_id, (SELECT i.amount FROM invoice i WHERE i.load_id=p.load_id"
	        " AND i.deleted=0 ORDER BY i.issued_at DESC LIMIT 1)"
	        " FROM pod p WHERE p.deleted=0 AND p.exception_codes IS NOT NULL"
	        " AND p.exception_codes != '' ORDER BY p.load_id, p.signed_at DESC, p.id");
	if (rc)
		return rc;
	char last[96] = "\x01";
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *lid = (const char *)sqlite3_column_text(st, 1);
		if (!lid || !strcmp(last, lid))
			continue;
		snprintf(last, sizeof(last), "%s", lid);
		double stake = sqlite3_column_type(st, 2) == SQLITE_NULL
		                       ? NAN
		                       : sqlite3_column_double(st, 2);
		struct wb_pod p;
		char *s1 = NULL;
		struct core_exception_out o;
		if ((rc = cache_get(r->c, WB_ENT_POD, (const char *)sqlite3_column_text(st, 0), &p,
		                    &s1, r->err)) == 0 &&
		    core_detect_pod(&p, stake, r->now, r->pol, &o))
			rc = emit(r, &o, p.meta.id);
		free(s1);
	}
	sqlite3_finalize(st);
	return rc;
}

/* charge_out_of_tolerance: loads with a charge off its rate beyond the policy's
 * tolerance (the SQL mirrors core_within_tolerance to find them; the core
 * decides), or without a rated amount. */
static int run_charges(struct detect_ctx *r)
{
	sqlite3_stmt *st = NULL;
	int rc = detect_prep(
	        r, &st,
	        "SELECT DISTINCT load_id FROM charge WHERE deleted=0 AND load_id IS NOT NULL"
	        " AND amount IS NOT NULL AND (rated_amount IS NULL"
	        " OR abs(amount - rated_amount) > max(?1, abs(rated_amount) * ?2 / 100.0))"
	        " ORDER BY load_id");
	if (rc)
		return rc;
	sqlite3_bind_double(st, 1,
	                    isnan(r->pol->charge_tol_amount) ? 0 : r->pol->charge_tol_amount);
	sqlite3_bind_double(st, 2, isnan(r->pol->charge_tol_pct) ? 0 : r->pol->charge_tol_pct);
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *lid = (const char *)sqlite3_column_text(st, 0);
		void *rows = NULL;
		char *s1 = NULL;
		size_t n = 0;
		struct core_exception_out o;
		if ((rc = cache_list(r->c, WB_ENT_CHARGE, "load_id", lid, 256, &rows, &n, &s1,
		                     r->err)) == 0 &&
		    core_detect_charges(lid, rows, n, r->now, r->pol, &o)) {
			const struct wb_charge *ch = rows;
			rc = emit(r, &o, n ? ch[0].meta.id : NULL);
		}
		free(rows);
		free(s1);
	}
	sqlite3_finalize(st);
	return rc;
}

int detect_plan(struct cache *c, const struct core_policy *pol, const struct core_detect_cfg *dcfg,
                int64_t now, struct detect_plan **out, struct detect_run_stats *stats,
                struct wb_err *err)
{
	return detect_plan_since(c, pol, dcfg, now, 0, out, stats, err);
}

int detect_plan_since(struct cache *c, const struct core_policy *pol,
                      const struct core_detect_cfg *dcfg, int64_t now, int64_t fuel_since,
                      struct detect_plan **out, struct detect_run_stats *stats, struct wb_err *err)
{
	struct wb_err local = {0};
	struct detect_ctx r = {.c = c,
	                       .db = cache_db(c),
	                       .pol = pol ? pol : core_policy_default(),
	                       .err = err ? err : &local,
	                       .fuel_since = fuel_since};
	*out = NULL;
	if (dcfg)
		r.cfg = *dcfg;
	else
		core_detect_cfg_default(&r.cfg);
	if (cache_in_txn(c))
		return wb_fail(r.err, WB_EINVALID, "detectors cannot run inside a transaction");
	/* One read transaction: every detector sees the same snapshot, and a
	 * writer on another connection is never blocked by it. */
	int rc = sqlite3_exec(r.db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return detect_q_fail(&r, rc, "starting a detector read");
	r.now = now > 0 ? now : detect_run_now(c);
	r.st.now = r.now;
	r.plan = detect_plan_new(r.now);
	rc = r.plan ? 0 : wb_fail(r.err, WB_ENOMEM, "out of memory");
	if (rc == 0 && (rc = load_tracks(&r)) == 0 && (rc = run_stops(&r)) == 0 &&
	    (rc = run_fuel(&r)) == 0 && (rc = run_idle(&r)) == 0 && (rc = run_faults(&r)) == 0 &&
	    (rc = run_inspections(&r)) == 0 && (rc = run_pods(&r)) == 0 &&
	    (rc = run_charges(&r)) == 0)
		rc = detect_close_ended(&r);
	sqlite3_exec(r.db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	for (size_t i = 0; i < r.nveh; i++)
		free(r.vstr[i]);
	free(r.vstr);
	free(r.veh);
	free(r.tracks);
	idset_free(&r.found);
	idset_free(&r.examined);
	idset_free(&r.unsure);
	if (rc != 0) {
		detect_plan_free(r.plan);
		return rc;
	}
	*out = r.plan;
	if (stats)
		*stats = r.st;
	return 0;
}

int detect_run(struct cache *c, const struct core_policy *pol, const struct core_detect_cfg *dcfg,
               int64_t now, struct detect_run_stats *stats, struct wb_err *err)
{
	struct detect_plan *p = NULL;
	struct detect_run_stats planned, applied;
	int rc = detect_plan(c, pol, dcfg, now, &p, &planned, err);
	if (rc == 0)
		rc = detect_apply(c, p, &applied, err);
	detect_plan_free(p);
	if (rc == 0 && stats) {
		*stats = applied;
		stats->unchanged += planned.unchanged;
	}
	return rc;
}
