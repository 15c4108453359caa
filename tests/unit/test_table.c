/* The table widget under live updates (tui/table.c), without a screen: rows
 * whose sync time moved are marked changed for TUI_CHANGED_S and then not;
 * while the user moves, a re-sorted selected row keeps its place on screen. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "testutil.h"
#include "../../tui/internal.h"

enum { NLOADS = 12, HEIGHT = 5 };
#define T0 1718020800LL

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	struct tui_table t;
};

static void sql(struct fx *f, const char *q)
{
	char *msg = NULL;
	if (sqlite3_exec(cache_db(f->c), q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg ? msg : "?");
}

/* Loads L-00..L-11 with etas 10 minutes apart, synced at T0 - 60. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	struct wb_err err = {0};
	static struct wb_load rows[NLOADS];
	static char ids[NLOADS][16];
	for (int i = 0; i < NLOADS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "L-%02d", i);
		wb_entity_clear(WB_ENT_LOAD, &rows[i]);
		rows[i].meta = (struct wb_meta){ids[i], "tms", ids[i], 1, 0, 0};
		rows[i].number = ids[i];
		rows[i].status = "planned";
		rows[i].eta = T0 + 600 * i;
	}
	assert_int_equal(cache_upsert(f->c, WB_ENT_LOAD, rows, NLOADS, NULL, &err), 0);
	sql(f, "UPDATE load SET synced_at=1718020740");
	tui_table_init(&f->t, &view_loads_ops, f->c);
	tui_table_set_height(&f->t, HEIGHT);
	assert_int_equal(tui_table_refresh(&f->t, true, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tui_table_free(&f->t);
	cache_close(f->c);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

/* The ids on screen, "L-00 L-01 ...". */
static const char *screen(struct tui_table *t)
{
	static char out[256];
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < tui_table_visible(t); i++) {
		char id[128];
		tui_table_row_id(t, i, id, sizeof(id));
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "", id);
	}
	return out;
}

static void test_changed_row_marked_then_not(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	tui_table_note_changes(&f->t, T0); /* the first draw marks nothing */
	for (int i = 0; i < HEIGHT; i++) {
		char id[16];
		snprintf(id, sizeof(id), "L-%02d", i);
		assert_false(tui_table_changed(&f->t, id, T0));
	}
	sql(f, "UPDATE load SET synced_at=1718020801, status='staged' WHERE id='L-02'");
	assert_int_equal(tui_table_refresh(&f->t, false, &err), 0);
	tui_table_note_changes(&f->t, T0 + 1);
	assert_true(tui_table_changed(&f->t, "L-02", T0 + 1));
	assert_false(tui_table_changed(&f->t, "L-01", T0 + 1));
	assert_false(tui_table_changed(&f->t, "L-03", T0 + 1));
	/* Redraws without news keep the mark until TUI_CHANGED_S have passed. */
	tui_table_note_changes(&f->t, T0 + 1 + TUI_CHANGED_S - 1);
	assert_true(tui_table_changed(&f->t, "L-02", T0 + 1 + TUI_CHANGED_S - 1));
	tui_table_note_changes(&f->t, T0 + 1 + TUI_CHANGED_S);
	assert_false(tui_table_changed(&f->t, "L-02", T0 + 1 + TUI_CHANGED_S));
	/* Scrolling brings rows not changed since: they are not marked; one
	 * synced after the last draw is. */
	sql(f, "UPDATE load SET synced_at=1718020810 WHERE id='L-06'");
	assert_int_equal(tui_table_move(&f->t, HEIGHT, &err), 0);
	tui_table_note_changes(&f->t, T0 + 10);
	assert_string_equal(screen(&f->t), "L-05 L-06 L-07 L-08 L-09");
	assert_true(tui_table_changed(&f->t, "L-06", T0 + 10));
	assert_false(tui_table_changed(&f->t, "L-05", T0 + 10));
	assert_false(tui_table_changed(&f->t, "L-07", T0 + 10));
}

static void test_health_rows_never_marked(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct tui_table h;
	assert_int_equal(cache_health_ok(f->c, "tms", "loads", T0 - 5, 0, 1, &err), 0);
	tui_table_init(&h, &view_health_ops, f->c);
	tui_table_set_height(&h, HEIGHT);
	assert_int_equal(tui_table_refresh(&h, false, &err), 0);
	tui_table_note_changes(&h, T0);
	assert_int_equal(cache_health_ok(f->c, "tms", "loads", T0, 0, 1, &err), 0);
	assert_int_equal(tui_table_refresh(&h, false, &err), 0);
	tui_table_note_changes(&h, T0 + 1);
	assert_false(tui_table_changed(&h, "tms/loads", T0 + 1));
	tui_table_free(&h);
}

