/* The actions from the command line, for people at a shell and for scripts:
 * `waybill release ID`, `hold`, `unhold`, `assign`, `wo`, the exception
 * decisions and the outbox. app/ decides exactly as for the console; the role
 * is what the `tms` source says our token is (who am I), so with no config or
 * no answer every action is refused as read-only. Exit 0 queued (or, for
 * the first of two supervisors' approvals, recorded as awaiting the second),
 * 3 refused, 1 error, 2 usage; --json prints one object per action. */
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "cache/cache.h"
#include "cli/cmd.h"
#include "cli/out.h"
#include "settings/paths.h"
#include "settings/settings.h"
#include "sync/sync.h"

enum { EXIT_QUEUED = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_REFUSED = 3 };

static const char *const words[] = {"release", "hold",   "unhold",   "assign", "wo",
                                    "approve", "reject", "escalate", "ack",    "outbox"};

int cmd_act_handles(const char *word)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(words[i], word))
			return 1;
	return 0;
}

/* The settings (NULL without a config file, *why saying so) and the cache. */
static int open_ctx(const struct cmd_opts *o, struct settings **cfg, struct cache **c, char *why,
                    size_t len)
{
	char cpath[PATH_MAX], kpath[PATH_MAX];
	struct wb_err err = {0};
	*cfg = NULL;
	*c = NULL;
	if (settings_load_found(o->config_path, cfg, cpath, sizeof(cpath), &err) != 0) {
		out_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (!*cfg)
		snprintf(why, len, "no config file at %.300s", cpath);
	if (settings_cache_path(o->cache_path, true, kpath, sizeof(kpath), &err) != 0 ||
	    !(*c = cache_open(kpath, NULL, &err))) {
		out_error("%s", err.msg);
		settings_free(*cfg);
		*cfg = NULL;
		return EXIT_ERROR;
	}
	return 0;
}

/* Who we are, as the TMS (which owns loads and exceptions) sees our token. */
static void who(const struct settings *cfg, struct sync_whoami *w, char *why, size_t len)
{
	memset(w, 0, sizeof(*w));
	w->role = -1;
	const struct config_source *tms = cfg ? settings_source(cfg, "tms") : NULL;
	if (!cfg)
		return; /* why already says there is no config */
	if (!tms) {
		snprintf(why, len, "the config has no tms source to ask who you are");
		return;
	}
	sync_whoami(tms, 10000, w);
	if (w->state != SYNC_WHOAMI_OK)
		snprintf(why, len, "the TMS did not say who you are: %.400s", w->why);
}

static int exit_of(const struct app_result *r)
{
	switch (r->outcome) {
	case APP_QUEUED:
	case APP_DONE:
	case APP_AWAITING: return EXIT_QUEUED; /* the first approval is recorded */
	case APP_REFUSED: return EXIT_REFUSED;
	case APP_ERROR: return EXIT_ERROR;
	}
	return EXIT_ERROR;
}

static void print_result(const struct cmd_opts *o, const struct app_ctx *x,
                         const struct app_result *r)
{
	if (o->json) {
		json_t *why = json_array();
		for (size_t i = 0; i < r->nwhy; i++)
			json_array_append_new(why, json_string(r->why[i]));
		json_t *j = json_pack(
		        "{s:s, s:s, s:s?, s:s, s:s?, s:b, s:o, s:I, s:s?, s:s?}", "id", r->id,
		        "action", r->action, "subject", r->subject[0] ? r->subject : NULL,
		        "outcome", app_outcome_name(r->outcome), "key", r->key[0] ? r->key : NULL,
		        "overridden", r->overridden, "reasons", why, "more", (json_int_t)r->more,
		        "user", x->actor.user, "role",
		        x->actor.role >= 0 ? core_role_name((enum core_role)x->actor.role) : NULL);
		out_json(stdout, j, JSON_COMPACT);
		json_decref(j);
		return;
	}
	switch (r->outcome) {
	case APP_QUEUED:
		out_line(stdout, "queued %s %s key %s", r->action,
		         r->subject[0] ? r->subject : r->id, r->key);
		break;
	case APP_DONE:
		out_line(stdout, "done %s %s (a Waybill exception: decided here)", r->action,
		         r->subject);
		break;
	case APP_AWAITING:
		/* The two-person rule: recorded, nothing queued yet. */
		out_line(stdout, "awaiting %s %s: %s", r->action, r->subject,
		         r->nwhy ? r->why[0] : "needs a second supervisor");
		break;
	case APP_REFUSED:
		out_line(stdout, "refused %s %s:", r->action, r->id);
		for (size_t i = 0; i < r->nwhy; i++)
			out_line(stdout, "  %s", r->why[i]);
		if (r->more)
			out_line(stdout, "  (%zu more not kept)", r->more);
		break;
	case APP_ERROR: out_error("%s %s: %s", r->action, r->id, r->err.msg); break;
	}
}

static const char *age(int64_t now, int64_t at, char *buf, size_t len)
{
	int64_t s = now - at;
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 7200)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "h", s / 3600);
	return buf;
}

