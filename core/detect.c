/* Local detectors over positions, stops, fuel purchases, faults and inspections.
 * Each fills a wb_exception with a confidence, the money at stake and a paragraph
 * of evidence with the numbers; the policy gives its required role. */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "internal.h"
#include "core/core_detect.h"

void core_detect_cfg_default(struct core_detect_cfg *c)
{
	*c = (struct core_detect_cfg){
	        .eta_grace_s = 600,
	        .road_factor = 1.25,
	        .fallback_speed_mps = 16.7,
	        .speed_tau_s = 900,
	        .stale_after_ms = 300000,
	        .detention_free_s = 7200,
	        .detention_rate_per_h = 60,
	        .late_penalty_share = 0.1,
	        .idle_streak_s = 1200,
	        .idle_day_s = 7200,
	        .idle_l_per_h = 3.0,
	        .fuel_price_per_l = 1.7,
	        .fuel_tank_tol = 1.05,
	        .fuel_l_per_100km = 35,
	        .fuel_use_factor = 1.5,
	        .fuel_slack_l = 40,
	        .fuel_far_m = 2000,
	        .fuel_match_ms = 3600000,
	        .fuel_max_speed_mps = 33.3,
	        .fuel_silent_ms = 900000,
	        .drop_dwell_s = 1200,
	};
}

/* Every threshold a config may set: its name (the struct field's), where it
 * lives, whether it is a whole number (int64_t) or a real, and its range. */
static const struct cfg_field {
	const char *name;
	size_t off;
	int whole;
	double lo, hi;
	int lo_open; /* 1: lo itself is refused */
} cfg_fields[] = {
#define CFG_REAL(f, lo, hi, open)                                                                  \
	{                                                                                          \
#f, offsetof(struct core_detect_cfg, f), 0, lo, hi, open                           \
	}
#define CFG_WHOLE(f, lo, hi)                                                                       \
	{                                                                                          \
#f, offsetof(struct core_detect_cfg, f), 1, lo, hi, 0                              \
	}
        CFG_REAL(eta_grace_s, 0, INFINITY, 0),
        CFG_REAL(road_factor, 1, INFINITY, 0),
        CFG_REAL(fallback_speed_mps, 0, INFINITY, 1),
        CFG_REAL(speed_tau_s, 0, INFINITY, 1),
        CFG_WHOLE(stale_after_ms, 0, 7 * 86400 * 1000.0),
        CFG_WHOLE(drop_dwell_s, 0, 86400),
        CFG_WHOLE(detention_free_s, 0, 7 * 86400),
        CFG_REAL(detention_rate_per_h, 0, INFINITY, 0),
        CFG_REAL(late_penalty_share, 0, 1, 0),
        CFG_WHOLE(idle_streak_s, 0, 86400),
        CFG_WHOLE(idle_day_s, 0, 86400),
        CFG_REAL(idle_l_per_h, 0, INFINITY, 0),
        CFG_REAL(fuel_price_per_l, 0, INFINITY, 0),
        CFG_REAL(fuel_tank_tol, 1, INFINITY, 0),
        CFG_REAL(fuel_l_per_100km, 0, INFINITY, 1),
        CFG_REAL(fuel_use_factor, 1, INFINITY, 0),
        CFG_REAL(fuel_slack_l, 0, INFINITY, 0),
        CFG_REAL(fuel_far_m, 0, INFINITY, 1),
        CFG_WHOLE(fuel_match_ms, 0, 86400 * 1000.0),
        CFG_REAL(fuel_max_speed_mps, 0, INFINITY, 1),
        CFG_WHOLE(fuel_silent_ms, 0, 86400 * 1000.0),
#undef CFG_REAL
#undef CFG_WHOLE
};

static int cfg_bad(struct wb_err *err, const char *key, const struct cfg_field *f)
{
	char range[96];
	if (f->whole)
		snprintf(range, sizeof(range), "a whole number between %.0f and %.0f", f->lo,
		         f->hi);
	else if (isinf(f->hi))
		snprintf(range, sizeof(range), "a number %s %g", f->lo_open ? ">" : ">=", f->lo);
	else
		snprintf(range, sizeof(range), "a number between %g and %g", f->lo, f->hi);
	return wb_fail(err, WB_EINVALID, "detectors.%.60s: must be %s", key, range);
}

