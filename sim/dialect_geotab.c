/* waybill-sim's telematics service in MyGeotab's dialect (sim/dialect.h):
 * JSON-RPC at POST /apiv1 {"method", "params"}, answered {"result": ...} or
 * {"error": {"name": "JSONRPCError", "errors": [{"name", "message"}], ...}}
 * with HTTP 200, as MyGeotab does. Methods: Authenticate, Get (Device, User),
 * GetFeed (sim/dialect_geotab_render.c), ExecuteMultiCall, GetVersion (the
 * one method that needs no credentials).
 *
 * Sessions: Authenticate with the start-up line's database, user and password
 * gives credentials {database, userName, sessionId} and a path: "ThisServer"
 * when asked at 127.0.0.1, else the base URL of 127.0.0.1 (a move, as
 * Geotab moves a database's users to its server). A call's credentials carry
 * the sessionId (or the password, which Geotab also takes).
 *
 * Injected faults (--fault telematics:...), on calls other than Authenticate:
 *   rate429  HTTP 429 with OverLimitException; Retry-After when retry_after > 0
 *   rate5xx  HTTP 503 from the load balancer (text, not JSON-RPC)
 *   expire   GetFeed's fromVersion refused (ArgumentException naming it)
 *   relogin  the call's session is dropped: InvalidUserException */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "dialect_geotab.h"

#define GT_SESSIONS 64
static uint64_t sessions[GT_SESSIONS]; /* guarded by w.mu; 0 free */
static size_t next_session;

bool sim_geotab_owns(const char *url)
{
	return strncmp(url, "/v1/", 4) != 0;
}

json_t *sim_geotab_error(const char *type, const char *message)
{
	char id[40];
	static unsigned n;
	snprintf(id, sizeof id, "5e1d0000-0000-4000-8000-%012x", ++n);
	return json_pack("{s:{s:s, s:i, s:{s:s, s:s, s:i}, s:s, s:[{s:s, s:s}]}, s:s}", "error",
	                 "message", message, "code", -32000, "data", "id", id, "type", type,
	                 "requestIndex", 0, "name", "JSONRPCError", "errors", "message", message,
	                 "name", type, "jsonrpc", "2.0");
}

static json_t *result(json_t *res)
{
	return json_pack("{s:o, s:s}", "result", res, "jsonrpc", "2.0");
}

/* Who the credentials are; 0 when Geotab would refuse them. *sid the session
 * they name (0: a password). */
static int signed_in(struct sim_server *s, json_t *cred, uint64_t *sid)
{
	char user[64], pw[64];
	sim_dialect_credentials(s, user, sizeof user, pw, sizeof pw);
	const char *db = json_string_value(json_object_get(cred, "database"));
	const char *u = json_string_value(json_object_get(cred, "userName"));
	const char *p = json_string_value(json_object_get(cred, "password"));
	const char *sess = json_string_value(json_object_get(cred, "sessionId"));
	*sid = 0;
	if (!db || strcmp(db, "depot") != 0 || !u || strcmp(u, user) != 0)
		return 0;
	if (sess) {
		char *end = NULL;
		uint64_t v = strtoull(sess, &end, 10);
		for (size_t i = 0; v && end && !*end && i < GT_SESSIONS; i++)
			if (sessions[i] == v) {
				*sid = v;
				return 1;
			}
		return 0;
	}
	return p && !strcmp(p, pw);
}

static void drop_session(uint64_t sid)
{
	for (size_t i = 0; sid && i < GT_SESSIONS; i++)
		if (sessions[i] == sid)
			sessions[i] = 0;
}

/* Authenticate moves a user asking by another name (localhost) to
 * 127.0.0.1; the database answers only there, as Geotab's do on their own
 * server. */
