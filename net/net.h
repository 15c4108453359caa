/* The transport: HTTP requests and Server-Sent Event streams on the one libuv
 * loop, through libcurl's multi socket interface (uv_poll per socket, one
 * uv_timer). Nothing here blocks; every answer arrives in a callback on the
 * loop thread. Also the small pieces the sync engine needs around it: retry
 * backoff, Retry-After and an incremental SSE parser. */
#ifndef WAYBILL_NET_H
#define WAYBILL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "base/err.h"

/* Why a transfer did not bring back a whole HTTP answer. An HTTP error status
 * (404, 429, 503) is NOT a transport error: it comes with NET_OK and status. */
#define NET_ERRORS(X)                                                                              \
	X(OK, "ok")                                                                                \
	X(RESOLVE, "host name not resolved")                                                       \
	X(CONNECT, "connection failed")                                                            \
	X(TLS, "TLS failure")                                                                      \
	X(TIMEOUT, "timed out")                                                                    \
	X(TOOBIG, "response too large")                                                            \
	X(PARTIAL, "connection dropped before the whole answer")                                   \
	X(PROTOCOL, "protocol error")                                                              \
	X(CANCELLED, "cancelled")                                                                  \
	X(ABORTED, "stopped by the receiver")                                                      \
	X(NOMEM, "out of memory")                                                                  \
	X(OTHER, "transfer failed")

enum net_errkind {
#define NET_ERR_ENUM(name, text) NET_E##name,
	NET_ERRORS(NET_ERR_ENUM)
#undef NET_ERR_ENUM
};

/* A short name for an error kind ("timed out"). */
const char *net_errkind_name(enum net_errkind k);

/* Defaults used when a field of net_opts or net_req is 0.
 *
 * Time. Every request has a whole-transfer deadline (30 s) and a low-speed
 * limit: an answer averaging under 100 B/s for 15 s fails (a 1 B/s trickle in
 * about 15 s, with that reason), while a 1,200 B/s GSM link, the thinnest a
 * depot uses, never does. The 15 s also bound how long a source may think
 * before its first byte. Streams have no deadline, only their idle limit.
 *
 * Memory. The answer to a request is held whole until its done callback has
 * run, and the sync engine parses it there with jansson (sync/page.c), which
 * costs 9-10x the body for real records and up to about 77x for hostile ones
 * ({"data":[{},{},...]}; measured with jansson 2.14). So that `waybill sync
 * --once` stays under 128 MB of RSS whatever the sources send:
 *  - one answer holds at most NET_DEFAULT_MAX_BODY decoded bytes (4 MiB: real
 *    pages of 1000 records are 0.2-1 MB);
 *  - the answers of all transfers in flight together hold at most
 *    NET_DEFAULT_MEM_BUDGET (24 MiB: 17 streams of 1 MB pages at once fit);
 *    a transfer that would pass it fails with NET_ETOOBIG (the engine retries
 *    it later, when the others have been read);
 *  - an answer that inflates more than NET_MAX_INFLATE_RATIO times its bytes
 *    on the wire fails with NET_ETOOBIG once past NET_INFLATE_CHECK_FROM
 *    decoded bytes (real JSON compresses 10-15x; a gzip bomb about 1000x);
 *  - the parse itself is capped by the sync engine (SYNC_PAGE_PARSE_MAX,
 *    32 MiB), and the rows mapped from it are a fraction of that.
 * Budget + parse cap + rows + the process's own ~15 MB stay under 128 MB:
 * bench/memory.sh measures at most about 85 MB against gzip bombs, endless
 * bodies and pages of tiny objects or records on every stream at once. */
#define NET_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define NET_DEFAULT_TIMEOUT_MS 30000       /* whole request, net_request only */
#define NET_DEFAULT_LOW_SPEED_BPS 100      /* requests under this many bytes/s ... */
#define NET_DEFAULT_LOW_SPEED_TIME_S 15    /* ... for this long fail */
#define NET_DEFAULT_STREAM_IDLE_S 60       /* stream with no byte this long: abort */
#define NET_DEFAULT_MAX_BODY (4u << 20)    /* 4 MiB decoded, one answer */
#define NET_DEFAULT_MEM_BUDGET (24u << 20) /* 24 MiB, all answers in flight */
#define NET_MAX_INFLATE_RATIO 100          /* decoded bytes per byte on the wire */
#define NET_INFLATE_CHECK_FROM (1u << 20)  /* ratio checked past 1 MiB decoded */

