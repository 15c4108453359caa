/* The KPIs count detention from the free time the detectors use: the
 * settings' detect thresholds given to kpi_run_figures and kpi_run_sample
 * (what `waybill kpi` and the sync's local pass pass on). A stop detained
 * four hours is 2 h past the default free time (7200 s) and 3 h past a
 * configured 3600 s; the same connection switching thresholds starts its
 * incremental state over rather than mixing the two. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "testutil.h"
#include "local/kpi_run.h"

#define NOW 1718020800LL

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	/* Arrived at the window's start, left 4 h later. */
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	test_meta(&s.meta, "S-1", "tms", 1);
	s.load_id = "L-1";
	s.seq = 1;
	s.kind = "drop";
	s.window_start = NOW - 6 * 3600;
	s.window_end = NOW - 5 * 3600;
	s.arrived_at = NOW - 6 * 3600;
	s.departed_at = NOW - 2 * 3600;
	s.status = "departed";
	test_put(f->c, WB_ENT_STOP, &s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static double detention(struct fx *f, const struct core_detect_cfg *d)
{
	struct kpi_figures k;
	struct wb_err err = {0};
	if (kpi_run_figures(f->c, NOW, d, &k, NULL, &err) != 0)
		fail_msg("kpi_run_figures: %s", err.msg);
	double v = k.detention_s;
	kpi_figures_free(&k);
	return v;
}

static void test_detention_follows_thresholds(void **state)
{
	struct fx *f = *state;
	struct core_detect_cfg d;
	core_detect_cfg_default(&d);
	assert_true(fabs(detention(f, NULL) - 7200) < 1e-6);
	assert_true(fabs(detention(f, &d) - 7200) < 1e-6);
	d.detention_free_s = 3600;
	assert_true(fabs(detention(f, &d) - 10800) < 1e-6);
	d.detention_free_s = 5 * 3600; /* 4 h at the stop: not detained at all */
	assert_true(isnan(detention(f, &d)));
	assert_true(fabs(detention(f, NULL) - 7200) < 1e-6);

	/* The sample the KPI board draws is the configured one. */
	d.detention_free_s = 3600;
	struct wb_err err = {0};
	assert_int_equal(kpi_run_sample(f->c, NOW, &d, NULL, &err), 0);
	assert_int_equal(test_count(f->c, "SELECT value FROM kpi_sample WHERE name='detention_s'"),
	                 10800);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_detention_follows_thresholds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
