/* The outbox sender: delivers queued actions to the source that owns them,
 * each with its Idempotency-Key, so a retry after a timeout is answered with
 * the stored result and the action takes effect exactly once. Transient
 * failures (network, 408, 429, 5xx) are retried with backoff. A 2xx is
 * delivered only when the connector recognises it as the action's result
 * (and, for a kind with a read-back, when the record then shows its effect:
 * verify_request/verify_read; a record that shows it was not taken is a
 * refusal with what it shows); a
 * 2xx carrying the source's error is a refusal, and any other 2xx (a login
 * gateway's page, another record) is retried like a transient failure, with
 * its reason kept, never taken for a delivery. Other answers are final and
 * their message is kept for the user. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync_internal.h"

#define SENDER_MAX_INFLIGHT 4
#define SENDER_IDLE_MS 1000 /* how often an idle sender looks for due actions */
#define SENDER_ONCE_IDLE_MS 100
/* --once: answers not recognised in a row before giving up, at most; below
 * this, every queued action of the source gets its own answer first. */
#define SENDER_ONCE_MAX_UNRECOGNISED 500

/* One claimed action, from its claim until its answer is recorded (counted
 * in sd->inflight all along, waiting for a sign-in included). */
struct sending {
	struct sync_sender *sd;
	struct sync_session_waiter wait; /* kinds that sign in */
	char key[40];
	char action[48];
	char subject_id[96]; /* as the connector's action was given it */
	char *payload;       /* the outbox row's JSON */
	int attempts;
	uint64_t ses_gen; /* the session the request in flight used */
	bool resigned;    /* that request is the retry after a lost session */
	bool verifying;   /* the action was CONFIRMED: the read-back is in flight */
};

static void sender_tick(uv_timer_t *t);

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* The message a source put in its error body, else the status line. */
static void answer_text(const struct net_resp *r, char *buf, size_t len)
{
	json_error_t je;
	json_t *j = r->body_len && r->body_len <= CONNECTOR_RECORD_JSON_MAX
	                    ? json_loadb(r->body, r->body_len, 0, &je)
	                    : NULL;
	const char *msg =
	        json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	if (msg)
		snprintf(buf, len, "HTTP %ld: %s", r->status, msg);
	else if (r->error != NET_EOK)
		snprintf(buf, len, "%s", r->errmsg);
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	json_decref(j);
}

static void next_tick(struct sync_sender *sd, uint64_t ms)
{
	if (!sd->sy->stopping)
		uv_timer_start(&sd->timer, sender_tick, ms, 0);
}

/* --once: whether the sender should give up after this failure. A source
 * that is down fails fast on every action alike, so a few failures in a row
 * say enough. A gateway that answers every write with its own page does too,
 * but each action's row then needs that answer as its reason (`waybill
 * outbox`), so the sender goes on until it has had as many answers in a row
 * as there are actions queued (bounded). */
static bool once_give_up(struct sync_sender *sd, bool unrecognised)
{
	if (sd->failed || sd->errors < SYNC_ONCE_MAX_ERRORS)
		return false;
	if (!unrecognised || sd->errors >= SENDER_ONCE_MAX_UNRECOGNISED)
		return true;
	int64_t depth = 0;
	if (outbox_depth(sd->sy->cache, sd->src->name, &depth, NULL, NULL) != 0)
		return true;
	return (int64_t)sd->errors >= depth;
}

static void sending_free(struct sending *s)
{
	s->sd->inflight--;
	free(s->payload);
	free(s);
}

static void go(struct sending *s);

