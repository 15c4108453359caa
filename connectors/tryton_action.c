/* The tryton kind's actions. Releasing an invoice is posting it
 * (account.invoice.post); Tryton answers a post it cannot make (a draft
 * missing its date's period, an invoice already cancelled) with a null result
 * and changes nothing, so the delivery is read back: the invoice must show
 * posted (or paid). Holding has no state in Tryton: it is refused before it is
 * queued (WB_ENOTFOUND, with the reason). */
#include <stdio.h>
#include <string.h>

#include "connectors/tryton_internal.h"

int64_t tryton_invoice_id(const char *subject_id)
{
	if (!subject_id || strncmp(subject_id, "INV-", 4) != 0)
		return -1;
	int64_t id = 0;
	const char *p = subject_id + 4;
	if (*p < '1' || *p > '9')
		return -1;
	for (int n = 0; *p; p++, n++) {
		if (*p < '0' || *p > '9' || n == 15)
			return -1;
		id = id * 10 + (*p - '0');
	}
	return id;
}

static int subject(const char *action, const char *subject_id, int64_t *id, struct wb_err *err)
{
	if (!action || strcmp(action, "release_invoice") != 0) {
		if (action && !strcmp(action, "hold_invoice"))
			return wb_fail(err, WB_ENOTFOUND,
			               "Tryton has no hold state for an invoice (a draft stays "
			               "unposted until someone posts it); nothing is sent");
		return wb_fail(err, WB_ENOTFOUND, "the tryton kind has no action \"%.40s\"",
		               action ? action : "");
	}
	if ((*id = tryton_invoice_id(subject_id)) < 0) {
		char shown[48];
		connector_clean_text(shown, sizeof(shown), subject_id,
		                     subject_id ? strlen(subject_id) : 0);
		return wb_fail(err, WB_EINVALID, "%s: \"%s\" is not a Tryton invoice (INV-<id>)",
		               action, shown);
	}
	return 0;
}

int tryton_action_call(const char *action, const char *subject_id, json_t *payload,
                       const struct connector_login *who, struct connector_call *call,
                       struct wb_err *err)
{
	int64_t id;
	int rc = subject(action, subject_id, &id, err);
	if (rc != 0)
		return rc;
	return tryton_call(who, "model.account.invoice.post",
	                   json_pack("[[I], o]", (json_int_t)id, tryton_context(who)), 1, call,
	                   err);
}

/* The first reading of any answer (status, type, JSON object), then
 * Tryton's own error member, whose text connector_answer_json cannot read
 * (an array). */
static enum connector_verdict read_answer(const struct connector_answer *a, json_t **j, char *msg,
                                          size_t len)
{
	*j = NULL;
	json_t *obj;
	enum connector_verdict v = connector_answer_json(a, &obj, msg, len);
	if (v == CONNECTOR_REFUSED) {
		json_t *tj = json_loadb(a->body, a->body_len, 0, NULL);
		json_t *e = json_object_get(tj, "error");
		if (e && json_is_array(e))
			tryton_error_text(e, msg, len);
		json_decref(tj);
		return v;
	}
	if (v != CONNECTOR_CONFIRMED)
		return v;
	if (!json_object_get(obj, "result") || !json_is_integer(json_object_get(obj, "id"))) {
		json_decref(obj);
		return connector_unrecognised(msg, len, "%ld JSON that is not a JSON-RPC result",
		                              a->status);
	}
	*j = obj;
	return CONNECTOR_CONFIRMED;
}

enum connector_verdict tryton_result(const char *action, const char *subject_id,
                                     const struct connector_answer *a, char *msg, size_t len)
{
	if (!action || strcmp(action, "release_invoice") != 0 || tryton_invoice_id(subject_id) < 0)
		return connector_unrecognised(msg, len, "no result is known for \"%.40s\"",
		                              action ? action : "");
	json_t *j;
	enum connector_verdict v = read_answer(a, &j, msg, len);
	if (v != CONNECTOR_CONFIRMED)
		return v;
	/* post() returns nothing: a null result is the only one it gives. */
	if (!json_is_null(json_object_get(j, "result")))
		v = connector_unrecognised(msg, len, "%ld JSON whose result is not post's null",
		                           a->status);
	json_decref(j);
	if (v == CONNECTOR_CONFIRMED && len)
		msg[0] = '\0';
	return v;
}

int tryton_verify_request(const char *action, const char *subject_id,
                          const struct connector_login *who, struct connector_call *call,
                          struct wb_err *err)
{
	int64_t id;
	int rc = subject(action, subject_id, &id, err);
	if (rc != 0)
		return rc;
	/* search_read, not read: a deleted invoice is an empty list, not an error */
	return tryton_call(who, "model.account.invoice.search_read",
	                   json_pack("[[[s, s, I]], i, i, n, [s, s], o]", "id", "=", (json_int_t)id,
	                             0, 1, "state", "number", tryton_context(who)),
	                   1, call, err);
}

enum connector_verdict tryton_verify_read(const char *action, const char *subject_id,
                                          const struct connector_answer *a, char *msg, size_t len)
{
	int64_t id = tryton_invoice_id(subject_id);
	if (!action || strcmp(action, "release_invoice") != 0 || id < 0)
		return connector_unrecognised(msg, len, "no read-back is known for \"%.40s\"",
		                              action ? action : "");
	json_t *j;
	enum connector_verdict v = read_answer(a, &j, msg, len);
	if (v != CONNECTOR_CONFIRMED)
		return v;
	json_t *res = json_object_get(j, "result");
	json_t *inv = json_array_get(res, 0);
	const char *state = json_string_value(json_object_get(inv, "state"));
	if (!json_is_array(res)) {
		v = connector_unrecognised(msg, len, "the read-back's result is not a list");
	} else if (json_array_size(res) == 0) {
		v = CONNECTOR_REFUSED;
		snprintf(msg, len, "the invoice no longer exists in Tryton");
	} else if (json_integer_value(json_object_get(inv, "id")) != id || !state) {
		v = connector_unrecognised(msg, len, "the read-back names another record");
	} else if (!strcmp(state, "posted") || !strcmp(state, "paid")) {
		if (len)
			msg[0] = '\0';
	} else if (!strcmp(state, "draft") || !strcmp(state, "validated")) {
		v = CONNECTOR_REFUSED;
		snprintf(msg, len, "Tryton answered the post but the invoice is still %s", state);
	} else if (!strcmp(state, "cancelled")) {
		v = CONNECTOR_REFUSED;
		snprintf(msg, len, "Tryton answered the post but the invoice is cancelled");
	} else {
		char shown[40];
		connector_clean_text(shown, sizeof(shown), state, strlen(state));
		v = connector_unrecognised(msg, len,
		                           "the invoice's state \"%s\" is not one Waybill "
		                           "knows",
		                           shown);
	}
	json_decref(j);
	return v;
}
