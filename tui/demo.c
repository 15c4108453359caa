/* waybill --demo: a fresh temporary cache, the console on it, and nothing left
 * behind when the user quits. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "waybill/cache.h"
#include "waybill/tui.h"

/* Leaves room for "/cache.db-journal" under the temporary directory. */
#define DIR_MAX (PATH_MAX - 32)

static void remove_cache_files(const char *dir)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%.*s/cache.db%s", DIR_MAX, dir, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
}

int tui_demo(const struct tui_opts *o)
{
	const char *tmp = getenv("TMPDIR");
	char dir[DIR_MAX];
	snprintf(dir, sizeof(dir), "%.3000s/waybill-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("waybill: cannot make a temporary directory");
		return 1;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%.*s/cache.db", DIR_MAX, dir);
	struct wb_err err = {0};
	struct cache *c = cache_open(path, NULL, &err);
	if (!c) {
		fprintf(stderr, "waybill: %s\n", err.msg);
		remove_cache_files(dir);
		return 1;
	}
	int rc = tui_run(c, o);
	cache_close(c);
	remove_cache_files(dir);
	return rc;
}
