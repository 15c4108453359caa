/* The sync engine for a kind that signs in and speaks its own protocol, run
 * for real (libuv loop, net/, a SQLite cache) against a small JSON-RPC server
 * on 127.0.0.1 (libmicrohttpd, a port of its own choosing) with a test kind
 * whose ops sign in, page by POST, post an action and read it back. Checks:
 * one sign-in for every stream and the sender, the session header on every
 * request and never a bearer token; a session dropped by the server (HTTP
 * 401) costs one more sign-in and the sync finishes; a wrong password fails
 * with "... refused the sign-in as USER: ..." without the password and
 * without a loop of sign-ins; a session refused again right after signing in
 * fails; an action is delivered only when the read-back shows its effect,
 * else refused with what the record shows; a sweep due tombstones a record
 * the source no longer lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uv.h>

#include "testutil.h"
#include "cache/cache.h"
#include "connectors/connector.h"
#include "net/net.h"
#include "settings/settings.h"
#include "sync/sync.h"

#define PASSWORD "s3cret-Pw-77"

/* ---- the server (MHD's threads) ---- */

static struct {
	struct MHD_Daemon *d;
	unsigned short port;
	pthread_mutex_t mu;
	int logins;           /* sign-ins answered */
	int sid;              /* the valid session number; 0: none */
	bool refuse_sessions; /* every session is refused (401) */
	bool drop_after_one;  /* the session is dropped after one request it served */
	int pages;
	int bearer_seen; /* requests that carried a Bearer token */
	int unauth;      /* page requests without the valid session */
	int ncust;       /* customers C-1 .. C-ncust listed */
	char state[16];  /* the invoice's state: "draft" or "posted" */
	bool post_works; /* post moves the invoice to "posted" */
	int posts, reads;
	int contexts;        /* user-context calls answered */
	int contexts_signed; /* ... that came with the session just made */
	int login_last;      /* the sign-in the last context call followed */
	bool ctx_twice;      /* a sign-in was followed by two context calls */
	int ctx_status;      /* the context call's answer: 0 the context, else
	                      * this HTTP status; 1: a result that is no object */
	int pages_ctx;       /* page requests that carried the user's context */
	int posts_ctx;       /* posts that carried it */
} srv;

/* Whether a request's "context" is the one the context call answers. */
static bool user_context(json_t *req)
{
	json_t *c = json_object_get(req, "context");
	return json_integer_value(json_object_get(c, "company")) == 7 &&
	       json_is_string(json_object_get(c, "language"));
}

