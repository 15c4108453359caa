/* Local detectors on a vehicle: fuel purchases, idling, faults and inspections. */
#include <math.h>
#include <strings.h>

#include "internal.h"
#include "core/core_detect.h"

/* Combines independent findings: 1 - product of (1 - c). */
static double combine(double a, double b)
{
	return 1 - (1 - a) * (1 - b);
}

/* The position nearest in time to at_ms, within max_ms, or NULL. */
static const struct wb_position *nearest(const struct wb_position *pos, size_t n, const char *vid,
                                         int64_t at_ms, int64_t max_ms)
{
	const struct wb_position *best = NULL;
	int64_t best_d = max_ms + 1;
	for (size_t i = 0; i < n; i++) {
		if (vid && pos[i].vehicle_id && strcmp(pos[i].vehicle_id, vid) != 0)
			continue;
		if (isnan(pos[i].lat) || isnan(pos[i].lon) || !time_ms_ok(pos[i].ts_ms))
			continue;
		/* both times in the model's range: the difference fits */
		int64_t d = pos[i].ts_ms > at_ms ? pos[i].ts_ms - at_ms : at_ms - pos[i].ts_ms;
		if (d < best_d) {
			best = &pos[i];
			best_d = d;
		}
	}
	return best;
}

int core_detect_fuel(const struct wb_fuel_txn *txn, const struct wb_vehicle *v,
                     double distance_since_prev_m, const struct wb_position *pos, size_t npos,
                     const struct core_detect_cfg *cfg, const struct core_policy *pol,
                     struct core_exception_out *out)
{
	struct core_detect_cfg def;
	if (!cfg) {
		core_detect_cfg_default(&def);
		cfg = &def;
	}
	/* A purchase at a time no clock gives is not judged: its time locates the
	 * vehicle (txn->at * 1000 below) and dates the exception. */
	if (!txn || isnan(txn->litres) || txn->litres <= 0 || !time_ok(txn->at))
		return 0;
	double conf = 0, excess_l = 0, at_stake = 0;
	char ev[CORE_EVIDENCE_MAX] = "", t[8];
	const char *vid = txn->vehicle_id ? txn->vehicle_id : v ? v->meta.id : NULL;
	/* An amount no till makes (1e300, infinity) prices nothing: the default does. */
	double unit_price = money_ok(txn->amount) && txn->amount > 0 ? txn->amount / txn->litres
	                                                             : cfg->fuel_price_per_l;
	if (v && !isnan(v->tank_l) && v->tank_l > 0 &&
	    txn->litres > v->tank_l * cfg->fuel_tank_tol) {
		conf = combine(conf, 0.95);
		excess_l = fmax(excess_l, txn->litres - v->tank_l);
		bufcat(ev, sizeof(ev), " The tank holds %.0f %s.", ev_vol(cfg->imperial, v->tank_l),
		       ev_vol_unit(cfg->imperial));
	}
	if (!isnan(distance_since_prev_m) && distance_since_prev_m >= 0) {
		double used = distance_since_prev_m / 100000.0 * cfg->fuel_l_per_100km;
		double limit = used * cfg->fuel_use_factor + cfg->fuel_slack_l;
		if (txn->litres > limit) {
			double over = txn->litres - used;
			conf = combine(conf,
			               0.6 + 0.3 * fmin(1.0, over / fmax(used, cfg->fuel_slack_l)));
			excess_l = fmax(excess_l, over);
			if (cfg->imperial) /* 100 km / L per 100 km, in miles per US gallon */
				bufcat(ev, sizeof(ev),
				       " Since the previous fill it drove %.0f mi, about %.0f gal "
				       "at "
				       "%.1f mpg.",
				       ev_dist(1, distance_since_prev_m), ev_vol(1, used),
				       100.0 / CORE_M_PER_MI * 1000 * CORE_L_PER_GAL /
				               cfg->fuel_l_per_100km);
			else
				bufcat(ev, sizeof(ev),
				       " Since the previous fill it drove %.0f km, about %.0f L at "
				       "%.0f L/100 km.",
				       distance_since_prev_m / 1000, used, cfg->fuel_l_per_100km);
		}
	}
	int far = 0;
	if (!isnan(txn->lat) && !isnan(txn->lon)) {
		const struct wb_position *p =
		        nearest(pos, npos, vid, txn->at * 1000, cfg->fuel_match_ms);
		double d = p ? core_haversine_m(p->lat, p->lon, txn->lat, txn->lon) : NAN;
		if (p && d > cfg->fuel_far_m) {
			far = 1;
			int64_t gap_s = (p->ts_ms > txn->at * 1000 ? p->ts_ms - txn->at * 1000
			                                           : txn->at * 1000 - p->ts_ms) /
			                1000;
			/* Farther is surer; a position minutes away from the purchase leaves
			 * room for the truck to have moved. */
			double c = 0.6 +
			           0.35 * fmin(1.0, (d - cfg->fuel_far_m) / (10 * cfg->fuel_far_m));
			c *= 1 - 0.3 * (double)gap_s * 1000 / (double)cfg->fuel_match_ms;
			conf = combine(conf, c);
			bufcat(ev, sizeof(ev),
			       " The vehicle was %.1f %s from the station at %s (telematics, %lld "
			       "s from the purchase).",
			       ev_dist(cfg->imperial, d), ev_dist_unit(cfg->imperial),
			       hhmm(p->ts_ms / 1000, t, sizeof(t)), (long long)gap_s);
		}
	}
	if (conf <= 0)
		return 0;
	at_stake = far ? (money_ok(txn->amount) ? txn->amount : txn->litres * unit_price)
	               : excess_l * unit_price;
	core_exception_init(out, CORE_KIND_FUEL_ANOMALY, "vehicle", vid, "major", fmin(conf, 0.99),
	                    at_stake, "freeze the card, review the purchase with the driver",
	                    txn->at, pol);
	/* evidence is empty after init; bufcat cuts a long list cleanly */
	bufcat(out->evidence, sizeof(out->evidence),
	       "%s: %.0f %s bought %s at %s for %.2f (card %s).%s", cstr(vid),
	       ev_vol(cfg->imperial, txn->litres), ev_vol_unit(cfg->imperial),
	       hhmm(txn->at, t, sizeof(t)), cstr(txn->station), txn->amount, cstr(txn->card), ev);
	return 1;
}

