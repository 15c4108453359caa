/* The canonical connector: RFC 3339 times, record identity, field types,
 * tombstones and positions, on JSON as the sources send it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "connectors/connector.h"

static void test_times(void **state)
{
	static const struct {
		const char *in;
		int ok;
		int64_t ms;
	} cases[] = {
	        {"1970-01-01T00:00:00Z", 1, 0},
	        {"2026-11-29T14:32:05Z", 1, 1795962725000LL},
	        {"2026-11-29T14:32:05.25Z", 1, 1795962725250LL},
	        {"2026-11-29T14:32:05.123456Z", 1, 1795962725123LL},
	        {"2026-11-29T15:32:05+01:00", 1, 1795962725000LL},
	        {"2026-11-29T09:02:05-05:30", 1, 1795962725000LL},
	        {"2024-02-29T00:00:00Z", 1, 1709164800000LL},
	        {"1969-12-31T23:59:59Z", 1, -1000},
	        {"2023-02-29T00:00:00Z", 0, 0},
	        {"2026-13-01T00:00:00Z", 0, 0},
	        {"2026-11-29T24:00:00Z", 0, 0},
	        {"2026-11-29T14:32:05", 0, 0},
	        {"2026-11-29T14:32:05.Z", 0, 0},
	        {"2026-11-29T14:32:05Zjunk", 0, 0},
	        {"2026-11-29", 0, 0},
	        {"", 0, 0},
	        {"yesterday at noon, roughly", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = 0;
		int rc = connector_parse_time_ms(cases[i].in, &ms);
		if ((rc == 0) != cases[i].ok)
			fail_msg("\"%s\": expected %s", cases[i].in,
			         cases[i].ok ? "a time" : "an error");
		if (cases[i].ok && ms != cases[i].ms)
			fail_msg("\"%s\": expected %lld ms, got %lld", cases[i].in,
			         (long long)cases[i].ms, (long long)ms);
	}
	assert_int_equal(connector_parse_time_ms(NULL, &(int64_t){0}), -1);
}

static const struct connector_stream *stream(const char *role, const char *name)
{
	const struct connector_ops *k = connector_find("waybill");
	assert_non_null(k);
	const struct connector_stream *s = connector_stream(k, role, name);
	assert_non_null(s);
	return s;
}

static void test_load_record(void **state)
{
	json_error_t je;
	json_t *rec = json_loads(
	        "{\"id\":\"L-1042\",\"version\":7,\"deleted\":false,\"number\":\"L-1042\","
	        "\"status\":\"staged\",\"priority\":2,\"vehicle_id\":\"TRK-17\",\"driver_id\":null,"
	        "\"eta\":\"2026-11-29T15:10:00Z\",\"revenue\":1250.5,\"pallets\":22,"
	        "\"weight_kg\":11800,\"unknown_future_field\":[1,2]}",
	        0, &je);
	assert_non_null(rec);
	const struct connector_ops *k = connector_find("waybill");
	struct wb_load l;
	struct wb_err err = {0};
	assert_int_equal(k->map_record(stream("tms", "loads"), "tms", rec, &l, &err), 0);
	assert_string_equal(l.meta.id, "L-1042");
	assert_string_equal(l.meta.ext_id, "L-1042");
	assert_string_equal(l.meta.source, "tms");
	assert_int_equal(l.meta.ext_version, 7);
	assert_int_equal(l.meta.deleted, 0);
	assert_string_equal(l.status, "staged");
	assert_int_equal(l.priority, 2);
	assert_null(l.driver_id);
	assert_int_equal(l.eta, 1795965000);
	assert_true(l.revenue == 1250.5);
	assert_true(l.weight_kg == 11800.0); /* an integer JSON number into a REAL field */
	assert_int_equal(l.tendered_at, WB_NULL);
	assert_true(isnan(l.est_cost));
	json_decref(rec);
}

