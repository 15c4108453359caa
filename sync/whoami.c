/* Who am I: the user and role a source gives our token, asked through the
 * source's connector (its who-am-I path and parse) over net/. The console,
 * `waybill doctor` and the CLI's actions all ask here: local role checks mirror
 * what the source will enforce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/core.h"
#include "net/net.h"
#include "settings/settings.h"
#include "sync_internal.h"

void sync_whoami_judge(const struct config_source *src, const struct net_resp *r,
                       struct sync_whoami *w)
{
	memset(w, 0, sizeof(*w));
	w->role = -1;
	w->http_status = r->status;
	const struct connector_ops *k = src ? src->ops : NULL;
	struct wb_err err = {0};
	if (r->error != NET_EOK) {
		w->state = SYNC_WHOAMI_DOWN;
		snprintf(w->why, sizeof(w->why), "%s", r->errmsg);
	} else if (r->status == 401 || r->status == 403) {
		w->state = SYNC_WHOAMI_AUTH;
		snprintf(w->why, sizeof(w->why), "the %s was refused (HTTP %ld)",
		         sync_session_used(src) ? "session" : "token", r->status);
	} else if (r->status != 200) {
		w->state = SYNC_WHOAMI_BAD;
		snprintf(w->why, sizeof(w->why), "who-am-I answered HTTP %ld", r->status);
	} else if (k->whoami(r->body, r->body_len, &w->me, &err) != 0) {
		w->state = SYNC_WHOAMI_BAD;
		snprintf(w->why, sizeof(w->why), "%s", err.msg);
	} else if ((w->role = core_role_from_name(w->me.role)) < 0) {
		w->state = SYNC_WHOAMI_BAD;
		snprintf(w->why, sizeof(w->why), "unknown role \"%.24s\" in the answer",
		         w->me.role);
	} else {
		w->state = SYNC_WHOAMI_OK;
	}
}

/* One question in flight: whom to tell, and the source asked. */
struct ask {
	sync_whoami_fn done;
	void *arg;
	const struct config_source *src;
};

static void on_answer(const struct net_resp *r, void *arg)
{
	struct ask *q = arg;
	struct sync_whoami w;
	sync_whoami_judge(q->src, r, &w);
	if (r->error != NET_ECANCELLED)
		q->done(q->arg, &w);
	free(q);
}

int sync_whoami_start(struct net *n, const struct config_source *src, long timeout_ms,
                      sync_whoami_fn done, void *arg, struct wb_err *err)
{
	if (sync_session_used(src))
		return sync_whoami_session_start(n, src, timeout_ms, done, arg, err);
	if (!src || !src->ops || !src->ops->whoami || !src->ops->whoami_path)
		return wb_fail(err, WB_EINVALID, "source %s cannot say who you are",
		               src && src->name ? src->name : "?");
	char url[1200];
	snprintf(url, sizeof(url), "%s%s", src->url, src->ops->whoami_path);
	struct ask *q = malloc(sizeof(*q));
	if (!q)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	*q = (struct ask){.done = done, .arg = arg, .src = src};
	struct net_req req = {.url = url,
	                      .bearer = src->token,
	                      .ca_file = src->ca_file,
	                      .timeout_ms = timeout_ms};
	if (net_request(n, &req, on_answer, q, err) < 0) {
		free(q);
		return err ? err->code : WB_EIO;
	}
	return 0;
}

static void keep(void *arg, const struct sync_whoami *w)
{
	*(struct sync_whoami *)arg = *w;
}

void sync_whoami(const struct config_source *src, long timeout_ms, struct sync_whoami *out)
{
	memset(out, 0, sizeof(*out));
	out->state = SYNC_WHOAMI_DOWN;
	out->role = -1;
	uv_loop_t loop;
	struct wb_err err = {0};
	if (uv_loop_init(&loop) != 0) {
		snprintf(out->why, sizeof(out->why), "cannot start the event loop");
		return;
	}
	struct net *n = net_new(&loop, &(struct net_opts){.connect_timeout_ms = 3000}, &err);
	if (!n || sync_whoami_start(n, src, timeout_ms, keep, out, &err) != 0)
		snprintf(out->why, sizeof(out->why), "%s", err.msg);
	else
		uv_run(&loop, UV_RUN_DEFAULT);
	net_free(n);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
}
