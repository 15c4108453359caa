/* The canonical "waybill" kind: the contract of docs/api.md, spoken by the
 * middleware in front of each system and by waybill-sim. Records already carry
 * the canonical field names in SI units with RFC 3339 times, so mapping is
 * the generic field mapper plus the record's identity. */
#include <string.h>

#include "connectors/connector.h"

static const struct connector_stream erp_streams[] = {
        {"customers", "/v1/customers", WB_ENT_CUSTOMER, CADENCE_SLOW, NULL, 0},
        {"orders", "/v1/orders", WB_ENT_ORDER, CADENCE_SLOW, NULL, 0},
        {"invoices", "/v1/invoices", WB_ENT_INVOICE, CADENCE_SLOW, NULL, 0},
        {"charges", "/v1/charges", WB_ENT_CHARGE, CADENCE_SLOW, NULL, 0},
        {"shipments", "/v1/shipments", WB_ENT_SHIPMENT, CADENCE_SLOW, NULL, 0},
        {"fuel_txns", "/v1/fuel_txns", WB_ENT_FUEL_TXN, CADENCE_SLOW, NULL, 0},
};

static const struct connector_stream tms_streams[] = {
        {"loads", "/v1/loads", WB_ENT_LOAD, CADENCE_FAST, NULL, 0},
        {"stops", "/v1/stops", WB_ENT_STOP, CADENCE_FAST, NULL, 0},
        {"staging", "/v1/staging", WB_ENT_STAGING, CADENCE_FAST, NULL, 0},
        {"pods", "/v1/pods", WB_ENT_POD, CADENCE_FAST, NULL, 0},
        {"exceptions", "/v1/exceptions", WB_ENT_EXCEPTION, CADENCE_FAST, NULL, 0},
};

static const struct connector_stream telematics_streams[] = {
        {"vehicles", "/v1/vehicles", WB_ENT_VEHICLE, CADENCE_FAST, NULL, 0},
        {"drivers", "/v1/drivers", WB_ENT_DRIVER, CADENCE_FAST, NULL, 0},
        {"faults", "/v1/faults", WB_ENT_FAULT, CADENCE_FAST, NULL, 0},
        {"inspections", "/v1/inspections", WB_ENT_INSPECTION, CADENCE_FAST, NULL, 0},
        {"work_orders", "/v1/work_orders", WB_ENT_WORK_ORDER, CADENCE_FAST, NULL, 0},
        {"part_reservations", "/v1/part_reservations", WB_ENT_PART_RESERVATION, CADENCE_FAST, NULL,
         0},
        /* Positions page up to 5,000 at a time (docs/api.md). */
        {"positions", "/v1/positions", -1, CADENCE_LIVE, "/v1/positions/stream", 5000},
};

/* A maintenance source (sources.maintenance, where the telematics vendor
 * keeps no work orders or holds): what the shop owns, the vehicle's
 * maintenance facts included. */
static const struct connector_stream maintenance_streams[] = {
        {"work_orders", "/v1/work_orders", WB_ENT_WORK_ORDER, CADENCE_FAST, NULL, 0},
        {"part_reservations", "/v1/part_reservations", WB_ENT_PART_RESERVATION, CADENCE_FAST, NULL,
         0},
        {"vehicle_maint", "/v1/vehicle_maint", WB_ENT_VEHICLE_MAINT, CADENCE_FAST, NULL, 0},
};

#define N(a) (sizeof(a) / sizeof(a[0]))

static const struct connector_stream *streams(const char *role, size_t *n)
{
	*n = 0;
	if (!role)
		return NULL;
	if (!strcmp(role, "erp")) {
		*n = N(erp_streams);
		return erp_streams;
	}
	if (!strcmp(role, "tms")) {
		*n = N(tms_streams);
		return tms_streams;
	}
	if (!strcmp(role, "telematics")) {
		*n = N(telematics_streams);
		return telematics_streams;
	}
	if (!strcmp(role, "maintenance")) {
		*n = N(maintenance_streams);
		return maintenance_streams;
	}
	return NULL;
}