/* The answer to the request s sent: the action's, or its read-back's. */
static void on_sent(const struct net_resp *r, void *arg)
{
	struct sending *s = arg;
	struct sync_sender *sd = s->sd;
	struct sync *sy = sd->sy;
	if (r->error == NET_ECANCELLED || sy->stopping) {
		sending_free(s);
		return; /* still inflight in the cache: due again at the next open */
	}
	char text[600], line[1400];
	answer_text(r, text, sizeof(text));
	struct wb_err err = {0};
	bool transient =
	        r->error != NET_EOK || r->status == 408 || r->status == 429 || r->status >= 500;
	bool success = !transient && r->status >= 200 && r->status < 300;
	enum connector_verdict v = CONNECTOR_UNRECOGNISED;
	if (sd->ses && sync_session_gone(sd->src, r)) {
		/* The session is gone: sign in again and send once more. */
		sync_session_drop(sd->ses, s->ses_gen);
		if (!s->resigned) {
			s->resigned = true;
			go(s);
			return;
		}
		sync_session_refused(sd->src, "the new session was refused too", text,
		                     sizeof(text));
		sync_session_refused_again(sd->ses, text);
		transient = true, success = false;
	}
	s->resigned = false;
	if (success) {
		struct connector_answer a = {r->status, r->content_type, r->body, r->body_len};
		char why[400];
		v = s->verifying
		            ? sd->src->ops->verify_read(s->action, s->subject_id, &a, why,
		                                        sizeof(why))
		            : sd->src->ops->result(s->action, s->subject_id, &a, why, sizeof(why));
		if (v == CONNECTOR_REFUSED)
			snprintf(text, sizeof(text), "HTTP %ld: %s%s", r->status,
			         s->verifying ? "read back: " : "", why);
		else if (v == CONNECTOR_UNRECOGNISED)
			snprintf(text, sizeof(text), "%s%s", s->verifying ? "read back: " : "",
			         why);
		else if (s->verifying)
			snprintf(text, sizeof(text), "HTTP %ld, read back: the record shows it",
			         r->status);
		transient = v == CONNECTOR_UNRECOGNISED; /* a gateway may go away: retry */
		/* A source that answers an impossible move with success shows
		 * the effect only when asked: ask before calling it delivered. */
		if (v == CONNECTOR_CONFIRMED && !s->verifying && sd->src->ops->verify_request &&
		    sd->src->ops->verify_read) {
			s->verifying = true;
			go(s);
			return;
		}
	}
	int rc;
	if (success && v == CONNECTOR_CONFIRMED) {
		rc = outbox_delivered(sy->cache, s->key, (int)r->status, text, now_s(), &err);
		sd->errors = 0;
		snprintf(line, sizeof(line), "%s %s delivered (%s)", s->action, s->key, text);
		sync_emit(sy, SYNC_EV_DELIVERED, sd->src->name, "outbox", line, 1, 1);
	} else if (!transient) {
		rc = outbox_failed(sy->cache, s->key, (int)r->status, text, now_s(), &err);
		snprintf(line, sizeof(line), "%s %s refused: %s", s->action, s->key, text);
		sync_emit(sy, SYNC_EV_REJECTED, sd->src->name, "outbox", line, 1, 0);
	} else {
		sd->errors++;
		uint64_t ms = r->status == 429 && r->retry_after_s >= 0
		                      ? (uint64_t)r->retry_after_s * 1000
		                      : sync_backoff_ms(sy, sd->errors);
		int64_t at = now_s() + (int64_t)((ms + 999) / 1000);
		rc = outbox_retry(sy->cache, s->key, (int)r->status, text, at, &err);
		snprintf(line, sizeof(line), "%s %s: %s; retry in %.1f s", s->action, s->key, text,
		         (double)ms / 1000.0);
		sync_emit(sy, SYNC_EV_ERROR, sd->src->name, "outbox", line, 0, 0);
		if (sy->o.once && once_give_up(sd, success)) {
			sd->failed = true;
			sync_emit(sy, SYNC_EV_GAVE_UP, sd->src->name, "outbox",
			          "gave up; the actions stay queued for the next sync", 0, 0);
			sync_check_finished(sy);
		}
	}
	if (rc != 0)
		sync_emit(sy, SYNC_EV_ERROR, sd->src->name, "outbox", err.msg, 0, 0);
	sending_free(s);
	next_tick(sd, 0);
}

/* The request could not be sent (or, signing in, failed): back to
 * pending after a backoff, with why as its answer. */
static void not_sent(struct sending *s, const char *why)
{
	struct sync_sender *sd = s->sd;
	struct sync *sy = sd->sy;
	if (!sd->ses && !s->verifying) {
		/* As the canonical kind always did: due again in 5 s. */
		outbox_retry(sy->cache, s->key, 0, why, now_s() + 5, NULL);
		sending_free(s);
		return;
	}
	sd->errors++;
	uint64_t ms = sync_backoff_ms(sy, sd->errors);
	outbox_retry(sy->cache, s->key, 0, why, now_s() + (int64_t)((ms + 999) / 1000), NULL);
	char line[800];
	snprintf(line, sizeof(line), "%s %s: %s; retry in %.1f s", s->action, s->key, why,
	         (double)ms / 1000.0);
	sync_emit(sy, SYNC_EV_ERROR, sd->src->name, "outbox", line, 0, 0);
	if (sy->o.once && once_give_up(sd, false)) {
		sd->failed = true;
		sync_emit(sy, SYNC_EV_GAVE_UP, sd->src->name, "outbox",
		          "gave up; the actions stay queued for the next sync", 0, 0);
		sync_check_finished(sy);
	}
	sending_free(s);
	next_tick(sd, sy->o.once ? SENDER_ONCE_IDLE_MS : SENDER_IDLE_MS);
}

/* Builds the request of s: its read-back, or the action (with the login for
 * a kind whose action needs it). WB_ENOTFOUND: this source cannot do it. */
static int build(struct sending *s, struct connector_call *call, struct wb_err *err)
{
	const struct config_source *src = s->sd->src;
	struct connector_login who = sync_session_login(src, s->sd->ses);
	memset(call, 0, sizeof(*call));
	if (s->verifying)
		return src->ops->verify_request(s->action, s->subject_id, &who, call, err);
	json_error_t je;
	json_t *payload = json_loads(s->payload, 0, &je);
	int rc = src->ops->action_call
	                 ? src->ops->action_call(s->action, s->subject_id, payload, &who, call, err)
	                 : src->ops->action(s->action, s->subject_id, payload, call, err);
	json_decref(payload);
	return rc;
}

