/* The help overlay (`?`): every key and command, in a box over the board. */

#include "internal.h"

const char *const tui_help_lines[] = {
        "Keys",
        "  1-8 Tab S-Tab   switch board          j k Up Down   move",
        "  PgUp PgDn       page                  g G Home End  first, last row",
        "  Enter           detail, full detail   Esc           close the detail",
        "  /               filter (text or status:VALUE; empty clears)",
        "  s  S            next sort column, reverse the sort",
        "  Space           mark the row (marks are kept by id)",
        "  r h a           release, hold, assign the selected load, vehicle or invoice",
        "  A R E K         approve, reject, escalate, acknowledge",
        "  p               pause or resume updates   Ctrl-L  repaint",
        "  ?               this help                 q       quit",
        "Commands (: then Enter; Up/Down history, Tab completes)",
        "  :q  :goto ID  :board NAME  :sort COLUMN [asc|desc]  :filter TEXT",
        "  :theme default|light|high-contrast|mono  :pause  :resume  :help",
        "  :release ID [override REASON]  :hold ID REASON  :unhold ID [override REASON]",
        "  :assign LOAD VEHICLE DRIVER  :wo VEHICLE [FAULT]  :approve :reject :escalate :ack",
        "In a prompt: Left Right Home End, Backspace, Ctrl-U clears, Esc cancels",
        "Live rows: a dot marks a row that just changed; dim rows are stale. While you",
        "  move (until 1.5 s after a key), the selected row keeps its place on screen.",
        "Any key closes this help.",
        NULL,
};

void tui_help_draw(struct tui_console *s)
{
	int n = 0, w = 0;
	for (; tui_help_lines[n]; n++) {
		int lw = tui_text_width(tui_help_lines[n]);
		if (lw > w)
			w = lw;
	}
	w = COLS; /* the whole width: what is underneath never shows at the edges */
	int h = n + 2;
	int y0 = (LINES - h) / 2, x0 = 0;
	if (y0 < 2)
		y0 = 2;
	tui_put(y0, x0, w, VIEW_LEFT, VIEW_S_dialog, " Help");
	for (int i = 0; i < n && y0 + 1 + i < LINES; i++) {
		tui_put(y0 + 1 + i, x0, 2, VIEW_LEFT, VIEW_S_dialog, "");
		tui_put(y0 + 1 + i, x0 + 2, w - 2, VIEW_LEFT, VIEW_S_dialog, tui_help_lines[i]);
	}
	if (y0 + h - 1 < LINES)
		tui_put(y0 + h - 1, x0, w, VIEW_LEFT, VIEW_S_dialog, "");
}
