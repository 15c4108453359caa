/* Small helpers shared by the unit tests: a scratch directory per test run. */
#ifndef WAYBILL_TESTUTIL_H
#define WAYBILL_TESTUTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under $WAYBILL_TEST_TMP (set by tests/run.sh) or /tmp. */
static inline char *test_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("WAYBILL_TEST_TMP");
	snprintf(buf, len, "%s/t.XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(buf);
}

/* Removes a directory tree made by test_tmpdir (files one level deep). */
static inline void test_rmdir(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif
