/* Tryton 6.0's JSON-RPC values (trytond/protocols/jsonrpc.py): Decimal as
 * {"__class__": "Decimal", "decimal": str(d)}, date and datetime as their
 * parts (naive, UTC on the server), and its error member. Money is read as
 * whole cents from the decimal's text, never through a binary double. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "connectors/tryton_internal.h"

static bool is_class(json_t *v, const char *cls)
{
	const char *c = json_string_value(json_object_get(v, "__class__"));
	return json_is_object(v) && c && !strcmp(c, cls);
}

/* str(Decimal): [-]digits[.digits][E[+-]digits]; at most 18 significant
 * digits (money never needs more). mant * 10^exp is the value. */
static int parse_decimal(const char *s, int64_t *mant, int *exp)
{
	int64_t m = 0;
	int e = 0, nd = 0, neg = 0, seen_point = 0, digits = 0;
	if (!s)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.' && !seen_point) {
			seen_point = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		digits++;
		if (m == 0 && *s == '0') {
			e -= seen_point; /* leading zeros count only as places */
		} else {
			if (++nd > 18)
				return -1;
			m = m * 10 + (*s - '0');
			e -= seen_point;
		}
	}
	if (!digits)
		return -1;
	if (*s == 'E' || *s == 'e') {
		s++;
		int eneg = 0, ev = 0, n = 0;
		if (*s == '-' || *s == '+')
			eneg = *s++ == '-';
		for (; *s >= '0' && *s <= '9' && n < 4; s++, n++)
			ev = ev * 10 + (*s - '0');
		if (n == 0)
			return -1;
		e += eneg ? -ev : ev;
	}
	if (*s)
		return -1; /* "NaN", "Infinity", trailing text */
	*mant = neg ? -m : m;
	*exp = e;
	return 0;
}

static const char *decimal_text(json_t *v, char *buf, size_t len)
{
	if (is_class(v, "Decimal"))
		return json_string_value(json_object_get(v, "decimal"));
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return NULL;
}

int tryton_decimal_cents(json_t *v, bool round, int64_t *cents, struct wb_err *err)
{
	char buf[32];
	const char *s = decimal_text(v, buf, sizeof(buf));
	int64_t m;
	int e;
	if (!s)
		return wb_fail(err, WB_EINVALID, "not a Decimal");
	if (parse_decimal(s, &m, &e) != 0)
		return wb_fail(err, WB_EINVALID, "\"%.30s\" is not a decimal Waybill can hold", s);
	e += 2; /* cents */
	for (; e > 0; e--) {
		if (m > INT64_MAX / 10 || m < INT64_MIN / 10)
			return wb_fail(err, WB_EINVALID, "%.30s is too large", s);
		m *= 10;
	}
	if (e < 0) {
		if (e < -18) {
			if (m && !round)
				return wb_fail(err, WB_EINVALID, "%.30s has a fraction of a cent",
				               s);
			m = 0; /* far below half a cent */
		} else {
			int64_t div = 1;
			for (; e < 0; e++)
				div *= 10;
			int64_t q = m / div, r = m % div;
			if (r && !round)
				return wb_fail(err, WB_EINVALID, "%.30s has a fraction of a cent",
				               s);
			if (r >= div - r)
				q++; /* half away from zero */
			else if (-r >= div + r)
				q--;
			m = q;
		}
	}
	*cents = m;
	return 0;
}

double tryton_decimal_double(json_t *v)
{
	char buf[32];
	int64_t m;
	int e;
	if (parse_decimal(decimal_text(v, buf, sizeof(buf)), &m, &e) != 0)
		return NAN;
	return (double)m * pow(10.0, e);
}

static int part(json_t *v, const char *key, int lo, int hi, int *out)
{
	json_t *x = json_object_get(v, key);
	if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
		return -1;
	*out = (int)json_integer_value(x);
	return 0;
}

int tryton_time_ms(json_t *v, int64_t *ms)
{
	bool dt = is_class(v, "datetime");
	if (!dt && !is_class(v, "date"))
		return -1;
	int y, mo, d, h = 0, mi = 0, s = 0, us = 0;
	if (part(v, "year", 1, 9999, &y) || part(v, "month", 1, 12, &mo) ||
	    part(v, "day", 1, 31, &d))
		return -1;
	if (dt && (part(v, "hour", 0, 23, &h) || part(v, "minute", 0, 59, &mi) ||
	           part(v, "second", 0, 59, &s) || part(v, "microsecond", 0, 999999, &us)))
		return -1;
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = s};
	time_t t = timegm(&tm);
	/* timegm normalises 31 February into March: a day the month lacks is no date */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*ms = (int64_t)t * 1000 + us / 1000;
	return 0;
}

json_t *tryton_datetime_new(int64_t ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
	int64_t rest = ms - (int64_t)t * 1000;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return NULL;
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:I}", "__class__", "datetime",
	                 "year", tm.tm_year + 1900, "month", tm.tm_mon + 1, "day", tm.tm_mday,
	                 "hour", tm.tm_hour, "minute", tm.tm_min, "second", tm.tm_sec,
	                 "microsecond", (json_int_t)(rest * 1000));
}

static int64_t own_stamp(json_t *rec)
{
	int64_t best = 0, ms;
	if (tryton_time_ms(json_object_get(rec, "write_date"), &ms) == 0 && ms > best)
		best = ms;
	if (tryton_time_ms(json_object_get(rec, "create_date"), &ms) == 0 && ms > best)
		best = ms;
	return best;
}

int64_t tryton_stamp_ms(json_t *rec, const char *const *subs)
{
	int64_t best = own_stamp(rec);
	for (size_t i = 0; subs && subs[i]; i++) {
		json_t *list = json_object_get(rec, subs[i]);
		size_t k;
		json_t *sub;
		json_array_foreach(list, k, sub)
		{
			int64_t ms = own_stamp(sub);
			if (ms > best)
				best = ms;
		}
	}
	return best;
}

void tryton_error_text(json_t *error, char *out, size_t len)
{
	const char *text = NULL, *more = NULL;
	json_t *a0 = json_array_get(error, 0), *a1 = json_array_get(error, 1);
	const char *cls = json_string_value(a0);
	if (json_is_string(error)) {
		text = json_string_value(error);
	} else if (json_is_array(a1)) {
		/* ("UserError", (message, description, domain)); LoginException's
		 * message is its second member, after the parameter's name */
		bool login = cls && !strcmp(cls, "LoginException");
		text = json_string_value(json_array_get(a1, login ? 1 : 0));
		more = login ? NULL : json_string_value(json_array_get(a1, 1));
	} else if (cls && json_is_string(a1) && json_string_length(a1) > 0 &&
	           strstr(cls, "Exception")) {
		text = json_string_value(a1); /* ("ConcurrencyException", message) */
	} else {
		text = cls; /* (str(exception), traceback) */
	}
	if (!text || !*text)
		text = "Tryton refused it without a message";
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s%s%s", text, more && *more ? ": " : "",
	         more && *more ? more : "");
	/* One line: Tryton's messages wrap ("...\nUser in companies"). */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	connector_clean_text(out, len, buf, strlen(buf));
}

bool tryton_truthy(json_t *v)
{
	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}