/* Ids are the source's own and already carry their entity prefix ("L-1042"). */
static int map_record(const struct connector_stream *s, const char *source, json_t *rec, void *row,
                      struct wb_err *err)
{
	if (s->entity < 0)
		return wb_fail(err, WB_EINVALID, "%s: not a record stream", s->name);
	if (!json_is_object(rec))
		return wb_fail(err, WB_EINVALID, "%s: a record is not an object", s->name);
	const char *id = json_string_value(json_object_get(rec, "id"));
	if (!id || !*id || strlen(id) > 128)
		return wb_fail(err, WB_EINVALID, "%s: a record has no usable \"id\"", s->name);
	json_t *ver = json_object_get(rec, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 0)
		return wb_fail(err, WB_EINVALID,
		               "%s %s: \"version\" must be a non-negative integer", s->name, id);
	json_t *del = json_object_get(rec, "deleted");
	if (del && !json_is_boolean(del) && !json_is_null(del))
		return wb_fail(err, WB_EINVALID, "%s %s: \"deleted\" must be a boolean", s->name,
		               id);

	wb_entity_clear((enum wb_entity)s->entity, row);
	struct wb_meta *m = row;
	m->id = id;
	m->source = source;
	m->ext_id = id;
	m->ext_version = json_integer_value(ver);
	m->deleted = json_is_true(del);
	if (m->deleted)
		return 0; /* a tombstone carries nothing else */
	struct wb_err ferr = {0};
	if (connector_map_fields(s->entity, rec, row, &ferr) != 0)
		return wb_fail(err, WB_EINVALID, "%s %s: %s", s->name, id, ferr.msg);
	return 0;
}

static int map_position(json_t *rec, struct wb_position *p, struct wb_err *err)
{
	if (!json_is_object(rec))
		return wb_fail(err, WB_EINVALID, "position: not an object");
	const char *vid = json_string_value(json_object_get(rec, "vehicle_id"));
	json_t *ts = json_object_get(rec, "ts_ms");
	if (!vid || !*vid)
		return wb_fail(err, WB_EINVALID, "position: no vehicle_id");
	int64_t t;
	if (json_is_string(ts)) {
		if (connector_parse_time_ms(json_string_value(ts), &t) != 0)
			return wb_fail(err, WB_EINVALID, "position %s: bad ts_ms", vid);
	} else if (json_is_integer(ts)) {
		t = json_integer_value(ts);
	} else {
		return wb_fail(err, WB_EINVALID, "position %s: no ts_ms", vid);
	}
	return connector_position_fields(rec, vid, t, p, err);
}

/* Outbox actions and where docs/api.md says they go. The source role that
 * owns each is decided by the caller (core/), which enqueues for that source. */
static const struct {
	const char *action;
	const char *list; /* the records it acts on */
	const char *verb; /* "release": POST /v1/<list>/<id>/<verb>; NULL: POST /v1/<list> */
} actions[] = {
        {"release_load", "loads", "release"},
        {"assign_load", "loads", "assign"},
        {"place_hold", "vehicles", "hold"},
        {"clear_hold", "vehicles", "clear_hold"},
        {"open_work_order", "work_orders", NULL},
        {"acknowledge_exception", "exceptions", "acknowledge"},
        {"approve_exception", "exceptions", "approve"},
        {"reject_exception", "exceptions", "reject"},
        {"escalate_exception", "exceptions", "escalate"},
        {"release_invoice", "invoices", "release"},
        {"hold_invoice", "invoices", "hold"},
};

/* Ids go into a path: allow only what ids are made of, so nothing can
 * smuggle a "/", "?" or "%" into the request line. */
