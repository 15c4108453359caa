/* Building one transfer: URL and header checks, the libcurl options every
 * request gets (TLS verification, timeouts, compression, HTTP/2), and the
 * data callbacks that collect or stream the answer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net_internal.h"

/* ---- curl callbacks ---- */

/* Appends to the answer, within the transfer's max and the budget all
 * transfers share: every byte of buffer allocated is charged to net until the
 * transfer is freed. */
static size_t keep(struct net_xfer *x, const char *p, size_t len, size_t max)
{
	if (x->len + len > max || x->len + len < x->len) {
		x->toobig = true;
		return 0;
	}
	if (x->len + len + 1 > x->cap) {
		struct net *n = x->n;
		size_t cap = x->cap ? x->cap : 16384;
		while (cap < x->len + len + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		if (cap - x->cap > n->mem_budget - n->mem_used) {
			x->over_budget = true;
			return 0;
		}
		char *b = realloc(x->buf, cap);
		if (!b)
			return 0;
		n->mem_used += cap - x->cap;
		if (n->mem_used > n->mem_peak)
			n->mem_peak = n->mem_used;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, p, len);
	x->len += len;
	x->buf[x->len] = '\0';
	return len;
}

/* libcurl decodes gzip and deflate before the write callback: a few KB on the
 * wire can become gigabytes. Past NET_INFLATE_CHECK_FROM decoded bytes, an
 * answer may be at most NET_MAX_INFLATE_RATIO times what came over the wire. */
static bool inflates_too_much(struct net_xfer *x)
{
	if (x->len <= NET_INFLATE_CHECK_FROM)
		return false;
	curl_off_t wire = 0;
	if (curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &wire) != CURLE_OK)
		return false;
	if ((curl_off_t)(x->len / NET_MAX_INFLATE_RATIO) <= wire)
		return false;
	x->inflated = true;
	x->wire = (long long)wire;
	return true;
}

size_t net_on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct net_xfer *x = ud;
	size_t len = size * nmemb;
	if (x->cancel_pending)
		return 0;
	if (!x->chunk) {
		if (keep(x, p, len, x->max) != len || inflates_too_much(x))
			return 0;
		return len;
	}
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		/* An error page is kept for done, cut short rather than failed. */
		size_t room = x->len < ERRBODY_MAX ? ERRBODY_MAX - x->len : 0;
		size_t take = len < room ? len : room;
		if (take && keep(x, p, take, ERRBODY_MAX) != take)
			return 0;
		return len;
	}
	x->n->in_curl++;
	int r = x->chunk(p, len, status, x->arg);
	x->n->in_curl--;
	if (r != 0 || x->cancel_pending) {
		x->aborted = r != 0;
		return 0;
	}
	return len;
}

static void store_header(char *dst, const char *v, size_t len)
{
	if (len >= HDR_MAX)
		len = HDR_MAX - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

size_t net_on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct net_xfer *x = ud;
	size_t len = size * nmemb;
	/* A new status line (after 100 Continue, say) starts a new header set. */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		x->ctype[0] = x->etag[0] = x->retry_after[0] = x->date[0] = '\0';
		return len;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return len;
	size_t nlen = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ' ||
	                v[vlen - 1] == '\t'))
		vlen--;
	if (nlen == 12 && strncasecmp(p, "Content-Type", 12) == 0)
		store_header(x->ctype, v, vlen);
	else if (nlen == 4 && strncasecmp(p, "ETag", 4) == 0)
		store_header(x->etag, v, vlen);
	else if (nlen == 11 && strncasecmp(p, "Retry-After", 11) == 0)
		store_header(x->retry_after, v, vlen);
	else if (nlen == 4 && strncasecmp(p, "Date", 4) == 0)
		store_header(x->date, v, vlen);
	return len;
}

/* ---- building a transfer ---- */

/* A header line or token must not smuggle a second header in. */
static bool header_safe(const char *s)
{
	for (; *s; s++)
		if (*s == 0x7f || ((unsigned char)*s < 0x20 && *s != '\t'))
			return false;
	return true;
}

/* Parses url (http or https only) and fills x->safe_url with what may be
 * shown: scheme, host, port and path, never userinfo or query. */
