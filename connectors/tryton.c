/* The "tryton" kind: a Tryton 6.0 server as the ERP, spoken to in its own
 * JSON-RPC (POST /<database>/ {"id", "method", "params"}). This file holds the
 * calls, signing in (common.db.login, then "Authorization: Session
 * base64(login:user_id:session)"), who-am-I and doctor's checks; paging is in
 * tryton_page.c, records in tryton_map.c, actions in tryton_action.c. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "connectors/tryton_internal.h"

/* A database name goes into the path: only what names are made of. */
static bool plain_name(const char *s, size_t max)
{
	if (!s || !*s || strlen(s) > max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

int tryton_call(const struct connector_login *who, const char *method, json_t *params,
                json_int_t rpc_id, struct connector_call *call, struct wb_err *err)
{
	memset(call, 0, sizeof(*call));
	if (!params)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	if (!who || !plain_name(who->database, 120) || !strcmp(who->database, ".") ||
	    !strcmp(who->database, "..")) {
		json_decref(params);
		return wb_fail(err, WB_EINVALID,
		               who && who->database
		                       ? "the Tryton source's \"database\" must be a plain name "
		                         "(letters, digits, - _ .)"
		                       : "the Tryton source has no \"database\" in its settings");
	}
	snprintf(call->method, sizeof(call->method), "POST");
	snprintf(call->path, sizeof(call->path), "/%s/", who->database);
	call->body = json_pack("{s:I, s:s, s:o}", "id", rpc_id, "method", method, "params", params);
	return call->body ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
}

int tryton_answer(const struct connector_answer *a, const char *what, json_t **json,
                  struct wb_err *err)
{
	*json = NULL;
	if (a->status != 200)
		return wb_fail(err, WB_EINVALID, "%s: Tryton answered HTTP %ld", what, a->status);
	json_error_t je;
	json_t *j = a->body ? json_loadb(a->body, a->body_len, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID,
		               "%s: the answer is not a JSON-RPC object (%zu bytes)", what,
		               a->body_len);
	}
	json_t *e = json_object_get(j, "error");
	if (e && !json_is_null(e)) {
		char msg[400];
		tryton_error_text(e, msg, sizeof(msg));
		json_decref(j);
		return wb_fail(err, WB_EINVALID, "%s: Tryton refused it: %s", what, msg);
	}
	if (!json_object_get(j, "result")) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID, "%s: the answer has no \"result\"", what);
	}
	*json = j;
	return 0;
}

json_t *tryton_context(const struct connector_login *who)
{
	json_t *ctx = who && who->context && *who->context
	                      ? json_loads(who->context, JSON_REJECT_DUPLICATES, NULL)
	                      : NULL;
	if (json_is_object(ctx))
		return ctx;
	json_decref(ctx);
	return json_object();
}

/* --- signing in ------------------------------------------------------------ */

static int login_request(const struct connector_login *who, struct connector_call *call,
                         struct wb_err *err)
{
	if (!who || !who->user || !*who->user || !who->password)
		return wb_fail(err, WB_EINVALID,
		               "the Tryton source needs a \"user\" and a password to sign in");
	/* common.db.login(login, parameters): 6.0 asks for each missing
	 * parameter with a LoginException; the password is the one we give. */
	json_t *params = json_pack("[s, {s:s}]", who->user, "password", who->password);
	return tryton_call(who, "common.db.login", params, 1, call, err);
}

