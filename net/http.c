/* HTTP on the libuv loop: one libcurl multi handle driven through
 * curl_multi_socket_action, a uv_poll per socket curl opens and one uv_timer
 * for curl's timeouts. Nothing here blocks. Every accepted transfer gets
 * exactly one done callback. The bearer token lives only in the request's
 * header list and a scrub copy, both wiped when the transfer ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "net_internal.h"

#ifndef WAYBILL_VERSION
#define WAYBILL_VERSION "0"
#endif

static const char *const errkind_names[] = {
#define NET_ERR_NAME(name, text) text,
        NET_ERRORS(NET_ERR_NAME)
#undef NET_ERR_NAME
};

const char *net_errkind_name(enum net_errkind k)
{
	if ((unsigned)k >= sizeof(errkind_names) / sizeof(errkind_names[0]))
		return "unknown";
	return errkind_names[k];
}

static void check_done(struct net *n);
static void finish(struct net_xfer *x, CURLcode rc, bool cancelled);

/* ---- libuv side ---- */

static void sock_closed(uv_handle_t *h)
{
	free(h->data);
}

static void sock_close(struct net *n, struct net_sock *ns)
{
	if (ns->closing)
		return;
	ns->closing = true;
	for (struct net_sock **pp = &n->socks; *pp; pp = &(*pp)->next)
		if (*pp == ns) {
			*pp = ns->next;
			break;
		}
	uv_poll_stop(&ns->poll);
	uv_close((uv_handle_t *)&ns->poll, sock_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct net_sock *ns = h->data;
	struct net *n = ns->n;
	int flags = 0;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	int running;
	curl_multi_socket_action(n->multi, ns->fd, flags, &running);
	check_done(n);
}

static void on_timer(uv_timer_t *t)
{
	struct net *n = t->data;
	int running;
	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(n);
}

/* CURLMOPT_SOCKETFUNCTION: curl says which events it wants on a socket. */
static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct net *n = userp;
	struct net_sock *ns = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (ns) {
			if (!n->freeing)
				curl_multi_assign(n->multi, s, NULL);
			sock_close(n, ns);
		}
		return 0;
	}
	if (!ns) {
		ns = calloc(1, sizeof(*ns));
		if (!ns)
			return -1;
		if (uv_poll_init_socket(n->loop, &ns->poll, s) != 0) {
			free(ns);
			return -1;
		}
		ns->fd = s;
		ns->n = n;
		ns->poll.data = ns;
		ns->next = n->socks;
		n->socks = ns;
		curl_multi_assign(n->multi, s, ns);
	}
	int ev = 0;
	if (what & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	return uv_poll_start(&ns->poll, ev, on_poll) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer; 0 means "as soon as you can",
 * which a 0 ms uv_timer does on the next loop turn, outside this callback. */
static int on_timer_set(CURLM *m, long timeout_ms, void *userp)
{
	struct net *n = userp;
	if (timeout_ms < 0)
		return uv_timer_stop(&n->timer) == 0 ? 0 : -1;
	return uv_timer_start(&n->timer, on_timer, (uint64_t)timeout_ms, 0) == 0 ? 0 : -1;
}

/* Runs what was asked from inside a chunk callback: adding transfers and
 * cancelling them (libcurl refuses both while it is calling us). */
static void on_defer(uv_timer_t *t)
{
	struct net *n = t->data;
restart:
	for (struct net_xfer *x = n->xfers; x; x = x->next) {
		if (x->cancel_pending) {
			/* done may cancel or start others: walk the list afresh. */
			finish(x, CURLE_OK, true);
			goto restart;
		}
		if (!x->added) {
			if (curl_multi_add_handle(n->multi, x->easy) != CURLM_OK) {
				finish(x, CURLE_OUT_OF_MEMORY, false);
				goto restart;
			}
			x->added = true;
		}
	}
}

static void schedule_defer(struct net *n)
{
	uv_timer_start(&n->defer, on_defer, 0, 0);
}

/* ---- ending a transfer ---- */

/* Replaces every occurrence of secret in s with "***": the last guard that
 * keeps a token out of a message, whatever libcurl or a server put in it. */
void net_scrub_secret(char *s, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	if (sl == 0)
		return;
	char *p;
	while ((p = strstr(s, secret)) != NULL) {
		size_t rest = strlen(p + sl);
		p[0] = p[1] = p[2] = '*';
		memmove(p + 3, p + sl, rest + 1);
	}
}

static void wipe(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
}

void net_xfer_free(struct net_xfer *x)
{
	if (x->n)
		x->n->mem_used -= x->cap;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	for (struct curl_slist *h = x->hdrs; h; h = h->next)
		wipe(h->data);
	curl_slist_free_all(x->hdrs);
	wipe(x->bearer);
	free(x->bearer);
	wipe(x->secret);
	free(x->secret);
	free(x->method);
	free(x->safe_url);
	free(x->body);
	free(x->buf);
	free(x);
}

static void finish(struct net_xfer *x, CURLcode rc, bool cancelled)
{
	struct net *n = x->n;
	if (x->added)
		curl_multi_remove_handle(n->multi, x->easy);
	x->added = false;
	if (x->prev)
		x->prev->next = x->next;
	else
		n->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	n->pending--;

	struct net_resp r = {0};
	r.error = cancelled || x->cancel_pending ? NET_ECANCELLED : net_kind_of(x, rc);
	if (!cancelled) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
		curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &r.total_s);
	}
	r.content_type = x->ctype[0] ? x->ctype : NULL;
	r.etag = x->etag[0] ? x->etag : NULL;
	r.retry_after_s = -1;
	if (x->retry_after[0] &&
	    net_parse_retry_after(x->retry_after, time(NULL), &r.retry_after_s))
		r.retry_after_s = -1;
	if (x->date[0]) {
		time_t d = curl_getdate(x->date, NULL);
		r.date = d == (time_t)-1 ? 0 : d;
	}
	/* A failed transfer never hands over a partial body as if it were whole. */
	bool body_ok = r.error == NET_EOK ||
	               (x->chunk && r.status >= 300 && !x->toobig && !x->over_budget);
	r.body = body_ok && x->buf ? x->buf : "";
	r.body_len = body_ok ? x->len : 0;

	char msg[CURL_ERROR_SIZE + 1024] = "";
	if (r.error != NET_EOK) {
		char why[CURL_ERROR_SIZE + 256];
		net_explain(x, rc, r.error, why, sizeof(why));
		snprintf(msg, sizeof(msg), "%s %s: %s%s%s%s", x->method, x->safe_url,
		         net_errkind_name(r.error), *why ? " (" : "", why, *why ? ")" : "");
		for (char *p = msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		net_scrub_secret(msg, x->bearer);
		net_scrub_secret(msg, x->secret);
	}
	r.errmsg = msg;
	x->done(&r, x->arg);
	net_xfer_free(x);
}