/* Sends s's request now (signed in, for a kind that signs in). */
static void send_now(struct sending *s)
{
	struct sync_sender *sd = s->sd;
	struct sync *sy = sd->sy;
	struct wb_err err = {0};
	struct connector_call call;
	int rc = build(s, &call, &err);
	if (rc != 0) {
		json_decref(call.body);
		if (rc != WB_ENOTFOUND && s->verifying) {
			not_sent(s, err.msg);
			return;
		}
		/* This source cannot do it: a permanent failure the user must see. */
		outbox_failed(sy->cache, s->key, 0, err.msg, now_s(), NULL);
		sync_emit(sy, SYNC_EV_REJECTED, sd->src->name, "outbox", err.msg, 1, 0);
		sending_free(s);
		next_tick(sd, 0);
		return;
	}
	char *body = call.body ? json_dumps(call.body, JSON_COMPACT) : NULL;
	json_decref(call.body);
	char url[1400], keyhdr[80];
	snprintf(keyhdr, sizeof(keyhdr), "Idempotency-Key: %s", s->key);
	const char *headers[] = {keyhdr, "Content-Type: application/json", NULL};
	if ((call.body && !body) ||
	    sync_session_url(sd->src, sd->ses, call.path, url, sizeof(url)) != 0) {
		free(body);
		not_sent(s, "could not build the request");
		return;
	}
	struct net_req req = {.method = call.method[0] ? call.method : "POST",
	                      .url = url,
	                      .headers = headers,
	                      .body = body,
	                      .body_len = body ? strlen(body) : 0,
	                      .ca_file = sd->src->ca_file};
	sync_session_sign(sd->src, sd->ses, &req, &s->ses_gen);
	int64_t id = net_request(sy->net, &req, on_sent, s, &err);
	free(body);
	if (id < 0)
		not_sent(s, err.msg);
}

static void on_signed_in(struct sync_session_waiter *w, const char *fail)
{
	struct sending *s = (struct sending *)(void *)((char *)w - offsetof(struct sending, wait));
	if (s->sd->sy->stopping) {
		sending_free(s);
		return;
	}
	if (fail)
		not_sent(s, fail);
	else
		send_now(s);
}

/* Sends s's next request, signing in first when the kind does. */
static void go(struct sending *s)
{
	struct sync_sender *sd = s->sd;
	if (sd->ses) {
		char why[400];
		int rc = sync_session_need(sd->ses, &s->wait, why, sizeof(why));
		if (rc < 0) {
			not_sent(s, why);
			return;
		}
		if (rc == 0)
			return; /* on_signed_in goes on */
	}
	send_now(s);
}

/* Starts sending one claimed action. */
static void send_one(struct sync_sender *sd, struct outbox_item *it)
{
	struct sending *s = calloc(1, sizeof(*s));
	char *payload = s ? strdup(it->payload ? it->payload : "{}") : NULL;
	if (!payload) {
		free(s);
		outbox_retry(sd->sy->cache, it->key, 0, "out of memory", now_s() + 5, NULL);
		return;
	}
	const char *colon = strchr(it->subject, ':');
	s->sd = sd;
	s->wait.ready = on_signed_in;
	s->payload = payload;
	snprintf(s->key, sizeof(s->key), "%s", it->key);
	snprintf(s->action, sizeof(s->action), "%s", it->action);
	snprintf(s->subject_id, sizeof(s->subject_id), "%s", colon ? colon + 1 : it->subject);
	s->attempts = it->attempts;
	sd->inflight++;
	go(s);
}

static void sender_tick(uv_timer_t *t)
{
	struct sync_sender *sd = t->data;
	struct sync *sy = sd->sy;
	if (sy->stopping)
		return;
	while (sd->inflight < SENDER_MAX_INFLIGHT) {
		struct outbox_item it;
		struct wb_err err = {0};
		int rc = outbox_claim(sy->cache, sd->src->name, now_s(), &it, &err);
		if (rc == WB_ENOTFOUND)
			break;
		if (rc != 0) {
			sync_emit(sy, SYNC_EV_ERROR, sd->src->name, "outbox", err.msg, 0, 0);
			break;
		}
		send_one(sd, &it);
		outbox_item_free(&it);
	}
	if (sy->o.once && !sd->failed && sd->inflight == 0) {
		int64_t depth = 0, oldest = 0;
		struct wb_err err = {0};
		if (outbox_depth(sy->cache, sd->src->name, &depth, &oldest, &err) == 0 &&
		    depth == 0) {
			sd->done = true;
			sync_check_finished(sy);
			return;
		}
	}
	next_tick(sd, sy->o.once ? SENDER_ONCE_IDLE_MS : SENDER_IDLE_MS);
}

void sync_sender_start(struct sync_sender *sd)
{
	uv_timer_init(sd->sy->loop, &sd->timer);
	sd->timer.data = sd;
	next_tick(sd, 0);
}

void sync_sender_kick(struct sync_sender *sd)
{
	if (!sd->sy->stopping && sd->inflight < SENDER_MAX_INFLIGHT)
		next_tick(sd, 0);
}
