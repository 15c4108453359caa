/* The traccar kind on pages written from Traccar's OpenAPI (tests/fixtures/traccar/):
 * devices (identity only: readings are the positions'), drivers, DTC faults and their severity,
 * positions and their units, the positions cursor (windows over the route report), shapes it
 * refuses, who-am-I and the refusal of actions. */
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

static const struct connector_ops *kind(void)
{
	const struct connector_ops *k = connector_find("traccar");
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
	return test_fixture("traccar", name, NULL);
}

/* Reads body as the answer to stream's page after cursor; NULL and err when refused. */
static json_t *read_body(const char *name, const char *cursor, const char *body, struct wb_err *err)
{
	struct connector_answer a = {200, "application/json", body, strlen(body)};
	json_t *page = NULL;
	if (kind()->page_read(stream(name), cursor, &a, &page, err) != 0) {
		assert_null(page);
		return NULL;
	}
	assert_non_null(page);
	return page;
}

static json_t *read_fixture(const char *name, const char *cursor, const char *file)
{
	char *body = fixture(file);
	struct wb_err err = {0};
	json_t *page = read_body(name, cursor, body, &err);
	free(body);
	if (!page)
		fail_msg("%s: %s", file, err.msg);
	return page;
}

static int64_t ms_of(const char *iso)
{
	int64_t ms;
	assert_int_equal(connector_parse_time_ms(iso, &ms), 0);
	return ms;
}

static void test_streams(void **state)
{
	(void)state;
	size_t n;
	const struct connector_stream *s = kind()->streams("telematics", &n);
	assert_int_equal(n, 4);
	assert_string_equal(s[0].name, "vehicles");
	assert_string_equal(s[3].name, "positions");
	assert_int_equal(s[3].entity, -1);
	assert_null(s[3].live_path); /* polled: Debian 12's libcurl has no WebSocket */
	assert_null(kind()->streams("erp", &n));
	assert_int_equal(n, 0);
	/* Snapshot lists are a full pass each poll, so what Traccar stops
	 * listing (a cleared DTC, a deleted device) leaves the cache. */
	assert_int_equal(kind()->sweep_s(stream("faults")), 1);
	assert_int_equal(kind()->sweep_s(stream("vehicles")), 1);
	assert_int_equal(kind()->sweep_s(stream("positions")), 0);
}

