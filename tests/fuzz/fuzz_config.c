/* The config loader (settings/config.c): the input is written as a config file
 * (mode 0600) beside a token file and loaded with settings_load. Beyond "no
 * crash": a failure says why in one line that quotes no token (inline, from
 * token_file, or from token_env), and a loaded config answers its interval
 * questions for every stream. */
#include <ftw.h>
#include <jansson.h>

#include "settings/settings.h"
#include "fuzz.h"

#define ENV_SECRET "fuzz-env-secret-4711"
#define FILE_SECRET "fuzz-file-secret-0815"

static char dir[256], cfg[320];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	if (cfg[0])
		return;
	fuzz_tmpdir(dir, sizeof(dir));
	atexit(cleanup);
	char tok[320];
	snprintf(tok, sizeof(tok), "%s/token", dir);
	fuzz_write_file(tok, (const uint8_t *)FILE_SECRET "\n", strlen(FILE_SECRET) + 1);
	snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
	setenv("WAYBILL_FUZZ_TOKEN", ENV_SECRET, 1);
}

static void no_secret(const char *msg, const char *secret)
{
	if (secret && *secret && strstr(msg, secret)) {
		fprintf(stderr, "fuzz_config: a token in the message: %s\n", msg);
		abort();
	}
}

/* Whether the input holds s anywhere (memmem is GNU, and this is C11 + POSIX). */
static bool spells(const uint8_t *data, size_t size, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= size; i++)
		if (memcmp(data + i, s, n) == 0)
			return true;
	return false;
}

static void check_loaded(const struct settings *c)
{
	if (!c->path || !c->depot || !c->user || !c->currency || strlen(c->currency) != 3)
		abort();
	for (size_t i = 0; i < CONFIG_NROLES; i++) {
		const struct config_source *s = &c->sources[i];
		if (i >= CONFIG_NREQUIRED && !s->name && !s->ops)
			continue; /* an optional role left out */
		if (!s->name || !s->url || !s->token || !*s->token || !s->ops)
			abort();
		if (settings_source(c, s->name) != s)
			abort();
		size_t n;
		const struct connector_stream *st = s->ops->streams(s->name, &n);
		for (size_t j = 0; j < n; j++)
			if (config_interval_s(s, st[j].name) < 0 ||
			    settings_interval_s(c, s->name, st[j].name) < 0)
				abort();
		for (size_t j = 0; j < s->n_intervals; j++)
			if (s->intervals[j].seconds <= 0 || !s->intervals[j].stream)
				abort();
		settings_interval_s(c, s->name, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	fuzz_write_file(cfg, data, size);
	struct settings *c = NULL;
	struct wb_err err = {0};
	int rc = settings_load(cfg, &c, &err);
	if (rc == 0) {
		if (!c)
			abort();
		check_loaded(c);
		settings_free(c);
		return 0;
	}
	if (c || !err.msg[0] || strchr(err.msg, '\n'))
		abort(); /* one line, and nothing half-loaded */
	/* The file's own text may be quoted (a key, a value), so a secret the input
	 * itself spells out proves nothing; one it does not must never show. */
	if (!spells(data, size, ENV_SECRET))
		no_secret(err.msg, ENV_SECRET);
	if (!spells(data, size, FILE_SECRET))
		no_secret(err.msg, FILE_SECRET);
	json_error_t je;
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	const char *role;
	json_t *src;
	json_object_foreach(json_object_get(root, "sources"), role, src)
	        no_secret(err.msg, json_string_value(json_object_get(src, "token")));
	json_decref(root);
	return 0;
}
