/* Local detectors: each raises with kind, subject, confidence, money at stake and
 * evidence with the numbers, and stays quiet just inside its threshold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/core_detect.h"

#define NOW 1700000000 /* 2023-11-14 22:13:20 UTC */

static void test_haversine(void **state)
{
	(void)state;
	/* One degree of latitude is ~111.2 km; Paris-London ~343.5 km. */
	assert_true(fabs(core_haversine_m(0, 0, 1, 0) - 111195) < 10);
	assert_true(fabs(core_haversine_m(48.8566, 2.3522, 51.5074, -0.1278) - 343560) < 500);
	assert_true(core_haversine_m(10, 10, 10, 10) == 0);
}

static void test_exception_id(void **state)
{
	(void)state;
	char buf[32];
	assert_int_equal(core_exception_id(buf, sizeof(buf), "late_eta", "L-1044"), 17);
	assert_string_equal(buf, "X-late_eta-L-1044");
	assert_int_equal(core_exception_id(buf, 8, "late_eta", "L-1044"), -1);
}

static struct wb_stop stop_at(double lat, double lon, int64_t w0, int64_t w1)
{
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	s.meta.id = "S-2";
	s.load_id = "L-1044";
	s.seq = 2;
	s.kind = "drop";
	s.place = "Store 212";
	s.lat = lat;
	s.lon = lon;
	s.window_start = w0;
	s.window_end = w1;
	return s;
}

/* A truck driving north at 20 m/s, positions every 30 s for 10 min, ending at NOW. */
static void drive(struct core_track *t)
{
	core_track_init(t, "T-09");
	for (int i = 0; i <= 20; i++) {
		struct wb_position p = {"T-09",
		                        (int64_t)(NOW - 600 + 30 * i) * 1000,
		                        50.0 + 20.0 * 30 * i / 111195.0,
		                        4.0,
		                        20,
		                        0,
		                        NAN,
		                        NAN,
		                        1};
		core_track_add(t, &p, NULL);
	}
}

static void test_late_eta(void **state)
{
	(void)state;
	struct core_track t;
	drive(&t);
	assert_true(fabs(t.speed_mps - 20) < 0.2);
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.meta.id = "L-1044";
	l.revenue = 4200;
	/* 36 km north (45 km by road at 20 m/s = 2250 s): due 37.5 min from now. */
	double lat = t.last.lat + 36000 / 111195.0;
	struct core_exception_out o;
	struct wb_stop s = stop_at(lat, 4.0, NOW - 3600, NOW + 2250 - 600 + 5); /* inside grace */
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW, NULL, NULL, &o), 0);
	s = stop_at(lat, 4.0, NOW - 3600, NOW + 2250 - 600 - 60); /* a minute past grace */
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW, NULL, NULL, &o), 1);
	assert_string_equal(o.x.kind, "late_eta");
	assert_string_equal(o.x.meta.id, "X-late_eta-L-1044");
	assert_string_equal(o.x.subject_kind, "load");
	assert_string_equal(o.x.origin, "local");
	assert_true(o.x.confidence > 0.5 && o.x.confidence < 0.6);
	assert_true(fabs(o.x.impact - 420) < 1e-9);
	assert_non_null(strstr(o.evidence, "45.0 km left at 72 km/h observed"));
	assert_non_null(strstr(o.evidence, "11 min after"));
	/* a stale position lowers confidence */
	struct core_exception_out o2;
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW + 3600, NULL, NULL, &o2), 1);
	assert_true(o2.x.confidence < o.x.confidence);
	/* arrived: nothing to predict */
	s.arrived_at = NOW;
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW, NULL, NULL, &o), 0);
}

