/* A memory cap on one jansson parse. jansson takes one allocator for the
 * whole process (json_set_alloc_funcs); ours is plain malloc and free, and
 * counts only while this thread is inside sync_json_loadb_capped. Blocks are
 * measured with malloc_usable_size, so a tree made under the cap can be freed
 * at any time, with or without the count. */
#include <malloc.h>
#include <stdlib.h>

#include "sync/json_cap.h"

static _Thread_local struct {
	bool on;     /* counting: inside sync_json_loadb_capped */
	bool over;   /* an allocation was refused */
	size_t used; /* bytes allocated and not freed since it started */
	size_t cap;
} count;

static void *cap_malloc(size_t size)
{
	if (count.on && (size > count.cap || count.used > count.cap - size)) {
		count.over = true;
		return NULL;
	}
	void *p = malloc(size);
	if (p && count.on)
		count.used += malloc_usable_size(p);
	return p;
}

static void cap_free(void *p)
{
	if (p && count.on) {
		size_t n = malloc_usable_size(p);
		count.used = n < count.used ? count.used - n : 0;
	}
	free(p);
}

void sync_json_cap_begin(size_t cap)
{
	static bool installed;
	if (!installed) {
		json_set_alloc_funcs(cap_malloc, cap_free);
		installed = true;
	}
	count.on = true;
	count.over = false;
	count.used = 0;
	count.cap = cap;
}

bool sync_json_cap_end(void)
{
	count.on = false;
	return count.over;
}

json_t *sync_json_loadb_capped(const char *buf, size_t len, size_t flags, size_t cap,
                               json_error_t *je, bool *over)
{
	sync_json_cap_begin(cap);
	json_t *j = json_loadb(buf, len, flags, je);
	*over = sync_json_cap_end();
	if (j && count.over) {
		/* Refused along the way yet whole: not something jansson does; be safe. */
		json_decref(j);
		j = NULL;
	}
	return j;
}