static void test_vehicles(void **state)
{
	(void)state;
	struct wb_err err = {0};
	struct connector_call call;
	assert_int_equal(kind()->page_request(stream("vehicles"), NULL, "", 0, &call, &err), 0);
	assert_string_equal(call.path, "/api/devices?limit=500&offset=0");
	assert_string_equal(call.method, "GET");
	assert_null(call.body);
	/* One request: the devices, without readings (those are the positions
	 * stream's; the cache shows them on the vehicle). A disabled device is
	 * left out, so the pass's sweep removes it. */
	json_t *page = read_fixture("vehicles", "", "devices.json");
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 3);
	assert_false(json_is_true(json_object_get(page, "has_more")));
	assert_string_equal(json_string_value(json_object_get(page, "next")), "");
	struct wb_vehicle v;
	assert_int_equal(kind()->map_record(stream("vehicles"), "telematics",
	                                    json_array_get(data, 0), &v, &err),
	                 0);
	assert_string_equal(v.meta.id, "1"); /* Traccar's own id, as text */
	assert_string_equal(v.unit, "TRK-001");
	assert_string_equal(v.kind, "tractor");
	assert_string_equal(v.depot, "DEP-1");
	assert_true(v.tank_l == 400.0);
	/* lastUpdate moves with each message the device sends: the version */
	assert_int_equal(v.meta.ext_version, ms_of("2026-11-29T14:32:05Z"));
	assert_int_equal(v.last_seen_ms, WB_NULL); /* the positions' (vehicle_now) */
	assert_true(isnan(v.odometer_m));
	assert_true(isnan(v.fuel_pct));
	assert_true(isnan(v.lat));
	assert_int_equal(v.engine_s, WB_NULL); /* Traccar's "hours" is not read */
	assert_null(v.status);                 /* the maintenance source's */
	assert_true(isnan(v.pm_due_odometer_m));
	assert_int_equal(v.on_hold, WB_NULL);
	assert_int_equal(kind()->map_record(stream("vehicles"), "telematics",
	                                    json_array_get(data, 1), &v, &err),
	                 0);
	assert_string_equal(v.meta.id, "2");
	assert_string_equal(v.kind, "trailer");
	assert_null(v.depot);
	assert_true(isnan(v.tank_l));
	assert_int_equal(v.meta.ext_version, 1); /* never reported: lastUpdate null */
	assert_string_equal(json_string_value(json_object_get(json_array_get(data, 2), "id")), "7");
	json_decref(page);

	/* A full page: the next one starts after it. */
	size_t cap = 600 * 64, n = 0;
	char *body = malloc(cap);
	assert_non_null(body);
	n += (size_t)snprintf(body + n, cap - n, "[");
	for (int i = 1; i <= 500; i++)
		n += (size_t)snprintf(body + n, cap - n, "%s{\"id\":%d,\"name\":\"U-%d\"}",
		                      i > 1 ? "," : "", i + 500, i);
	snprintf(body + n, cap - n, "]");
	page = read_body("vehicles", "O500", body, &err);
	free(body);
	assert_non_null(page);
	assert_int_equal(json_array_size(json_object_get(page, "data")), 500);
	assert_true(json_is_true(json_object_get(page, "has_more")));
	assert_string_equal(json_string_value(json_object_get(page, "next")), "O1000");
	json_decref(page);
	assert_int_equal(kind()->page_request(stream("vehicles"), NULL, "O1000", 0, &call, &err),
	                 0);
	assert_string_equal(call.path, "/api/devices?limit=500&offset=1000");
	/* A cursor that is not ours, and a bad "disabled" */
	assert_int_equal(kind()->page_request(stream("vehicles"), NULL, "P3;1;[]", 0, &call, &err),
	                 WB_EINVALID);
	assert_null(read_body("vehicles", "", "[{\"id\":3,\"name\":\"X\",\"disabled\":1}]", &err));
	assert_non_null(strstr(err.msg, "disabled"));
}

static void test_drivers(void **state)
{
	(void)state;
	json_t *page = read_fixture("drivers", "", "drivers.json");
	struct wb_driver d;
	struct wb_err err = {0};
	assert_int_equal(kind()->map_record(stream("drivers"), "telematics",
	                                    json_array_get(json_object_get(page, "data"), 0), &d,
	                                    &err),
	                 0);
	assert_string_equal(d.meta.id, "100001");
	assert_string_equal(d.name, "M. Okafor");
	assert_string_equal(d.depot, "DEP-1");
	assert_int_equal(d.drive_left_s, WB_NULL); /* Traccar keeps no hours of service */
	json_decref(page);
}

static json_t *fault(json_t *page, const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(page, "data"), i, r)
	{
		const char *rid = json_string_value(json_object_get(r, "id"));
		if (rid && !strcmp(rid, id))
			return r;
	}
	fail_msg("no fault %s", id);
	return NULL;
}