static void test_missed_window(void **state)
{
	(void)state;
	struct core_exception_out o;
	struct wb_stop s = stop_at(0, 0, NOW - 7200, NOW - 3600);
	s.arrived_at = NOW - 3600;
	assert_int_equal(core_detect_missed_window(&s, NOW, NULL, &o), 0); /* at the end: on time */
	s.arrived_at = NOW - 3599;
	assert_int_equal(core_detect_missed_window(&s, NOW, NULL, &o), 1);
	assert_true(o.x.confidence == 1.0);
	assert_string_equal(o.x.meta.id, "X-missed_window-S-2");
	assert_string_equal(o.x.subject_kind, "stop"); /* the booking that was missed */
	s.arrived_at = WB_NULL;
	assert_int_equal(core_detect_missed_window(&s, NOW, NULL, &o), 1);
	assert_true(o.x.confidence == 0.95);
	assert_non_null(strstr(o.evidence, "not arrived by 22:13, 60 min after"));
	assert_int_equal(core_detect_missed_window(&s, NOW - 3600, NULL, &o), 0);
}

static void test_detention(void **state)
{
	(void)state;
	struct core_exception_out o;
	struct wb_stop s = stop_at(0, 0, WB_NULL, WB_NULL);
	s.arrived_at = NOW - 7200;
	assert_int_equal(core_detect_detention(&s, NOW, NULL, NULL, &o), 0); /* exactly free time */
	assert_int_equal(core_detect_detention(&s, NOW + 1, NULL, NULL, &o), 1);
	s.departed_at = NOW + 3600;
	assert_int_equal(core_detect_detention(&s, NOW + 7200, NULL, NULL, &o), 1);
	assert_true(fabs(o.x.impact - 60) < 1e-9); /* 1 h past free at 60/h */
	assert_non_null(strstr(o.evidence, "3.0 h on site, 1.0 h past"));
	/* early arrival: the clock starts at the window */
	s.window_start = NOW - 3600;
	assert_int_equal(core_detect_detention(&s, NOW + 7200, NULL, NULL, &o), 0);
}

static void test_fuel(void **state)
{
	(void)state;
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	v.meta.id = "T-22";
	v.tank_l = 400;
	struct wb_fuel_txn f;
	wb_entity_clear(WB_ENT_FUEL_TXN, &f);
	f.vehicle_id = "T-22";
	f.at = NOW;
	f.litres = 412;
	f.amount = 700;
	f.station = "Shell A12";
	f.card = "****4431";
	f.lat = 51.0;
	f.lon = 4.0;
	struct core_exception_out o;
	/* 412 L < 400 * 1.05: not over capacity; no other evidence */
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, WB_NULL, NULL, NULL, &o), 0);
	f.litres = 421;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, WB_NULL, NULL, NULL, &o), 1);
	assert_true(o.x.confidence >= 0.95 - 1e-9);
	assert_string_equal(o.x.subject_id, "T-22");
	assert_string_equal(o.x.required_role, "supervisor");
	/* far above consumption: 100 km at 35 L/100 km = 35 L; limit 35 * 1.5 + 40 = 92.5 */
	f.litres = 92;
	assert_int_equal(core_detect_fuel(&f, &v, 100000, NULL, 0, WB_NULL, NULL, NULL, &o), 0);
	f.litres = 93;
	assert_int_equal(core_detect_fuel(&f, &v, 100000, NULL, 0, WB_NULL, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "drove 100 km, about 35 L"));
	/* far from the vehicle: 61 km away at the same minute */
	f.litres = 80;
	struct wb_position p = {
	        "T-22", (int64_t)NOW * 1000, 51.0 + 61000 / 111195.0, 4.0, 0, 0, 0, NAN, 1};
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p, 1, WB_NULL, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "61.0 km from the station"));
	assert_true(fabs(o.x.impact - 700) < 1e-9);
	/* 1.9 km away: within the threshold */
	p.lat = 51.0 + 1900 / 111195.0;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p, 1, WB_NULL, NULL, NULL, &o), 0);
	/* a position too far in time says nothing */
	p.lat = 52.0;
	p.ts_ms = ((int64_t)NOW + 3600) * 1000;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p, 1, WB_NULL, NULL, NULL, &o), 0);
}

