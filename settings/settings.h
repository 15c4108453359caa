/* The config file (config.json): which sources to sync from, with their URLs,
 * tokens and polling intervals, plus depot-wide settings. Loaded once at start
 * by settings/config.c; every mistake is reported with the file and the JSON path
 * of the value, and a token never appears in any message. */
#ifndef WAYBILL_CONFIG_H
#define WAYBILL_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "connectors/connector.h"
#include "core/core_detect.h"
#include "core/core_policy.h"

/* The source roles a config names under "sources". The first
 * CONFIG_NREQUIRED (erp, tms, telematics) are required; "maintenance" is
 * optional: a source that owns work orders, part reservations, holds, PM due
 * and shop status when the telematics vendor keeps none (docs/design.md §5,
 * "Who owns a vehicle's facts"). A role not configured has a slot whose name
 * and ops are NULL: every loop over sources[] skips it. */
#define CONFIG_ROLES(X) X(erp) X(tms) X(telematics) X(maintenance)
#define CONFIG_NROLES 4
#define CONFIG_NREQUIRED 3

/* Polling defaults (seconds) by a stream's cadence; a live stream is 0. */
#define CONFIG_FAST_DEFAULT_S 5
#define CONFIG_SLOW_DEFAULT_S 60
#define CONFIG_RETENTION_DEFAULT_DAYS 7

/* One "intervals" entry: a stream of the source polled every seconds. */
struct config_interval {
	char *stream; /* "loads" (a stream of the source's kind and role) */
	int seconds;  /* > 0 */
};

struct config_source {
	char *name; /* the role, the key under "sources": "erp", "tms", "telematics",
	             * "maintenance"; NULL for an optional role not configured */
	char *kind; /* "waybill" */
	const struct connector_ops *ops; /* the connector of kind */
	char *url;                       /* base URL, http:// or https://, no trailing "/" */
	char *token; /* bearer token from token, token_file or token_env. SECRET:
	              * never print it; give it to net_req.bearer only */
	/* A kind that signs in (ops->login_request; settings/login.c): the
	 * "database", "user" and password from password, password_file or
	 * password_env, instead of a token (token is then NULL). login points at
	 * them (all NULL for a kind that takes a token). */
	char *database;
	char *user;
	char *password; /* SECRET: never print it; give it to the kind's login_request only */
	struct connector_login login;
	char *depot;   /* depot scope sent to the source, or NULL */
	char *ca_file; /* PEM bundle to trust for this source, or NULL: system */
	struct config_interval *intervals; /* overrides, in file order */
	size_t n_intervals;
};

enum config_units { CONFIG_METRIC, CONFIG_IMPERIAL };

struct settings {
	char *path;              /* the file it came from */
	char *depot;             /* shown in the header; "" when not set */
	char *user;              /* display name; default $USER, else "dispatcher" */
	char *currency;          /* ISO 4217 code, default "EUR" */
	enum config_units units; /* default CONFIG_METRIC */
	int retention_days;      /* positions kept, default 7 */
	json_t *policy;          /* the "policy" object as written (a reference owned by this
	                          * struct), NULL when absent; consumers read policy_rules */
	json_t *detectors;       /* the "detectors" object likewise; consumers read detect */
	struct core_policy policy_rules; /* the policy, parsed at load (the default when absent):
	                                  * the pass, the console and the CLI decide by it */
	struct core_detect_cfg detect;   /* the detectors' thresholds, parsed at load: the
	                                  * detectors and the KPIs read the same ones */
	bool auto_maintenance; /* "automation.maintenance": the sync's workflow pass proposes
	                        * work orders and holds for serious faults (default true) */
	bool auto_invoices;    /* "automation.invoices": it releases and holds invoices
	                        * (default true); readiness is judged either way */
	struct config_source sources[CONFIG_NROLES]; /* in CONFIG_ROLES order; an optional role
	                                              * not configured has name and ops NULL */
	/* The audit trail's key and anchors (settings/audit.c, "audit" in the
	 * config), absolute paths; NULL when the config names none:
	 * settings_audit_paths then gives the defaults in the config directory. */
	char *audit_key_file;    /* "audit.key_file" (relative to the config) */
	char *audit_anchor_file; /* "audit.anchor_file" likewise */
	bool audit_auto_anchor;  /* "audit.auto_anchor": anchor the head when sync, an
	                          * action or the console ends (default true) */
};

/* Loads and checks path. Refuses a file (or token_file) that group or others
 * may read ("chmod 600 PATH"). On failure returns a negative WB_E* with err
 * holding one line that names the file, and *out is NULL. */
int settings_load(const char *path, struct settings **out, struct wb_err *err);
/* The settings of a Waybill with no config file: every default, no source
 * (sources[i].name NULL). NULL when out of memory. */
struct settings *settings_defaults(void);
void settings_free(struct settings *c);

/* The source with role name ("tms"), or NULL (an optional role not configured). */
const struct config_source *settings_source(const struct settings *c, const char *name);
/* The maintenance source (sources.maintenance), or NULL when none is configured. */
const struct config_source *settings_maintenance(const struct settings *c);
/* Whether the sync reads stream cs of source src: one owner per record, so
 * when a maintenance source is configured the other sources' streams of what
 * it owns (work orders, part reservations, vehicle_maint) are not read. True
 * for every stream without one. */
bool settings_reads_stream(const struct settings *c, const struct config_source *src,
                           const struct connector_stream *cs);
/* Seconds between polls of stream: the config's override, else by the
 * stream's cadence (fast 5 s, slow 60 s), 0 for a live stream; -1 when the
 * source's kind has no such stream. */
int config_interval_s(const struct config_source *s, const char *stream);
/* Seconds between polls of role's stream as configured in c (settings/interval.c);
 * with stream NULL, of the role's slowest polled stream. A role c does not
 * configure (or c NULL) gets the default connector's cadences. -1 when the
 * role or stream is unknown; 0 for a live stream. */
int settings_interval_s(const struct settings *c, const char *role, const char *stream);

/* Writes json to path atomically: a mkstemp file (mode 0600) in the same
 * directory, fsync, rename over path, fsync of the directory. */
int config_write_atomic(const char *path, const json_t *json, struct wb_err *err);

/* The smallest valid config, for messages and docs (one line). */
extern const char config_example[];

#endif