static const char *status_name(enum outbox_status s)
{
	return s == OUTBOX_INFLIGHT    ? "inflight"
	       : s == OUTBOX_DELIVERED ? "delivered"
	       : s == OUTBOX_FAILED    ? "failed"
	                               : "pending";
}

static int list_outbox(const struct cmd_opts *o, struct cache *c, int64_t now)
{
	struct outbox_item *items;
	size_t n;
	struct wb_err err = {0};
	if (outbox_list(c, o->failed, &items, &n, &err) != 0) {
		out_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (!o->json)
		out_line(stdout, "%-9s %-36s %-22s %-28s %5s  %s", "STATE", "KEY", "ACTION",
		         "SUBJECT", "AGE", "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		const struct outbox_item *it = &items[i];
		const char *last = it->status == OUTBOX_DELIVERED ? NULL : it->answer;
		char a[32];
		if (o->json) {
			json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:s?}",
			                      "state", status_name(it->status), "key", it->key,
			                      "source", it->source, "action", it->action, "subject",
			                      it->subject, "user", it->user, "created_at",
			                      (json_int_t)it->created_at, "age_s",
			                      (json_int_t)(now - it->created_at), "attempts",
			                      it->attempts, "last_error", last);
			out_json(stdout, j, JSON_COMPACT);
			json_decref(j);
		} else {
			char error[500];
			out_line(stdout, "%-9s %-36s %-22s %-28s %5s  %s", status_name(it->status),
			         it->key, it->action, it->subject,
			         age(now, it->created_at, a, sizeof(a)),
			         out_cut(error, sizeof(error), last, 120));
		}
	}
	outbox_list_free(items, n);
	return EXIT_QUEUED;
}

/* Runs the action the words name (checked by check_usage) and prints it. */
static int one(const struct cmd_opts *o, const struct app_ctx *x, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct app_result *r = calloc(1, sizeof(*r));
	if (!r) {
		out_error("out of memory");
		return EXIT_ERROR;
	}
	int rc = EXIT_QUEUED, d;
	if (!strcmp(cmd, "release")) {
		app_release(x, argv[1], o->override, r);
	} else if (!strcmp(cmd, "hold")) {
		app_hold(x, argv[1], o->reason, r);
	} else if (!strcmp(cmd, "unhold")) {
		app_unhold(x, argv[1], o->override != NULL, o->override, r);
	} else if (!strcmp(cmd, "assign")) {
		app_assign(x, argv[1], argv[2], argv[3], r);
	} else if (!strcmp(cmd, "wo")) {
		app_work_order(x, argv[1], argc == 3 ? argv[2] : NULL, r);
	} else if ((d = app_decision_from_word(cmd)) >= 0) {
		/* Each id is its own action, printed as it is decided. */
		int worst = EXIT_QUEUED;
		for (int i = 1; i < argc; i++) {
			app_decide(x, (enum app_decision)d, argv[i], o->reason, r);
			print_result(o, x, r);
			int e = exit_of(r);
			if (e == EXIT_ERROR || (e == EXIT_REFUSED && worst == EXIT_QUEUED))
				worst = e;
		}
		free(r);
		return worst;
	} else {
		free(r);
		return out_usage("unknown action");
	}
	print_result(o, x, r);
	rc = exit_of(r);
	free(r);
	return rc;
}

