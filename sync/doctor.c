/* Who am I and `waybill doctor` for a source whose kind signs in: sign in on
 * a session of the probe's own, ask who the user is (the kind's
 * whoami_request, else GET whoami_path), then run the kind's own checks
 * (doctor_request/doctor_read, one request each, in turn). The clock skew is
 * read from the answers' HTTP Date header, else from the time the source put
 * in its who-am-I answer. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync_internal.h"

struct probe {
	struct sync_session ses;
	struct sync_session_waiter wait;
	struct net *net;
	const struct config_source *src;
	long timeout_ms;
	int step; /* -1: who am I; 0, 1, ...: the kind's checks */
	bool checks;
	struct sync_doctor d;
	sync_whoami_fn wdone;
	sync_doctor_fn ddone;
	void *arg;
};

static void finish(struct probe *p)
{
	struct sync_doctor *d = &p->d;
	int64_t ms;
	if (d->server_date) {
		d->skew_known = true;
		d->skew_from_date = true;
		d->skew_s = d->server_date - (int64_t)time(NULL);
	} else if (d->who.me.server_time[0] &&
	           connector_parse_time_ms(d->who.me.server_time, &ms) == 0) {
		d->skew_known = true;
		d->skew_s = ms / 1000 - (int64_t)time(NULL);
	}
	if (p->ddone)
		p->ddone(p->arg, d);
	else
		p->wdone(p->arg, &d->who);
	sync_session_stop(&p->ses);
	free(p);
}

static void send_next(struct probe *p);

static void on_answer(const struct net_resp *r, void *arg)
{
	struct probe *p = arg;
	struct sync_doctor *d = &p->d;
	if (r->error == NET_ECANCELLED) {
		free(p); /* the transport is going away: no one waits for the answer */
		return;
	}
	if (r->error == NET_EOK && r->date)
		d->server_date = (int64_t)r->date;
	if (sync_session_gone(p->src, r)) {
		d->who.state = SYNC_WHOAMI_AUTH;
		d->who.http_status = r->status;
		sync_session_refused(p->src, "the session was refused right after signing in",
		                     d->who.why, sizeof(d->who.why));
		finish(p);
		return;
	}
	if (p->step < 0) {
		sync_whoami_judge(p->src, r, &d->who);
		if (d->who.state != SYNC_WHOAMI_OK || !p->checks) {
			finish(p);
			return;
		}
	} else {
		struct connector_answer a = {r->status, r->content_type, r->body, r->body_len};
		char *line = d->checks[d->nchecks++];
		if (r->error != NET_EOK) {
			snprintf(line, SYNC_DOCTOR_LINE, "check %d: %.250s", p->step, r->errmsg);
			d->failed_checks++;
		} else if (p->src->ops->doctor_read(p->step, &a, line, SYNC_DOCTOR_LINE) != 0) {
			d->failed_checks++;
		}
	}
	p->step++;
	send_next(p);
}

/* Sends who-am-I (step -1) or the kind's check p->step; finishes when there
 * is nothing more to ask. */