static void test_bad_records(void **state)
{
	static const struct {
		const char *json;
		const char *want; /* in the error message */
	} cases[] = {
	        {"[1]", "not an object"},
	        {"{\"version\":1}", "no usable \"id\""},
	        {"{\"id\":\"\",\"version\":1}", "no usable \"id\""},
	        {"{\"id\":\"L-1\"}", "\"version\" must be"},
	        {"{\"id\":\"L-1\",\"version\":-3}", "\"version\" must be"},
	        {"{\"id\":\"L-1\",\"version\":\"7\"}", "\"version\" must be"},
	        {"{\"id\":\"L-1\",\"version\":1,\"deleted\":\"yes\"}", "\"deleted\" must be"},
	        {"{\"id\":\"L-1\",\"version\":1,\"status\":5}", "field status: expected a string"},
	        {"{\"id\":\"L-1\",\"version\":1,\"eta\":\"soon\"}",
	         "field eta: \"soon\" is not an RFC 3339"},
	        {"{\"id\":\"L-1\",\"version\":1,\"eta\":1.5}", "field eta: expected an integer"},
	        {"{\"id\":\"L-1\",\"version\":1,\"revenue\":\"lots\"}",
	         "field revenue: expected a number"},
	};
	const struct connector_ops *k = connector_find("waybill");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t je;
		json_t *rec = json_loads(cases[i].json, JSON_DECODE_ANY, &je);
		assert_non_null(rec);
		struct wb_load l;
		struct wb_err err = {0};
		int rc = k->map_record(stream("tms", "loads"), "tms", rec, &l, &err);
		if (rc != WB_EINVALID || !strstr(err.msg, cases[i].want))
			fail_msg("%s: expected an error with \"%s\", got %d \"%s\"", cases[i].json,
			         cases[i].want, rc, err.msg);
		json_decref(rec);
	}
}

static void test_tombstone(void **state)
{
	json_error_t je;
	/* A tombstone's other fields are not even looked at. */
	json_t *rec = json_loads(
	        "{\"id\":\"V-3\",\"version\":12,\"deleted\":true,\"fuel_pct\":\"x\"}", 0, &je);
	struct wb_vehicle v;
	struct wb_err err = {0};
	assert_int_equal(connector_waybill.map_record(stream("telematics", "vehicles"),
	                                              "telematics", rec, &v, &err),
	                 0);
	assert_int_equal(v.meta.deleted, 1);
	assert_int_equal(v.meta.ext_version, 12);
	assert_null(v.unit);
	json_decref(rec);
}

static void test_positions(void **state)
{
	json_error_t je;
	json_t *rec = json_loads("{\"vehicle_id\":\"TRK-1\",\"ts_ms\":\"2026-11-29T14:32:05.250Z\","
	                         "\"lat\":51.9,\"lon\":4.4,\"speed_mps\":22.5,\"heading\":null,"
	                         "\"ignition\":true}",
	                         0, &je);
	struct wb_position p;
	struct wb_err err = {0};
	assert_int_equal(connector_waybill.map_position(rec, &p, &err), 0);
	assert_string_equal(p.vehicle_id, "TRK-1");
	assert_int_equal(p.ts_ms, 1795962725250LL);
	assert_true(p.speed_mps == 22.5);
	assert_true(isnan(p.heading));
	assert_true(isnan(p.fuel_pct));
	assert_int_equal(p.ignition, 1);
	json_decref(rec);
	static const struct {
		const char *json, *want;
	} bad[] = {
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1795962725000,\"lat\":91,\"lon\":4}",
	         "position TRK-1: field lat: 91 is out of range (a latitude from -90 to 90)"},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1795962725000,\"lat\":1e308,\"lon\":4}",
	         "field lat: 1e+308"},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1795962725000,\"lon\":4}", "no lat"},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":9223372036854775807,\"lat\":1,\"lon\":4}",
	         "position TRK-1: field ts_ms: 9223372036854775807 is out of range (a time"},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1,\"lat\":1,\"lon\":4}", "field ts_ms: 1 "},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1795962725000,\"lat\":1,\"lon\":4,"
	         "\"speed_mps\":-3}",
	         "field speed_mps: -3"},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1795962725000,\"lat\":1,\"lon\":4,"
	         "\"fuel_pct\":250}",
	         "field fuel_pct: 250"},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1795962725000,\"lat\":1,\"lon\":4,"
	         "\"heading\":-1}",
	         "field heading: -1"},
	        {"{\"vehicle_id\":\"TRK-1\",\"ts_ms\":1795962725000,\"lat\":1,\"lon\":4,"
	         "\"odometer_m\":1e300}",
	         "field odometer_m"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rec = json_loads(bad[i].json, 0, &je);
		assert_non_null(rec);
		err = (struct wb_err){0};
		int rc = connector_waybill.map_position(rec, &p, &err);
		if (rc != WB_EINVALID || !strstr(err.msg, bad[i].want))
			fail_msg("%s: expected an error with \"%s\", got %d \"%s\"", bad[i].json,
			         bad[i].want, rc, err.msg);
		json_decref(rec);
	}
	rec = json_loads("{\"ts_ms\":1,\"lat\":1,\"lon\":4}", 0, &je);
	assert_int_equal(connector_waybill.map_position(rec, &p, &err), WB_EINVALID);
	json_decref(rec);
}

