/* Scripted mode for screen tests (as tig's test/tools do): keys come from a
 * file, one key, typed text or :command a line, and directives dump the
 * screen. The console feeds the next key only when it is quiet.
 *
 *   j                 typed as is: each character a key
 *   /harbor<Enter>    <Name> tokens inline: <Enter> <Esc> <Tab> <BTab> <Space>
 *                     <Up> <Down> <Left> <Right> <PgUp> <PgDn> <Home> <End>
 *                     <Backspace> <Del> <lt> <C-a>..<C-z>
 *   :goto L-1042      a command: ':' + text + Enter
 *   :save-display F   the screen as text;  :save-attrs F  theme slots per cell run
 *   :resize 60x20     resizeterm, as a SIGWINCH would
 *   :run COMMAND      runs COMMAND (sh -c) to its end, as another process
 *                     writing the cache, then re-reads the board as a tick would
 *   # comment         ignored, as are empty lines */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define SCRIPT_LINE 8192

struct tui_script {
	FILE *f;
	char path[512];
	int lineno;
	int keys[SCRIPT_LINE];
	int nkeys, next;
};

static const struct {
	const char *name;
	int key;
} names[] = {
        {"Enter", '\r'},
        {"Esc", TUI_ESC},
        {"Tab", '\t'},
        {"BTab", TUI_FN(KEY_BTAB)},
        {"Space", ' '},
        {"Up", TUI_FN(KEY_UP)},
        {"Down", TUI_FN(KEY_DOWN)},
        {"Left", TUI_FN(KEY_LEFT)},
        {"Right", TUI_FN(KEY_RIGHT)},
        {"PgUp", TUI_FN(KEY_PPAGE)},
        {"PgDn", TUI_FN(KEY_NPAGE)},
        {"Home", TUI_FN(KEY_HOME)},
        {"End", TUI_FN(KEY_END)},
        {"Backspace", 0x7f},
        {"Del", TUI_FN(KEY_DC)},
        {"lt", '<'},
};

int tui_key_parse(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len && !strncasecmp(names[i].name, name, len))
			return names[i].key;
	if (len == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-') {
		char c = name[2];
		if (c >= 'a' && c <= 'z')
			return TUI_CTRL(c);
		if (c >= 'A' && c <= 'Z')
			return TUI_CTRL(c - 'A' + 'a');
	}
	return -1;
}

struct tui_script *tui_script_open(const char *path, struct wb_err *err)
{
	struct tui_script *sc = calloc(1, sizeof(*sc));
	if (!sc) {
		wb_fail(err, WB_ENOMEM, "out of memory");
		return NULL;
	}
	sc->f = fopen(path, "r");
	if (!sc->f) {
		wb_fail(err, WB_EIO, "cannot read the key script %.200s", path);
		free(sc);
		return NULL;
	}
	snprintf(sc->path, sizeof(sc->path), "%s", path);
	return sc;
}

void tui_script_free(struct tui_script *sc)
{
	if (!sc)
		return;
	fclose(sc->f);
	free(sc);
}

/* Decodes one UTF-8 character; returns its length. */
static int utf8_char(const unsigned char *p, int *cp)
{
	int c = p[0], more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	int n = 1;
	if (more)
		c &= 0x3f >> more;
	for (; more && (p[n] & 0xc0) == 0x80; more--, n++)
		c = (c << 6) | (p[n] & 0x3f);
	*cp = c;
	return n;
}

static void queue_text(struct tui_script *sc, const char *line)
{
	const unsigned char *p = (const unsigned char *)line;
	while (*p && sc->nkeys < SCRIPT_LINE) {
		if (*p == '<') {
			const char *end = strchr((const char *)p, '>');
			int k = end ? tui_key_parse((const char *)p + 1,
			                            (size_t)(end - (const char *)p - 1))
			            : -1;
			if (k >= 0) {
				sc->keys[sc->nkeys++] = k;
				p = (const unsigned char *)end + 1;
				continue;
			}
		}
		int cp;
		p += utf8_char(p, &cp);
		sc->keys[sc->nkeys++] = cp;
	}
}

static bool directive(struct tui_script *sc, struct tui_console *s, const char *line)
{
	const char *arg = strchr(line, ' ');
	arg = arg ? arg + 1 : "";
	if (!strncmp(line, ":save-display ", 14)) {
		if (tui_save_display(arg) != 0)
			tui_die("%s:%d: cannot write %s", sc->path, sc->lineno, arg);
		return true;
	}
	if (!strncmp(line, ":save-attrs ", 12)) {
		if (tui_save_attrs(arg) != 0)
			tui_die("%s:%d: cannot write %s", sc->path, sc->lineno, arg);
		return true;
	}
	if (!strncmp(line, ":run ", 5)) {
		int rc = system(arg);
		if (rc != 0)
			tui_die("%s:%d: \"%s\" failed (status %d)", sc->path, sc->lineno, arg, rc);
		s->data_stale = true;
		s->count_stale = true;
		tui_request_redraw(s);
		return true;
	}
	if (!strncmp(line, ":resize ", 8)) {
		int cols, rows;
		if (sscanf(arg, "%dx%d", &cols, &rows) != 2 || cols < 1 || rows < 1 ||
		    cols > 1000 || rows > 1000)
			tui_die("%s:%d: :resize wants COLSxROWS", sc->path, sc->lineno);
		tui_resized(s, rows, cols);
		return true;
	}
	return false;
}

bool tui_script_step(struct tui_script *sc, struct tui_console *s)
{
	static char line[SCRIPT_LINE + 2];
	while (sc->next >= sc->nkeys) {
		sc->next = sc->nkeys = 0;
		if (!fgets(line, sizeof(line), sc->f))
			return false;
		sc->lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (line[0] == ':' && directive(sc, s, line))
			return true; /* one directive a step, so the screen settles after a resize
			              */
		queue_text(sc, line);
		if (line[0] == ':' && sc->nkeys < SCRIPT_LINE)
			sc->keys[sc->nkeys++] = '\r';
	}
	tui_handle_key(s, sc->keys[sc->next++]);
	return true;
}
