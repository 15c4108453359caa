/* The samsara kind on pages written from Samsara's published shapes
 * (tests/fixtures/samsara/README): the streams and their requests, each
 * stream's page and records, units, the fault severity table and clearing,
 * cursors, shapes the kind does not know, who-am-I and the refusal of actions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "connectors/connector.h"

static const struct connector_ops *kind(void)
{
	const struct connector_ops *k = connector_find("samsara");
	assert_non_null(k);
	return k;
}

static const struct connector_stream *stream(const char *name)
{
	const struct connector_stream *s = connector_stream(kind(), "telematics", name);
	if (!s)
		fail_msg("no telematics stream %s", name);
	return s;
}

static char *fixture(const char *name)
{
	return test_fixture("samsara", name, NULL);
}

static int read_body(const char *name, const char *cursor, const char *body, json_t **page,
                     struct wb_err *err)
{
	struct connector_answer a = {.status = 200,
	                             .content_type = "application/json",
	                             .body = body,
	                             .body_len = strlen(body)};
	return kind()->page_read(stream(name), cursor, &a, page, err);
}

static json_t *read_page(const char *name, const char *cursor, const char *file)
{
	char *body = fixture(file);
	json_t *page = NULL;
	struct wb_err err = {0};
	if (read_body(name, cursor, body, &page, &err) != 0)
		fail_msg("%s: %s", file, err.msg);
	free(body);
	return page;
}

static json_t *find(json_t *page, const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(page, "data"), i, r)
	{
		const char *rid = json_string_value(json_object_get(r, "id"));
		if (rid && !strcmp(rid, id))
			return r;
	}
	fail_msg("no record %s", id);
	return NULL;
}

static void map(const char *name, json_t *rec, void *row)
{
	struct wb_err err = {0};
	if (kind()->map_record(stream(name), "telematics", rec, row, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
}

static const char *next_of(json_t *page)
{
	return json_string_value(json_object_get(page, "next"));
}

static void test_streams(void **state)
{
	(void)state;
	size_t n;
	assert_null(kind()->streams("erp", &n));
	assert_int_equal(n, 0);
	assert_int_equal(stream("vehicles")->entity, WB_ENT_VEHICLE);
	assert_int_equal(stream("drivers")->entity, WB_ENT_DRIVER);
	assert_int_equal(stream("faults")->entity, WB_ENT_FAULT);
	assert_int_equal(stream("inspections")->entity, WB_ENT_INSPECTION);
	assert_int_equal(stream("positions")->entity, -1);
	assert_null(stream("positions")->live_path); /* polled */
	assert_null(connector_stream(kind(), "telematics", "work_orders"));
	/* Lists are swept so that what they stop listing goes; the fault
	 * snapshot is a full pass every poll; feeds are never swept. */
	assert_int_equal(kind()->sweep_s(stream("faults")), 1);
	assert_true(kind()->sweep_s(stream("vehicles")) > 0);
	assert_true(kind()->sweep_s(stream("drivers")) > 0);
	assert_int_equal(kind()->sweep_s(stream("inspections")), 0);
}

static void call(const char *name, const char *cursor, const char *want)
{
	struct connector_call c = {0};
	struct wb_err err = {0};
	assert_int_equal(kind()->page_request(stream(name), NULL, cursor, 100, &c, &err), 0);
	assert_string_equal(c.method, "GET");
	assert_null(c.body);
	assert_string_equal(c.path, want);
}

static void test_requests(void **state)
{
	(void)state;
	call("vehicles", "", "/fleet/vehicles?limit=100");
	call("drivers", "MjkY", "/fleet/hos/clocks?limit=100&after=MjkY");
	call("faults", "", "/fleet/vehicles/stats/feed?types=faultCodes");
	call("positions", "a+b/c=",
	     "/fleet/vehicles/stats/feed?types=gps,engineStates,fuelPercents&after=a%2Bb%2Fc%3D");
	call("inspections", "x", "/dvirs/stream?startTime=2000-01-01T00:00:00Z&limit=100&after=x");
	/* At most three stats types a call: Samsara's limit. */
	struct connector_call c = {0};
	struct wb_err err = {0};
	assert_int_equal(kind()->page_request(stream("positions"), NULL, "", 5, &c, &err), 0);
	const char *types = strstr(c.path, "types=") + 6;
	int commas = 0;
	for (const char *p = types; *p && *p != '&'; p++)
		commas += *p == ',';
	assert_true(commas <= 2);
}

