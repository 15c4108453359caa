/* The Server-Sent Events parser (net/sse.c). The first byte picks the size
 * limit (small ones reach the overflow paths) and the second how the rest is
 * cut into pieces, since bytes arrive split anywhere; the same stream is then
 * fed whole to a second parser and both must dispatch the same events. */
#include "net/net.h"
#include "fuzz.h"

struct seen {
	size_t events;
	uint64_t hash;  /* over every event's type, data and id */
	int stop_after; /* the callback's non-zero return, tried on some inputs */
};

static uint64_t mix(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static int on_event(const struct sse_event *ev, void *arg)
{
	struct seen *w = arg;
	if (!ev->type || !ev->data || !ev->id || ev->data[ev->data_len] != '\0' ||
	    strlen(ev->type) >= 64 || strlen(ev->id) >= 256)
		abort();
	w->hash = mix(w->hash, ev->type, strlen(ev->type));
	w->hash = mix(w->hash, ev->data, ev->data_len);
	w->hash = mix(w->hash, ev->id, strlen(ev->id));
	w->events++;
	return w->stop_after && (int)w->events >= w->stop_after ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	static const size_t maxes[] = {0, 1, 2, 8, 16, 64, 300, 4096};
	size_t max = maxes[data[0] & 7];
	int stop_after = (data[0] >> 3) & 3; /* 0: never stop */
	unsigned cut = data[1];
	const char *buf = (const char *)data + 2;
	size_t len = size - 2;

	struct seen a = {.hash = 14695981039346656037ULL, .stop_after = stop_after};
	struct seen b = a;
	struct sse_parser pa, pb;
	sse_init(&pa, max, on_event, &a);
	sse_init(&pb, max, on_event, &b);

	/* pieces of 1 + (cut >> 4) bytes, or one at a time once cut's low bit says so */
	size_t step = (cut & 1) ? 1 : 1 + (cut >> 1);
	int ra = 0;
	for (size_t i = 0; i < len && ra == 0; i += step) {
		size_t n = len - i < step ? len - i : step;
		ra = sse_feed(&pa, buf + i, n);
	}
	int rb = sse_feed(&pb, buf, len);
	if (ra != rb || a.events != b.events || a.hash != b.hash ||
	    strcmp(sse_last_id(&pa), sse_last_id(&pb)) != 0 ||
	    (ra == 0 && sse_retry_ms(&pa) != sse_retry_ms(&pb)))
		abort(); /* the cut changed what was parsed */
	if (ra != 0 && ra != 7)
		abort();
	sse_reset(&pa);
	/* after a reset the parser goes on cleanly */
	if (sse_feed(&pa, "data: x\n\n", 9) != 0 && !stop_after)
		abort();
	sse_free(&pa);
	sse_free(&pb);
	return 0;
}