/* A load with more than one drop left: each is judged, through the drops
 * before it (drop_dwell_s at each), and the source's own ETA counts. Simulator
 * seed 17: the last of two drops late, the first on time; seeds 18 and 21: a
 * truck held at an earlier drop, which the TMS's ETA knows of and the
 * distance does not. */
static void test_late_eta_route(void **state)
{
	(void)state;
	struct core_track t;
	drive(&t); /* 20 m/s, at 50.0 + 12 km north at NOW */
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.meta.id = "L-1044";
	l.revenue = 4200;
	const double km = 1000 / 111195.0;
	/* 20 km north, then back 25 km south: 5 km from the truck, but 45 km
	 * (56.25 by road, 2812 s) and a drop's 20 min on the way. */
	struct wb_stop d[2] = {stop_at(t.last.lat + 20 * km, 4.0, NOW, NOW + 3600),
	                       stop_at(t.last.lat - 5 * km, 4.0, NOW, NOW + 3000)};
	d[1].meta.id = "S-3";
	d[1].seq = 3;
	d[1].place = "Store 7";
	struct core_exception_out o;
	size_t k = 9;
	/* each alone, from where the truck is: on time */
	assert_int_equal(core_detect_late_eta(&l, &d[0], &t, NOW, NULL, NULL, &o), 0);
	assert_int_equal(core_detect_late_eta(&l, &d[1], &t, NOW, NULL, NULL, &o), 0);
	/* the second after the first: 2812 + 1200 s, 412 s past its window's grace */
	assert_int_equal(core_detect_late_eta_route(&l, d, 2, &t, NOW, NULL, NULL, &k, &o), 1);
	assert_int_equal(k, 1);
	assert_string_equal(o.x.meta.id, "X-late_eta-L-1044");
	assert_non_null(strstr(o.evidence, "Load L-1044 stop 3 (Store 7): 56.3 km left via 1 "
	                                   "earlier drop (20 min each) at 72 km/h observed"));
	assert_non_null(strstr(o.evidence, "17 min after the window"));
	struct core_detect_cfg cfg;
	core_detect_cfg_default(&cfg);
	cfg.drop_dwell_s = 600; /* 10 min at the first: in time */
	assert_int_equal(core_detect_late_eta_route(&l, d, 2, &t, NOW, &cfg, NULL, &k, &o), 0);
	/* the first arrived (the truck left it): not on the way any more */
	d[0].arrived_at = NOW - 600;
	assert_int_equal(core_detect_late_eta_route(&l, d, 2, &t, NOW, NULL, NULL, &k, &o), 0);

	/* The source's ETA: the truck can make it by distance, the TMS says 30 min
	 * past the window (it knows of a wait). */
	struct wb_stop s = stop_at(t.last.lat + 10 * km, 4.0, NOW, NOW + 3600);
	s.meta.source = "tms";
	s.eta = NOW + 3600 + 1800;
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "in time for the window"));
	assert_non_null(strstr(o.evidence, "The tms's own ETA, 23:43, is 30 min after the window "
	                                   "22:13-23:13 closes."));
	assert_true(o.x.confidence > 0.5 && o.x.confidence < 0.99);
	/* no position: the source's word alone */
	assert_int_equal(core_detect_late_eta(&l, &s, NULL, NOW, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "Load L-1044 stop 2 (Store 212): The tms's own ETA"));
	assert_null(strstr(o.evidence, "Last position"));
	/* within the grace: nothing */
	s.eta = NOW + 3600 + 600;
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW, NULL, NULL, &o), 0);
	assert_int_equal(core_detect_late_eta(&l, &s, NULL, NOW, NULL, NULL, &o), 0);
}

/* Where telematics places the vehicle bounds where it can have bought fuel:
 * a position minutes from the purchase counts by what the truck can drive in
 * between (33.3 m/s, 120 km/h, great-circle), whatever the gap; so does the
 * vehicle row's latest position, and the positions on either side together.
 * A parked truck with the ignition off reports nothing: its positions around a
 * purchase can be half an hour away from it (simulator seeds 3 and 15). */
