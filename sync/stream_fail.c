/* How a polled stream fails and recovers: what a page's HTTP status means,
 * reading the stream again when the source forgot (410) or refused (400, 404,
 * 422) the stored cursor, retries with backoff, and --once's limits (failures
 * in a row, resyncs in one pass, SYNC_ONCE_BUDGET_MS without a good page)
 * after which the stream gives up with one line. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/text.h"
#include "sync_internal.h"

/* --once: the stream ends failed; its transfer and retry are dropped. */
static void give_up(struct sync_stream *st, const char *line)
{
	struct sync *sy = st->sy;
	if (st->failed || st->done)
		return;
	st->failed = true;
	uv_timer_stop(&st->timer);
	uv_timer_stop(&st->budget);
	sync_stream_cancel(st); /* on_page sees NET_ECANCELLED and returns */
	sync_emit(sy, SYNC_EV_GAVE_UP, st->src->name, st->cs->name, line, 0, 0);
	sync_check_finished(sy);
}

static void on_budget(uv_timer_t *t)
{
	struct sync_stream *st = t->data;
	char line[400];
	snprintf(line, sizeof(line), "gave up after %u s without a good page: %s",
	         SYNC_ONCE_BUDGET_MS / 1000,
	         st->last_why[0] ? st->last_why
	                         : "no answer from the source (the request was cancelled)");
	give_up(st, line);
}

void sync_stream_progressed(struct sync_stream *st, const struct sync_page_result *pr)
{
	/* The mark moves only with a page written: a page whose write failed is
	 * asked for again and hands back the same cursor, which is no cycle. */
	if (pr && pr->has_more && st->mark_power && ++st->mark_steps == st->mark_power) {
		snprintf(st->mark, sizeof(st->mark), "%s", pr->next);
		st->mark_power *= 2;
		st->mark_steps = 0;
	}
	/* Once the pass has stalled, pages are no progress (they may be the
	 * cycle's): the budget runs on until the stream catches up. */
	if (st->sy->o.once && !st->sy->stopping && !st->failed && !st->done && !st->stalls)
		uv_timer_start(&st->budget, on_budget, SYNC_ONCE_BUDGET_MS, 0);
}

/* A pass begins: from the cursor stored, or from the start after a resync. */
static void pass_begins(struct sync_stream *st)
{
	st->stalls = 0;
	st->mark_power = 0;
}

void sync_stream_caught_up(struct sync_stream *st)
{
	st->resyncs = 0;
	pass_begins(st);
	uv_timer_stop(&st->budget);
}

void sync_stream_failed(struct sync_stream *st, const char *why, long retry_after_s)
{
	struct sync *sy = st->sy;
	if (st->failed)
		return;
	if (st->errors++ == 0)
		st->first_error_ms = uv_now(sy->loop);
	snprintf(st->last_why, sizeof(st->last_why), "%s", why);
	wb_utf8_trim(st->last_why);
	struct wb_err err = {0};
	if (cache_health_error(sy->cache, st->src->name, st->cs->name, (int64_t)time(NULL), why,
	                       &err) != 0)
		sync_emit(sy, SYNC_EV_ERROR, st->src->name, st->cs->name, err.msg, 0, 0);
	char line[700];
	if (sy->o.once && st->errors >= SYNC_ONCE_MAX_ERRORS &&
	    uv_now(sy->loop) - st->first_error_ms >= SYNC_ONCE_MIN_OUTAGE_MS) {
		snprintf(line, sizeof(line), "gave up after %u failures in a row: %s", st->errors,
		         why);
		give_up(st, line);
		return;
	}
	uint64_t ms = retry_after_s >= 0 ? (uint64_t)retry_after_s * 1000
	                                 : sync_backoff_ms(sy, st->errors);
	snprintf(line, sizeof(line), "%s; retry in %.1f s (%u in a row)", why, (double)ms / 1000.0,
	         st->errors);
	sync_emit(sy, SYNC_EV_ERROR, st->src->name, st->cs->name, line, 0, 0);
	sync_stream_schedule(st, ms);
}