struct upload {
	char buf[8192];
	size_t len;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result answer(struct MHD_Connection *c, const char *body)
{
	json_t *req = json_loads(body, 0, NULL);
	const char *method = json_string_value(json_object_get(req, "method"));
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	pthread_mutex_lock(&srv.mu);
	if (auth && strncmp(auth, "Bearer", 6) == 0)
		srv.bearer_seen++;
	char want[64];
	snprintf(want, sizeof(want), "Session SID-%d", srv.sid);
	bool is_ctx = method && strcmp(method, "context") == 0;
	bool valid = srv.sid && auth && strcmp(auth, want) == 0 && (!srv.refuse_sessions || is_ctx);
	json_t *out = NULL;
	unsigned status = 200;
	if (method && strcmp(method, "login") == 0) {
		srv.logins++;
		const char *pw = json_string_value(json_object_get(req, "password"));
		if (pw && strcmp(pw, PASSWORD) == 0) {
			srv.sid = srv.logins;
			char sid[32];
			snprintf(sid, sizeof(sid), "SID-%d", srv.sid);
			out = json_pack("{s:s}", "result", sid);
		} else {
			out = json_pack("{s:s}", "error", "wrong user or password");
		}
	} else if (is_ctx) {
		srv.contexts++;
		srv.ctx_twice = srv.ctx_twice || srv.login_last == srv.logins;
		srv.login_last = srv.logins;
		if (valid && srv.sid == srv.logins)
			srv.contexts_signed++;
		if (!valid || srv.ctx_status > 1) {
			status = valid ? (unsigned)srv.ctx_status : 401;
			out = json_pack("{s:s}", "error", "session expired");
		} else if (srv.ctx_status == 1) {
			out = json_pack("{s:[i]}", "result", 7);
		} else {
			out = json_pack("{s:{s:i,s:s,s:[i,i]}}", "result", "company", 7, "language",
			                "fr", "groups", 1, 2);
		}
	} else if (!valid) {
		srv.unauth++;
		status = 401;
		out = json_pack("{s:s}", "error", "session expired");
	} else if (strcmp(method, "page") == 0) {
		srv.pages++;
		srv.pages_ctx += user_context(req);
		json_t *data = json_array();
		for (int i = 1; i <= srv.ncust; i++) {
			char id[16], name[32];
			snprintf(id, sizeof(id), "C-%d", i);
			snprintf(name, sizeof(name), "Customer %d", i);
			json_array_append_new(data, json_pack("{s:s,s:i,s:s}", "id", id, "version",
			                                      1, "name", name));
		}
		out = json_pack("{s:{s:o,s:s,s:b}}", "result", "data", data, "next", "all",
		                "has_more", 0);
	} else if (strcmp(method, "post") == 0) {
		srv.posts++;
		srv.posts_ctx += user_context(req);
		if (srv.post_works)
			snprintf(srv.state, sizeof(srv.state), "posted");
		out = json_pack("{s:n}", "result"); /* success, whatever happened */
	} else if (strcmp(method, "whoami") == 0) {
		out = json_pack("{s:{s:s}}", "result", "login", "admin");
	} else if (strcmp(method, "modules") == 0) {
		out = json_pack("{s:[s]}", "result", "sale");
	} else if (strcmp(method, "read") == 0) {
		srv.reads++;
		out = json_pack("{s:{s:s}}", "result", "state", srv.state);
	} else {
		out = json_pack("{s:s}", "error", "no such method");
	}
	if (valid && srv.drop_after_one && !is_ctx)
		srv.sid = 0, srv.drop_after_one = false;
	pthread_mutex_unlock(&srv.mu);
	json_decref(req);
	return reply(c, status, out);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **ctx)
{
	(void)cls, (void)url, (void)method, (void)version;
	struct upload *u = *ctx;
	if (!u) {
		*ctx = calloc(1, sizeof(struct upload));
		return MHD_YES;
	}
	if (*size) {
		size_t n =
		        *size < sizeof(u->buf) - 1 - u->len ? *size : sizeof(u->buf) - 1 - u->len;
		memcpy(u->buf + u->len, data, n);
		u->len += n;
		*size = 0;
		return MHD_YES;
	}
	u->buf[u->len] = '\0';
	return answer(c, u->buf);
}

static void completed(void *cls, struct MHD_Connection *c, void **ctx,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	free(*ctx);
	*ctx = NULL;
}

static void server_start(void)
{
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                         NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	assert_non_null(srv.d);
	srv.port = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT)->port;
	srv.ncust = 3;
	snprintf(srv.state, sizeof(srv.state), "draft");
}

/* ---- the test kind: JSON-RPC with a session ---- */

static const struct connector_stream streams[] = {
        {"customers", "/db/", WB_ENT_CUSTOMER, CADENCE_SLOW, NULL, 0},
};

static const struct connector_stream *fake_streams(const char *role, size_t *n)
{
	*n = strcmp(role, "erp") == 0 ? 1 : 0;
	return *n ? streams : NULL;
}

static int rpc(struct connector_call *call, json_t *body)
{
	snprintf(call->method, sizeof(call->method), "POST");
	snprintf(call->path, sizeof(call->path), "/db/");
	call->body = body;
	return body ? 0 : WB_ENOMEM;
}

static int fake_login_request(const struct connector_login *who, struct connector_call *call,
                              struct wb_err *err)
{
	(void)err;
	return rpc(call, json_pack("{s:s,s:s,s:s}", "method", "login", "user", who->user,
	                           "password", who->password));
}