static bool on_its_server(const struct sim_req *r)
{
	const char *host = sim_req_value(r, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	return !host || !strncmp(host, "127.0.0.1", 9);
}

static json_t *authenticate(struct sim_req *r, json_t *params)
{
	struct sim_server *s = r->srv;
	char user[64], pw[64];
	sim_dialect_credentials(s, user, sizeof user, pw, sizeof pw);
	const char *db = json_string_value(json_object_get(params, "database"));
	const char *u = json_string_value(json_object_get(params, "userName"));
	const char *p = json_string_value(json_object_get(params, "password"));
	if (!db || strcmp(db, "depot") != 0 || !u || strcmp(u, user) != 0 || !p ||
	    strcmp(p, pw) != 0)
		return sim_geotab_error("InvalidUserException", "Incorrect login credentials");
	uint64_t sid =
	        sim_hash64(s->w.o.seed ^ (0x9e0ab000ULL + next_session)) % 10000000000000000000ULL;
	sessions[next_session++ % GT_SESSIONS] = sid ? sid : 1;
	char sbuf[24], path[64];
	snprintf(sbuf, sizeof sbuf, "%" PRIu64, sid ? sid : 1);
	if (on_its_server(r))
		snprintf(path, sizeof path, "ThisServer");
	else
		snprintf(path, sizeof path, "http://127.0.0.1:%u", (unsigned)r->svc->port);
	/* A line per sign-in, for the tests to count (never the password). */
	fprintf(stderr, "geotab: Authenticate %s: a new session, path %s\n", u, path);
	return result(json_pack("{s:{s:s, s:s, s:s}, s:s}", "credentials", "database", db,
	                        "sessionId", sbuf, "userName", u, "path", path));
}

/* One call's result (owned) or NULL with *err (owned). */
static json_t *call(struct sim_req *r, const char *method, json_t *params, bool expired,
                    json_t **err)
{
	if (!strcmp(method, "Get"))
		return sim_geotab_get(r->srv, params, err);
	if (!strcmp(method, "GetFeed"))
		return sim_geotab_feed(r, params, expired, err);
	if (!strcmp(method, "GetVersion"))
		return json_string("5.7.2026.1");
	if (!strcmp(method, "ExecuteMultiCall")) {
		json_t *out = json_array(), *c;
		size_t i;
		json_array_foreach(json_object_get(params, "calls"), i, c)
		{
			const char *m = json_string_value(json_object_get(c, "method"));
			json_t *res =
			        m && strcmp(m, "ExecuteMultiCall") != 0
			                ? call(r, m, json_object_get(c, "params"), expired, err)
			                : NULL;
			if (!res) {
				if (!*err)
					*err = sim_geotab_error(
					        "MissingMethodException",
					        "a call of the multi-call names no method");
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, res);
		}
		return out;
	}
	char msg[240];
	snprintf(msg, sizeof msg,
	         "The method '%.60s' could not be found. Verify the method name and ensure all "
	         "method parameters are included.",
	         method);
	*err = sim_geotab_error("MissingMethodException", msg);
	return NULL;
}

static void serve_locked(struct sim_req *r, struct sim_reply *rep)
{
	struct sim_server *s = r->srv;
	rep->status = 200;
	json_t *req = json_loadb(r->body, r->body_len, 0, NULL);
	const char *method = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	if (!method || (params && !json_is_object(params))) {
		rep->body = sim_geotab_error("JsonSerializerException",
		                             "the request is not {\"method\", \"params\"}");
		json_decref(req);
		return;
	}
	if (!strcmp(method, "GetVersion")) { /* asks for no credentials */
		rep->body = result(json_string("5.7.2026.1"));
		json_decref(req);
		return;
	}
	if (!strcmp(method, "Authenticate")) {
		rep->body = authenticate(r, params);
		json_decref(req);
		return;
	}
	struct sim_fault_cfg *f = &r->svc->f;
	uint64_t sid = 0;
	if (sim_fault_hit(r->svc, f->rate5xx)) {
		rep->status = 503;
		rep->text = strdup("Service Unavailable");
		rep->ctype = "text/plain; charset=utf-8";
	} else if (sim_fault_hit(r->svc, f->rate429)) {
		rep->status = 429;
		rep->retry_after_s = f->retry_after_s;
		rep->body =
		        sim_geotab_error("OverLimitException",
		                         "API calls quota exceeded. Maximum admitted 1 per 1s.");
	} else if (!signed_in(s, json_object_get(params, "credentials"), &sid)) {
		rep->body = sim_geotab_error("InvalidUserException", "Incorrect login credentials");
	} else if (!on_its_server(r)) {
		rep->body = sim_geotab_error("DbUnavailableException",
		                             "The database 'depot' is on another server");
	} else if (sid && sim_fault_hit(r->svc, f->relogin)) {
		drop_session(sid);
		fprintf(stderr, "geotab: relogin fault: session dropped\n");
		rep->body = sim_geotab_error("InvalidUserException", "Incorrect login credentials");
	} else {
		/* One draw per request: a multi-call's feeds expire together. */
		bool expired = sim_fault_hit(r->svc, f->expire);
		json_t *err = NULL, *res = call(r, method, params, expired, &err);
		rep->body = res ? result(res) : err;
	}
	json_decref(req);
}

void sim_geotab_serve(struct sim_req *r, struct sim_reply *rep)
{
	if (strcmp(r->url, "/apiv1") != 0 && strcmp(r->url, "/apiv1/") != 0) {
		rep->status = 404;
		rep->text = strdup("Not Found");
		rep->ctype = "text/plain; charset=utf-8";
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		rep->status = 200;
		rep->body = sim_geotab_error("MissingMethodException",
		                             "this server takes JSON-RPC by POST only");
		return;
	}
	pthread_mutex_lock(&r->srv->w.mu);
	sim_clock_sync(r->srv);
	serve_locked(r, rep);
	pthread_mutex_unlock(&r->srv->w.mu);
}
