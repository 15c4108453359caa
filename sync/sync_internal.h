/* Private to the sync engine's files: sync/sync.c (the scheduler and polled
 * streams), sync/stream_fail.c (their failures), sync/live.c (the live event
 * stream), sync/sender.c (the outbox). */
#ifndef WAYBILL_SYNC_INTERNAL_H
#define WAYBILL_SYNC_INTERNAL_H

#include <uv.h>

#include "settings/settings.h"
#include "net/net.h"
#include "sync/session.h"
#include "sync/sync.h"

/* A stream's xfer while its request waits for its source's sign-in. */
#define SYNC_XFER_SIGNING_IN ((int64_t)-1)

/* --once gives a stream this many failures in a row before giving up; the
 * backoff between them is short so a test of faults finishes in seconds. */
#define SYNC_ONCE_MAX_ERRORS 12
#define SYNC_ONCE_BACKOFF_BASE_MS 50u
#define SYNC_ONCE_BACKOFF_CAP_MS 1000u
/* --once gives a stream this long without a good page, whatever it is doing,
 * before giving up (the request in flight is cancelled). The bound is
 * 30 s for every bad case; 20 s leaves room for the local pass and exit and is
 * longer than the transport's own limits on one slow request. */
#define SYNC_ONCE_BUDGET_MS 20000u
/* ... and gives up on failures in a row only once they span this long: a
 * source restarting for a few seconds is ridden out whatever the jitter drew
 * (twelve short backoffs can pass in under a second). */
#define SYNC_ONCE_MIN_OUTAGE_MS 5000u

struct sync_stream {
	struct sync *sy;
	const struct config_source *src;
	const struct connector_stream *cs;
	uv_timer_t timer;
	uv_timer_t budget; /* --once: SYNC_ONCE_BUDGET_MS from the last good page */
	int64_t xfer;      /* transfer in flight, 0 when none, SYNC_XFER_SIGNING_IN */
	char asked[512];   /* the cursor that transfer asked from ("" the start) */
	/* A kind that signs in (sync/session.c): the source's session, this
	 * stream's place in its queue, the session the request in flight used,
	 * and whether that request is already the retry after a lost session. */
	struct sync_session *ses;
	struct sync_session_waiter wait;
	uint64_t ses_gen;
	bool resigned;
	/* A kind with scheduled full passes (sweep_s, sync/sweep.c): when the
	 * pass the stored cursor belongs to began (epoch s, 0: never), and
	 * whether this run began one (--once begins at most one). */
	int64_t sweep_at;
	bool swept;
	unsigned errors;    /* failures in a row */
	unsigned resyncs;   /* reads from the start since the stream last caught up */
	bool refused;       /* the source refused a stored cursor and has accepted none since */
	char last_why[300]; /* the last failure, for the line that gives up */
	/* Since the stream last caught up: pages that did not move the cursor on,
	 * and a cursor of the pass to compare each new one with (Brent's cycle
	 * detection: mark moves to the newest after 1, 2, 4, ... pages). */
	unsigned stalls, mark_steps, mark_power;
	uint64_t first_error_ms; /* loop time of the first of the failures in a row */
	char mark[512];
	int interval_s;
	bool done, failed; /* --once */
	bool caught_up;    /* live: the pages are read, the event stream may open */
	bool read_once;    /* --follow: read to its end at least once */
	int64_t records;
	/* live (net/live.c) */
	struct sse_parser sse;
	json_t **batch;
	size_t nbatch, capbatch;
	size_t batch_bytes; /* the batch's event text, bounded (live.c LIVE_BATCH_BYTES) */
	unsigned batch_bad; /* events of the batch that were not JSON */
	int64_t last_seq;   /* the newest event seen, for Last-Event-ID */
	int64_t latest_ts_ms;
	int64_t live_ok_at; /* when the event stream's health last said it was heard */
};

struct sync_sender {
	struct sync *sy;
	const struct config_source *src;
	struct sync_session *ses; /* the source's session (kinds that sign in) */
	uv_timer_t timer;
	int inflight;
	unsigned errors;   /* transient failures in a row */
	bool done, failed; /* --once */
};

/* --follow: the local pass (sync/local_pass.c) runs once every stream has been read
 * to its end (so it judges a whole picture, not half a first sync), and every
 * SYNC_DETECT_MS. */
#define SYNC_DETECT_MS 30000

struct sync_local_job;