static void test_fuel_reach(void **state)
{
	(void)state;
	const double km = 1000 / 111195.0; /* degrees of latitude per km */
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	v.meta.id = "T-22";
	v.tank_l = 400;
	struct wb_fuel_txn f;
	wb_entity_clear(WB_ENT_FUEL_TXN, &f);
	f.vehicle_id = "T-22";
	f.at = NOW;
	f.litres = 300;
	f.amount = 537;
	f.station = "Shell A12";
	f.lat = 51.0;
	f.lon = 4.0;
	struct core_exception_out o;
	struct wb_position p[2] = {
	        {"T-22", ((int64_t)NOW - 1500) * 1000, 51.0 + 61 * km, 4.0, 0, 0, 0, NAN, 0},
	        {"T-22", ((int64_t)NOW + 1200) * 1000, 51.0 + 61 * km, 4.0, 0, 0, 0, NAN, 1}};
	/* parked 61 km away 25 min before: 50 km of reach, 11 km beyond it */
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p[0], 1, WB_NULL, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "61.0 km from the station at"));
	assert_non_null(strstr(o.evidence, "1500 s from the purchase): farther than it drives"));
	assert_non_null(strstr(o.evidence, "120 km/h"));
	assert_true(fabs(o.x.impact - 537) < 1e-9);
	assert_true(o.x.confidence > 0.6 && o.x.confidence < 0.99);
	/* 45 km away 25 min before: it could have driven there */
	p[0].lat = 51.0 + 45 * km;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p[0], 1, WB_NULL, NULL, NULL, &o), 0);
	/* 5 km away 10 min before: within reach, however long the silence */
	p[0].ts_ms = ((int64_t)NOW - 600) * 1000;
	p[0].lat = 51.0 + 5 * km;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p[0], 1, WB_NULL, NULL, NULL, &o), 0);
	/* the vehicle row's latest position, 20 min after, 61 km away */
	v.last_seen_ms = ((int64_t)NOW + 1200) * 1000;
	v.lat = 51.0 + 61 * km;
	v.lon = 4.0;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, WB_NULL, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "1200 s from the purchase"));
	/* ... but a day later it says nothing */
	v.last_seen_ms = ((int64_t)NOW + 86400) * 1000;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, WB_NULL, NULL, NULL, &o), 0);
	/* 21.5 km away 10 min before and 10 min after: each alone within 2 km of
	 * its reach (20 km), there and back in 20 min not */
	p[0].lat = 51.0 + 21.5 * km;
	p[1] = p[0];
	p[1].ts_ms = ((int64_t)NOW + 600) * 1000;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p[0], 1, WB_NULL, NULL, NULL, &o), 0);
	assert_int_equal(core_detect_fuel(&f, &v, NAN, &p[1], 1, WB_NULL, NULL, NULL, &o), 0);
	assert_int_equal(core_detect_fuel(&f, &v, NAN, p, 2, WB_NULL, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "21.5 km from the station at"));
	assert_non_null(strstr(o.evidence, "cannot have called there in between at 120 km/h"));
	/* another vehicle's position says nothing of this one */
	p[0].vehicle_id = p[1].vehicle_id = "T-23";
	assert_int_equal(core_detect_fuel(&f, &v, NAN, p, 2, WB_NULL, NULL, NULL, &o), 0);

	/* Silent since it stood 61 km away 5 h before the purchase, with the data
	 * current to 20 min after it (simulator seed 32: a tractor out of service
	 * in the yard): it stood there. */
	v.last_seen_ms = ((int64_t)NOW - 5 * 3600) * 1000;
	v.speed_mps = 0;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, NOW + 1200, NULL, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "The vehicle stood 61.0 km from the station at 17:13 "
	                                   "and has reported nothing since (telematics, up to "
	                                   "22:33)"));
	assert_true(o.x.confidence > 0.5 && o.x.confidence < 0.8);
	/* the data not current long enough after the purchase to call it silence */
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, NOW + 600, NULL, NULL, &o), 0);
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, WB_NULL, NULL, NULL, &o), 0);
	/* it reported after the purchase, 1 km from the station, 15 min later */
	p[0] = (struct wb_position){
	        "T-22", ((int64_t)NOW + 900) * 1000, 51.0 + 1 * km, 4.0, 0, 0, 0, NAN, 1};
	assert_int_equal(core_detect_fuel(&f, &v, NAN, p, 1, NOW + 1200, NULL, NULL, &o), 0);
	/* it was driving at its last report: silence is a unit out of coverage */
	v.speed_mps = 22;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, NOW + 1200, NULL, NULL, &o), 0);
	/* stood 1.5 km from the station: within fuel_far_m */
	v.speed_mps = 0;
	v.lat = 51.0 + 1.5 * km;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, NOW + 1200, NULL, NULL, &o), 0);
}

