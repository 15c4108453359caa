/* The geotab kind on answers written from Geotab's published shapes
 * (tests/fixtures/geotab/README): signing in and the server move, lost
 * sessions, every stream's request and page, the records' mapping (units,
 * the fault severity table, clearing), shapes it refuses, cursors, an unusable
 * feed version, who-am-I and the refusal of actions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "connectors/connector.h"

#define JSON_CT "application/json; charset=utf-8"
#define SECRET "s3cr3t-Pa55word"
#define CREDS                                                                                      \
	"{\"database\":\"depot\",\"userName\":\"dispatch@depot.example\",\"sessionId\":\"42\"}"

static const struct connector_login who = {.database = "depot",
                                           .user = "dispatch@depot.example",
                                           .password = SECRET,
                                           .credentials = CREDS};

static const struct connector_ops *kind(void)
{
	const struct connector_ops *k = connector_find("geotab");
	assert_non_null(k);
	return k;
}

static char *fixture(const char *name)
{
	return test_fixture("geotab", name, NULL);
}

static struct connector_answer answer(long status, const char *body)
{
	return (struct connector_answer){
	        .status = status, .content_type = JSON_CT, .body = body, .body_len = strlen(body)};
}

static const struct connector_stream *stream(const char *name)
{
	const struct connector_stream *s = connector_stream(kind(), "telematics", name);
	if (!s)
		fail_msg("no telematics stream %s", name);
	return s;
}

/* Reads a fixture page of stream asked with cursor; returns the page. */
static json_t *read_page(const char *name, const char *cursor, const char *file)
{
	char *body = fixture(file);
	struct connector_answer a = answer(200, body);
	json_t *page = NULL;
	struct wb_err err = {0};
	if (kind()->page_read(stream(name), cursor, &a, &page, &err) != 0)
		fail_msg("%s: %s", file, err.msg);
	free(body);
	return page;
}

static json_t *params_of(const struct connector_call *call)
{
	assert_string_equal(call->method, "POST");
	assert_string_equal(call->path, "/apiv1");
	return json_object_get(call->body, "params");
}

static void test_streams(void **state)
{
	(void)state;
	size_t n;
	const struct connector_stream *s = kind()->streams("telematics", &n);
	assert_int_equal(n, 5);
	assert_non_null(s);
	assert_null(kind()->streams("erp", &n));
	assert_int_equal(n, 0);
	assert_int_equal(stream("positions")->entity, -1);
	assert_null(stream("positions")->live_path);
	assert_true(kind()->sweep_s(stream("vehicles")) > 0);
	assert_true(kind()->sweep_s(stream("drivers")) > 0);
	assert_int_equal(kind()->sweep_s(stream("faults")), 0);
	assert_null(connector_stream(kind(), "telematics", "work_orders"));
}

static void test_login_request(void **state)
{
	(void)state;
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(kind()->login_request(&who, &call, &err), 0);
	assert_string_equal(json_string_value(json_object_get(call.body, "method")),
	                    "Authenticate");
	json_t *p = params_of(&call);
	assert_string_equal(json_string_value(json_object_get(p, "database")), "depot");
	assert_string_equal(json_string_value(json_object_get(p, "userName")), who.user);
	assert_string_equal(json_string_value(json_object_get(p, "password")), SECRET);
	json_decref(call.body);
	struct connector_login none = {.user = "x", .password = "y"};
	assert_int_equal(kind()->login_request(&none, &call, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "database"));
}

