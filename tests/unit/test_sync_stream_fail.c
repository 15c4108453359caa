/* A polled stream's failures (sync/stream_fail.c) driven directly, with a real
 * cache and a libuv loop that is never run, so the loop's clock stands still:
 * --once gives up only after SYNC_ONCE_MAX_ERRORS failures in a row that
 * span SYNC_ONCE_MIN_OUTAGE_MS (twelve quick failures are a restart, not an
 * outage), a page's Retry-After is seconds, the budget without a good page is
 * SYNC_ONCE_BUDGET_MS, and an empty page that says it has more is no progress
 * even when it brings a new cursor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "sync/sync_internal.h"

struct fixture {
	char dir[256], path[300];
	uv_loop_t loop;
	struct config_source src;
	struct connector_stream cs;
	struct sync sy;
	struct sync_stream st[2]; /* the second never finishes: no local pass runs */
	int gave_up;
};

static void on_event(void *arg, const struct sync_event *ev)
{
	struct fixture *f = arg;
	if (ev->kind == SYNC_EV_GAVE_UP)
		f->gave_up++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->src.name = "tms";
	f->cs = (struct connector_stream){.name = "loads", .path = "/v1/loads", .entity = -1};
	f->sy.loop = &f->loop;
	f->sy.cache = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	f->sy.o.once = true;
	f->sy.o.on_event = on_event;
	f->sy.o.arg = f;
	f->sy.rng = 0x2545f491u;
	f->sy.streams = f->st;
	f->sy.nstreams = 2;
	for (int i = 0; i < 2; i++) {
		struct sync_stream *st = &f->st[i];
		st->sy = &f->sy;
		st->src = &f->src;
		st->cs = &f->cs;
		uv_timer_init(&f->loop, &st->timer);
		uv_timer_init(&f->loop, &st->budget);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 2; i++) {
		uv_close((uv_handle_t *)&f->st[i].timer, NULL);
		uv_close((uv_handle_t *)&f->st[i].budget, NULL);
	}
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_loop_close(&f->loop);
	cache_close(f->sy.cache);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

/* Twelve and more failures within the same instant: a source restarting, not
 * down; --once keeps retrying. */
static void test_quick_failures_do_not_give_up(void **state)
{
	struct fixture *f = *state;
	struct sync_stream *st = &f->st[0];
	for (int i = 0; i < 3 * SYNC_ONCE_MAX_ERRORS; i++)
		sync_stream_failed(st, "connection refused", -1);
	assert_int_equal(st->errors, 3 * SYNC_ONCE_MAX_ERRORS);
	assert_false(st->failed);
	assert_int_equal(f->gave_up, 0);
	assert_true(uv_is_active((uv_handle_t *)&st->timer)); /* a retry is scheduled */
}

/* Failures in a row that began SYNC_ONCE_MIN_OUTAGE_MS ago: --once gives up
 * at the twelfth, not before. */
static void test_long_outage_gives_up_at_the_twelfth(void **state)
{
	struct fixture *f = *state;
	struct sync_stream *st = &f->st[0];
	sync_stream_failed(st, "connection refused", -1);
	st->first_error_ms = uv_now(&f->loop) - SYNC_ONCE_MIN_OUTAGE_MS;
	for (int i = 2; i < SYNC_ONCE_MAX_ERRORS; i++)
		sync_stream_failed(st, "connection refused", -1);
	assert_false(st->failed);
	sync_stream_failed(st, "connection refused", -1);
	assert_true(st->failed);
	assert_int_equal(f->gave_up, 1);
}

/* "Retry-After: 30" on a page: the retry is due in 30 000 ms. */
static void test_retry_after_is_seconds(void **state)
{
	struct fixture *f = *state;
	struct sync_stream *st = &f->st[0];
	sync_stream_failed(st, "HTTP 429: rate limited", 30);
	assert_int_equal(uv_timer_get_due_in(&st->timer), 30000);
}

/* A good page starts the budget again: SYNC_ONCE_BUDGET_MS, in ms. */
static void test_budget_is_ms(void **state)
{
	struct fixture *f = *state;
	struct sync_stream *st = &f->st[0];
	struct sync_page_result pr = {.records = 5, .has_more = true, .next = "c2"};
	sync_stream_progressed(st, &pr);
	assert_int_equal(uv_timer_get_due_in(&st->budget), SYNC_ONCE_BUDGET_MS);
}

/* An empty page that says it has more is no progress, whatever cursor it
 * hands out; a page with records and a new cursor is. */
static void test_empty_page_with_more_does_not_advance(void **state)
{
	struct fixture *f = *state;
	struct sync_stream *st = &f->st[0];
	snprintf(st->asked, sizeof(st->asked), "c1");
	struct sync_page_result full = {.records = 5, .has_more = true, .next = "c2"};
	assert_true(sync_stream_advances(st, &full));
	snprintf(st->asked, sizeof(st->asked), "c2");
	struct sync_page_result empty = {.records = 0, .has_more = true, .next = "c3"};
	assert_false(sync_stream_advances(st, &empty));
	assert_int_equal(st->stalls, 1);
	assert_non_null(strstr(st->last_why, "empty page"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_quick_failures_do_not_give_up, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_long_outage_gives_up_at_the_twelfth, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_retry_after_is_seconds, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_budget_is_ms, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_empty_page_with_more_does_not_advance, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
