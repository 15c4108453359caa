/* Unit tests for the sim's world and change log: determinism from the seed,
 * cursor round trips and forgeries, incremental paging order, fault settings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../../sim/server.h"

static void build(struct sim_world *w, uint64_t seed)
{
	struct sim_opts o = {.seed = seed,
	                     .vehicles = 30,
	                     .loads_per_day = 150,
	                     .depots = 1,
	                     .speed = 1,
	                     .ai_wrong_rate = 0.1,
	                     .retain_changes = 1000000};
	assert_int_equal(sim_world_init(w, &o), 0);
}

static void same_seed_same_world(void **state)
{
	static struct sim_world a, b;
	build(&a, 9);
	build(&b, 9);
	assert_true(sim_checksum(&a) == sim_checksum(&b));
	assert_int_equal(a.t[WB_ENT_LOAD].n, b.t[WB_ENT_LOAD].n);
	sim_world_free(&b);
	build(&b, 10);
	assert_true(sim_checksum(&a) != sim_checksum(&b));
	sim_world_free(&a);
	sim_world_free(&b);
}

static void cursors_round_trip_and_refuse_forgeries(void **state)
{
	static struct sim_world w;
	build(&w, 3);
	char c[64];
	uint64_t seq = 0;
	sim_cursor_format(&w, WB_ENT_LOAD, 42, 7, c, sizeof c);
	uint64_t hz = 0;
	assert_int_equal(sim_cursor_parse(&w, WB_ENT_LOAD, c, w.seq, &seq, &hz), 0);
	assert_int_equal(hz, 7);
	assert_int_equal(seq, 42);
	assert_int_equal(sim_cursor_parse(&w, WB_ENT_STOP, c, w.seq, &seq, NULL),
	                 -1); /* another list's */
	assert_int_equal(sim_cursor_parse(&w, WB_ENT_LOAD, "c2.2a.0.00000000", w.seq, &seq, NULL),
	                 -1);
	assert_int_equal(sim_cursor_parse(&w, WB_ENT_LOAD, "", w.seq, &seq, NULL), -1);
	sim_world_free(&w);
}

static void change_log_is_ordered_and_touch_moves_a_row_to_the_end(void **state)
{
	static struct sim_world w;
	build(&w, 4);
	struct sim_table *t = &w.t[WB_ENT_LOAD];
	for (size_t j = 1; j < t->nlog; j++)
		assert_true(t->log[j - 1].seq < t->log[j].seq);
	uint32_t v0 = SIM_ROW(&w, LOAD, sim_load, 0)->m.version;
	uint64_t before = w.seq;
	assert_int_equal(sim_touch(&w, WB_ENT_LOAD, 0), 0);
	assert_int_equal(SIM_ROW(&w, LOAD, sim_load, 0)->m.version, v0 + 1);
	size_t j = sim_log_find(t, before);
	assert_int_equal(j, t->nlog - 1);
	assert_int_equal(t->log[j].idx, 0);
	assert_int_equal(sim_parse_id(&w, WB_ENT_LOAD, "L-1"), 0);
	assert_int_equal(sim_parse_id(&w, WB_ENT_LOAD, "L-0"), -1);
	assert_int_equal(sim_parse_id(&w, WB_ENT_LOAD, "V-1"), -1);
	assert_int_equal(sim_parse_id(&w, WB_ENT_LOAD, "L-99999999999"), -1);
	sim_world_free(&w);
}

/* The ERP's shipments (#12): one per load, its order the load's, its state
 * following the load through a day of the clock, done with the departure time. */