int core_detect_idle(const struct core_track *t, const struct wb_vehicle *v, int64_t now,
                     const struct core_detect_cfg *cfg, const struct core_policy *pol,
                     struct core_exception_out *out)
{
	struct core_detect_cfg def;
	if (!cfg) {
		core_detect_cfg_default(&def);
		cfg = &def;
	}
	int64_t streak_s = t ? t->idle_longest_ms / 1000 : 0;
	/* A day's idling beyond the model's durations is a broken counter, not a cost. */
	int64_t day_s = v && v->idle_s != WB_NULL && wb_in_range(WB_R_DURATION, (double)v->idle_s)
	                        ? v->idle_s
	                        : 0;
	int by_streak = streak_s > cfg->idle_streak_s;
	int by_day = day_s > cfg->idle_day_s;
	if (!by_streak && !by_day)
		return 0;
	double idle_h = (double)(by_day ? day_s : streak_s) / 3600.0;
	double cost = idle_h * cfg->idle_l_per_h * cfg->fuel_price_per_l;
	const char *vid = v ? v->meta.id : t->vehicle_id;
	core_exception_init(out, CORE_KIND_IDLE_EXCESS, "vehicle", vid, "minor", 0.9, cost,
	                    "coach the driver, check for a stuck PTO or cab heating", now, pol);
	snprintf(
	        out->evidence, sizeof(out->evidence),
	        "%s idled with the engine on: longest streak %lld min (limit %lld), %lld min today "
	        "(limit %lld); about %.1f %s, %.2f.",
	        cstr(vid), (long long)(streak_s / 60), (long long)(cfg->idle_streak_s / 60),
	        (long long)(day_s / 60), (long long)(cfg->idle_day_s / 60),
	        ev_vol(cfg->imperial, idle_h * cfg->idle_l_per_h), ev_vol_unit(cfg->imperial),
	        cost);
	return 1;
}

