/* The page parser and writer: sync_page_parse on a body, then sync_page_write of
 * what parsed into a real cache (a SQLite file on /dev/shm, one per process).
 * The first byte picks the stream (its low five bits) and whether the page
 * arrives during a resync (bit 0x20: cache_resync_begin before, finish after). */
#include <ftw.h>
#include <jansson.h>

#include "cache/cache.h"
#include "sync/sync.h"
#include "fuzz.h"

static char dir[256];
static struct cache *cache;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	cache_close(cache);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static struct cache *the_cache(void)
{
	if (cache)
		return cache;
	char path[320];
	snprintf(path, sizeof(path), "%s/cache.db", fuzz_tmpdir(dir, sizeof(dir)));
	struct wb_err err = {0};
	cache = cache_open(path, NULL, &err);
	if (!cache) {
		fprintf(stderr, "fuzz_page: %s\n", err.msg);
		abort();
	}
	atexit(cleanup);
	return cache;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct connector_ops *k = connector_find("waybill");
	if (size < 1)
		return 0;
	unsigned pick = data[0];
	data++, size--;
	const char *role;
	const struct connector_stream *s = fuzz_stream(k, pick & 0x1f, &role);
	struct cache *c = the_cache();
	bool resync = (pick & 0x20) && s->entity >= 0;
	struct wb_err err = {0};
	if (resync && cache_resync_begin(c, role, s->name, &err) != 0)
		abort(); /* nothing about the input can make this fail */

	json_t *page = NULL;
	struct sync_page_result r;
	int rc = sync_page_parse(s, role, (const char *)data, size, &page, &r, &err);
	if (rc == 0) {
		if (!page || strlen(r.next) >= sizeof(r.next))
			abort();
		struct wb_err werr = {0};
		if (sync_page_write(c, k, s, role, page, &r, &werr) == 0) {
			if (r.written > r.records)
				abort();
		} else if (!werr.msg[0] || cache_in_txn(c)) {
			abort(); /* a rejected page says why and leaves no transaction open */
		}
	} else if (page || !err.msg[0]) {
		abort();
	}
	json_decref(page);
	if (resync && cache_resync_finish(c, role, s->name, (enum wb_entity)s->entity, &err) < 0)
		abort();
	return 0;
}
