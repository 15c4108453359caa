/* Applying what a source sent: a page of records, or a batch of live events,
 * written with its cursor in one transaction or not at all. A page is refused
 * whole when one record is bad; a batch of events keeps its good ones. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/json_cap.h"
#include "sync/sync.h"

/* The line that shows this names the source and the stream already (the
 * sync event carries them), so the message does not. */
static int page_fail(struct wb_err *err, const char *what)
{
	return wb_fail(err, WB_EINVALID, "page rejected: %s", what);
}

static int map_all(const struct connector_ops *k, const struct connector_stream *s,
                   const char *source, json_t *data, void *rows, struct wb_position *pos,
                   struct wb_err *err)
{
	size_t size = s->entity >= 0 ? wb_entity_info((enum wb_entity)s->entity)->size : 0;
	size_t i;
	json_t *rec;
	json_array_foreach(data, i, rec)
	{
		struct wb_err rerr = {0};
		int rc = s->entity >= 0
		                 ? k->map_record(s, source, rec, (char *)rows + i * size, &rerr)
		                 : k->map_position(rec, &pos[i], &rerr);
		if (rc != 0) {
			char what[600];
			snprintf(what, sizeof(what), "record %zu: %s", i, rerr.msg);
			return page_fail(err, what);
		}
	}
	return 0;
}

static int mark_seen(struct cache *c, const char *source, const struct connector_stream *s,
                     const void *rows, size_t n, struct wb_err *err)
{
	size_t size = wb_entity_info((enum wb_entity)s->entity)->size;
	const char **ids = calloc(n, sizeof(*ids));
	if (!ids)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		ids[i] =
		        ((const struct wb_meta *)(const void *)((const char *)rows + i * size))->id;
	int rc = cache_resync_mark(c, source, s->name, ids, n, err);
	free(ids);
	return rc;
}

int sync_page_check(json_t *page, struct sync_page_result *r, struct wb_err *err)
{
	memset(r, 0, sizeof(*r));
	json_t *data = json_object_get(page, "data");
	json_t *next = json_object_get(page, "next");
	json_t *more = json_object_get(page, "has_more");
	int rc = 0;
	if (!json_is_object(page) || !json_is_array(data))
		rc = page_fail(err, "no \"data\" array");
	else if (!json_is_string(next) || json_string_length(next) >= sizeof(r->next))
		rc = page_fail(err, "no usable \"next\" cursor");
	else if (more && !json_is_boolean(more))
		rc = page_fail(err, "\"has_more\" is not a boolean");
	if (rc != 0)
		return rc;
	r->records = json_array_size(data);
	r->has_more = json_is_true(more);
	snprintf(r->next, sizeof(r->next), "%s", json_string_value(next));
	size_t i;
	json_t *rec;
	json_array_foreach(data, i, rec)
	{
		json_int_t seq = json_integer_value(json_object_get(rec, "seq"));
		if (seq > r->last_seq)
			r->last_seq = seq;
	}
	return 0;
}

int sync_page_parse(const struct connector_stream *s, const char *source, const char *body,
                    size_t len, json_t **out, struct sync_page_result *r, struct wb_err *err)
{
	memset(r, 0, sizeof(*r));
	*out = NULL;
	json_error_t je;
	bool over;
	json_t *page = sync_json_loadb_capped(body, len, JSON_REJECT_DUPLICATES,
	                                      SYNC_PAGE_PARSE_MAX, &je, &over);
	if (!page) {
		char what[300];
		if (over)
			snprintf(what, sizeof(what),
			         "its %zu bytes of JSON need more than %u MiB of memory to parse",
			         len, SYNC_PAGE_PARSE_MAX >> 20);
		else
			snprintf(what, sizeof(what),
			         "malformed JSON at line %d column %d (byte %d): %s", je.line,
			         je.column, je.position, je.text);
		return page_fail(err, what);
	}
	int rc = sync_page_check(page, r, err);
	if (rc != 0) {
		json_decref(page);
		return rc;
	}
	*out = page;
	return 0;
}

