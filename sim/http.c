/* The HTTP layer: three libmicrohttpd daemons (thread per connection), request
 * bodies gathered with a bound, bearer-token auth, routing to the handlers, fault
 * injection around them, and gzip on request. Every error is a JSON body
 * {"error":{"code":..,"message":..}}. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

#include "dialect.h"
#include "server.h"

#define MAX_BODY (256 * 1024)

struct req_ctx {
	char *buf;
	size_t len, cap;
	int too_big;
};

int64_t sim_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *sim_error(const char *code, const char *message)
{
	return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
}

static int accepts_gzip(struct MHD_Connection *c)
{
	const char *ae =
	        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (!ae)
		return 0;
	const char *p = strstr(ae, "gzip");
	if (!p)
		return 0;
	const char *q = p + 4;
	while (*q == ' ')
		q++;
	if (*q == ';') { /* "gzip;q=0" refuses it */
		q++;
		while (*q == ' ')
			q++;
		if (strncmp(q, "q=0", 3) == 0 &&
		    (q[3] == '\0' || q[3] == ',' ||
		     (q[3] == '.' && strspn(q + 4, "0") == strcspn(q + 4, ", "))))
			return 0;
	}
	return 1;
}

static int gzip_buf(const char *in, size_t n, char **out, size_t *outn)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	uLong bound = deflateBound(&z, (uLong)n) + 32;
	char *b = malloc(bound);
	if (!b) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)b;
	z.avail_out = (uInt)bound;
	int rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(b);
		return -1;
	}
	*out = b;
	*outn = z.total_out;
	return 0;
}

struct drop_ctx {
	char *buf;
	size_t len;
};

/* Sends the first half of the body, then fails: MHD closes the connection. */
static ssize_t drop_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct drop_ctx *d = cls;
	size_t half = d->len / 2;
	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = half - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, d->buf + pos, n);
	return (ssize_t)n;
}

static void drop_free(void *cls)
{
	struct drop_ctx *d = cls;
	free(d->buf);
	free(d);
}

/* Body faults on a list page: duplicate records and swap neighbours. */
static void page_faults(struct sim_svc *sv, json_t *body)
{
	json_t *data = json_is_object(body) ? json_object_get(body, "data") : NULL;
	size_t n = json_array_size(data);
	if (n < 2)
		return;
	if (sim_fault_hit(sv, sv->f.dup)) {
		size_t i = (size_t)(sim_rng_next(&sv->frng) % n);
		json_array_insert_new(data, i + 1, json_deep_copy(json_array_get(data, i)));
	}
	if (sim_fault_hit(sv, sv->f.reorder)) {
		size_t i = (size_t)(sim_rng_next(&sv->frng) % (n - 1));
		json_t *a = json_incref(json_array_get(data, i));
		json_array_remove(data, i);
		json_array_insert_new(data, i + 1, a);
	}
}

/* What a single sign-on gateway answers for a request without its session. */
#define LOGIN_PAGE                                                                                 \
	"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>\n"                       \
	"<h1>Sign in to continue</h1><form method=\"post\" action=\"/sso/login\">"                 \
	"<input name=\"user\"><input type=\"password\" name=\"pass\">"                             \
	"<button>Sign in</button></form>\n</body></html>\n"

/* Cursor faults on a list page (r->url a list, status 200): a source that
 * refuses a cursor it issued (400), one that answers an empty page that still
 * has more under the cursor asked with (stall), one that answers its page but
 * hands back the cursor asked with (repeat), and one that sends a reader with
 * a cursor back to the start (rewind: a cycle through its cursors). */
static int cursor_faults(struct sim_svc *sv, struct sim_req *r, json_t **out)
{
	json_t *body = *out;
	if (!json_is_object(body) || !json_is_string(json_object_get(body, "next")))
		return 200;
	const char *after = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "after");
	if (!after)
		after = "";
	if (*after && sim_fault_hit(sv, sv->f.refuse)) {
		json_decref(body);
		*out = sim_error("bad_cursor", "injected fault: the cursor is not recognised");
		return 400;
	}
	int stall = sim_fault_hit(sv, sv->f.stall);
	if (stall || sim_fault_hit(sv, sv->f.repeat)) {
		if (stall)
			json_object_set_new(body, "data", json_array());
		json_object_set_new(body, "next", json_string(after));
		json_object_set_new(body, "has_more", json_true());
	} else if (*after && sim_fault_hit(sv, sv->f.rewind)) {
		json_object_set_new(body, "next", json_string(""));
		json_object_set_new(body, "has_more", json_true());
	}
	return 200;
}