int core_detect_cfg_from_json(struct core_detect_cfg *c, const void *detectors_json,
                              struct wb_err *err)
{
	json_t *root = (json_t *)detectors_json;
	if (!json_is_object(root))
		return wb_fail(err, WB_EINVALID,
		               "detectors: expected an object of threshold: number");
	struct core_detect_cfg tmp = *c;
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		const struct cfg_field *f = NULL;
		for (size_t i = 0; i < sizeof(cfg_fields) / sizeof(cfg_fields[0]) && !f; i++)
			if (strcmp(cfg_fields[i].name, key) == 0)
				f = &cfg_fields[i];
		if (!f) {
			char known[512] = "";
			for (size_t i = 0; i < sizeof(cfg_fields) / sizeof(cfg_fields[0]); i++)
				bufcat(known, sizeof(known), "%s%s", i ? ", " : "",
				       cfg_fields[i].name);
			return wb_fail(err, WB_EINVALID, "detectors.%.60s: unknown key (known: %s)",
			               key, known);
		}
		if (!json_is_number(v))
			return cfg_bad(err, key, f);
		double d = json_number_value(v);
		if (!isfinite(d) || d < f->lo || (f->lo_open && d == f->lo) || d > f->hi ||
		    (f->whole && d != floor(d)))
			return cfg_bad(err, key, f);
		if (f->whole)
			*(int64_t *)((char *)&tmp + f->off) = (int64_t)d;
		else
			*(double *)((char *)&tmp + f->off) = d;
	}
	*c = tmp;
	return 0;
}

static const struct core_detect_cfg *cfg_or_default(const struct core_detect_cfg *cfg)
{
	static struct core_detect_cfg def;
	static int ready;
	if (cfg)
		return cfg;
	if (!ready) {
		core_detect_cfg_default(&def);
		ready = 1;
	}
	return &def;
}

static double clamp01(double c)
{
	return c < 0.05 ? 0.05 : c > 0.99 ? 0.99 : c;
}

/* ---- Tracks ---------------------------------------------------------------- */

void core_track_init(struct core_track *t, const char *vehicle_id)
{
	memset(t, 0, sizeof(*t));
	t->vehicle_id = vehicle_id;
	t->speed_mps = NAN;
	t->idle_since_ms = WB_NULL;
}

static int idling(const struct wb_position *p)
{
	return p->ignition == 1 && !isnan(p->speed_mps) && p->speed_mps < 0.5;
}

void core_track_add(struct core_track *t, const struct wb_position *p,
                    const struct core_detect_cfg *cfg)
{
	cfg = cfg_or_default(cfg);
	/* A report at a time no clock gives (the cache may hold one from before the
	 * connectors checked) would stop every later report as "older"; within the
	 * model's range, the differences below cannot overflow. */
	if (!time_ms_ok(p->ts_ms) || (t->n && p->ts_ms <= t->last.ts_ms))
		return;
	if (t->n) {
		double dt = (double)(p->ts_ms - t->last.ts_ms) / 1000.0;
		double d = core_haversine_m(t->last.lat, t->last.lon, p->lat, p->lon);
		/* Speed over ground between reports, time-weighted: stops at lights and
		 * queues count, which is what an ETA needs. Bad fixes give NAN and are skipped. */
		double v = d / dt;
		if (!isnan(v)) {
			double a = 1 - exp(-dt / cfg->speed_tau_s);
			t->speed_mps =
			        isnan(t->speed_mps) ? v : t->speed_mps + a * (v - t->speed_mps);
		}
		if (idling(&t->last) && idling(p))
			t->idle_total_ms = sat_add(t->idle_total_ms, p->ts_ms - t->last.ts_ms);
	} else if (!isnan(p->speed_mps)) {
		t->speed_mps = p->speed_mps;
	}
	if (idling(p)) {
		if (t->idle_since_ms == WB_NULL)
			t->idle_since_ms = p->ts_ms;
		if (p->ts_ms - t->idle_since_ms > t->idle_longest_ms)
			t->idle_longest_ms = p->ts_ms - t->idle_since_ms;
	} else {
		t->idle_since_ms = WB_NULL;
	}
	t->last = *p;
	t->n++;
}

