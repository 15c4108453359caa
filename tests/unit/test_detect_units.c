/* The detectors' evidence, which people read in the exception's detail pane,
 * writes distances, speeds and volumes in the depot's units: a config with
 * "units": "imperial" sets core_detect_cfg.imperial at load, and the same
 * fuel purchase then reads in US gallons and miles (mpg for consumption),
 * the same late ETA in miles and mph. Metric stays as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>

#include "testutil.h"
#include "core/core_detect.h"
#include "settings/settings.h"

#define NOW 1718020800

static struct core_detect_cfg cfg_of(const char *units)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], text[1024];
	assert_non_null(test_tmpdir(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	snprintf(
	        text, sizeof(text),
	        "{\"units\":\"%s\",\"sources\":{"
	        "\"erp\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9\",\"token\":\"tok-1\"},"
	        "\"tms\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9\",\"token\":\"tok-1\"},"
	        "\"telematics\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9\","
	        "\"token\":\"tok-1\"}}}",
	        units);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct settings *s = NULL;
	struct wb_err err = {0};
	if (settings_load(path, &s, &err) != 0)
		fail_msg("settings_load: %s", err.msg);
	struct core_detect_cfg c = s->detect;
	settings_free(s);
	test_rmdir(dir);
	return c;
}

static void test_fuel_evidence(void **state)
{
	(void)state;
	struct core_detect_cfg metric = cfg_of("metric"), imperial = cfg_of("imperial");
	assert_false(metric.imperial);
	assert_true(imperial.imperial);
	struct wb_vehicle v;
	wb_entity_clear(WB_ENT_VEHICLE, &v);
	v.meta.id = "T-22";
	v.tank_l = 400;
	struct wb_fuel_txn f;
	wb_entity_clear(WB_ENT_FUEL_TXN, &f);
	f.vehicle_id = "T-22";
	f.at = NOW;
	f.litres = 421;
	f.amount = 700;
	f.station = "Shell A12";
	f.card = "****4431";
	struct core_exception_out o;
	assert_int_equal(core_detect_fuel(&f, &v, 100000, NULL, 0, WB_NULL, &metric, NULL, &o), 1);
	assert_non_null(strstr(o.evidence, "421 L bought"));
	assert_non_null(strstr(o.evidence, "The tank holds 400 L."));
	assert_non_null(strstr(o.evidence, "drove 100 km, about 35 L at 35 L/100 km"));
	assert_int_equal(core_detect_fuel(&f, &v, 100000, NULL, 0, WB_NULL, &imperial, NULL, &o),
	                 1);
	assert_non_null(strstr(o.evidence, "111 gal bought"));
	assert_non_null(strstr(o.evidence, "The tank holds 106 gal."));
	assert_non_null(strstr(o.evidence, "drove 62 mi, about 9 gal at 6.7 mpg"));
	assert_null(strstr(o.evidence, " L"));
	assert_null(strstr(o.evidence, "km"));
}

static void test_late_eta_evidence(void **state)
{
	(void)state;
	struct core_detect_cfg imperial = cfg_of("imperial");
	struct core_track t;
	core_track_init(&t, "T-09");
	for (int i = 0; i <= 20; i++) { /* 20 m/s north, a report every 30 s */
		struct wb_position p = {"T-09",
		                        (int64_t)(NOW - 600 + 30 * i) * 1000,
		                        50.0 + 20.0 * 30 * i / 111195.0,
		                        4.0,
		                        20,
		                        0,
		                        NAN,
		                        NAN,
		                        1};
		core_track_add(&t, &p, NULL);
	}
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.meta.id = "L-1044";
	l.revenue = 4200;
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	s.meta.id = "S-2";
	s.load_id = "L-1044";
	s.seq = 2;
	s.kind = "drop";
	s.lat = t.last.lat + 36000 / 111195.0;
	s.lon = 4.0;
	s.window_start = NOW - 3600;
	s.window_end = NOW + 2250 - 600 - 60;
	struct core_exception_out o;
	assert_int_equal(core_detect_late_eta(&l, &s, &t, NOW, &imperial, NULL, &o), 1);
	/* 45 km by road at 72 km/h */
	assert_non_null(strstr(o.evidence, "28.0 mi left at 45 mph observed"));
}

int main(void)
{
	setenv("USER", "tester", 1);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fuel_evidence),
	        cmocka_unit_test(test_late_eta_evidence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