/* Numbers a source sends are checked against the model's ranges: a record with
 * one outside is refused, naming the field, the value and the range; the
 * edges themselves pass. */
static void test_ranges(void **state)
{
	static const struct {
		const char *role, *stream, *json, *want; /* want NULL: accepted */
	} cases[] = {
	        {"tms", "loads", "{\"departed_at\":9223372036854775807}",
	         "loads L-1: field departed_at: 9223372036854775807 is out of range (a time from "
	         "2000-01-01 to 2100-01-01)"},
	        {"tms", "loads", "{\"departed_at\":-9223372036854775807}",
	         "field departed_at: -9223372036854775807 is out of range"},
	        {"tms", "loads", "{\"departed_at\":\"9999-12-31T23:59:59Z\"}",
	         "field departed_at: \"9999-12-31T23:59:59Z\" is out of range"},
	        {"tms", "loads", "{\"departed_at\":\"1970-01-01T00:00:00Z\"}",
	         "field departed_at: \"1970-01-01T00:00:00Z\" is out of range"},
	        {"tms", "loads", "{\"departed_at\":\"2000-01-01T00:00:00Z\"}", NULL},
	        {"tms", "loads", "{\"departed_at\":4102444800}", NULL},
	        {"tms", "loads", "{\"departed_at\":4102444801}", "field departed_at"},
	        {"tms", "loads", "{\"revenue\":1e15}",
	         "field revenue: 1e+15 is out of range (an amount from -1e12 to 1e12)"},
	        {"tms", "loads", "{\"revenue\":-1e300}", "field revenue"},
	        {"tms", "loads", "{\"revenue\":-999999999999.99}", NULL},
	        {"tms", "loads", "{\"pallets\":-1}", "field pallets: -1 is out of range (a count"},
	        {"tms", "loads", "{\"distance_m\":-5}", "field distance_m"},
	        {"tms", "loads", "{\"route_changed\":2}", "field route_changed: 2"},
	        {"tms", "loads", "{\"route_changed\":true}", NULL},
	        {"tms", "stops", "{\"lat\":1e308}",
	         "field lat: 1e+308 is out of range (a latitude"},
	        {"tms", "stops", "{\"lon\":-180.5}", "field lon"},
	        {"tms", "stops", "{\"lat\":-90,\"lon\":180}", NULL},
	        {"tms", "stops", "{\"seq\":-3}", "field seq"},
	        {"tms", "staging", "{\"pallets_total\":10000000}", "field pallets_total"},
	        {"tms", "exceptions", "{\"confidence\":1.5}", "field confidence"},
	        {"tms", "exceptions", "{\"impact\":1e13}", "field impact"},
	        {"telematics", "vehicles", "{\"speed_mps\":400}", "field speed_mps"},
	        {"telematics", "vehicles", "{\"fuel_pct\":101}", "field fuel_pct"},
	        {"telematics", "vehicles", "{\"odometer_m\":-1}", "field odometer_m"},
	        {"telematics", "vehicles", "{\"last_seen_ms\":1741341600}", "field last_seen_ms"},
	        {"telematics", "vehicles", "{\"last_seen_ms\":1741341600000}", NULL},
	        {"telematics", "vehicles", "{\"heading\":360}", NULL},
	        {"telematics", "drivers", "{\"drive_left_s\":-600}", NULL},
	        {"telematics", "drivers", "{\"drive_left_s\":9000000000}", "field drive_left_s"},
	        {"telematics", "part_reservations", "{\"qty\":-2}", "field qty"},
	        {"erp", "fuel_txns", "{\"litres\":1e9}", "field litres"},
	        {"erp", "fuel_txns", "{\"amount\":-1e13}", "field amount"},
	        {"erp", "invoices", "{\"amount\":5e12}", "field amount"},
	        {"erp", "charges", "{\"rated_amount\":1e12}", NULL},
	        {"erp", "customers", "{\"payment_terms_days\":-30}", "field payment_terms_days"},
	};
	const struct connector_ops *k = connector_find("waybill");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t je;
		json_t *rec = json_loads(cases[i].json, 0, &je);
		if (!rec)
			fail_msg("case %zu: %s", i, je.text);
		json_object_set_new(rec, "id", json_string("L-1"));
		json_object_set_new(rec, "version", json_integer(1));
		const struct connector_stream *s = stream(cases[i].role, cases[i].stream);
		assert_non_null(s);
		char row[1024]; /* larger than any entity struct */
		assert_true(wb_entity_info(s->entity)->size <= sizeof(row));
		struct wb_err err = {0};
		int rc = k->map_record(s, cases[i].role, rec, row, &err);
		if (!cases[i].want && rc != 0)
			fail_msg("%s %s: expected it accepted, got \"%s\"", cases[i].stream,
			         cases[i].json, err.msg);
		if (cases[i].want && (rc != WB_EINVALID || !strstr(err.msg, cases[i].want)))
			fail_msg("%s %s: expected an error with \"%s\", got %d \"%s\"",
			         cases[i].stream, cases[i].json, cases[i].want, rc, err.msg);
		json_decref(rec);
	}
}