static int fake_login_read(const struct connector_login *who, const struct connector_answer *a,
                           struct connector_session *ses, struct wb_err *err)
{
	(void)who;
	json_t *j = json_loads(a->body, 0, NULL);
	const char *sid = json_string_value(json_object_get(j, "result"));
	int rc = 0;
	if (sid)
		snprintf(ses->header, sizeof(ses->header), "Authorization: Session %s", sid);
	else
		rc = wb_fail(err, WB_EINVALID, "%s",
		             json_string_value(json_object_get(j, "error")) ?: "no session");
	json_decref(j);
	return rc;
}

static int fake_context_request(const struct connector_login *who, struct connector_call *call,
                                struct wb_err *err)
{
	(void)err;
	assert_null(who->context); /* the context is not known yet */
	return rpc(call, json_pack("{s:s}", "method", "context"));
}

static int fake_context_read(const struct connector_answer *a, struct connector_session *ses,
                             struct wb_err *err)
{
	json_t *j = json_loads(a->body, 0, NULL);
	json_t *res = json_object_get(j, "result");
	int rc = 0;
	if (json_is_object(res)) {
		char *t = json_dumps(res, JSON_COMPACT);
		snprintf(ses->context, sizeof(ses->context), "%s", t);
		free(t);
	} else {
		rc = wb_fail(err, WB_EINVALID, "the user's context is not an object");
	}
	json_decref(j);
	return rc;
}

/* The request's "context": the user's, as the engine hands it over. */
static json_t *context_of(const struct connector_login *who)
{
	return who->context ? json_loads(who->context, 0, NULL) : json_null();
}

static int fake_page_request(const struct connector_stream *s, const struct connector_login *who,
                             const char *cursor, int limit, struct connector_call *call,
                             struct wb_err *err)
{
	(void)s, (void)limit, (void)err;
	return rpc(call, json_pack("{s:s,s:s,s:o}", "method", "page", "cursor", cursor, "context",
	                           context_of(who)));
}

static int fake_page_read(const struct connector_stream *s, const char *cursor,
                          const struct connector_answer *a, json_t **page, struct wb_err *err)
{
	(void)s, (void)cursor;
	json_t *j = json_loads(a->body, 0, NULL);
	json_t *res = json_object_get(j, "result");
	if (!json_is_object(res)) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID, "no result");
	}
	*page = json_incref(res);
	json_decref(j);
	return 0;
}

static int sweep_every;
static int fake_sweep_s(const struct connector_stream *s)
{
	(void)s;
	return sweep_every;
}

static int fake_action_call(const char *action, const char *subject_id, json_t *payload,
                            const struct connector_login *who, struct connector_call *call,
                            struct wb_err *err)
{
	(void)payload;
	if (strcmp(action, "release_invoice") != 0)
		return wb_fail(err, WB_ENOTFOUND, "the test kind has no %s", action);
	return rpc(call, json_pack("{s:s,s:s,s:o}", "method", "post", "id", subject_id, "context",
	                           context_of(who)));
}

static enum connector_verdict fake_result(const char *action, const char *subject_id,
                                          const struct connector_answer *a, char *msg, size_t len)
{
	(void)action, (void)subject_id;
	json_t *j;
	enum connector_verdict v = connector_answer_json(a, &j, msg, len);
	json_decref(j);
	return v;
}

static int fake_verify_request(const char *action, const char *subject_id,
                               const struct connector_login *who, struct connector_call *call,
                               struct wb_err *err)
{
	(void)action, (void)who, (void)err;
	return rpc(call, json_pack("{s:s,s:s}", "method", "read", "id", subject_id));
}

static enum connector_verdict fake_verify_read(const char *action, const char *subject_id,
                                               const struct connector_answer *a, char *msg,
                                               size_t len)
{
	(void)action;
	json_t *j;
	enum connector_verdict v = connector_answer_json(a, &j, msg, len);
	if (v != CONNECTOR_CONFIRMED)
		return v;
	const char *st = json_string_value(json_object_get(json_object_get(j, "result"), "state"));
	if (st && strcmp(st, "posted") == 0) {
		msg[0] = '\0';
	} else {
		snprintf(msg, len, "invoice %s is still %s", subject_id, st ? st : "?");
		v = CONNECTOR_REFUSED;
	}
	json_decref(j);
	return v;
}