static int login_read(const struct connector_login *who, const struct connector_answer *a,
                      struct connector_session *ses, struct wb_err *err)
{
	memset(ses, 0, sizeof(*ses));
	const char *db = who && who->database ? who->database : "?";
	const char *user = who && who->user ? who->user : "";
	if (a->status == 401 || a->status == 403)
		return wb_fail(
		        err, WB_EDENIED,
		        "Tryton refused the sign-in of \"%.60s\" on database %.60s (HTTP %ld): "
		        "check the user and password",
		        user, db, a->status);
	if (a->status == 429)
		return wb_fail(
		        err, WB_EDENIED,
		        "Tryton refuses sign-ins for a while after too many failures (HTTP 429)");
	if (a->status == 404)
		return wb_fail(err, WB_EINVALID, "Tryton has no database %.60s (HTTP 404)", db);
	/* The session header is "login:user_id:session", split on colons. */
	if (strchr(user, ':'))
		return wb_fail(err, WB_EINVALID,
		               "a Tryton user whose login holds a \":\" cannot keep a session");
	json_t *j;
	int rc = tryton_answer(a, "signing in", &j, err);
	if (rc != 0)
		return rc;
	json_t *res = json_object_get(j, "result");
	json_int_t uid = json_integer_value(json_array_get(res, 0));
	const char *key = json_string_value(json_array_get(res, 1));
	char plain[400];
	int n = -1;
	if (uid > 0 && key && *key && json_array_size(res) == 2)
		n = snprintf(plain, sizeof(plain), "%s:%" JSON_INTEGER_FORMAT ":%s", user, uid,
		             key);
	json_decref(j);
	if (n < 0 || (size_t)n >= sizeof(plain))
		return wb_fail(err, WB_EINVALID,
		               "signing in: Tryton's answer is not [user_id, session]");
	static const char prefix[] = "Authorization: Session ";
	unsigned char b64[4 * (sizeof(plain) + 2) / 3 + 1];
	int len = EVP_EncodeBlock(b64, (const unsigned char *)plain, n);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (len <= 0 || sizeof(prefix) - 1 + (size_t)len >= sizeof(ses->header))
		return wb_fail(err, WB_EINVALID, "signing in: the session is too long to send");
	snprintf(ses->header, sizeof(ses->header), "%s%s", prefix, (const char *)b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	ses->user_id = uid;
	return 0;
}

/* 6.0 answers a session it no longer knows (expired, or the server lost its
 * sessions table) with 401 on every call, JSON-RPC or not: wsgi.py's
 * auth_required, and the fresh-session check of sensitive calls. A 403 is a
 * method the user may not call, not a lost session. */
static bool session_lost(const struct connector_answer *a)
{
	return a->status == 401;
}

/* --- the user's context ------------------------------------------------------ */

/* What Tryton's own clients ask right after signing in: the user's
 * preferences that make the context (company, language, groups, ...), sent
 * back with every call so that Tryton reads and posts for the user's company
 * and language rather than its defaults. */
static int context_request(const struct connector_login *who, struct connector_call *call,
                           struct wb_err *err)
{
	return tryton_call(who, "model.res.user.get_preferences", json_pack("[b, {}]", 1), 1, call,
	                   err);
}

/* Keeps the answer's result, a JSON object, as compact text: values as
 * Tryton sent them, for Tryton to read back. */
static int context_read(const struct connector_answer *a, struct connector_session *ses,
                        struct wb_err *err)
{
	ses->context[0] = '\0';
	if (a->body_len > CONNECTOR_RECORD_JSON_MAX)
		return wb_fail(err, WB_EINVALID, "the user's context: %zu bytes, not one record",
		               a->body_len);
	json_t *j;
	int rc = tryton_answer(a, "the user's context", &j, err);
	if (rc != 0)
		return rc;
	json_t *res = json_object_get(j, "result");
	if (!json_is_object(res)) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID,
		               "the user's context: Tryton's answer is not an object");
	}
	size_t n = json_dumpb(res, ses->context, sizeof(ses->context) - 1,
	                      JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (n == 0 || n >= sizeof(ses->context)) {
		ses->context[0] = '\0';
		return wb_fail(err, WB_EINVALID,
		               "the user's context: %zu bytes, more than the %zu Waybill keeps", n,
		               sizeof(ses->context) - 1);
	}
	ses->context[n] = '\0';
	return 0;
}

/* --- who am I ---------------------------------------------------------------- */

