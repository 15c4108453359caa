/* Drawing helpers: text cut or padded to a width in terminal cells (UTF-8 in,
 * wide characters out, control characters never), and the record of which
 * theme slot each cell shows, which the scripted mode dumps for tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "base/text.h"
#include "internal.h"

static struct {
	unsigned char *slots;
	int rows, cols;
} grid;

void tui_draw_begin(void)
{
	if (grid.rows == LINES && grid.cols == COLS && grid.slots) {
		memset(grid.slots, VIEW_S_row, (size_t)grid.rows * (size_t)grid.cols);
		return;
	}
	free(grid.slots);
	grid.rows = LINES;
	grid.cols = COLS;
	grid.slots = calloc((size_t)(LINES > 0 ? LINES : 1) * (size_t)(COLS > 0 ? COLS : 1), 1);
	if (!grid.slots)
		grid.rows = grid.cols = 0;
	else
		memset(grid.slots, VIEW_S_row, (size_t)grid.rows * (size_t)grid.cols);
}

static void mark(int y, int x, int w, enum view_slot slot)
{
	if (!grid.slots || y < 0 || y >= grid.rows)
		return;
	for (int i = x < 0 ? 0 : x; i < x + w && i < grid.cols; i++)
		grid.slots[y * grid.cols + i] = (unsigned char)slot;
}

/* Decodes utf8 into at most max wide characters that each take one or two
 * cells; what base/text.h's sanitiser replaces (controls, bidi controls,
 * undecodable bytes) is '?', and so is a character curses cannot measure.
 * Returns the count and sets widths[] (if given). */
static int decode(const char *s, wchar_t *out, int *widths, int max)
{
	int n = 0;
	size_t len = strlen(s);
	while (len && n < max) {
		uint32_t cp;
		size_t k = wb_text_next(s, len, &cp);
		wchar_t wc = (wchar_t)cp;
		int w = wcwidth(wc);
		if (w < 0) {
			wc = L'?';
			w = 1;
		}
		if (w == 0) { /* combining marks: drop rather than miscount */
			s += k;
			len -= k;
			continue;
		}
		out[n] = wc;
		if (widths)
			widths[n] = w;
		n++;
		s += k;
		len -= k;
	}
	return n;
}

int tui_text_width(const char *s)
{
	wchar_t wb[512];
	int wd[512];
	int n = decode(s, wb, wd, 512), w = 0;
	for (int i = 0; i < n; i++)
		w += wd[i];
	return w;
}

/* Lays text into at most width cells; with exact, pads to width. */
static int put(int y, int x, int width, enum view_align align, enum view_slot slot, const char *s,
               bool exact)
{
	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	wchar_t wb[512], line[1100];
	int wd[512];
	int n = decode(s, wb, wd, 512), total = 0;
	for (int i = 0; i < n; i++)
		total += wd[i];
	int used = 0, k = 0;
	if (total > width) {
		/* Cut, with an ellipsis in the last cell. */
		wchar_t ell[4];
		int ellw[4];
		int ne = decode(tui_glyph->ellipsis, ell, ellw, 4);
		int room = width - (ne ? ellw[0] : 0);
		for (int i = 0; i < n && used + wd[i] <= room; i++) {
			line[k++] = wb[i];
			used += wd[i];
		}
		if (ne && used + ellw[0] <= width) {
			line[k++] = ell[0];
			used += ellw[0];
		}
	} else {
		int pad = exact && align == VIEW_RIGHT ? width - total : 0;
		for (int i = 0; i < pad; i++)
			line[k++] = L' ';
		for (int i = 0; i < n; i++)
			line[k++] = wb[i];
		used = pad + total;
	}
	if (exact)
		while (used < width && k < (int)(sizeof(line) / sizeof(line[0])) - 1) {
			line[k++] = L' ';
			used++;
		}
	line[k] = L'\0';
	attrset(tui_attr(slot));
	mvaddnwstr(y, x, line, k);
	attrset(A_NORMAL);
	mark(y, x, used, slot);
	return used;
}

void tui_put(int y, int x, int width, enum view_align align, enum view_slot slot, const char *s)
{
	put(y, x, width, align, slot, s, true);
}

int tui_puts(int y, int x, int width, enum view_slot slot, const char *s)
{
	return put(y, x, width, VIEW_LEFT, slot, s, false);
}

void tui_hline(int y, int x, int width, enum view_slot slot)
{
	/* Drawn as text, not ACS, so that screen dumps read as what the user sees. */
	char line[4 * 1000 + 1];
	const char *g = tui_glyph->line_drawing ? "\u2500" : "-";
	size_t gl = strlen(g), n = 0;
	for (int i = 0; i < width && n + gl < sizeof(line); i++, n += gl)
		memcpy(line + n, g, gl);
	line[n] = '\0';
	tui_put(y, x, width, VIEW_LEFT, slot, line);
}

int tui_save_display(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	wchar_t wb[1100];
	for (int y = 0; y < LINES; y++) {
		int n = mvinnwstr(y, 0, wb, COLS < 1000 ? COLS : 1000);
		char out[4400];
		size_t o = 0;
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		for (int i = 0; i < n && wb[i]; i++) {
			char mb[MB_LEN_MAX];
			size_t k = wcrtomb(mb, wb[i], &st);
			if (k == (size_t)-1) {
				mb[0] = '?';
				k = 1;
				memset(&st, 0, sizeof(st));
			}
			if (o + k < sizeof(out)) {
				memcpy(out + o, mb, k);
				o += k;
			}
		}
		while (o > 0 && out[o - 1] == ' ')
			o--;
		fprintf(f, "%.*s\n", (int)o, out);
	}
	return fclose(f) == 0 ? 0 : -1;
}

int tui_save_attrs(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	const struct tui_theme *t = tui_theme_current();
	fprintf(f, "theme %s, %s\n", t->name, tui_term_colors() ? "colours" : "no colours");
	for (int y = 0; y < grid.rows; y++) {
		fprintf(f, "%2d:", y);
		int x = 0;
		while (x < grid.cols) {
			int s = grid.slots[y * grid.cols + x], n = 1;
			while (x + n < grid.cols && grid.slots[y * grid.cols + x + n] == s)
				n++;
			fprintf(f, " %s(%s)x%d", tui_slot_name[s], t->slot[s].desc, n);
			x += n;
		}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}