static void test_idle(void **state)
{
	(void)state;
	struct core_track t;
	core_track_init(&t, "T-05");
	for (int i = 0; i <= 20; i++) { /* 20 min idling, one report a minute */
		struct wb_position p = {
		        "T-05", ((int64_t)NOW + 60 * i) * 1000, 50, 4, 0, 0, NAN, NAN, 1};
		core_track_add(&t, &p, NULL);
	}
	struct core_exception_out o;
	assert_int_equal(t.idle_longest_ms, 1200000);
	assert_int_equal(core_detect_idle(&t, NULL, NOW, NULL, NULL, &o),
	                 0); /* exactly the limit */
	struct wb_position p = {"T-05", ((int64_t)NOW + 1201) * 1000, 50, 4, 0, 0, NAN, NAN, 1};
	core_track_add(&t, &p, NULL);
	assert_int_equal(core_detect_idle(&t, NULL, NOW, NULL, NULL, &o), 1);
	assert_string_equal(o.x.kind, "idle_excess");
	/* moving resets the streak, not the longest */
	p.ts_ms += 60000;
	p.speed_mps = 10;
	core_track_add(&t, &p, NULL);
	assert_int_equal(t.idle_since_ms, WB_NULL);
	/* daily idle from the vehicle row */
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	v.meta.id = "T-06";
	v.idle_s = 7201;
	assert_int_equal(core_detect_idle(NULL, &v, NOW, NULL, NULL, &o), 1);
	v.idle_s = 7200;
	assert_int_equal(core_detect_idle(NULL, &v, NOW, NULL, NULL, &o), 0);
}

static void test_fault_pod_charges_inspection(void **state)
{
	(void)state;
	struct core_exception_out o;
	struct wb_fault f;
	wb_entity_clear(WB_ENT_FAULT, &f);
	f.meta.id = "F-1";
	f.vehicle_id = "T-31";
	f.code = "SPN3031-FMI9";
	f.severity = "critical";
	f.active = 1;
	assert_int_equal(core_detect_fault(&f, NOW, NULL, &o), 1);
	assert_string_equal(o.x.meta.id, "X-critical_fault-T-31");
	assert_string_equal(o.x.severity, "critical");
	assert_true(o.x.impact == 680);
	assert_string_equal(o.x.required_role, "supervisor");
	f.severity = "minor";
	assert_int_equal(core_detect_fault(&f, NOW, NULL, &o), 0);

	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	p.load_id = "L-1";
	p.exception_codes = "";
	assert_int_equal(core_detect_pod(&p, 100, NOW, NULL, &o), 0);
	p.exception_codes = "SHORT";
	assert_int_equal(core_detect_pod(&p, 100, NOW, NULL, &o), 1);

	struct wb_charge c;
	wb_entity_clear(WB_ENT_CHARGE, &c);
	c.code = "lumper";
	c.amount = 100;
	c.rated_amount = 75;
	assert_int_equal(core_detect_charges("L-1", &c, 1, NOW, NULL, &o), 0); /* +25 within */
	c.amount = 100.01;
	assert_int_equal(core_detect_charges("L-1", &c, 1, NOW, NULL, &o), 1);
}

