/* Signing in to a source whose kind does (sync/session.h): the state of one
 * source's session, the one sign-in in flight, and the requests waiting for
 * it. The password goes only into the kind's login request; the session's
 * header only into net_req.secret_header, which net/ keeps out of messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/session.h"
#include "sync/sync.h"

#define SESSION_FAIL_BASE_MS 1000u
#define SESSION_FAIL_CAP_MS 60000u

bool sync_session_used(const struct config_source *src)
{
	return src && src->ops && src->ops->login_request && src->ops->login_read;
}

void sync_session_init(struct sync_session *ss, uv_loop_t *loop, struct net *net,
                       const struct config_source *src)
{
	memset(ss, 0, sizeof(*ss));
	ss->loop = loop;
	ss->net = net;
	ss->src = src;
}

void sync_session_refused(const struct config_source *src, const char *why, char *buf, size_t len)
{
	snprintf(buf, len, "%s refused the sign-in as %s: %.300s", src->kind,
	         src->user ? src->user : "?", why);
	net_scrub_secret(buf, src->password);
}

/* Tells every waiter, each once; a waiter may ask again from its callback. */
static void notify(struct sync_session *ss, const char *fail)
{
	struct sync_session_waiter *w = ss->waiters;
	ss->waiters = NULL;
	while (w) {
		struct sync_session_waiter *next = w->next;
		w->queued = false;
		w->next = NULL;
		w->ready(w, fail);
		w = next;
	}
}

static void failed(struct sync_session *ss, const char *why, bool down)
{
	ss->fail_down = down;
	ss->state = SYNC_SES_NONE;
	explicit_bzero(&ss->ses, sizeof(ss->ses));
	ss->fails++;
	unsigned shift = ss->fails - 1 < 6 ? ss->fails - 1 : 6;
	uint64_t ms = (uint64_t)SESSION_FAIL_BASE_MS << shift;
	if (ms > SESSION_FAIL_CAP_MS)
		ms = SESSION_FAIL_CAP_MS;
	ss->fail_until = uv_now(ss->loop) + ms;
	snprintf(ss->fail_why, sizeof(ss->fail_why), "%s", why);
	net_scrub_secret(ss->fail_why, ss->src->password);
	notify(ss, ss->fail_why);
}

static void ready(struct sync_session *ss)
{
	ss->state = SYNC_SES_READY;
	ss->gen++;
	ss->fails = 0;
	ss->fail_why[0] = '\0';
	notify(ss, NULL);
}

/* Sends call (its body freed here) to the source's URL; with secret, the
 * session's header. Sets ss->xfer; false when it could not be sent (err). */
static bool send_call(struct sync_session *ss, struct connector_call *call, const char *secret,
                      net_done_fn cb, struct wb_err *err)
{
	const struct config_source *src = ss->src;
	char url[1400];
	char *body = call->body ? json_dumps(call->body, JSON_COMPACT) : NULL;
	bool built = !call->body || body;
	json_decref(call->body);
	call->body = NULL;
	if (!built ||
	    snprintf(url, sizeof(url), "%s%s", src->url, call->path) >= (int)sizeof(url)) {
		if (body) {
			explicit_bzero(body, strlen(body));
			free(body);
		}
		wb_fail(err, WB_EINVALID, "cannot build the request");
		return false;
	}
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct net_req req = {.method = call->method[0] ? call->method : "POST",
	                      .url = url,
	                      .headers = headers,
	                      .body = body,
	                      .body_len = body ? strlen(body) : 0,
	                      .secret_header = secret,
	                      .timeout_ms = ss->timeout_ms,
	                      .ca_file = src->ca_file};
	int64_t id = net_request(ss->net, &req, cb, ss, err);
	if (body) {
		explicit_bzero(body, strlen(body)); /* a sign-in's holds the password */
		free(body);
	}
	if (id < 0) {
		net_scrub_secret(err->msg, src->password);
		return false;
	}
	ss->xfer = id;
	return true;
}

