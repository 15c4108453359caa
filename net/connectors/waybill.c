/* The canonical "waybill" kind: the contract of docs/api.md, spoken by the
 * middleware in front of each system and by waybill-sim. Records already carry
 * the canonical field names in SI units with RFC 3339 times, so mapping is
 * the generic field mapper plus the record's identity. */
#include <string.h>

#include "waybill/connector.h"

static const struct connector_stream erp_streams[] = {
	{"customers", "/v1/customers", WB_ENT_CUSTOMER, CADENCE_SLOW},
	{"orders", "/v1/orders", WB_ENT_ORDER, CADENCE_SLOW},
	{"invoices", "/v1/invoices", WB_ENT_INVOICE, CADENCE_SLOW},
	{"charges", "/v1/charges", WB_ENT_CHARGE, CADENCE_SLOW},
	{"fuel_txns", "/v1/fuel_txns", WB_ENT_FUEL_TXN, CADENCE_SLOW},
};

static const struct connector_stream tms_streams[] = {
	{"loads", "/v1/loads", WB_ENT_LOAD, CADENCE_FAST},
	{"stops", "/v1/stops", WB_ENT_STOP, CADENCE_FAST},
	{"staging", "/v1/staging", WB_ENT_STAGING, CADENCE_FAST},
	{"pods", "/v1/pods", WB_ENT_POD, CADENCE_FAST},
	{"exceptions", "/v1/exceptions", WB_ENT_EXCEPTION, CADENCE_FAST},
};

static const struct connector_stream telematics_streams[] = {
	{"vehicles", "/v1/vehicles", WB_ENT_VEHICLE, CADENCE_FAST},
	{"drivers", "/v1/drivers", WB_ENT_DRIVER, CADENCE_FAST},
	{"faults", "/v1/faults", WB_ENT_FAULT, CADENCE_FAST},
	{"inspections", "/v1/inspections", WB_ENT_INSPECTION, CADENCE_FAST},
	{"work_orders", "/v1/work_orders", WB_ENT_WORK_ORDER, CADENCE_FAST},
	{"part_reservations", "/v1/part_reservations", WB_ENT_PART_RESERVATION, CADENCE_FAST},
	{"positions", "/v1/positions/stream", -1, CADENCE_LIVE},
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
		return wb_fail(err, WB_EINVALID, "%s %s: \"version\" must be a non-negative integer",
			       s->name, id);
	json_t *del = json_object_get(rec, "deleted");
	if (del && !json_is_boolean(del) && !json_is_null(del))
		return wb_fail(err, WB_EINVALID, "%s %s: \"deleted\" must be a boolean", s->name, id);

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
	*p = (struct wb_position){.vehicle_id = vid, .ts_ms = t, .ignition = -1};
	static const struct {
		const char *key;
		size_t off;
	} reals[] = {
		{"lat", offsetof(struct wb_position, lat)},
		{"lon", offsetof(struct wb_position, lon)},
		{"speed_mps", offsetof(struct wb_position, speed_mps)},
		{"heading", offsetof(struct wb_position, heading)},
		{"odometer_m", offsetof(struct wb_position, odometer_m)},
		{"fuel_pct", offsetof(struct wb_position, fuel_pct)},
	};
	for (size_t i = 0; i < N(reals); i++) {
		json_t *v = json_object_get(rec, reals[i].key);
		double *dst = (double *)(void *)((char *)p + reals[i].off);
		if (!v || json_is_null(v))
			*dst = NAN;
		else if (json_is_number(v))
			*dst = json_number_value(v);
		else
			return wb_fail(err, WB_EINVALID, "position %s: %s is not a number", vid,
				       reals[i].key);
	}
	json_t *ign = json_object_get(rec, "ignition");
	if (json_is_boolean(ign))
		p->ignition = json_is_true(ign);
	if (isnan(p->lat) || isnan(p->lon) || p->lat < -90 || p->lat > 90 || p->lon < -180 ||
	    p->lon > 180)
		return wb_fail(err, WB_EINVALID, "position %s: latitude/longitude missing or out of range",
			       vid);
	return 0;
}

const struct connector_ops connector_waybill = {
	.kind = "waybill",
	.streams = streams,
	.map_record = map_record,
	.map_position = map_position,
};
