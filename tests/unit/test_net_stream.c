/* Event streams through the transport (fixture in net_fixture.h): SSE
 * streamed in pieces, stopping and cancelling, an error status, a request
 * beside a stream, and freeing with transfers in flight (run it under ASan:
 * nothing may leak). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net_fixture.h"

static int on_sse_event(const struct sse_event *ev, void *arg)
{
	struct got *g = arg;
	size_t len = strlen(g->events);
	snprintf(g->events + len, sizeof(g->events) - len, "%s|%s|%s\n", ev->type, ev->id,
	         ev->data);
	return 0;
}

static int on_chunk(const char *data, size_t len, long status, void *arg)
{
	struct got *g = arg;
	assert_int_equal(status, 200);
	g->chunks++;
	if (g->cancel_id)
		assert_int_equal(net_cancel(g->n, g->cancel_id), 0);
	if (g->stop_after_chunks && g->chunks >= g->stop_after_chunks)
		return 1;
	return sse_feed(&g->sse, data, len);
}

static int64_t start_stream_idle(struct fx *f, const char *path, struct got *g, const char *last_id,
                                 long idle_s)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", f->url, path);
	struct net_req req = {
	        .url = url, .bearer = TOKEN, .last_event_id = last_id, .idle_timeout_s = idle_s};
	sse_init(&g->sse, 0, on_sse_event, g);
	g->n = f->n;
	struct wb_err err = {0};
	int64_t id = net_stream(f->n, &req, on_chunk, on_done, g, &err);
	if (id <= 0)
		fail_msg("net_stream: %s", err.msg);
	return id;
}

static int64_t start_stream(struct fx *f, const char *path, struct got *g, const char *last_id)
{
	return start_stream_idle(f, path, g, last_id, 0);
}

static void test_sse_stream(void **state)
{
	struct fx *f = *state;
	/* What the parser makes of the whole text at once ... */
	struct got whole = {0};
	sse_init(&whole.sse, 0, on_sse_event, &whole);
	assert_int_equal(sse_feed(&whole.sse, sse_text, sizeof(sse_text) - 1), 0);
	/* ... is what it makes of the stream as it arrives in pieces. */
	struct got g = {0};
	start_stream(f, "/sse", &g, "e-41");
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_EOK);
	assert_string_equal(g.ctype, "text/event-stream");
	assert_true(g.chunks > 1);
	assert_string_equal(g.events, whole.events);
	assert_non_null(strstr(g.events, "position|1|{\"v\":\"T-17\",\n\"lat\":52.1}\n"));
	assert_string_equal(sse_last_id(&g.sse), "3");
	assert_int_equal(sse_retry_ms(&g.sse), 1500);
	assert_string_equal(srv.last_event_id, "e-41");
	assert_string_equal(srv.auth, "Bearer " TOKEN);
	got_free(&g);
	got_free(&whole);
}

static void test_stream_stop_and_cancel(void **state)
{
	struct fx *f = *state;
	/* The receiver says stop. */
	struct got g = {0};
	g.stop_after_chunks = 1;
	start_stream(f, "/sse-forever", &g, NULL);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_EABORTED);
	got_free(&g);

	/* Cancelled from inside its own chunk callback: ends on the next turn. */
	struct got g2 = {0};
	int64_t id = start_stream(f, "/sse-forever", &g2, NULL);
	g2.cancel_id = id;
	run_until(f, &g2.done, 1);
	assert_int_equal(g2.error, NET_ECANCELLED);
	assert_int_equal(net_cancel(f->n, id), WB_ENOTFOUND);
	got_free(&g2);

	/* Cancelled from outside: done runs before net_cancel returns. */
	struct got g3 = {0};
	id = get(f, "/stall", NULL, &g3);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(net_cancel(f->n, id), 0);
	assert_int_equal(g3.done, 1);
	assert_int_equal(g3.error, NET_ECANCELLED);
	assert_int_equal(net_pending(f->n), 0);
	got_free(&g3);
}

/* A stream answered with an error status never reaches the chunk callback;
 * done gets the status, Retry-After and the error page. */
static void test_stream_error_status(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	start_stream(f, "/429", &g, NULL);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_EOK);
	assert_int_equal(g.status, 429);
	assert_int_equal(g.retry_after, 7);
	assert_int_equal(g.chunks, 0);
	assert_string_equal(g.body, "slow down");
	got_free(&g);
}

/* A live stream holds its connection for good: requests to the same host
 * must still get through beside it. */
static void test_request_beside_stream(void **state)
{
	struct fx *f = *state;
	struct got s = {0}, g = {0};
	start_stream(f, "/sse-forever", &s, NULL);
	while (s.chunks == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	get(f, "/echo", NULL, &g);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_EOK);
	assert_int_equal(s.done, 0);
	assert_string_equal(s.events, "message||hi\n");
	got_free(&g);
	net_free(f->n); /* ends the stream: cancelled */
	f->n = NULL;
	assert_int_equal(s.done, 1);
	assert_int_equal(s.error, NET_ECANCELLED);
	got_free(&s);
}

static void test_free_in_flight(void **state)
{
	struct fx *f = *state;
	enum { N = 6 };
	struct got g[N + 1];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < N; i++)
		get(f, i % 2 ? "/stall" : "/drop", NULL, &g[i]);
	start_stream(f, "/sse-forever", &g[N], NULL);
	/* Let them reach the server. */
	while (g[N].chunks == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	net_free(f->n);
	f->n = NULL;
	for (int i = 0; i <= N; i++) {
		assert_int_equal(g[i].done, 1);
		if ((i % 2 || i == N) && g[i].error != NET_ECANCELLED)
			fail_msg("transfer %d: %s, not cancelled", i, net_errkind_name(g[i].error));
		got_free(&g[i]);
	}
}

/* Streams keep their idle limit and not the requests' low-speed one: with
 * requests failing under 100 B/s after 1 s, a stream at 1 B/s goes on (the
 * test stops it after 3 bytes) while a request at 1 B/s fails; a silent stream
 * fails after its idle time, saying so. */
static void test_stream_idle_not_low_speed(void **state)
{
	struct fx *f = *state;
	renew_net(f, &(struct net_opts){.low_speed_time_s = 1});
	struct got slow = {0}, req = {0}, idle = {0};
	slow.stop_after_chunks = 3;
	start_stream(f, "/trickle", &slow, NULL);
	get(f, "/trickle", NULL, &req);
	start_stream_idle(f, "/sse-forever", &idle, NULL, 2);
	run_until(f, &req.done, 1);
	assert_int_equal(req.error, NET_ETIMEOUT);
	if (!strstr(req.errmsg, "under the low-speed limit of 100 B/s over 1 s"))
		fail_msg("the request failed otherwise: %s", req.errmsg);
	run_until(f, &slow.done, 1);
	if (slow.error != NET_EABORTED)
		fail_msg("the 1 B/s stream did not last 3 bytes: %s", slow.errmsg);
	run_until(f, &idle.done, 1);
	assert_int_equal(idle.error, NET_ETIMEOUT);
	if (!strstr(idle.errmsg, "/sse-forever: timed out (the stream sent nothing for 2 s)"))
		fail_msg("unclear idle reason: %s", idle.errmsg);
	got_free(&slow);
	got_free(&req);
	got_free(&idle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sse_stream, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stream_stop_and_cancel, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stream_error_status, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_request_beside_stream, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stream_idle_not_low_speed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
