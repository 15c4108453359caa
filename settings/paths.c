/* Where the config and cache live: flags, then environment, then XDG. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings/paths.h"
#include "settings/settings.h"

static int mkdir_p(char *dir, mode_t mode)
{
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(dir, mode);
		*p = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(dir, mode) != 0 && errno != EEXIST ? -1 : 0;
}

static int resolve(const char *flag, const char *env, const char *xdg_env, const char *home_sub,
                   const char *file, bool create, char *buf, size_t len, struct wb_err *err)
{
	const char *v = flag && *flag ? flag : env ? getenv(env) : NULL;
	if (v && *v) {
		if (strlen(v) >= len)
			return wb_fail(err, WB_EINVALID, "path too long: %.60s...", v);
		snprintf(buf, len, "%s", v);
		return 0;
	}
	char dir[4096];
	const char *x = getenv(xdg_env);
	const char *home = getenv("HOME");
	if (x && *x == '/')
		snprintf(dir, sizeof(dir), "%s/waybill", x);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/%s/waybill", home, home_sub);
	else
		return wb_fail(err, WB_EINVALID,
		               "neither $%s nor $HOME is set; pass the path with a flag", xdg_env);
	if (create && mkdir_p(dir, 0700) != 0)
		return wb_fail(err, WB_EIO, "cannot create %s: %s", dir, strerror(errno));
	if ((size_t)snprintf(buf, len, "%s/%s", dir, file) >= len)
		return wb_fail(err, WB_EINVALID, "path too long under %s", dir);
	return 0;
}

int settings_config_path(const char *flag, char *buf, size_t len, struct wb_err *err)
{
	return resolve(flag, "WAYBILL_CONFIG", "XDG_CONFIG_HOME", ".config", "config.json", false,
	               buf, len, err);
}

int settings_cache_path(const char *flag, bool create, char *buf, size_t len, struct wb_err *err)
{
	return resolve(flag, "WAYBILL_CACHE", "XDG_CACHE_HOME", ".cache", "cache.db", create, buf,
	               len, err);
}

int settings_config_dir_file(const char *file, bool create, char *buf, size_t len,
                             struct wb_err *err)
{
	return resolve(NULL, NULL, "XDG_CONFIG_HOME", ".config", file, create, buf, len, err);
}

int settings_load_found(const char *flag, struct settings **out, char *path, size_t len,
                        struct wb_err *err)
{
	*out = NULL;
	int rc = settings_config_path(flag, path, len, err);
	if (rc != 0)
		return rc;
	if (!flag && access(path, F_OK) != 0)
		return 0;
	return settings_load(path, out, err);
}