static void test_vehicles(void **state)
{
	(void)state;
	json_t *page = read_page("vehicles", "", "vehicles.json");
	assert_int_equal(json_array_size(json_object_get(page, "data")), 2);
	assert_true(json_is_true(json_object_get(page, "has_more")));
	assert_string_equal(next_of(page), "MjkY");
	struct wb_vehicle v;
	map("vehicles", find(page, "281474977000001"), &v);
	assert_string_equal(v.meta.id, "281474977000001");
	assert_string_equal(v.meta.ext_id, "281474977000001");
	assert_string_equal(v.unit, "TRK-001");
	assert_string_equal(v.depot, "DEP-1");
	assert_int_equal(v.meta.ext_version, 1741341620524LL); /* updatedAtTime in ms */
	/* What belongs to the maintenance source stays unknown. */
	assert_null(v.status);
	assert_int_equal(v.on_hold, WB_NULL);
	assert_true(isnan(v.pm_due_odometer_m));
	map("vehicles", find(page, "281474977000002"), &v);
	assert_null(v.depot);
	json_decref(page);
}

static void want_driver(json_t *page, const char *id, const char *status, int64_t drive,
                        int64_t duty, int64_t cycle)
{
	struct wb_driver d;
	map("drivers", find(page, id), &d);
	if (status)
		assert_string_equal(d.status, status);
	else
		assert_null(d.status);
	assert_int_equal(d.drive_left_s, drive);
	assert_int_equal(d.duty_left_s, duty);
	assert_int_equal(d.cycle_left_s, cycle);
}

static void test_drivers_from_hos_clocks(void **state)
{
	(void)state;
	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	json_t *page = read_page("drivers", "MjkY", "hos_clocks.json");
	clock_gettime(CLOCK_REALTIME, &t1);
	/* A list has no change cursor: its last page hands back "" so that the
	 * next poll reads it again from the start. */
	assert_false(json_is_true(json_object_get(page, "has_more")));
	assert_string_equal(next_of(page), "");
	assert_int_equal(json_array_size(json_object_get(page, "data")), 7);
	/* ms to s, floored: drive 21601.999 s is 21601 s left. */
	want_driver(page, "52000001", "driving", 21601, 28800, 180001);
	struct wb_driver d;
	map("drivers", find(page, "52000001"), &d);
	assert_string_equal(d.name, "Susan Jones");
	assert_string_equal(d.vehicle_id, "281474977000001"); /* currentVehicle */
	assert_null(d.depot);                                 /* the clocks carry no tags */
	/* The clocks carry no time: the version is when they were read, so a
	 * later pass always rewrites the row with the clocks as they are then. */
	int64_t ms0 = (int64_t)t0.tv_sec * 1000 + t0.tv_nsec / 1000000;
	int64_t ms1 = (int64_t)t1.tv_sec * 1000 + t1.tv_nsec / 1000000;
	assert_true(d.meta.ext_version >= ms0 && d.meta.ext_version <= ms1);
	/* Over a limit: remaining 0 and a violation is time over, negative. */
	want_driver(page, "52000002", "on_duty", -1801, 0, -39600);
	map("drivers", find(page, "52000002"), &d);
	assert_null(d.vehicle_id);
	want_driver(page, "52000003", "off_duty", 39600, 50400, 252000);
	/* Samsara's six statuses to the canonical four; no clocks: unknown; ""
	 * (the driver app disconnected): status unknown. */
	want_driver(page, "52000004", "sleeper", WB_NULL, WB_NULL, WB_NULL);
	want_driver(page, "52000005", "on_duty", WB_NULL, WB_NULL, WB_NULL);
	want_driver(page, "52000006", "off_duty", WB_NULL, WB_NULL, WB_NULL);
	want_driver(page, "52000007", NULL, WB_NULL, WB_NULL, WB_NULL);
	json_decref(page);
}