static void test_login_read_moves_to_the_server(void **state)
{
	(void)state;
	char *body = fixture("authenticate.json");
	struct connector_answer a = answer(200, body);
	struct connector_session ses;
	struct wb_err err = {0};
	assert_int_equal(kind()->login_read(&who, &a, &ses, &err), 0);
	assert_string_equal(ses.path, "https://my3.geotab.com");
	assert_string_equal(ses.header, "");
	json_t *c = json_loads(ses.credentials, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(c, "sessionId")),
	                    "3225932739582116430");
	assert_string_equal(json_string_value(json_object_get(c, "database")), "depot");
	assert_null(json_object_get(c, "password"));
	json_decref(c);
	free(body);

	body = fixture("authenticate_thisserver.json");
	a = answer(200, body);
	assert_int_equal(kind()->login_read(&who, &a, &ses, &err), 0);
	assert_string_equal(ses.path, "");
	free(body);

	/* A loopback test server keeps its scheme; plain HTTP elsewhere is refused. */
	static const struct {
		const char *path, *want;
	} moves[] = {{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
	             {"https://my12.geotab.com", "https://my12.geotab.com"},
	             {"http://my3.geotab.com", NULL},
	             {"my3.geotab.com/../x?y", NULL}};
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		char text[400];
		snprintf(text, sizeof(text),
		         "{\"result\":{\"credentials\":{\"database\":\"depot\",\"sessionId\":\"1\","
		         "\"userName\":\"u\"},\"path\":\"%s\"}}",
		         moves[i].path);
		a = answer(200, text);
		int rc = kind()->login_read(&who, &a, &ses, &err);
		if (moves[i].want) {
			assert_int_equal(rc, 0);
			assert_string_equal(ses.path, moves[i].want);
		} else {
			assert_int_equal(rc, WB_EINVALID);
			assert_string_equal(ses.credentials, "");
		}
	}
}

static void test_login_read_refused(void **state)
{
	(void)state;
	char *body = fixture("invalid_user.json");
	struct connector_answer a = answer(200, body);
	struct connector_session ses;
	struct wb_err err = {0};
	assert_int_equal(kind()->login_read(&who, &a, &ses, &err), WB_EDENIED);
	assert_non_null(strstr(err.msg, "InvalidUserException from database depot"));
	assert_null(strstr(err.msg, SECRET));
	assert_string_equal(ses.credentials, "");
	free(body);
	a = answer(200, "{\"result\":{\"path\":\"ThisServer\"}}");
	assert_int_equal(kind()->login_read(&who, &a, &ses, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "credentials"));
}

static void test_session_lost(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		bool lost;
	} cases[] = {{"invalid_user.json", true},
	             {"db_unavailable.json", true},
	             {"over_limit.json", false},
	             {"version_refused.json", false},
	             {"faultdata_feed.json", false}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = fixture(cases[i].file);
		struct connector_answer a = answer(200, body);
		assert_int_equal(kind()->session_lost(&a), cases[i].lost);
		free(body);
	}
}

static void test_feed_requests(void **state)
{
	(void)state;
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(kind()->page_request(stream("faults"), &who, "", 1000, &call, &err), 0);
	json_t *p = params_of(&call);
	assert_string_equal(json_string_value(json_object_get(call.body, "method")), "GetFeed");
	assert_string_equal(json_string_value(json_object_get(p, "typeName")), "FaultData");
	assert_null(json_object_get(p, "fromVersion"));
	assert_int_equal(json_integer_value(json_object_get(p, "resultsLimit")), 1000);
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(p, "credentials"), "sessionId")),
	        "42");
	json_decref(call.body);

	assert_int_equal(kind()->page_request(stream("inspections"), &who, "0000000000000302", 50,
	                                      &call, &err),
	                 0);
	p = params_of(&call);
	assert_string_equal(json_string_value(json_object_get(p, "typeName")), "DVIRLog");
	assert_string_equal(json_string_value(json_object_get(p, "fromVersion")),
	                    "0000000000000302");
	json_decref(call.body);

	/* Drivers: Users, their availability and their duty status in one call. */
	assert_int_equal(kind()->page_request(stream("drivers"), &who, "", 5000, &call, &err), 0);
	assert_string_equal(json_string_value(json_object_get(call.body, "method")),
	                    "ExecuteMultiCall");
	json_t *calls = json_object_get(params_of(&call), "calls");
	static const char *const types[] = {"User", "DutyStatusAvailability", "DutyStatusLog"};
	assert_int_equal(json_array_size(calls), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *c = json_array_get(calls, i), *q = json_object_get(c, "params");
		assert_string_equal(json_string_value(json_object_get(c, "method")), "Get");
		assert_string_equal(json_string_value(json_object_get(q, "typeName")), types[i]);
		assert_non_null(json_object_get(q, "credentials"));
	}
	json_t *search =
	        json_object_get(json_object_get(json_array_get(calls, 2), "params"), "search");
	int64_t from;
	assert_int_equal(connector_parse_time_ms(
	                         json_string_value(json_object_get(search, "fromDate")), &from),
	                 0);
	assert_true(json_is_true(json_object_get(search, "includeBoundaryLogs")));
	assert_true(json_array_size(json_object_get(search, "statuses")) >= 4);
	json_decref(call.body);

	/* Cursors that are not the stream's; no session. */
	assert_int_equal(kind()->page_request(stream("faults"), &who, "xyz", 10, &call, &err),
	                 WB_EINVALID);
	assert_non_null(strstr(err.msg, "faults"));
	assert_int_equal(
	        kind()->page_request(stream("faults"), &who, "00000000000000001", 10, &call, &err),
	        WB_EINVALID);
	assert_int_equal(kind()->page_request(stream("positions"), &who, "0000000000000001", 10,
	                                      &call, &err),
	                 WB_EINVALID);
	struct connector_login anon = who;
	anon.credentials = NULL;
	assert_int_equal(kind()->page_request(stream("faults"), &anon, "", 10, &call, &err),
	                 WB_EINVALID);
	assert_null(call.body);
}

