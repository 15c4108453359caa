/* Headless commands: what `waybill sync` and `waybill doctor` do, for main()
 * to dispatch to. Each returns the process exit code (0 ok, 1 failure). */
#ifndef WAYBILL_CMD_H
#define WAYBILL_CMD_H

#include <stdbool.h>

struct cmd_opts {
	const char *config_path; /* --config or NULL */
	const char *cache_path;  /* --cache or NULL */
	bool once;               /* sync --once */
	bool follow;             /* sync --follow */
	bool json;               /* kpi --json, the actions' --json */
	const char *override;    /* release/unhold --override REASON */
	const char *reason;      /* hold --reason TEXT, the decisions' --reason */
	bool failed;             /* outbox --failed */
	int argc;                /* the command words, the command's name first */
	char **argv;
	const char *since;  /* audit export --since EPOCH */
	const char *anchor; /* audit verify --anchor FILE */
	const char *to;     /* audit anchor --to FILE */
};

/* `waybill sync --once`: every stream to its end and the outbox delivered;
 * exits 0 only if everything succeeded. A progress bar on a terminal, plain
 * lines when piped. `waybill sync --follow`: stays live, one line per page or
 * event batch, until SIGINT or SIGTERM. */
int cmd_sync(const struct cmd_opts *o);
/* `waybill doctor`: one line per source: reachable, authenticated (user and
 * role from /v1/me), clock skew, lag. */
int cmd_doctor(const struct cmd_opts *o);
/* `waybill kpi [--json]`: the KPIs over the cache (cli/cmd_kpi.c); --json prints
 * one object with snake_case keys that carry their unit, null when unknown. */
int cmd_kpi(const struct cmd_opts *o);

/* The actions (cli/cmd_act.c): release, hold, unhold, assign, wo, approve,
 * reject, escalate, ack; and `outbox [--failed]`, `outbox retry KEY`. Exit 0
 * queued, 3 refused (every reason printed), 1 error, 2 usage. The role is the
 * one the `tms` source gives the token (who am I). */
int cmd_act(const struct cmd_opts *o);
/* 1 when word names one of cmd_act's commands. */
int cmd_act_handles(const char *word);

/* `waybill audit verify|export|anchor` (cli/cmd_audit.c). verify: exit 0 when
 * the chain (and every anchor of this cache) holds, 1 when broken or unreadable;
 * without the key only the unkeyed hashes and the links are checked, and the
 * line says so. anchor: appends the head to --to FILE or the configured
 * anchor file. */
int cmd_audit(const struct cmd_opts *o);

struct cache;
struct settings;
/* For a command that writes audit rows, right after it opens the cache with
 * its settings (cfg NULL: no config file): gives the cache the audit key
 * (settings_audit_paths), making the key file on first use. 0, or 1 with the
 * error printed (a key file others may read is refused). */
int cmd_audit_attach(struct cache *c, const struct settings *cfg);
/* Before that command closes the cache: anchors the head in the anchor file
 * unless the config's audit.auto_anchor is off, when the head moved since
 * this cache's last anchor there.
 * A failure is printed, never fatal. */
void cmd_audit_detach(struct cache *c, const struct settings *cfg);

struct tui_opts;
/* --demo: a fresh temporary cache, the console on it, and nothing left behind. */
int cmd_demo(const struct tui_opts *o, const char *dialect);

#endif
