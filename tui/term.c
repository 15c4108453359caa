/* The terminal: the one place that sets up and restores ncurses (as htop's
 * CRT.c does). UTF-8 or ASCII glyphs are chosen once from the locale; colours
 * only when the terminal has them and NO_COLOR is unset; stderr is captured
 * while curses owns the screen and printed after endwin, so that SQLite or
 * libcurl warnings never scribble on a board; crashes restore the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "internal.h"

static const struct tui_glyphs utf8_glyphs = {
        .live = "\u25cf",
        .lag = "\u25d0",
        .down = "\u25cb",
        .nodata = "\u00b7",
        .cursor = "\u25b8",
        .mark = "*",
        .dot = "\u00b7",
        .arrow = "\u2192",
        .ellipsis = "\u2026",
        .line_drawing = true,
};
static const struct tui_glyphs ascii_glyphs = {
        .live = "*",
        .lag = "~",
        .down = "x",
        .nodata = "-",
        .cursor = ">",
        .mark = "*",
        .dot = "-",
        .arrow = "->",
        .ellipsis = "~",
        .line_drawing = false,
};
const struct tui_glyphs *tui_glyph = &ascii_glyphs;

static struct {
	bool open;
	bool utf8, colors;
	SCREEN *scr;
	FILE *in, *out;
	int saved_stderr; /* the real stderr while it is captured, else -1 */
	int capture_fd;   /* the temporary file stderr goes to */
} term = {.saved_stderr = -1, .capture_fd = -1};

bool tui_term_utf8(void)
{
	return term.utf8;
}

bool tui_term_colors(void)
{
	return term.colors;
}

static void capture_stderr(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%.4000s/waybill-stderr.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return; /* stderr stays where it was: better than no console */
	unlink(path);
	fflush(stderr);
	term.saved_stderr = dup(STDERR_FILENO);
	if (term.saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		if (term.saved_stderr >= 0)
			close(term.saved_stderr);
		term.saved_stderr = -1;
		return;
	}
	term.capture_fd = fd;
}

/* Copies what fd holds to stderr through base/'s sanitiser, newlines kept: a
 * library's warning may quote a source. A character a read cut in two waits
 * for the next read. Async-signal-safe: no allocation, no stdio. */
static void replay(int fd)
{
	char in[4096], out[4096];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, in + have, sizeof(in) - have);
		bool end = n <= 0;
		size_t len = have + (end ? 0 : (size_t)n), i = 0, o = 0;
		while (i < len) {
			unsigned char b = (unsigned char)in[i];
			size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
			if (!end && len - i < need)
				break;
			uint32_t cp;
			size_t k = b == '\n' ? 1 : wb_text_next(in + i, len - i, &cp);
			if (b != '\n' && cp == WB_TEXT_REPLACEMENT)
				out[o++] = WB_TEXT_REPLACEMENT;
			else
				memcpy(out + o, in + i, k), o += k;
			i += k;
		}
		if (o && write(STDERR_FILENO, out, o) < 0)
			return;
		memmove(in, in + i, len - i);
		have = len - i;
		if (end)
			return;
	}
}

/* Puts stderr back and copies what was captured to it. Async-signal-safe. */
static void release_stderr(void)
{
	if (term.saved_stderr < 0)
		return;
	dup2(term.saved_stderr, STDERR_FILENO);
	close(term.saved_stderr);
	term.saved_stderr = -1;
	if (lseek(term.capture_fd, 0, SEEK_SET) == 0)
		replay(term.capture_fd);
	close(term.capture_fd);
	term.capture_fd = -1;
}

static void restore(void)
{
	if (!term.open)
		return;
	term.open = false;
	endwin();
	release_stderr();
}

static void on_crash(int sig)
{
	restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_crash_handlers(void)
{
	int sigs[] = {
		SIGABRT,
		SIGFPE,
		SIGILL,
#if !defined(__SANITIZE_ADDRESS__)
		SIGSEGV,
		SIGBUS,
#endif
	};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa = {0};
		sa.sa_handler = on_crash;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = (int)SA_RESETHAND;
		sigaction(sigs[i], &sa, NULL);
	}
}

int tui_term_open(const struct tui_term_opts *o, struct wb_err *err)
{
	const char *cs = nl_langinfo(CODESET);
	term.utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
	tui_glyph = term.utf8 ? &utf8_glyphs : &ascii_glyphs;
	if (o->script) {
		/* Tests: no terminal at all. The size comes from LINES and COLUMNS. */
		const char *tn = getenv("TERM");
		term.out = fopen("/dev/null", "w");
		term.in = fopen("/dev/null", "r");
		if (!term.out || !term.in)
			return wb_fail(err, WB_EIO, "cannot open /dev/null: %s", strerror(errno));
		term.scr = newterm(tn && *tn ? tn : "xterm-256color", term.out, term.in);
		if (!term.scr) {
			fclose(term.out);
			fclose(term.in);
			return wb_fail(err, WB_EINVALID, "no terminal description for TERM=%.40s",
			               tn ? tn : "");
		}
		set_term(term.scr);
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
			return wb_fail(err, WB_EINVALID,
			               "the console needs a terminal; try `waybill cache info`");
		const char *tn = getenv("TERM");
		term.scr = newterm(tn && *tn ? tn : "vt100", stdout, stdin);
		if (!term.scr)
			return wb_fail(err, WB_EINVALID,
			               "cannot use this terminal (TERM=%.40s); try TERM=vt100",
			               tn ? tn : "");
		set_term(term.scr);
		capture_stderr();
	}
	term.open = true;
	install_crash_handlers();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	const char *nc = getenv("NO_COLOR");
	term.colors = !(nc && *nc) && has_colors();
	if (term.colors) {
		start_color();
		use_default_colors();
	}
	return 0;
}

void tui_term_close(void)
{
	restore();
	if (term.scr) {
		delscreen(term.scr);
		term.scr = NULL;
	}
	if (term.out)
		fclose(term.out);
	if (term.in)
		fclose(term.in);
	term.out = term.in = NULL;
}

void tui_die(const char *fmt, ...)
{
	tui_term_close();
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "waybill: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}