static void test_positions_request(void **state)
{
	(void)state;
	struct connector_call call;
	struct wb_err err = {0};
	const char *cur = "0000000003a7c824:0000000007400014:0000000007400011:0000000007400016";
	assert_int_equal(kind()->page_request(stream("positions"), &who, cur, 1000, &call, &err),
	                 0);
	assert_string_equal(json_string_value(json_object_get(call.body, "method")),
	                    "ExecuteMultiCall");
	json_t *calls = json_object_get(params_of(&call), "calls");
	assert_int_equal(json_array_size(calls), 4);
	static const char *const types[] = {"LogRecord", "StatusData", "StatusData", "StatusData"};
	static const char *const from[] = {"0000000003a7c824", "0000000007400014",
	                                   "0000000007400011", "0000000007400016"};
	static const char *const diag[] = {NULL, "DiagnosticFuelLevelId", "DiagnosticOdometerId",
	                                   "DiagnosticIgnitionId"};
	for (size_t i = 0; i < 4; i++) {
		json_t *p = json_object_get(json_array_get(calls, i), "params");
		assert_string_equal(
		        json_string_value(json_object_get(json_array_get(calls, i), "method")),
		        "GetFeed");
		assert_string_equal(json_string_value(json_object_get(p, "typeName")), types[i]);
		assert_string_equal(json_string_value(json_object_get(p, "fromVersion")), from[i]);
		assert_non_null(json_object_get(p, "credentials"));
		const char *d = json_string_value(json_object_get(
		        json_object_get(json_object_get(p, "search"), "diagnosticSearch"), "id"));
		if (diag[i])
			assert_string_equal(d, diag[i]);
		else
			assert_null(d);
	}
	json_decref(call.body);

	/* A cursor of the older form (before the ignition feed): accepted, the
	 * ignition feed from the older of its two StatusData versions (one
	 * sequence in Geotab); any other count of versions is refused. */
	assert_int_equal(kind()->page_request(stream("positions"), &who,
	                                      "0000000003a7c824:0000000007400014:0000000007400011",
	                                      1000, &call, &err),
	                 0);
	calls = json_object_get(params_of(&call), "calls");
	assert_int_equal(json_array_size(calls), 4);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(json_array_get(calls, 3), "params"), "fromVersion")),
	        "0000000007400011");
	json_decref(call.body);
	static const char *const bad[] = {"1:2",
	                                  "1:2:3:4:5",
	                                  "1::3:4",
	                                  "1:2:3:",
	                                  "1:2:3:4x",
	                                  ":1:2:3",
	                                  "1:2:3:00000000000000004"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		        kind()->page_request(stream("positions"), &who, bad[i], 1000, &call, &err),
		        WB_EINVALID);
		assert_non_null(strstr(err.msg, "LR:FUEL:ODO:IGN"));
	}
}