static void want_fault(json_t *page, const char *id, const char *code, const char *protocol,
                       const char *severity)
{
	struct wb_fault f;
	map("faults", find(page, id), &f);
	assert_string_equal(f.code, code);
	assert_string_equal(f.protocol, protocol);
	assert_string_equal(f.severity, severity);
	assert_int_equal(f.active, 1);
}

static void test_fault_severity_table(void **state)
{
	(void)state;
	json_t *page = read_page("faults", "", "stats_faults.json");
	/* J1939, by the lamps of the ECU's reading: red stop lamp critical, amber
	 * (or protect) major, MIL alone minor, none info. */
	want_fault(page, "281474977000001-SPN100-FMI1", "SPN100-FMI1", "j1939", "critical");
	want_fault(page, "281474977000001-SPN157-FMI18", "SPN157-FMI18", "j1939", "major");
	want_fault(page, "281474977000001-SPN3226-FMI2", "SPN3226-FMI2", "j1939", "minor");
	want_fault(page, "281474977000001-SPN639-FMI14", "SPN639-FMI14", "j1939", "info");
	/* OBD-II, by its ECU's MIL: on major (critical for an engine-stop code),
	 * off minor, pending info. */
	want_fault(page, "281474977000002-P0217", "P0217", "obd2", "critical");
	want_fault(page, "281474977000002-P0300", "P0300", "obd2", "major");
	want_fault(page, "281474977000002-P0420", "P0420", "obd2", "minor");
	want_fault(page, "281474977000002-P0128", "P0128", "obd2", "info");
	struct wb_fault f;
	map("faults", find(page, "281474977000001-SPN100-FMI1"), &f);
	assert_string_equal(f.vehicle_id, "281474977000001");
	assert_string_equal(f.description, "Engine Oil Pressure");
	assert_int_equal(f.last_seen, 1741339800);
	assert_int_equal(f.first_seen, WB_NULL); /* Samsara does not say */
	assert_int_equal(f.meta.ext_version, 1741339800000LL);
	map("faults", find(page, "281474977000002-P0217"), &f);
	assert_int_equal(f.meta.ext_version, 1741340710250LL);
	/* The snapshot is the newest reading time only: TRK-001's 08:00 reading
	 * (SPN3226 alone) is history, and TRK-003's codes all cleared, so the
	 * page holds exactly the eight active codes and nothing of TRK-003: the
	 * full pass then removes what it does not see. */
	assert_int_equal(json_array_size(json_object_get(page, "data")), 8);
	assert_false(json_is_true(json_object_get(page, "has_more")));
	json_decref(page);
}

static void test_positions(void **state)
{
	(void)state;
	json_t *page = read_page("positions", "c3RhcnQ", "stats_gps.json");
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 3);
	assert_string_equal(next_of(page), "cG9zaXRpb25z");
	assert_true(json_is_true(json_object_get(page, "has_more")));
	struct wb_position p[3];
	struct wb_err err = {0};
	for (size_t i = 0; i < 3; i++)
		if (kind()->map_position(json_array_get(data, i), &p[i], &err) != 0)
			fail_msg("%s", err.msg);
	assert_string_equal(p[1].vehicle_id, "281474977000001");
	assert_int_equal(p[1].ts_ms, 1741341630500LL);
	assert_true(fabs(p[1].speed_mps - 22.352) < 1e-9); /* 50 mph */
	assert_true(fabs(p[1].heading - 91.5) < 1e-9);
	assert_true(fabs(p[1].lat - 51.9231) < 1e-9);
	/* Fuel and engine state from the same vehicle's readings at or before. */
	assert_true(fabs(p[1].fuel_pct - 60) < 1e-9);
	assert_int_equal(p[1].ignition, 1);
	assert_true(fabs(p[0].fuel_pct - 61) < 1e-9);
	assert_int_equal(p[0].ignition, 1); /* Idle: the engine runs */
	assert_true(isnan(p[0].odometer_m));
	assert_int_equal(p[2].ignition, 0); /* Off */
	assert_true(isnan(p[2].fuel_pct));
	json_decref(page);
}

