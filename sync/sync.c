/* The sync scheduler: one timer per stream of each configured source; a
 * polled stream reads pages from its cursor until the source has no more,
 * then waits its interval; a page must move the cursor on. Failures, resyncs
 * and --once's limits are sync/stream_fail.c's. One stream failing never
 * holds up the others. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync_internal.h"

void sync_emit(struct sync *sy, enum sync_event_kind kind, const char *source, const char *stream,
               const char *text, size_t records, size_t written)
{
	if (!sy->o.on_event)
		return;
	struct sync_event ev = {kind, source, stream, text ? text : "", records, written};
	sy->o.on_event(sy->o.arg, &ev);
}

uint32_t sync_random(struct sync *sy)
{
	/* xorshift32: jitter only, so nothing here needs to be unpredictable. */
	uint32_t x = sy->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return sy->rng = x;
}

uint64_t sync_backoff_ms(const struct sync *sy, unsigned errors)
{
	unsigned attempt = errors ? errors - 1 : 0;
	uint32_t r = sync_random((struct sync *)sy);
	if (!sy->o.once)
		return net_backoff_ms(attempt, r);
	uint64_t cap = SYNC_ONCE_BACKOFF_BASE_MS << (attempt < 10 ? attempt : 10);
	if (cap > SYNC_ONCE_BACKOFF_CAP_MS)
		cap = SYNC_ONCE_BACKOFF_CAP_MS;
	return 1 + r % cap;
}