static void map(const char *name, json_t *rec, void *row)
{
	struct wb_err err = {0};
	if (kind()->map_record(stream(name), "telematics", rec, row, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
}

static void test_vehicles_and_drivers(void **state)
{
	(void)state;
	json_t *page = read_page("vehicles", "", "device_get.json");
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 2);
	assert_string_equal(json_string_value(json_object_get(page, "next")), "");
	assert_false(json_is_true(json_object_get(page, "has_more")));
	struct wb_vehicle v;
	map("vehicles", json_array_get(data, 1), &v);
	assert_string_equal(v.meta.id, "b2A");
	assert_string_equal(v.meta.ext_id, "b2A");
	assert_string_equal(v.unit, "VAN-042");
	assert_int_equal(v.meta.ext_version, 0xa3f);
	assert_null(v.status);
	assert_true(isnan(v.pm_due_odometer_m));
	json_decref(page);

	/* A full Get: the fleet does not fit one answer. */
	char *body = fixture("device_get.json");
	struct connector_answer a = answer(200, body);
	struct connector_stream small = *stream("vehicles");
	small.page_limit = 2;
	struct wb_err err = {0};
	assert_int_equal(kind()->page_read(&small, "", &a, &page, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "too big"));
	free(body);
}

/* Drivers with their hours: the TimeSpans of DutyStatusAvailability in
 * seconds (days, negative, fractions), the latest duty status log's status,
 * unknown where Geotab says nothing; a version that moves with each answer. */
static void test_driver_hours(void **state)
{
	(void)state;
	json_t *page = read_page("drivers", "", "drivers_multicall.json");
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 4); /* the desk user is no driver */
	static const struct {
		const char *id, *name, *status;
		int64_t drive, duty, cycle;
	} want[] = {
	        {"b10001", "M. Okafor", "driving", 9000, 18930, 93600},
	        {"b10002", "j.silva@depot.example", "sleeper", 0, -900, 252000},
	        {"b10003", "A. Berg", "off_duty", 39600, 50400, 252000},
	        {"b10004", "K. Ito", NULL, WB_NULL, WB_NULL, WB_NULL},
	};
	int64_t version = 0;
	for (size_t i = 0; i < 4; i++) {
		struct wb_driver d;
		map("drivers", json_array_get(data, i), &d);
		assert_string_equal(d.meta.id, want[i].id);
		assert_string_equal(d.name, want[i].name);
		if (want[i].status)
			assert_string_equal(d.status, want[i].status);
		else
			assert_null(d.status);
		assert_int_equal(d.drive_left_s, want[i].drive);
		assert_int_equal(d.duty_left_s, want[i].duty);
		assert_int_equal(d.cycle_left_s, want[i].cycle);
		assert_true(d.meta.ext_version > 0x13); /* the answer's time, not User's */
		version = d.meta.ext_version;
	}
	json_decref(page);
	/* The same hours read again later replace what is stored. */
	page = read_page("drivers", "", "drivers_multicall.json");
	struct wb_driver d;
	map("drivers", json_array_get(json_object_get(page, "data"), 0), &d);
	assert_true(d.meta.ext_version >= version);
	json_decref(page);

	/* TimeSpans Geotab would not send: the record is refused, naming them. */
	static const char *const bad[] = {"2h30",        "02:30",     "24:00:00", "02:60:00",
	                                  "1.02:00:00x", " 02:30:00", "-",        "",
	                                  "1.:00:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		page = read_page("drivers", "", "drivers_multicall.json");
		json_t *rec = json_array_get(json_object_get(page, "data"), 0);
		json_object_set_new(json_object_get(rec, "waybill.availability"), "duty",
		                    json_string(bad[i]));
		struct wb_err err = {0};
		assert_int_equal(kind()->map_record(stream("drivers"), "telematics", rec, &d, &err),
		                 WB_EINVALID);
		assert_non_null(strstr(err.msg, "b10001"));
		assert_non_null(strstr(err.msg, "duty"));
		assert_non_null(strstr(err.msg, "TimeSpan"));
		json_decref(page);
	}

	/* An answer of another shape. */
	json_t *p2 = NULL;
	struct wb_err err = {0};
	struct connector_answer a = answer(200, "{\"result\":[[],[]]}");
	assert_int_equal(kind()->page_read(stream("drivers"), "", &a, &p2, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "DutyStatusAvailability"));
	assert_null(p2);
}

