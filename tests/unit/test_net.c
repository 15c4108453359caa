/* The transport against a real HTTP server on a real libuv loop (fixture in
 * net_fixture.h): many requests on one thread over few connections, gzip, 429
 * with Retry-After, a stalled server, a refused connection, a connection
 * dropped mid-body, size caps, the bearer token sent and never shown; and
 * what a hostile source may not do: trickle, send a gzip bomb, or make many
 * large answers together outgrow the memory budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net_fixture.h"

static void test_many_on_one_thread(void **state)
{
	struct fx *f = *state;
	enum { N = 64 };
	static struct got g[N];
	memset(g, 0, sizeof(g));
	int done = 0;
	char path[32];
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "/many/%d", i);
		get(f, path, NULL, &g[i]);
	}
	assert_int_equal(net_pending(f->n), N);
	while (done < N) {
		uv_run(&f->loop, UV_RUN_ONCE);
		done = 0;
		for (int i = 0; i < N; i++)
			done += g[i].done;
	}
	pthread_t self = pthread_self();
	for (int i = 0; i < N; i++) {
		char want[16];
		snprintf(want, sizeof(want), "%d", i);
		assert_int_equal(g[i].done, 1);
		assert_int_equal(g[i].error, NET_EOK);
		assert_int_equal(g[i].status, 200);
		assert_string_equal(g[i].body, want);
		assert_true(pthread_equal(g[i].thread, self));
		got_free(&g[i]);
	}
	assert_int_equal(net_pending(f->n), 0);
	/* In flight together, over kept-alive connections (at most 8 per host). */
	if (srv.peak < 2)
		fail_msg("requests never overlapped at the server (peak %d)", srv.peak);
	if (srv.connections > 16)
		fail_msg("%d connections for %d requests: keep-alive not reused", srv.connections,
		         N);
}

static void test_headers_body_and_token(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	const char *hdrs[] = {"Content-Type: application/json", "X-Idempotency-Key: k-1", NULL};
	struct net_req req = {.method = "POST",
	                      .headers = hdrs,
	                      .bearer = TOKEN,
	                      .body = "{\"a\":1}",
	                      .body_len = 7};
	get(f, "/echo", &req, &g);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_EOK);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, "{\"a\":1}");
	assert_string_equal(g.ctype, "application/json");
	assert_string_equal(g.etag, "\"v1\"");
	assert_int_equal(g.retry_after, -1);
	assert_string_equal(srv.auth, "Bearer " TOKEN);
	assert_string_equal(srv.method, "POST");
	assert_string_equal(g.errmsg, "");
	got_free(&g);

	/* The token is sent only when given. */
	struct got g2 = {0};
	get(f, "/echo", NULL, &g2);
	run_until(f, &g2.done, 1);
	assert_string_equal(srv.auth, "");
	got_free(&g2);

	/* PUT and DELETE go out as such. */
	struct got g3 = {0};
	struct net_req del = {.method = "DELETE", .bearer = TOKEN};
	get(f, "/echo", &del, &g3);
	run_until(f, &g3.done, 1);
	assert_string_equal(srv.method, "DELETE");
	got_free(&g3);
}

static void test_refused_up_front(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	struct wb_err err = {0};
	const char *auth[] = {"authorization: Bearer " TOKEN, NULL};
	struct net_req bad[] = {
	        {.url = "ftp://127.0.0.1/x", .bearer = TOKEN},
	        {.url = "not a url", .bearer = TOKEN},
	        {.url = f->url, .headers = auth},
	        {.url = f->url, .method = "get me"},
	        {.url = f->url, .bearer = "tok\r\nX-Evil: 1"},
	        {.url = "http://127.0.0.1:1/?token=" TOKEN, .bearer = TOKEN, .headers = auth},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		int64_t id = net_request(f->n, &bad[i], on_done, &g, &err);
		if (id >= 0)
			fail_msg("request %zu accepted", i);
		assert_true(err.msg[0] != '\0');
		if (strstr(err.msg, TOKEN))
			fail_msg("token in error: %s", err.msg);
	}
	assert_int_equal(g.done, 0);
	assert_int_equal(net_pending(f->n), 0);
}

static void test_gzip(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	get(f, "/gzip", NULL, &g);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_EOK);
	assert_non_null(strstr(srv.accept_encoding, "gzip"));
	assert_int_equal(g.body_len, 19999);
	assert_string_equal(g.body + g.body_len - 3, "end");
	got_free(&g);
}