/* The answer to the user's context: the session is ready when it is read. */
static void on_context(const struct net_resp *r, void *arg)
{
	struct sync_session *ss = arg;
	const struct config_source *src = ss->src;
	ss->xfer = 0;
	char why[400], said[SYNC_SOURCE_TEXT_MAX], what[300];
	if (r->error == NET_ECANCELLED) {
		explicit_bzero(&ss->ses, sizeof(ss->ses));
		ss->state = SYNC_SES_NONE;
		notify(ss, "cancelled");
		return;
	}
	if (r->error != NET_EOK) {
		snprintf(why, sizeof(why), "cannot read the user's context from %s: %.300s",
		         src->kind, r->errmsg);
		failed(ss, why, true);
		return;
	}
	if (r->status == 200) {
		struct connector_answer a = {r->status, r->content_type, r->body, r->body_len};
		struct wb_err err = {0};
		if (src->ops->context_read(&a, &ss->ses, &err) == 0) {
			ready(ss);
			return;
		}
		snprintf(why, sizeof(why),
		         "signing in to %s as %s failed: the user's context: %.300s", src->kind,
		         src->user ? src->user : "?", err.msg);
		failed(ss, why, false);
		return;
	}
	size_t n = sync_source_text(r->body, r->body_len, r->content_type, said, sizeof(said));
	snprintf(what, sizeof(what),
	         "the new session was refused reading the user's context (HTTP %ld%s%s)", r->status,
	         n ? ": " : "", n ? said : "");
	if (sync_session_gone(src, r)) {
		sync_session_refused(src, what, why, sizeof(why));
		failed(ss, why, false);
		return;
	}
	snprintf(what, sizeof(what), "HTTP %ld%s%s", r->status, n ? ": " : "", n ? said : "");
	snprintf(why, sizeof(why), "signing in to %s as %s failed reading the user's context: %s",
	         src->kind, src->user ? src->user : "?", what);
	failed(ss, why, r->status >= 500);
}

/* Asks for the user's context with the session just made. */
static void read_context(struct sync_session *ss)
{
	const struct config_source *src = ss->src;
	struct connector_call call;
	memset(&call, 0, sizeof(call));
	struct wb_err err = {0};
	char why[400];
	struct connector_login who = src->login;
	who.context = NULL;
	who.credentials = ss->ses.credentials[0] ? ss->ses.credentials : NULL;
	if (src->ops->context_request(&who, &call, &err) != 0 ||
	    !send_call(ss, &call, ss->ses.header, on_context, &err)) {
		json_decref(call.body);
		snprintf(why, sizeof(why), "cannot read the user's context from %s: %.300s",
		         src->kind, err.msg);
		failed(ss, why, false);
	}
}

static void on_login(const struct net_resp *r, void *arg)
{
	struct sync_session *ss = arg;
	const struct config_source *src = ss->src;
	ss->xfer = 0;
	char why[400], said[SYNC_SOURCE_TEXT_MAX];
	if (r->error == NET_ECANCELLED) {
		ss->state = SYNC_SES_NONE;
		notify(ss, "cancelled");
		return;
	}
	if (r->error != NET_EOK) {
		snprintf(why, sizeof(why), "cannot sign in to %s: %.300s", src->kind, r->errmsg);
		failed(ss, why, true);
		return;
	}
	ss->server_date = (int64_t)r->date;
	if (r->status == 200) {
		struct connector_answer a = {r->status, r->content_type, r->body, r->body_len};
		struct connector_session ses;
		memset(&ses, 0, sizeof(ses));
		struct wb_err err = {0};
		if (src->ops->login_read(&src->login, &a, &ses, &err) == 0 &&
		    (ses.header[0] || ses.credentials[0])) {
			ss->ses = ses; /* not READY yet: nothing else sends with it */
			explicit_bzero(&ses, sizeof(ses));
			ss->ses.context[0] = '\0'; /* only context_read fills it */
			if (src->ops->context_request && src->ops->context_read)
				read_context(ss);
			else
				ready(ss);
			return;
		}
		explicit_bzero(&ses, sizeof(ses));
		sync_session_refused(src, err.msg[0] ? err.msg : "no session in the answer", why,
		                     sizeof(why));
		failed(ss, why, false);
		return;
	}
	size_t n = sync_source_text(r->body, r->body_len, r->content_type, said, sizeof(said));
	char what[300];
	snprintf(what, sizeof(what), "HTTP %ld%s%s", r->status, n ? ": " : "", n ? said : "");
	if (r->status == 401 || r->status == 403)
		sync_session_refused(src, what, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "signing in to %s as %s failed: %s", src->kind,
		         src->user ? src->user : "?", what);
	failed(ss, why, r->status >= 500);
}