/* The words fit their command (before anything is opened or asked). */
static int check_usage(const struct cmd_opts *o)
{
	const char *cmd = o->argv[0];
	int n = o->argc;
	if (!strcmp(cmd, "outbox")) {
		if (n == 1 || (n == 3 && !strcmp(o->argv[1], "retry")))
			return 0;
		return out_usage("usage: waybill outbox [--failed] | waybill outbox retry KEY");
	}
	static const struct {
		const char *cmd;
		int min, max;
		const char *usage;
	} shapes[] = {
	        {"release", 2, 2, "usage: waybill release ID [--override REASON]"},
	        {"hold", 2, 2, "usage: waybill hold ID --reason TEXT"},
	        {"unhold", 2, 2, "usage: waybill unhold ID [--override REASON]"},
	        {"assign", 4, 4, "usage: waybill assign LOAD VEHICLE DRIVER"},
	        {"wo", 2, 3, "usage: waybill wo VEHICLE [FAULT]"},
	};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (!strcmp(cmd, shapes[i].cmd) && (n < shapes[i].min || n > shapes[i].max))
			return out_usage("%s", shapes[i].usage);
	if (!strcmp(cmd, "hold") && (!o->reason || !*o->reason))
		return out_usage("usage: waybill hold ID --reason TEXT (a hold needs a reason)");
	if (app_decision_from_word(cmd) >= 0 && n < 2)
		return out_usage("%s",
		                 "which exception? (waybill approve|reject|escalate|ack ID... "
		                 "[--reason TEXT])");
	if (o->override && strcmp(cmd, "release") && strcmp(cmd, "unhold"))
		return out_usage("only release and unhold take --override");
	if (o->override && !*o->override)
		return out_usage("--override needs a reason");
	if (o->failed && strcmp(cmd, "outbox"))
		return out_usage("only outbox takes --failed");
	return 0;
}

int cmd_act(const struct cmd_opts *o)
{
	if (o->argc < 1)
		return out_usage("no action given");
	int rc = check_usage(o);
	if (rc)
		return rc;
	struct settings *cfg;
	struct cache *c;
	char why[600] = "";
	if ((rc = open_ctx(o, &cfg, &c, why, sizeof(why))) != 0)
		return rc;
	if (cmd_audit_attach(c, cfg) != 0) {
		rc = EXIT_ERROR;
		goto out;
	}
	int64_t now = (int64_t)time(NULL);
	bool listing = !strcmp(o->argv[0], "outbox") && o->argc == 1;
	struct sync_whoami w = {.role = -1};
	if (listing) {
		rc = list_outbox(o, c, now);
		goto out;
	}
	who(cfg, &w, why, sizeof(why));
	struct app_ctx x = {.cache = c,
	                    .settings = cfg,
	                    .actor = {.user = w.role >= 0 ? w.me.user : "unknown",
	                              .role = w.role,
	                              .why_ro = w.role >= 0 ? NULL : why},
	                    .now = now};
	if (!strcmp(o->argv[0], "outbox")) {
		struct app_result *r = calloc(1, sizeof(*r));
		if (!r) {
			rc = EXIT_ERROR;
			goto out;
		}
		app_outbox_retry(&x, o->argv[2], r);
		print_result(o, &x, r);
		rc = exit_of(r);
		free(r);
	} else {
		rc = one(o, &x, o->argc, o->argv);
	}
	cmd_audit_detach(c, cfg);
out:
	cache_close(c);
	settings_free(cfg);
	return rc;
}
