/* The fixture the transport tests share (test_net.c, test_net_stream.c): a
 * real HTTP server (libmicrohttpd on 127.0.0.1, a port of its own choosing)
 * with the endpoints the tests need, and a real libuv loop with a struct net.
 * Include after <cmocka.h>. */
#ifndef WAYBILL_TEST_NET_FIXTURE_H
#define WAYBILL_TEST_NET_FIXTURE_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "net/net.h"

#define TOKEN "tok-7f3a9c-SECRET"

/* ---- the server (runs on MHD's threads) ---- */

static const char sse_text[] = ": welcome\r\n"
                               "retry: 1500\n"
                               "id: 1\nevent: position\ndata: {\"v\":\"T-17\",\n"
                               "data: \"lat\":52.1}\n\n"
                               "data: plain\r\n\r\n"
                               "id: 2\rdata: cr\r\r"
                               ": ping\n"
                               "event: fault\nid: 3\ndata: P0087\n\n";

static struct server {
	struct MHD_Daemon *d;
	unsigned short port;
	atomic_int stop;         /* readers and stalls give up */
	atomic_int active, peak; /* /many handlers running at once */
	atomic_int connections;  /* TCP connections accepted */
	atomic_int release;      /* /hold answers may send their last byte */
	atomic_int holding;      /* /hold answers waiting for release */
	pthread_mutex_t mu;
	char auth[256]; /* last Authorization header */
	char accept_encoding[256];
	char last_event_id[64];
	char method[16];
} srv;

struct reqctx {
	char body[4096];
	size_t len;
	size_t sent; /* bytes a reader has produced */
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void remember(char *dst, size_t len, struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	pthread_mutex_lock(&srv.mu);
	snprintf(dst, len, "%s", v ? v : "");
	pthread_mutex_unlock(&srv.mu);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const void *body,
                             size_t len, const char *const *hdrs)
{
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	for (; hdrs && *hdrs; hdrs += 2)
		MHD_add_response_header(r, hdrs[0], hdrs[1]);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* /drop: promises 1000 bytes, sends 100, then closes the connection. */
static ssize_t drop_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct reqctx *q = cls;
	if (q->sent >= 100)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = max < 100 ? max : 100;
	memset(buf, 'x', n);
	q->sent += n;
	return (ssize_t)n;
}

/* /sse: the stream in pieces of 1, 2, 3 ... bytes. */
static ssize_t sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct reqctx *q = cls;
	size_t total = sizeof(sse_text) - 1;
	if (srv.stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (q->sent >= total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = q->len++ % 7 + 1;
	if (n > total - q->sent)
		n = total - q->sent;
	if (n > max)
		n = max;
	memcpy(buf, sse_text + q->sent, n);
	q->sent += n;
	sleep_ms(1);
	return (ssize_t)n;
}

/* /sse-forever: one event, then silence until the test ends. */
static ssize_t forever_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct reqctx *q = cls;
	if (q->sent == 0) {
		static const char ev[] = "data: hi\n\n";
		memcpy(buf, ev, sizeof(ev) - 1);
		q->sent = sizeof(ev) - 1;
		return (ssize_t)q->sent;
	}
	/* MHD's own threads may not answer "nothing yet" (0): block instead. */
	while (!srv.stop)
		sleep_ms(10);
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* /bigchunked: 2 MiB of unknown length. */
static ssize_t big_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	if (pos >= (2u << 20) || srv.stop)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, 'b', max);
	return (ssize_t)max;
}

/* Sleeps ms in steps, giving up early when the server stops. */
static void nap_ms(long ms)
{
	for (long t = 0; t < ms && !srv.stop; t += 10)
		sleep_ms(10);
}

/* /trickle: 1000 bytes promised, one a second. */
static ssize_t trickle_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	if (pos > 0)
		nap_ms(1000);
	if (srv.stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	buf[0] = 't';
	return 1;
}

/* /gsm: 20,000 bytes at 1,200 B/s, the thinnest link a depot uses. */
#define GSM_BODY 20000
static ssize_t gsm_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	if (pos > 0)
		nap_ms(100);
	if (srv.stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = GSM_BODY - pos < 120 ? GSM_BODY - pos : 120;
	if (n > max)
		n = max;
	memset(buf, 'g', n);
	return (ssize_t)n;
}

/* /hold/N: HOLD_BODY bytes, the last one only once the test sets release,
 * so that every /hold answer is in flight, nearly whole, at the same time. */
#define HOLD_BODY (4u << 20)
static ssize_t hold_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	if (pos + 1 == HOLD_BODY) {
		srv.holding++;
		while (!srv.release && !srv.stop)
			sleep_ms(5);
		srv.holding--;
		if (srv.stop)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		buf[0] = 'h';
		return 1;
	}
	size_t n = HOLD_BODY - 1 - pos < max ? HOLD_BODY - 1 - pos : max;
	memset(buf, 'h', n);
	return (ssize_t)n;
}