static void test_faults(void **state)
{
	(void)state;
	json_t *page = read_fixture("faults", "", "positions_latest.json");
	assert_int_equal(json_array_size(json_object_get(page, "data")), 4);
	struct wb_fault f;
	struct wb_err err = {0};
	assert_int_equal(kind()->map_record(stream("faults"), "telematics",
	                                    fault(page, "1-SPN5246-FMI0"), &f, &err),
	                 0);
	assert_string_equal(f.vehicle_id, "1");
	assert_string_equal(f.code, "SPN5246-FMI0");
	assert_string_equal(f.protocol, "j1939");
	assert_string_equal(f.severity, "critical");
	assert_int_equal(f.active, 1);
	assert_int_equal(f.last_seen, ms_of("2026-11-29T14:32:05Z") / 1000);
	assert_int_equal(f.meta.ext_version, ms_of("2026-11-29T14:32:05Z"));
	/* Comma-separated codes too; OBD-II by its letter and four digits. */
	assert_int_equal(kind()->map_record(stream("faults"), "telematics", fault(page, "7-P0217"),
	                                    &f, &err),
	                 0);
	assert_string_equal(f.protocol, "obd2");
	assert_string_equal(f.severity, "critical");
	assert_string_equal(f.description, "Engine coolant over-temperature condition");
	assert_int_equal(kind()->map_record(stream("faults"), "telematics", fault(page, "7-P0420"),
	                                    &f, &err),
	                 0);
	assert_string_equal(f.severity, "minor");
	json_decref(page);

	/* Codes not in the table: J1939 FMI 0 or 1 is critical, other J1939 and
	 * OBD-II codes major; a position with no "dtcs" has no faults. */
	page = read_body(
	        "faults", "",
	        "[{\"id\":1,\"deviceId\":3,\"fixTime\":\"2026-11-29T10:00:00Z\","
	        "\"latitude\":1,\"longitude\":2,\"attributes\":{\"dtcs\":\"SPN94-FMI1 "
	        "SPN94-FMI3 P0455\"}},{\"id\":2,\"deviceId\":4,\"fixTime\":"
	        "\"2026-11-29T10:00:00Z\",\"latitude\":1,\"longitude\":2,\"attributes\":{}}]",
	        &err);
	assert_non_null(page);
	assert_string_equal(
	        json_string_value(json_object_get(fault(page, "3-SPN94-FMI1"), "severity")),
	        "critical");
	assert_string_equal(
	        json_string_value(json_object_get(fault(page, "3-SPN94-FMI3"), "severity")),
	        "major");
	assert_string_equal(json_string_value(json_object_get(fault(page, "3-P0455"), "severity")),
	                    "major");
	assert_int_equal(json_array_size(json_object_get(page, "data")), 3);
	json_decref(page);

	/* A code that is neither is refused with the page: nothing stored. */
	assert_null(read_body("faults", "",
	                      "[{\"id\":1,\"deviceId\":3,\"fixTime\":\"2026-11-29T10:00:00Z\","
	                      "\"latitude\":1,\"longitude\":2,\"attributes\":{\"dtcs\":\"OIL!\"}}]",
	                      &err));
	assert_non_null(strstr(err.msg, "not a J1939 or OBD-II code"));
}