static void test_feed_caught_up_keeps_its_cursor(void **state)
{
	(void)state;
	json_t *page = NULL;
	struct wb_err err = {0};
	const char *body =
	        "{\"data\":[],\"pagination\":{\"endCursor\":\"\",\"hasNextPage\":false}}";
	assert_int_equal(read_body("positions", "c3RvcmVk", body, &page, &err), 0);
	assert_string_equal(next_of(page), "c3RvcmVk");
	assert_false(json_is_true(json_object_get(page, "has_more")));
	json_decref(page);
	body = "{\"data\":[],\"pagination\":{\"endCursor\":\"bmV3\",\"hasNextPage\":false}}";
	assert_int_equal(read_body("inspections", "c3RvcmVk", body, &page, &err), 0);
	assert_string_equal(next_of(page), "bmV3");
	json_decref(page);
}

#define GPS_TYPES "types=gps,engineStates,fuelPercents"
#define FEED "/fleet/vehicles/stats/feed?" GPS_TYPES

static void want_position(json_t *rec, int64_t ts_ms, double speed_mps, double fuel, int ignition)
{
	struct wb_position p;
	struct wb_err err = {0};
	if (kind()->map_position(rec, &p, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(p.ts_ms, ts_ms);
	assert_true(fabs(p.speed_mps - speed_mps) < 1e-9);
	if (isnan(fuel))
		assert_true(isnan(p.fuel_pct));
	else
		assert_true(fabs(p.fuel_pct - fuel) < 1e-9);
	assert_int_equal(p.ignition, ignition);
}

/* A pass without a cursor: the feed without `after` (each vehicle's latest
 * readings, and the feed's place), then the hour of history before the
 * newest of those readings, paged by its own `after`, then the feed from the
 * place the first answer gave. The phase is in the cursor. */
static void test_first_pass_reads_the_history(void **state)
{
	(void)state;
	call("positions", "", FEED);
	json_t *page = read_page("positions", "", "stats_gps.json");
	assert_int_equal(json_array_size(json_object_get(page, "data")), 3); /* stored too */
	/* The newest reading, 10:00:30.500, ends the window: the source's clock. */
	assert_string_equal(next_of(page), "h:1741341630500:cG9zaXRpb25z:");
	assert_true(json_is_true(json_object_get(page, "has_more")));
	char cur[128];
	snprintf(cur, sizeof(cur), "%s", next_of(page));
	json_decref(page);
	call("positions", cur,
	     "/fleet/vehicles/stats/history?startTime=2025-03-07T09:00:30.500Z"
	     "&endTime=2025-03-07T10:00:30.500Z&" GPS_TYPES);

	page = read_page("positions", cur, "stats_history.json");
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 3);
	want_position(json_array_get(data, 0), 1741338600000LL, 0, 64, 1);            /* Idle */
	want_position(json_array_get(data, 1), 1741340400250LL, 30 * 0.44704, 64, 1); /* On */
	want_position(json_array_get(data, 2), 1741339800000LL, 0, 18, 0);            /* Off */
	assert_string_equal(next_of(page), "h:1741341630500:cG9zaXRpb25z:aGlzdG9yeTI");
	assert_true(json_is_true(json_object_get(page, "has_more")));
	snprintf(cur, sizeof(cur), "%s", next_of(page));
	json_decref(page);
	call("positions", cur,
	     "/fleet/vehicles/stats/history?startTime=2025-03-07T09:00:30.500Z"
	     "&endTime=2025-03-07T10:00:30.500Z&" GPS_TYPES "&after=aGlzdG9yeTI");

	/* The history's last page: caught up as of the first answer; the next
	 * poll goes on with the feed from the place that answer gave. */
	struct wb_err err = {0};
	assert_int_equal(read_body("positions", cur,
	                           "{\"data\":[],\"pagination\":{\"endCursor\":\"\","
	                           "\"hasNextPage\":false}}",
	                           &page, &err),
	                 0);
	assert_string_equal(next_of(page), "cG9zaXRpb25z");
	assert_false(json_is_true(json_object_get(page, "has_more")));
	json_decref(page);
	call("positions", "cG9zaXRpb25z", FEED "&after=cG9zaXRpb25z");

	/* A first answer with no reading (no vehicle reports) has no window:
	 * the feed goes on at once. */
	assert_int_equal(read_body("positions", "",
	                           "{\"data\":[],\"pagination\":{\"endCursor\":\"ZW1wdHk\","
	                           "\"hasNextPage\":false}}",
	                           &page, &err),
	                 0);
	assert_string_equal(next_of(page), "ZW1wdHk");
	json_decref(page);
}

/* A cursor that starts like a history one but is not one the kind wrote is
 * refused as one the source no longer knows (WB_ENOTFOUND: the engine reads
 * the stream again from the start); its request is the first of a pass. */
static void test_forged_history_cursor_is_refused(void **state)
{
	(void)state;
	static const char *const forged[] = {
	        "h:",         "h:x:cG9z:",  "h:1741341630500",      "h:1741341630500::",
	        "h:12:cG9z:", "h:-1:cG9z:", "h:1741341630500:cG9z", "h:99999999999999999999:cG9z:"};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		call("positions", forged[i], FEED);
		char *body = fixture("stats_history.json");
		json_t *page = NULL;
		struct wb_err err = {0};
		assert_int_equal(read_body("positions", forged[i], body, &page, &err),
		                 WB_ENOTFOUND);
		assert_null(page);
		if (!strstr(err.msg, "not one the samsara kind writes"))
			fail_msg("%s: %s", forged[i], err.msg);
		free(body);
	}
}