int sync_page_write(struct cache *c, const struct connector_ops *k,
                    const struct connector_stream *s, const char *source, json_t *page,
                    struct sync_page_result *r, struct wb_err *err)
{
	json_t *data = json_object_get(page, "data");
	size_t n = json_array_size(data);
	void *rows = NULL;
	struct wb_position *pos = NULL;
	if (s->entity >= 0)
		rows = calloc(n ? n : 1, wb_entity_info((enum wb_entity)s->entity)->size);
	else
		pos = calloc(n ? n : 1, sizeof(*pos));
	if (!rows && !pos)
		return wb_fail(err, WB_ENOMEM, "out of memory for %zu records", n);
	int rc = map_all(k, s, source, data, rows, pos, err);
	if (rc == 0)
		rc = cache_begin(c, err);
	if (rc == 0) {
		if (s->entity >= 0)
			rc = cache_upsert(c, (enum wb_entity)s->entity, rows, n, &r->written, err);
		else
			rc = cache_add_positions(c, pos, n, &r->written, err);
		if (rc == 0 && s->entity >= 0 && n && cache_resync_active(c, source, s->name))
			rc = mark_seen(c, source, s, rows, n, err);
		if (rc == 0)
			rc = cache_cursor_set(c, source, s->name, r->next, err);
		if (rc == 0)
			rc = cache_commit(c, err);
		else
			cache_rollback(c);
	}
	free(rows);
	free(pos);
	return rc;
}

int sync_page_read(const struct connector_ops *k, const struct connector_stream *s,
                   const char *cursor, const struct connector_answer *a, json_t **out,
                   struct sync_page_result *r, struct wb_err *err)
{
	memset(r, 0, sizeof(*r));
	*out = NULL;
	json_t *page = NULL;
	struct wb_err kerr = {0};
	/* The kind parses what the source sent: within the same cap as a page. */
	sync_json_cap_begin(SYNC_PAGE_PARSE_MAX);
	int rc = k->page_read(s, cursor, a, &page, &kerr);
	bool over = sync_json_cap_end();
	if (over) {
		json_decref(page);
		char what[200];
		snprintf(what, sizeof(what),
		         "its %zu bytes of JSON need more than %u MiB of memory to read",
		         a->body_len, SYNC_PAGE_PARSE_MAX >> 20);
		return page_fail(err, what);
	}
	if (rc == WB_ENOTFOUND) { /* the source no longer serves the cursor */
		json_decref(page);
		return wb_fail(err, WB_ENOTFOUND, "%s", kerr.msg);
	}
	if (rc != 0 || !page) {
		json_decref(page);
		return page_fail(err, kerr.msg[0] ? kerr.msg : "the kind could not read it");
	}
	if ((rc = sync_page_check(page, r, err)) != 0) {
		json_decref(page);
		return rc;
	}
	*out = page;
	return 0;
}

int sync_apply_page(struct cache *c, const struct connector_ops *k,
                    const struct connector_stream *s, const char *source, const char *body,
                    size_t len, struct sync_page_result *r, struct wb_err *err)
{
	json_t *page;
	int rc = sync_page_parse(s, source, body, len, &page, r, err);
	if (rc == 0)
		rc = sync_page_write(c, k, s, source, page, r, err);
	json_decref(page);
	if (rc != 0) {
		struct sync_page_result empty = {0};
		*r = empty;
	}
	return rc;
}

int sync_apply_positions(struct cache *c, const struct connector_ops *k, const char *source,
                         const char *stream, json_t *const *events, size_t n, const char *last_id,
                         struct sync_events_result *r, struct wb_err *err)
{
	memset(r, 0, sizeof(*r));
	struct wb_position *pos = calloc(n ? n : 1, sizeof(*pos));
	if (!pos)
		return wb_fail(err, WB_ENOMEM, "out of memory for %zu events", n);
	/* Events are independent facts, each with its own id: one the connector
	 * refuses costs only itself (pages, by contrast, are one transaction with
	 * their cursor and are refused whole). */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct wb_err e = {0};
		if (k->map_position(events[i], &pos[m], &e) == 0) {
			m++;
			continue;
		}
		if (!r->rejected++)
			snprintf(r->first_reject, sizeof(r->first_reject), "%.299s", e.msg);
	}
	int rc = cache_begin(c, err);
	if (rc == 0) {
		rc = cache_add_positions(c, pos, m, &r->added, err);
		if (rc == 0)
			rc = cache_health_rejected(c, source, stream, (int64_t)r->rejected, err);
		if (rc == 0 && last_id)
			rc = cache_cursor_set(c, source, stream, last_id, err);
		if (rc == 0)
			rc = cache_commit(c, err);
		else
			cache_rollback(c);
	}
	if (rc != 0)
		r->added = 0;
	free(pos);
	return rc;
}