static void test_positions_pass(void **state)
{
	(void)state;
	struct wb_err err = {0};
	struct connector_call call;
	/* A pass begins with the latest position of every device. */
	assert_int_equal(kind()->page_request(stream("positions"), NULL, "", 0, &call, &err), 0);
	assert_string_equal(call.path, "/api/positions");
	json_t *page = read_fixture("positions", "", "positions_latest.json");
	json_t *data = json_object_get(page, "data");
	assert_int_equal(json_array_size(data), 2);
	struct wb_position p;
	assert_int_equal(kind()->map_position(json_array_get(data, 0), &p, &err), 0);
	assert_string_equal(p.vehicle_id, "1");
	assert_int_equal(p.ts_ms, ms_of("2026-11-29T14:32:05Z"));
	assert_true(fabs(p.speed_mps - 48.6 * 0.514444) < 1e-9); /* knots */
	assert_true(p.heading == 271.5);
	assert_true(p.odometer_m == 336396900.0); /* odometer wins over totalDistance */
	assert_true(p.fuel_pct == 61.5);
	assert_int_equal(p.ignition, 1);
	assert_int_equal(kind()->map_position(json_array_get(data, 1), &p, &err), 0);
	assert_true(p.odometer_m == 120500.0); /* totalDistance when no odometer */
	assert_true(isnan(p.fuel_pct));
	assert_int_equal(p.ignition, 0);

	/* The first window is the hour before the newest fix; only device 1
	 * reported in it (device 7's last fix is older). */
	int64_t to = ms_of("2026-11-29T14:32:05Z"), from = to - 3600 * 1000;
	char want[128];
	snprintf(want, sizeof(want), "W%lld-%lld:1", (long long)from, (long long)to);
	assert_string_equal(json_string_value(json_object_get(page, "next")), want);
	assert_true(json_is_true(json_object_get(page, "has_more")));
	json_decref(page);

	assert_int_equal(kind()->page_request(stream("positions"), NULL, want, 0, &call, &err), 0);
	assert_string_equal(call.path, "/api/reports/route?from=2026-11-29T13:32:05.000Z"
	                               "&to=2026-11-29T14:32:05.000Z&deviceId=1");
	page = read_fixture("positions", want, "route.json");
	assert_int_equal(json_array_size(json_object_get(page, "data")), 2);
	snprintf(want, sizeof(want), "C%lld", (long long)to);
	assert_string_equal(json_string_value(json_object_get(page, "next")), want);
	assert_false(json_is_true(json_object_get(page, "has_more")));
	json_decref(page);

	/* Caught up: the next window starts two minutes before the last ended
	 * (a position stored late is still read; the cache does not double it). */
	int64_t last = ms_of("2026-11-29T14:31:00Z");
	char cur[64];
	snprintf(cur, sizeof(cur), "C%lld", (long long)last);
	page = read_fixture("positions", cur, "positions_latest.json");
	snprintf(want, sizeof(want), "W%lld-%lld:1", (long long)(last - 120000), (long long)to);
	assert_string_equal(json_string_value(json_object_get(page, "next")), want);
	json_decref(page);
	/* No device reported in the overlap: caught up where it was. */
	snprintf(cur, sizeof(cur), "C%lld", (long long)to + 200000);
	page = read_fixture("positions", cur, "positions_latest.json");
	assert_string_equal(json_string_value(json_object_get(page, "next")), cur);
	assert_false(json_is_true(json_object_get(page, "has_more")));
	json_decref(page);
}

/* A device whose clock runs years ahead does not carry the window with it:
 * its position is kept, but the window ends at the others' newest fix. */
static void test_positions_future_fix(void **state)
{
	(void)state;
	struct wb_err err = {0};
	char cur[40], want[80];
	int64_t last = ms_of("2026-11-29T10:00:00Z");
	snprintf(cur, sizeof(cur), "C%lld", (long long)last);
	json_t *page = read_body(
	        "positions", cur,
	        "[{\"id\":1,\"deviceId\":3,\"fixTime\":\"2026-11-29T10:00:30Z\",\"serverTime\":"
	        "\"2026-11-29T10:00:31Z\",\"latitude\":1,\"longitude\":2},{\"id\":2,"
	        "\"deviceId\":4,\"fixTime\":\"2090-01-01T00:00:00Z\",\"serverTime\":"
	        "\"2026-11-29T10:00:20Z\",\"latitude\":1,\"longitude\":2}]",
	        &err);
	assert_non_null(page);
	assert_int_equal(json_array_size(json_object_get(page, "data")), 2);
	snprintf(want, sizeof(want), "W%lld-%lld:3", (long long)(last - 120000),
	         (long long)ms_of("2026-11-29T10:00:30Z"));
	assert_string_equal(json_string_value(json_object_get(page, "next")), want);
	json_decref(page);
}

/* Many devices: each route report asks for those whose ids fit its path, and
 * the cursor keeps the rest until none is left. */
