/* The first reading of an answer to an action, common to every kind: is it a
 * 2xx JSON answer at all, and does it carry the source's business error? What
 * a kind's result then checks is the shape and the subject (connector.h).
 * Anything copied from the answer into a message is cleaned first: the
 * message is stored in the outbox and shown on terminals. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/text.h"
#include "connectors/connector.h"

#define REASON "answer not recognised: "

void connector_clean_text(char *dst, size_t len, const char *src, size_t n)
{
	if (!len)
		return;
	size_t o = 0;
	src = src ? src : "";
	for (size_t i = 0; i < n && src[i];) {
		uint32_t cp;
		size_t k = wb_text_next(src + i, n - i, &cp);
		size_t w = cp == WB_TEXT_REPLACEMENT ? 1 : k; /* an unsafe character: one '?' */
		if (o + w >= len)
			break;
		if (w == 1)
			dst[o] = (char)(cp == WB_TEXT_REPLACEMENT ? WB_TEXT_REPLACEMENT : src[i]);
		else
			memcpy(dst + o, src + i, k);
		o += w;
		i += k;
	}
	dst[o] = '\0';
}

enum connector_verdict connector_unrecognised(char *msg, size_t len, const char *fmt, ...)
{
	if (len) {
		int n = snprintf(msg, len, REASON);
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < len)
			vsnprintf(msg + n, len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return CONNECTOR_UNRECOGNISED;
}

/* The media type of a Content-Type (before any ";" parameter), cleaned. */
static void media_type(const char *ct, char *buf, size_t len)
{
	size_t n = strcspn(ct, ";");
	while (n > 0 && isspace((unsigned char)ct[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)*ct)) {
		ct++;
		n--;
	}
	connector_clean_text(buf, len, ct, n > 60 ? 60 : n);
}

static int is_json_type(const char *mt)
{
	size_t n = strlen(mt);
	return !strcasecmp(mt, "application/json") ||
	       (n > 5 && !strcasecmp(mt + n - 5, "+json") && strchr(mt, '/'));
}

/* The text of a business error: {"error":{"message":...,"code":...}}, or
 * {"error":"..."}, or {"errors":[{"message"|"detail"|"title":...}]}. NULL when
 * the answer carries none. */
static const char *business_error(json_t *j, int *found)
{
	json_t *e = json_object_get(j, "error");
	json_t *es = json_object_get(j, "errors");
	*found = 1;
	if (e && !json_is_null(e) && !json_is_false(e)) {
		if (json_is_string(e))
			return json_string_value(e);
		const char *m = json_string_value(json_object_get(e, "message"));
		return m ? m : json_string_value(json_object_get(e, "code"));
	}
	if (json_is_array(es) && json_array_size(es) > 0) {
		json_t *f = json_array_get(es, 0);
		static const char *const keys[] = {"message", "detail", "title", "code"};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (json_is_string(json_object_get(f, keys[i])))
				return json_string_value(json_object_get(f, keys[i]));
		return json_is_string(f) ? json_string_value(f) : NULL;
	}
	*found = 0;
	return NULL;
}

enum connector_verdict connector_answer_json(const struct connector_answer *a, json_t **json,
                                             char *msg, size_t len)
{
	*json = NULL;
	if (len)
		msg[0] = '\0';
	char mt[64] = "";
	if (a->content_type)
		media_type(a->content_type, mt, sizeof(mt));
	const char *shown = a->content_type ? mt : "without a Content-Type";
	if (a->status < 200 || a->status > 299)
		return connector_unrecognised(msg, len, "HTTP %ld is not a result", a->status);
	if (a->content_type && !is_json_type(mt))
		return connector_unrecognised(msg, len, "%ld %s, %zu bytes", a->status, shown,
		                              a->body_len);
	if (!a->body || a->body_len == 0)
		return connector_unrecognised(msg, len, "%ld %s with an empty body", a->status,
		                              shown);
	if (a->body_len > CONNECTOR_RECORD_JSON_MAX)
		return connector_unrecognised(msg, len, "%ld %s, %zu bytes: more than one record",
		                              a->status, shown, a->body_len);
	json_error_t je;
	json_t *j = json_loadb(a->body, a->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		return connector_unrecognised(msg, len, "%ld %s, %zu bytes that are not JSON",
		                              a->status, shown, a->body_len);
	if (!json_is_object(j)) {
		json_decref(j);
		return connector_unrecognised(msg, len, "%ld %s, JSON that is not an object",
		                              a->status, shown);
	}
	int found;
	const char *text = business_error(j, &found);
	if (found) {
		if (!text)
			text = "the source refused it without a message";
		connector_clean_text(msg, len, text, strlen(text));
		json_decref(j);
		return CONNECTOR_REFUSED;
	}
	*json = j;
	return CONNECTOR_CONFIRMED;
}
