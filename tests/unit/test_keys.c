/* The key table (tui/keys.c) is the one place keys are defined: the help
 * screen is generated from it, so every key the table holds is in the help
 * with its help text; a key finds its own row; action keys apply only on the
 * boards that list their action, and a viewer is offered none of them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tui/internal.h"
#include "core/core.h"

static struct tui_console *console(int role, int board)
{
	struct tui_console *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->role = role;
	s->board = board;
	for (int b = 0; b < view_nboards; b++)
		s->tables[b].view = view_boards[b];
	return s;
}

/* Whether a help line holds text (a key's label, then its help text). */
static bool in_help(char lines[][TUI_HELP_W], int n, const char *label, const char *help)
{
	for (int i = 0; i < n; i++) {
		const char *l = strstr(lines[i], label);
		if (l && strstr(l, help))
			return true;
	}
	return false;
}

static void test_help_lists_every_key(void **state)
{
	(void)state;
	struct tui_console *s = console(-1, 0);
	char lines[64][TUI_HELP_W];
	int n = tui_help_lines(s, lines, 64);
	assert_true(n > 10);
	for (int i = 0; i < tui_nkeys; i++) {
		char label[32];
		tui_key_label(&tui_keys[i], label, sizeof(label));
		if (!in_help(lines, n, label, tui_keys[i].help))
			fail_msg("key \"%s\" (%s) is not in the help", label, tui_keys[i].help);
	}
	/* The digit keys are named by the number of boards. */
	char digits[16];
	snprintf(digits, sizeof(digits), "1-%d ", view_nboards);
	assert_true(in_help(lines, n, digits, "switch board"));
	free(s);
}

static void test_viewer_is_offered_no_action(void **state)
{
	(void)state;
	struct tui_console *s = console(CORE_ROLE_VIEWER, 0);
	char lines[64][TUI_HELP_W], hints[300];
	int n = tui_help_lines(s, lines, 64);
	for (int i = 0; i < tui_nkeys; i++)
		if (tui_keys[i].action) {
			char entry[64];
			snprintf(entry, sizeof(entry), "%s (", tui_keys[i].help);
			assert_false(in_help(lines, n, tui_keys[i].label, entry));
		}
	tui_key_hints(s, hints, sizeof(hints), 200);
	assert_null(strstr(hints, "r release"));
	assert_non_null(strstr(hints, "(viewer: read-only)"));
	s->role = -1; /* not yet known: offered, the action itself asks for the role */
	tui_key_hints(s, hints, sizeof(hints), 200);
	assert_non_null(strstr(hints, "r release"));
	free(s);
}

static void test_keys_find_their_row(void **state)
{
	(void)state;
	struct tui_console *s = console(-1, 0);
	for (int i = 0; i < tui_nkeys; i++) {
		const struct tui_key *k = &tui_keys[i];
		s->pane = k->where == TUI_KEYS_FULL_PANE ? TUI_PANE_FULL : TUI_PANE_NONE;
		if (k->keys[0] == TUI_KEY_DIGITS) {
			for (int b = 0; b < view_nboards; b++)
				assert_ptr_equal(tui_key_find(s, '1' + b), k);
			if (view_nboards < 9)
				assert_null(tui_key_find(s, '1' + view_nboards));
			continue;
		}
		for (int j = 0; j < TUI_KEY_CODES && k->keys[j]; j++)
			assert_ptr_equal(tui_key_find(s, k->keys[j]), k);
	}
	s->pane = TUI_PANE_NONE;
	assert_null(tui_key_find(s, 'x'));
	free(s);
}

/* An action key applies where its board lists the action; the hints of a
 * board offer its own actions and no other board's. */
static void test_actions_follow_the_boards(void **state)
{
	(void)state;
	for (int b = 0; b < view_nboards; b++) {
		struct tui_console *s = console(-1, b);
		char hints[300];
		tui_key_hints(s, hints, sizeof(hints), 200);
		for (int i = 0; i < tui_nkeys; i++) {
			const struct tui_key *k = &tui_keys[i];
			if (!k->action)
				continue;
			bool listed = view_has_action(view_boards[b], k->action);
			assert_int_equal(tui_key_applies(k, view_boards[b]), listed);
			if (k->hint)
				assert_int_equal(strstr(hints, k->hint) != NULL, listed);
		}
		free(s);
	}
	assert_true(view_has_action(view_by_name("exceptions"), "approve"));
	assert_false(view_has_action(view_by_name("audit"), "approve"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_help_lists_every_key),
	        cmocka_unit_test(test_viewer_is_offered_no_action),
	        cmocka_unit_test(test_keys_find_their_row),
	        cmocka_unit_test(test_actions_follow_the_boards),
	};
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
