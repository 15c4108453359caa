/* bench/console_speed: how fast the console answers on a large cache.
 *
 * Seeds a warm cache of 1,000,000 positions and 100,000 loads with
 * tests/tools/seed_cache, then runs the real binary in scripted mode (keys
 * from a file, ncurses on /dev/null at 80x24, no terminal and no sync) and
 * times it from outside, so the console carries no benchmark code:
 *
 *  1. First full screen: keys `:save-display F` then `:q`. The console saves
 *     F on the first quiet turn of its loop after the first doupdate, so the
 *     time from just before spawning the process to F's mtime is the figure
 *     (file times come from the kernel's coarse clock: a few ms of
 *     resolution). The whole run to exit, which adds `:q` and the teardown,
 *     is printed as an upper bound. Median of 11 runs after one warm-up run.
 *     Target: under 100 ms.
 *  2. Key to screen, per key: 1,500 keys (<Down> x4 then <PgDn>, over and
 *     over) and `:q`, one key a line, fed through a FIFO as the script. In
 *     scripted mode the console reads the next line only when the previous
 *     key's redraw is on the screen (its loop is quiet), so the time from the
 *     console taking line k out of the FIFO to it taking line k+1 is key k's
 *     key-to-screen time: handling, the board query, the redraw and one turn
 *     of the loop. Line k+1 is written as soon as line k is taken, so it is
 *     always waiting; the benchmark sees a line taken by polling the FIFO's
 *     unread bytes (FIONREAD) every 20 us. Median and P90 of the 1,500 keys
 *     (and their mean). Measured twice: on a quiet cache, and while another
 *     process adds 400 positions a second to it (the live stream's write
 *     load; scripted mode does not sync, so this is the stream's contention
 *     on the cache, not redraws it causes). Target: under 16 ms.
 *  3. Peak RSS of the console over all those runs (wait4's ru_maxrss).
 *     Target: under 50 MB.
 * Every figure is printed beside its target as a ratio; nothing passes or
 * fails on time.
 * Usage: console_speed [BUILD_DIR]   (default: the directory above this
 * binary's, as in build/bench/console_speed -> build) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cache/cache.h"

enum { FIRST_RUNS = 11, KEY_LINES = 300, KEYS_PER_LINE = 5, NKEYS = KEY_LINES * KEYS_PER_LINE };
#define SEED_NOW 1718020800LL /* seed_cache's default --now, also WAYBILL_NOW */

static char build[PATH_MAX - 64], dir[PATH_MAX - 64];
static double peak_rss_mb;

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "console_speed: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double realtime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		fail("cannot write %s", path);
}

/* Starts the console on the seeded cache with the key script `keys` (a file
 * or FIFO in dir); sets *start_real to the wall clock just before the spawn. */