/* Every number in the model says what range it has, so a new field cannot
 * arrive unchecked; text has none. */
static void test_every_number_has_a_range(void **state)
{
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		const struct wb_entity_info *info = wb_entity_info(e);
		for (size_t i = 0; i < info->ncols; i++) {
			const struct wb_column *c = &info->cols[i];
			if ((c->type == WB_TEXT) != (c->range == WB_R_ANY))
				fail_msg("%s.%s: a %s field with range %d", info->name, c->name,
				         c->type == WB_TEXT ? "text" : "number", (int)c->range);
		}
	}
	assert_true(wb_in_range(WB_R_TIME, 1741341600));
	assert_false(wb_in_range(WB_R_TIME, NAN));
	assert_false(wb_in_range(WB_R_MONEY, INFINITY));
	assert_false(wb_in_range(WB_R_COUNT, -1));
	assert_null(wb_range_info(WB_R__COUNT));
}

static void test_kinds_and_streams(void **state)
{
	assert_null(connector_find("samsara-but-not-yet"));
	assert_null(connector_find(NULL));
	size_t n = 0;
	const struct connector_ops *k = connector_find("waybill");
	assert_non_null(k->streams("tms", &n));
	assert_true(n > 0);
	assert_null(k->streams("payroll", &n));
	assert_int_equal(n, 0);
	/* Every entity is served by exactly one stream of the three required
	 * roles, but vehicle_maint, which only a maintenance source keeps; the
	 * maintenance role serves work orders, part reservations and it. */
	int served[WB_ENT__COUNT] = {0}, maint[WB_ENT__COUNT] = {0};
	const char *roles[] = {"erp", "tms", "telematics"};
	for (int r = 0; r < 3; r++) {
		const struct connector_stream *s = k->streams(roles[r], &n);
		for (size_t i = 0; i < n; i++)
			if (s[i].entity >= 0)
				served[s[i].entity]++;
	}
	const struct connector_stream *ms = k->streams("maintenance", &n);
	for (size_t i = 0; i < n; i++)
		if (ms[i].entity >= 0)
			maint[ms[i].entity]++;
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		int want = e == WB_ENT_VEHICLE_MAINT ? 0 : 1;
		if (served[e] != want)
			fail_msg("entity %s is served by %d streams", wb_entity_info(e)->name,
			         served[e]);
		int mwant = e == WB_ENT_VEHICLE_MAINT || e == WB_ENT_WORK_ORDER ||
		            e == WB_ENT_PART_RESERVATION;
		if (maint[e] != mwant)
			fail_msg("entity %s is served by %d maintenance streams",
			         wb_entity_info(e)->name, maint[e]);
	}
}