/* Transport-wide settings. A zeroed struct (or NULL) gives the defaults. */
struct net_opts {
	const char *ca_file;     /* PEM bundle trusted instead of the system store; NULL: system */
	long connect_timeout_ms; /* TCP + TLS handshake; 0: NET_DEFAULT_CONNECT_TIMEOUT_MS */
	long low_speed_bps;      /* requests slower than this ... ; 0: NET_DEFAULT_LOW_SPEED_BPS */
	long low_speed_time_s;   /* ... for this long fail; 0: NET_DEFAULT_LOW_SPEED_TIME_S */
	size_t max_body;         /* larger answers fail with NET_ETOOBIG; 0: NET_DEFAULT_MAX_BODY */
	size_t mem_budget;       /* bytes all answers in flight may hold together (at least
	                          * max_body); 0: NET_DEFAULT_MEM_BUDGET */
	const char *user_agent;  /* NULL: "waybill/VERSION" */
};

/* One request. Everything is copied by net_request/net_stream: the caller may
 * free it as soon as the call returns. */
struct net_req {
	const char *method;         /* "GET" when NULL; "POST", "PUT", "PATCH", "DELETE" */
	const char *url;            /* http:// or https:// only */
	const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL.
	                             * Never put Authorization here: use bearer or
	                             * secret_header. */
	const char *bearer;         /* sent as "Authorization: Bearer ..."; kept out of every
	                             * error message and log line; NULL or "": none */
	const void *body;           /* request body, or NULL */
	size_t body_len;
	long timeout_ms;           /* whole transfer; 0: NET_DEFAULT_TIMEOUT_MS for
	                            * requests, no limit for streams; <0: no limit */
	long idle_timeout_s;       /* streams: fail after this long without a byte (approx.,
	                            * libcurl's low-speed check); 0: NET_DEFAULT_STREAM_IDLE_S */
	const char *secret_header; /* one "Name: value" line that is as secret as a token
	                            * (a signed-in session's "Authorization: Session ...",
	                            * sync/session.c): sent, its value kept out of every
	                            * message like bearer's; NULL or "": none */
	const char *ca_file;       /* overrides net_opts.ca_file for this request */
	const char *last_event_id; /* streams: sent as Last-Event-ID when not NULL/"" */
};

/* What came back. Valid only during the callback; copy what you keep. */
struct net_resp {
	enum net_errkind error;   /* NET_EOK when a whole HTTP answer arrived */
	long status;              /* HTTP status, 0 when no answer header arrived */
	const char *errmsg;       /* one line naming method and URL (userinfo and query
	                           * removed) and libcurl's reason; "" when ok; never a token */
	const char *content_type; /* Content-Type, or NULL */
	const char *etag;         /* ETag, or NULL */
	long retry_after_s; /* Retry-After in seconds (from seconds or HTTP-date), -1 absent */
	time_t date;        /* the answer's Date header (the server's clock), 0 absent */
	const char *body;   /* whole body, NUL-terminated; "" for streams and on error */
	size_t body_len;
	double total_s; /* time the transfer took, seconds */
};

/* Called exactly once for every transfer net_request/net_stream accepted:
 * when it ends, fails, is cancelled (net_cancel) or when net_free runs.
 * May start new requests or cancel others; must not call net_free. */
typedef void (*net_done_fn)(const struct net_resp *r, void *arg);
/* Streams: called with each piece of the body as it arrives (any boundary),
 * only for a 2xx answer. Return 0 to go on, non-zero to stop the stream
 * (done then reports NET_EABORTED). status is the HTTP status. */
typedef int (*net_chunk_fn)(const char *data, size_t len, long status, void *arg);

struct net;

/* A transport on loop. One per process is enough: its connections are kept
 * alive and reused across requests (HTTP/2 multiplexed where offered over TLS).
 * TLS peer and host verification are always on. Proxies come from the usual
 * environment variables (http_proxy, https_proxy, no_proxy). */
struct net *net_new(uv_loop_t *loop, const struct net_opts *o, struct wb_err *err);
/* Cancels every transfer in flight (each done callback runs with
 * NET_ECANCELLED), then closes the handles. The loop must run afterwards for
 * libuv to finish closing them (uv_run until it returns 0 is enough). */
void net_free(struct net *n);

/* Starts a request whose whole body is delivered to done. Returns a transfer
 * id (> 0) for net_cancel, or a negative WB_E* (bad URL, no memory) with err
 * set, in which case done is never called. */
int64_t net_request(struct net *n, const struct net_req *req, net_done_fn done, void *arg,
                    struct wb_err *err);
