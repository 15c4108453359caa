/* The `:` command line: navigation (:goto, :board), presentation (:sort,
 * :filter, :theme), :q, and the actions, which tui/act*.c carry out through
 * core/ and the outbox. Tab completes command
 * names, board and theme names, sort columns and record ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/text.h"
#include "internal.h"

/* Actions a dispatcher or supervisor takes (tui/act*.c). */
static const char *const actions[] = {"release", "hold",     "assign", "approve",
                                      "reject",  "escalate", "ack",    "acknowledge",
                                      "unhold",  "wo",       NULL};
static const char *const commands[] = {"q",     "quit", "theme", "sort",   "filter", "goto",
                                       "board", "help", "pause", "resume", NULL};
static const char *const themes[] = {"default", "light", "high-contrast", "mono", NULL};

static bool is_action(const char *w)
{
	for (int i = 0; actions[i]; i++)
		if (!strcmp(actions[i], w))
			return true;
	return false;
}

/* Splits off the first word; returns the rest with leading blanks skipped. */
static char *first_word(char *line, char **word)
{
	while (*line == ' ')
		line++;
	*word = line;
	while (*line && *line != ' ')
		line++;
	if (*line)
		*line++ = '\0';
	while (*line == ' ')
		line++;
	return line;
}

static void run_action(struct tui_console *s, const char *action, const char *args)
{
	if (tui_act_handles(action)) {
		tui_act(s, action, args);
		return;
	}
	static const struct {
		const char *word;
		void (*fn)(struct tui_console *, const char *);
	} more[] = {{"release", tui_act_release},
	            {"hold", tui_act_hold},
	            {"unhold", tui_act_unhold},
	            {"assign", tui_act_assign},
	            {"wo", tui_act_work_order}};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (!strcmp(action, more[i].word)) {
			more[i].fn(s, args);
			return;
		}
	tui_report(s, true, "%s: not an action", action);
}

/* What the user typed, quoted back in at most cells cells, whole characters
 * only, the ellipsis when cut: the status line is one line. */
static const char *quote_typed(char *buf, size_t len, const char *typed, int cells)
{
	wb_text_safe(buf, len, typed, cells, tui_glyph->ellipsis, NULL);
	return buf;
}

void tui_command(struct tui_console *s, const char *input)
{
	char quoted[4 * 40 + 8];
	char line[TUI_INPUT_MAX * 4 + 1];
	snprintf(line, sizeof(line), "%s", input);
	char *cmd, *args = first_word(line, &cmd);
	size_t al = strlen(args);
	while (al && args[al - 1] == ' ')
		args[--al] = '\0';
	struct tui_table *t = tui_current(s);
	struct wb_err err = {0};
	if (!*cmd)
		return;
	if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
		s->quit = true;
	} else if (!strcmp(cmd, "theme")) {
		if (!*args)
			tui_report(s, false,
			           "theme %s (try :theme default, light, high-contrast, mono)",
			           s->theme.name);
		else if (tui_set_theme(s, args) == 0 && !s->message[0])
			tui_report(s, false, "theme %s", s->theme.name);
	} else if (!strcmp(cmd, "sort")) {
		char *col, *dir = first_word(args, &col);
		bool desc = !strcasecmp(dir, "desc");
		if (!*col)
			tui_report(s, true, "sort needs a column, as in :sort eta");
		else if (*dir && strcasecmp(dir, "desc") && strcasecmp(dir, "asc"))
			tui_report(s, true, "sort direction is asc or desc, not \"%s\"",
			           quote_typed(quoted, sizeof(quoted), dir, 20));
		else if (tui_table_set_sort(t, col, desc, &err) != 0)
			tui_report(s, true, "%s", err.msg);
		else
			tui_report(s, false, "sorted by %s, %s", tui_table_sort_name(t),
			           desc ? "descending" : "ascending");
	} else if (!strcmp(cmd, "filter")) {
		if (tui_table_set_filter(t, args, &err) != 0)
			tui_report(s, true, "%s", err.msg);
	} else if (!strcmp(cmd, "goto")) {
		if (!*args)
			tui_report(s, true, "goto needs an id, as in :goto L-1042");
		else if (tui_table_goto(t, args, &err) != 0)
			tui_report(s, true, "%s", err.msg);
	} else if (!strcmp(cmd, "board")) {
		const struct view_ops *v = view_by_name(args);
		int n = atoi(args);
		for (int b = 0; v && b < view_nboards; b++)
			if (view_boards[b] == v)
				n = b + 1;
		if (n < 1 || n > view_nboards)
			tui_report(s, true, "no board \"%s\" (1-%d or a name)",
			           quote_typed(quoted, sizeof(quoted), args, 30), view_nboards);
		else
			tui_switch_board(s, n - 1);
	} else if (!strcmp(cmd, "help")) {
		s->help = true;
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
		s->paused = !strcmp(cmd, "pause");
		s->data_stale = !s->paused;
		tui_report(s, false, s->paused ? "updates paused" : "updates resumed");
	} else if (is_action(cmd)) {
		run_action(s, cmd, args);
	} else {
		tui_report(s, true, "unknown command \"%s\" (:help lists the keys and commands)",
		           quote_typed(quoted, sizeof(quoted), cmd, 40));
	}
	tui_request_redraw(s);
}

