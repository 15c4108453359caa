/* The local detectors over the cache (local/detect_run.h). Every read is a
 * typed reader of cache/detect_read.h that streams through an index or a
 * bounded look-back; full rows come from cache_get (a persistent statement). A
 * run reads in one read transaction (a snapshot) and writes nothing: findings
 * that would change the cache, and exceptions whose condition ended, go into a
 * plan (local/detect_plan.c) that detect_apply writes. */
#include <math.h>
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

static const char *cstr_or(const char *s)
{
	return s ? s : "";
}

int64_t detect_run_now(struct cache *c)
{
	int64_t ms = cache_telemetry_latest_ms(c);
	return ms != WB_NULL ? ms / 1000 : (int64_t)time(NULL);
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
	int rc = cache_vehicles_live(r->c, &r->veh, &r->vstr, &r->nveh, r->err);
	if (rc)
		return rc;
	if (!(r->tracks = calloc(r->nveh ? r->nveh : 1, sizeof(*r->tracks))))
		return wb_fail(r->err, WB_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nveh; i++)
		core_track_init(&r->tracks[i], r->veh[i].meta.id);
	/* The last hour of positions, in time order through the (ts_ms, vehicle_id) key. */
	struct cache_rows rows = {0};
	if ((rc = cache_snap_open_positions_since(r->c, &rows, r->now * 1000 - TRACK_WINDOW_MS,
	                                          r->err)))
		return rc;
	struct wb_position pos;
	int s;
	while ((s = cache_position_next(&rows, &pos, r->err)) == 1) {
		struct core_track *t = core_track_find(r->tracks, r->nveh, pos.vehicle_id);
		if (t) {
			core_track_add(t, &pos, &r->cfg);
			t->last.vehicle_id = t->vehicle_id; /* not the reader's text */
		}
	}
	cache_rows_close(&rows);
	if (s < 0)
		return s;
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

/* A load in transit and its drops not arrived yet, in their order (the first
 * DROPS_MAX: no load has more), as the late_eta detector judges them. */
#define DROPS_MAX 16
struct load_drops {
	struct wb_load load;
	char *load_strs;
	struct wb_stop drops[DROPS_MAX];
	char *drop_strs[DROPS_MAX];
	size_t n;
};

static void load_drops_clear(struct load_drops *g)
{
	free(g->load_strs);
	for (size_t i = 0; i < g->n; i++)
		free(g->drop_strs[i]);
	g->load_strs = NULL;
	g->n = 0;
}

/* Whether core_detect_late_eta_route has what it needs to say "on time": a
 * position, and a window and place for every drop. Without them a quiet
 * detector proves nothing, and an open late_eta stays. */
static int late_eta_judgeable(const struct load_drops *g, const struct core_track *t)
{
	if (!t || !t->n || isnan(t->last.lat) || isnan(t->last.lon))
		return 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->drops[i].window_end == WB_NULL || isnan(g->drops[i].lat) ||
		    isnan(g->drops[i].lon))
			return 0;
	return 1;
}

/* One late_eta per load: on the first of its drops that lands late. */
static int judge_late_eta(struct detect_ctx *r, struct load_drops *g)
{
	if (!g->n)
		return 0;
	const struct core_track *t = core_track_find(r->tracks, r->nveh, g->load.vehicle_id);
	struct core_exception_out o;
	size_t k = 0;
	int rc = 0;
	if (core_detect_late_eta_route(&g->load, g->drops, g->n, t, r->now, &r->cfg, r->pol, &k,
	                               &o))
		rc = emit(r, &o, g->drops[k].meta.id);
	else if (!late_eta_judgeable(g, t) && idset_add(&r->unsure, g->load.meta.id, NULL) != 0)
		rc = wb_fail(r->err, WB_ENOMEM, "out of memory");
	load_drops_clear(g);
	return rc;
}

/* late_eta (per load) and missed_window (per stop) on the pending drops of loads
 * in transit; missed_window on drops that arrived within the look-back, and
 * detention on stops that arrived within it. */