/* Starts a Server-Sent Events stream (Accept: text/event-stream): chunk gets
 * the body as it arrives, done gets the end. Same return as net_request. */
int64_t net_stream(struct net *n, const struct net_req *req, net_chunk_fn chunk, net_done_fn done,
                   void *arg, struct wb_err *err);
/* Stops a transfer; its done callback runs with NET_ECANCELLED before this
 * returns (or, when called from inside a chunk callback, on the next loop
 * turn). Returns 0, or WB_ENOTFOUND when id is not in flight. */
int net_cancel(struct net *n, int64_t id);
/* Transfers in flight. */
size_t net_pending(const struct net *n);
/* The loop n runs on. */
uv_loop_t *net_loop(const struct net *n);
/* Bytes the answers in flight hold now (allocated, so a little over their
 * length), and the most they ever held together: never over the budget. */
size_t net_mem_used(const struct net *n);
size_t net_mem_peak(const struct net *n);

/* Retry delay for the attempt-th retry (0-based): "full jitter" backoff,
 * uniform in [0, min(NET_BACKOFF_CAP_MS, NET_BACKOFF_BASE_MS * 2^attempt)],
 * chosen by random (any 32-bit random number). */
#define NET_BACKOFF_BASE_MS 1000u
#define NET_BACKOFF_CAP_MS 60000u
uint32_t net_backoff_ms(unsigned attempt, uint32_t random);

/* Parses a Retry-After value: delay seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2026 07:28:00 GMT"), relative to now. A date in the past is
 * 0 s. Returns 0 and sets *secs, or -1 when the value is neither. */
int net_parse_retry_after(const char *v, time_t now, long *secs);

/* ---- Server-Sent Events (net/sse.c), per the WHATWG HTML spec ---- */

/* One dispatched event. Strings are NUL-terminated, valid during the callback. */
struct sse_event {
	const char *type; /* "event:" field, "message" when none was given */
	const char *data; /* "data:" lines joined with "\n" (no trailing "\n") */
	size_t data_len;
	const char *id; /* last event ID so far ("" when none); also sse_last_id */
};

/* Return 0 to go on, non-zero to stop: sse_feed then returns that value. */
typedef int (*sse_event_fn)(const struct sse_event *ev, void *arg);

#define SSE_DEFAULT_MAX_EVENT (1u << 20) /* bytes of one line or one event's data */

/* Parser state. Fields are private; use the functions below. */
struct sse_parser {
	sse_event_fn fn;
	void *arg;
	size_t max; /* limit on a line and on an event's data */
	char *line; /* the line being read */
	size_t line_len, line_cap;
	char *data; /* data of the event being built */
	size_t data_len, data_cap;
	char type[64];    /* event type buffer ("" = none) */
	char id_buf[256]; /* last event ID buffer: set by "id:" lines */
	char id[256];     /* last event ID string: id_buf as of the last dispatch */
	long retry_ms;    /* last "retry:" value, -1 when none */
	bool cr;          /* the last byte was CR: skip one LF */
	bool started;     /* past the optional leading BOM */
	bool skip_line;   /* the line being read passed max: drop it */
	bool overflow;    /* this event passed max: dropped at its blank line */
};

/* max: bytes of one line or of one event's data; 0 gives SSE_DEFAULT_MAX_EVENT.
 * Longer events are dropped whole (not an error: the stream goes on), as are
 * event types over 63 bytes; ids over 255 bytes are ignored. */
void sse_init(struct sse_parser *p, size_t max, sse_event_fn fn, void *arg);
/* Feeds the next bytes of the stream, split anywhere. Calls fn for each event
 * completed. Returns 0, WB_ENOMEM, or fn's non-zero return value. */
int sse_feed(struct sse_parser *p, const char *buf, size_t len);
/* The stream ended or reconnects: drops a half-read event (as the spec says),
 * keeps the last event ID and retry. */
void sse_reset(struct sse_parser *p);
/* The last event ID: send it as Last-Event-ID on reconnect ("" when none). */
const char *sse_last_id(const struct sse_parser *p);
/* The reconnection time the server asked for with "retry:", or -1. */
long sse_retry_ms(const struct sse_parser *p);
/* Releases the buffers; p may be re-initialised. */
void sse_free(struct sse_parser *p);

/* Replaces every occurrence of secret in s (NUL-terminated) with "***": for
 * any message that might quote a token (a config error, a source's answer). */
void net_scrub_secret(char *s, const char *secret);

#endif