static int check_url(struct net_xfer *x, const char *url, struct wb_err *err)
{
	if (!url || !*url)
		return wb_fail(err, WB_EINVALID, "no URL given");
	CURLU *u = curl_url();
	if (!u)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int rc = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = wb_fail(err, WB_EINVALID, "not a valid http(s) URL: %.*s", 80,
		             strchr(url, '?') ? "(withheld: it has a query)" : url);
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		rc = wb_fail(err, WB_EINVALID, "URL scheme %.20s is not http or https", scheme);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	size_t len = strlen(scheme) + strlen(host) + (port ? strlen(port) : 0) +
	             (path ? strlen(path) : 0) + 8;
	x->safe_url = malloc(len);
	if (!x->safe_url) {
		rc = wb_fail(err, WB_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(x->safe_url, len, "%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
	         path ? path : "/");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

static int add_header(struct net_xfer *x, const char *line, struct wb_err *err)
{
	struct curl_slist *h = curl_slist_append(x->hdrs, line);
	if (!h)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	x->hdrs = h;
	return 0;
}

static int set_headers(struct net_xfer *x, const struct net_req *req, bool stream,
                       struct wb_err *err)
{
	for (const char *const *h = req->headers; h && *h; h++) {
		if (!header_safe(*h) || !strchr(*h, ':'))
			return wb_fail(err, WB_EINVALID, "%s %s: malformed request header",
			               x->method, x->safe_url);
		if (strncasecmp(*h, "Authorization:", 14) == 0)
			return wb_fail(err, WB_EINVALID,
			               "%s %s: pass the token as bearer, not as a header",
			               x->method, x->safe_url);
		if (add_header(x, *h, err))
			return err ? err->code : WB_ENOMEM;
	}
	/* No 100-continue round trip before a body. */
	if (add_header(x, "Expect:", err))
		return WB_ENOMEM;
	if (stream) {
		if (add_header(x, "Accept: text/event-stream", err) ||
		    add_header(x, "Cache-Control: no-cache", err))
			return WB_ENOMEM;
		if (req->last_event_id && *req->last_event_id) {
			char line[512];
			if (!header_safe(req->last_event_id) ||
			    strlen(req->last_event_id) > sizeof(line) - 20)
				return wb_fail(err, WB_EINVALID, "%s %s: unusable Last-Event-ID",
				               x->method, x->safe_url);
			snprintf(line, sizeof(line), "Last-Event-ID: %s", req->last_event_id);
			if (add_header(x, line, err))
				return WB_ENOMEM;
		}
	}
	if (req->secret_header && *req->secret_header) {
		const char *colon = strchr(req->secret_header, ':');
		if (!header_safe(req->secret_header) || !colon)
			return wb_fail(err, WB_EINVALID,
			               "%s %s: the session header is malformed or holds a control "
			               "character",
			               x->method, x->safe_url);
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		if (!(x->secret = strdup(v)))
			return wb_fail(err, WB_ENOMEM, "out of memory");
		if (add_header(x, req->secret_header, err))
			return err ? err->code : WB_ENOMEM;
	}
	if (req->bearer && *req->bearer) {
		if (!header_safe(req->bearer))
			return wb_fail(err, WB_EINVALID,
			               "%s %s: the token holds a control character or newline",
			               x->method, x->safe_url);
		x->bearer = strdup(req->bearer);
		size_t len = strlen(req->bearer) + 32;
		char *line = malloc(len);
		if (!x->bearer || !line) {
			free(line);
			return wb_fail(err, WB_ENOMEM, "out of memory");
		}
		snprintf(line, len, "Authorization: Bearer %s", req->bearer);
		int rc = add_header(x, line, err);
		explicit_bzero(line, len);
		free(line);
		if (rc)
			return rc;
	}
	return 0;
}

static bool method_ok(const char *m)
{
	size_t len = strlen(m);
	if (len == 0 || len > 16)
		return false;
	for (; *m; m++)
		if (!isupper((unsigned char)*m))
			return false;
	return true;
}

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (curl_easy_setopt(e, opt, val) != CURLE_OK)                                     \
			goto setopt_failed;                                                        \
	} while (0)

static int setup(struct net *n, struct net_xfer *x, const struct net_req *req, bool stream,
                 struct wb_err *err)
{
	const char *method = req->method && *req->method ? req->method : "GET";
	if (!method_ok(method))
		return wb_fail(err, WB_EINVALID, "not an HTTP method: %.20s", method);
	x->method = strdup(method);
	if (!x->method)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	int rc = check_url(x, req->url, err);
	if (rc)
		return rc;
	if ((rc = set_headers(x, req, stream, err)) != 0)
		return rc;
	if (req->body && req->body_len) {
		x->body = malloc(req->body_len);
		if (!x->body)
			return wb_fail(err, WB_ENOMEM, "out of memory");
		memcpy(x->body, req->body, req->body_len);
	}
	x->n = n; /* keep() charges n's budget */
	x->max = n->max_body;
	CURL *e = x->easy = curl_easy_init();
	if (!e)
		return wb_fail(err, WB_ENOMEM, "out of memory");

	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_PRIVATE, (char *)x);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_WRITEFUNCTION, net_on_write);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, net_on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_HTTPHEADER, x->hdrs);
	SET(CURLOPT_USERAGENT, n->user_agent);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* No CURLOPT_PIPEWAIT: on plain HTTP/1.1 it can queue a request behind a
	 * busy connection (a live stream never frees it) instead of opening one. */
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* TLS verification is never switched off, whatever the config says. */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	const char *ca = req->ca_file && *req->ca_file ? req->ca_file : n->ca_file;
	if (ca)
		SET(CURLOPT_CAINFO, ca);
	SET(CURLOPT_CONNECTTIMEOUT_MS, n->connect_timeout_ms);
	x->stream = stream;
	if (stream) {
		/* An event stream may be quiet for long; only a silent one is dead.
		 * No compression: it would hold events back in the decoder. */
		x->slow_s = req->idle_timeout_s > 0 ? req->idle_timeout_s
		                                    : (long)NET_DEFAULT_STREAM_IDLE_S;
		SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
		x->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : 0L;
	} else {
		SET(CURLOPT_ACCEPT_ENCODING, "");
		/* Counts bytes on the wire (compressed), in a sliding window. */
		x->slow_s = n->low_speed_time_s;
		SET(CURLOPT_LOW_SPEED_LIMIT, n->low_speed_bps);
		x->timeout_ms = req->timeout_ms > 0    ? req->timeout_ms
		                : req->timeout_ms == 0 ? (long)NET_DEFAULT_TIMEOUT_MS
		                                       : 0L;
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)n->max_body);
	}
	SET(CURLOPT_LOW_SPEED_TIME, x->slow_s);
	SET(CURLOPT_TIMEOUT_MS, x->timeout_ms);
	if (strcmp(method, "GET") == 0) {
		/* the default */
	} else if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, x->method);
		if (x->body || strcmp(method, "POST") == 0) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(x->body ? req->body_len : 0));
			SET(CURLOPT_POSTFIELDS, x->body ? (char *)x->body : "");
		}
	}
	return 0;