static void test_retry_after(void **state)
{
	struct fx *f = *state;
	struct got g = {0}, g2 = {0};
	get(f, "/429", NULL, &g);
	get(f, "/503date", NULL, &g2);
	run_until(f, &g.done, 1);
	run_until(f, &g2.done, 1);
	/* An HTTP error is an answer, not a transport failure. */
	assert_int_equal(g.error, NET_EOK);
	assert_int_equal(g.status, 429);
	assert_int_equal(g.retry_after, 7);
	assert_string_equal(g.body, "slow down");
	assert_int_equal(g2.status, 503);
	assert_int_equal(g2.retry_after, 0); /* a date in the past */
	got_free(&g);
	got_free(&g2);
}

static void test_timeout(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	struct net_req req = {.timeout_ms = 200, .bearer = TOKEN};
	get(f, "/stall?token=" TOKEN, &req, &g);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_ETIMEOUT);
	assert_int_equal(g.body_len, 0);
	assert_non_null(strstr(g.errmsg, "/stall"));
	assert_null(strstr(g.errmsg, "token="));
	got_free(&g);
}

static void test_connect_refused(void **state)
{
	struct fx *f = *state;
	/* A port nobody listens on: take one from the kernel and close it. */
	uv_tcp_t t;
	uv_tcp_init(&f->loop, &t);
	struct sockaddr_in sa;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&t, (const struct sockaddr *)&sa, 0), 0);
	int len = sizeof(sa);
	uv_tcp_getsockname(&t, (struct sockaddr *)&sa, &len);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", ntohs(sa.sin_port));
	struct got g = {0};
	struct net_req req = {.url = url, .bearer = TOKEN};
	assert_true(net_request(f->n, &req, on_done, &g, NULL) > 0);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_ECONNECT);
	assert_int_equal(g.status, 0);
	assert_non_null(strstr(g.errmsg, "connection failed"));
	got_free(&g);
}

static void test_dropped_mid_body(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	get(f, "/drop", NULL, &g);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_EPARTIAL);
	assert_int_equal(g.body_len, 0); /* never a partial body as a success */
	got_free(&g);
}

static void test_too_big(void **state)
{
	struct fx *f = *state;
	struct got g = {0}, g2 = {0};
	get(f, "/big", NULL, &g);         /* Content-Length says so up front */
	get(f, "/bigchunked", NULL, &g2); /* found out while reading */
	run_until(f, &g.done, 1);
	run_until(f, &g2.done, 1);
	assert_int_equal(g.error, NET_ETOOBIG);
	assert_int_equal(g2.error, NET_ETOOBIG);
	assert_int_equal(g2.body_len, 0);
	got_free(&g);
	got_free(&g2);
}

/* A source that trickles 1 byte a second fails on the low-speed limit, in
 * about 15 s and with that reason, while a 1,200 B/s link (the thinnest a
 * depot uses) still brings its 20 KB in: run side by side, about 17 s. */
static void test_trickle_fails_thin_link_passes(void **state)
{
	struct fx *f = *state;
	guard_for(f, 60000);
	struct got slow = {0}, thin = {0};
	uint64_t t0 = uv_now(&f->loop);
	get(f, "/trickle", NULL, &slow);
	get(f, "/gsm", NULL, &thin);
	run_until(f, &slow.done, 1);
	uv_update_time(&f->loop);
	double took_s = (double)(uv_now(&f->loop) - t0) / 1e3;
	assert_int_equal(slow.error, NET_ETIMEOUT);
	assert_int_equal(slow.body_len, 0);
	if (!strstr(slow.errmsg, "GET http://127.0.0.1:") || !strstr(slow.errmsg, "/trickle") ||
	    !strstr(slow.errmsg, "under the low-speed limit of 100 B/s over 15 s"))
		fail_msg("no low-speed reason: %s", slow.errmsg);
	/* 15 s of the limit, plus generous slack for a loaded machine. */
	if (took_s > 25)
		fail_msg("the trickle took %.1f s to fail (want about 15): %s", took_s,
		         slow.errmsg);
	run_until(f, &thin.done, 1);
	if (thin.error != NET_EOK)
		fail_msg("the 1,200 B/s answer failed: %s", thin.errmsg);
	assert_int_equal(thin.body_len, GSM_BODY);
	got_free(&slow);
	got_free(&thin);
}

