/* The live event stream (telematics positions over Server-Sent Events):
 * opened once the stream's pages are caught up, resumed with Last-Event-ID
 * after a drop, and written to the cache in batches, never an event at a time.
 * Its health is kept under "<stream>_live", beside its cursor: a batch, and a
 * keep-alive comment from a connected stream that has nothing new, both mean
 * the stream is live (view_source_state judges it by VIEW_KEEPALIVE_S). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_cap.h"
#include "sync_internal.h"

/* A batch is written at once when it holds this many events, or this many
 * bytes of them: a position is about 250 bytes, so the byte bound only bites
 * on a hostile stream, whose events would otherwise be held as trees of up to
 * 77x their text (sync/json_cap.h) until the next flush. */
#define LIVE_BATCH_MAX 2000
#define LIVE_BATCH_BYTES (256u << 10)
/* One event's data (SSE_DEFAULT_MAX_EVENT is 1 MiB): longer ones are dropped
 * by the parser; and what parsing one may allocate. */
#define LIVE_EVENT_MAX (16u << 10)
#define LIVE_EVENT_PARSE_MAX (2u << 20)

static void live_retry(struct sync_stream *st, const char *why);

/* The event stream's own row in sync_state: "<stream>_live". */
static void live_name(const struct sync_stream *st, char *buf, size_t len)
{
	snprintf(buf, len, "%s_live", st->cs->name);
}

void sync_live_flush(struct sync_stream *st)
{
	struct sync *sy = st->sy;
	if (!st->nbatch)
		return;
	char last[32];
	snprintf(last, sizeof(last), "%" PRId64, st->last_seq);
	struct sync_events_result res;
	struct wb_err err = {0};
	/* The last event id is the live cursor, kept under its own stream name
	 * beside the page cursor and written in the batch's transaction. */
	char stream[64];
	live_name(st, stream, sizeof(stream));
	int rc = sync_apply_positions(sy->cache, st->src->ops, st->src->name, stream, st->batch,
	                              st->nbatch, last, &res, &err);
	size_t n = st->nbatch;
	for (size_t i = 0; i < st->nbatch; i++)
		json_decref(st->batch[i]);
	st->nbatch = 0;
	st->batch_bytes = 0;
	st->batch_bad = 0;
	if (rc != 0) {
		sync_emit(sy, SYNC_EV_ERROR, st->src->name, st->cs->name, err.msg, 0, 0);
		cache_health_error(sy->cache, st->src->name, stream, (int64_t)time(NULL), err.msg,
		                   NULL);
		return;
	}
	int64_t now = (int64_t)time(NULL);
	int64_t lag = st->latest_ts_ms ? now - st->latest_ts_ms / 1000 : -1;
	if (lag < 0 && st->latest_ts_ms)
		lag = 0;
	cache_health_ok(sy->cache, st->src->name, stream, now, lag, (int64_t)res.added, NULL);
	st->live_ok_at = now;
	st->records += (int64_t)n;
	sy->records += (int64_t)n;
	char line[512];
	int len = snprintf(line, sizeof(line), "%zu events, %zu new, last %s", n, res.added, last);
	if (res.rejected && len > 0 && (size_t)len < sizeof(line))
		snprintf(line + len, sizeof(line) - (size_t)len, "; %zu rejected (first: %s)",
		         res.rejected, res.first_reject);
	sync_emit(sy, SYNC_EV_BATCH, st->src->name, st->cs->name, line, n, res.added);
}

static int on_event(const struct sse_event *ev, void *arg)
{
	struct sync_stream *st = arg;
	if (!strcmp(ev->type, "reset")) {
		sync_emit(st->sy, SYNC_EV_ERROR, st->src->name, st->cs->name,
		          "the source dropped events we had not read; positions may have a gap", 0,
		          0);
		return 0;
	}
	if (strcmp(ev->type, "position") != 0 && strcmp(ev->type, "message") != 0)
		return 0;
	json_error_t je;
	bool over = false;
	json_t *rec =
	        sync_json_loadb_capped(ev->data, ev->data_len, 0, LIVE_EVENT_PARSE_MAX, &je, &over);
	if (!rec) {
		/* Said once a batch: a stream of bad events must not flood the log. */
		if (!st->batch_bad++) {
			char why[300];
			snprintf(why, sizeof(why), "malformed event %.40s at column %d: %s", ev->id,
			         je.column, over ? "too big to parse" : je.text);
			sync_emit(st->sy, SYNC_EV_ERROR, st->src->name, st->cs->name, why, 0, 0);
		}
		/* Kept in the batch as a null, which the connector refuses: it is
		 * counted with the other rejects and the cursor moves past it. */
		rec = json_null();
	}
	if (st->nbatch == st->capbatch) {
		size_t cap = st->capbatch ? st->capbatch * 2 : 256;
		json_t **nb = realloc(st->batch, cap * sizeof(*nb));
		if (!nb) {
			json_decref(rec);
			return 1;
		}
		st->batch = nb;
		st->capbatch = cap;
	}
	st->batch[st->nbatch++] = rec;
	st->batch_bytes += ev->data_len;
	char *end;
	long long seq = strtoll(ev->id, &end, 10);
	if (*ev->id && !*end && seq > st->last_seq)
		st->last_seq = seq;
	json_int_t ts = json_integer_value(json_object_get(rec, "ts_ms"));
	if (ts > st->latest_ts_ms)
		st->latest_ts_ms = ts;
	if (st->nbatch >= LIVE_BATCH_MAX || st->batch_bytes >= LIVE_BATCH_BYTES)
		sync_live_flush(st);
	return 0;
}