static void check_done(struct net *n)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct net_xfer *x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			finish(x, m->data.result, false);
	}
}

/* ---- public ---- */

static void timer_closed(uv_handle_t *h)
{
	struct net *n = h->data;
	if (--n->open_handles == 0) {
		free(n->ca_file);
		free(n->user_agent);
		free(n);
	}
}

struct net *net_new(uv_loop_t *loop, const struct net_opts *o, struct wb_err *err)
{
	static bool curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			wb_fail(err, WB_EIO, "libcurl could not start (TLS library?)");
			return NULL;
		}
		curl_ready = true;
	}
	struct net_opts def = {0};
	if (!o)
		o = &def;
	struct net *n = calloc(1, sizeof(*n));
	if (!n) {
		wb_fail(err, WB_ENOMEM, "out of memory starting the network");
		return NULL;
	}
	n->loop = loop;
	n->next_id = 1;
	n->connect_timeout_ms =
	        o->connect_timeout_ms > 0 ? o->connect_timeout_ms : NET_DEFAULT_CONNECT_TIMEOUT_MS;
	n->low_speed_bps = o->low_speed_bps > 0 ? o->low_speed_bps : NET_DEFAULT_LOW_SPEED_BPS;
	n->low_speed_time_s =
	        o->low_speed_time_s > 0 ? o->low_speed_time_s : NET_DEFAULT_LOW_SPEED_TIME_S;
	n->max_body = o->max_body ? o->max_body : NET_DEFAULT_MAX_BODY;
	n->mem_budget = o->mem_budget ? o->mem_budget : NET_DEFAULT_MEM_BUDGET;
	/* One answer as big as allowed must fit, with its NUL. */
	if (n->mem_budget <= n->max_body)
		n->mem_budget = n->max_body + 1;
	n->ca_file = o->ca_file && *o->ca_file ? strdup(o->ca_file) : NULL;
	n->user_agent = strdup(o->user_agent && *o->user_agent ? o->user_agent
	                                                       : "waybill/" WAYBILL_VERSION);
	n->multi = curl_multi_init();
	if (!n->user_agent || (o->ca_file && *o->ca_file && !n->ca_file) || !n->multi) {
		if (n->multi)
			curl_multi_cleanup(n->multi);
		free(n->ca_file);
		free(n->user_agent);
		free(n);
		wb_fail(err, WB_ENOMEM, "out of memory starting the network");
		return NULL;
	}
	uv_timer_init(loop, &n->timer);
	uv_timer_init(loop, &n->defer);
	n->timer.data = n->defer.data = n;
	n->open_handles = 2;
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	/* Multiplex requests to one host over one HTTP/2 connection when offered. */
	curl_multi_setopt(n->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(n->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
	return n;
}

void net_free(struct net *n)
{
	if (!n)
		return;
	n->freeing = true;
	while (n->xfers)
		finish(n->xfers, CURLE_OK, true);
	uv_timer_stop(&n->timer);
	uv_timer_stop(&n->defer);
	/* Stop watching before curl closes the kept-alive sockets. */
	for (struct net_sock *ns = n->socks; ns; ns = ns->next)
		uv_poll_stop(&ns->poll);
	curl_multi_cleanup(n->multi);
	n->multi = NULL;
	while (n->socks)
		sock_close(n, n->socks);
	uv_close((uv_handle_t *)&n->timer, timer_closed);
	uv_close((uv_handle_t *)&n->defer, timer_closed);
}

size_t net_pending(const struct net *n)
{
	return n->pending;
}

uv_loop_t *net_loop(const struct net *n)
{
	return n->loop;
}

size_t net_mem_used(const struct net *n)
{
	return n->mem_used;
}

size_t net_mem_peak(const struct net *n)
{
	return n->mem_peak;
}

int net_cancel(struct net *n, int64_t id)
{
	for (struct net_xfer *x = n->xfers; x; x = x->next) {
		if (x->id != id)
			continue;
		if (n->in_curl > 0) {
			x->cancel_pending = true;
			schedule_defer(n);
		} else {
			finish(x, CURLE_OK, true);
		}
		return 0;
	}
	return WB_ENOTFOUND;
}

int net_xfer_start(struct net *n, struct net_xfer *x)
{
	x->n = n;
	if (n->in_curl == 0) {
		if (curl_multi_add_handle(n->multi, x->easy) != CURLM_OK)
			return -1;
		x->added = true;
	} else {
		schedule_defer(n);
	}
	x->id = n->next_id++;
	x->prev = NULL;
	x->next = n->xfers;
	if (n->xfers)
		n->xfers->prev = x;
	n->xfers = x;
	n->pending++;
	return 0;
}