static int fake_whoami_request(const struct connector_login *who, struct connector_call *call,
                               struct wb_err *err)
{
	(void)who, (void)err;
	return rpc(call, json_pack("{s:s}", "method", "whoami"));
}

static int fake_whoami(const char *body, size_t len, struct connector_whoami *out,
                       struct wb_err *err)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *u = json_string_value(json_object_get(json_object_get(j, "result"), "login"));
	int rc = 0;
	if (u) {
		snprintf(out->user, sizeof(out->user), "%s", u);
		snprintf(out->role, sizeof(out->role), "dispatcher");
	} else {
		rc = wb_fail(err, WB_EINVALID, "no user");
	}
	json_decref(j);
	return rc;
}

static int fake_doctor_request(int step, const struct connector_login *who,
                               struct connector_call *call, struct wb_err *err)
{
	(void)who;
	if (step > 0)
		return wb_fail(err, WB_ENOTFOUND, "no more");
	return rpc(call, json_pack("{s:s}", "method", "modules"));
}

static int fake_doctor_read(int step, const struct connector_answer *a, char *line, size_t len)
{
	(void)step;
	bool ok = a->status == 200 && strstr(a->body, "sale");
	snprintf(line, len, "modules: %s", ok ? "sale (none missing)" : "missing");
	return ok ? 0 : 1;
}

static const struct connector_ops fake = {
        .kind = "rpc",
        .streams = fake_streams,
        .map_record = NULL, /* set in main: the canonical kind's */
        .result = fake_result,
        .page_request = fake_page_request,
        .page_read = fake_page_read,
        .sweep_s = fake_sweep_s,
        .login_request = fake_login_request,
        .login_read = fake_login_read,
        .context_request = fake_context_request,
        .context_read = fake_context_read,
        .action_call = fake_action_call,
        .verify_request = fake_verify_request,
        .verify_read = fake_verify_read,
        .whoami = fake_whoami,
        .whoami_request = fake_whoami_request,
        .doctor_request = fake_doctor_request,
        .doctor_read = fake_doctor_read,
};
static struct connector_ops kind;

static const struct connector_stream *no_streams(const char *role, size_t *n)
{
	(void)role;
	*n = 0;
	return NULL;
}
static const struct connector_ops idle = {.kind = "idle", .streams = no_streams};

/* ---- running the engine ---- */

struct fx {
	char dir[PATH_MAX];
	char cache_path[PATH_MAX + 16];
	struct settings *cfg;
	struct cache *c;
	char url[64];
	char password[64];
};

struct run {
	uv_loop_t loop;
	struct net *net;
	struct sync *sy;
	bool finished;
	char lines[4096];
};

static void on_event(void *arg, const struct sync_event *ev)
{
	struct run *r = arg;
	if (ev->text && *ev->text && strlen(r->lines) + strlen(ev->text) + 2 < sizeof(r->lines)) {
		strcat(r->lines, ev->text);
		strcat(r->lines, "\n");
	}
	if (ev->kind == SYNC_EV_FINISHED && !r->finished) {
		r->finished = true;
		sync_stop(r->sy);
		net_free(r->net);
		r->net = NULL;
	}
}

/* sync --once; returns the failures. */
static int sync_once(struct fx *f, struct run *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(uv_loop_init(&r->loop), 0);
	struct wb_err err = {0};
	r->net = net_new(&r->loop, NULL, &err);
	assert_non_null(r->net);
	struct sync_opts o = {.once = true, .on_event = on_event, .arg = r};
	r->sy = sync_new(&r->loop, r->net, f->c, f->cfg, &o, &err);
	assert_non_null(r->sy);
	sync_start(r->sy);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	assert_true(r->finished);
	int fails = sync_failures(r->sy);
	sync_free(r->sy);
	assert_int_equal(uv_loop_close(&r->loop), 0);
	if (strstr(r->lines, PASSWORD))
		fail_msg("the password leaked into a line: %s", r->lines);
	return fails;
}