static int run_stops(struct detect_ctx *r)
{
	struct cache_rows rows = {0};
	int rc = cache_snap_open_pending_drops(r->c, &rows, r->err);
	if (rc)
		return rc;
	struct load_drops *grp = calloc(1, sizeof(*grp)); /* 16 stops: kept off the stack */
	if (!grp) {
		cache_rows_close(&rows);
		return wb_fail(r->err, WB_ENOMEM, "out of memory");
	}
	struct cache_ref ref;
	int s = 0;
	while (rc == 0 && (s = cache_ref_next(&rows, &ref, r->err)) == 1) {
		if (grp->n && strcmp(grp->load.meta.id, ref.parent ? ref.parent : "") != 0)
			rc = judge_late_eta(r, grp);
		if (rc)
			break;
		if (!grp->n && (rc = cache_get(r->c, WB_ENT_LOAD, ref.parent, &grp->load,
		                               &grp->load_strs, r->err)) != 0)
			break;
		struct wb_stop stop;
		char *s1 = NULL;
		if ((rc = cache_get(r->c, WB_ENT_STOP, ref.id, &stop, &s1, r->err)) != 0) {
			free(s1);
			break;
		}
		struct core_exception_out o;
		if ((rc = examined(r, CORE_KIND_MISSED_WINDOW, stop.meta.id)) == 0 &&
		    core_detect_missed_window(&stop, r->now, r->pol, &o))
			rc = emit(r, &o, grp->load.meta.id);
		if (grp->n < DROPS_MAX) { /* kept, with its text, until the load is judged */
			grp->drops[grp->n] = stop;
			grp->drop_strs[grp->n++] = s1;
		} else {
			free(s1);
		}
	}
	cache_rows_close(&rows);
	if (rc == 0 && s >= 0)
		rc = judge_late_eta(r, grp);
	load_drops_clear(grp);
	free(grp);
	if (rc || s < 0)
		return rc ? rc : s;
	/* Arrived stops that could be late or detained, and those with such an
	 * exception open, which must be judged again to be closed: the rest
	 * cannot change a finding. */
	if ((rc = cache_snap_open_stops_to_judge(r->c, &rows, r->now - LOOKBACK_S, r->now,
	                                         r->cfg.detention_free_s, r->err)))
		return rc;
	while (rc == 0 && (s = cache_ref_next(&rows, &ref, r->err)) == 1) {
		struct wb_stop stop;
		char *s1 = NULL;
		struct core_exception_out o;
		if ((rc = cache_get(r->c, WB_ENT_STOP, ref.id, &stop, &s1, r->err)) != 0) {
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
	cache_rows_close(&rows);
	return rc ? rc : s < 0 ? s : 0;
}

/* The vehicle's positions nearest a purchase at at_ms on each side, within
 * fuel_match_ms, into out[0..*n): the oldest at or after it and the newest
 * before it (core_detect_fuel bounds where the vehicle was by them). The
 * position table is keyed by time, so a window costs every vehicle's positions
 * in it: the side before is read back from the purchase in widening slices,
 * and a vehicle that reported shortly before stops the reading there. */
static int fuel_positions(struct detect_ctx *r, struct cache_rows *near, const char *vid,
                          int64_t at_ms, struct wb_position out[2], size_t *n)
{
	struct wb_position buf[FUEL_MAX_POS];
	size_t k = 0;
	int64_t m = r->cfg.fuel_match_ms;
	*n = 0;
	int rc = cache_positions_near(r->c, near, vid, at_ms, at_ms + m, &out[0], 1, &k, r->err);
	*n = k;
	int64_t hi = at_ms - 1, span = 60 * 1000;
	while (rc == 0 && hi >= at_ms - m) {
		int64_t lo = hi - span + 1 > at_ms - m ? hi - span + 1 : at_ms - m, from = lo;
		int found = 0;
		do { /* the slice in chunks, oldest first: the last row read is the newest */
			rc = cache_positions_near(r->c, near, vid, from, hi, buf, FUEL_MAX_POS, &k,
			                          r->err);
			if (rc == 0 && k) {
				out[*n] = buf[k - 1];
				found = 1;
				from = buf[k - 1].ts_ms + 1;
			}
		} while (rc == 0 && k == FUEL_MAX_POS);
		if (found) {
			(*n)++;
			break;
		}
		hi = lo - 1;
		span *= 4;
	}
	return rc;
}

/* fuel_anomaly: purchases within the look-back, against the tank and the
 * positions around the purchase time (fuel_positions). The newest anomaly of a vehicle wins.
 * Finding a vehicle's positions around a time scans every vehicle's positions
 * in that window (the table is keyed by time, which keeps ingest fast), so a
 * purchase is judged when it is new or changed since r->fuel_since, or while
 * a local exception rests on it: a purchase does not change unless it does. */
static int run_fuel(struct detect_ctx *r)
{
	int64_t mark = 0;
	int rc = cache_fuel_synced_latest(r->c, &mark, r->err);
	if (rc)
		return rc;
	detect_plan_set_fuel_mark(r->plan, mark);
	struct cache_rows rows = {0}, near = {0};
	if ((rc = cache_snap_open_fuel_to_judge(r->c, &rows, r->now - LOOKBACK_S, r->fuel_since,
	                                        r->err)))
		return rc;
	char done_vid[96] = "\x01";
	struct cache_ref ref;
	int s = 0;
	while (rc == 0 && (s = cache_ref_next(&rows, &ref, r->err)) == 1) {
		const char *vid = ref.parent;
		if (vid && !strcmp(done_vid, vid))
			continue;
		struct wb_fuel_txn f;
		char *s1 = NULL;
		if ((rc = cache_get(r->c, WB_ENT_FUEL_TXN, ref.id, &f, &s1, r->err)) != 0 ||
		    (rc = examined(r, CORE_KIND_FUEL_ANOMALY, f.meta.id)) != 0) {
			free(s1);
			break;
		}
		struct wb_position pos[2];
		size_t npos = 0;
		if (f.at != WB_NULL && f.vehicle_id)
			rc = fuel_positions(r, &near, f.vehicle_id, f.at * 1000, pos, &npos);
		struct core_exception_out o;
		if (rc == 0 && core_detect_fuel(&f, find_vehicle(r, f.vehicle_id), NAN, pos, npos,
		                                r->now, &r->cfg, r->pol, &o)) {
			rc = emit(r, &o, f.meta.id);
			snprintf(done_vid, sizeof(done_vid), "%s", vid ? vid : "");
		}
		free(s1);
	}
	cache_rows_close(&near);
	cache_rows_close(&rows);
	return rc ? rc : s < 0 ? s : 0;
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

/* Judges the first row of each parent in rows (the reader orders them by
 * parent, the one that matters first), then closes rows. */
static int first_per_parent(struct detect_ctx *r, struct cache_rows *rows,
                            int (*judge)(struct detect_ctx *r, const struct cache_ref *ref))
{
	char last[96] = "\x01";
	struct cache_ref ref;
	int rc = 0, s = 0;
	while (rc == 0 && (s = cache_ref_next(rows, &ref, r->err)) == 1) {
		if (!ref.parent || !strcmp(last, ref.parent))
			continue;
		snprintf(last, sizeof(last), "%s", ref.parent);
		rc = judge(r, &ref);
	}
	cache_rows_close(rows);
	return rc ? rc : s < 0 ? s : 0;
}

static int judge_fault(struct detect_ctx *r, const struct cache_ref *ref)
{
	struct wb_fault f;
	char *s1 = NULL;
	struct core_exception_out o;
	int rc = cache_get(r->c, WB_ENT_FAULT, ref->id, &f, &s1, r->err);
	if (rc == 0 && core_detect_fault(&f, r->now, r->pol, &o))
		rc = emit(r, &o, f.meta.id);
	free(s1);
	return rc;
}

/* critical_fault: the worst active fault of each vehicle (critical before major,
 * then the oldest). */
static int run_faults(struct detect_ctx *r)
{
	struct cache_rows rows = {0};
	int rc = cache_snap_open_active_faults(r->c, &rows, r->err);
	return rc ? rc : first_per_parent(r, &rows, judge_fault);
}

/* unsafe_inspection: each vehicle's latest inspection, through the
 * (vehicle_id, at) index; the newest few rows are read so the core can break a
 * tie on `at`. */
#define INSPECTIONS_MAX 4
static int run_inspections(struct detect_ctx *r)
{
	struct cache_rows rows = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < r->nveh; i++) {
		struct wb_inspection ins[INSPECTIONS_MAX];
		char *strs[INSPECTIONS_MAX] = {0};
		size_t n = 0;
		struct cache_ref ref;
		int s = 0;
		rc = cache_open_latest_inspections(r->c, &rows, r->veh[i].meta.id, INSPECTIONS_MAX,
		                                   r->err);
		while (rc == 0 && n < INSPECTIONS_MAX &&
		       (s = cache_ref_next(&rows, &ref, r->err)) == 1) {
			rc = cache_get(r->c, WB_ENT_INSPECTION, ref.id, &ins[n], &strs[n], r->err);
			n += rc == 0;
		}
		if (rc == 0 && s < 0)
			rc = s;
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
	cache_rows_close(&rows);
	return rc;
}

static int judge_pod(struct detect_ctx *r, const struct cache_ref *ref)
{
	struct wb_pod p;
	char *s1 = NULL;
	struct core_exception_out o;
	int rc = cache_get(r->c, WB_ENT_POD, ref->id, &p, &s1, r->err);
	if (rc == 0 && core_detect_pod(&p, ref->amount, r->now, r->pol, &o))
		rc = emit(r, &o, p.meta.id);
	free(s1);
	return rc;
}

/* pod_mismatch: the newest POD with exception codes of each load; the invoice
 * amount is what is at stake. */
static int run_pods(struct detect_ctx *r)
{
	struct cache_rows rows = {0};
	int rc = cache_snap_open_pods_with_codes(r->c, &rows, r->err);
	return rc ? rc : first_per_parent(r, &rows, judge_pod);
}

/* charge_out_of_tolerance: loads with a charge off its rate beyond the policy's
 * tolerance (the reader mirrors core_within_tolerance to find them; the core
 * decides), or without a rated amount. */
static int run_charges(struct detect_ctx *r)
{
	struct cache_rows rows = {0};
	int rc = cache_snap_open_loads_off_rate(
	        r->c, &rows, isnan(r->pol->charge_tol_amount) ? 0 : r->pol->charge_tol_amount,
	        isnan(r->pol->charge_tol_pct) ? 0 : r->pol->charge_tol_pct, r->err);
	if (rc)
		return rc;
	struct cache_ref ref;
	int s = 0;
	while (rc == 0 && (s = cache_ref_next(&rows, &ref, r->err)) == 1) {
		const char *lid = ref.id;
		void *list = NULL;
		char *s1 = NULL;
		size_t n = 0;
		struct core_exception_out o;
		if ((rc = cache_billed_list(r->c, WB_ENT_CHARGE, lid, 256, &list, &n, &s1,
		                            r->err)) == 0 &&
		    core_detect_charges(lid, list, n, r->now, r->pol, &o)) {
			const struct wb_charge *ch = list;
			rc = emit(r, &o, n ? ch[0].meta.id : NULL);
		}
		free(list);
		free(s1);
	}
	cache_rows_close(&rows);
	return rc ? rc : s < 0 ? s : 0;
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
	int rc = cache_snap_begin(c, r.err);
	if (rc)
		return rc;
	r.now = now > 0 ? now : detect_run_now(c);
	r.st.now = r.now;
	r.plan = detect_plan_new(r.now);
	rc = r.plan ? 0 : wb_fail(r.err, WB_ENOMEM, "out of memory");
	if (rc == 0 && (rc = load_tracks(&r)) == 0 && (rc = run_stops(&r)) == 0 &&
	    (rc = run_fuel(&r)) == 0 && (rc = run_idle(&r)) == 0 && (rc = run_faults(&r)) == 0 &&
	    (rc = run_inspections(&r)) == 0 && (rc = run_pods(&r)) == 0 &&
	    (rc = run_charges(&r)) == 0)
		rc = detect_close_ended(&r);
	cache_snap_end(c, rc == 0, NULL);
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
