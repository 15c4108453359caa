/* The terminal sanitiser (base/text.h): every class of character a terminal
 * acts on becomes '?', ordinary text in any script passes, a cut to a width
 * never splits a character, and JSON keeps its value with the same classes
 * escaped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

static const char *safe(const char *in, int cells, const char *ell)
{
	static char out[256];
	wb_text_safe(out, sizeof(out), in, cells, ell, NULL);
	return out;
}

/* No byte of out is a C0 control, DEL, a C1 byte pair or a bidi control. */
static void assert_clean(const char *in, const char *out)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control byte 0x%02x left in \"%s\"", in, *p, out);
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fail_msg("%s: C1 control left", in);
		if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae)))
			fail_msg("%s: bidi mark or override left", in);
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			fail_msg("%s: bidi isolate left", in);
		if (p[0] == 0xd8 && p[1] == 0x9c)
			fail_msg("%s: Arabic letter mark left", in);
	}
}

static void test_every_class_replaced(void **state)
{
	(void)state;
	static const struct {
		const char *what, *in, *want;
	} cases[] = {
	        {"ESC (CSI clear screen)", "a\x1b[2Jb", "a?[2Jb"},
	        {"OSC title ended by BEL", "\x1b]0;pwned\x07x", "?]0;pwned?x"},
	        {"CR, LF, TAB, BS", "a\rb\nc\td\be", "a?b?c?d?e"},
	        {"DEL",
	         "a\x7f"
	         "b",
	         "a?b"},
	        {"C1 CSI as UTF-8 (U+009B)",
	         "a\xc2\x9b"
	         "2Jb",
	         "a?2Jb"},
	        {"C1 NEL (U+0085)",
	         "a\xc2\x85"
	         "b",
	         "a?b"},
	        {"raw C1 byte 0x9B",
	         "a\x9b"
	         "2Jb",
	         "a?2Jb"},
	        {"raw 0x80", "\x80", "?"},
	        {"RLO U+202E",
	         "a\xe2\x80\xae"
	         "cba",
	         "a?cba"},
	        {"LRE U+202A", "\xe2\x80\xaa", "?"},
	        {"LRI U+2066",
	         "\xe2\x81\xa6"
	         "x",
	         "?x"},
	        {"PDI U+2069", "x\xe2\x81\xa9", "x?"},
	        {"LRM U+200E, RLM U+200F", "\xe2\x80\x8e\xe2\x80\x8f", "??"},
	        {"ALM U+061C", "\xd8\x9c", "?"},
	        {"overlong '/'", "\xc0\xaf", "??"},
	        {"overlong ESC", "\xc0\x9b", "??"},
	        {"surrogate", "\xed\xa0\x80", "???"},
	        {"above U+10FFFF", "\xf4\x90\x80\x80", "????"},
	        {"F5 lead", "\xf5", "?"},
	        {"cut sequence at the end", "ab\xe2\x82", "ab??"},
	        {"cut sequence before ASCII",
	         "\xe2\x82"
	         "x",
	         "??x"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = safe(cases[i].in, -1, NULL);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: wanted \"%s\", got \"%s\"", cases[i].what, cases[i].want,
			         got);
		assert_clean(cases[i].what, got);
	}
}

