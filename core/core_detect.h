/* Local detectors: raise exceptions (kind, confidence, money at stake, evidence
 * with the numbers) from plain inputs, with or without an AI service. Positions
 * are folded into a small per-vehicle track as they arrive, so a sync batch costs
 * O(positions) and detectors read the track, never the history. */
#ifndef WAYBILL_CORE_DETECT_H
#define WAYBILL_CORE_DETECT_H

#include <stdbool.h>

#include "core/core.h"
#include "core/core_policy.h"

/* Great-circle distance in metres between two WGS84 points (degrees). */
double core_haversine_m(double lat1, double lon1, double lat2, double lon2);

/* Thresholds of the detectors; core_detect_cfg_default gives the values in brackets. */
struct core_detect_cfg {
	double eta_grace_s;          /* [600] late only past window_end + grace */
	double road_factor;          /* [1.25] road distance over great-circle distance */
	double fallback_speed_mps;   /* [16.7] when no speed was observed yet */
	double speed_tau_s;          /* [900] time constant of the observed speed */
	int64_t stale_after_ms;      /* [300000] an older last position lowers confidence */
	int64_t drop_dwell_s;        /* [1200] time at each drop on the way to the one judged */
	int64_t detention_free_s;    /* [7200] free time at a stop */
	double detention_rate_per_h; /* [60] money per hour past free time */
	double late_penalty_share;   /* [0.1] share of the load's revenue at stake when late */
	int64_t idle_streak_s;       /* [1200] continuous idling that raises idle_excess */
	int64_t idle_day_s;          /* [7200] idling per day (vehicle idle_s) that raises it */
	double idle_l_per_h;         /* [3.0] fuel burnt idling */
	double fuel_price_per_l;     /* [1.7] */
	double fuel_tank_tol;        /* [1.05] litres above tank_l * this are impossible */
	double fuel_l_per_100km;     /* [35] expected consumption */
	double fuel_use_factor;      /* [1.5] a fill above used * factor + slack is suspect */
	double fuel_slack_l;         /* [40] */
	double fuel_far_m;     /* [2000] a station this far beyond the vehicle's reach is suspect */
	int64_t fuel_match_ms; /* [3600000] positions this close in time to a purchase are read */
	double fuel_max_speed_mps; /* [33.3] the vehicle's reach: no truck averages more */
	int64_t fuel_silent_ms;    /* [900000] silence this long after a purchase: it stood */
	/* Not a threshold: how the evidence a person reads writes distances,
	 * speeds and volumes; the settings' units (settings/config.c), never a
	 * "detectors" key. [false] km, km/h, L, L/100 km; true: mi, mph, US gal, mpg. */
	bool imperial;
};

void core_detect_cfg_default(struct core_detect_cfg *c);
/* Loads the config's "detectors" object (a json_t *, typed void * so this header
 * needs no jansson) over c: each key is a field name above and replaces it.
 * Unknown keys, non-numbers, fractions for whole-number fields and values out
 * of range are refused with WB_EINVALID and the JSON path, e.g.
 * "detectors.eta_grace_s: must be a number >= 0"; c is untouched on error. */
int core_detect_cfg_from_json(struct core_detect_cfg *c, const void *detectors_json,
                              struct wb_err *err);

/* Fills o as an open exception of origin "local" with its deterministic id
 * (X-<kind>-<subject_id>) and required_role from the policy's decision on
 * (kind, confidence, impact); evidence is left empty for the caller. pol NULL:
 * the default policy. */
void core_exception_init(struct core_exception_out *o, enum core_kind kind,
                         const char *subject_kind, const char *subject_id, const char *severity,
                         double confidence, double impact, const char *suggested_action,
                         int64_t now, const struct core_policy *pol);

/* What the detectors know about one vehicle's recent movement. */
struct core_track {
	const char *vehicle_id;
	struct wb_position last; /* the latest position; valid when n > 0 */
	size_t n;                /* positions folded in */
	double speed_mps;        /* observed over ground, time-weighted; NAN until two positions */
	int64_t idle_since_ms;   /* start of the current idle streak, WB_NULL when moving or off */
	int64_t idle_longest_ms; /* longest idle streak seen */
	int64_t idle_total_ms;   /* engine on at rest, summed */
};

void core_track_init(struct core_track *t, const char *vehicle_id);
/* Folds one position in; older or duplicate timestamps are ignored. */
void core_track_add(struct core_track *t, const struct wb_position *p,
                    const struct core_detect_cfg *cfg);
/* tracks sorted by vehicle_id (strcmp). NULL if none. */
struct core_track *core_track_find(struct core_track *tracks, size_t n, const char *vehicle_id);
/* Feeds a batch to tracks sorted by vehicle_id; positions of unknown vehicles are
 * skipped. Returns the number fed. */
