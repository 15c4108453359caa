/* Positions: a paged list (GET /v1/positions?after=CURSOR) and a live Server-Sent
 * Events stream (GET /v1/positions/stream), each event's id its position sequence,
 * resumable with Last-Event-ID. The ring keeps the newest positions; a reader
 * behind it gets a "reset" event and continues from the oldest kept. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define POS_CURSOR WB_ENT__COUNT

static uint64_t oldest(const struct sim_world *w)
{
	return w->pos_seq > w->pos_cap ? w->pos_seq - w->pos_cap + 1 : 1;
}

/* Caller holds the lock. */
int sim_api_positions(struct sim_req *r, json_t **out)
{
	struct sim_world *w = &r->srv->w;
	const char *after = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "after");
	const char *ls = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "limit");
	long limit = 500;
	if (ls) {
		char *end = NULL;
		limit = strtol(ls, &end, 10);
		if (!*ls || *end || limit < 1 || limit > 5000) {
			*out = sim_error("bad_parameter",
			                 "limit must be an integer from 1 to 5000");
			return 400;
		}
	}
	uint64_t seq = 0;
	if (after && *after) {
		if (sim_cursor_parse(w, POS_CURSOR, after, w->pos_seq, &seq, NULL) != 0) {
			*out = sim_error("bad_cursor",
			                 "the cursor is malformed or not from this list");
			return 400;
		}
		if (seq + 1 < oldest(w) || sim_fault_hit(r->svc, r->svc->f.expire)) {
			*out = sim_error("cursor_expired",
			                 "positions after that cursor are no longer kept");
			return 410;
		}
	}
	uint64_t from = seq + 1 < oldest(w) ? oldest(w) : seq + 1;
	json_t *data = json_array();
	uint64_t s = from;
	for (; s <= w->pos_seq && (long)(s - from) < limit; s++)
		json_array_append_new(data, sim_render_pos(w, &w->pos[s % w->pos_cap]));
	char cur[64];
	sim_cursor_format(w, POS_CURSOR, s - 1, 0, cur, sizeof cur);
	*out = json_pack("{s:o,s:s,s:b}", "data", data, "next", cur, "has_more", s <= w->pos_seq);
	return 200;
}

struct stream {
	struct sim_server *srv;
	struct sim_svc *svc;
	uint64_t next;
	char *buf;
	size_t len, off;
	int reset_sent;
};

static void stream_free(void *cls)
{
	struct stream *st = cls;
	free(st->buf);
	free(st);
}

static int append(struct stream *st, const char *s, size_t n)
{
	char *nb = realloc(st->buf, st->len + n + 1);
	if (!nb)
		return -1;
	st->buf = nb;
	memcpy(st->buf + st->len, s, n);
	st->len += n;
	return 0;
}

/* The badevent fault: the event keeps its id but not its sense, in turn a
 * latitude off the globe, a time in the year 292 million, no vehicle, and data
 * that is not JSON. Returns 1 for the last. */
static int spoil(json_t *j, uint64_t seq)
{
	switch (seq % 4) {
	case 0: json_object_set_new(j, "lat", json_real(1e308)); return 0;
	case 1: json_object_set_new(j, "ts_ms", json_integer(INT64_MAX)); return 0;
	case 2: json_object_del(j, "vehicle_id"); return 0;
	default: return 1;
	}
}

/* Fills the pending buffer with up to 64 events; blocks up to 15 s waiting for
 * news, then sends a comment as keep-alive. Caller holds the lock. */
static int fill(struct stream *st)
{
	struct sim_world *w = &st->srv->w;
	for (int waited = 0; w->pos_seq < st->next && waited < 15; waited++) {
		if (st->srv->quit || w->stopping || st->svc->closing)
			return -1;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		int rc = pthread_cond_timedwait(&w->changed, &w->mu, &ts);
		if (rc != 0 && rc != ETIMEDOUT)
			return -1;
	}
	if (st->srv->quit || w->stopping)
		return -1;
	st->len = st->off = 0;
	if (w->pos_seq < st->next)
		return append(st, ": keep-alive\n\n", 14);
	if (st->next < oldest(w)) {
		char ev[96];
		int n = snprintf(ev, sizeof ev, "event: reset\ndata: {\"oldest\":%llu}\n\n",
		                 (unsigned long long)oldest(w));
		if (append(st, ev, (size_t)n) != 0)
			return -1;
		st->next = oldest(w);
	}
	for (int k = 0; k < 64 && st->next <= w->pos_seq; k++, st->next++) {
		json_t *j = sim_render_pos(w, &w->pos[st->next % w->pos_cap]);
		int broken = j && sim_fault_hit(st->svc, st->svc->f.badevent) && spoil(j, st->next);
		char *d = !j       ? NULL
		          : broken ? strdup("{\"vehicle_id\": ")
		                   : json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
		json_decref(j);
		if (!d)
			return -1;
		char head[64];
		int n = snprintf(head, sizeof head,
		                 "id: %llu\nevent: position\ndata: ", (unsigned long long)st->next);
		int rc = append(st, head, (size_t)n) || append(st, d, strlen(d)) ||
		         append(st, "\n\n", 2);
		free(d);
		if (rc)
			return -1;
	}
	return 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	if (st->off >= st->len) {
		pthread_mutex_lock(&st->srv->w.mu);
		int rc = fill(st);
		pthread_mutex_unlock(&st->srv->w.mu);
		if (rc != 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	size_t n = st->len - st->off;
	if (n > max)
		n = max;
	memcpy(buf, st->buf + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

struct MHD_Response *sim_stream_response(struct sim_req *r, int *status, json_t **err)
{
	struct sim_world *w = &r->srv->w;
	const char *last = sim_req_value(r, MHD_HEADER_KIND, "Last-Event-ID");
	uint64_t next = 0;
	if (last && *last) {
		char *end = NULL;
		unsigned long long v = strtoull(last, &end, 10);
		if (*end || last[0] == '-') {
			*status = 400;
			*err = sim_error("bad_parameter",
			                 "Last-Event-ID must be a position sequence");
			return NULL;
		}
		next = (uint64_t)v + 1;
	}
	struct stream *st = calloc(1, sizeof *st);
	if (!st) {
		*status = 500;
		return NULL;
	}
	st->srv = r->srv;
	st->svc = r->svc;
	pthread_mutex_lock(&w->mu);
	/* without Last-Event-ID the stream starts with what happens from now on */
	st->next = next ? next : w->pos_seq + 1;
	pthread_mutex_unlock(&w->mu);
	struct MHD_Response *resp =
	        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, st, stream_free);
	if (!resp) {
		stream_free(st);
		*status = 500;
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return resp;
}