static void source(struct config_source *s, const char *role, const struct connector_ops *ops,
                   struct fx *f)
{
	s->name = strdup(role);
	s->kind = strdup(ops->kind);
	s->ops = ops;
	s->url = strdup(f->url);
	if (ops == &kind) {
		s->database = strdup("db");
		s->user = strdup("admin");
		s->password = strdup(f->password);
		s->login = (struct connector_login){s->database, s->user, s->password, NULL, NULL};
	} else {
		s->token = strdup("idle-token");
	}
}

static int setup(void **state)
{
	server_start();
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(test_tmpdir(f->dir, sizeof(f->dir)));
	snprintf(f->cache_path, sizeof(f->cache_path), "%s/cache.db", f->dir);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", srv.port);
	snprintf(f->password, sizeof(f->password), "%s", PASSWORD);
	f->cfg = settings_defaults();
	f->cfg->auto_invoices = f->cfg->auto_maintenance = false;
	source(&f->cfg->sources[0], "erp", &kind, f);
	source(&f->cfg->sources[1], "tms", &idle, f);
	source(&f->cfg->sources[2], "telematics", &idle, f);
	struct wb_err err = {0};
	f->c = cache_open(f->cache_path, NULL, &err);
	assert_non_null(f->c);
	sweep_every = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	settings_free(f->cfg);
	test_rmdir(f->dir);
	free(f);
	MHD_stop_daemon(srv.d);
	return 0;
}

static bool live(struct fx *f, const char *id)
{
	struct wb_customer row;
	char *strings = NULL;
	int rc = cache_get(f->c, WB_ENT_CUSTOMER, id, &row, &strings, NULL);
	bool on = rc == 0 && !row.meta.deleted;
	free(strings);
	return on;
}

/* One sign-in serves the stream and the sender; every request carries the
 * session, none a bearer token. */
static void test_sign_in(void **state)
{
	struct fx *f = *state;
	struct run r;
	assert_int_equal(sync_once(f, &r), 0);
	assert_int_equal(srv.logins, 1);
	assert_int_equal(srv.pages, 1);
	assert_int_equal(srv.bearer_seen, 0);
	assert_int_equal(srv.unauth, 0);
	assert_true(live(f, "C-1") && live(f, "C-3"));
	/* the user's context: read once, after the sign-in, with its session;
	 * the page carries it */
	assert_int_equal(srv.contexts, 1);
	assert_int_equal(srv.contexts_signed, 1);
	assert_int_equal(srv.pages_ctx, 1);
}

/* The context call fails: the sign-in has failed, with a clear line, and no
 * request goes out without the user's context. */
static void test_context_fails(void **state)
{
	struct fx *f = *state;
	struct run r;
	srv.ctx_status = 1; /* an answer whose shape the kind does not know */
	assert_int_not_equal(sync_once(f, &r), 0);
	if (!strstr(r.lines, "signing in to rpc as admin failed: the user's context: the user's "
	                     "context is not an object"))
		fail_msg("no clear line in:\n%s", r.lines);
	assert_int_equal(srv.pages, 0);
	assert_int_equal(srv.unauth, 0);
	if (srv.logins > 5)
		fail_msg("%d sign-ins: a loop", srv.logins);
	assert_int_equal(srv.contexts, srv.logins);
	assert_false(srv.ctx_twice);

	memset(r.lines, 0, sizeof(r.lines));
	srv.logins = srv.contexts = srv.login_last = 0;
	srv.ctx_status = 401; /* the new session refused */
	assert_int_not_equal(sync_once(f, &r), 0);
	if (!strstr(r.lines, "rpc refused the sign-in as admin: the new session was refused "
	                     "reading the user's context (HTTP 401"))
		fail_msg("no clear line in:\n%s", r.lines);
	assert_int_equal(srv.pages, 0);
	if (srv.logins > 5)
		fail_msg("%d sign-ins: a loop", srv.logins);
	assert_int_equal(srv.contexts, srv.logins);

	srv.ctx_status = 0; /* and then it answers: the run goes through */
	srv.logins = srv.contexts = srv.login_last = 0;
	assert_int_equal(sync_once(f, &r), 0);
	assert_int_equal(srv.contexts, 1);
	assert_int_equal(srv.pages_ctx, 1);
	assert_true(live(f, "C-1"));
}

