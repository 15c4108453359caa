/* The theme loader (tui/theme.c): the input is written as a theme file and
 * loaded by path. A theme that loads names every slot's colours within the
 * terminal's range; one that does not leaves the theme as it was and says
 * which line is wrong. */
#include <ftw.h>

#include "tui/internal.h"
#include "fuzz.h"

static char dir[256], file[320];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!file[0]) {
		fuzz_tmpdir(dir, sizeof(dir));
		atexit(cleanup);
		snprintf(file, sizeof(file), "%s/fuzz.theme", dir);
	}
	fuzz_write_file(file, data, size);
	struct tui_theme t, before;
	tui_theme_builtin(&t, true);
	memcpy(&before, &t, sizeof(t));
	char msg[256] = "";
	if (tui_theme_load(file, &t, msg, sizeof(msg)) == 0) {
		if (strcmp(t.name, "fuzz.theme") != 0)
			abort();
		for (int i = 0; i < VIEW_S__COUNT; i++) {
			const struct tui_theme_slot *s = &t.slot[i];
			if (s->fg < -1 || s->fg > 255 || s->bg < -1 || s->bg > 255 ||
			    strnlen(s->desc, sizeof(s->desc)) == sizeof(s->desc))
				abort();
		}
	} else if (!msg[0] || strchr(msg, '\n') || memcmp(&t, &before, sizeof(t)) != 0) {
		abort();
	}
	return 0;
}
