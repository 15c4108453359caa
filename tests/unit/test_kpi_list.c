/* The one KPI list (local/kpi_run.h's KPI_SAMPLES): the KPI board shows each
 * KPI under the list's label, and docs/kpi.md's table repeats the list line
 * for line, so a label changed in one place and not the other fails here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/kpi_run.h"
#include "views/view.h"

static const char *const unit_word[] = {
        [KPI_UNIT_PCT] = "%",
        [KPI_UNIT_DURATION_S] = "duration",
        [KPI_UNIT_DAYS] = "days",
        [KPI_UNIT_MONEY] = "money",
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *s = calloc(1, 1 << 20);
	size_t n = s ? fread(s, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	(void)n;
	return s;
}

static void test_docs_repeat_the_list(void **state)
{
	(void)state;
	char *doc = slurp("docs/kpi.md");
	assert_non_null(doc);
	int rows = 0; /* the table's lines: "| `name` | ... | up |" or "... | down |" */
	char *copy = strdup(doc);
	assert_non_null(copy);
	for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n")) {
		size_t n = strlen(l);
		if (!strncmp(l, "| `", 3) && ((n > 7 && !strcmp(l + n - 7, " | up |")) ||
		                              (n > 9 && !strcmp(l + n - 9, " | down |"))))
			rows++;
	}
	free(copy);
	for (int i = 0; i < KPI__COUNT; i++) {
		char line[200];
		snprintf(line, sizeof(line), "\n| `%s` | %s | %s | %s |\n", kpi_info[i].name,
		         kpi_info[i].label, unit_word[kpi_info[i].unit],
		         kpi_info[i].better > 0 ? "up" : "down");
		if (!strstr(doc, line))
			fail_msg("docs/kpi.md lacks the line%s", line);
	}
	assert_int_equal(rows, KPI__COUNT); /* and no KPI the list does not have */
	free(doc);
}

/* The board's KPI column, for each KPI: the list's label. */
static void test_board_labels(void **state)
{
	(void)state;
	const struct view_ops *v = view_by_name("kpis");
	assert_non_null(v);
	int ncols = 0;
	while (v->board->cols[ncols])
		ncols++;
	struct cache_value cells[16] = {{0}};
	assert_true(ncols <= 16);
	for (int i = 0; i < KPI__COUNT; i++) {
		cells[0] = (struct cache_value){.t = CV_TEXT, .s = kpi_info[i].name};
		struct view_row r = {.board = v->board, .cells = cells, .now = 0};
		char buf[64];
		enum view_slot slot = VIEW_S_row;
		v->cols[0].cell(&r, buf, sizeof(buf), &slot);
		assert_string_equal(buf, kpi_info[i].label);
		assert_string_equal(kpi_sample_name[i], kpi_info[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_docs_repeat_the_list),
	        cmocka_unit_test(test_board_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
