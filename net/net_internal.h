/* Shared by the transport's files (net/http.c: the loop side and ending
 * transfers; net/http_req.c: building requests and curl's data callbacks). */
#ifndef WAYBILL_NET_INTERNAL_H
#define WAYBILL_NET_INTERNAL_H

#include <curl/curl.h>

#include "net/net.h"

#define HDR_MAX 512             /* bytes kept of a response header of interest */
#define ERRBODY_MAX (64u << 10) /* bytes kept of a stream's non-2xx answer */

struct net_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct net *n;
	bool closing;
	struct net_sock *next;
};

struct net_xfer {
	struct net *n;
	int64_t id;
	CURL *easy;
	struct curl_slist *hdrs;
	bool added;          /* in the multi handle */
	bool cancel_pending; /* net_cancel from inside a callback */
	bool toobig, aborted;
	bool over_budget; /* growing the answer would pass net's mem_budget */
	bool inflated;    /* the answer inflated past NET_MAX_INFLATE_RATIO */
	bool stream;
	long timeout_ms; /* the deadline given to curl, 0 when none */
	long slow_s;     /* the low-speed (streams: idle) time given to curl */
	long long wire;  /* bytes on the wire when the ratio check failed */
	net_done_fn done;
	net_chunk_fn chunk; /* streams only */
	void *arg;
	char *method;
	char *safe_url; /* scheme://host:port/path, for messages */
	char *bearer;   /* to scrub from messages; wiped on free */
	char *secret;   /* secret_header's value, likewise */
	void *body;     /* request body copy */
	char *buf;      /* response body; cap bytes are charged to n->mem_used */
	size_t len, cap, max;
	char ctype[HDR_MAX], etag[HDR_MAX], retry_after[HDR_MAX], date[HDR_MAX];
	char errbuf[CURL_ERROR_SIZE];
	struct net_xfer *prev, *next;
};

struct net {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer; /* curl's timeout */
	uv_timer_t defer; /* work that may not run inside a curl callback */
	int open_handles; /* timers not yet closed; n is freed at 0 */
	struct net_sock *socks;
	struct net_xfer *xfers;
	size_t pending;
	int64_t next_id;
	int in_curl; /* > 0 while a chunk callback runs */
	bool freeing;
	long connect_timeout_ms, low_speed_bps, low_speed_time_s;
	size_t max_body;
	size_t mem_budget, mem_used, mem_peak; /* answers' buffers, all transfers */
	char *ca_file;
	char *user_agent;
};

/* Links x into n and hands it to curl (or, inside a curl callback, on the
 * next loop turn). x must be fully set up. Returns 0, or -1 when curl
 * refused it (x is then not linked and still the caller's). */
int net_xfer_start(struct net *n, struct net_xfer *x);
/* Frees a transfer that never started or has ended. */
void net_xfer_free(struct net_xfer *x);
/* The error kind of a transfer that ended with rc, and the reason shown
 * after it ("" for none) in its message (net/http_why.c). */
enum net_errkind net_kind_of(const struct net_xfer *x, CURLcode rc);
void net_explain(const struct net_xfer *x, CURLcode rc, enum net_errkind kind, char *why,
                 size_t len);
/* curl callbacks (net/http_req.c). */
size_t net_on_write(char *p, size_t size, size_t nmemb, void *ud);
size_t net_on_header(char *p, size_t size, size_t nmemb, void *ud);

#endif
