/* What every connector needs: the table of kinds, time parsing, and a
 * field-by-name mapper driven by the model's column tables. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "connectors/connector.h"

static const struct connector_ops *const kinds[] = {
#define CONNECTOR_ENTRY(k) &connector_##k,
        CONNECTOR_KINDS(CONNECTOR_ENTRY)
#undef CONNECTOR_ENTRY
};

const struct connector_ops *connector_find(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i]->kind, kind))
			return kinds[i];
	return NULL;
}

const struct connector_stream *connector_stream(const struct connector_ops *k, const char *role,
                                                const char *name)
{
	size_t n = 0;
	const struct connector_stream *s = k->streams(role, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].name, name))
			return &s[i];
	return NULL;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar; pure
 * arithmetic, so no dependence on the process's time zone. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int connector_parse_time_ms(const char *s, int64_t *ms)
{
	int Y, M, D, h, m, sec;
	if (!s || strlen(s) < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
	    s[7] != '-' || digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
		return -1;
	if (M == 2 && D == 29 && !(Y % 4 == 0 && (Y % 100 != 0 || Y % 400 == 0)))
		return -1;
	const char *p = s + 19;
	int frac_ms = 0;
	if (*p == '.') {
		p++;
		int n = 0, scale = 100;
		while (isdigit((unsigned char)*p)) {
			if (n < 3)
				frac_ms += (*p - '0') * scale;
			scale /= 10;
			n++;
			p++;
		}
		if (n == 0)
			return -1;
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
		offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	if (sec == 60)
		sec = 59; /* a leap second is held at :59, as POSIX time does */
	int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - offset_min * 60;
	*ms = t * 1000 + frac_ms;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* "field departed_at: 9223372036854775807 is out of range (a time from
 * 2000-01-01 to 2100-01-01)": the field, the value as the source sent it
 * (cut), and what would have been accepted. */
static int out_of_range(struct wb_err *err, const char *field, enum wb_range range, json_t *v)
{
	char val[48];
	if (json_is_string(v))
		snprintf(val, sizeof(val), "\"%.40s\"", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(val, sizeof(val), "%.15g", json_real_value(v));
	else
		snprintf(val, sizeof(val), "%s", json_is_true(v) ? "true" : "false");
	const struct wb_range_info *ri = wb_range_info(range);
	return wb_fail(err, WB_EINVALID, "field %s: %s is out of range (%s)", field, val,
	               ri ? ri->says : "no range");
}

int connector_map_fields(int entity, json_t *rec, void *row, struct wb_err *err)
{
	const struct wb_entity_info *info = wb_entity_info((enum wb_entity)entity);
	if (!info)
		return wb_fail(err, WB_EINVALID, "unknown entity %d", entity);
	for (size_t i = 0; i < info->ncols; i++) {
		const struct wb_column *col = &info->cols[i];
		json_t *v = json_object_get(rec, col->name);
		char *p = (char *)row + col->offset;
		if (!v || json_is_null(v))
			continue; /* wb_entity_clear left it unknown */
		switch (col->type) {
		case WB_TEXT:
			if (!json_is_string(v))
				return wb_fail(err, WB_EINVALID, "field %s: expected a string",
				               col->name);
			*(const char **)(void *)p = json_string_value(v);
			break;
		case WB_INT: {
			int64_t x;
			if (json_is_integer(v)) {
				x = json_integer_value(v);
			} else if (json_is_boolean(v)) {
				x = json_is_true(v);
			} else if (json_is_string(v)) {
				if (connector_parse_time_ms(json_string_value(v), &x) != 0)
					return wb_fail(
					        err, WB_EINVALID,
					        "field %s: \"%.40s\" is not an RFC 3339 time",
					        col->name, json_string_value(v));
				if (!ends_with(col->name, "_ms"))
					x = x >= 0 ? x / 1000 : -((-x + 999) / 1000);
			} else {
				return wb_fail(err, WB_EINVALID,
				               "field %s: expected an integer or a time",
				               col->name);
			}
			if (x == WB_NULL || !wb_in_range(col->range, (double)x))
				return out_of_range(err, col->name, col->range, v);
			*(int64_t *)(void *)p = x;
			break;
		}
		case WB_REAL:
			if (!json_is_number(v))
				return wb_fail(err, WB_EINVALID, "field %s: expected a number",
				               col->name);
			if (!wb_in_range(col->range, json_number_value(v)))
				return out_of_range(err, col->name, col->range, v);
			*(double *)(void *)p = json_number_value(v);
			break;
		}
	}
	return 0;
}

/* The fields of a position and their ranges; NaN (absent) passes, except
 * latitude and longitude, which a position cannot do without. */
static const struct {
	const char *name;
	size_t off;
	enum wb_range range;
	int required;
} position_fields[] = {
        {"lat", offsetof(struct wb_position, lat), WB_R_LAT, 1},
        {"lon", offsetof(struct wb_position, lon), WB_R_LON, 1},
        {"speed_mps", offsetof(struct wb_position, speed_mps), WB_R_SPEED, 0},
        {"heading", offsetof(struct wb_position, heading), WB_R_HEADING, 0},
        {"odometer_m", offsetof(struct wb_position, odometer_m), WB_R_DIST, 0},
        {"fuel_pct", offsetof(struct wb_position, fuel_pct), WB_R_PCT, 0},
};

int connector_check_position(const struct wb_position *p, struct wb_err *err)
{
	const char *vid = p->vehicle_id ? p->vehicle_id : "?";
	if (!wb_in_range(WB_R_TIME_MS, (double)p->ts_ms))
		return wb_fail(err, WB_EINVALID,
		               "position %.64s: field ts_ms: %" PRId64 " is out of range (%s)", vid,
		               p->ts_ms, wb_range_info(WB_R_TIME_MS)->says);
	for (size_t i = 0; i < sizeof(position_fields) / sizeof(position_fields[0]); i++) {
		double x =
		        *(const double *)(const void *)((const char *)p + position_fields[i].off);
		if (isnan(x) && !position_fields[i].required)
			continue;
		if (isnan(x))
			return wb_fail(err, WB_EINVALID, "position %.64s: no %s", vid,
			               position_fields[i].name);
		if (!wb_in_range(position_fields[i].range, x))
			return wb_fail(err, WB_EINVALID,
			               "position %.64s: field %s: %.15g is out of range (%s)", vid,
			               position_fields[i].name, x,
			               wb_range_info(position_fields[i].range)->says);
	}
	return 0;
}

int connector_position_fields(json_t *rec, const char *vid, int64_t ts_ms, struct wb_position *p,
                              struct wb_err *err)
{
	*p = (struct wb_position){.vehicle_id = vid, .ts_ms = ts_ms, .ignition = -1};
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
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
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
	return connector_check_position(p, err);
}