static int track_cmp(const void *key, const void *elem)
{
	const struct core_track *t = elem;
	return strcmp(key, t->vehicle_id ? t->vehicle_id : "");
}

struct core_track *core_track_find(struct core_track *tracks, size_t n, const char *vehicle_id)
{
	if (!vehicle_id || !n)
		return NULL;
	return bsearch(vehicle_id, tracks, n, sizeof(*tracks), track_cmp);
}

size_t core_tracks_feed(struct core_track *tracks, size_t ntracks, const struct wb_position *pos,
                        size_t n, const struct core_detect_cfg *cfg)
{
	size_t fed = 0;
	struct core_track *t = NULL;
	cfg = cfg_or_default(cfg);
	for (size_t i = 0; i < n; i++) {
		/* Batches often carry runs of one vehicle: skip the search for those. */
		if (!t || !cstreq(t->vehicle_id, pos[i].vehicle_id))
			t = core_track_find(tracks, ntracks, pos[i].vehicle_id);
		if (!t)
			continue;
		core_track_add(t, &pos[i], cfg);
		fed++;
	}
	return fed;
}

/* ---- Stops ----------------------------------------------------------------- */

int core_detect_late_eta(const struct wb_load *load, const struct wb_stop *stop,
                         const struct core_track *t, int64_t now, const struct core_detect_cfg *cfg,
                         const struct core_policy *pol, struct core_exception_out *out)
{
	return core_detect_late_eta_route(load, stop, stop ? 1 : 0, t, now, cfg, pol, NULL, out);
}

/* How old a report is at now, in ms, without overflow whatever the cache holds. */
static int64_t report_age_ms(int64_t now, int64_t ts_ms)
{
	int64_t now_ms;
	return ckd_mul(&now_ms, now, (int64_t)1000) ? INT64_MAX : sat_sub(now_ms, ts_ms);
}

static int placed_stop(const struct wb_stop *s)
{
	return !isnan(s->lat) && !isnan(s->lon);
}

/* One drop judged: the arrival telematics gives (eta NAN when it cannot say)
 * and the source's own, and how far past the window (+ grace) each lands. */
struct drop_eta {
	const struct wb_stop *stop;
	double eta, slip, src_slip, left_m;
	size_t before; /* drops on the way before this one */
};

static void late_eta_evidence(struct core_exception_out *out, const struct wb_load *load,
                              const struct drop_eta *d, const struct core_track *t, double speed,
                              int observed, int64_t now, const struct core_detect_cfg *cfg)
{
	const struct wb_stop *stop = d->stop;
	int im = cfg->imperial;
	char a[8], w0[8], w1[8];
	bufcat(out->evidence, sizeof(out->evidence),
	       "Load %s stop %lld (%s): ", cstr(load->meta.id),
	       (long long)(stop->seq == WB_NULL ? 0 : stop->seq), cstr(stop->place));
	if (!isnan(d->eta)) {
		char via[64] = "";
		if (d->before)
			snprintf(via, sizeof(via), " via %zu earlier drop%s (%.0f min each)",
			         d->before, d->before > 1 ? "s" : "",
			         (double)cfg->drop_dwell_s / 60);
		bufcat(out->evidence, sizeof(out->evidence),
		       "%.1f %s left%s at %.0f %s %s gives arrival %s", ev_dist(im, d->left_m),
		       ev_dist_unit(im), via, ev_speed(im, speed), ev_speed_unit(im),
		       observed ? "observed" : "assumed (no movement seen)",
		       hhmm((int64_t)d->eta, a, sizeof(a)));
		if (d->slip > 0)
			bufcat(out->evidence, sizeof(out->evidence), ", %.0f min after",
			       (d->eta - (double)stop->window_end) / 60);
		else
			bufcat(out->evidence, sizeof(out->evidence), ", in time for");
		bufcat(out->evidence, sizeof(out->evidence), " the window %s-%s",
		       hhmm(stop->window_start, w0, sizeof(w0)),
		       hhmm(stop->window_end, w1, sizeof(w1)));
		bufcat(out->evidence, sizeof(out->evidence), "%s (grace %.0f min).",
		       d->slip > 0 ? " closes" : "", cfg->eta_grace_s / 60);
	}
	if (d->src_slip > 0)
		bufcat(out->evidence, sizeof(out->evidence),
		       "%s%s's own ETA, %s, is %.0f min after the window %s-%s closes.",
		       isnan(d->eta) ? "The " : " The ",
		       stop->meta.source ? stop->meta.source : "source",
		       hhmm(stop->eta, a, sizeof(a)),
		       ((double)stop->eta - (double)stop->window_end) / 60,
		       hhmm(stop->window_start, w0, sizeof(w0)),
		       hhmm(stop->window_end, w1, sizeof(w1)));
	if (!isnan(d->eta))
		bufcat(out->evidence, sizeof(out->evidence), " Last position %lld s old.",
		       (long long)(report_age_ms(now, t->last.ts_ms) / 1000));
}

