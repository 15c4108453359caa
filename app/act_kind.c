/* Actions the owning source cannot take are refused before they are queued:
 * a kind says so when it builds the action's request (connector_ops'
 * action_call or action answering WB_ENOTFOUND, e.g. Tryton for an invoice
 * hold, since it has no hold state), and the user hears it at once, with the
 * kind's reason, in the console, the CLI and the local pass alike, instead of
 * an outbox row that can only fail. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "app/act_internal.h"
#include "settings/settings.h"

/* "hold_invoice" -> "hold an invoice"; "open_work_order" -> "open a work order". */
static void verb_phrase(const char *action, char *out, size_t len)
{
	const char *us = strchr(action, '_');
	if (!us || !us[1]) {
		snprintf(out, len, "%s", action);
		return;
	}
	char noun[48];
	snprintf(noun, sizeof(noun), "%s", us + 1);
	for (char *p = noun; *p; p++)
		if (*p == '_')
			*p = ' ';
	snprintf(out, len, "%.*s %s %s", (int)(us - action), action,
	         strchr("aeiou", noun[0]) ? "an" : "a", noun);
}

/* "ERP", "TMS"; other roles as "telematics source". */
static void role_words(const char *role, char *out, size_t len)
{
	if (strlen(role) <= 3) {
		size_t i = 0;
		for (; role[i] && i + 1 < len; i++)
			out[i] = (char)toupper((unsigned char)role[i]);
		out[i] = '\0';
	} else {
		snprintf(out, len, "%s source", role);
	}
}

const char *app_maint_source(const struct settings *s, const char *vehicle_source)
{
	const struct config_source *m = settings_maintenance(s);
	return m ? m->name : vehicle_source;
}

/* The actions a maintenance source owns, and how a refusal words them. */
static const struct {
	const char *action, *verb, *takes_none, *owned;
} maint_actions[] = {
        {"place_hold", "hold a vehicle", "it takes no vehicle holds", "holds"},
        {"clear_hold", "clear a vehicle's hold", "it takes no vehicle holds", "holds"},
        {"open_work_order", "open a work order", "it keeps no work orders", "work orders"},
};

/* The refusal of a maintenance action by a source that is not the
 * maintenance source: who owns it and what to configure. false when action
 * is not one of them. */
static bool maint_refusal(const struct config_source *src, const char *action, const char *role,
                          char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(maint_actions) / sizeof(maint_actions[0]); i++) {
		if (strcmp(maint_actions[i].action, action) != 0)
			continue;
		if (!strcmp(src->name, "maintenance"))
			snprintf(why, len, "the %.20s %s cannot %s: %s", src->kind, role,
			         maint_actions[i].verb, maint_actions[i].takes_none);
		else
			snprintf(why, len,
			         "the %.20s %s cannot %s: %s; %s belong to a maintenance source "
			         "(sources.maintenance)",
			         src->kind, role, maint_actions[i].verb,
			         maint_actions[i].takes_none, maint_actions[i].owned);
		return true;
	}
	return false;
}

bool app_source_can(const struct settings *s, const char *source, const char *action,
                    const char *subject, json_t *payload, char *why, size_t len)
{
	const struct config_source *src = s && source ? settings_source(s, source) : NULL;
	if (!src || !src->ops)
		return true;
	const char *colon = strchr(subject, ':');
	const char *id = colon ? colon + 1 : subject;
	struct connector_call call;
	memset(&call, 0, sizeof(call));
	struct wb_err err = {0};
	int rc = src->ops->action_call
	                 ? src->ops->action_call(action, id, payload, &src->login, &call, &err)
	         : src->ops->action ? src->ops->action(action, id, payload, &call, &err)
	                            : WB_ENOTFOUND;
	json_decref(call.body);
	if (rc != WB_ENOTFOUND)
		return true; /* it can; anything else wrong is the sender's to report */
	char verb[96], role[48];
	role_words(src->name, role, sizeof(role));
	if (maint_refusal(src, action, role, why, len))
		return false;
	verb_phrase(action, verb, sizeof(verb));
	snprintf(why, len, "the %.20s %s cannot %s: %.120s", src->kind, role, verb,
	         err.msg[0] ? err.msg : "it has no such action");
	return false;
}

bool app_source_refuses(const struct app_ctx *x, struct app_result *r, const char *source,
                        const char *subject, json_t *payload)
{
	char why[APP_WHY_LEN];
	if (app_source_can(x->settings, source, r->action, subject, payload, why, sizeof(why)))
		return false;
	app_refuse(r, APP_R_SOURCE, "%s", why);
	return true;
}