/* The severity table and clearing: lamps give severity, faultState gives
 * active, and a later record of the same fault replaces it. */
static void test_faults(void **state)
{
	(void)state;
	json_t *page = read_page("faults", "0000000000000010", "faultdata_feed.json");
	assert_string_equal(json_string_value(json_object_get(page, "next")), "0000000000000110");
	assert_false(json_is_true(json_object_get(page, "has_more")));
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 7);
	static const struct {
		const char *id, *code, *protocol, *severity;
		int active;
	} want[] = {
	        {"b1/SPN100-FMI1", "SPN100-FMI1", "j1939", "critical", 1},
	        {"b1/SPN157-FMI18", "SPN157-FMI18", "j1939", "major", 1},
	        {"b2A/P0217", "P0217", "obd2", "minor", 1},
	        {"b1/SPN3226-FMI2", "SPN3226-FMI2", "j1939", "minor", 1},
	        {"b1/SPN639-FMI14", "SPN639-FMI14", "j1939", "info", 1},
	        {"b2A/a7xQ2Lm0bT0mRk5sV3aZc1w/aLq1y0Cz2aUW2pZ3xQv0n9g",
	         "a7xQ2Lm0bT0mRk5sV3aZc1w/aLq1y0Cz2aUW2pZ3xQv0n9g", NULL, "major", 1},
	        {"b1/SPN100-FMI1", "SPN100-FMI1", "j1939", "critical", 0},
	};
	int64_t first_version = 0;
	for (size_t i = 0; i < 7; i++) {
		struct wb_fault f;
		map("faults", json_array_get(data, i), &f);
		assert_string_equal(f.meta.id, want[i].id);
		assert_string_equal(f.meta.ext_id, want[i].id);
		assert_string_equal(f.code, want[i].code);
		if (want[i].protocol)
			assert_string_equal(f.protocol, want[i].protocol);
		else
			assert_null(f.protocol);
		assert_string_equal(f.severity, want[i].severity);
		assert_int_equal(f.active, want[i].active);
		assert_string_equal(f.vehicle_id, i == 2 || i == 5 ? "b2A" : "b1");
		if (i == 0) {
			first_version = f.meta.ext_version;
			assert_int_equal(f.first_seen, 1795962725); /* 2026-11-29T14:32:05Z */
		}
		if (i == 6) /* cleared: the same row, a newer version */
			assert_true(f.meta.ext_version > first_version);
	}
	json_decref(page);

	/* A faultState it does not know: the record is refused, naming it. */
	page = read_page("faults", "", "faultdata_unknown_state.json");
	struct wb_fault f;
	struct wb_err err = {0};
	assert_int_equal(kind()->map_record(stream("faults"), "telematics",
	                                    json_array_get(json_object_get(page, "data"), 0), &f,
	                                    &err),
	                 WB_EINVALID);
	assert_non_null(strstr(err.msg, "faultState"));
	assert_non_null(strstr(err.msg, "b200009"));
	json_decref(page);
}

static void test_inspections(void **state)
{
	(void)state;
	json_t *page = read_page("inspections", "", "dvirlog_feed.json");
	json_t *data = json_object_get(page, "data");
	struct wb_inspection in;
	map("inspections", json_array_get(data, 0), &in);
	assert_string_equal(in.meta.id, "b300001");
	assert_string_equal(in.kind, "pre_trip");
	assert_int_equal(in.safe, 1);
	assert_string_equal(in.defects, "");
	assert_string_equal(in.driver_id, "b10001");
	map("inspections", json_array_get(data, 1), &in);
	assert_string_equal(in.kind, "post_trip");
	assert_int_equal(in.safe, 0);
	assert_null(in.driver_id);
	assert_string_equal(in.defects, "brake chamber air leak, axle 2; headlamp inoperative");
	assert_int_equal(in.meta.ext_version, 0x302);
	json_decref(page);
}

