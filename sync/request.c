/* Asking a source for a page: GET ?after=CURSOR&limit=N with the token
 * (the canonical kind), or the kind's own request (page_request, a JSON-RPC
 * POST) sent with its source's session, signing in first when there is none
 * and once more when an answer says the session is gone. */
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_internal.h"

/* A kind that signs in: the answer says the session is gone. Signs in again
 * and asks again once; true when the answer is dealt with. */
bool sync_page_session_gone(struct sync_stream *st, const struct net_resp *r)
{
	if (!st->ses || !sync_session_gone(st->src, r)) {
		st->resigned = false;
		return false;
	}
	sync_session_drop(st->ses, st->ses_gen);
	if (!st->resigned) {
		st->resigned = true;
		sync_request_page(st, st->asked);
		return true;
	}
	st->resigned = false;
	char why[500], what[80];
	snprintf(what, sizeof(what), "the new session was refused too (HTTP %ld)", r->status);
	sync_session_refused(st->src, what, why, sizeof(why));
	sync_session_refused_again(st->ses, why);
	sync_stream_failed(st, why, -1);
	return true;
}

/* Sends the request for the page after st->asked: GET ?after=CURSOR&limit=N
 * with the token, or the kind's own request (page_request) with its session. */
static void send_page(struct sync_stream *st)
{
	struct sync *sy = st->sy;
	const struct config_source *src = st->src;
	const char *cur = st->asked;
	char *esc = NULL, *body = NULL, query[700], url[1400];
	struct wb_err err = {0};
	int limit = st->cs->page_limit > 0 ? st->cs->page_limit : sy->o.page_limit;
	struct net_req req = {.method = "GET", .url = url, .ca_file = src->ca_file};
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct connector_call call; /* req.method points into it until sent */
	memset(&call, 0, sizeof(call));
	if (src->ops->page_request) {
		struct connector_login who = sync_session_login(src, st->ses);
		int rc = src->ops->page_request(st->cs, &who, cur, limit, &call, &err);
		body = rc == 0 && call.body ? json_dumps(call.body, JSON_COMPACT) : NULL;
		json_decref(call.body);
		if (rc != 0 || (call.body && !body)) {
			sync_stream_failed(st, rc ? err.msg : "out of memory", -1);
			return;
		}
		if (sync_session_url(src, st->ses, call.path, url, sizeof(url)) != 0) {
			free(body);
			sync_stream_failed(st, "URL too long", -1);
			return;
		}
		req.method = call.method[0] ? call.method : "POST";
		req.body = body;
		req.body_len = body ? strlen(body) : 0;
		req.headers = body ? headers : NULL;
	} else {
		if (*cur && !(esc = curl_easy_escape(NULL, cur, 0))) {
			sync_stream_failed(st, "out of memory", -1);
			return;
		}
		snprintf(query, sizeof(query), "limit=%d%s%s", limit, esc ? "&after=" : "",
		         esc ? esc : "");
		curl_free(esc);
		char base[1200];
		if (sync_session_url(src, st->ses, st->cs->path, base, sizeof(base)) != 0 ||
		    snprintf(url, sizeof(url), "%s?%s", base, query) >= (int)sizeof(url)) {
			sync_stream_failed(st, "URL too long", -1);
			return;
		}
	}
	sync_session_sign(src, st->ses, &req, &st->ses_gen);
	int64_t id = net_request(sy->net, &req, sync_on_page, st, &err);
	free(body);
	if (id < 0) {
		sync_stream_failed(st, err.msg, -1);
		return;
	}
	st->xfer = id;
}

static void on_signed_in(struct sync_session_waiter *w, const char *fail)
{
	struct sync_stream *st =
	        (struct sync_stream *)(void *)((char *)w - offsetof(struct sync_stream, wait));
	st->xfer = 0;
	if (st->sy->stopping || st->failed)
		return;
	if (fail)
		sync_stream_failed(st, fail, -1);
	else
		send_page(st);
}

/* Asks for the page after cursor ("" for the start of a full pass), signing
 * in first when the source's kind does and has no session. */
void sync_request_page(struct sync_stream *st, const char *cur)
{
	if (cur != st->asked)
		snprintf(st->asked, sizeof(st->asked), "%s", cur);
	if (st->ses) {
		st->wait.ready = on_signed_in;
		char why[400];
		int rc = sync_session_need(st->ses, &st->wait, why, sizeof(why));
		if (rc < 0) {
			sync_stream_failed(st, why, -1);
			return;
		}
		if (rc == 0) {
			st->xfer = SYNC_XFER_SIGNING_IN;
			return;
		}
	}
	send_page(st);
}

void sync_stream_cancel(struct sync_stream *st)
{
	if (st->xfer == SYNC_XFER_SIGNING_IN)
		sync_session_unwait(st->ses, &st->wait);
	else if (st->xfer)
		net_cancel(st->sy->net, st->xfer); /* on_page sees NET_ECANCELLED */
	st->xfer = 0;
}