struct sync {
	uv_loop_t *loop;
	struct net *net;
	struct cache *cache;
	const struct settings *cfg;
	struct sync_opts o;
	struct sync_stream *streams;
	size_t nstreams;
	struct sync_sender senders[CONFIG_NROLES];
	struct sync_session sessions[CONFIG_NROLES]; /* kinds that sign in, by source */
	uv_timer_t flush;                            /* writes live batches */
	uv_timer_t prune;                            /* keeps positions within retention */
	uv_timer_t detect;            /* --follow: starts the local pass (sync/local_pass.c) */
	struct sync_local_job *local; /* the pass reading on the thread pool, or NULL */
	struct cache *rconn;          /* its read-only connection, opened on first use */
	int64_t fuel_since; /* fuel purchases synced before were judged (detect_plan_since) */
	bool local_first;   /* the first pass after the streams caught up was started */
	int local_failed;   /* local passes that ended in an error (sync_failures counts them) */
	uint32_t rng;
	bool started, stopping, finished;
	int64_t records;
};

void sync_emit(struct sync *sy, enum sync_event_kind kind, const char *source, const char *stream,
               const char *text, size_t records, size_t written);
uint32_t sync_random(struct sync *sy);
/* Delay before the next try after `errors` failures in a row. */
uint64_t sync_backoff_ms(const struct sync *sy, unsigned errors);
/* Builds base URL + path + query into buf. */
int sync_url(const struct config_source *src, const char *path, const char *query, char *buf,
             size_t len);
void sync_check_finished(struct sync *sy);
/* Polls the stream after ms (sync/sync.c). */
void sync_stream_schedule(struct sync_stream *st, uint64_t ms);
/* sync/request.c: asks for the page after cur ("" the start of a full pass);
 * its answer goes to sync_on_page (sync/sync.c). */
void sync_request_page(struct sync_stream *st, const char *cur);
void sync_on_page(const struct net_resp *r, void *arg);
/* A kind that signs in: the answer says the session is gone; signs in again
 * and asks once more (or fails the stream). true when the answer is dealt with. */
bool sync_page_session_gone(struct sync_stream *st, const struct net_resp *r);
/* Cancels the stream's request in flight, or its wait for the sign-in. */
void sync_stream_cancel(struct sync_stream *st);

/* sync/sweep.c: scheduled full passes for kinds without a deletion log. The
 * stored cursor of such a stream is "T<epoch s the pass began>;<kind's
 * cursor>", so when the last sweep began survives restarts with the cursor. */
/* Whether st's kind sweeps it on a schedule. */
bool sync_sweep_used(const struct sync_stream *st);
/* From the stored cursor: the kind's cursor to read from (into kc), having
 * begun a full pass when one is due (kc then ""). Fills st->sweep_at. */
int sync_sweep_poll(struct sync_stream *st, const char *stored, char *kc, size_t len,
                    struct wb_err *err);
/* The cursor to store for the kind's next: wrapped with st->sweep_at. */
int sync_sweep_wrap(const struct sync_stream *st, const char *next, char *out, size_t len);

/* sync/stream_fail.c: how a polled stream fails, recovers or gives up. */
/* A stream failed an attempt: health, event, and a retry (or, --once, giving up). */
void sync_stream_failed(struct sync_stream *st, const char *why, long retry_after_s);
/* A page answered with an HTTP status other than 200. */
void sync_stream_status(struct sync_stream *st, const struct net_resp *r);
/* The kind read a 200 that says the cursor asked from is no longer usable
 * (page_read's WB_ENOTFOUND: Geotab's JSON-RPC error for a feed version it
 * cannot serve): read the stream again from its start, as for HTTP 410. */
void sync_stream_expired(struct sync_stream *st, const char *why);
/* Whether a page moves the stream on: false (and the stream failed) for a
 * page that says it has more but brings nothing, answers with the cursor it
 * was asked from, or comes back to a cursor of this pass. */
bool sync_stream_advances(struct sync_stream *st, const struct sync_page_result *pr);
/* A good page was written: --once's budget starts again (also called at
 * start, with pr NULL). */
void sync_stream_progressed(struct sync_stream *st, const struct sync_page_result *pr);
/* The stream caught up: the resync count of the pass starts again. */
void sync_stream_caught_up(struct sync_stream *st);

/* sync/whoami.c: reads a who-am-I answer into w. */
void sync_whoami_judge(const struct config_source *src, const struct net_resp *r,
                       struct sync_whoami *w);
/* sync/doctor.c: who am I for a source that signs in. */
int sync_whoami_session_start(struct net *n, const struct config_source *src, long timeout_ms,
                              sync_whoami_fn done, void *arg, struct wb_err *err);

/* sync/local_pass.c: the local pass (detectors, workflow, KPIs). */
void sync_local_once(struct sync *sy);  /* all of it now, on the engine's connection */
void sync_local_start(struct sync *sy); /* read on the thread pool, written on the loop */
void sync_local_stop(struct sync *sy);
void sync_local_free(struct sync *sy);

/* net/live.c */
void sync_live_open(struct sync_stream *st);
void sync_live_flush(struct sync_stream *st);
void sync_live_free(struct sync_stream *st);

/* sync/sender.c */
void sync_sender_start(struct sync_sender *sd);
void sync_sender_kick(struct sync_sender *sd);

#endif