static void test_positions(void **state)
{
	(void)state;
	json_t *page = read_page("positions", "", "positions_multicall.json");
	assert_string_equal(json_string_value(json_object_get(page, "next")),
	                    "0000000003a7c824:0000000007400014:0000000007400011:0000000007400016");
	assert_false(json_is_true(json_object_get(page, "has_more")));
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 3);
	struct wb_position p;
	struct wb_err err = {0};
	assert_int_equal(kind()->map_position(json_array_get(data, 0), &p, &err), 0);
	assert_string_equal(p.vehicle_id, "b1");
	assert_int_equal(p.ts_ms, 1795962725000);
	assert_true(fabs(p.speed_mps - 25.0) < 1e-9); /* 90 km/h */
	assert_true(fabs(p.fuel_pct - 63.5) < 1e-9);  /* the reading at 14:32:00 */
	assert_true(fabs(p.odometer_m - 464640000) < 1e-6);
	assert_true(isnan(p.heading));
	assert_int_equal(p.ignition, 1); /* on at 14:30:00 */
	assert_int_equal(kind()->map_position(json_array_get(data, 1), &p, &err), 0);
	assert_true(fabs(p.fuel_pct - 63.1) < 1e-9); /* 14:32:30, not the later 14:40 */
	assert_int_equal(p.ignition, 0);             /* off at 14:32:20, not on at 14:45 */
	assert_int_equal(kind()->map_position(json_array_get(data, 2), &p, &err), 0);
	assert_string_equal(p.vehicle_id, "b2A");
	assert_true(isnan(p.fuel_pct));   /* no reading of its own */
	assert_int_equal(p.ignition, -1); /* b9's reading is not b2A's */
	assert_true(fabs(p.speed_mps - 10.0) < 1e-9);
	json_decref(page);

	/* A full call of any feed means more; a position off the globe is refused. */
	char *body = fixture("positions_multicall.json");
	struct connector_answer a = answer(200, body);
	struct connector_stream small = *stream("positions");
	small.page_limit = 1;
	assert_int_equal(kind()->page_read(&small, "", &a, &page, &err), 0);
	assert_true(json_is_true(json_object_get(page, "has_more")));
	json_t *lr = json_array_get(json_object_get(page, "data"), 0);
	json_object_set_new(lr, "waybill.ignition", json_real(2));
	assert_int_equal(kind()->map_position(lr, &p, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "ignition"));
	json_object_set_new(lr, "waybill.ignition", json_real(1));
	json_object_set_new(lr, "latitude", json_real(123.0));
	assert_int_equal(kind()->map_position(lr, &p, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "lat"));
	json_decref(page);
	/* An answer without the ignition feed is not the multi-call's. */
	json_t *j = json_loads(body, 0, NULL);
	json_array_remove(json_object_get(j, "result"), 3);
	char *three = json_dumps(j, 0);
	a = answer(200, three);
	page = NULL;
	assert_int_equal(kind()->page_read(stream("positions"), "", &a, &page, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "4 calls"));
	assert_null(page);
	free(three);
	json_decref(j);
	free(body);
}

static void test_answers_refused(void **state)
{
	(void)state;
	json_t *page = NULL;
	struct wb_err err = {0};
	/* An unusable version: the engine reads the stream again. */
	char *body = fixture("version_refused.json");
	struct connector_answer a = answer(200, body);
	assert_int_equal(kind()->page_read(stream("faults"), "00000000000000ff", &a, &page, &err),
	                 WB_ENOTFOUND);
	assert_non_null(strstr(err.msg, "ArgumentException"));
	assert_null(page);
	free(body);
	/* Another error, a page that is not JSON-RPC, a result of another shape. */
	body = fixture("over_limit.json");
	a = answer(200, body);
	assert_int_equal(kind()->page_read(stream("faults"), "", &a, &page, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "OverLimitException"));
	free(body);
	a = answer(200, "<html><title>Sign in</title></html>");
	assert_int_equal(kind()->page_read(stream("faults"), "", &a, &page, &err), WB_EINVALID);
	a = answer(200, "{\"result\":[1,2]}");
	assert_int_equal(kind()->page_read(stream("faults"), "", &a, &page, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "toVersion"));
	a = answer(200, "{\"result\":[{}]}");
	assert_int_equal(kind()->page_read(stream("positions"), "", &a, &page, &err), WB_EINVALID);
	assert_null(page);
	/* A record without Geotab's version. */
	json_t *rec = json_pack("{s:s, s:s}", "id", "b1", "name", "TRK-001");
	struct wb_vehicle v;
	assert_int_equal(kind()->map_record(stream("vehicles"), "telematics", rec, &v, &err),
	                 WB_EINVALID);
	assert_non_null(strstr(err.msg, "version"));
	json_decref(rec);
}

