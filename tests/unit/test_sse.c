/* The SSE parser against the WHATWG examples and hostile input: every line
 * ending, comments, multi-line data, id and retry, BOM, limits, and the same
 * events whatever boundaries the bytes arrive with. Also backoff and
 * Retry-After, the other pure helpers of net/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* Events flattened to "type|id|data\n" so a whole run compares as one string. */
struct rec {
	char out[8192];
	int n;
	int stop_after; /* return 1 after this many events; 0 never */
};

static int on_event(const struct sse_event *ev, void *arg)
{
	struct rec *r = arg;
	size_t len = strlen(r->out);
	snprintf(r->out + len, sizeof(r->out) - len, "%s|%s|%.*s\n", ev->type, ev->id,
	         (int)ev->data_len, ev->data);
	assert_int_equal(strlen(ev->data), ev->data_len);
	r->n++;
	return r->stop_after && r->n >= r->stop_after;
}

static void parse_whole(const char *in, size_t len, struct rec *r, size_t max)
{
	struct sse_parser p;
	sse_init(&p, max, on_event, r);
	assert_int_equal(sse_feed(&p, in, len), 0);
	sse_free(&p);
}

struct sse_case {
	const char *name;
	const char *in;
	const char *want;
};

static const struct sse_case cases[] = {
        {"one event", "data: hello\n\n", "message||hello\n"},
        {"no space after colon", "data:hello\n\n", "message||hello\n"},
        {"only one space stripped", "data:  two\n\n", "message|| two\n"},
        {"multi-line data", "data: a\ndata: b\ndata\n\n", "message||a\nb\n\n"},
        {"event type and id", "event: pos\nid: 7\ndata: {}\n\n", "pos|7|{}\n"},
        {"id persists", "id: 1\ndata: a\n\ndata: b\n\n", "message|1|a\nmessage|1|b\n"},
        {"empty id clears", "id: 1\ndata: a\n\nid\ndata: b\n\n", "message|1|a\nmessage||b\n"},
        {"type resets after dispatch", "event: x\ndata: a\n\ndata: b\n\n", "x||a\nmessage||b\n"},
        {"comments ignored", ": hi\ndata: a\n: there\n\n", "message||a\n"},
        {"CRLF", "data: a\r\ndata: b\r\n\r\n", "message||a\nb\n"},
        {"CR", "data: a\rdata: b\r\r", "message||a\nb\n"},
        {"mixed", "data: a\r\n\rdata: b\n\r\n", "message||a\nmessage||b\n"},
        {"no data no event", "event: x\nid: 3\n\ndata: z\n\n", "message|3|z\n"},
        {"unterminated event dropped", "data: a\n\ndata: half", "message||a\n"},
        {"unknown field ignored", "foo: bar\ndata: a\n\n", "message||a\n"},
        {"field without colon", "data\n\n", "message||\n"},
        {"BOM stripped",
         "\xEF\xBB\xBF"
         "data: a\n\n",
         "message||a\n"},
        {"colon in value", "data: a:b\n\n", "message||a:b\n"},
        {"spec example", "data: YHOO\ndata: +2\ndata: 10\n\n", "message||YHOO\n+2\n10\n"},
        {"blank lines only", "\n\n\r\n", ""},
};

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec r = {0};
		parse_whole(cases[i].in, strlen(cases[i].in), &r, 0);
		if (strcmp(r.out, cases[i].want) != 0)
			fail_msg("case \"%s\": want [%s] got [%s]", cases[i].name, cases[i].want,
			         r.out);
	}
}

/* Every case, cut at every position and also fed one byte at a time, gives
 * the same events as fed whole: boundaries never matter, CR|LF included. */
static void test_boundaries(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;
		size_t len = strlen(in);
		for (size_t cut = 0; cut <= len; cut++) {
			struct rec r = {0};
			struct sse_parser p;
			sse_init(&p, 0, on_event, &r);
			assert_int_equal(sse_feed(&p, in, cut), 0);
			assert_int_equal(sse_feed(&p, in + cut, len - cut), 0);
			sse_free(&p);
			if (strcmp(r.out, cases[i].want) != 0)
				fail_msg("case \"%s\" cut at %zu: want [%s] got [%s]",
				         cases[i].name, cut, cases[i].want, r.out);
		}
		struct rec r = {0};
		struct sse_parser p;
		sse_init(&p, 0, on_event, &r);
		for (size_t k = 0; k < len; k++)
			assert_int_equal(sse_feed(&p, in + k, 1), 0);
		sse_free(&p);
		if (strcmp(r.out, cases[i].want) != 0)
			fail_msg("case \"%s\" byte by byte: got [%s]", cases[i].name, r.out);
	}
}

static void test_retry_and_last_id(void **state)
{
	struct rec r = {0};
	struct sse_parser p;
	sse_init(&p, 0, on_event, &r);
	assert_int_equal(sse_retry_ms(&p), -1);
	const char *in = "retry: 2500\nretry: 12x\nid: e-41\ndata: a\n\nid: e-42\ndata: b";
	assert_int_equal(sse_feed(&p, in, strlen(in)), 0);
	assert_int_equal(sse_retry_ms(&p), 2500);
	/* e-42's event never completed: reconnect with e-41. */
	sse_reset(&p);
	assert_string_equal(sse_last_id(&p), "e-41");
	assert_int_equal(sse_feed(&p, "data: c\n\n", 9), 0);
	assert_string_equal(r.out, "message|e-41|a\nmessage|e-41|c\n");
	sse_free(&p);
}

