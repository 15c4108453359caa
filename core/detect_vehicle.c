/* Local detectors on a vehicle: fuel purchases, idling, faults and inspections. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "core/core_detect.h"

/* Combines independent findings: 1 - product of (1 - c). */
static double combine(double a, double b)
{
	return 1 - (1 - a) * (1 - b);
}

/* Whether telematics puts the station out of the vehicle's reach at the time
 * of the purchase. A position gap seconds from the purchase and d metres from
 * the station rules the station out when d exceeds what the vehicle covers in
 * that gap at fuel_max_speed_mps (great-circle, so a lower bound on the road
 * it would have driven); the newest position before and the oldest after the
 * purchase rule it out together when going from one to the station and on to
 * the other is longer than that speed allows in the time between them. A
 * parked truck with the ignition off reports nothing, so the positions around
 * a purchase can be many minutes away from it; reach keeps the rule sound for
 * any gap. excess_m: how far beyond reach the station was (the largest of the
 * single positions and the pair), a and b the positions that say so (b NULL:
 * one position). */
struct fuel_reach {
	double excess_m;
	const struct wb_position *a, *b;
	double da_m, db_m;
};

static int placed(const struct wb_position *p, const char *vid)
{
	/* a time within the model's range: the differences below cannot overflow */
	return p && time_ms_ok(p->ts_ms) && !isnan(p->lat) && !isnan(p->lon) &&
	       !(vid && p->vehicle_id && strcmp(p->vehicle_id, vid) != 0);
}

static double gap_s(const struct wb_position *p, int64_t at_ms)
{
	return fabs((double)(p->ts_ms - at_ms)) / 1000.0;
}

static struct fuel_reach fuel_reach(const struct wb_fuel_txn *txn, const char *vid,
                                    const struct wb_position *pos, size_t npos,
                                    const struct wb_position *row, double vmax)
{
	struct fuel_reach r = {.excess_m = -INFINITY};
	const struct wb_position *before = NULL, *after = NULL;
	int64_t at_ms = txn->at * 1000;
	for (size_t i = 0; i <= npos; i++) {
		const struct wb_position *p = i < npos ? &pos[i] : row;
		if (!placed(p, vid))
			continue;
		double d = core_haversine_m(p->lat, p->lon, txn->lat, txn->lon);
		double ex = d - vmax * gap_s(p, at_ms);
		if (ex > r.excess_m)
			r = (struct fuel_reach){.excess_m = ex, .a = p, .da_m = d};
		if (p->ts_ms <= at_ms && (!before || p->ts_ms > before->ts_ms))
			before = p;
		if (p->ts_ms > at_ms && (!after || p->ts_ms < after->ts_ms))
			after = p;
	}
	if (before && after) {
		double da = core_haversine_m(before->lat, before->lon, txn->lat, txn->lon);
		double db = core_haversine_m(after->lat, after->lon, txn->lat, txn->lon);
		double ex = da + db - vmax * (double)(after->ts_ms - before->ts_ms) / 1000.0;
		if (ex > r.excess_m)
			r = (struct fuel_reach){
			        .excess_m = ex, .a = before, .b = after, .da_m = da, .db_m = db};
	}
	return r;
}

/* Farther beyond the vehicle's reach is surer. */
static double far_confidence(double beyond_m, const struct core_detect_cfg *cfg)
{
	return 0.6 + 0.35 * fmin(1.0, (beyond_m - cfg->fuel_far_m) / (10 * cfg->fuel_far_m));
}

/* The confidence that the purchase was made away from the vehicle (0: no
 * such finding), with its evidence appended to ev: the station out of the
 * vehicle's reach (fuel_reach); or the vehicle stood, silent, away from it. A
 * unit reports while the ignition is on, so a vehicle that stood at its last
 * report before the purchase and has reported nothing since, fuel_silent_ms
 * after the purchase with the data current to now, stood there when the card
 * was used, whatever the hours since (a truck in the yard overnight, out of
 * service): less sure, as the unit may have failed. */
static double fuel_far(const struct wb_fuel_txn *txn, const struct wb_vehicle *v, const char *vid,
                       const struct wb_position *pos, size_t npos, int64_t now,
                       const struct core_detect_cfg *cfg, char *ev, size_t evn)
{
	if (isnan(txn->lat) || isnan(txn->lon))
		return 0;
	int im = cfg->imperial;
	const char *du = ev_dist_unit(im);
	char t[8], t2[8];
	/* The vehicle row's latest position is one more bound, read already. */
	struct wb_position row = {.vehicle_id = vid, .ts_ms = WB_NULL};
	if (v && v->last_seen_ms != WB_NULL) {
		row.ts_ms = v->last_seen_ms;
		row.lat = v->lat;
		row.lon = v->lon;
	}
	struct fuel_reach fr = fuel_reach(txn, vid, pos, npos, &row, cfg->fuel_max_speed_mps);
	if (fr.a && fr.excess_m > cfg->fuel_far_m) {
		double kmh = ev_speed(im, cfg->fuel_max_speed_mps);
		const char *su = ev_speed_unit(im);
		if (!fr.b)
			bufcat(ev, evn,
			       " The vehicle was %.1f %s from the station at %s (telematics, %.0f "
			       "s "
			       "from the purchase): farther than it drives in that time at %.0f "
			       "%s.",
			       ev_dist(im, fr.da_m), du, hhmm(fr.a->ts_ms / 1000, t, sizeof(t)),
			       gap_s(fr.a, txn->at * 1000), kmh, su);
		else
			bufcat(ev, evn,
			       " The vehicle was %.1f %s from the station at %s and %.1f %s at %s "
			       "(telematics): it cannot have called there in between at %.0f %s.",
			       ev_dist(im, fr.da_m), du, hhmm(fr.a->ts_ms / 1000, t, sizeof(t)),
			       ev_dist(im, fr.db_m), du, hhmm(fr.b->ts_ms / 1000, t2, sizeof(t2)),
			       kmh, su);
		return far_confidence(fr.excess_m, cfg);
	}
	int64_t at_ms = txn->at * 1000;
	if (!placed(&row, vid) || row.ts_ms >= at_ms || isnan(v->speed_mps) ||
	    v->speed_mps >= 1.0 || !time_ok(now) || now * 1000 - at_ms < cfg->fuel_silent_ms)
		return 0;
	for (size_t i = 0; i < npos; i++)
		if (placed(&pos[i], vid) && pos[i].ts_ms > row.ts_ms)
			return 0; /* it reported after all */
	double d = core_haversine_m(row.lat, row.lon, txn->lat, txn->lon);
	if (d <= cfg->fuel_far_m)
		return 0;
	bufcat(ev, evn,
	       " The vehicle stood %.1f %s from the station at %s and has reported nothing since "
	       "(telematics, up to %s): it stood there when the card was used, unless its unit "
	       "failed.",
	       ev_dist(im, d), du, hhmm(row.ts_ms / 1000, t, sizeof(t)), hhmm(now, t2, sizeof(t2)));
	return far_confidence(d, cfg) * 0.8;
}

int core_detect_fuel(const struct wb_fuel_txn *txn, const struct wb_vehicle *v,
                     double distance_since_prev_m, const struct wb_position *pos, size_t npos,
                     int64_t now, const struct core_detect_cfg *cfg, const struct core_policy *pol,
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
	double far_conf = fuel_far(txn, v, vid, pos, npos, now, cfg, ev, sizeof(ev));
	int far = far_conf > 0;
	if (far)
		conf = combine(conf, far_conf);
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