/* unsafe_inspection: the latest inspection by `at` decides, whatever the order
 * the rows come in; severity from the defects. */
struct insp_row {
	int64_t at; /* seconds before NOW; -1: no time */
	int safe;
	const char *defects;
	int deleted;
};
static const struct insp_case {
	const char *name;
	struct insp_row rows[3];
	size_t n;
	int raises;
	const char *severity; /* when it raises */
	const char *evidence; /* a substring of the evidence */
} insp_cases[] = {
        {"none", {{0}}, 0, 0, NULL, NULL},
        {"one safe", {{600, 1, NULL, 0}}, 1, 0, NULL, NULL},
        {"brakes: critical",
         {{600, 0, "brake chamber air leak, axle 2", 0}},
         1,
         1,
         "critical",
         "brake chamber"},
        {"steer tyre: critical",
         {{600, 0, "tire tread below 2/32 in, steer left", 0}},
         1,
         1,
         "critical",
         "steer left"},
        {"fifth wheel: critical",
         {{600, 0, "Fifth wheel locking jaw worn", 0}},
         1,
         1,
         "critical",
         "jaw worn"},
        {"headlamp: major", {{600, 0, "headlamp inoperative", 0}}, 1, 1, "major", "headlamp"},
        {"windshield: major",
         {{600, 0, "windshield crack in sweep area", 0}},
         1,
         1,
         "major",
         "sweep area"},
        {"cab trim: minor", {{600, 0, "sleeper curtain torn", 0}}, 1, 1, "minor", "curtain"},
        {"no defects listed: critical", {{600, 0, "", 0}}, 1, 1, "critical", "defects not listed"},
        {"worst of several",
         {{600, 0, "headlamp inoperative; brake hose chafed", 0}},
         1,
         1,
         "critical",
         "hose"},
        {"unsafe then safe: cleared",
         {{7200, 0, "headlamp inoperative", 0}, {600, 1, NULL, 0}},
         2,
         0,
         NULL,
         NULL},
        {"safe then unsafe, listed first",
         {{600, 0, "wiper blade missing", 0}, {7200, 1, NULL, 0}},
         2,
         1,
         "major",
         "wiper"},
        {"newest unsafe among three",
         {{7200, 1, NULL, 0}, {60, 0, "mirror broken", 0}, {3600, 1, NULL, 0}},
         3,
         1,
         "major",
         "mirror"},
        {"a tie: unsafe wins",
         {{600, 1, NULL, 0}, {600, 0, "brake light out", 0}},
         2,
         1,
         "critical",
         "brake light"},
        {"newest deleted: the one before",
         {{60, 0, "horn inoperative", 1}, {600, 1, NULL, 0}},
         2,
         0,
         NULL,
         NULL},
        {"no time: skipped", {{-1, 0, "brake chamber", 0}, {600, 1, NULL, 0}}, 2, 0, NULL, NULL},
};

static void test_unsafe_inspection(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(insp_cases) / sizeof(insp_cases[0]); i++) {
		const struct insp_case *tc = &insp_cases[i];
		struct wb_inspection ins[3];
		for (size_t k = 0; k < tc->n; k++) {
			wb_entity_clear(WB_ENT_INSPECTION, &ins[k]);
			ins[k].meta.id = "IN-1";
			ins[k].meta.deleted = tc->rows[k].deleted;
			ins[k].vehicle_id = "T-31";
			ins[k].driver_id = "D-4";
			ins[k].kind = "pre_trip";
			ins[k].safe = tc->rows[k].safe;
			ins[k].defects = tc->rows[k].defects;
			ins[k].at = tc->rows[k].at < 0 ? WB_NULL : NOW - tc->rows[k].at;
		}
		struct core_exception_out o;
		int got = core_detect_inspection(ins, tc->n, NOW, NULL, &o);
		if (got != tc->raises)
			fail_msg("%s: raises %d, want %d", tc->name, got, tc->raises);
		if (!got)
			continue;
		if (strcmp(o.x.severity, tc->severity) != 0)
			fail_msg("%s: severity %s, want %s", tc->name, o.x.severity, tc->severity);
		if (!strstr(o.x.evidence, tc->evidence))
			fail_msg("%s: evidence \"%s\" lacks \"%s\"", tc->name, o.x.evidence,
			         tc->evidence);
		assert_string_equal(o.x.kind, "unsafe_inspection");
		assert_string_equal(o.x.subject_kind, "vehicle");
		assert_string_equal(o.x.subject_id, "T-31");
		assert_string_equal(o.x.meta.id, "X-unsafe_inspection-T-31");
		assert_true(o.x.confidence == 1.0);
		assert_true(o.x.suggested_action && *o.x.suggested_action);
	}
}

