/* JSON from a source parsed within a memory cap. jansson builds a tree that
 * costs 9-10x the text for real records but up to about 77x for hostile ones
 * ({"data":[{},{},...]}), so a page's parse is bounded by what it allocates,
 * not by its length: the bound that keeps `waybill sync --once` under 128 MB
 * of RSS beside the transport's own (net/net.h). */
#ifndef WAYBILL_SYNC_JSON_CAP_H
#define WAYBILL_SYNC_JSON_CAP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* What one page's parse may allocate: an ordinary 3 MB page of records fits
 * (pages of 1000 records are 0.2-1 MB). */
#define SYNC_PAGE_PARSE_MAX (32u << 20)

/* json_loadb, failing once the parse has allocated more than cap bytes: then
 * it returns NULL with *over set (je says "out of memory"). Allocations on
 * other threads are not counted. */
json_t *sync_json_loadb_capped(const char *buf, size_t len, size_t flags, size_t cap,
                               json_error_t *je, bool *over);

/* The same cap around any code that builds JSON from what a source sent (a
 * kind's page_read parsing its answer): begin, build, then end says whether
 * an allocation was refused (the code saw NULLs and failed). Not nested; the
 * tree made may be freed at any time. */
void sync_json_cap_begin(size_t cap);
bool sync_json_cap_end(void);

#endif