static void test_limits(void **state)
{
	/* An event over the limit is dropped whole; the next one gets through. */
	char big[300];
	memset(big, 'x', sizeof(big));
	struct rec r = {0};
	struct sse_parser p;
	sse_init(&p, 64, on_event, &r);
	assert_int_equal(sse_feed(&p, "data: ", 6), 0);
	assert_int_equal(sse_feed(&p, big, sizeof(big)), 0);
	assert_int_equal(sse_feed(&p, "\ndata: tail\n\ndata: ok\n\n", 23), 0);
	assert_string_equal(r.out, "message||ok\n");
	/* Many short data lines adding up past the limit: dropped as well. */
	r.out[0] = '\0';
	for (int i = 0; i < 40; i++)
		assert_int_equal(sse_feed(&p, "data: 12345\n", 12), 0);
	assert_int_equal(sse_feed(&p, "\ndata: ok2\n\n", 12), 0);
	assert_string_equal(r.out, "message||ok2\n");
	sse_free(&p);
}

static void test_stop(void **state)
{
	struct rec r = {.stop_after = 1};
	struct sse_parser p;
	sse_init(&p, 0, on_event, &r);
	assert_int_equal(sse_feed(&p, "data: a\n\ndata: b\n\n", 18), 1);
	assert_int_equal(r.n, 1);
	sse_free(&p);
}

static void test_backoff(void **state)
{
	for (unsigned a = 0; a < 40; a++) {
		uint32_t ceiling = a >= 6 ? NET_BACKOFF_CAP_MS : NET_BACKOFF_BASE_MS << a;
		if (ceiling > NET_BACKOFF_CAP_MS)
			ceiling = NET_BACKOFF_CAP_MS;
		assert_int_equal(net_backoff_ms(a, 0), 0);
		assert_int_equal(net_backoff_ms(a, ceiling), ceiling);
		assert_true(net_backoff_ms(a, UINT32_MAX) <= ceiling);
		assert_true(net_backoff_ms(a, 123456789u) <= NET_BACKOFF_CAP_MS);
	}
	assert_int_equal(net_backoff_ms(0, 1001), 0); /* 1001 % 1001 */
	assert_int_equal(net_backoff_ms(1, 1500), 1500);
	assert_int_equal(net_backoff_ms(UINT32_MAX, 60000), 60000);
	/* The first retry (attempt 0) draws from [0, base] exactly, the second
	 * from [0, 2 * base]: an off-by-one step would double every window. */
	uint32_t hi0 = 0, hi1 = 0;
	for (uint32_t r = 0; r < 5000; r++) {
		uint32_t d0 = net_backoff_ms(0, r * 2654435761u),
		         d1 = net_backoff_ms(1, r * 2654435761u);
		hi0 = d0 > hi0 ? d0 : hi0;
		hi1 = d1 > hi1 ? d1 : hi1;
	}
	assert_true(hi0 <= NET_BACKOFF_BASE_MS);
	assert_true(hi0 > NET_BACKOFF_BASE_MS / 2);
	assert_true(hi1 <= 2 * NET_BACKOFF_BASE_MS);
	assert_true(hi1 > NET_BACKOFF_BASE_MS);
	assert_int_equal(net_backoff_ms(0, NET_BACKOFF_BASE_MS + 1), 0);
	assert_int_equal(net_backoff_ms(1, 2 * NET_BACKOFF_BASE_MS + 1), 0);
}

static void test_retry_after(void **state)
{
	/* 2026-10-21 07:28:00 UTC */
	time_t now = 1792567680;
	long s = -7;
	assert_int_equal(net_parse_retry_after("120", now, &s), 0);
	assert_int_equal(s, 120);
	assert_int_equal(net_parse_retry_after(" 0 ", now, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(net_parse_retry_after("99999999999999999999999", now, &s), 0);
	assert_true(s > 0);
	assert_int_equal(net_parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now, &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(net_parse_retry_after("Wednesday, 21-Oct-26 07:29:00 GMT", now, &s), 0);
	assert_int_equal(s, 60);
	assert_int_equal(net_parse_retry_after("Wed Oct 21 07:28:10 2026", now, &s), 0);
	assert_int_equal(s, 10);
	/* In the past: retry now. */
	assert_int_equal(net_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now, &s), 0);
	assert_int_equal(s, 0);
	const char *bad[] = {"", "  ", "-5", "1.5", "12s", "soon", NULL};
	for (int i = 0; bad[i]; i++)
		if (net_parse_retry_after(bad[i], now, &s) != -1)
			fail_msg("Retry-After \"%s\" accepted as %ld", bad[i], s);
	assert_int_equal(net_parse_retry_after(NULL, now, &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_boundaries),
	        cmocka_unit_test(test_retry_and_last_id),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_stop),
	        cmocka_unit_test(test_backoff),
	        cmocka_unit_test(test_retry_after),
	};
	return cmocka_run_group_tests_name("sse", tests, NULL, NULL);
}