/* The selected row L-02 (third line) moves to after L-03. */
static void move_l02(struct fx *f, struct wb_err *err)
{
	assert_int_equal(tui_table_move(&f->t, 1, err), 0);
	assert_int_equal(tui_table_move(&f->t, 1, err), 0);
	assert_string_equal(f->t.sel_id, "L-02");
	sql(f, "UPDATE load SET eta=1718020800+600*3+1 WHERE id='L-02'");
}

static void test_moving_keeps_selected_row_in_place(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	move_l02(f, &err);
	assert_int_equal(tui_table_refresh_steady(&f->t, true, &err), 0);
	assert_string_equal(f->t.sel_id, "L-02");
	if (f->t.cursor != 2)
		fail_msg("the selected row moved on screen from line 2 to %d (%s)", f->t.cursor,
		         screen(&f->t));
	assert_string_equal(screen(&f->t), "L-01 L-03 L-02 L-04 L-05");
	assert_int_equal(f->t.total, NLOADS);
	/* The next key moves on from where the user was. */
	assert_int_equal(tui_table_move(&f->t, 1, &err), 0);
	assert_string_equal(f->t.sel_id, "L-04");
}

static void test_not_moving_follows_the_row(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	move_l02(f, &err);
	assert_int_equal(tui_table_refresh(&f->t, false, &err), 0);
	/* The selection follows L-02 down a line: a user pressing j meanwhile
	 * would skip L-03 (why a moving user gets the steady refresh). */
	assert_string_equal(screen(&f->t), "L-00 L-01 L-03 L-02 L-04");
	assert_string_equal(f->t.sel_id, "L-02");
	assert_int_equal(f->t.cursor, 3);
}

static void test_moving_row_gone_keeps_screen(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	assert_int_equal(tui_table_move(&f->t, 1, &err), 0);
	sql(f, "UPDATE load SET eta=1718020800+600*11+1 WHERE id='L-01'");
	assert_int_equal(tui_table_refresh_steady(&f->t, false, &err), 0);
	assert_string_equal(f->t.sel_id, "L-01");
	assert_int_equal(f->t.cursor, 1);
	assert_string_equal(screen(&f->t), "L-00 L-01 L-02 L-03 L-04");
}

/* Not moving, the selected row re-sorts far out of the window: the window
 * follows it (same screen line), and the row that took its place is never
 * selected in its stead; a row that leaves the board is reported. */
static void test_follow_out_of_window(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char lost[128];
	assert_int_equal(tui_table_move(&f->t, 1, &err), 0);
	assert_int_equal(tui_table_move(&f->t, 1, &err), 0);
	assert_string_equal(f->t.sel_id, "L-02");
	sql(f, "UPDATE load SET eta=1718020800+600*9+1 WHERE id='L-02'");
	assert_int_equal(tui_table_refresh_follow(&f->t, true, lost, sizeof(lost), &err), 0);
	assert_string_equal(lost, "");
	assert_string_equal(f->t.sel_id, "L-02");
	assert_int_equal(f->t.cursor, 2);
	assert_string_equal(screen(&f->t), "L-08 L-09 L-02 L-10 L-11");
	char id[128];
	tui_table_row_id(&f->t, f->t.cursor, id, sizeof(id));
	assert_string_equal(id, "L-02");
	/* Under a filter, the selected row stops matching it:
	 * reported by id, and the selection is on the row now on that line. */
	assert_int_equal(tui_table_set_filter(&f->t, "status:planned", &err), 0);
	assert_string_equal(f->t.sel_id, "L-02");
	sql(f, "UPDATE load SET status='cancelled' WHERE id='L-02'");
	assert_int_equal(tui_table_refresh_follow(&f->t, true, lost, sizeof(lost), &err), 0);
	assert_string_equal(lost, "L-02");
	tui_table_row_id(&f->t, f->t.cursor, id, sizeof(id));
	assert_string_equal(f->t.sel_id, id);
	assert_string_not_equal(f->t.sel_id, "L-02");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_changed_row_marked_then_not, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_health_rows_never_marked, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_moving_keeps_selected_row_in_place, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_not_moving_follows_the_row, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_moving_row_gone_keeps_screen, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_follow_out_of_window, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