int sync_url(const struct config_source *src, const char *path, const char *query, char *buf,
             size_t len)
{
	int n = snprintf(buf, len, "%s%s%s%s", src->url, path, query && *query ? "?" : "",
	                 query ? query : "");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void schedule(struct sync_stream *st, uint64_t ms);

/* --follow: the local pass every 30 s (and once the streams first caught up). */
static void on_detect(uv_timer_t *t)
{
	sync_local_start(t->data);
}

void sync_check_finished(struct sync *sy)
{
	if (!sy->o.once || sy->finished || sy->stopping)
		return;
	for (size_t i = 0; i < sy->nstreams; i++)
		if (!sy->streams[i].done && !sy->streams[i].failed)
			return;
	for (int i = 0; i < CONFIG_NROLES; i++)
		if (sy->senders[i].src && !sy->senders[i].done && !sy->senders[i].failed)
			return;
	sy->finished = true;
	sync_local_once(sy); /* --once: the local pass runs last, over everything synced */
	sync_emit(sy, SYNC_EV_FINISHED, NULL, NULL,
	          sync_failures(sy) ? "finished with failures" : "all streams synced", 0, 0);
}

static void stream_caught_up(struct sync_stream *st)
{
	struct sync *sy = st->sy;
	sync_stream_caught_up(st);
	if (sy->o.once) {
		st->done = true;
		char line[128];
		snprintf(line, sizeof(line), "%" PRId64 " records", st->records);
		sync_emit(sy, SYNC_EV_STREAM_DONE, st->src->name, st->cs->name, line, 0, 0);
		sync_check_finished(sy);
		return;
	}
	if (!st->read_once) {
		st->read_once = true;
		bool all = true;
		for (size_t i = 0; i < sy->nstreams; i++)
			all = all && sy->streams[i].read_once;
		if (all && !sy->local_first) {
			sy->local_first = true;
			sync_local_start(sy);
		}
	}
	if (st->cs->cadence == CADENCE_LIVE) {
		st->caught_up = true;
		sync_live_open(st);
		return;
	}
	schedule(st, (uint64_t)st->interval_s * 1000);
}

void sync_on_page(const struct net_resp *r, void *arg)
{
	struct sync_stream *st = arg;
	struct sync *sy = st->sy;
	st->xfer = 0;
	if (sy->stopping || r->error == NET_ECANCELLED)
		return;
	if (r->error != NET_EOK) {
		sync_stream_failed(
		        st, r->errmsg && *r->errmsg ? r->errmsg : net_errkind_name(r->error), -1);
		return;
	}
	if (sync_page_session_gone(st, r))
		return;
	if (r->status != 200) {
		sync_stream_status(st, r);
		return;
	}
	struct sync_page_result pr;
	struct wb_err err = {0};
	json_t *page;
	struct connector_answer ans = {r->status, r->content_type, r->body, r->body_len};
	int prc = st->src->ops->page_read
	                  ? sync_page_read(st->src->ops, st->cs, st->asked, &ans, &page, &pr, &err)
	                  : sync_page_parse(st->cs, st->src->name, r->body, r->body_len, &page, &pr,
	                                    &err);
	if (prc == WB_ENOTFOUND && st->asked[0]) {
		sync_stream_expired(st, err.msg);
		return;
	}
	if (prc != 0) {
		/* A 200 that is no page may still carry the source's words (an
		 * error member, a login page's title). */
		char said[SYNC_SOURCE_TEXT_MAX], why[sizeof(err.msg) + SYNC_SOURCE_TEXT_MAX + 8];
		if (sync_source_text(r->body, r->body_len, r->content_type, said, sizeof(said)))
			snprintf(why, sizeof(why), "%s (\"%s\")", err.msg, said);
		else
			snprintf(why, sizeof(why), "%s", err.msg);
		sync_stream_failed(st, why, -1);
		return;
	}
	if (!sync_stream_advances(st, &pr)) {
		json_decref(page); /* nothing of it is written */
		return;
	}
	if (st->asked[0])
		st->refused = false; /* it knows its cursors again */
	/* Ask for the next page now, so the source prepares it while this one is
	 * written. Its cursor is only stored with this page's rows; if they fail,
	 * the early request is cancelled and the retry starts from the cache. */
	struct sync_page_result stored = pr;
	if (sync_sweep_used(st) && sync_sweep_wrap(st, pr.next, stored.next, sizeof(stored.next))) {
		json_decref(page);
		sync_stream_failed(st, "page rejected: its \"next\" cursor is too long", -1);
		return;
	}
	if (pr.has_more)
		sync_request_page(st, pr.next);
	int rc = sync_page_write(sy->cache, st->src->ops, st->cs, st->src->name, page, &stored,
	                         &err);
	pr.written = stored.written;
	json_decref(page);
	if (rc != 0) {
		sync_stream_cancel(st);
		sync_stream_failed(st, err.msg, -1);
		return;
	}
	st->errors = 0;
	st->last_why[0] = '\0';
	sync_stream_progressed(st, &pr);
	st->records += (int64_t)pr.records;
	sy->records += (int64_t)pr.records;
	if (pr.last_seq > st->last_seq)
		st->last_seq = pr.last_seq;
	char line[160];
	snprintf(line, sizeof(line), "%zu records, %zu changed%s", pr.records, pr.written,
	         pr.has_more ? ", more to come" : "");
	sync_emit(sy, SYNC_EV_PAGE, st->src->name, st->cs->name, line, pr.records, pr.written);
	if (!pr.has_more && st->cs->entity >= 0 &&
	    cache_resync_active(sy->cache, st->src->name, st->cs->name)) {
		int64_t swept = cache_resync_finish(sy->cache, st->src->name, st->cs->name,
		                                    (enum wb_entity)st->cs->entity, &err);
		if (swept < 0) {
			sync_stream_failed(st, err.msg, -1);
			return;
		}
		snprintf(line, sizeof(line),
		         "resync complete: %" PRId64 " records gone at the source removed", swept);
		sync_emit(sy, SYNC_EV_NOTICE, st->src->name, st->cs->name, line, 0, (size_t)swept);
	}
	if (cache_health_ok(sy->cache, st->src->name, st->cs->name, now_s(), pr.has_more ? -1 : 0,
	                    (int64_t)pr.written, &err) != 0)
		sync_emit(sy, SYNC_EV_ERROR, st->src->name, st->cs->name, err.msg, 0, 0);
	if (!pr.has_more)
		stream_caught_up(st);
}

static void poll_stream(struct sync_stream *st)
{
	char cur[512];
	struct wb_err err = {0};
	if (cache_cursor_get(st->sy->cache, st->src->name, st->cs->name, cur, sizeof(cur), &err) !=
	    0) {
		sync_stream_failed(st, err.msg, -1);
		return;
	}
	if (sync_sweep_used(st)) {
		char kc[512];
		if (sync_sweep_poll(st, cur, kc, sizeof(kc), &err) != 0) {
			sync_stream_failed(st, err.msg, -1);
			return;
		}
		sync_request_page(st, kc);
		return;
	}
	sync_request_page(st, cur);
}

static void on_timer(uv_timer_t *t)
{
	struct sync_stream *st = t->data;
	if (st->sy->stopping || st->xfer)
		return;
	poll_stream(st);
}

static void schedule(struct sync_stream *st, uint64_t ms)
{
	if (!st->sy->stopping && !st->failed)
		uv_timer_start(&st->timer, on_timer, ms, 0);
}

void sync_stream_schedule(struct sync_stream *st, uint64_t ms)
{
	schedule(st, ms);
}

static void on_flush(uv_timer_t *t)
{
	struct sync *sy = t->data;
	for (size_t i = 0; i < sy->nstreams; i++)
		if (sy->streams[i].nbatch)
			sync_live_flush(&sy->streams[i]);
}

/* Positions beyond the retention are pruned a few thousand at a time. */
static void on_prune(uv_timer_t *t)
{
	struct sync *sy = t->data;
	struct wb_err err = {0};
	int64_t keep_ms = (int64_t)sy->cfg->retention_days * 86400 * 1000;
	int64_t n =
	        cache_prune_positions(sy->cache, (int64_t)time(NULL) * 1000, keep_ms, 5000, &err);
	if (n < 0)
		sync_emit(sy, SYNC_EV_ERROR, "cache", "positions", err.msg, 0, 0);
	uv_timer_start(&sy->prune, on_prune, n > 0 ? 50 : 60000, 0);
}

struct sync *sync_new(uv_loop_t *loop, struct net *net, struct cache *c, const struct settings *cfg,
                      const struct sync_opts *o, struct wb_err *err)
{
	struct sync *sy = calloc(1, sizeof(*sy));
	if (!sy) {
		wb_fail(err, WB_ENOMEM, "out of memory");
		return NULL;
	}
	sy->loop = loop;
	sy->net = net;
	sy->cache = c;
	sy->cfg = cfg;
	sy->o = o ? *o : (struct sync_opts){0};
	if (sy->o.page_limit <= 0)
		sy->o.page_limit = 1000;
	if (sy->o.batch_ms <= 0)
		sy->o.batch_ms = 1000;
	sy->rng = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)sy ^ 0x9e3779b9u;
	if (!sy->rng)
		sy->rng = 1;
	size_t total = 0;
	for (int i = 0; i < CONFIG_NROLES; i++) {
		size_t n = 0;
		if (cfg->sources[i].ops) /* an optional role not configured has none */
			cfg->sources[i].ops->streams(cfg->sources[i].name, &n);
		total += n;
	}
	sy->streams = calloc(total ? total : 1, sizeof(*sy->streams));
	if (!sy->streams) {
		free(sy);
		wb_fail(err, WB_ENOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < CONFIG_NROLES; i++) {
		const struct config_source *src = &cfg->sources[i];
		if (!src->ops)
			continue; /* an optional role not configured: no streams, no sender */
		size_t n = 0;
		const struct connector_stream *cs = src->ops->streams(src->name, &n);
		for (size_t j = 0; j < n; j++) {
			/* One owner per record: what a maintenance source owns is
			 * not read from the telematics source too. */
			if (!settings_reads_stream(cfg, src, &cs[j]))
				continue;
			struct sync_stream *st = &sy->streams[sy->nstreams++];
			st->sy = sy;
			st->src = src;
			st->cs = &cs[j];
			st->interval_s = config_interval_s(src, cs[j].name);
			st->ses = sync_session_used(src) ? &sy->sessions[i] : NULL;
			if (st->interval_s <= 0)
				st->interval_s = CONFIG_FAST_DEFAULT_S;
		}
		sy->senders[i].sy = sy;
		sy->senders[i].src = src;
		sync_session_init(&sy->sessions[i], loop, net, src);
		sy->senders[i].ses = sync_session_used(src) ? &sy->sessions[i] : NULL;
	}
	return sy;
}

void sync_start(struct sync *sy)
{
	if (sy->started)
		return;
	sy->started = true;
	uv_timer_init(sy->loop, &sy->flush);
	sy->flush.data = sy;
	uv_timer_init(sy->loop, &sy->prune);
	sy->prune.data = sy;
	uv_timer_init(sy->loop, &sy->detect);
	sy->detect.data = sy;
	if (!sy->o.once) {
		uv_timer_start(&sy->flush, on_flush, (uint64_t)sy->o.batch_ms,
		               (uint64_t)sy->o.batch_ms);
		uv_timer_start(&sy->prune, on_prune, 1000, 0);
		uv_timer_start(&sy->detect, on_detect, SYNC_DETECT_MS, SYNC_DETECT_MS);
	}
	for (size_t i = 0; i < sy->nstreams; i++) {
		struct sync_stream *st = &sy->streams[i];
		uv_timer_init(sy->loop, &st->timer);
		st->timer.data = st;
		uv_timer_init(sy->loop, &st->budget);
		st->budget.data = st;
		sync_stream_progressed(st, NULL);
		/* Spread the first polls a little so three sources do not all ask at once. */
		schedule(st, i * 5);
	}
	for (int i = 0; i < CONFIG_NROLES; i++)
		if (sy->senders[i].src)
			sync_sender_start(&sy->senders[i]);
}

void sync_stop(struct sync *sy)
{
	if (!sy || sy->stopping)
		return;
	sy->stopping = true;
	if (!sy->started)
		return;
	for (size_t i = 0; i < sy->nstreams; i++) {
		struct sync_stream *st = &sy->streams[i];
		if (st->nbatch)
			sync_live_flush(st);
		sync_stream_cancel(st);
		uv_close((uv_handle_t *)&st->timer, NULL);
		uv_close((uv_handle_t *)&st->budget, NULL);
	}
	for (int i = 0; i < CONFIG_NROLES; i++)
		if (sy->senders[i].src)
			uv_close((uv_handle_t *)&sy->senders[i].timer, NULL);
	for (int i = 0; i < CONFIG_NROLES; i++)
		sync_session_stop(&sy->sessions[i]);
	uv_close((uv_handle_t *)&sy->flush, NULL);
	uv_close((uv_handle_t *)&sy->prune, NULL);
	uv_close((uv_handle_t *)&sy->detect, NULL);
	sync_local_stop(sy);
}

void sync_free(struct sync *sy)
{
	if (!sy)
		return;
	for (size_t i = 0; i < sy->nstreams; i++)
		sync_live_free(&sy->streams[i]);
	sync_local_free(sy);
	free(sy->streams);
	free(sy);
}

bool sync_finished(const struct sync *sy)
{
	return sy->finished;
}

int sync_failures(const struct sync *sy)
{
	int n = 0;
	for (size_t i = 0; i < sy->nstreams; i++)
		n += sy->streams[i].failed;
	for (int i = 0; i < CONFIG_NROLES; i++)
		n += sy->senders[i].failed;
	return n + sy->local_failed;
}

void sync_progress(const struct sync *sy, size_t *done, size_t *total, int64_t *records)
{
	size_t d = 0;
	for (size_t i = 0; i < sy->nstreams; i++)
		d += sy->streams[i].done || sy->streams[i].failed;
	*done = d;
	*total = sy->nstreams;
	*records = sy->records;
}