/* Bytes from a connected stream: events, or a keep-alive comment (": ...")
 * when the source has nothing new. With no batch waiting, the stream is
 * caught up with its source: recorded as live with no lag, at most once a
 * second (a batch records its own health when it is written). */
static int on_chunk(const char *data, size_t len, long status, void *arg)
{
	struct sync_stream *st = arg;
	st->errors = 0;
	int rc = sse_feed(&st->sse, data, len);
	int64_t now = (int64_t)time(NULL);
	if (rc == 0 && st->nbatch == 0 && now > st->live_ok_at) {
		char stream[64];
		live_name(st, stream, sizeof(stream));
		struct wb_err err = {0};
		if (cache_health_ok(st->sy->cache, st->src->name, stream, now, 0, 0, &err) == 0)
			st->live_ok_at = now;
		else
			sync_emit(st->sy, SYNC_EV_ERROR, st->src->name, st->cs->name, err.msg, 0,
			          0);
	}
	return rc;
}

static void on_done(const struct net_resp *r, void *arg)
{
	struct sync_stream *st = arg;
	st->xfer = 0;
	if (st->sy->stopping || r->error == NET_ECANCELLED)
		return;
	sync_live_flush(st);
	sse_reset(&st->sse);
	char why[600];
	if (r->error != NET_EOK)
		snprintf(why, sizeof(why), "event stream ended: %s", r->errmsg);
	else
		snprintf(why, sizeof(why), "event stream ended with HTTP %ld", r->status);
	live_retry(st, why);
}

static void on_reopen(uv_timer_t *t)
{
	struct sync_stream *st = t->data;
	if (!st->sy->stopping && !st->xfer)
		sync_live_open(st);
}

static void live_retry(struct sync_stream *st, const char *why)
{
	struct sync *sy = st->sy;
	st->errors++;
	char stream[64];
	live_name(st, stream, sizeof(stream));
	cache_health_error(sy->cache, st->src->name, stream, (int64_t)time(NULL), why, NULL);
	uint64_t ms = sync_backoff_ms(sy, st->errors);
	char line[700];
	snprintf(line, sizeof(line), "%s; reconnecting in %.1f s", why, (double)ms / 1000.0);
	sync_emit(sy, SYNC_EV_ERROR, st->src->name, st->cs->name, line, 0, 0);
	uv_timer_start(&st->timer, on_reopen, ms, 0);
}

void sync_live_open(struct sync_stream *st)
{
	struct sync *sy = st->sy;
	if (!st->sse.fn)
		sse_init(&st->sse, LIVE_EVENT_MAX, on_event, st);
	char url[1400], last[32];
	if (sync_url(st->src, st->cs->live_path, NULL, url, sizeof(url)) != 0) {
		live_retry(st, "URL too long");
		return;
	}
	snprintf(last, sizeof(last), "%" PRId64, st->last_seq);
	struct net_req req = {.url = url,
	                      .bearer = st->src->token,
	                      .ca_file = st->src->ca_file,
	                      .last_event_id = st->last_seq > 0 ? last : NULL};
	struct wb_err err = {0};
	/* Opened right after the pages caught up (not a reconnect): the stream is
	 * as fresh as that catch-up until its first event or keep-alive, which a
	 * quiet source may send only VIEW_KEEPALIVE_S later. */
	if (st->errors == 0) {
		char stream[64];
		live_name(st, stream, sizeof(stream));
		int64_t now = (int64_t)time(NULL);
		if (cache_health_ok(sy->cache, st->src->name, stream, now, 0, 0, &err) == 0)
			st->live_ok_at = now;
	}
	int64_t id = net_stream(sy->net, &req, on_chunk, on_done, st, &err);
	if (id < 0) {
		live_retry(st, err.msg);
		return;
	}
	st->xfer = id;
}

void sync_live_free(struct sync_stream *st)
{
	for (size_t i = 0; i < st->nbatch; i++)
		json_decref(st->batch[i]);
	free(st->batch);
	st->batch = NULL;
	st->nbatch = st->capbatch = 0;
	if (st->sse.fn)
		sse_free(&st->sse);
}