bool sync_stream_advances(struct sync_stream *st, const struct sync_page_result *pr)
{
	if (!pr->has_more)
		return true; /* the last page may well hand back the cursor it was asked from */
	if (!st->mark_power) {
		snprintf(st->mark, sizeof(st->mark), "%s", st->asked);
		st->mark_power = 1;
		st->mark_steps = 0;
	}
	const char *why = NULL;
	if (pr->records == 0)
		why = "an empty page that says it has more";
	else if (strcmp(pr->next, st->asked) == 0)
		why = "it answered with the cursor it was asked from";
	else if (strcmp(pr->next, st->mark) == 0)
		why = "it came back to a cursor it gave before";
	if (!why)
		return true;
	/* The pages between two stalls reset the failures in a row, so the
	 * stalls of the pass count on their own: a source cycling through its
	 * cursors still runs out of retries. */
	st->stalls++;
	if (st->errors < st->stalls - 1)
		st->errors = st->stalls - 1;
	char line[200];
	snprintf(line, sizeof(line), "the source's cursor does not advance (%s)", why);
	sync_stream_failed(st, line, -1);
	return false;
}

/* Reads the stream again from its start; the pages of the pass are
 * remembered, and what the source no longer has is swept when it ends
 * (cache_resync_*). The first resync of a pass starts at once; another in the
 * same pass waits like a retry, and --once gives up after as many as it
 * allows failures, so a source that forgets every cursor cannot spin us. */
static void resync(struct sync_stream *st, const char *notice)
{
	struct sync *sy = st->sy;
	struct wb_err err = {0};
	int rc = st->cs->entity >= 0
	                 ? cache_resync_begin(sy->cache, st->src->name, st->cs->name, &err)
	                 : cache_cursor_reset(sy->cache, st->src->name, st->cs->name, &err);
	if (rc != 0) {
		sync_stream_failed(st, err.msg, -1);
		return;
	}
	st->resyncs++;
	pass_begins(st);
	snprintf(st->last_why, sizeof(st->last_why), "%s", notice);
	wb_utf8_trim(st->last_why);
	if (sy->o.once && st->resyncs > SYNC_ONCE_MAX_ERRORS) {
		char line[700];
		snprintf(line, sizeof(line),
		         "gave up after %u reads from the start: the source keeps losing the "
		         "cursor (%s)",
		         st->resyncs - 1, notice);
		give_up(st, line);
		return;
	}
	char line[700];
	snprintf(line, sizeof(line), "%s; reading the stream again from the start", notice);
	sync_emit(sy, SYNC_EV_NOTICE, st->src->name, st->cs->name, line, 0, 0);
	sync_stream_schedule(st, st->resyncs > 1 ? sync_backoff_ms(sy, st->resyncs - 1) : 0);
}

void sync_stream_expired(struct sync_stream *st, const char *why)
{
	char line[600];
	snprintf(line, sizeof(line), "the cursor expired at the source (%s)", why);
	resync(st, line);
}

void sync_stream_status(struct sync_stream *st, const struct net_resp *r)
{
	/* The source's own words, quoted after ours: ours say what it means for
	 * the stream, its own say why (a cursor it does not know, a bad token). */
	char said[SYNC_SOURCE_TEXT_MAX], quoted[SYNC_SOURCE_TEXT_MAX + 8] = "";
	if (sync_source_text(r->body, r->body_len, r->content_type, said, sizeof(said)) > 0)
		snprintf(quoted, sizeof(quoted), " (\"%s\")", said);
	char why[600];
	if (r->status == 410) {
		snprintf(why, sizeof(why), "the cursor expired at the source (HTTP 410%s%s)",
		         said[0] ? ": " : "", said);
		resync(st, why);
		return;
	}
	/* A cursor the source does not know (restored from a backup, a cache moved
	 * to another source) is answered 400, 404 or 422. Read the stream again
	 * once; if the source refuses again before it has accepted any cursor, it
	 * is not the cursor, and that is an ordinary failure. */
	bool refusal = r->status == 400 || r->status == 404 || r->status == 422;
	if (refusal && st->asked[0] && !st->refused) {
		st->refused = true;
		snprintf(why, sizeof(why), "the source refused the stored cursor (HTTP %ld%s%s)",
		         r->status, said[0] ? ": " : "", said);
		resync(st, why);
		return;
	}
	if ((r->status == 401 || r->status == 403) && st->ses)
		snprintf(why, sizeof(why),
		         "HTTP %ld: %s refused the request to %s; check its rights%s", r->status,
		         st->src->kind, st->src->user ? st->src->user : "the user", quoted);
	else if (r->status == 401 || r->status == 403)
		snprintf(why, sizeof(why), "HTTP %ld: the token was refused; check the config%s",
		         r->status, quoted);
	else if (r->status == 429)
		snprintf(why, sizeof(why), "HTTP 429: rate limited%s", quoted);
	else
		snprintf(why, sizeof(why), "HTTP %ld from %s%s", r->status, st->cs->path, quoted);
	sync_stream_failed(st, why, r->status == 429 ? r->retry_after_s : -1);
}
