/* Windowed board queries: only the rows on screen, found by keyset paging over
 * (sort column, id) so that row 90,000 costs what row 0 does. Every value a
 * user typed is bound; column names come only from the board's own lists. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"

struct sqlbuf {
	char s[4096];
	size_t n;
	int overflow;
};

static void add(struct sqlbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct sqlbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= sizeof(b->s) - b->n)
		b->overflow = 1;
	else
		b->n += (size_t)w;
}

static int in_list(const char *const *list, const char *name)
{
	for (int i = 0; list && list[i]; i++)
		if (!strcmp(list[i], name))
			return i;
	return -1;
}

/* The LIKE pattern for a free-text filter: %text% with %, _ and \ escaped. */
static char *like_pattern(const char *text)
{
	size_t n = strlen(text);
	char *p = malloc(n * 2 + 3);
	if (!p)
		return NULL;
	size_t j = 0;
	p[j++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
			p[j++] = '\\';
		p[j++] = text[i];
	}
	p[j++] = '%';
	p[j] = '\0';
	return p;
}

/* Writes the WHERE clause shared by the window and the count. */
static void add_filters(struct sqlbuf *b, const struct cache_board *bd,
                        const struct cache_window_req *req)
{
	add(b, " WHERE 1");
	if (bd->where)
		add(b, " AND (%s)", bd->where);
	if (req->status && bd->status_col)
		add(b, " AND %s = :status", bd->status_col);
	if (req->id)
		add(b, " AND id = :id");
	if (req->text && *req->text && bd->search && bd->search[0]) {
		add(b, " AND (");
		for (int i = 0; bd->search[i]; i++)
			add(b, "%s%s LIKE :text ESCAPE '\\'", i ? " OR " : "", bd->search[i]);
		add(b, ")");
	}
}

static int bind_value(sqlite3_stmt *st, int idx, const struct cache_value *v)
{
	if (!idx)
		return SQLITE_OK;
	switch (v->t) {
	case CV_INT: return sqlite3_bind_int64(st, idx, v->i);
	case CV_REAL: return sqlite3_bind_double(st, idx, v->d);
	case CV_TEXT: return sqlite3_bind_text(st, idx, v->s, -1, SQLITE_STATIC);
	default: return sqlite3_bind_null(st, idx);
	}
}

static int bind_filters(sqlite3_stmt *st, const struct cache_window_req *req, char *pattern)
{
	int rc = SQLITE_OK;
	int i = sqlite3_bind_parameter_index(st, ":status");
	if (i)
		rc |= sqlite3_bind_text(st, i, req->status, -1, SQLITE_STATIC);
	i = sqlite3_bind_parameter_index(st, ":id");
	if (i)
		rc |= sqlite3_bind_text(st, i, req->id, -1, SQLITE_STATIC);
	i = sqlite3_bind_parameter_index(st, ":text");
	if (i)
		rc |= sqlite3_bind_text(st, i, pattern, -1, SQLITE_STATIC);
	return rc;
}

static int check_req(const struct cache_board *bd, const struct cache_window_req *req,
                     const char **sort, struct wb_err *err)
{
	*sort = req->sort ? req->sort : bd->sorts[0];
	if (in_list(bd->sorts, *sort) < 0)
		return wb_fail(err, WB_EINVALID, "%s cannot be sorted by \"%.40s\"", bd->name,
		               *sort);
	if (req->limit < 1 || req->limit > 1000)
		return wb_fail(err, WB_EINVALID, "window of %d rows is out of range (1..1000)",
		               req->limit);
	if (req->status && !bd->status_col)
		return wb_fail(err, WB_EINVALID, "%s has no status to filter on", bd->name);
	return 0;
}

/* Appends text to the window's arena and returns its offset. */
static int arena_add(struct cache_window *w, const unsigned char *s, size_t len, size_t *off)
{
	if (w->arena_len + len + 1 > w->arena_cap) {
		size_t cap = w->arena_cap ? w->arena_cap * 2 : 4096;
		while (cap < w->arena_len + len + 1)
			cap *= 2;
		char *a = realloc(w->arena, cap);
		if (!a)
			return -1;
		w->arena = a;
		w->arena_cap = cap;
	}
	memcpy(w->arena + w->arena_len, s, len);
	w->arena[w->arena_len + len] = '\0';
	*off = w->arena_len;
	w->arena_len += len + 1;
	return 0;
}