static pid_t spawn_console(const char *keys, double *start_real)
{
	char wb[PATH_MAX], cache[PATH_MAX], script[PATH_MAX], out[PATH_MAX];
	char e_home[PATH_MAX + 8], e_xdg_c[PATH_MAX + 20], e_xdg_k[PATH_MAX + 20],
	        e_tmp[PATH_MAX + 8], e_now[40];
	snprintf(wb, sizeof(wb), "%s/waybill", build);
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	snprintf(script, sizeof(script), "%s/%s", dir, keys);
	snprintf(out, sizeof(out), "%s/console.err", dir);
	snprintf(e_home, sizeof(e_home), "HOME=%s", dir);
	snprintf(e_xdg_c, sizeof(e_xdg_c), "XDG_CONFIG_HOME=%s", dir); /* no config: no sync */
	snprintf(e_xdg_k, sizeof(e_xdg_k), "XDG_CACHE_HOME=%s", dir);
	snprintf(e_tmp, sizeof(e_tmp), "TMPDIR=%s", dir);
	snprintf(e_now, sizeof(e_now), "WAYBILL_NOW=%lld", SEED_NOW);
	char *envp[] = {e_home,
	                e_xdg_c,
	                e_xdg_k,
	                e_tmp,
	                e_now,
	                "TZ=UTC",
	                "LC_ALL=C.UTF-8",
	                "TERM=xterm-256color",
	                "LINES=24",
	                "COLUMNS=80",
	                "WAYBILL_THEMES=themes",
	                "PATH=/usr/bin:/bin",
	                NULL};
	char *argv[] = {wb, "--cache", cache, "--script", script, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC,
	                                 0600);
	pid_t pid;
	*start_real = realtime_now();
	int rc = posix_spawn(&pid, wb, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		fail("cannot start %s (make it first)", wb);
	return pid;
}

/* Waits for the console; exits the benchmark if it failed. */
static void wait_console(pid_t pid)
{
	char out[PATH_MAX];
	snprintf(out, sizeof(out), "%s/console.err", dir);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			fail("wait4: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("the console failed; its stderr is in %s", out);
	double rss = (double)ru.ru_maxrss / 1024.0;
	if (rss > peak_rss_mb)
		peak_rss_mb = rss;
}

/* Runs the console with the key script file `keys`; returns its run time in
 * seconds and sets *start_real to the wall clock just before the spawn. */
static double run_console(const char *keys, double *start_real)
{
	double t0 = bench_now();
	wait_console(spawn_console(keys, start_real));
	return bench_now() - t0;
}

/* A second process adding 400 positions a second (40 every 100 ms), newer
 * than the seed's, as the telematics stream does, until it is killed. */
static pid_t start_writer(void)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	static const char *const units[] = {"T-09", "T-17", "T-22", "T-31",
	                                    "V-03", "T-40", "T-41", "T-42"};
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	struct wb_err err = {0};
	struct cache *c = cache_open(path, NULL, &err);
	if (!c)
		_exit(1);
	struct wb_position b[40];
	for (long k = 0;;) {
		for (int i = 0; i < 40; i++, k++)
			b[i] = (struct wb_position){.vehicle_id = units[k % 8],
			                            .ts_ms = (SEED_NOW + 1) * 1000 + k,
			                            .lat = 52.1,
			                            .lon = 4.3,
			                            .speed_mps = 12,
			                            .heading = 90,
			                            .odometer_m = 1e8 + (double)k,
			                            .fuel_pct = 60,
			                            .ignition = 1};
		if (cache_add_positions(c, b, 40, NULL, &err) != 0)
			_exit(1);
		usleep(100000);
	}
}

static void stop_writer(pid_t pid)
{
	int st = 0;
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		fail("the position writer failed on %s/cache.db", dir);
}

/* Waits until the console has taken everything written to the FIFO (fd, the
 * write end); returns the time it was seen empty. */
static double taken(int fd)
{
	struct timespec nap = {0, 20000};
	for (;;) {
		int unread = 0;
		if (ioctl(fd, FIONREAD, &unread) != 0)
			fail("FIONREAD on the key FIFO: %s", strerror(errno));
		if (unread == 0)
			return bench_now();
		nanosleep(&nap, NULL);
	}
}

static void put_line(int fd, const char *line)
{
	size_t n = strlen(line);
	if (write(fd, line, n) != (ssize_t)n)
		fail("writing the key FIFO: %s", strerror(errno));
}

struct key_figures {
	double median_ms, p90_ms, mean_ms;
};

/* One run of NKEYS keys through a FIFO; each key's key-to-screen time. */
static struct key_figures key_to_screen(void)
{
	char fifo[PATH_MAX];
	snprintf(fifo, sizeof(fifo), "%s/keys.fifo", dir);
	unlink(fifo);
	if (mkfifo(fifo, 0600) != 0)
		fail("mkfifo %s: %s", fifo, strerror(errno));
	double start;
	pid_t pid = spawn_console("keys.fifo", &start);
	int fd = open(fifo, O_WRONLY); /* blocks until the console opens it */
	if (fd < 0)
		fail("open %s: %s", fifo, strerror(errno));
	static double ms[NKEYS];
	static const char *const keys[KEYS_PER_LINE] = {"<Down>\n", "<Down>\n", "<Down>\n",
	                                                "<Down>\n", "<PgDn>\n"};
	put_line(fd, keys[0]);
	double prev = taken(fd);
	for (int k = 0; k < NKEYS; k++) {
		/* The next line waits in the FIFO while key k is handled and drawn. */
		put_line(fd, k + 1 < NKEYS ? keys[(k + 1) % KEYS_PER_LINE] : ":q\n");
		double t = taken(fd);
		ms[k] = (t - prev) * 1000.0;
		prev = t;
	}
	close(fd);
	wait_console(pid);
	unlink(fifo);
	double sum = 0;
	for (int k = 0; k < NKEYS; k++)
		sum += ms[k];
	qsort(ms, NKEYS, sizeof(ms[0]), bench_cmp_double);
	return (struct key_figures){
	        .median_ms = ms[NKEYS / 2], .p90_ms = ms[(NKEYS * 9) / 10], .mean_ms = sum / NKEYS};
}

static void find_build(const char *arg)
{
	if (arg) {
		snprintf(build, sizeof(build), "%.*s", (int)sizeof(build) - 1, arg);
		return;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		fail("cannot find this binary (%s); pass BUILD_DIR", "/proc/self/exe");
	self[n] = '\0';
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
	}
	snprintf(build, sizeof(build), "%.*s", (int)sizeof(build) - 1, self);
}

int main(int argc, char **argv)
{
	find_build(argc > 1 ? argv[1] : NULL);
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%.3000s/waybill-bench-console.XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		fail("mkdtemp: %s", strerror(errno));

	/* The warm cache. */
	char cmd[3 * PATH_MAX], path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/tests/tools/seed_cache", build);
	if (access(path, X_OK) != 0) { /* `make bench` does not build the test tools */
		printf("console_speed: skipped: %s is missing (make tests-built first)\n", path);
		rmdir(dir);
		return 0;
	}
	printf("console_speed: seeding 1,000,000 positions and 100,000 loads...\n");
	fflush(stdout);
	double t0 = bench_now();
	snprintf(cmd, sizeof(cmd),
	         "'%s' '%s/cache.db' --now %lld --loads 100000 --positions 1000000", path, dir,
	         SEED_NOW);
	if (system(cmd) != 0)
		fail("seeding failed: %s", cmd);
	printf("  seeded in %.1f s\n", bench_now() - t0);

	/* The first-screen script (keys to screen go through a FIFO). */
	char line[PATH_MAX + 32];
	snprintf(line, sizeof(line), ":save-display %s/first.txt\n:q\n", dir);
	snprintf(path, sizeof(path), "%s/first.keys", dir);
	write_file(path, line);

	/* 1. First full screen. */
	double first[FIRST_RUNS], whole[FIRST_RUNS], start;
	char shot[PATH_MAX];
	snprintf(shot, sizeof(shot), "%s/first.txt", dir);
	run_console("first.keys", &start); /* warm-up: the page cache and the binary */
	for (int r = 0; r < FIRST_RUNS; r++) {
		unlink(shot);
		whole[r] = run_console("first.keys", &start) * 1000.0;
		struct stat sb;
		if (stat(shot, &sb) != 0)
			fail("the console did not save %s", shot);
		first[r] = ((double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec / 1e9 - start) *
		           1000.0;
	}
	double first_ms = bench_median(first, FIRST_RUNS),
	       whole_ms = bench_median(whole, FIRST_RUNS);
	printf("  first full screen, 80x24, 100,000 loads + 1,000,000 positions (median of %d):\n",
	       FIRST_RUNS);
	printf("    spawn to screen saved  %7.1f ms   target 100 ms   ratio %.2f\n", first_ms,
	       first_ms / 100.0);
	printf("    spawn to exit after :q %7.1f ms   (an upper bound: adds :q and the teardown)\n",
	       whole_ms);
	FILE *f = fopen(shot, "r");
	if (f) { /* evidence that it was the full board: its info rule */
		char row[1024];
		while (fgets(row, sizeof(row), f))
			if (strstr(row, " rows "))
				printf("    the screen's info line: %s", row);
		fclose(f);
	}

	/* 2. Key to screen, per key. */
	struct key_figures quiet = key_to_screen();
	pid_t writer = start_writer();
	if (writer < 0)
		fail("fork: %s", strerror(errno));
	usleep(300000);
	struct key_figures live = key_to_screen();
	stop_writer(writer);
	printf("  key to screen, each of %d keys (<Down> x4, <PgDn>), 80x24:\n", NKEYS);
	const struct {
		const char *what;
		const struct key_figures *k;
	} rows[] = {{"quiet cache", &quiet}, {"400 positions/s added", &live}};
	for (size_t i = 0; i < 2; i++) {
		printf("    %-22s median %6.3f ms   target 16 ms    ratio %.2f\n", rows[i].what,
		       rows[i].k->median_ms, rows[i].k->median_ms / 16.0);
		printf("    %-22s P90    %6.3f ms   target 16 ms    ratio %.2f   (mean %.3f ms)\n",
		       "", rows[i].k->p90_ms, rows[i].k->p90_ms / 16.0, rows[i].k->mean_ms);
	}

	/* 3. Peak RSS. */
	printf("  peak RSS of the console  %7.1f MB   target 50 MB    ratio %.2f\n", peak_rss_mb,
	       peak_rss_mb / 50.0);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "console_speed: could not remove %s\n", dir);
	return 0;
}
