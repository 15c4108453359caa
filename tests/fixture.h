/* Recorded or hand-written pages under tests/fixtures/, for the connectors'
 * unit tests (include after cmocka.h). */
#ifndef WAYBILL_TEST_FIXTURE_H
#define WAYBILL_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

/* The whole of tests/fixtures/DIR/NAME, NUL-terminated, malloc'd (the caller
 * frees it); its length in *len when len is not NULL. Fails the test when the
 * file cannot be read: the tests run from the repository's top. */
static inline char *test_fixture(const char *dir, const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "tests/fixtures/%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository's top)", path);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
		n += got;
		if (n + 1 == cap) {
			char *more = realloc(buf, cap *= 2);
			assert_non_null(more);
			buf = more;
		}
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

#endif