static void test_positions_batches(void **state)
{
	(void)state;
	struct wb_err err = {0};
	struct connector_call call;
	char cur[512] = "W1796300000000-1796300060000:1-60";
	int pages = 0, seen[61] = {0};
	for (;;) {
		assert_int_equal(
		        kind()->page_request(stream("positions"), NULL, cur, 0, &call, &err), 0);
		assert_true(strlen(call.path) < sizeof(call.path) - 1);
		for (const char *p = strstr(call.path, "deviceId="); p;
		     p = strstr(p + 1, "deviceId="))
			seen[atoi(p + 9)]++;
		json_t *page = read_body("positions", cur, "[]", &err);
		assert_non_null(page);
		pages++;
		snprintf(cur, sizeof(cur), "%s", json_string_value(json_object_get(page, "next")));
		int more = json_is_true(json_object_get(page, "has_more"));
		json_decref(page);
		if (!more)
			break;
		assert_true(pages < 20);
	}
	assert_string_equal(cur, "C1796300060000");
	assert_true(pages > 1);
	for (int i = 1; i <= 60; i++)
		assert_int_equal(seen[i], 1);
}

static void test_refused_shapes(void **state)
{
	(void)state;
	struct wb_err err = {0};
	/* Not an array (Traccar's error text, an object) */
	assert_null(read_body("vehicles", "", "{\"data\":[]}", &err));
	assert_non_null(strstr(err.msg, "vehicles: the answer is not a JSON array"));
	assert_null(read_body("positions", "", "Unauthorized", &err));
	/* A device without a name; a position without coordinates; text odometer */
	assert_null(read_body("vehicles", "", "[{\"id\":3}]", &err));
	assert_non_null(strstr(err.msg, "lacks id or name"));
	assert_null(read_body("positions", "",
	                      "[{\"id\":1,\"deviceId\":3,\"fixTime\":\"2026-11-29T10:00:00Z\"}]",
	                      &err));
	assert_null(
	        read_body("positions", "",
	                  "[{\"id\":1,\"deviceId\":3,\"fixTime\":\"2026-11-29T10:00:00Z\","
	                  "\"latitude\":1,\"longitude\":2,\"attributes\":{\"odometer\":\"9\"}}]",
	                  &err));
	assert_non_null(strstr(err.msg, "not a number"));
	/* ... and on a route report page, the window is not moved on */
	assert_null(
	        read_body("positions", "W1796300000000-1796300060000:1-3", "[{\"id\":1}]", &err));
	assert_non_null(strstr(err.msg, "lacks deviceId"));
	/* A latitude off the globe is refused by the model's ranges */
	json_t *page = read_body("positions", "C1796300000000",
	                         "[{\"id\":1,\"deviceId\":3,\"fixTime\":\"2026-11-29T10:00:00Z\","
	                         "\"latitude\":95,\"longitude\":2}]",
	                         &err);
	assert_non_null(page);
	struct wb_position p;
	assert_int_not_equal(
	        kind()->map_position(json_array_get(json_object_get(page, "data"), 0), &p, &err),
	        0);
	json_decref(page);
	/* A cursor that is not ours */
	struct connector_call call;
	assert_int_equal(kind()->page_request(stream("positions"), NULL, "after=5", 0, &call, &err),
	                 WB_EINVALID);
	assert_int_equal(kind()->page_request(stream("positions"), NULL, "W5-1:1", 0, &call, &err),
	                 WB_EINVALID);
}

static void test_whoami(void **state)
{
	(void)state;
	char *body = fixture("session.json");
	struct connector_whoami w;
	struct wb_err err = {0};
	assert_string_equal(kind()->whoami_path, "/api/session");
	assert_int_equal(kind()->whoami(body, strlen(body), &w, &err), 0);
	assert_string_equal(w.user, "dispatch@depot.example");
	assert_string_equal(w.role, "viewer");
	free(body);
	assert_int_not_equal(kind()->whoami("[]", 2, &w, &err), 0);
	assert_non_null(strstr(err.msg, "/api/session"));
}

static void test_actions_refused(void **state)
{
	(void)state;
	struct connector_call call;
	struct wb_err err = {0};
	memset(&call, 0, sizeof(call));
	assert_int_equal(kind()->action("place_hold", "1", NULL, &call, &err), WB_ENOTFOUND);
	assert_non_null(strstr(err.msg, "sources.maintenance"));
	assert_null(strchr(err.msg, '\n'));
	assert_null(call.body);
}

static uint32_t rng = 2463534242u;
static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Hostile input: cursors made of the characters ours are made of, and pages
 * with bytes changed, for every stream. Each call either succeeds with a page
 * the engine can check or fails saying why; nothing crashes (ASan build). */
static void test_hostile(void **state)
{
	(void)state;
	static const char *const names[] = {"vehicles", "drivers", "faults", "positions"};
	static const char *const files[] = {"devices.json", "drivers.json", "positions_latest.json",
	                                    "route.json"};
	static const char alphabet[] = "0123456789WCOP;,-:[]\"\\ nul";
	char *bodies[4];
	for (int f = 0; f < 4; f++)
		bodies[f] = fixture(files[f]);
	for (int i = 0; i < 4000; i++) {
		char cur[600];
		size_t n = next_rand() % sizeof(cur);
		for (size_t k = 0; k < n; k++)
			cur[k] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
		cur[n] = '\0';
		if (i % 4 == 0) /* a cursor of ours with its tail changed */
			snprintf(cur, sizeof(cur), "%s%u",
			         i % 8 ? "W1796300000000-1796300060000:1-" : "O",
			         next_rand() % 5000);
		const struct connector_stream *s = stream(names[i % 4]);
		struct connector_call call;
		struct wb_err err = {0};
		if (kind()->page_request(s, NULL, cur, 0, &call, &err) == 0)
			assert_true(strlen(call.path) < sizeof(call.path));
		else
			assert_true(err.msg[0] != '\0');
		char *body = strdup(bodies[next_rand() % 4]);
		size_t len = strlen(body);
		for (int k = next_rand() % 6; k > 0 && len; k--)
			body[next_rand() % len] = "{}[],:\"0-9aZ.e"[next_rand() % 15];
		struct connector_answer a = {200, "application/json", body, len};
		json_t *page = NULL;
		memset(&err, 0, sizeof(err));
		int rc = kind()->page_read(s, i % 3 ? cur : "", &a, &page, &err);
		if (rc == 0) {
			assert_non_null(page);
			assert_true(json_is_array(json_object_get(page, "data")));
			assert_true(json_string_length(json_object_get(page, "next")) < 512);
			size_t k;
			json_t *r;
			json_array_foreach(json_object_get(page, "data"), k, r)
			{
				union {
					struct wb_vehicle v;
					struct wb_driver d;
					struct wb_fault f;
				} row;
				struct wb_position p;
				struct wb_err rerr = {0};
				if (s->entity >= 0
				            ? kind()->map_record(s, "telematics", r, &row, &rerr)
				            : kind()->map_position(r, &p, &rerr))
					assert_true(rerr.msg[0] != '\0');
			}
		} else {
			assert_null(page);
			assert_true(err.msg[0] != '\0');
		}
		json_decref(page);
		free(body);
	}
	for (int f = 0; f < 4; f++)
		free(bodies[f]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_streams),
	        cmocka_unit_test(test_vehicles),
	        cmocka_unit_test(test_drivers),
	        cmocka_unit_test(test_faults),
	        cmocka_unit_test(test_positions_pass),
	        cmocka_unit_test(test_positions_batches),
	        cmocka_unit_test(test_positions_future_fix),
	        cmocka_unit_test(test_refused_shapes),
	        cmocka_unit_test(test_whoami),
	        cmocka_unit_test(test_actions_refused),
	        cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