static enum MHD_Result send_text(struct MHD_Connection *c, int status, char *text, size_t len,
                                 int gz, int drop, const struct sim_req *r, const char *ctype)
{
	struct MHD_Response *resp;
	if (gz) {
		char *z;
		size_t zn;
		if (gzip_buf(text, len, &z, &zn) == 0) {
			free(text);
			text = z;
			len = zn;
		} else {
			gz = 0;
		}
	}
	if (drop) {
		struct drop_ctx *d = malloc(sizeof *d);
		if (!d) {
			free(text);
			return MHD_NO;
		}
		d->buf = text;
		d->len = len;
		resp = MHD_create_response_from_callback(len, 4096, drop_reader, d, drop_free);
		if (!resp) {
			drop_free(d);
			return MHD_NO;
		}
	} else {
		resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(text);
			return MHD_NO;
		}
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"waybill-sim\"");
	if (r && r->retry_after_s > 0) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", r->retry_after_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (r && r->replayed)
		MHD_add_response_header(resp, "Idempotent-Replayed", "true");
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, json_t *body, int gz,
                                 const struct sim_req *r)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(body);
	if (!text)
		return MHD_NO;
	return send_text(c, status, text, strlen(text), gz, 0, r,
	                 "application/json; charset=utf-8");
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct sim_reply *rep, int gz)
{
	char *text = rep->text;
	if (!text) {
		text = rep->body ? json_dumps(rep->body, JSON_COMPACT | JSON_REAL_PRECISION(12))
		                 : strdup("");
		json_decref(rep->body);
	} else {
		json_decref(rep->body);
	}
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	struct MHD_Response *resp =
	        MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	(void)gz; /* dialect answers go uncompressed */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        rep->ctype ? rep->ctype : "application/json; charset=utf-8");
	if (rep->retry_after_s > 0) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", rep->retry_after_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (rep->cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rep->cookie);
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)rep->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static int auth(struct sim_req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                            MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return -1;
	for (int i = 0; i < SIM_ROLE__COUNT; i++)
		if (strcmp(h + 7, r->srv->tokens[i]) == 0)
			return i;
	return -1;
}

const char *sim_req_value(const struct sim_req *r, enum MHD_ValueKind kind, const char *name)
{
	if (!r->conn)
		return r->lookup ? r->lookup(r->lookup_arg, kind, name) : NULL;
	return MHD_lookup_connection_value(r->conn, kind, name);
}