static int whoami_request(const struct connector_login *who, struct connector_call *call,
                          struct wb_err *err)
{
	if (!who || !who->user)
		return wb_fail(err, WB_EINVALID, "the Tryton source has no \"user\"");
	json_t *params = json_pack("[[[s, s, s]], i, i, n, [s, s, s], o]", "login", "=", who->user,
	                           0, 1, "name", "login", "groups.name", tryton_context(who));
	return tryton_call(who, "model.res.user.search_read", params, 1, call, err);
}

/* Tryton has no Waybill roles: a user in Tryton's "Account" group may post
 * invoices (what release_invoice does), so "dispatcher"; "Account
 * Administration" also administers the books, so "supervisor"; anyone else
 * reads, "viewer". Tryton itself enforces its rights on every call. */
static int whoami(const char *body, size_t len, struct connector_whoami *out, struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len > CONNECTOR_RECORD_JSON_MAX)
		return wb_fail(err, WB_EINVALID, "who-am-I: %zu bytes, not one record", len);
	struct connector_answer a = {.status = 200, .body = body, .body_len = len};
	json_t *j;
	int rc = tryton_answer(&a, "who-am-I", &j, err);
	if (rc != 0)
		return rc;
	json_t *me = json_array_get(json_object_get(j, "result"), 0);
	const char *name = json_string_value(json_object_get(me, "name"));
	const char *login = json_string_value(json_object_get(me, "login"));
	const char *role = "viewer";
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(me, "groups."), i, g)
	{
		const char *gn = json_string_value(json_object_get(g, "name"));
		if (gn && !strcmp(gn, "Account Administration"))
			role = "supervisor";
		else if (gn && !strcmp(gn, "Account") && strcmp(role, "supervisor") != 0)
			role = "dispatcher";
	}
	const char *user = name && *name ? name : login;
	if (!user || !*user) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID, "who-am-I: Tryton did not name the user");
	}
	connector_clean_text(out->user, sizeof(out->user), user, strlen(user));
	snprintf(out->role, sizeof(out->role), "%s", role);
	json_decref(j);
	return 0;
}

/* --- doctor ------------------------------------------------------------------ */

/* What the streams read needs (tryton_page.c's fields). */
static const char *const needed_modules[] = {"party",   "currency",           "company",
                                             "sale",    "account_invoice",    "stock",
                                             "carrier", "sale_shipment_cost", NULL};
static const char *const read_models[] = {"party.party",        "sale.sale",
                                          "account.invoice",    "account.invoice.line",
                                          "stock.shipment.out", NULL};

static int doctor_request(int step, const struct connector_login *who, struct connector_call *call,
                          struct wb_err *err)
{
	json_t *models = json_array();
	switch (step) {
	case 0: /* the modules activated */
		json_decref(models);
		return tryton_call(who, "model.ir.module.search_read",
		                   json_pack("[[[s, s, s]], i, n, n, [s], o]", "state", "=",
		                             "activated", 0, "name", tryton_context(who)),
		                   1, call, err);
	case 1: /* what the user may read and write */
		for (size_t i = 0; models && read_models[i]; i++)
			json_array_append_new(models, json_string(read_models[i]));
		return tryton_call(who, "model.ir.model.access.get_access",
		                   json_pack("[o, o]", models, tryton_context(who)), 1, call, err);
	case 2: /* the user's company: rules hide every sale without one */
		json_decref(models);
		return tryton_call(who, "model.res.user.get_preferences",
		                   json_pack("[b, o]", 1, tryton_context(who)), 1, call, err);
	default: json_decref(models); return wb_fail(err, WB_ENOTFOUND, "no more checks");
	}
}