static int id_is_safe(const char *id)
{
	if (!id || !*id || strlen(id) > 128)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

static int action(const char *name, const char *subject_id, json_t *payload,
                  struct connector_call *call, struct wb_err *err)
{
	for (size_t i = 0; i < N(actions); i++) {
		if (strcmp(actions[i].action, name) != 0)
			continue;
		int needs_id = actions[i].verb != NULL;
		if (needs_id && !id_is_safe(subject_id))
			return wb_fail(err, WB_EINVALID, "%s: \"%.40s\" is not a record id", name,
			               subject_id ? subject_id : "");
		snprintf(call->method, sizeof(call->method), "POST");
		if (needs_id)
			snprintf(call->path, sizeof(call->path), "/v1/%s/%s/%s", actions[i].list,
			         subject_id, actions[i].verb);
		else
			snprintf(call->path, sizeof(call->path), "/v1/%s", actions[i].list);
		call->body = payload && json_is_object(payload) ? json_deep_copy(payload)
		                                                : json_object();
		if (!call->body)
			return wb_fail(err, WB_ENOMEM, "out of memory");
		return 0;
	}
	return wb_fail(err, WB_ENOTFOUND, "the waybill kind has no action \"%.40s\"", name);
}

/* The result docs/api.md gives for every write: {"data": record}, the record
 * after the change. For an action on a record (a verb) that record is the
 * subject itself; for a creation (open_work_order) it is the new work order,
 * about the subject the action was queued on (its vehicle or its fault). */
static enum connector_verdict result(const char *name, const char *subject_id,
                                     const struct connector_answer *a, char *msg, size_t len)
{
	size_t i = 0;
	while (i < N(actions) && strcmp(actions[i].action, name ? name : "") != 0)
		i++;
	if (i == N(actions))
		return connector_unrecognised(msg, len, "no result is known for \"%.40s\"",
		                              name ? name : "");
	json_t *j;
	enum connector_verdict v = connector_answer_json(a, &j, msg, len);
	if (v != CONNECTOR_CONFIRMED)
		return v;
	json_t *data = json_object_get(j, "data");
	const char *id = json_string_value(json_object_get(data, "id"));
	json_t *ver = json_object_get(data, "version");
	char got[48] = "", want[48] = "", about[48] = "";
	connector_clean_text(got, sizeof(got), id, id ? strlen(id) : 0);
	connector_clean_text(want, sizeof(want), subject_id, subject_id ? strlen(subject_id) : 0);
	if (!json_is_object(data))
		v = connector_unrecognised(msg, len, "%ld JSON without a \"data\" record",
		                           a->status);
	else if (!id || !*id)
		v = connector_unrecognised(msg, len, "%ld JSON whose record has no id", a->status);
	else if (!json_is_integer(ver) || json_integer_value(ver) < 0)
		v = connector_unrecognised(msg, len, "%ld JSON whose record %s has no version",
		                           a->status, got);
	else if (actions[i].verb && strcmp(id, subject_id ? subject_id : "") != 0)
		v = connector_unrecognised(msg, len, "JSON names %s, not %s", got, want);
	else if (!actions[i].verb) {
		const char *veh = json_string_value(json_object_get(data, "vehicle_id"));
		const char *flt = json_string_value(json_object_get(data, "fault_id"));
		connector_clean_text(about, sizeof(about), veh, veh ? strlen(veh) : 0);
		if (strncmp(id, "WO-", 3) != 0)
			v = connector_unrecognised(msg, len, "JSON names %s, not a new work order",
			                           got);
		else if (subject_id && *subject_id && !(veh && !strcmp(veh, subject_id)) &&
		         !(flt && !strcmp(flt, subject_id)))
			v = connector_unrecognised(msg, len, "JSON names %s for %s, not for %s",
			                           got, veh ? about : "no vehicle", want);
	}
	json_decref(j);
	if (v == CONNECTOR_CONFIRMED && len)
		msg[0] = '\0';
	return v;
}

/* GET /v1/me: {"user": "...", "role": "...", "server_time": "..."}. */
static int whoami(const char *body, size_t len, struct connector_whoami *out, struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len > CONNECTOR_RECORD_JSON_MAX)
		return wb_fail(err, WB_EINVALID, "/v1/me answered %zu bytes, not one record", len);
	json_error_t je;
	json_t *me = json_loadb(body ? body : "", len, 0, &je);
	if (!me)
		return wb_fail(err, WB_EINVALID, "/v1/me answered something that is not JSON (%s)",
		               je.text);
	const char *user = json_string_value(json_object_get(me, "user"));
	const char *role = json_string_value(json_object_get(me, "role"));
	const char *st = json_string_value(json_object_get(me, "server_time"));
	int rc = 0;
	if (!user || !*user || !role || !*role || strlen(user) >= sizeof(out->user) ||
	    strlen(role) >= sizeof(out->role))
		rc = wb_fail(err, WB_EINVALID, "no user or role in /v1/me");
	else {
		snprintf(out->user, sizeof(out->user), "%s", user);
		snprintf(out->role, sizeof(out->role), "%s", role);
		snprintf(out->server_time, sizeof(out->server_time), "%s", st ? st : "");
	}
	json_decref(me);
	return rc;
}

const struct connector_ops connector_waybill = {
        .action = action,
        .result = result,
        .whoami_path = "/v1/me",
        .whoami = whoami,
        .kind = "waybill",
        .streams = streams,
        .map_record = map_record,
        .map_position = map_position,
};
