/* waybill: the console and its headless commands. main() parses the command
 * line and dispatches; every command accepts --config and --cache. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "cache/cache.h"
#include "cli/cmd.h"
#include "cli/out.h"
#include "settings/settings.h"
#include "settings/paths.h"
#include "tui/tui.h"

#ifndef WAYBILL_VERSION
#define WAYBILL_VERSION "0.0.0"
#endif

static const char usage[] =
        "usage: waybill [OPTIONS] [COMMAND]\n"
        "\n"
        "Terminal dispatch and operations console for fleet depots.\n"
        "\n"
        "Commands:\n"
        "  (none)              open the console on the configured sources\n"
        "  cache info          cache path, schema version, rows per table, size\n"
        "  audit verify        walk the audit chain (HMAC under the audit key) and check\n"
        "                      it against its anchors; report the first broken row\n"
        "  audit anchor        append the chain's head to the anchor file (--to FILE)\n"
        "  audit export        write the audit trail as JSON lines (--since EPOCH)\n"
        "  sync --once         sync every stream to its end and deliver the outbox\n"
        "  sync --follow       stay live: poll, stream positions, deliver actions\n"
        "  doctor              for each source: reachable, authenticated, clock skew, lag\n"
        "  kpi [--json]        the KPIs over the cache (--json: one JSON object)\n"
        "\n"
        "Actions (queued for the source that owns the record; the role is the one\n"
        "the tms source gives your token; exit 0 queued, 3 refused, 1 error, 2 usage;\n"
        "--json: one JSON object per action):\n"
        "  release ID [--override REASON]  a load through the release gate, or an invoice\n"
        "  hold ID --reason TEXT           hold a vehicle or an invoice\n"
        "  unhold ID [--override REASON]   clear a vehicle's hold\n"
        "  assign LOAD VEHICLE DRIVER      assign a load's vehicle and driver\n"
        "  wo VEHICLE [FAULT]              open a corrective work order\n"
        "  approve|reject|escalate|ack ID... [--reason TEXT]  decide exceptions\n"
        "  outbox [--failed]               the actions with state, key, subject, age, error\n"
        "  outbox retry KEY                put a failed action back to pending (audited)\n"
        "\n"
        "Options:\n"
        "  --config PATH       config file (default $XDG_CONFIG_HOME/waybill/config.json;\n"
        "                      or $WAYBILL_CONFIG)\n"
        "  --cache PATH        cache file (default $XDG_CACHE_HOME/waybill/cache.db;\n"
        "                      or $WAYBILL_CACHE)\n"
        "  --demo              start the bundled depot simulator and open the console on it\n"
        "  --dialect NAME      with --demo: the simulator's telematics speaks waybill\n"
        "                      (default), samsara, geotab or traccar; a maintenance\n"
        "                      source then keeps the work orders and holds\n"
        "  --theme NAME        colour theme: default, light, high-contrast, mono\n"
        "  --low-bandwidth     redraw at most once a second, no decoration\n"
        "  --since EPOCH       with audit export: rows at or after this time (UTC seconds)\n"
        "  --anchor FILE       with audit verify: the anchor file to check against\n"
        "  --to FILE           with audit anchor: the anchor file to append to\n"
        "  --override REASON   with release/unhold: a supervisor passes a failed check\n"
        "  --reason TEXT       with hold (required) and the exception decisions\n"
        "  --failed            with outbox: only the failed actions\n"
        "  --version           print the version and exit\n"
        "  -h, --help          print this help and exit\n";

enum {
	OPT_CONFIG = 256,
	OPT_CACHE,
	OPT_DEMO,
	OPT_THEME,
	OPT_LOWBW,
	OPT_SINCE,
	OPT_ONCE,
	OPT_FOLLOW,
	OPT_VERSION,
	OPT_SCRIPT,
	OPT_JSON,
	OPT_OVERRIDE,
	OPT_REASON,
	OPT_FAILED,
	OPT_ANCHOR,
	OPT_TO,
	OPT_DIALECT
};

struct cli {
	struct tui_opts o;
	bool demo;
	const char *dialect; /* --demo --dialect NAME */
	bool once, follow;   /* sync */
	bool json;           /* kpi, actions */
	bool failed;         /* outbox */
	const char *since;
	const char *anchor, *to;       /* audit verify --anchor, audit anchor --to */
	const char *override, *reason; /* actions */
	int argc;                      /* the command words */
	char **argv;
};

