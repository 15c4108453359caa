/* The waybill connector's mappers. The first byte picks the target: one of the
 * kind's streams (map_record for an entity stream, map_position for positions),
 * whoami, or action; the rest is the JSON (or, for whoami, the raw body). */
#include <jansson.h>

#include "fuzz.h"

static void fuzz_action(const struct connector_ops *k, const uint8_t *data, size_t size)
{
	static const char *const names[] = {
	        "release_load",      "assign_load",      "place_hold",
	        "clear_hold",        "open_work_order",  "acknowledge_exception",
	        "approve_exception", "reject_exception", "escalate_exception",
	        "release_invoice",   "hold_invoice",     "no_such_action"};
	if (size < 1)
		return;
	const char *name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	data++, size--;
	/* subject id up to the first newline, then the payload */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t idlen = nl ? (size_t)(nl - data) : size;
	char *subject = strndup((const char *)data, idlen);
	size_t rest = nl ? size - idlen - 1 : 0;
	json_error_t je;
	json_t *payload = rest ? json_loadb((const char *)nl + 1, rest, 0, &je) : NULL;
	struct connector_call call = {0};
	struct wb_err err = {0};
	if (k->action(name, subject, payload, &call, &err) == 0) {
		if (!call.body || strlen(call.method) >= sizeof(call.method) ||
		    strlen(call.path) >= sizeof(call.path))
			abort();
		for (const char *p = call.path; *p; p++)
			if (*p == '?' || *p == '%' || *p == ' ' || (unsigned char)*p < 0x21)
				abort(); /* the path must stay URL-safe */
		char *txt = json_dumps(call.body, JSON_COMPACT);
		free(txt);
		json_decref(call.body);
	} else if (!err.msg[0]) {
		abort(); /* a failure always says why */
	}
	json_decref(payload);
	free(subject);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct connector_ops *k = connector_find("waybill");
	if (!k || size < 1)
		return 0;
	unsigned pick = data[0];
	data++, size--;
	size_t nstreams = 0, n;
	for (size_t r = 0; r < 3; r++) {
		k->streams(fuzz_roles[r], &n);
		nstreams += n;
	}
	unsigned target = pick % (unsigned)(nstreams + 2);
	struct wb_err err = {0};
	if (target == nstreams) {
		struct connector_whoami me;
		if (k->whoami((const char *)data, size, &me, &err) == 0) {
			if (!me.user[0] || !me.role[0])
				abort();
		} else if (!err.msg[0]) {
			abort();
		}
		return 0;
	}
	if (target == nstreams + 1) {
		fuzz_action(k, data, size);
		return 0;
	}
	const char *role;
	const struct connector_stream *s = fuzz_stream(k, target, &role);
	json_error_t je;
	json_t *rec = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	if (!rec)
		return 0;
	if (s->entity >= 0) {
		/* the largest entity struct, aligned for any of them */
		static union {
			struct wb_meta m;
			char bytes[4096];
			max_align_t align;
		} row;
		if (wb_entity_info((enum wb_entity)s->entity)->size > sizeof(row))
			abort();
		if (k->map_record(s, role, rec, &row, &err) == 0)
			fuzz_touch_row((enum wb_entity)s->entity, &row);
		else if (!err.msg[0])
			abort();
	} else {
		struct wb_position p;
		if (k->map_position(rec, &p, &err) == 0) {
			if (!p.vehicle_id || !*p.vehicle_id || !(p.lat >= -90 && p.lat <= 90) ||
			    !(p.lon >= -180 && p.lon <= 180))
				abort();
		} else if (!err.msg[0]) {
			abort();
		}
	}
	json_decref(rec);
	return 0;
}