/* Sends the sign-in; false (and failed) when it could not be sent. */
static bool sign_in(struct sync_session *ss)
{
	const struct config_source *src = ss->src;
	struct connector_call call;
	memset(&call, 0, sizeof(call));
	struct wb_err err = {0};
	char why[400];
	struct connector_login who = src->login;
	who.context = NULL;
	who.credentials = NULL;
	if (src->ops->login_request(&who, &call, &err) != 0) {
		json_decref(call.body);
		snprintf(why, sizeof(why), "cannot sign in to %s: %.300s", src->kind, err.msg);
		failed(ss, why, false);
		return false;
	}
	ss->state = SYNC_SES_SIGNING_IN;
	if (!send_call(ss, &call, NULL, on_login, &err)) {
		snprintf(why, sizeof(why), "cannot sign in to %s: %.300s", src->kind, err.msg);
		failed(ss, why, false);
		return false;
	}
	ss->signins++;
	return true;
}

int sync_session_need(struct sync_session *ss, struct sync_session_waiter *w, char *why, size_t len)
{
	if (ss->state == SYNC_SES_READY)
		return 1;
	if (ss->state == SYNC_SES_NONE && ss->fails && uv_now(ss->loop) < ss->fail_until) {
		snprintf(why, len, "%s", ss->fail_why);
		return -1;
	}
	if (ss->state == SYNC_SES_NONE && !sign_in(ss)) {
		snprintf(why, len, "%s", ss->fail_why);
		return -1;
	}
	if (!w->queued) {
		w->queued = true;
		w->next = ss->waiters;
		ss->waiters = w;
	}
	return 0;
}

void sync_session_unwait(struct sync_session *ss, struct sync_session_waiter *w)
{
	if (!w->queued)
		return;
	for (struct sync_session_waiter **p = &ss->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	w->queued = false;
	w->next = NULL;
}

bool sync_session_gone(const struct config_source *src, const struct net_resp *r)
{
	if (r->error != NET_EOK)
		return false;
	if (src->ops->session_lost) {
		struct connector_answer a = {r->status, r->content_type, r->body, r->body_len};
		return src->ops->session_lost(&a);
	}
	return r->status == 401;
}

void sync_session_drop(struct sync_session *ss, uint64_t gen)
{
	if (ss->state != SYNC_SES_READY || gen != ss->gen)
		return;
	ss->state = SYNC_SES_NONE;
	explicit_bzero(&ss->ses, sizeof(ss->ses));
}

void sync_session_refused_again(struct sync_session *ss, const char *why)
{
	if (ss->state == SYNC_SES_SIGNING_IN)
		return;
	failed(ss, why, false);
}

void sync_session_stop(struct sync_session *ss)
{
	if (ss->xfer)
		net_cancel(ss->net, ss->xfer); /* on_login tells the waiters */
	ss->xfer = 0;
	explicit_bzero(&ss->ses, sizeof(ss->ses));
	ss->state = SYNC_SES_NONE;
}

struct connector_login sync_session_login(const struct config_source *src,
                                          const struct sync_session *ss)
{
	struct connector_login who = src->login;
	bool ready = ss && ss->state == SYNC_SES_READY;
	who.context = ready && ss->ses.context[0] ? ss->ses.context : NULL;
	who.credentials = ready && ss->ses.credentials[0] ? ss->ses.credentials : NULL;
	return who;
}

int sync_session_url(const struct config_source *src, const struct sync_session *ss,
                     const char *path, char *buf, size_t len)
{
	/* A kind may move the user to another server (ses.path, a base URL). */
	const char *base = ss && ss->state == SYNC_SES_READY &&
	                                   (strncmp(ss->ses.path, "http://", 7) == 0 ||
	                                    strncmp(ss->ses.path, "https://", 8) == 0)
	                           ? ss->ses.path
	                           : src->url;
	int n = snprintf(buf, len, "%s%s", base, path);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void sync_session_sign(const struct config_source *src, const struct sync_session *ss,
                       struct net_req *req, uint64_t *gen)
{
	if (ss) {
		req->secret_header = ss->ses.header;
		req->bearer = NULL;
		if (gen)
			*gen = ss->gen;
	} else {
		req->bearer = src->token;
	}
}
