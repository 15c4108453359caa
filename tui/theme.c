/* Colour themes as data: themes/NAME.theme files, one slot a line
 * ("slot = foreground background [attributes]"; see themes/default.theme).
 * A theme that cannot be read leaves the current one in place and says which
 * file and line is wrong. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#ifndef WAYBILL_DATADIR
#define WAYBILL_DATADIR "/usr/local/share/waybill"
#endif

const char *const tui_slot_name[] = {
#define SLOT_NAME(n) #n,
        VIEW_SLOTS(SLOT_NAME)
#undef SLOT_NAME
};

/* Used when no theme file can be found at all (an installed binary without
 * its data directory); the same as themes/default.theme and mono.theme. */
static const char builtin_default[] =
        "header = white blue bold\n tabs = white default\n tab_active = black cyan bold\n"
        "column = cyan default bold\n row = default default\n selected = black cyan\n"
        "marked = yellow default bold\n stale = 244 default dim\n fresh = green default bold\n"
        "late = red default bold\n hold = red default bold\n warn = yellow default\n"
        "ok = green default\n status = white default\n error = white red bold\n"
        "dialog = black white\n";
static const char builtin_mono[] =
        "header = default default reverse\n tabs = default default\n"
        "tab_active = default default reverse bold\n column = default default bold underline\n"
        "row = default default\n selected = default default reverse\n"
        "marked = default default bold\n stale = default default dim\n"
        "fresh = default default bold\n late = default default bold standout\n"
        "hold = default default bold standout\n warn = default default bold\n"
        "ok = default default\n status = default default\n error = default default reverse bold\n"
        "dialog = default default reverse\n";

static struct tui_theme current;

static const char *const colour_names[] = {"black", "red",     "green", "yellow",
                                           "blue",  "magenta", "cyan",  "white"};

static int parse_colour(const char *w, short *out)
{
	if (!strcasecmp(w, "default")) {
		*out = -1;
		return 0;
	}
	for (int i = 0; i < 8; i++)
		if (!strcasecmp(w, colour_names[i])) {
			*out = (short)i;
			return 0;
		}
	char *end;
	errno = 0;
	long n = strtol(w, &end, 10);
	if (*w && !*end && !errno && n >= 0 && n <= 255) {
		*out = (short)n;
		return 0;
	}
	return -1;
}

static int parse_attr(const char *w, attr_t *a)
{
	static const struct {
		const char *name;
		attr_t attr;
	} attrs[] = {{"bold", A_BOLD},
	             {"dim", A_DIM},
	             {"reverse", A_REVERSE},
	             {"underline", A_UNDERLINE},
	             {"standout", A_STANDOUT}};
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (!strcasecmp(w, attrs[i].name)) {
			*a |= attrs[i].attr;
			return 0;
		}
	return -1;
}

static int slot_by_name(const char *w)
{
	for (int i = 0; i < VIEW_S__COUNT; i++)
		if (!strcmp(w, tui_slot_name[i]))
			return i;
	return -1;
}

/* Parses theme text into t. On error, msg says "FILE line N: what". */
static int parse(const char *text, const char *file, struct tui_theme *t, char *msg, size_t ml)
{
	int lineno = 0;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char line[256];
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(msg, ml, "%s line %d: line too long", file, lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (eol ? 1 : 0);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *eq = strchr(line, '=');
		char *words[8];
		int nw = 0;
		for (char *w = strtok(line, " \t\r="); w && nw < 8; w = strtok(NULL, " \t\r="))
			words[nw++] = w;
		if (nw == 0)
			continue;
		if (!eq) {
			snprintf(msg, ml, "%s line %d: expected \"slot = foreground background\"",
			         file, lineno);
			return -1;
		}
		int slot = slot_by_name(words[0]);
		if (slot < 0) {
			snprintf(msg, ml, "%s line %d: unknown slot \"%.32s\"", file, lineno,
			         words[0]);
			return -1;
		}
		if (nw < 3) {
			snprintf(msg, ml, "%s line %d: %s needs a foreground and a background",
			         file, lineno, words[0]);
			return -1;
		}
		struct tui_theme_slot s = {.attr = A_NORMAL};
		if (parse_colour(words[1], &s.fg) || parse_colour(words[2], &s.bg)) {
			snprintf(msg, ml, "%s line %d: unknown colour \"%.32s\" (a name or 0-255)",
			         file, lineno, parse_colour(words[1], &s.fg) ? words[1] : words[2]);
			return -1;
		}
		int dn = snprintf(s.desc, sizeof(s.desc), "%s/%s", words[1], words[2]);
		for (int i = 3; i < nw; i++) {
			if (parse_attr(words[i], &s.attr)) {
				snprintf(msg, ml, "%s line %d: unknown attribute \"%.32s\"", file,
				         lineno, words[i]);
				return -1;
			}
			if (dn > 0 && (size_t)dn < sizeof(s.desc))
				dn += snprintf(s.desc + dn, sizeof(s.desc) - (size_t)dn, " %s",
				               words[i]);
		}
		t->slot[slot] = s;
	}
	return 0;
}

