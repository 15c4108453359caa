/* The console's freshness rules (views/health.c): when a row is stale, by its
 * source's interval and the source's last confirmation, and what state a
 * stream is in, polled or a connected event stream living on keep-alives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "views/view.h"

#define NOW 1718020800LL

static void test_row_stale_by_source(void **state)
{
	(void)state;
	static const struct {
		const char *source;
		int64_t synced_ago, confirmed_ago; /* -1: unknown (0) */
		int fallback_s;
		bool stale;
		const char *why;
	} cases[] = {
	        {"tms", 10, -1, 0, false, "tms: 10 s is 2 intervals of 5 s, not more"},
	        {"tms", 11, -1, 0, true, "tms: 11 s is over 2 intervals of 5 s"},
	        {"telematics", 30, -1, 0, true, "telematics: 30 s is over 2 x 5 s"},
	        {"erp", 30, -1, 0, false, "erp: 30 s is under 2 intervals of 60 s"},
	        {"erp", 120, -1, 0, false, "erp: 120 s is 2 intervals, not more"},
	        {"erp", 121, -1, 0, true, "erp: 121 s is over 2 x 60 s"},
	        {"erp", 600, 30, 0, false, "erp: confirmed 30 s ago, the row is that fresh"},
	        {"tms", 600, 3, 0, false,
	         "tms: a live poll 3 s ago confirms a row synced long ago"},
	        {"tms", 600, 20, 0, true, "tms: the last confirmation is 20 s old too"},
	        {"tms", 2, 600, 0, false, "tms: an old confirmation does not age a new row"},
	        {"local", 100000, -1, 0, false, "local rows never go stale"},
	        {NULL, 11, -1, 10, true, "no source: the board's 10 s"},
	        {NULL, 10, -1, 10, false, "no source: 10 s is not over the board's 10 s"},
	        {NULL, 100000, -1, 0, false, "no source, board without a bound: never stale"},
	        {NULL, 100000, 3, 10, true, "no source: no confirmation applies"},
	        {"tms", -1, -1, 10, false, "no sync time: not judged"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t synced = cases[i].synced_ago < 0 ? 0 : NOW - cases[i].synced_ago;
		int64_t confirmed = cases[i].confirmed_ago < 0 ? 0 : NOW - cases[i].confirmed_ago;
		bool got = view_row_stale(cases[i].source, synced, confirmed, cases[i].fallback_s,
		                          NOW);
		if (got != cases[i].stale)
			fail_msg("case %zu (%s): expected %s, got %s", i, cases[i].why,
			         cases[i].stale ? "stale" : "fresh", got ? "stale" : "fresh");
	}
}

static void test_source_state(void **state)
{
	(void)state;
	static const struct {
		const char *source;
		bool events;
		int64_t ok_ago; /* -1: never */
		int64_t errors, lag;
		enum view_source_state want;
		const char *why;
	} cases[] = {
	        /* A connected event stream hears a keep-alive every 15 s between events. */
	        {"telematics", true, 14, 0, 0, VIEW_SRC_LIVE, "keep-alive 14 s ago: live"},
	        {"telematics", true, 29, 0, 0, VIEW_SRC_LIVE,
	         "a keep-alive late by 14 s: still live"},
	        {"telematics", true, 31, 0, 0, VIEW_SRC_LAG, "two keep-alives missed: lagging"},
	        {"telematics", true, 151, 0, 0, VIEW_SRC_DOWN, "silent for 10 keep-alives: down"},
	        {"telematics", true, 2, 1, 0, VIEW_SRC_LAG, "the stream dropped once: lagging"},
	        {"telematics", true, 2, 3, 0, VIEW_SRC_DOWN, "dropped 3 times in a row: down"},
	        {"telematics", true, 2, 0, 40, VIEW_SRC_LAG, "events 40 s behind: lagging"},
	        /* The same silence on a polled stream of 5 s is not live. */
	        {"telematics", false, 14, 0, 0, VIEW_SRC_LAG, "polled every 5 s, 14 s silent"},
	        {"telematics", false, 10, 0, 0, VIEW_SRC_LIVE, "polled every 5 s, 10 s ago"},
	        {"telematics", false, 51, 0, 0, VIEW_SRC_DOWN, "polled every 5 s, 51 s silent"},
	        {"erp", false, 119, 0, 0, VIEW_SRC_LIVE, "erp every 60 s, 119 s ago"},
	        {"erp", false, 121, 0, 0, VIEW_SRC_LAG, "erp every 60 s, 121 s ago"},
	        {"tms", false, -1, 0, 0, VIEW_SRC_NODATA, "never answered, no error"},
	        {"tms", false, -1, 1, 0, VIEW_SRC_DOWN, "never answered, an error"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ok = cases[i].ok_ago < 0 ? 0 : NOW - cases[i].ok_ago;
		enum view_source_state got =
		        view_source_state(cases[i].source, NULL, cases[i].events, ok,
		                          cases[i].errors, cases[i].lag, NOW);
		if (got != cases[i].want)
			fail_msg("case %zu (%s): expected %s, got %s", i, cases[i].why,
			         view_source_state_name[cases[i].want],
			         view_source_state_name[got]);
	}
}

/* A count on the Health board fits four cells whatever its size. */
static void test_count4(void **state)
{
	(void)state;
	static const struct {
		int64_t n;
		const char *want;
	} cases[] = {{0, "0"},          {999, "999"},        {1000, "1.0k"},    {1650, "1.6k"},
	             {9999, "9.9k"},    {10000, "10k"},      {999999, "999k"},  {1000000, "1.0M"},
	             {16500000, "16M"}, {999999999, "999M"}, {INT64_MAX, ">1G"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cache_value v = {.t = CV_INT, .i = cases[i].n};
		char buf[16];
		view_fmt_count4(&v, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0 || strlen(buf) > 4)
			fail_msg("%lld: got \"%s\", want \"%s\"", (long long)cases[i].n, buf,
			         cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_row_stale_by_source),
	        cmocka_unit_test(test_source_state),
	        cmocka_unit_test(test_count4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