int core_detect_late_eta_route(const struct wb_load *load, const struct wb_stop *drops, size_t n,
                               const struct core_track *t, int64_t now,
                               const struct core_detect_cfg *cfg, const struct core_policy *pol,
                               size_t *late_drop, struct core_exception_out *out)
{
	cfg = cfg_or_default(cfg);
	if (!load || !drops)
		return 0;
	int tracked = t && t->n && !isnan(t->last.lat) && !isnan(t->last.lon);
	int observed = tracked && !isnan(t->speed_mps) && t->speed_mps >= 1.0;
	double speed = observed ? t->speed_mps : cfg->fallback_speed_mps;
	double lat = tracked ? t->last.lat : NAN, lon = tracked ? t->last.lon : NAN, left_m = 0;
	int routed = tracked; /* the route from the last position is known so far */
	size_t before = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wb_stop *stop = &drops[i];
		if (stop->arrived_at != WB_NULL)
			continue;
		struct drop_eta d = {.stop = stop, .eta = NAN, .slip = -1, .src_slip = -1};
		if (routed && placed_stop(stop)) {
			left_m +=
			        core_haversine_m(lat, lon, stop->lat, stop->lon) * cfg->road_factor;
			lat = stop->lat;
			lon = stop->lon;
			/* The truck drove on since its last report: count from that report. */
			d.eta = (double)t->last.ts_ms / 1000.0 + left_m / speed +
			        (double)before * (double)cfg->drop_dwell_s;
			if (!isfinite(d.eta)) /* a fix off the globe */
				d.eta = NAN;
			d.left_m = left_m;
			d.before = before;
		} else {
			routed = 0;
		}
		before++;
		/* Times no clock gives (the cache may hold them from before the
		 * connectors checked) judge nothing. */
		if (!time_ok(stop->window_end))
			continue;
		double due = (double)stop->window_end + cfg->eta_grace_s;
		if (!isnan(d.eta))
			d.slip = d.eta - due;
		if (time_ok(stop->eta))
			d.src_slip = (double)stop->eta - due;
		if (d.slip <= 0 && d.src_slip <= 0)
			continue;
		/* Telematics measures; the source's ETA is its claim (it may know of a
		 * wait at a dock telematics cannot see). Both late: surer. */
		double c = 0;
		if (d.slip > 0) {
			c = 0.55 + 0.4 * fmin(1.0, d.slip / 3600.0);
			if (report_age_ms(now, t->last.ts_ms) > cfg->stale_after_ms)
				c *= 0.7;
			if (!observed)
				c *= 0.75;
		}
		if (d.src_slip > 0)
			c = 1 - (1 - c) * (1 - (0.5 + 0.35 * fmin(1.0, d.src_slip / 3600.0)));
		double late_s = fmax(d.slip, d.src_slip) + cfg->eta_grace_s;
		double at_stake =
		        isnan(load->revenue) ? NAN : load->revenue * cfg->late_penalty_share;
		core_exception_init(out, CORE_KIND_LATE_ETA, "load", load->meta.id,
		                    late_s > 3600 ? "major" : "minor", clamp01(c), at_stake,
		                    "notify the customer, re-slot the dock", now, pol);
		late_eta_evidence(out, load, &d, t, speed, observed, now, cfg);
		if (late_drop)
			*late_drop = i;
		return 1;
	}
	return 0;
}