/* A gzip bomb (16 MiB of zeros in about 16 KiB) stops at the ratio check,
 * past 1 MiB decoded, before the size limit or the budget would stop it. */
static void test_gzip_bomb(void **state)
{
	struct fx *f = *state;
	renew_net(f, NULL);
	struct got g = {0};
	get(f, "/bomb", NULL, &g);
	run_until(f, &g.done, 1);
	assert_int_equal(g.error, NET_ETOOBIG);
	assert_int_equal(g.body_len, 0);
	if (!strstr(g.errmsg, "/bomb") || !strstr(g.errmsg, "inflates more than 100:1"))
		fail_msg("no ratio reason: %s", g.errmsg);
	/* Stopped early: well under the 4 MiB one answer may hold. */
	if (net_mem_peak(f->n) > (2u << 20))
		fail_msg("the bomb was inflated to %zu bytes before it was stopped",
		         net_mem_peak(f->n));
	assert_int_equal(net_mem_used(f->n), 0);
	got_free(&g);
	/* A real compressed answer still arrives whole. */
	struct got ok = {0};
	get(f, "/gzip", NULL, &ok);
	run_until(f, &ok.done, 1);
	assert_int_equal(ok.error, NET_EOK);
	assert_int_equal(ok.body_len, 19999);
	got_free(&ok);
}

struct held {
	struct got g;
	int *failed; /* shared: answers that failed so far */
};

/* The first failure lets the server finish the answers it was holding back. */
static void on_held(const struct net_resp *r, void *arg)
{
	struct held *h = arg;
	on_done(r, &h->g);
	if (r->error != NET_EOK && ++*h->failed == 1)
		srv.release = 1;
}

/* Eight 4 MiB answers at once (32 MiB) against the default 24 MiB budget:
 * the server holds back each one's last byte until one has failed, so they
 * are all in flight together. Some must fail, with the budget as reason; the
 * others arrive whole; what the answers hold never passes the budget. */
static void test_memory_budget(void **state)
{
	struct fx *f = *state;
	renew_net(f, NULL);
	enum { N = 8 };
	static struct held h[N];
	memset(h, 0, sizeof(h));
	int failed = 0;
	char url[256];
	for (int i = 0; i < N; i++) {
		h[i].failed = &failed;
		snprintf(url, sizeof(url), "%s/hold/%d", f->url, i);
		struct net_req req = {.url = url};
		struct wb_err err = {0};
		if (net_request(f->n, &req, on_held, &h[i], &err) <= 0)
			fail_msg("net_request: %s", err.msg);
	}
	int done = 0;
	while (done < N) {
		uv_run(&f->loop, UV_RUN_ONCE); /* curl's speed check wakes it each second */
		done = 0;
		for (int i = 0; i < N; i++)
			done += h[i].g.done;
		/* Without a budget, nothing fails: let them end once all are held. */
		if (net_mem_used(f->n) >= (size_t)N * (HOLD_BODY - 1))
			srv.release = 1;
	}
	int ok = 0;
	for (int i = 0; i < N; i++) {
		struct got *g = &h[i].g;
		if (g->error == NET_EOK) {
			ok++;
			assert_int_equal(g->body_len, HOLD_BODY);
		} else if (g->error != NET_ETOOBIG || !strstr(g->errmsg, "memory budget")) {
			fail_msg("answer %d failed otherwise: %s", i, g->errmsg);
		}
		got_free(g);
	}
	if (failed == 0)
		fail_msg("all %d answers (%u MiB) were held at once: no budget", N,
		         N * (HOLD_BODY >> 20));
	if (ok == 0)
		fail_msg("every answer failed: the budget let none through");
	if (net_mem_peak(f->n) > NET_DEFAULT_MEM_BUDGET)
		fail_msg("the answers held %zu bytes together, over the %u budget",
		         net_mem_peak(f->n), NET_DEFAULT_MEM_BUDGET);
	assert_int_equal(net_mem_used(f->n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_many_on_one_thread, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_headers_body_and_token, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refused_up_front, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_after, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dropped_mid_body, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gzip_bomb, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_memory_budget, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_trickle_fails_thin_link_passes, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