static void test_tracks_feed(void **state)
{
	(void)state;
	struct core_track t[3];
	core_track_init(&t[0], "A");
	core_track_init(&t[1], "B");
	core_track_init(&t[2], "C");
	const int64_t t0 = (int64_t)NOW * 1000;
	struct wb_position p[] = {
	        {"B", t0 + 1000, 1, 1, 0, 0, 0, 0, 0}, {"B", t0 + 2000, 1, 1, 0, 0, 0, 0, 0},
	        {"Z", t0 + 1000, 1, 1, 0, 0, 0, 0, 0}, {"A", t0 + 1000, 1, 1, 0, 0, 0, 0, 0},
	        {"B", t0 + 1500, 1, 1, 0, 0, 0, 0, 0}, /* older than B's last: ignored by the track
	                                                */
	};
	assert_int_equal(core_tracks_feed(t, 3, p, 5, NULL), 4);
	assert_int_equal(t[0].n, 1);
	assert_int_equal(t[1].n, 2);
	assert_int_equal(t[1].last.ts_ms, t0 + 2000);
	assert_int_equal(t[2].n, 0);
	assert_null(core_track_find(t, 3, "Z"));
}

/* Numbers no clock or till makes, as a cache written before the connectors
 * checked ranges (or edited by hand) may hold: no detector overflows (UBSan
 * runs these under SAN=1), none raises on them, and none prints a figure made
 * of them. */