int core_detect_missed_window(const struct wb_stop *stop, int64_t now,
                              const struct core_policy *pol, struct core_exception_out *out)
{
	if (!stop || !time_ok(stop->window_end))
		return 0;
	int arrived = stop->arrived_at != WB_NULL;
	if (arrived && !time_ok(stop->arrived_at))
		return 0; /* an arrival no clock gives says nothing about the window */
	int64_t at = arrived ? stop->arrived_at : now;
	if (at <= stop->window_end)
		return 0;
	/* Not arrived yet may be an arrival not synced yet: slightly less certain. */
	core_exception_init(out, CORE_KIND_MISSED_WINDOW, "stop", stop->meta.id, "major",
	                    arrived ? 1.0 : 0.95, 0,
	                    "re-book the delivery window with the customer", now, pol);
	char w0[8], w1[8], a[8];
	snprintf(out->evidence, sizeof(out->evidence),
	         "Stop %s (%s, load %s): window %s-%s; %s %s, %lld min after it closed.",
	         cstr(stop->meta.id), cstr(stop->place), cstr(stop->load_id),
	         hhmm(stop->window_start, w0, sizeof(w0)), hhmm(stop->window_end, w1, sizeof(w1)),
	         arrived ? "arrived at" : "not arrived by", hhmm(at, a, sizeof(a)),
	         (long long)(sat_sub(at, stop->window_end) / 60));
	return 1;
}

int core_detect_detention(const struct wb_stop *stop, int64_t now,
                          const struct core_detect_cfg *cfg, const struct core_policy *pol,
                          struct core_exception_out *out)
{
	cfg = cfg_or_default(cfg);
	/* Money is billed on these times: one no clock gives (a departure in the
	 * year 292 billion) is no detention at all, not one worth 1.5e17. */
	if (!stop || !time_ok(stop->arrived_at))
		return 0;
	int departed = stop->departed_at != WB_NULL;
	if (departed && !time_ok(stop->departed_at))
		return 0;
	int64_t start = stop->arrived_at;
	if (time_ok(stop->window_start) && stop->window_start > start)
		start = stop->window_start;
	int64_t end = departed ? stop->departed_at : now;
	int64_t dwell = sat_sub(end, start);
	if (dwell <= cfg->detention_free_s)
		return 0;
	double over_h = (double)(dwell - cfg->detention_free_s) / 3600.0;
	core_exception_init(out, CORE_KIND_DETENTION, "stop", stop->meta.id, "minor",
	                    departed ? 0.95 : 0.9, over_h * cfg->detention_rate_per_h,
	                    "bill detention to the customer", now, pol);
	char a[8], s[8], e[8];
	snprintf(out->evidence, sizeof(out->evidence),
	         "Stop %s (%s, load %s): arrived %s, clock from %s, %s %s: %.1f h on site, %.1f h "
	         "past "
	         "the %.1f h free time; %.2f at %.2f per hour.",
	         cstr(stop->meta.id), cstr(stop->place), cstr(stop->load_id),
	         hhmm(stop->arrived_at, a, sizeof(a)), hhmm(start, s, sizeof(s)),
	         departed ? "departed" : "still there at", hhmm(end, e, sizeof(e)),
	         (double)dwell / 3600, over_h, (double)cfg->detention_free_s / 3600,
	         over_h * cfg->detention_rate_per_h, cfg->detention_rate_per_h);
	return 1;
}