/* The server drops the session: the next request's 401 costs one sign-in. */
static void test_session_dropped(void **state)
{
	struct fx *f = *state;
	struct run r;
	assert_int_equal(sync_once(f, &r), 0);
	srv.sid = 0;
	srv.ncust = 4;
	/* A second run signs in afresh (a new process has no session). */
	assert_int_equal(sync_once(f, &r), 0);
	assert_int_equal(srv.logins, 2);
	/* Now the session is dropped while the run uses it: after the first
	 * request it served, whichever of the page, the action and its read-back
	 * that was, the next meets a 401 and signs in once more. */
	srv.drop_after_one = true;
	srv.post_works = true;
	struct cache_action a = {.source = "erp",
	                         .action = "release_invoice",
	                         .subject = "invoice:INV-1",
	                         .user = "tester",
	                         .role = "dispatcher",
	                         .at = 1};
	char key[40];
	struct wb_err err = {0};
	assert_int_equal(cache_action_record(f->c, &a, key, NULL, &err), 0);
	assert_int_equal(sync_once(f, &r), 0);
	assert_true(srv.unauth >= 1);
	assert_int_equal(srv.logins, 4);
	/* one context call per sign-in, right after it; every page and post
	 * carries the context of the session it was sent with */
	assert_int_equal(srv.contexts, 4);
	assert_int_equal(srv.contexts_signed, 4);
	assert_false(srv.ctx_twice);
	assert_int_equal(srv.pages_ctx, srv.pages);
	assert_true(srv.posts >= 1);
	assert_int_equal(srv.posts_ctx, srv.posts);
	struct outbox_item it;
	assert_int_equal(outbox_get(f->c, key, &it, &err), 0);
	assert_int_equal(it.status, OUTBOX_DELIVERED);
	outbox_item_free(&it);
	assert_true(live(f, "C-4"));
}

/* A wrong password: a clear line, no password, no loop of sign-ins. */
static void test_wrong_password(void **state)
{
	struct fx *f = *state;
	struct config_source *s = &f->cfg->sources[0];
	free(s->password);
	s->password = strdup("wrong-Pw");
	s->login.password = s->password;
	struct run r;
	assert_int_not_equal(sync_once(f, &r), 0);
	if (!strstr(r.lines, "rpc refused the sign-in as admin: wrong user or password"))
		fail_msg("no clear line in:\n%s", r.lines);
	assert_null(strstr(r.lines, "wrong-Pw"));
	/* --once gives up after SYNC_ONCE_MIN_OUTAGE_MS (5 s) of failures: sign-ins
	 * back off (1, 2, 4 s ...), so a handful, not one per retry. */
	if (srv.logins > 5)
		fail_msg("%d sign-ins: a loop", srv.logins);
	assert_int_equal(srv.pages, 0);
}

/* Signed in, yet the session is refused: one more sign-in, then a failure
 * that says so. */
static void test_refused_again(void **state)
{
	struct fx *f = *state;
	srv.refuse_sessions = true;
	struct run r;
	assert_int_not_equal(sync_once(f, &r), 0);
	if (!strstr(r.lines, "rpc refused the sign-in as admin: the new session was refused too"))
		fail_msg("no clear line in:\n%s", r.lines);
	assert_int_equal(srv.pages, 0);
	/* The refused session counts as a failed sign-in: they back off. */
	if (srv.logins > 10)
		fail_msg("%d sign-ins: a loop", srv.logins);
}

/* The action succeeds on paper but the record shows no effect: refused with
 * what the record shows; once it shows it, delivered. */