static struct cache *open_cache(const struct cli *cli, bool readonly, char *path, size_t len)
{
	struct wb_err err = {0};
	if (settings_cache_path(cli->o.cache_path, !readonly, path, len, &err) != 0) {
		out_error("%s", err.msg);
		return NULL;
	}
	struct cache_opts co = {.readonly = readonly};
	struct cache *c = cache_open(path, &co, &err);
	if (!c)
		out_error("%s", err.msg);
	return c;
}

static void human_size(int64_t n, char *buf, size_t len)
{
	if (n >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)n / (1024.0 * 1024.0));
	else if (n >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)n / 1024.0);
	else
		snprintf(buf, len, "%" PRId64 " B", n);
}

static int cmd_cache_info(const struct cli *cli)
{
	char path[PATH_MAX];
	/* Read-write so that a new cache is created and migrated: `cache info` on a
	 * fresh machine shows the empty schema rather than an error. */
	struct cache *c = open_cache(cli, false, path, sizeof(path));
	if (!c)
		return 1;
	struct cache_info info;
	struct wb_err err = {0};
	int rc = cache_info(c, &info, &err);
	cache_close(c);
	if (rc != 0) {
		out_error("%s", err.msg);
		return 1;
	}
	char size[32];
	human_size(info.size_bytes, size, sizeof(size));
	out_line(stdout, "cache   %s", path);
	out_line(stdout, "schema  %d (this waybill: %d)", info.schema_version,
	         cache_schema_latest());
	out_line(stdout, "size    %s", size);
	out_line(stdout, "rows");
	for (int i = 0; i < info.ntables; i++)
		out_line(stdout, "  %-18s %12" PRId64, info.tables[i].table, info.tables[i].rows);
	return 0;
}

/* The console on the configured cache, keeping it in step with the configured
 * sources; with no config file yet, on the cache alone. */