/* Completes word against candidates; returns the number of matches and
 * writes the longest common prefix into out. */
static int complete_list(const char *word, const char *const *cands, int n, char *out, size_t len,
                         char *list, size_t listlen)
{
	int matches = 0;
	size_t wl = strlen(word), lo = 0;
	list[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strncasecmp(cands[i], word, wl))
			continue;
		if (!matches++)
			snprintf(out, len, "%s", cands[i]);
		else {
			size_t k = 0;
			while (out[k] && cands[i][k] && out[k] == cands[i][k])
				k++;
			out[k] = '\0';
		}
		lo += (size_t)snprintf(list + lo, lo < listlen ? listlen - lo : 0, "%s%s",
		                       matches > 1 ? " " : "", cands[i]);
		if (lo >= listlen)
			lo = listlen - 1;
	}
	return matches;
}

void tui_complete(struct tui_console *s)
{
	char line[TUI_INPUT_MAX * 4 + 1];
	tui_prompt_text(&s->prompt, line, sizeof(line));
	if (s->prompt.kind != ':')
		return;
	char *sp = strrchr(line, ' ');
	char *word = sp ? sp + 1 : line;
	const char *cands[64];
	char ids[40][128];
	int n = 0;
	if (!sp) {
		for (int i = 0; commands[i] && n < 60; i++)
			cands[n++] = commands[i];
		for (int i = 0; actions[i] && n < 60; i++)
			cands[n++] = actions[i];
	} else if (!strncmp(line, "theme ", 6)) {
		for (int i = 0; themes[i]; i++)
			cands[n++] = themes[i];
	} else if (!strncmp(line, "board ", 6)) {
		for (int b = 0; b < view_nboards; b++)
			cands[n++] = view_boards[b]->name;
	} else if (!strncmp(line, "sort ", 5) && tui_current(s)->view->board) {
		const char *const *so = tui_current(s)->view->board->sorts;
		for (int i = 0; so[i] && n < 60; i++)
			cands[n++] = so[i];
	} else {
		int k = tui_table_complete(tui_current(s), word, ids, 40);
		for (int i = 0; i < k; i++)
			cands[n++] = ids[i];
	}
	char best[160] = "", list[200];
	int m = complete_list(word, cands, n, best, sizeof(best), list, sizeof(list));
	if (m == 0) {
		tui_report(s, true, "nothing completes \"%.40s\"", word);
		return;
	}
	*word = '\0';
	char out[TUI_INPUT_MAX * 4 + 200];
	snprintf(out, sizeof(out), "%s%s%s", line, best, m == 1 && !sp ? " " : "");
	tui_prompt_set(&s->prompt, out);
	if (m > 1)
		tui_report(s, false, "%s", list);
	else
		s->message[0] = '\0';
}