static void test_whoami(void **state)
{
	(void)state;
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(kind()->whoami_request(&who, &call, &err), 0);
	json_t *p = params_of(&call);
	assert_string_equal(json_string_value(json_object_get(p, "typeName")), "User");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(p, "search"), "name")), who.user);
	json_decref(call.body);
	char *body = fixture("whoami.json");
	struct connector_whoami me;
	assert_int_equal(kind()->whoami(body, strlen(body), &me, &err), 0);
	assert_string_equal(me.user, "dispatch@depot.example");
	assert_string_equal(me.role, "viewer");
	free(body);
	assert_int_equal(kind()->whoami("{\"result\":[]}", 13, &me, &err), WB_EINVALID);
}

static void test_actions_refused(void **state)
{
	(void)state;
	struct connector_call call;
	struct wb_err err = {0};
	json_t *payload = json_object();
	assert_int_equal(kind()->action("hold_vehicle", "b1", payload, &call, &err), WB_ENOTFOUND);
	assert_non_null(strstr(err.msg, "maintenance source"));
	assert_null(strchr(err.msg, '\n'));
	assert_null(call.body);
	json_decref(payload);
}

static void test_doctor(void **state)
{
	(void)state;
	struct connector_call call;
	struct wb_err err = {0};
	char line[200];
	assert_int_equal(kind()->doctor_request(0, &who, &call, &err), 0);
	assert_string_equal(json_string_value(json_object_get(call.body, "method")), "GetVersion");
	assert_null(json_object_get(params_of(&call), "credentials"));
	json_decref(call.body);
	assert_int_equal(kind()->doctor_request(1, &who, &call, &err), 0);
	assert_int_equal(json_array_size(json_object_get(params_of(&call), "calls")), 3);
	assert_non_null(json_object_get(params_of(&call), "credentials"));
	json_decref(call.body);
	assert_int_equal(kind()->doctor_request(2, &who, &call, &err), WB_ENOTFOUND);
	struct connector_answer a = answer(200, "{\"result\":\"5.7.2026.1\",\"jsonrpc\":\"2.0\"}");
	assert_int_equal(kind()->doctor_read(0, &a, line, sizeof(line)), 0);
	assert_string_equal(line, "MyGeotab 5.7.2026.1");
	char *body = fixture("over_limit.json");
	a = answer(200, body);
	assert_int_equal(kind()->doctor_read(1, &a, line, sizeof(line)), 1);
	assert_non_null(strstr(line, "OverLimitException"));
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_streams),
	        cmocka_unit_test(test_login_request),
	        cmocka_unit_test(test_login_read_moves_to_the_server),
	        cmocka_unit_test(test_login_read_refused),
	        cmocka_unit_test(test_session_lost),
	        cmocka_unit_test(test_feed_requests),
	        cmocka_unit_test(test_positions_request),
	        cmocka_unit_test(test_vehicles_and_drivers),
	        cmocka_unit_test(test_driver_hours),
	        cmocka_unit_test(test_faults),
	        cmocka_unit_test(test_inspections),
	        cmocka_unit_test(test_positions),
	        cmocka_unit_test(test_answers_refused),
	        cmocka_unit_test(test_whoami),
	        cmocka_unit_test(test_actions_refused),
	        cmocka_unit_test(test_doctor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