void tui_theme_builtin(struct tui_theme *t, bool mono)
{
	char msg[160];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", mono ? "mono" : "default");
	parse(mono ? builtin_mono : builtin_default, "built-in", t, msg, sizeof(msg));
}

static bool plain_name(const char *n)
{
	if (!*n || strlen(n) > 40)
		return false;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

static char *read_small_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

int tui_theme_load(const char *name, struct tui_theme *t, char *msg, size_t ml)
{
	char path[4096] = "";
	char *text = NULL;
	if (strchr(name, '/')) {
		snprintf(path, sizeof(path), "%s", name);
		text = read_small_file(path);
	} else if (plain_name(name)) {
		const char *env = getenv("WAYBILL_THEMES");
		const char *dirs[] = {env && *env ? env : NULL, "themes",
		                      WAYBILL_DATADIR "/themes"};
		for (size_t i = 0; i < 3 && !text; i++) {
			if (!dirs[i])
				continue;
			snprintf(path, sizeof(path), "%.3000s/%s.theme", dirs[i], name);
			text = read_small_file(path);
		}
	} else {
		snprintf(msg, ml, "theme name \"%.40s\" may use only letters, digits, - and _",
		         name);
		return -1;
	}
	if (!text) {
		if (!strchr(name, '/') && (!strcmp(name, "default") || !strcmp(name, "mono"))) {
			tui_theme_builtin(t, !strcmp(name, "mono"));
			return 0;
		}
		snprintf(msg, ml,
		         "theme \"%.40s\" not found (looked in $WAYBILL_THEMES, ./themes, %s)",
		         name, WAYBILL_DATADIR "/themes");
		return -1;
	}
	struct tui_theme nt;
	tui_theme_builtin(&nt, false); /* slots a file leaves out keep the default */
	int rc = parse(text, path, &nt, msg, ml);
	free(text);
	if (rc)
		return rc;
	const char *base = strrchr(name, '/');
	snprintf(nt.name, sizeof(nt.name), "%.63s", base ? base + 1 : name);
	*t = nt;
	return 0;
}

/* A colour the terminal cannot show becomes the nearest of its basic eight. */
static short fit_colour(short c)
{
	if (c < 0 || c < COLORS)
		return c;
	if (c < 16)
		return (short)(c - 8);
	if (c >= 232) /* grey ramp */
		return c < 244 ? COLOR_BLACK : COLOR_WHITE;
	int v = c - 16, r = v / 36, g = v / 6 % 6, b = v % 6;
	return (short)((r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0));
}

void tui_theme_apply(const struct tui_theme *t)
{
	current = *t;
	if (!tui_term_colors())
		return;
	for (int i = 0; i < VIEW_S__COUNT && i + 1 < COLOR_PAIRS; i++)
		init_pair((short)(i + 1), fit_colour(t->slot[i].fg), fit_colour(t->slot[i].bg));
}

const struct tui_theme *tui_theme_current(void)
{
	return &current;
}

attr_t tui_attr(enum view_slot s)
{
	attr_t a = current.slot[s].attr;
	if (tui_term_colors() && (int)s + 1 < COLOR_PAIRS)
		a |= COLOR_PAIR((int)s + 1);
	return a;
}