static void test_inspections(void **state)
{
	(void)state;
	json_t *page = read_page("inspections", "", "dvirs.json");
	struct wb_inspection in;
	map("inspections", find(page, "12345"), &in);
	assert_string_equal(in.vehicle_id, "281474977000001");
	assert_string_equal(in.driver_id, "52000001");
	assert_string_equal(in.kind, "pre_trip");
	assert_int_equal(in.safe, 0);
	assert_string_equal(in.defects, "2 defects (Samsara's defects stream)");
	assert_int_equal(in.at, 1741323985);
	assert_int_equal(in.meta.ext_version, 1741323986000LL);
	map("inspections", find(page, "12346"), &in);
	assert_string_equal(in.kind, "post_trip");
	assert_int_equal(in.safe, 1); /* resolved */
	assert_null(in.driver_id);    /* signed by a mechanic */
	assert_string_equal(in.defects, "");
	json_decref(page);
}

static void refused(const char *name, const char *body, const char *says)
{
	json_t *page = NULL;
	struct wb_err err = {0};
	assert_int_equal(read_body(name, "", body, &page, &err), WB_EINVALID);
	assert_null(page);
	if (!strstr(err.msg, says))
		fail_msg("\"%s\" does not say \"%s\"", err.msg, says);
	assert_non_null(strstr(err.msg, name));
}