size_t core_tracks_feed(struct core_track *tracks, size_t ntracks, const struct wb_position *pos,
                        size_t n, const struct core_detect_cfg *cfg);

/* Each detector returns 1 and fills out when it raises, 0 when nothing is wrong
 * or the inputs are too thin to say. cfg NULL and pol NULL mean the defaults. */

/* late_eta on the load, on the first of its drops (drops[0..n), the load's
 * drops not arrived yet in their order; arrived ones are skipped) that lands
 * past its window (+ grace): by telematics, the distance from the track's last
 * position through the drops before it to the drop, at the observed speed, with
 * drop_dwell_s at each drop before (a drop without a place ends what
 * telematics can say); or by the source, the drop's own eta. Either late
 * raises; the evidence names the drop and both, *late_drop (unless NULL) its
 * index. t may be NULL. */
int core_detect_late_eta_route(const struct wb_load *load, const struct wb_stop *drops, size_t n,
                               const struct core_track *t, int64_t now,
                               const struct core_detect_cfg *cfg, const struct core_policy *pol,
                               size_t *late_drop, struct core_exception_out *out);
/* The same on one drop. */
int core_detect_late_eta(const struct wb_load *load, const struct wb_stop *stop,
                         const struct core_track *t, int64_t now, const struct core_detect_cfg *cfg,
                         const struct core_policy *pol, struct core_exception_out *out);
/* missed_window on the stop: arrived after window_end, or not arrived by then. */
int core_detect_missed_window(const struct wb_stop *stop, int64_t now,
                              const struct core_policy *pol, struct core_exception_out *out);
/* detention on the stop: dwell past free time, counted from the later of arrival
 * and window_start (an early truck waits on its own time), up to departure or now. */
int core_detect_detention(const struct wb_stop *stop, int64_t now,
                          const struct core_detect_cfg *cfg, const struct core_policy *pol,
                          struct core_exception_out *out);
/* fuel_anomaly on the vehicle: more litres than the tank holds; far more than it
 * used since the previous fill (distance_since_prev_m, NAN if unknown); or bought
 * at a station the vehicle could not have reached: more than fuel_far_m beyond
 * what it drives at fuel_max_speed_mps from one of pos[] (the vehicle's
 * positions around the purchase, any order) or from v's latest position, or
 * from the newest position before the purchase to the station and on to the
 * oldest after it; or bought away from where the vehicle stood at its last
 * report, before the purchase, with nothing reported since although the data
 * is current to now (a unit reports while the ignition is on), fuel_silent_ms
 * or more after the purchase. now: the time the telematics data is current to
 * (WB_NULL unknown). */
int core_detect_fuel(const struct wb_fuel_txn *txn, const struct wb_vehicle *v,
                     double distance_since_prev_m, const struct wb_position *pos, size_t npos,
                     int64_t now, const struct core_detect_cfg *cfg, const struct core_policy *pol,
                     struct core_exception_out *out);
/* idle_excess on the vehicle: an idle streak past idle_streak_s in the track, or
 * the vehicle's idle_s for the day past idle_day_s. t or v may be NULL. */
int core_detect_idle(const struct core_track *t, const struct wb_vehicle *v, int64_t now,
                     const struct core_detect_cfg *cfg, const struct core_policy *pol,
                     struct core_exception_out *out);
/* critical_fault on the vehicle: an active critical or major fault. */
int core_detect_fault(const struct wb_fault *f, int64_t now, const struct core_policy *pol,
                      struct core_exception_out *out);
/* unsafe_inspection on the vehicle: its latest inspection (by `at`, among ins[],
 * one vehicle's inspections; deleted ones and ones without a time are skipped)
 * found it unsafe. Confidence 1.0; severity from the defects
 * (core_inspection_severity). */
int core_detect_inspection(const struct wb_inspection *ins, size_t n, int64_t now,
                           const struct core_policy *pol, struct core_exception_out *out);
/* "critical" for out-of-service defects (brakes, steering, tyres, wheels,
 * coupling, frame) or none listed, "major" for lights, glass, wipers, mirrors,
 * "minor" otherwise. */
const char *core_inspection_severity(const char *defects);
/* pod_mismatch on the load: a POD with exception codes. at_stake: the invoice
 * amount or NAN. (core/billing.c) */
int core_detect_pod(const struct wb_pod *pod, double at_stake, int64_t now,
                    const struct core_policy *pol, struct core_exception_out *out);
/* charge_out_of_tolerance on the load: charges off their rated amount beyond the
 * policy tolerance, or without a rated amount. (core/billing.c) */
int core_detect_charges(const char *load_id, const struct wb_charge *c, size_t n, int64_t now,
                        const struct core_policy *pol, struct core_exception_out *out);

#endif