static void test_text_passes(void **state)
{
	(void)state;
	static const char *const keep[] = {
	        "plain ASCII, punctuation ~!@#$%^&*()",
	        "Z\xc3\xbcrich \xe2\x86\x92 \xc5\x81\xc3\xb3"
	        "d\xc5\xba",
	        "\xe6\x9d\xb1\xe4\xba\xac",                         /* 東京: wide */
	        "e\xcc\x81",                                        /* e + combining acute */
	        "\xd8\xa7\xd9\x84\xd8\xb1\xd9\x8a\xd8\xa7\xd8\xb6", /* Arabic, no controls */
	        "\xf0\x9f\x9a\x9a",                                 /* U+1F69A delivery truck */
	        "\xc2\xa0\xc2\xa9",                                 /* U+00A0, U+00A9: past C1 */
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_string_equal(safe(keep[i], -1, NULL), keep[i]);
	uint32_t cp;
	assert_int_equal(wb_text_next("\xe2\x80\xae", 3, &cp), 3);
	assert_int_equal(cp, '?');
	assert_int_equal(wb_text_next("\x9b", 1, &cp), 1);
	assert_int_equal(cp, '?');
	assert_int_equal(wb_text_next("\xc3\xbc", 2, &cp), 2);
	assert_int_equal(cp, 0xfc);
}

static void test_cut_to_width(void **state)
{
	(void)state;
	const char *ell = "\xe2\x80\xa6"; /* … */
	bool cut;
	char out[64];
	/* Fits exactly: no ellipsis. */
	assert_int_equal(wb_text_safe(out, sizeof(out), "abcde", 5, ell, &cut), 5);
	assert_string_equal(out, "abcde");
	assert_false(cut);
	/* Cut: four characters and the ellipsis in five cells. */
	assert_int_equal(wb_text_safe(out, sizeof(out), "abcdefgh", 5, ell, &cut), 5);
	assert_string_equal(out, "abcd\xe2\x80\xa6");
	assert_true(cut);
	/* Never inside a two-byte character. */
	assert_string_equal(safe("\xc3\xbc\xc3\xbc\xc3\xbc", 2, NULL), "\xc3\xbc\xc3\xbc");
	assert_string_equal(safe("\xc3\xbc\xc3\xbc\xc3\xbc", 2, ell), "\xc3\xbc\xe2\x80\xa6");
	/* A wide character that does not fit in the last cell is left out whole. */
	assert_int_equal(wb_text_safe(out, sizeof(out), "a\xe6\x9d\xb1\xe4\xba\xac", 2, NULL, NULL),
	                 1);
	assert_string_equal(out, "a");
	assert_int_equal(wb_text_safe(out, sizeof(out), "a\xe6\x9d\xb1\xe4\xba\xac", 3, NULL, NULL),
	                 3);
	assert_string_equal(out, "a\xe6\x9d\xb1");
	/* The escape is replaced before the cut is measured: "?[2J" is 4 cells. */
	assert_string_equal(safe("\x1b[2Jabc", 4, NULL), "?[2J");
	/* A cut in the middle of an escape sequence leaves nothing of it live. */
	assert_string_equal(safe("ab\x1b]0;title\x07", 4, ell), "ab?\xe2\x80\xa6");
	/* The byte limit never splits a character either. */
	char small[4];
	wb_text_safe(small, sizeof(small),
	             "a\xe2\x86\x92"
	             "b",
	             -1, NULL, &cut);
	assert_string_equal(small, "a");
	assert_true(cut);
	wb_text_safe(small, sizeof(small), "\xc3\xbc\xc3\xbc", -1, NULL, NULL);
	assert_string_equal(small, "\xc3\xbc");
	/* No room for the ellipsis: the text alone, still within the limit. */
	assert_int_equal(wb_text_safe(out, sizeof(out), "abc", 0, ell, &cut), 0);
	assert_string_equal(out, "");
	assert_true(cut);
}

static void test_json_escapes(void **state)
{
	(void)state;
	json_t *j = json_pack("{s:s, s:s}", "name",
	                      "R\xc3\xbcti \xc2\x9b"
	                      "2J \xe2\x80\xae"
	                      "evil\xe2\x81\xa6 \x7f \xd8\x9c",
	                      "esc", "\x1b]0;x\x07");
	assert_non_null(j);
	char *raw = json_dumps(j, JSON_COMPACT);
	char *s = wb_json_escape_unsafe(raw);
	assert_non_null(s);
	assert_clean("json", s);
	assert_non_null(strstr(s, "\\u009b"));
	assert_non_null(strstr(s, "\\u202e"));
	assert_non_null(strstr(s, "\\u2066"));
	assert_non_null(strstr(s, "\\u007f"));
	assert_non_null(strstr(s, "\\u061c"));
	assert_non_null(strstr(s, "R\xc3\xbcti")); /* other text stays readable */
	json_error_t je;
	json_t *back = json_loads(s, 0, &je);
	assert_non_null(back);
	assert_true(json_equal(j, back)); /* the same value */
	json_decref(back);
	free(s);
	free(raw);
	json_decref(j);
	/* Indented JSON keeps its newlines: outside strings they are syntax. */
	s = wb_json_escape_unsafe("{\n  \"a\": 1\n}");
	assert_string_equal(s, "{\n  \"a\": 1\n}");
	free(s);
}

int main(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_class_replaced),
	        cmocka_unit_test(test_text_passes),
	        cmocka_unit_test(test_cut_to_width),
	        cmocka_unit_test(test_json_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