int core_detect_fault(const struct wb_fault *f, int64_t now, const struct core_policy *pol,
                      struct core_exception_out *out)
{
	if (!f || f->active != 1 ||
	    (!cstreq(f->severity, "critical") && !cstreq(f->severity, "major")))
		return 0;
	/* The money at stake is the proposed repair; the downtime comes on top. */
	struct core_wo_proposal wo;
	double est = core_maintenance_propose(f, NULL, 0, now, &wo) ? wo.wo.est_cost : NAN;
	core_exception_init(out, CORE_KIND_CRITICAL_FAULT, "vehicle", f->vehicle_id, f->severity,
	                    1.0, est, "hold the vehicle, open a work order", now, pol);
	char t[8], seen[40] = "at an unknown time";
	if (f->last_seen == WB_NULL) /* as before: a fault seen now */
		snprintf(seen, sizeof(seen), "0 min ago");
	else if (time_ok(f->last_seen))
		snprintf(seen, sizeof(seen), "%lld min ago",
		         (long long)(sat_sub(now, f->last_seen) / 60));
	snprintf(
	        out->evidence, sizeof(out->evidence),
	        "%s reports %s fault %s (%s%s%s) since %s; last seen %s. Proposed repair (%s) est. "
	        "%.0f.",
	        cstr(f->vehicle_id), f->severity, cstr(f->code), cstr(f->protocol),
	        f->description ? ": " : "", f->description ? f->description : "",
	        hhmm(f->first_seen, t, sizeof(t)), seen, isnan(est) ? "none" : wo.family, est);
	return 1;
}

/* Out-of-service defects first (CVSA criteria: brakes, steering, tyres and
 * wheels, coupling, frame), then defects that must be fixed before the next
 * dispatch (lights, glass, wipers, mirrors); anything else is minor. Matched
 * case-insensitively anywhere in the defects text; the worst match decides. */
static const struct {
	const char *word;
	const char *severity;
	int rank; /* 0 critical, 1 major */
} defect_words[] = {
        {"brake", "critical", 0},    {"steer", "critical", 0},      {"tire", "critical", 0},
        {"tyre", "critical", 0},     {"wheel", "critical", 0},      {"axle", "critical", 0},
        {"coupling", "critical", 0}, {"kingpin", "critical", 0},    {"king pin", "critical", 0},
        {"frame", "critical", 0},    {"suspension", "critical", 0}, {"fuel leak", "critical", 0},
        {"lamp", "major", 1},        {"light", "major", 1},         {"windshield", "major", 1},
        {"windscreen", "major", 1},  {"wiper", "major", 1},         {"mirror", "major", 1},
        {"horn", "major", 1},        {"seat belt", "major", 1},     {"exhaust", "major", 1},
};

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

const char *core_inspection_severity(const char *defects)
{
	/* A driver declared the unit unsafe without saying why: assume the worst. */
	if (cstrempty(defects))
		return "critical";
	int best = 2;
	for (size_t i = 0; i < sizeof(defect_words) / sizeof(defect_words[0]); i++)
		if (defect_words[i].rank < best && contains_ci(defects, defect_words[i].word))
			best = defect_words[i].rank;
	return best == 0 ? "critical" : best == 1 ? "major" : "minor";
}

int core_detect_inspection(const struct wb_inspection *ins, size_t n, int64_t now,
                           const struct core_policy *pol, struct core_exception_out *out)
{
	const struct wb_inspection *s = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct wb_inspection *c = &ins[i];
		if (c->meta.deleted || c->at == WB_NULL)
			continue;
		/* On a tie the unsafe one decides: a unit is not safer for it. */
		if (!s || c->at > s->at || (c->at == s->at && c->safe == 0 && s->safe != 0))
			s = c;
	}
	if (!s || s->safe != 0)
		return 0;
	const char *sev = core_inspection_severity(s->defects);
	const char *action =
	        sev[0] == 'c'   ? "hold the vehicle out of service, repair the defects, re-inspect"
	        : sev[0] == 'm' ? "repair the defects before the next dispatch, re-inspect"
	                        : "schedule the repair, note it on the next inspection";
	core_exception_init(out, CORE_KIND_UNSAFE_INSPECTION, "vehicle", s->vehicle_id, sev, 1.0, 0,
	                    action, now, pol);
	char t[8];
	snprintf(out->evidence, sizeof(out->evidence),
	         "%s %s inspection by driver %s at %s (the latest) found it unsafe: %s.",
	         cstr(s->vehicle_id), cstr(s->kind), cstr(s->driver_id), hhmm(s->at, t, sizeof(t)),
	         s->defects && *s->defects ? s->defects : "defects not listed");
	return 1;
}