static void test_unknown_shapes_are_refused(void **state)
{
	(void)state;
	refused("vehicles", "<html>login</html>", "not JSON");
	refused("vehicles", "{\"data\":[]}", "not a Samsara page");
	refused("vehicles",
	        "{\"vehicles\":[],\"pagination\":{\"endCursor\":\"\",\"hasNextPage\":false}}",
	        "not a Samsara page");
	refused("vehicles",
	        "{\"data\":[{\"id\":\"1\"}],\"pagination\":{\"endCursor\":\"\",\"hasNextPage\":"
	        "false}}",
	        "without \"id\" or \"name\"");
	/* HOS clocks: the /fleet/drivers shape, an unknown duty status, a clock
	 * that is not a number. */
	refused("drivers",
	        "{\"data\":[{\"id\":\"5\",\"name\":\"A\"}],\"pagination\":{\"endCursor\":"
	        "\"\",\"hasNextPage\":false}}",
	        "without \"driver\"");
	refused("drivers",
	        "{\"data\":[{\"driver\":{\"id\":\"5\",\"name\":\"A\"},\"currentDutyStatus\":"
	        "{\"hosStatusType\":\"waiting\"}}],\"pagination\":{\"endCursor\":\"\","
	        "\"hasNextPage\":false}}",
	        "unknown hosStatusType \"waiting\"");
	refused("drivers",
	        "{\"data\":[{\"driver\":{\"id\":\"5\",\"name\":\"A\"},\"clocks\":{\"drive\":"
	        "{\"driveRemainingDurationMs\":\"11h\"}}}],\"pagination\":{\"endCursor\":\"\","
	        "\"hasNextPage\":false}}",
	        "drive_left_s clock is not a number");
	refused("faults",
	        "{\"data\":[{\"id\":\"1\",\"faultCodes\":[{\"time\":\"2025-03-07T08:00:00Z\","
	        "\"j1939\":{\"diagnosticTroubleCodes\":[{\"spn\":100}]}}]}],"
	        "\"pagination\":{\"endCursor\":\"\",\"hasNextPage\":false}}",
	        "without spnId/fmiId");
	refused("inspections",
	        "{\"data\":[{\"id\":\"9\",\"type\":\"walkaround\",\"updatedAtTime\":"
	        "\"2025-03-07T08:00:00Z\",\"dvirSubmissionTime\":\"2025-03-07T08:00:00Z\"}],"
	        "\"pagination\":{\"endCursor\":\"\",\"hasNextPage\":false}}",
	        "unknown type \"walkaround\"");
	refused("positions",
	        "{\"data\":[{\"id\":\"1\",\"gps\":[{\"time\":\"2025-03-07T08:00:00Z\","
	        "\"latitude\":1,\"longitude\":2}],\"engineStates\":[{\"time\":"
	        "\"2025-03-07T08:00:00Z\",\"value\":\"Cranking\"}]}],"
	        "\"pagination\":{\"endCursor\":\"\",\"hasNextPage\":false}}",
	        "unknown engine state");
	/* A value off its range is refused by map_position, naming it: the
	 * WireMock example's placeholder latitude. */
	json_t *page = read_page("positions", "", "stats_gps_bad_latitude.json");
	struct wb_position p;
	struct wb_err err = {0};
	assert_int_equal(
	        kind()->map_position(json_array_get(json_object_get(page, "data"), 0), &p, &err),
	        WB_EINVALID);
	assert_non_null(strstr(err.msg, "lat"));
	json_decref(page);
}

static void test_whoami(void **state)
{
	(void)state;
	assert_string_equal(kind()->whoami_path, "/me");
	char *body = fixture("me.json");
	struct connector_whoami me;
	struct wb_err err = {0};
	assert_int_equal(kind()->whoami(body, strlen(body), &me, &err), 0);
	assert_string_equal(me.user, "Charlie's Dining Services");
	assert_string_equal(me.role, "viewer"); /* Samsara takes no writes from Waybill */
	free(body);
	assert_int_equal(kind()->whoami("{\"data\":{}}", 11, &me, &err), WB_EINVALID);
	assert_int_equal(kind()->whoami("{\"message\":\"Unauthorized\"}", 26, &me, &err),
	                 WB_EINVALID);
}

static void test_actions_are_refused(void **state)
{
	(void)state;
	static const char *const actions[] = {"place_hold", "clear_hold", "open_work_order",
	                                      "release_load"};
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		struct connector_call c = {0};
		struct wb_err err = {0};
		json_t *payload = json_object();
		assert_int_equal(kind()->action(actions[i], "281474977000001", payload, &c, &err),
		                 WB_ENOTFOUND);
		assert_null(c.body);
		assert_non_null(strstr(err.msg, "Samsara takes no"));
		assert_non_null(strstr(err.msg, "sources.maintenance"));
		assert_null(strchr(err.msg, '\n'));
		json_decref(payload);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_streams),
	        cmocka_unit_test(test_requests),
	        cmocka_unit_test(test_vehicles),
	        cmocka_unit_test(test_drivers_from_hos_clocks),
	        cmocka_unit_test(test_fault_severity_table),
	        cmocka_unit_test(test_positions),
	        cmocka_unit_test(test_feed_caught_up_keeps_its_cursor),
	        cmocka_unit_test(test_first_pass_reads_the_history),
	        cmocka_unit_test(test_forged_history_cursor_is_refused),
	        cmocka_unit_test(test_inspections),
	        cmocka_unit_test(test_unknown_shapes_are_refused),
	        cmocka_unit_test(test_whoami),
	        cmocka_unit_test(test_actions_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