static void shipments_follow_their_loads(void **state)
{
	static struct sim_world w;
	build(&w, 5);
	sim_advance_to(&w, w.now + 12 * 3600);
	const struct sim_table *lt = &w.t[WB_ENT_LOAD];
	assert_int_equal(w.t[WB_ENT_SHIPMENT].n, lt->n);
	int seen[LS__COUNT] = {0};
	for (size_t i = 0; i < lt->n; i++) {
		const struct sim_load *l = sim_row(lt, i);
		assert_true(l->shipment1 > 0);
		const struct sim_shipment *s =
		        SIM_ROW(&w, SHIPMENT, sim_shipment, l->shipment1 - 1);
		json_t *o = sim_render(&w, WB_ENT_SHIPMENT, l->shipment1 - 1);
		json_t *lo = sim_render(&w, WB_ENT_LOAD, i);
		assert_string_equal(json_string_value(json_object_get(o, "order_id")),
		                    json_string_value(json_object_get(lo, "order_id")));
		assert_string_equal(json_string_value(json_object_get(o, "address")),
		                    json_string_value(json_object_get(lo, "destination")));
		assert_null(json_object_get(o, "load_id"));
		const char *st = json_string_value(json_object_get(o, "status"));
		const char *want =
		        l->status == LS_PLANNED
		                ? (l->vehicle >= 0 || l->carrier ? "assigned" : "waiting")
		        : l->status <= LS_RELEASED  ? "packed"
		        : l->status == LS_CANCELLED ? "cancelled"
		                                    : "done";
		if (strcmp(st, want) != 0)
			fail_msg("load L-%zu is %s: its shipment is %s, expected %s", i + 1,
			         sim_load_status_names[l->status], st, want);
		if (!strcmp(want, "done")) {
			assert_true(s->effective_at == l->departed_at && l->departed_at > 0);
			assert_true(json_is_string(json_object_get(o, "effective_at")));
			assert_true(json_is_string(json_object_get(o, "carrier")));
		} else {
			assert_true(json_is_null(json_object_get(o, "effective_at")));
		}
		seen[l->status]++;
		json_decref(o);
		json_decref(lo);
	}
	assert_true(seen[LS_PLANNED] > 0 && seen[LS_IN_TRANSIT] + seen[LS_DELIVERED] > 0);
	/* An invoice and a charge carry their load's order beside the load. */
	json_t *inv = sim_render(&w, WB_ENT_CHARGE, 0);
	json_t *lo = sim_render(&w, WB_ENT_LOAD, SIM_ROW(&w, CHARGE, sim_charge, 0)->load);
	assert_string_equal(json_string_value(json_object_get(inv, "order_id")),
	                    json_string_value(json_object_get(lo, "order_id")));
	json_decref(inv);
	json_decref(lo);
	/* A touch of a load that changes nothing of its shipment leaves it alone. */
	const struct sim_load *l0 = sim_row(lt, lt->n - 1);
	uint32_t v = SIM_ROW(&w, SHIPMENT, sim_shipment, l0->shipment1 - 1)->m.version;
	assert_int_equal(sim_touch(&w, WB_ENT_LOAD, lt->n - 1), 0);
	assert_int_equal(SIM_ROW(&w, SHIPMENT, sim_shipment, l0->shipment1 - 1)->m.version, v);
	sim_world_free(&w);
}

static void fault_settings_parse(void **state)
{
	struct sim_fault_cfg f;
	memset(&f, 0, sizeof f);
	assert_int_equal(sim_fault_set(&f, "rate5xx", 0.25), 0);
	assert_true(f.rate5xx == 0.25);
	assert_int_equal(sim_fault_set(&f, "latency", 200), 0);
	assert_int_equal(f.latency_ms, 200);
	assert_int_equal(sim_fault_set(&f, "rate5xx", 2), -2);
	assert_int_equal(sim_fault_set(&f, "nonsense", 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(same_seed_same_world),
	        cmocka_unit_test(cursors_round_trip_and_refuse_forgeries),
	        cmocka_unit_test(change_log_is_ordered_and_touch_moves_a_row_to_the_end),
	        cmocka_unit_test(fault_settings_parse),
	        cmocka_unit_test(shipments_follow_their_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