setopt_failed:
	return wb_fail(err, WB_EINVALID, "%s %s: libcurl refused an option (too old?)", x->method,
	               x->safe_url);
}

static int64_t start(struct net *n, const struct net_req *req, net_chunk_fn chunk, net_done_fn done,
                     void *arg, struct wb_err *err)
{
	if (!n || !req || !done)
		return wb_fail(err, WB_EINVALID, "net: request without a callback");
	if (n->freeing)
		return wb_fail(err, WB_EINVALID, "net: shutting down");
	struct net_xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	x->done = done;
	x->chunk = chunk;
	x->arg = arg;
	int rc = setup(n, x, req, chunk != NULL, err);
	if (rc == 0 && net_xfer_start(n, x) != 0)
		rc = wb_fail(err, WB_ENOMEM, "%s %s: libcurl refused the transfer", x->method,
		             x->safe_url);
	if (rc != 0) {
		if (err)
			net_scrub_secret(err->msg, req->bearer);
		if (err && x->secret)
			net_scrub_secret(err->msg, x->secret);
		net_xfer_free(x);
		return rc;
	}
	return x->id;
}

int64_t net_request(struct net *n, const struct net_req *req, net_done_fn done, void *arg,
                    struct wb_err *err)
{
	return start(n, req, NULL, done, arg, err);
}

int64_t net_stream(struct net *n, const struct net_req *req, net_chunk_fn chunk, net_done_fn done,
                   void *arg, struct wb_err *err)
{
	if (!chunk)
		return wb_fail(err, WB_EINVALID, "net: stream without a chunk callback");
	return start(n, req, chunk, done, arg, err);
}