static int cmd_console(const struct cli *cli)
{
	char path[PATH_MAX], cpath[PATH_MAX];
	struct wb_err err = {0};
	struct settings *cfg = NULL;
	if (settings_load_found(cli->o.config_path, &cfg, cpath, sizeof(cpath), &err) != 0) {
		out_error("%s", err.msg);
		return 1;
	}
	struct cache *c = open_cache(cli, false, path, sizeof(path));
	if (!c || cmd_audit_attach(c, cfg) != 0) {
		cache_close(c);
		settings_free(cfg);
		return 1;
	}
	struct tui_opts o = cli->o;
	o.config = cfg;
	int rc = tui_run(c, &o);
	cmd_audit_detach(c, cfg);
	cache_close(c);
	settings_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, OPT_CONFIG},
	        {"cache", required_argument, NULL, OPT_CACHE},
	        {"demo", no_argument, NULL, OPT_DEMO},
	        {"theme", required_argument, NULL, OPT_THEME},
	        {"low-bandwidth", no_argument, NULL, OPT_LOWBW},
	        {"since", required_argument, NULL, OPT_SINCE},
	        {"once", no_argument, NULL, OPT_ONCE},
	        {"follow", no_argument, NULL, OPT_FOLLOW},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"override", required_argument, NULL, OPT_OVERRIDE},
	        {"reason", required_argument, NULL, OPT_REASON},
	        {"failed", no_argument, NULL, OPT_FAILED},
	        {"anchor", required_argument, NULL, OPT_ANCHOR},
	        {"to", required_argument, NULL, OPT_TO},
	        {"dialect", required_argument, NULL, OPT_DIALECT},
	        /* Hidden: keys from a file, the screen on /dev/null (screen tests). */
	        {"script", required_argument, NULL, OPT_SCRIPT},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	/* Only the character classes: wcwidth measures what out_cell cuts. */
	setlocale(LC_CTYPE, "");
	struct cli cli = {0};
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CONFIG: cli.o.config_path = optarg; break;
		case OPT_CACHE: cli.o.cache_path = optarg; break;
		case OPT_DEMO: cli.demo = true; break;
		case OPT_THEME: cli.o.theme = optarg; break;
		case OPT_LOWBW: cli.o.low_bandwidth = true; break;
		case OPT_SINCE: cli.since = optarg; break;
		case OPT_ONCE: cli.once = true; break;
		case OPT_FOLLOW: cli.follow = true; break;
		case OPT_JSON: cli.json = true; break;
		case OPT_OVERRIDE: cli.override = optarg; break;
		case OPT_REASON: cli.reason = optarg; break;
		case OPT_FAILED: cli.failed = true; break;
		case OPT_ANCHOR: cli.anchor = optarg; break;
		case OPT_TO: cli.to = optarg; break;
		case OPT_DIALECT: cli.dialect = optarg; break;
		case OPT_SCRIPT: cli.o.script = optarg; break;
		case OPT_VERSION: out_line(stdout, "waybill %s", WAYBILL_VERSION); return 0;
		case 'h': fputs(usage, stdout); return 0;
		case ':': return out_usage("%s needs a value", argv[optind - 1]);
		default: return out_usage("unknown option %s", argv[optind - 1]);
		}
	}
	cli.argc = argc - optind;
	cli.argv = argv + optind;
	if (cli.dialect && !cli.demo)
		return out_usage("--dialect goes with --demo");
	if (cli.dialect && strcmp(cli.dialect, "waybill") && strcmp(cli.dialect, "samsara") &&
	    strcmp(cli.dialect, "geotab") && strcmp(cli.dialect, "traccar"))
		return out_usage("--dialect %.40s: expected waybill, samsara, geotab or traccar",
		                 cli.dialect);
	if (cli.demo) {
		if (cli.argc)
			return out_usage("--demo takes no command (got \"%s\")", cli.argv[0]);
		return cmd_demo(&cli.o, cli.dialect);
	}
	if (cli.argc == 0)
		return cmd_console(&cli);
	const char *cmd = cli.argv[0];
	if (!strcmp(cmd, "cache")) {
		if (cli.argc < 2 || strcmp(cli.argv[1], "info") != 0)
			return out_usage("cache needs a subcommand: info");
		return cmd_cache_info(&cli);
	}
	if (!strcmp(cmd, "audit"))
		return cmd_audit(&(struct cmd_opts){.config_path = cli.o.config_path,
		                                    .cache_path = cli.o.cache_path,
		                                    .since = cli.since,
		                                    .anchor = cli.anchor,
		                                    .to = cli.to,
		                                    .argc = cli.argc,
		                                    .argv = cli.argv});
	if (!strcmp(cmd, "kpi"))
		return cmd_kpi(&(struct cmd_opts){.config_path = cli.o.config_path,
		                                  .cache_path = cli.o.cache_path,
		                                  .json = cli.json});
	if (!strcmp(cmd, "sync") || !strcmp(cmd, "doctor")) {
		struct cmd_opts co = {.config_path = cli.o.config_path,
		                      .cache_path = cli.o.cache_path,
		                      .once = cli.once,
		                      .follow = cli.follow};
		if (cli.argc > 1)
			return out_usage("%s takes no more words (got \"%s\")", cmd, cli.argv[1]);
		return !strcmp(cmd, "sync") ? cmd_sync(&co) : cmd_doctor(&co);
	}
	if (cmd_act_handles(cmd))
		return cmd_act(&(struct cmd_opts){.config_path = cli.o.config_path,
		                                  .cache_path = cli.o.cache_path,
		                                  .json = cli.json,
		                                  .override = cli.override,
		                                  .reason = cli.reason,
		                                  .failed = cli.failed,
		                                  .argc = cli.argc,
		                                  .argv = cli.argv});
	return out_usage("unknown command \"%s\"", cmd);
}