#define FAR_PAST (INT64_MIN + 1) /* INT64_MIN is WB_NULL, "unknown" */
static void test_extreme_values(void **state)
{
	(void)state;
	struct core_exception_out o;
	/* detention: departed in the year 292 billion, or arrived before the Big Bang */
	struct wb_stop s = stop_at(50, 4, WB_NULL, WB_NULL);
	s.arrived_at = NOW - 3 * 3600;
	s.departed_at = INT64_MAX;
	assert_int_equal(core_detect_detention(&s, NOW, NULL, NULL, &o), 0);
	s.arrived_at = FAR_PAST;
	s.departed_at = NOW;
	assert_int_equal(core_detect_detention(&s, NOW, NULL, NULL, &o), 0);
	s.departed_at = WB_NULL;
	assert_int_equal(core_detect_detention(&s, NOW, NULL, NULL, &o), 0);
	s.arrived_at = NOW - 3 * 3600; /* a sane stop with an insane window start */
	s.window_start = FAR_PAST;
	assert_int_equal(core_detect_detention(&s, NOW, NULL, NULL, &o), 1);
	assert_true(fabs(o.x.impact - 60) < 1e-9);
	/* missed_window */
	s = stop_at(50, 4, FAR_PAST, FAR_PAST);
	assert_int_equal(core_detect_missed_window(&s, NOW, NULL, &o), 0);
	s = stop_at(50, 4, NOW - 7200, NOW - 3600);
	s.arrived_at = INT64_MAX;
	assert_int_equal(core_detect_missed_window(&s, NOW, NULL, &o), 0);
	/* late_eta with a window closing at the dawn of time */
	struct core_track t;
	drive(&t);
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.meta.id = "L-1044";
	l.revenue = 4200;
	s = stop_at(t.last.lat + 1, 4.0, FAR_PAST, FAR_PAST);
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW, NULL, NULL, &o), 0);
	/* ... and with a clock at the end of time (the caller's, not the cache's) */
	s = stop_at(t.last.lat + 1, 4.0, NOW - 7200, NOW - 3600);
	assert_int_equal(core_detect_late_eta(&l, &s, &t, INT64_MAX, NULL, NULL, &o), 1);
	/* tracks: positions at impossible times are not folded in */
	core_track_init(&t, "T-09");
	struct wb_position p = {"T-09", FAR_PAST, 50, 4, 0, 0, NAN, NAN, 1};
	core_track_add(&t, &p, NULL);
	p.ts_ms = INT64_MAX;
	core_track_add(&t, &p, NULL);
	p.ts_ms = (int64_t)NOW * 1000;
	core_track_add(&t, &p, NULL);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.last.ts_ms, (int64_t)NOW * 1000);
	assert_int_equal(t.idle_longest_ms, 0);
	/* fuel: a purchase at an impossible time, and positions at impossible times */
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	v.meta.id = "T-22";
	v.tank_l = 400;
	struct wb_fuel_txn f;
	wb_entity_clear(WB_ENT_FUEL_TXN, &f);
	f.vehicle_id = "T-22";
	f.at = INT64_MAX / 100;
	f.litres = 80;
	f.amount = 140;
	f.lat = 51.0;
	f.lon = 4.0;
	struct wb_position far[2] = {{"T-22", FAR_PAST, 52, 4, 0, 0, 0, NAN, 1},
	                             {"T-22", INT64_MAX, 52, 4, 0, 0, 0, NAN, 1}};
	assert_int_equal(core_detect_fuel(&f, &v, NAN, far, 2, NOW, NULL, NULL, &o), 0);
	f.at = NOW;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, far, 2, NOW, NULL, NULL, &o), 0);
	/* huge money: a fill "worth" 1e300 over the tank is still one finding, its
	 * money at stake finite */
	f.litres = 500;
	f.amount = 1e300;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, NOW, NULL, NULL, &o), 1);
	assert_true(fabs(o.x.impact - 100 * 1.7) < 1e-9); /* the default price per litre */
	f.amount = INFINITY;
	assert_int_equal(core_detect_fuel(&f, &v, NAN, NULL, 0, NOW, NULL, NULL, &o), 1);
	assert_true(fabs(o.x.impact - 100 * 1.7) < 1e-9);
	/* a fault last seen before the Big Bang is still critical; its age is not a figure */
	struct wb_fault fl;
	wb_entity_clear(WB_ENT_FAULT, &fl);
	fl.vehicle_id = "T-31";
	fl.code = "SPN3031-FMI9";
	fl.severity = "critical";
	fl.active = 1;
	fl.first_seen = FAR_PAST;
	fl.last_seen = FAR_PAST;
	assert_int_equal(core_detect_fault(&fl, NOW, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "since ?; last seen at an unknown time"));
	/* idle: a day of idling longer than the age of the universe */
	v.idle_s = INT64_MAX;
	assert_int_equal(core_detect_idle(NULL, &v, NOW, NULL, NULL, &o), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_haversine),
	        cmocka_unit_test(test_exception_id),
	        cmocka_unit_test(test_late_eta),
	        cmocka_unit_test(test_missed_window),
	        cmocka_unit_test(test_unsafe_inspection),
	        cmocka_unit_test(test_detention),
	        cmocka_unit_test(test_late_eta_route),
	        cmocka_unit_test(test_fuel),
	        cmocka_unit_test(test_fuel_reach),
	        cmocka_unit_test(test_idle),
	        cmocka_unit_test(test_fault_pod_charges_inspection),
	        cmocka_unit_test(test_tracks_feed),
	        cmocka_unit_test(test_extreme_values),
	};
	return cmocka_run_group_tests_name("core_detect", tests, NULL, NULL);
}
