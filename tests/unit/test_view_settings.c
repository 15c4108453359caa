/* The settings reach the views: figures in the configured units (km/mi,
 * km/h/mph, L/gal), amounts in the configured currency's symbol or code, and
 * freshness judged by each source's configured intervals, on settings loaded
 * from a real config file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "testutil.h"
#include "settings/settings.h"
#include "views/view.h"

#define NOW 1718020800LL

#define SOURCES(tms_extra)                                                                         \
	"\"sources\":{"                                                                            \
	"\"erp\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9001\",\"token\":\"t1\"},"       \
	"\"tms\":{\"kind\":\"waybill\",\"url\":\"http://"                                          \
	"127.0.0.1:9002\",\"token\":\"t2\"" tms_extra "},"                                         \
	"\"telematics\":{\"kind\":\"waybill\",\"url\":\"http://"                                   \
	"127.0.0.1:9003\",\"token\":\"t3\"}}"

/* Loads text as a config file (mode 0600) in a fresh directory. */
static struct settings *load(const char *text)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	assert_non_null(test_tmpdir(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct settings *s = NULL;
	struct wb_err err = {0};
	if (settings_load(path, &s, &err) != 0)
		fail_msg("loading %s: %s", text, err.msg);
	test_rmdir(dir);
	return s;
}

static void test_units(void **state)
{
	(void)state;
	char b[64];
	view_fmt_distance(12000, CONFIG_METRIC, b, sizeof(b));
	assert_string_equal(b, "12 km");
	view_fmt_distance(12000, CONFIG_IMPERIAL, b, sizeof(b));
	assert_string_equal(b, "7 mi");
	view_fmt_distance(1609344, CONFIG_IMPERIAL, b, sizeof(b));
	assert_string_equal(b, "1,000 mi");
	view_fmt_speed(25, CONFIG_METRIC, b, sizeof(b));
	assert_string_equal(b, "90 km/h");
	view_fmt_speed(25, CONFIG_IMPERIAL, b, sizeof(b));
	assert_string_equal(b, "56 mph");
	view_fmt_volume(400, CONFIG_METRIC, b, sizeof(b));
	assert_string_equal(b, "400 L");
	view_fmt_volume(400, CONFIG_IMPERIAL, b, sizeof(b));
	assert_string_equal(b, "106 gal");
	assert_string_equal(view_unit_distance(CONFIG_IMPERIAL), "mi");
	assert_string_equal(view_unit_speed(CONFIG_IMPERIAL), "mph");
	assert_string_equal(view_unit_volume(CONFIG_IMPERIAL), "gal");
}

static void test_currency(void **state)
{
	(void)state;
	char b[64];
	view_fmt_amount(1250, "EUR", true, b, sizeof(b));
	assert_string_equal(b, "\u20ac1,250");
	view_fmt_amount(1250, "EUR", false, b, sizeof(b));
	assert_string_equal(b, "EUR 1,250");
	view_fmt_amount(1250, "USD", true, b, sizeof(b));
	assert_string_equal(b, "$1,250");
	view_fmt_amount(-1250, "USD", false, b, sizeof(b));
	assert_string_equal(b, "-$1,250");
	view_fmt_amount(1250, "GBP", true, b, sizeof(b));
	assert_string_equal(b, "\u00a31,250");
	view_fmt_amount(1250, "CHF", true, b, sizeof(b));
	assert_string_equal(b, "1,250 CHF");
	view_fmt_amount(1250, "CHF", false, b, sizeof(b));
	assert_string_equal(b, "1,250 CHF");
}

/* The cell and detail-pane formatters follow the settings the views were given. */
static void test_context(void **state)
{
	(void)state;
	char b[64];
	struct cache_value m = {.t = CV_INT, .i = 12000}, amt = {.t = CV_INT, .i = 410},
	                   mps = {.t = CV_REAL, .d = 25}, l = {.t = CV_REAL, .d = 400};
	view_use_settings(NULL);
	view_fmt_money(&amt, true, b, sizeof(b));
	assert_string_equal(b, "\u20ac410");
	view_fmt_named("odometer_m", &m, NOW, true, b, sizeof(b));
	assert_string_equal(b, "12 km");
	struct settings *s = load("{\"units\":\"imperial\",\"currency\":\"USD\"," SOURCES("") "}");
	view_use_settings(s);
	assert_string_equal(view_currency(), "USD");
	view_fmt_money(&amt, true, b, sizeof(b));
	assert_string_equal(b, "$410");
	view_fmt_named("impact", &amt, NOW, false, b, sizeof(b));
	assert_string_equal(b, "$410");
	view_fmt_named("odometer_m", &m, NOW, true, b, sizeof(b));
	assert_string_equal(b, "7 mi");
	view_fmt_km(&m, b, sizeof(b));
	assert_string_equal(b, "7 mi");
	view_fmt_named("speed_mps", &mps, NOW, true, b, sizeof(b));
	assert_string_equal(b, "56 mph");
	view_fmt_named("fuel_l", &l, NOW, true, b, sizeof(b));
	assert_string_equal(b, "106 gal");
	view_use_settings(NULL);
	settings_free(s);
}

/* A TMS polled every 300 s (its loads) is not stale after 30 s, where the
 * default 5 s would have it stale; its other streams keep their defaults, so
 * each stream's state follows its own interval. */
static void test_intervals(void **state)
{
	(void)state;
	assert_int_equal(view_source_interval_s("tms", NULL), CONFIG_FAST_DEFAULT_S);
	assert_int_equal(view_source_interval_s("erp", NULL), CONFIG_SLOW_DEFAULT_S);
	assert_true(view_row_stale("tms", NOW - 30, 0, 0, NOW));
	assert_int_equal(view_source_state("tms", "loads", false, NOW - 30, 0, 0, NOW),
	                 VIEW_SRC_LAG);

	struct settings *s = load("{" SOURCES(",\"intervals\":{\"loads\":300}") "}");
	view_use_settings(s);
	assert_int_equal(view_source_interval_s("tms", "loads"), 300);
	assert_int_equal(view_source_interval_s("tms", "stops"), CONFIG_FAST_DEFAULT_S);
	assert_int_equal(view_source_interval_s("tms", NULL), 300);
	assert_int_equal(view_source_interval_s("telematics", NULL), CONFIG_FAST_DEFAULT_S);
	assert_false(view_row_stale("tms", NOW - 30, 0, 0, NOW));
	assert_false(view_row_stale("tms", NOW - 600, 0, 0, NOW));
	assert_true(view_row_stale("tms", NOW - 601, 0, 0, NOW));
	assert_true(view_row_stale("telematics", NOW - 30, 0, 0, NOW));
	assert_int_equal(view_source_state("tms", "loads", false, NOW - 30, 0, 0, NOW),
	                 VIEW_SRC_LIVE);
	assert_int_equal(view_source_state("tms", "stops", false, NOW - 30, 0, 0, NOW),
	                 VIEW_SRC_LAG);
	view_use_settings(NULL);
	settings_free(s);
}

int main(void)
{
	setenv("USER", "tester", 1);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_units),
	        cmocka_unit_test(test_currency),
	        cmocka_unit_test(test_context),
	        cmocka_unit_test(test_intervals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