static void test_read_back(void **state)
{
	struct fx *f = *state;
	struct cache_action a = {.source = "erp",
	                         .action = "release_invoice",
	                         .subject = "invoice:INV-7",
	                         .user = "tester",
	                         .role = "dispatcher",
	                         .at = 1};
	char key[40];
	struct wb_err err = {0};
	assert_int_equal(cache_action_record(f->c, &a, key, NULL, &err), 0);
	struct run r;
	sync_once(f, &r);
	assert_int_equal(srv.posts, 1);
	assert_int_equal(srv.reads, 1);
	struct outbox_item it;
	assert_int_equal(outbox_get(f->c, key, &it, &err), 0);
	assert_int_equal(it.status, OUTBOX_FAILED);
	assert_non_null(strstr(it.answer, "read back: invoice INV-7 is still draft"));
	outbox_item_free(&it);
	srv.post_works = true;
	a.subject = "invoice:INV-8";
	assert_int_equal(cache_action_record(f->c, &a, key, NULL, &err), 0);
	assert_int_equal(sync_once(f, &r), 0);
	assert_int_equal(outbox_get(f->c, key, &it, &err), 0);
	assert_int_equal(it.status, OUTBOX_DELIVERED);
	outbox_item_free(&it);
}

/* A sweep due reads everything again and tombstones what is gone. */
static void test_sweep(void **state)
{
	struct fx *f = *state;
	sweep_every = 3600;
	struct run r;
	assert_int_equal(sync_once(f, &r), 0);
	assert_true(live(f, "C-3"));
	char cur[512];
	struct wb_err err = {0};
	assert_int_equal(cache_cursor_get(f->c, "erp", "customers", cur, sizeof(cur), &err), 0);
	assert_true(cur[0] == 'T' && strstr(cur, ";all"));
	srv.ncust = 2; /* C-3 deleted at the source */
	/* Not due: the cursor's pass began just now. */
	assert_int_equal(sync_once(f, &r), 0);
	assert_true(live(f, "C-3"));
	/* Due: the last pass began long ago. */
	assert_int_equal(cache_begin(f->c, &err), 0);
	assert_int_equal(cache_cursor_set(f->c, "erp", "customers", "T1000;all", &err), 0);
	assert_int_equal(cache_commit(f->c, &err), 0);
	assert_int_equal(sync_once(f, &r), 0);
	assert_false(live(f, "C-3"));
	assert_true(live(f, "C-2"));
}

static void keep_doctor(void *arg, const struct sync_doctor *d)
{
	*(struct sync_doctor *)arg = *d;
}

/* doctor: signs in, asks who-am-I and the kind's checks; the skew comes from
 * the answers' Date header. */
static void test_doctor(void **state)
{
	struct fx *f = *state;
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct wb_err err = {0};
	struct net *n = net_new(&loop, NULL, &err);
	assert_non_null(n);
	struct sync_doctor d;
	memset(&d, 0, sizeof(d));
	d.who.state = -1;
	assert_int_equal(sync_doctor_start(n, &f->cfg->sources[0], 5000, keep_doctor, &d, &err), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	net_free(n);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_true(d.signed_in);
	assert_int_equal(d.who.state, SYNC_WHOAMI_OK);
	assert_string_equal(d.who.me.user, "admin");
	assert_int_equal(d.nchecks, 1);
	assert_string_equal(d.checks[0], "modules: sale (none missing)");
	assert_int_equal(d.failed_checks, 0);
	assert_true(d.skew_known && d.skew_from_date);
	assert_true(d.skew_s > -60 && d.skew_s < 60); /* one machine's clock, generously */
	assert_int_equal(srv.logins, 1);
	/* A wrong password: AUTH with the clear line. */
	struct config_source *s = &f->cfg->sources[0];
	free(s->password);
	s->password = strdup("wrong-Pw");
	s->login.password = s->password;
	assert_int_equal(uv_loop_init(&loop), 0);
	n = net_new(&loop, NULL, &err);
	memset(&d, 0, sizeof(d));
	assert_int_equal(sync_doctor_start(n, s, 5000, keep_doctor, &d, &err), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	net_free(n);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_false(d.signed_in);
	assert_int_equal(d.who.state, SYNC_WHOAMI_AUTH);
	assert_non_null(
	        strstr(d.who.why, "rpc refused the sign-in as admin: wrong user or password"));
}

int main(void)
{
	kind = fake;
	kind.map_record = connector_waybill.map_record;
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sign_in, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_session_dropped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_context_fails, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refused_again, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_doctor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