static enum MHD_Result stream_bs(struct MHD_Connection *c, uint64_t size, size_t block,
                                 MHD_ContentReaderCallback f, struct reqctx *q, const char *ctype)
{
	struct MHD_Response *r = MHD_create_response_from_callback(size, block, f, q, NULL);
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	enum MHD_Result rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result stream(struct MHD_Connection *c, uint64_t size, MHD_ContentReaderCallback f,
                              struct reqctx *q, const char *ctype)
{
	return stream_bs(c, size, 64, f, q, ctype);
}

static enum MHD_Result gzip_reply(struct MHD_Connection *c)
{
	static char plain[20000];
	memset(plain, 'a', sizeof(plain) - 4);
	memcpy(plain + sizeof(plain) - 4, "end", 4);
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
	if (!ae || !strstr(ae, "gzip"))
		return reply(c, 200, plain, strlen(plain), NULL);
	unsigned char out[4096];
	z_stream z = {0};
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)plain;
	z.avail_in = (uInt)strlen(plain);
	z.next_out = out;
	z.avail_out = sizeof(out);
	int zrc = deflate(&z, Z_FINISH);
	size_t n = sizeof(out) - z.avail_out;
	deflateEnd(&z);
	if (zrc != Z_STREAM_END)
		return reply(c, 500, "zlib", 4, NULL);
	const char *h[] = {"Content-Encoding", "gzip", NULL};
	return reply(c, 200, out, n, h);
}

