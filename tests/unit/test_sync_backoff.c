/* The sync engine's backoff: the first retry after one failure waits within
 * the base window, each further failure in a row doubles it. An off-by-one in
 * the attempt (errors instead of errors - 1) would double every wait. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "sync/sync_internal.h"

/* The largest and smallest of many draws for `errors` failures in a row. */
static void draws(struct sync *sy, unsigned errors, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (int i = 0; i < 2000; i++) {
		uint64_t ms = sync_backoff_ms(sy, errors);
		if (ms < *lo)
			*lo = ms;
		if (ms > *hi)
			*hi = ms;
	}
}

static void test_once_windows(void **state)
{
	(void)state;
	struct sync sy = {.rng = 0x2545f491u};
	sy.o.once = true;
	uint64_t lo, hi;
	/* errors 0 and 1 are both the first retry: [1, base]. */
	for (unsigned e = 0; e <= 1; e++) {
		draws(&sy, e, &lo, &hi);
		assert_int_equal(lo, 1);
		assert_int_equal(hi, SYNC_ONCE_BACKOFF_BASE_MS);
	}
	draws(&sy, 2, &lo, &hi);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 2 * SYNC_ONCE_BACKOFF_BASE_MS);
	draws(&sy, 3, &lo, &hi);
	assert_int_equal(hi, 4 * SYNC_ONCE_BACKOFF_BASE_MS);
	draws(&sy, 40, &lo, &hi);
	assert_int_equal(hi, SYNC_ONCE_BACKOFF_CAP_MS);
}

static void test_follow_windows(void **state)
{
	(void)state;
	struct sync sy = {.rng = 0x2545f491u};
	uint64_t lo, hi;
	/* Without --once the transport's backoff: [0, NET_BACKOFF_BASE_MS] first. */
	draws(&sy, 1, &lo, &hi);
	assert_true(hi <= NET_BACKOFF_BASE_MS);
	assert_true(hi > NET_BACKOFF_BASE_MS / 2);
	draws(&sy, 2, &lo, &hi);
	assert_true(hi <= 2 * NET_BACKOFF_BASE_MS);
	assert_true(hi > NET_BACKOFF_BASE_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_once_windows),
	        cmocka_unit_test(test_follow_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