int sim_route(struct sim_req *r, json_t **out, char **raw)
{
	const char *url = r->url;
	if (strncmp(url, "/v1/", 4) != 0 || strlen(url) > 512) {
		*out = sim_error("not_found", "no such path");
		return 404;
	}
	const char *path = url + 4;
	if (strncmp(path, "admin/", 6) == 0 || strcmp(path, "admin") == 0)
		return sim_api_admin(r, path, out);
	if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
		return sim_api_get(r, path, out);
	if (strcmp(r->method, "POST") == 0)
		return sim_api_post(r, path, out, raw);
	*out = sim_error("method_not_allowed", "only GET and POST are served");
	return 405;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct sim_svc *sv = cls;
	struct sim_server *s = sv->srv;
	struct req_ctx *ctx = *con_cls;
	if (!ctx) {
		ctx = calloc(1, sizeof *ctx);
		if (!ctx)
			return MHD_NO;
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!ctx->too_big) {
			if (ctx->len + *upload_size > MAX_BODY) {
				ctx->too_big = 1;
			} else {
				if (ctx->len + *upload_size + 1 > ctx->cap) {
					size_t nc = (ctx->len + *upload_size + 1) * 2;
					char *nb = realloc(ctx->buf, nc);
					if (!nb)
						return MHD_NO;
					ctx->buf = nb;
					ctx->cap = nc;
				}
				memcpy(ctx->buf + ctx->len, upload, *upload_size);
				ctx->len += *upload_size;
				ctx->buf[ctx->len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	struct sim_req r = {.srv = s,
	                    .svc = sv,
	                    .conn = c,
	                    .method = method,
	                    .url = url,
	                    .body = ctx->buf ? ctx->buf : "",
	                    .body_len = ctx->len};
	int gz = accepts_gzip(c);
	if (ctx->too_big)
		return send_json(c, 413, sim_error("too_large", "request body over 256 KiB"), gz,
		                 NULL);
	if (strlen(ctx->buf ? ctx->buf : "") != ctx->len)
		return send_json(c, 400, sim_error("bad_body", "request body holds a NUL byte"), gz,
		                 NULL);

	/* A vendor's dialect answers its own paths whole: its auth, its faults
	 * in its shapes (sim/dialect.h). */
	if (sim_dialect_owns(&r)) {
		struct sim_reply rep;
		sim_dialect_serve(&r, &rep);
		return send_reply(c, &rep, gz);
	}

	int admin = strncmp(url, "/v1/admin", 9) == 0;
	int write = !admin && strcmp(method, "POST") == 0;
	struct sim_fault_cfg f;
	int hit5xx = 0, hit429 = 0, hit408 = 0, hitclose = 0, hithtml = 0, hiterr = 0;
	pthread_mutex_lock(&s->w.mu);
	f = sv->f;
	if (!admin) {
		hitclose = sim_fault_hit(sv, f.close);
		hit5xx = sim_fault_hit(sv, f.rate5xx);
		hit429 = sim_fault_hit(sv, f.rate429);
	}
	if (write) {
		hit408 = sim_fault_hit(sv, f.rate408);
		hithtml = sim_fault_hit(sv, f.html200);
		hiterr = sim_fault_hit(sv, f.error200);
	}
	pthread_mutex_unlock(&s->w.mu);
	if (hitclose)
		return MHD_NO;
	if (!admin && f.latency_ms > 0) {
		struct timespec ts = {f.latency_ms / 1000, (long)(f.latency_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (hit5xx)
		return send_json(c, 503,
		                 sim_error("unavailable", "injected fault: service unavailable"),
		                 gz, NULL);
	if (hit429) {
		r.retry_after_s = f.retry_after_s > 0 ? f.retry_after_s : 1;
		return send_json(c, 429,
		                 sim_error("rate_limited", "injected fault: too many requests"), gz,
		                 &r);
	}
	/* A proxy or the service gave up waiting for the request: nothing was
	 * performed, and the client may send it again. */
	if (hit408)
		return send_json(c, 408,
		                 sim_error("request_timeout", "injected fault: request timeout"),
		                 gz, NULL);

	/* A gateway in front of the service answers for it; the write never
	 * reaches the service, whatever the token. */
	if (hithtml) {
		char *page = strdup(LOGIN_PAGE);
		return page ? send_text(c, 200, page, strlen(page), gz, 0, NULL,
		                        "text/html; charset=utf-8")
		            : MHD_NO;
	}
	if (hiterr)
		return send_json(c, 200,
		                 sim_error("posting_rejected",
		                           "injected fault: the source refused the posting"),
		                 gz, NULL);

	r.role = auth(&r);
	if (r.role < 0)
		return send_json(c, 401,
		                 sim_error("unauthorized", "missing or unknown bearer token"), gz,
		                 NULL);

	if (strcmp(url, "/v1/positions/stream") == 0 && strcmp(method, "GET") == 0 &&
	    sv->id == SIM_TEL) {
		int status = 200;
		json_t *err = NULL;
		struct MHD_Response *resp = sim_stream_response(&r, &status, &err);
		if (!resp)
			return send_json(c, status,
			                 err ? err : sim_error("internal", "stream failed"), gz,
			                 NULL);
		enum MHD_Result rc = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
		return rc;
	}

	json_t *out = NULL;
	char *raw = NULL;
	int status = sim_route(&r, &out, &raw);
	if (r.close_after) { /* committed, then "times out": no answer at all */
		json_decref(out);
		free(raw);
		return MHD_NO;
	}
	int drop = 0, trunc = 0, bad = 0;
	if (!admin) {
		pthread_mutex_lock(&s->w.mu);
		if (status == 200 && out && strcmp(method, "GET") == 0)
			status = cursor_faults(sv, &r, &out);
		if (status == 200 && out)
			page_faults(sv, out);
		drop = sim_fault_hit(sv, f.drop);
		trunc = sim_fault_hit(sv, f.truncate);
		bad = sim_fault_hit(sv, f.malformed);
		pthread_mutex_unlock(&s->w.mu);
	}
	char *text = raw;
	if (!text) {
		text = out ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(12)) : strdup("{}");
		json_decref(out);
	} else {
		json_decref(out);
	}
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	if (trunc && len > 2)
		len = len / 2; /* a valid HTTP message carrying half a JSON document */
	/* A control byte is invalid anywhere in JSON, inside a string or out, so
	 * a malformed body can never parse by chance into different data. */
	if (bad && len > 4)
		text[len / 3] = '\x01';
	return send_text(c, status, text, len, gz, drop, &r, "application/json; charset=utf-8");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode t)
{
	struct req_ctx *ctx = *con_cls;
	if (ctx) {
		free(ctx->buf);
		free(ctx);
		*con_cls = NULL;
	}
}

int sim_service_start(struct sim_server *s, int i)
{
	struct sim_svc *sv = &s->svc[i];
	if (sv->d)
		return 0;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	unsigned flags =
	        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, s->bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(sv->port);
	} else if (inet_pton(AF_INET6, s->bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(sv->port);
		flags |= MHD_USE_IPv6;
	} else {
		return -1;
	}
	sv->d = MHD_start_daemon(flags, sv->port, NULL, NULL, handler, sv, MHD_OPTION_SOCK_ADDR,
	                         (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, completed, sv,
	                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	                         MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
	                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_END);
	if (!sv->d)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info && info->port)
		sv->port = info->port;
	return 0;
}

void sim_service_stop(struct sim_server *s, int i)
{
	if (s->svc[i].d) {
		MHD_stop_daemon(s->svc[i].d);
		s->svc[i].d = NULL;
	}
}

int sim_services_start(struct sim_server *s)
{
	for (int i = 0; i < SIM_SVC__COUNT; i++) {
		s->svc[i].id = (enum sim_service)i;
		s->svc[i].srv = s;
		if (s->port)
			s->svc[i].port = (uint16_t)(s->port + i);
		if (sim_service_start(s, i) != 0)
			return -1;
	}
	return 0;
}

void sim_services_stop(struct sim_server *s)
{
	for (int i = 0; i < SIM_SVC__COUNT; i++)
		sim_service_stop(s, i);
}
