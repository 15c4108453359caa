/* The help overlay (`?`): every key of the key table (keys.c) that is offered
 * to this user, generated from the table, then the commands, in a box over
 * the board. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define COL_W 39   /* two entries a line at 80 columns, less the margin */
#define LABEL_W 13 /* "1-8 Tab S-Tab" */

/* The commands (tui/command.c) and what the keys cannot say. */
static const char *const tail[] = {
        "Commands (: then Enter; Up/Down history, Tab completes)",
        "  :q  :goto ID  :board NAME  :sort COLUMN [asc|desc]  :filter TEXT",
        "  :theme default|light|high-contrast|mono  :pause  :resume  :help",
        "  :release ID [override REASON]  :hold ID REASON  :unhold ID [override REASON]",
        "  :assign LOAD VEHICLE DRIVER  :wo VEHICLE [FAULT]  :approve :reject :escalate :ack",
        "In a prompt: Left Right Home End, Backspace, Ctrl-U clears, Esc cancels",
        "Live rows: a dot marks a row that just changed; dim rows are stale. While you",
        "  move (until 1.5 s after a key), the selected row keeps its place on screen.",
        NULL,
};

/* The boards an action applies on, for its help entry: " (Loads)"; brief: by
 * their short titles where they have one (" (Loads, Bill)"). */
static void action_where(const char *action, bool brief, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int b = 0; b < view_nboards && n < len; b++)
		if (view_has_action(view_boards[b], action))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : " (",
			                      brief && view_boards[b]->short_title
			                              ? view_boards[b]->short_title
			                              : view_boards[b]->title);
	if (n && n < len)
		snprintf(buf + n, len - n, ")");
}

int tui_help_lines(const struct tui_console *s, char lines[][TUI_HELP_W], int max)
{
	char entry[64][TUI_HELP_W];
	int nentries = 0;
	/* One entry per run of neighbouring rows with the same help text. */
	for (int i = 0; i < tui_nkeys && nentries < 64; i++) {
		const struct tui_key *k = &tui_keys[i];
		if (!tui_key_offered(s, k, NULL))
			continue;
		char label[TUI_HELP_W] = "", where[80] = "", one[32];
		int j = i;
		for (; j < tui_nkeys && !strcmp(tui_keys[j].help, k->help) &&
		       tui_keys[j].where == k->where;
		     j++) {
			tui_key_label(&tui_keys[j], one, sizeof(one));
			size_t n = strlen(label);
			snprintf(label + n, sizeof(label) - n, "%s%s", n ? " " : "", one);
		}
		i = j - 1;
		/* An entry too long to share its line takes the boards' short titles. */
		for (int brief = 0; brief < 2; brief++) {
			if (k->action)
				action_where(k->action, brief, where, sizeof(where));
			snprintf(entry[nentries], TUI_HELP_W, "%-*.40s %.60s%.40s", LABEL_W, label,
			         k->help, where);
			if (!k->action || strlen(entry[nentries]) < COL_W - 1)
				break;
		}
		nentries++;
	}
	int n = 0; /* the box's title says what this is: no heading */
	/* Two entries a line where both fit in half the width; else one. */
	for (int e = 0; e < nentries && n < max; e++) {
		size_t w = strlen(entry[e]);
		if (w < COL_W - 1 && e + 1 < nentries && strlen(entry[e + 1]) < COL_W - 1) {
			snprintf(lines[n++], TUI_HELP_W, "  %-*.*s%.*s", COL_W - 1, COL_W - 1,
			         entry[e], COL_W * 2, entry[e + 1]);
			e++;
		} else {
			snprintf(lines[n++], TUI_HELP_W, "  %.*s", TUI_HELP_W - 3, entry[e]);
		}
	}
	for (int i = 0; tail[i] && n < max; i++)
		snprintf(lines[n++], TUI_HELP_W, "%s", tail[i]);
	return n;
}

void tui_help_draw(struct tui_console *s)
{
	char lines[48][TUI_HELP_W];
	int n = tui_help_lines(s, lines, 48);
	int w = COLS; /* the whole width: what is underneath never shows at the edges */
	int h = n + 2;
	int y0 = (LINES - h) / 2, x0 = 0;
	if (y0 < 2)
		y0 = 2;
	tui_put(y0, x0, w, VIEW_LEFT, VIEW_S_dialog,
	        " Help: keys, then commands (any key closes it)");
	for (int i = 0; i < n && y0 + 1 + i < LINES; i++) {
		tui_put(y0 + 1 + i, x0, 2, VIEW_LEFT, VIEW_S_dialog, "");
		tui_put(y0 + 1 + i, x0 + 2, w - 2, VIEW_LEFT, VIEW_S_dialog, lines[i]);
	}
	if (y0 + h - 1 < LINES)
		tui_put(y0 + h - 1, x0, w, VIEW_LEFT, VIEW_S_dialog, "");
}