int cache_window(struct cache *c, const struct cache_board *bd, const struct cache_window_req *req,
                 struct cache_window *out, struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	const char *sort;
	int rc = check_req(bd, req, &sort, err);
	if (rc)
		return rc;
	int ncols = 0;
	while (bd->cols[ncols])
		ncols++;
	out->ncols = ncols;
	out->sort_col = in_list(bd->cols, sort);

	/* Scrolling back is scrolling forward in the opposite order, then reversing. */
	int desc = req->desc != req->backward;
	struct sqlbuf b = {.n = 0};
	add(&b, "SELECT ");
	for (int i = 0; i < ncols; i++)
		add(&b, "%s%s", i ? ", " : "", bd->cols[i]);
	add(&b, " FROM %s", bd->from);
	add_filters(&b, bd, req);
	if (req->after_id) {
		/* SQLite sorts NULL first ascending and last descending. */
		int null_key = !req->after_sort || req->after_sort->t == CV_NULL;
		if (null_key && !desc)
			add(&b, " AND ((%s IS NULL AND id > :aid) OR %s IS NOT NULL)", sort, sort);
		else if (null_key)
			add(&b, " AND (%s IS NULL AND id < :aid)", sort);
		else if (!desc)
			add(&b, " AND (%s, id) > (:asort, :aid)", sort);
		else
			add(&b, " AND ((%s, id) < (:asort, :aid) OR %s IS NULL)", sort, sort);
	}
	add(&b, " ORDER BY %s %s, id %s LIMIT :limit", sort, desc ? "DESC" : "ASC",
	    desc ? "DESC" : "ASC");
	if (b.overflow)
		return wb_fail(err, WB_EINVALID, "board query for %s too long", bd->name);

	sqlite3_stmt *st =
	        cache_lru_prepare(c, &c->window_stmts, b.s, "preparing a board query", err);
	if (!st)
		return err ? err->code : WB_EIO;
	char *pattern = req->text && *req->text ? like_pattern(req->text) : NULL;
	if (req->text && *req->text && !pattern)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	int brc = bind_filters(st, req, pattern);
	if (req->after_id) {
		brc |= bind_value(st, sqlite3_bind_parameter_index(st, ":asort"), req->after_sort);
		brc |= sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":aid"),
		                         req->after_id, -1, SQLITE_STATIC);
	}
	brc |= sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"), req->limit);
	if (brc != SQLITE_OK) {
		free(pattern);
		return cache_fail(c, sqlite3_errcode(c->db), err, "binding a board query");
	}

	out->cells = calloc((size_t)req->limit * (size_t)ncols, sizeof(*out->cells));
	if (!out->cells) {
		free(pattern);
		return wb_fail(err, WB_ENOMEM, "out of memory");
	}
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct cache_value *row = out->cells + (size_t)out->nrows * (size_t)ncols;
		for (int i = 0; i < ncols; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				row[i].t = CV_INT;
				row[i].i = sqlite3_column_int64(st, i);
				break;
			case SQLITE_FLOAT:
				row[i].t = CV_REAL;
				row[i].d = sqlite3_column_double(st, i);
				break;
			case SQLITE_NULL: row[i].t = CV_NULL; break;
			default: {
				const unsigned char *txt = sqlite3_column_text(st, i);
				size_t off;
				if (arena_add(out, txt ? txt : (const unsigned char *)"",
				              (size_t)sqlite3_column_bytes(st, i), &off) != 0) {
					s = SQLITE_NOMEM;
					goto done;
				}
				row[i].t = CV_TEXT;
				row[i].i = (int64_t)
				        off; /* fixed up below, once the arena stops moving */
			}
			}
		}
		out->nrows++;
	}
done:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(pattern);
	if (s != SQLITE_DONE) {
		int code = cache_fail(c, s, err, "reading a board");
		cache_window_free(out);
		return code;
	}
	for (int r = 0; r < out->nrows; r++)
		for (int i = 0; i < ncols; i++) {
			struct cache_value *v = &out->cells[r * ncols + i];
			if (v->t == CV_TEXT) {
				v->s = out->arena + v->i;
				v->i = 0;
			}
		}
	if (req->backward) {
		for (int a = 0, z = out->nrows - 1; a < z; a++, z--)
			for (int i = 0; i < ncols; i++) {
				struct cache_value t = out->cells[a * ncols + i];
				out->cells[a * ncols + i] = out->cells[z * ncols + i];
				out->cells[z * ncols + i] = t;
			}
	}
	return 0;
}

void cache_window_free(struct cache_window *w)
{
	free(w->cells);
	free(w->arena);
	memset(w, 0, sizeof(*w));
}

int64_t cache_window_count(struct cache *c, const struct cache_board *bd,
                           const struct cache_window_req *req, struct wb_err *err)
{
	struct sqlbuf b = {.n = 0};
	bool text = req->text && *req->text;
	add(&b, "SELECT count(*) FROM %s", !text && bd->count_from ? bd->count_from : bd->from);
	add_filters(&b, bd, req);
	if (b.overflow)
		return wb_fail(err, WB_EINVALID, "board query for %s too long", bd->name);
	if (req->status && !bd->status_col)
		return wb_fail(err, WB_EINVALID, "%s has no status to filter on", bd->name);
	sqlite3_stmt *st =
	        cache_lru_prepare(c, &c->window_stmts, b.s, "preparing a board query", err);
	if (!st)
		return err ? err->code : WB_EIO;
	char *pattern = req->text && *req->text ? like_pattern(req->text) : NULL;
	bind_filters(st, req, pattern);
	int s = sqlite3_step(st);
	int64_t n = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(pattern);
	if (n < 0)
		return cache_fail(c, s, err, "counting a board");
	return n;
}