static int doctor_modules(json_t *res, char *line, size_t len)
{
	char missing[200] = "";
	size_t n = 0;
	for (size_t i = 0; needed_modules[i]; i++) {
		bool found = false;
		size_t k;
		json_t *m;
		json_array_foreach(res, k, m)
		{
			const char *name = json_string_value(json_object_get(m, "name"));
			found = found || (name && !strcmp(name, needed_modules[i]));
		}
		if (!found)
			n += (size_t)snprintf(missing + n,
			                      n < sizeof(missing) ? sizeof(missing) - n : 0, "%s%s",
			                      n ? ", " : "", needed_modules[i]);
	}
	if (n) {
		snprintf(line, len, "modules: missing %s (activate them in Tryton)", missing);
		return 1;
	}
	snprintf(line, len,
	         "modules: sale, account_invoice, stock, carrier, sale_shipment_cost (none "
	         "missing)");
	return 0;
}

static int doctor_access(json_t *res, char *line, size_t len)
{
	char denied[200] = "";
	size_t n = 0;
	for (size_t i = 0; read_models[i]; i++)
		if (!tryton_truthy(json_object_get(json_object_get(res, read_models[i]), "read")))
			n += (size_t)snprintf(denied + n,
			                      n < sizeof(denied) ? sizeof(denied) - n : 0, "%s%s",
			                      n ? ", " : "", read_models[i]);
	bool post =
	        tryton_truthy(json_object_get(json_object_get(res, "account.invoice"), "write"));
	if (n) {
		snprintf(line, len, "access: may not read %s", denied);
		return 1;
	}
	snprintf(line, len, "access: reads customers, orders, invoices, lines, shipments; %s",
	         post ? "may post invoices" : "may NOT post invoices (releases will be refused)");
	return post ? 0 : 1;
}

static int doctor_read(int step, const struct connector_answer *a, char *line, size_t len)
{
	static const char *const what[] = {"modules", "access", "company"};
	if (step < 0 || step > 2) {
		snprintf(line, len, "no such check");
		return 1;
	}
	struct wb_err err = {0};
	json_t *j;
	if (tryton_answer(a, what[step], &j, &err) != 0) {
		snprintf(line, len, "%s", err.msg);
		return 1;
	}
	json_t *res = json_object_get(j, "result");
	int rc;
	if (step == 0) {
		rc = doctor_modules(res, line, len);
	} else if (step == 1) {
		rc = doctor_access(res, line, len);
	} else {
		const char *company = json_string_value(json_object_get(res, "company.rec_name"));
		const char *lang = json_string_value(json_object_get(res, "language"));
		char c[80] = "", l[16] = "";
		connector_clean_text(c, sizeof(c), company, company ? strlen(company) : 0);
		connector_clean_text(l, sizeof(l), lang, lang ? strlen(lang) : 0);
		rc = !company;
		if (company)
			snprintf(line, len, "company: %s (language %s)", c, *l ? l : "?");
		else
			snprintf(line, len,
			         "company: the user has none, so Tryton shows no sales or "
			         "invoices (set one in the user's preferences)");
	}
	json_decref(j);
	return rc;
}

/* --- the kind ---------------------------------------------------------------- */

/* An action needs the database's path, so it is built by action_call. */
static int action(const char *name, const char *subject_id, json_t *payload,
                  struct connector_call *call, struct wb_err *err)
{
	struct connector_login none = {0};
	return tryton_action_call(name, subject_id, payload, &none, call, err);
}

static int map_position(json_t *rec, struct wb_position *p, struct wb_err *err)
{
	return wb_fail(err, WB_EINVALID, "Tryton has no positions");
}

const struct connector_ops connector_tryton = {
        .kind = "tryton",
        .streams = tryton_streams,
        .map_record = tryton_map_record,
        .map_position = map_position,
        .action = action,
        .result = tryton_result,
        .whoami_path = "/",
        .whoami = whoami,
        .page_request = tryton_page_request,
        .page_read = tryton_page_read,
        .sweep_s = tryton_sweep_s,
        .login_request = login_request,
        .login_read = login_read,
        .session_lost = session_lost,
        .context_request = context_request,
        .context_read = context_read,
        .action_call = tryton_action_call,
        .verify_request = tryton_verify_request,
        .verify_read = tryton_verify_read,
        .whoami_request = whoami_request,
        .doctor_request = doctor_request,
        .doctor_read = doctor_read,
};
