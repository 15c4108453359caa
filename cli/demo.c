/* waybill --demo: starts the bundled depot simulator on free loopback ports,
 * writes a temporary config (0600) and cache for it, opens the console with
 * the sync engine live, and on quit stops the simulator and removes every
 * file it made. A demo killed before it could (SIGKILL, a crash) leaves its
 * directory, token included: the next --demo removes every such directory
 * whose owner (the pid and start time in its "owner" file) is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	static const char *const names[] = {"cache.db",         "cache.db-wal", "cache.db-shm",
	                                    "cache.db-journal", "config.json",  "owner"};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%.*s/%s", DIR_MAX, dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* When process pid started, in clock ticks since boot (/proc/PID/stat's
 * 22nd field), 0 when unknown: with the pid it names one process, never a
 * later one that was given the same pid. */
static unsigned long long proc_start(pid_t pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *s = strrchr(buf, ')'); /* the command name before it may hold spaces */
	for (int field = 2; s && field < 22; field++) {
		s = strchr(s + 1, ' ');
	}
	return s ? strtoull(s + 1, NULL, 10) : 0;
}

/* Says which process owns dir, before anything secret is written there. */
static int write_owner(const char *dir, struct wb_err *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%.*s/owner", DIR_MAX, dir);
	FILE *f = fopen(p, "w");
	if (!f || fprintf(f, "%d %llu\n", (int)getpid(), proc_start(getpid())) < 0 ||
	    fclose(f) != 0)
		return wb_fail(err, WB_EIO, "cannot write %s: %s", p, strerror(errno));
	return 0;
}

/* True when dir's owner file names a process that is no longer running. */
static bool owner_gone(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%.*s/owner", DIR_MAX, dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return false; /* no owner yet: a demo starting now, or not ours */
	int pid = 0;
	unsigned long long start = 0;
	int got = fscanf(f, "%d %llu", &pid, &start);
	fclose(f);
	if (got < 1 || pid <= 0)
		return false;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return true;
	unsigned long long now = start ? proc_start((pid_t)pid) : 0;
	return now && now != start; /* the pid was given to another process */
}

/* Removes the demo directories under tmp that this user's dead demos left. */
static void clean_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "waybill-demo.", 13) != 0)
			continue;
		char dir[DIR_MAX];
		struct stat st;
		snprintf(dir, sizeof(dir), "%.3000s/%.200s", tmp, e->d_name);
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
		    owner_gone(dir))
			remove_files(dir);
	}
	closedir(d);
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

static int start_sim(struct demo *d, const char *dialect, char *line, size_t len,
                     struct wb_err *err)
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
	char dial[32];
	snprintf(dial, sizeof(dial), "%s", dialect ? dialect : "waybill");
	char *argv[] = {path, "--port", "0", "--start", "now", "--dialect", dial, NULL};
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

/* The config for the simulator's three services, as a dispatcher. The
 * telematics source speaks the sim's dialect (its start-up line's "dialect":
 * samsara and traccar take the token, geotab its database, user and
 * password); in a vendor's dialect a maintenance source of the canonical
 * kind on the same service keeps the work orders and holds the vendor does
 * not. */
static int write_config(const char *line, const char *path, struct wb_err *err)
{
	json_error_t je;
	json_t *ready = json_loads(line, 0, &je);
	json_t *services = json_object_get(ready, "services");
	const char *token =
	        json_string_value(json_object_get(json_object_get(ready, "tokens"), "dispatcher"));
	json_t *dial = json_object_get(ready, "dialect");
	const char *kind = json_string_value(json_object_get(dial, "name"));
	if (!kind)
		kind = "waybill";
	if (!json_is_object(services) || !token) {
		json_decref(ready);
		return wb_fail(err, WB_EINVALID, "waybill-sim's start line was not understood");
	}
	json_t *sources = json_object();
	static const char *const roles[] = {"erp", "tms", "telematics"};
	char tel[64] = "";
	for (int i = 0; i < 3; i++) {
		json_int_t port = json_integer_value(
		        json_object_get(json_object_get(services, roles[i]), "port"));
		char url[64];
		snprintf(url, sizeof(url), "http://127.0.0.1:%lld", (long long)port);
		const char *k = i == 2 ? kind : "waybill";
		json_t *src =
		        !strcmp(k, "geotab")
		                ? json_pack("{s:s,s:s,s:s?,s:s?,s:s?}", "kind", k, "url", url,
		                            "database",
		                            json_string_value(json_object_get(dial, "database")),
		                            "user",
		                            json_string_value(json_object_get(dial, "user")),
		                            "password",
		                            json_string_value(json_object_get(dial, "password")))
		                : json_pack("{s:s,s:s,s:s}", "kind", k, "url", url, "token", token);
		json_object_set_new(sources, roles[i], src);
		if (i == 2)
			snprintf(tel, sizeof(tel), "%s", url);
	}
	if (strcmp(kind, "waybill") != 0)
		json_object_set_new(
		        sources, "maintenance",
		        json_pack("{s:s,s:s,s:s}", "kind", "waybill", "url", tel, "token", token));
	json_t *cfg = json_pack("{s:o,s:s}", "sources", sources, "depot", "Depot North (demo)");
	int rc = config_write_atomic(path, cfg, err);
	json_decref(cfg);
	json_decref(ready);
	return rc;
}

int cmd_demo(const struct tui_opts *o, const char *dialect)
{
	struct demo d = {.sim_out = -1};
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	clean_stale(tmp);
	snprintf(d.dir, sizeof(d.dir), "%.3000s/waybill-demo.XXXXXX", tmp);
	if (!mkdtemp(d.dir)) {
		out_error("cannot make a temporary directory in %s: %s", tmp, strerror(errno));
		return 1;
	}
	char line[4096], cfgpath[PATH_MAX], cachepath[PATH_MAX];
	snprintf(cfgpath, sizeof(cfgpath), "%.*s/config.json", DIR_MAX, d.dir);
	snprintf(cachepath, sizeof(cachepath), "%.*s/cache.db", DIR_MAX, d.dir);
	struct wb_err err = {0};
	struct settings *cfg = NULL;
	struct cache *c = NULL;
	int rc = 1;
	if (write_owner(d.dir, &err) != 0 ||
	    start_sim(&d, dialect, line, sizeof(line), &err) != 0 ||
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