/* /bomb: 16 MiB of zeros, gzipped to about 16 KiB (made once, kept). */
#define BOMB_PLAIN (16u << 20)
static enum MHD_Result bomb_reply(struct MHD_Connection *c)
{
	static unsigned char *gz;
	static size_t gz_len;
	pthread_mutex_lock(&srv.mu);
	if (!gz) {
		unsigned char *plain = calloc(1, BOMB_PLAIN);
		z_stream z = {0};
		deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
		uLong cap = deflateBound(&z, BOMB_PLAIN);
		gz = malloc(cap);
		z.next_in = plain;
		z.avail_in = BOMB_PLAIN;
		z.next_out = gz;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) == Z_STREAM_END)
			gz_len = cap - z.avail_out;
		deflateEnd(&z);
		free(plain);
	}
	pthread_mutex_unlock(&srv.mu);
	if (!gz_len)
		return reply(c, 500, "zlib", 4, NULL);
	const char *h[] = {"Content-Encoding", "gzip", "Content-Type", "application/json", NULL};
	return reply(c, 200, gz, gz_len, h);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct reqctx *q = *con_cls;
	if (!q) {
		*con_cls = q = calloc(1, sizeof(*q));
		return q ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		if (n > sizeof(q->body) - q->len)
			n = sizeof(q->body) - q->len;
		memcpy(q->body + q->len, upload, n);
		q->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	remember(srv.auth, sizeof(srv.auth), c, "Authorization");
	remember(srv.accept_encoding, sizeof(srv.accept_encoding), c, "Accept-Encoding");
	pthread_mutex_lock(&srv.mu);
	snprintf(srv.method, sizeof(srv.method), "%s", method);
	pthread_mutex_unlock(&srv.mu);

	if (strcmp(url, "/echo") == 0) {
		const char *h[] = {"Content-Type", "application/json", "ETag", "\"v1\"", NULL};
		if (q->len)
			return reply(c, 200, q->body, q->len, h);
		return reply(c, 200, "{\"ok\":true}", 11, h);
	}
	if (strncmp(url, "/many/", 6) == 0) {
		int now = ++srv.active;
		int peak = srv.peak;
		while (now > peak && !atomic_compare_exchange_weak(&srv.peak, &peak, now))
			;
		sleep_ms(20);
		srv.active--;
		return reply(c, 200, url + 6, strlen(url + 6), NULL);
	}
	if (strcmp(url, "/gzip") == 0)
		return gzip_reply(c);
	if (strcmp(url, "/429") == 0) {
		const char *h[] = {"Retry-After", "7", "Content-Type", "text/plain", NULL};
		return reply(c, 429, "slow down", 9, h);
	}
	if (strcmp(url, "/503date") == 0) {
		const char *h[] = {"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT", NULL};
		return reply(c, 503, "down", 4, h);
	}
	if (strcmp(url, "/stall") == 0) {
		for (int i = 0; i < 300 && !srv.stop; i++)
			sleep_ms(10);
		return reply(c, 200, "late", 4, NULL);
	}
	if (strcmp(url, "/drop") == 0)
		return stream(c, 1000, drop_reader, q, NULL);
	if (strcmp(url, "/big") == 0) {
		static char big[2u << 20];
		return reply(c, 200, big, sizeof(big), NULL);
	}
	if (strcmp(url, "/bomb") == 0)
		return bomb_reply(c);
	if (strcmp(url, "/trickle") == 0)
		return stream(c, 1000, trickle_reader, q, NULL);
	if (strcmp(url, "/gsm") == 0)
		return stream_bs(c, GSM_BODY, 4096, gsm_reader, q, NULL);
	if (strncmp(url, "/hold/", 6) == 0)
		return stream_bs(c, HOLD_BODY, 64 << 10, hold_reader, q, NULL);
	if (strcmp(url, "/bigchunked") == 0)
		return stream(c, MHD_SIZE_UNKNOWN, big_reader, q, NULL);
	if (strcmp(url, "/sse") == 0 || strcmp(url, "/sse-forever") == 0) {
		remember(srv.last_event_id, sizeof(srv.last_event_id), c, "Last-Event-ID");
		return stream(c, MHD_SIZE_UNKNOWN, url[4] ? forever_reader : sse_reader, q,
		              "text/event-stream");
	}
	return reply(c, 404, "no such path", 12, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		srv.connections++;
}

static void server_start(void)
{
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                         NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	                         MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
	                         MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	assert_non_null(srv.d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	srv.port = info->port;
	assert_true(srv.port > 0);
}

static void server_stop(void)
{
	srv.stop = 1;
	MHD_stop_daemon(srv.d);
	pthread_mutex_destroy(&srv.mu);
}

/* ---- the client side ---- */

struct got {
	int done;
	enum net_errkind error;
	long status, retry_after;
	char *body;
	size_t body_len;
	char errmsg[1024];
	char ctype[128], etag[128];
	pthread_t thread;
	/* streams */
	struct sse_parser sse;
	char events[4096];
	int chunks;
	int stop_after_chunks;
	struct net *n;
	int64_t cancel_id; /* cancelled from the chunk callback when set */
};

struct fx {
	uv_loop_t loop;
	uv_timer_t guard;
	struct net *n;
	char url[128];
};

static void on_done(const struct net_resp *r, void *arg)
{
	struct got *g = arg;
	g->done++;
	g->error = r->error;
	g->status = r->status;
	g->retry_after = r->retry_after_s;
	g->body = malloc(r->body_len + 1);
	memcpy(g->body, r->body, r->body_len + 1);
	g->body_len = r->body_len;
	snprintf(g->errmsg, sizeof(g->errmsg), "%s", r->errmsg);
	snprintf(g->ctype, sizeof(g->ctype), "%s", r->content_type ? r->content_type : "");
	snprintf(g->etag, sizeof(g->etag), "%s", r->etag ? r->etag : "");
	g->thread = pthread_self();
	assert_null(strstr(r->errmsg, TOKEN));
	assert_null(strchr(r->errmsg, '\n'));
	if (r->error != NET_EOK)
		assert_true(r->errmsg[0] != '\0');
}

static void got_free(struct got *g)
{
	free(g->body);
	sse_free(&g->sse);
}

static void on_guard(uv_timer_t *t)
{
	fail_msg("the loop is still waiting past its guard (20 s unless the test set more): "
	         "a transfer never ended");
}

static int setup(void **state)
{
	server_start();
	struct fx *f = calloc(1, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->guard);
	uv_timer_start(&f->guard, on_guard, 20000, 0);
	uv_unref((uv_handle_t *)&f->guard);
	struct wb_err err = {0};
	struct net_opts o = {.max_body = 1u << 20};
	f->n = net_new(&f->loop, &o, &err);
	if (!f->n)
		fail_msg("net_new: %s", err.msg);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", srv.port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	net_free(f->n);
	uv_close((uv_handle_t *)&f->guard, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	server_stop();
	return 0;
}

/* Replaces the fixture's transport with one made with o (NULL: defaults). */
static inline void renew_net(struct fx *f, const struct net_opts *o)
{
	net_free(f->n);
	struct wb_err err = {0};
	f->n = net_new(&f->loop, o, &err);
	if (!f->n)
		fail_msg("net_new: %s", err.msg);
}

/* Gives a slow test longer than the fixture's 20 s before it counts as hung. */
static inline void guard_for(struct fx *f, uint64_t ms)
{
	uv_timer_start(&f->guard, on_guard, ms, 0);
}

static void run_until(struct fx *f, const int *done, int want)
{
	while (*done < want)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static int64_t get(struct fx *f, const char *path, struct net_req *req, struct got *g)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", f->url, path);
	struct net_req def = {0};
	if (!req)
		req = &def;
	req->url = url;
	struct wb_err err = {0};
	int64_t id = net_request(f->n, req, on_done, g, &err);
	if (id <= 0)
		fail_msg("net_request %s: %s", path, err.msg);
	return id;
}

#endif
