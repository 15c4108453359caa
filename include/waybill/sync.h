/* The sync engine: keeps the cache in step with each source, stream by stream,
 * by cursor. A page and its cursor are written in one transaction, so a crash
 * at any instant neither skips nor repeats a record. */
#ifndef WAYBILL_SYNC_H
#define WAYBILL_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/cache.h"
#include "waybill/connector.h"
#include "waybill/err.h"

/* What one page said about the stream. */
struct sync_page_result {
	size_t records;       /* records in the page (tombstones included) */
	size_t written;       /* rows that changed the cache */
	bool has_more;        /* the source has more after this page */
	char next[512];       /* the cursor stored with the page */
	int64_t last_seq;     /* positions: the highest "seq" in the page, 0 if none */
};

/* Parses a page body ({"data":[...],"next":"…","has_more":bool}), maps every
 * record with the stream's connector and writes them together with the new
 * cursor in one transaction. A page that does not parse, or any record that
 * does not map, is rejected whole: nothing is written and err says where it
 * broke (line and column, or the record). While the stream resyncs (see
 * cache_resync_begin) the page's ids are remembered in the same transaction. */
int sync_apply_page(struct cache *c, const struct connector_ops *k,
		    const struct connector_stream *s, const char *source, const char *body,
		    size_t len, struct sync_page_result *r, struct wb_err *err);

/* Writes a batch of live position events (each a JSON object) and the stream's
 * last event id in one transaction. */
int sync_apply_positions(struct cache *c, const struct connector_ops *k, const char *source,
			 const char *stream, json_t *const *events, size_t n, const char *last_id,
			 size_t *added, struct wb_err *err);

#endif