static void test_actions(void **state)
{
	struct connector_call call;
	struct wb_err err = {0};
	json_t *payload = json_pack("{s:s}", "reason", "brake fault");
	assert_int_equal(connector_waybill.action("place_hold", "V-17", payload, &call, &err), 0);
	assert_string_equal(call.method, "POST");
	assert_string_equal(call.path, "/v1/vehicles/V-17/hold");
	assert_string_equal(json_string_value(json_object_get(call.body, "reason")), "brake fault");
	json_decref(call.body);
	assert_int_equal(connector_waybill.action("open_work_order", NULL, payload, &call, &err),
	                 0);
	assert_string_equal(call.path, "/v1/work_orders");
	json_decref(call.body);
	assert_int_equal(connector_waybill.action("release_load", "L-1", NULL, &call, &err), 0);
	assert_true(json_is_object(call.body));
	json_decref(call.body);
	/* Ids that would change the request line are refused. */
	const char *bad[] = {"L-1/../../admin", "L-1?x=1", "L 1", "L-1%2f", "", NULL};
	for (int i = 0; bad[i]; i++) {
		int rc = connector_waybill.action("release_load", bad[i], NULL, &call, &err);
		if (rc != WB_EINVALID)
			fail_msg("id \"%s\" should be refused, got %d", bad[i], rc);
	}
	assert_int_equal(connector_waybill.action("release_load", NULL, NULL, &call, &err),
	                 WB_EINVALID);
	/* Ids are at most 128 characters, as records' ids are. */
	char id[130];
	memset(id, 'a', 128);
	id[128] = '\0';
	assert_int_equal(connector_waybill.action("release_load", id, NULL, &call, &err), 0);
	json_decref(call.body);
	id[128] = 'a';
	id[129] = '\0';
	assert_int_equal(connector_waybill.action("release_load", id, NULL, &call, &err),
	                 WB_EINVALID);
	assert_int_equal(connector_waybill.action("launch_rocket", "L-1", NULL, &call, &err),
	                 WB_ENOTFOUND);
	json_decref(payload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_times),
	        cmocka_unit_test(test_load_record),
	        cmocka_unit_test(test_bad_records),
	        cmocka_unit_test(test_tombstone),
	        cmocka_unit_test(test_positions),
	        cmocka_unit_test(test_kinds_and_streams),
	        cmocka_unit_test(test_actions),
	        cmocka_unit_test(test_ranges),
	        cmocka_unit_test(test_every_number_has_a_range),
	};
	return cmocka_run_group_tests_name("connector", tests, NULL, NULL);
}