static void send_next(struct probe *p)
{
	const struct connector_ops *k = p->src->ops;
	struct sync_doctor *d = &p->d;
	struct connector_call call;
	struct wb_err err = {0};
	struct connector_login who = sync_session_login(p->src, &p->ses);
	for (;;) {
		memset(&call, 0, sizeof(call));
		int rc;
		if (p->step < 0) {
			if (k->whoami_request)
				rc = k->whoami_request(&who, &call, &err);
			else if (k->whoami_path && k->whoami) {
				snprintf(call.method, sizeof(call.method), "GET");
				snprintf(call.path, sizeof(call.path), "%s", k->whoami_path);
				rc = 0;
			} else {
				d->who.state = SYNC_WHOAMI_BAD;
				snprintf(d->who.why, sizeof(d->who.why),
				         "the %s kind cannot say who you are", p->src->kind);
				finish(p);
				return;
			}
			if (rc != 0) {
				d->who.state = SYNC_WHOAMI_BAD;
				snprintf(d->who.why, sizeof(d->who.why), "%s", err.msg);
				json_decref(call.body);
				finish(p);
				return;
			}
		} else {
			if (!k->doctor_request || !k->doctor_read ||
			    d->nchecks >= SYNC_DOCTOR_CHECKS) {
				finish(p);
				return;
			}
			rc = k->doctor_request(p->step, &who, &call, &err);
			if (rc == WB_ENOTFOUND) {
				json_decref(call.body);
				finish(p);
				return;
			}
			if (rc != 0) {
				json_decref(call.body);
				snprintf(d->checks[d->nchecks++], SYNC_DOCTOR_LINE,
				         "check %d: %.250s", p->step, err.msg);
				d->failed_checks++;
				p->step++;
				continue;
			}
		}
		break;
	}
	char *body = call.body ? json_dumps(call.body, JSON_COMPACT) : NULL;
	json_decref(call.body);
	char url[1400];
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct net_req req = {.method = call.method[0] ? call.method : "POST",
	                      .url = url,
	                      .headers = body ? headers : NULL,
	                      .body = body,
	                      .body_len = body ? strlen(body) : 0,
	                      .timeout_ms = p->timeout_ms,
	                      .ca_file = p->src->ca_file};
	sync_session_sign(p->src, &p->ses, &req, NULL);
	if (sync_session_url(p->src, &p->ses, call.path, url, sizeof(url)) != 0 ||
	    net_request(p->net, &req, on_answer, p, &err) < 0) {
		free(body);
		d->who.state = SYNC_WHOAMI_BAD;
		snprintf(d->who.why, sizeof(d->who.why), "%s",
		         err.msg[0] ? err.msg : "URL too long");
		finish(p);
		return;
	}
	free(body);
}

static void on_signed_in(struct sync_session_waiter *w, const char *fail)
{
	struct probe *p = (struct probe *)(void *)((char *)w - offsetof(struct probe, wait));
	if (fail && strcmp(fail, "cancelled") == 0) {
		free(p);
		return;
	}
	p->d.server_date = p->ses.server_date;
	if (fail) {
		p->d.who.state = p->ses.fail_down ? SYNC_WHOAMI_DOWN : SYNC_WHOAMI_AUTH;
		snprintf(p->d.who.why, sizeof(p->d.who.why), "%s", fail);
		finish(p);
		return;
	}
	p->d.signed_in = true;
	send_next(p);
}

static int start(struct net *n, const struct config_source *src, long timeout_ms, bool checks,
                 struct probe **out, struct wb_err *err)
{
	struct probe *p = calloc(1, sizeof(*p));
	if (!p)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	sync_session_init(&p->ses, net_loop(n), n, src);
	p->ses.timeout_ms = timeout_ms;
	p->wait.ready = on_signed_in;
	p->net = n;
	p->src = src;
	p->timeout_ms = timeout_ms;
	p->step = -1;
	p->checks = checks;
	p->d.who.state = SYNC_WHOAMI_DOWN;
	p->d.who.role = -1;
	*out = p;
	return 0;
}

static int go(struct probe *p, struct wb_err *err)
{
	char why[400];
	if (sync_session_need(&p->ses, &p->wait, why, sizeof(why)) < 0) {
		free(p);
		return wb_fail(err, WB_EIO, "%s", why);
	}
	return 0;
}

int sync_whoami_session_start(struct net *n, const struct config_source *src, long timeout_ms,
                              sync_whoami_fn done, void *arg, struct wb_err *err)
{
	struct probe *p;
	int rc = start(n, src, timeout_ms, false, &p, err);
	if (rc)
		return rc;
	p->wdone = done;
	p->arg = arg;
	return go(p, err);
}

int sync_doctor_start(struct net *n, const struct config_source *src, long timeout_ms,
                      sync_doctor_fn done, void *arg, struct wb_err *err)
{
	if (!sync_session_used(src))
		return wb_fail(err, WB_EINVALID, "source %s does not sign in",
		               src && src->name ? src->name : "?");
	struct probe *p;
	int rc = start(n, src, timeout_ms, true, &p, err);
	if (rc)
		return rc;
	p->ddone = done;
	p->arg = arg;
	return go(p, err);
}
