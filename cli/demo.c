/* waybill --demo: starts the bundled depot simulator on free loopback ports,
 * writes a temporary config (0600) and cache for it, opens the console with
 * the sync engine live, and on quit stops the simulator and removes every
 * file it made. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cache/cache.h"
#include "settings/settings.h"
#include "cli/cmd.h"
#include "cli/out.h"
#include "settings/paths.h"
#include "tui/tui.h"

extern char **environ;

/* Leaves room for "/cache.db-journal" under the temporary directory. */
#define DIR_MAX (PATH_MAX - 32)
#define SIM_START_TIMEOUT_MS 20000

struct demo {
	char dir[DIR_MAX];
	pid_t sim;
	int sim_out; /* read end of the simulator's stdout */
};

static void remove_files(const char *dir)
{
	static const char *const names[] = {"cache.db", "cache.db-wal", "cache.db-shm",
	                                    "cache.db-journal", "config.json"};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%.*s/%s", DIR_MAX, dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* The simulator beside this binary (build/ or $PREFIX/bin), else on $PATH. */
static void sim_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%.*s/waybill-sim", (int)(len - 16), self);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "waybill-sim");
}

static int start_sim(struct demo *d, char *line, size_t len, struct wb_err *err)
{
	int out[2];
	if (pipe(out) != 0)
		return wb_fail(err, WB_EIO, "cannot make a pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	/* The simulator must never write over the board. */
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	char path[PATH_MAX];
	sim_path(path, sizeof(path));
	char *argv[] = {path, "--port", "0", "--start", "now", NULL};
	int rc = posix_spawnp(&d->sim, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	if (rc != 0) {
		close(out[0]);
		d->sim = 0;
		return wb_fail(err, WB_EIO, "cannot start %s: %s (build it with `make`)", path,
		               strerror(rc));
	}
	d->sim_out = out[0];
	/* Its first line says where it listens. The loop is not running yet, so
	 * waiting here holds up nothing. */
	size_t got = 0;
	while (got < len - 1) {
		struct pollfd pfd = {.fd = d->sim_out, .events = POLLIN};
		int pr = poll(&pfd, 1, SIM_START_TIMEOUT_MS);
		if (pr <= 0)
			return wb_fail(err, WB_EIO,
			               "waybill-sim did not say it was ready within %d s",
			               SIM_START_TIMEOUT_MS / 1000);
		ssize_t n = read(d->sim_out, line + got, 1);
		if (n <= 0)
			return wb_fail(err, WB_EIO, "waybill-sim exited before it was ready");
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	return 0;
}

static void stop_sim(struct demo *d)
{
	if (d->sim > 0) {
		kill(d->sim, SIGTERM);
		int st;
		while (waitpid(d->sim, &st, 0) < 0 && errno == EINTR)
			;
		d->sim = 0;
	}
	if (d->sim_out > 0)
		close(d->sim_out);
	d->sim_out = -1;
}

/* The config for the simulator's three services, as a dispatcher. */
static int write_config(const char *line, const char *path, struct wb_err *err)
{
	json_error_t je;
	json_t *ready = json_loads(line, 0, &je);
	json_t *services = json_object_get(ready, "services");
	const char *token =
	        json_string_value(json_object_get(json_object_get(ready, "tokens"), "dispatcher"));
	if (!json_is_object(services) || !token) {
		json_decref(ready);
		return wb_fail(err, WB_EINVALID, "waybill-sim's start line was not understood");
	}
	json_t *sources = json_object();
	static const char *const roles[] = {"erp", "tms", "telematics"};
	for (int i = 0; i < 3; i++) {
		json_int_t port = json_integer_value(
		        json_object_get(json_object_get(services, roles[i]), "port"));
		char url[64];
		snprintf(url, sizeof(url), "http://127.0.0.1:%lld", (long long)port);
		json_object_set_new(
		        sources, roles[i],
		        json_pack("{s:s,s:s,s:s}", "kind", "waybill", "url", url, "token", token));
	}
	json_t *cfg = json_pack("{s:o,s:s}", "sources", sources, "depot", "Depot North (demo)");
	int rc = config_write_atomic(path, cfg, err);
	json_decref(cfg);
	json_decref(ready);
	return rc;
}

int cmd_demo(const struct tui_opts *o)
{
	struct demo d = {.sim_out = -1};
	const char *tmp = getenv("TMPDIR");
	snprintf(d.dir, sizeof(d.dir), "%.3000s/waybill-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d.dir)) {
		out_error("cannot make a temporary directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
		          strerror(errno));
		return 1;
	}
	char line[4096], cfgpath[PATH_MAX], cachepath[PATH_MAX];
	snprintf(cfgpath, sizeof(cfgpath), "%.*s/config.json", DIR_MAX, d.dir);
	snprintf(cachepath, sizeof(cachepath), "%.*s/cache.db", DIR_MAX, d.dir);
	struct wb_err err = {0};
	struct settings *cfg = NULL;
	struct cache *c = NULL;
	int rc = 1;
	if (start_sim(&d, line, sizeof(line), &err) != 0 ||
	    write_config(line, cfgpath, &err) != 0 || settings_load(cfgpath, &cfg, &err) != 0 ||
	    !(c = cache_open(cachepath, NULL, &err))) {
		out_error("--demo: %s", err.msg);
		goto out;
	}
	struct tui_opts run = o ? *o : (struct tui_opts){0};
	run.config = cfg;
	rc = tui_run(c, &run);
out:
	cache_close(c);
	settings_free(cfg);
	stop_sim(&d);
	remove_files(d.dir);
	return rc;
}
