/* outbox_add CACHE SOURCE ACTION SUBJECT PAYLOAD [USER]: queues one action in
 * a cache's outbox, as the console would, and prints its idempotency key.
 * For the sync tests, until the console's actions can be scripted. */
#include <stdio.h>
#include <time.h>

#include "cache/cache.h"

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: outbox_add CACHE SOURCE ACTION SUBJECT PAYLOAD [USER]\n");
		return 2;
	}
	struct wb_err err = {0};
	struct cache *c = cache_open(argv[1], NULL, &err);
	if (!c) {
		fprintf(stderr, "outbox_add: %s\n", err.msg);
		return 1;
	}
	char key[40];
	int rc = outbox_enqueue(c, argv[2], argv[3], argv[4], argv[5], argc > 6 ? argv[6] : "test",
	                        (int64_t)time(NULL), key, &err);
	cache_close(c);
	if (rc != 0) {
		fprintf(stderr, "outbox_add: %s\n", err.msg);
		return 1;
	}
	printf("%s\n", key);
	return 0;
}
