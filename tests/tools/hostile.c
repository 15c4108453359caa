/* hostile: a source that lies. An HTTP proxy in front of one waybill-sim
 * service that answers as broken gateways, proxies and ERPs do, one mode per
 * class of lie (tests/integration/hostile.sh drives it). Usage:
 *   hostile UPSTREAM_URL MODE [SIZE_BYTES]
 * Listens on 127.0.0.1 (a port of the kernel's choosing), prints {"port": N}
 * on stdout, and serves each connection in a child process (Connection:
 * close), so a mode may block, trickle or lie about lengths without holding
 * up the others. Requests are forwarded with libcurl; the answer is then
 * mangled by MODE (see `modes` below). SIGTERM stops it and its children. */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static const char *const modes[][2] = {
        {"pass", "forward everything unchanged"},
        {"html-post", "writes answered 200 text/html (a login gateway)"},
        {"error-post", "writes answered 200 with an {\"error\":{...}} member (an ERP)"},
        {"html-get", "reads answered 502 text/html (a proxy's error page)"},
        {"empty-more", "pages empty with has_more true and a new cursor each time"},
        {"same-cursor", "pages whose next is the cursor asked for, has_more true"},
        {"trickle", "answers one byte a second"},
        {"lie-length", "Content-Length twice the body, then the connection closes"},
        {"gzip-bomb", "Content-Encoding gzip inflating to 256 MiB"},
        {"huge", "an endless identity body"},
        {"tiny-objects", "{\"data\":[{},{},...]} of SIZE bytes"},
        {"numbers", "records with extreme times, coordinates, money and counts"},
        {"wrong-types", "every string a number, every number a string"},
        {"deep", "arrays nested 100000 deep"},
        {"bad-utf8", "records with invalid UTF-8"},
        {"huge-string", "a record with a SIZE-byte string"},
        {"redirect", "302 to itself"},
        {"dup-keys", "objects with duplicate keys"},
        {"escapes", "terminal escapes, C1 controls and bidi overrides in every string"},
        {"bad-events", "a malformed event after each live event"},
};

static const char *upstream, *mode;
static size_t size_arg = 8u << 20;
static unsigned char *bomb; /* gzip-bomb: the compressed body */
static size_t bomb_len;

struct req {
	char method[16], target[2048];
	struct curl_slist *headers;
	char *body;
	size_t body_len;
};

static void sendall(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			_exit(0); /* the client went away */
		p += n;
		len -= (size_t)n;
	}
}

static void answer(int fd, int status, const char *type, const char *extra, const void *body,
                   size_t len, size_t claimed)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d X\r\nContent-Type: %s\r\n%sContent-Length: %zu\r\n"
	                 "Connection: close\r\n\r\n",
	                 status, type, extra ? extra : "", claimed);
	sendall(fd, head, (size_t)n);
	sendall(fd, body, len);
}

static void answer_json(int fd, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	answer(fd, status, "application/json", NULL, s, strlen(s), strlen(s));
	free(s);
}

/* Reads one request: head up to the blank line, then Content-Length bytes. */
static int read_req(int fd, struct req *r)
{
	static char buf[1 << 16];
	size_t got = 0;
	char *end = NULL;
	while (!end) {
		if (got + 1 >= sizeof(buf))
			return -1;
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*end = '\0';
	char *body = end + 4;
	size_t have = got - (size_t)(body - buf);
	if (sscanf(buf, "%15s %2047s", r->method, r->target) != 2)
		return -1;
	size_t clen = 0;
	for (char *line = strstr(buf, "\r\n"); line; line = strstr(line, "\r\n")) {
		line += 2;
		char *eol = strstr(line, "\r\n");
		char save = 0;
		if (eol) {
			save = *eol;
			*eol = '\0';
		}
		if (!strncasecmp(line, "content-length:", 15))
			clen = strtoul(line + 15, NULL, 10);
		else if (strncasecmp(line, "host:", 5) && strncasecmp(line, "connection:", 11) &&
		         strncasecmp(line, "accept-encoding:", 16) && *line)
			r->headers = curl_slist_append(r->headers, line);
		if (eol)
			*eol = save;
		else
			break;
	}
	if (clen > (64u << 20))
		return -1;
	r->body = malloc(clen + 1);
	size_t off = have < clen ? have : clen;
	memcpy(r->body, body, off);
	while (off < clen) {
		ssize_t n = recv(fd, r->body + off, clen - off, 0);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	r->body[clen] = '\0';
	r->body_len = clen;
	return 0;
}

/* ---- the upstream answer, whole (most modes) or streamed (pass, bad-events) ---- */

struct up {
	int fd; /* streaming: the client */
	bool stream, head_sent, sse;
	long status;
	char type[128];
	char *body;
	size_t len, cap;
	char *ev; /* bad-events: the event being read */
	size_t ev_len;
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct up *u = arg;
	size_t len = size * n;
	if (!strncasecmp(p, "content-type:", 13)) {
		const char *v = p + 13;
		while (*v == ' ')
			v++;
		size_t l = strcspn(v, "\r\n");
		if (l >= sizeof(u->type))
			l = sizeof(u->type) - 1;
		memcpy(u->type, v, l);
		u->type[l] = '\0';
		u->sse = strstr(u->type, "event-stream") != NULL;
	}
	return len;
}

static void send_head(struct up *u, CURL *c)
{
	if (u->head_sent)
		return;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &u->status);
	char head[512];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %ld X\r\nContent-Type: %s\r\nConnection: close\r\n\r\n",
	                 u->status, *u->type ? u->type : "application/json");
	sendall(u->fd, head, (size_t)n);
	u->head_sent = true;
}

static CURL *cur;

/* bad-events: after each whole event, ones that no connector can map: a
 * wrong shape, data that is not JSON, and 15 KB of empty objects (a parse of
 * 77x its text: many held at once would swell the reader). */
static char *fat;
static size_t fat_len;

static void forward_events(struct up *u, const char *p, size_t len)
{
	if (!fat) {
		fat = malloc(16 << 10);
		fat_len = (size_t)sprintf(fat, "event: position\ndata: [");
		while (fat_len < 15000)
			fat_len += (size_t)sprintf(fat + fat_len, "{},");
		fat_len += (size_t)sprintf(fat + fat_len, "{}]\n\n");
	}
	static const char bad[] = "id: 0\nevent: position\ndata: {\"vehicle_id\": 7, \"lat\": "
	                          "\"north\", \"ts\": []}\n\n"
	                          "event: position\ndata: {not json\n\n";
	u->ev = realloc(u->ev, u->ev_len + len + 1);
	memcpy(u->ev + u->ev_len, p, len);
	u->ev_len += len;
	u->ev[u->ev_len] = '\0';
	char *sep;
	while ((sep = strstr(u->ev, "\n\n"))) {
		size_t whole = (size_t)(sep - u->ev) + 2;
		sendall(u->fd, u->ev, whole);
		if (strstr(u->ev, "event: position") && strstr(u->ev, "event: position") < sep) {
			sendall(u->fd, bad, sizeof(bad) - 1);
			sendall(u->fd, fat, fat_len);
		}
		memmove(u->ev, u->ev + whole, u->ev_len - whole + 1);
		u->ev_len -= whole;
	}
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct up *u = arg;
	size_t len = size * n;
	if (u->stream) {
		send_head(u, cur);
		if (u->sse && !strcmp(mode, "bad-events"))
			forward_events(u, p, len);
		else
			sendall(u->fd, p, len);
		return len;
	}
	if (u->len + len + 1 > u->cap) {
		u->cap = (u->len + len + 1) * 2;
		u->body = realloc(u->body, u->cap);
	}
	memcpy(u->body + u->len, p, len);
	u->len += len;
	u->body[u->len] = '\0';
	return len;
}

static int forward(struct req *r, struct up *u)
{
	char url[4096];
	snprintf(url, sizeof(url), "%s%s", upstream, r->target);
	cur = curl_easy_init();
	curl_easy_setopt(cur, CURLOPT_URL, url);
	curl_easy_setopt(cur, CURLOPT_CUSTOMREQUEST, r->method);
	curl_easy_setopt(cur, CURLOPT_HTTPHEADER, r->headers);
	if (strcmp(r->method, "GET")) {
		curl_easy_setopt(cur, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(cur, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
	}
	curl_easy_setopt(cur, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cur, CURLOPT_HEADERDATA, u);
	curl_easy_setopt(cur, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cur, CURLOPT_WRITEDATA, u);
	CURLcode rc = curl_easy_perform(cur);
	curl_easy_getinfo(cur, CURLINFO_RESPONSE_CODE, &u->status);
	if (u->stream && !u->head_sent && rc == CURLE_OK)
		send_head(u, cur);
	curl_easy_cleanup(cur);
	return rc == CURLE_OK ? 0 : -1;
}

/* ---- mangling a JSON page ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static void mangle_value(const char *key, json_t *obj);

static void mangle_object(json_t *o)
{
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(o, tmp, k, v) mangle_value(k, o);
}

static void mangle_value(const char *key, json_t *obj)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_object(v)) {
		mangle_object(v);
		return;
	}
	if (!strcmp(mode, "numbers")) {
		if (ends_with(key, "_at") || !strcmp(key, "ts") || ends_with(key, "_ms") ||
		    !strncmp(key, "window_", 7) || ends_with(key, "_time"))
			json_object_set_new(obj, key, json_integer(INT64_MAX));
		else if (!strcmp(key, "lat") || !strcmp(key, "lon"))
			json_object_set_new(obj, key, json_real(1e308));
		else if (strstr(key, "amount") || strstr(key, "total") || strstr(key, "rate") ||
		         strstr(key, "price") || strstr(key, "cost"))
			json_object_set_new(obj, key, json_real(1e300));
		else if (!strcmp(key, "version") || !strcmp(key, "seq"))
			return; /* the envelope: keep it, so the records are judged */
		else if (json_is_integer(v))
			json_object_set_new(obj, key, json_integer(INT64_MIN));
		else if (json_is_real(v))
			json_object_set_new(obj, key, json_real(-1e300));
	} else if (!strcmp(mode, "wrong-types")) {
		if (json_is_string(v) && strcmp(key, "id"))
			json_object_set_new(obj, key, json_integer(42));
		else if (json_is_number(v))
			json_object_set_new(obj, key, json_string("x"));
	} else if (!strcmp(mode, "escapes") && json_is_string(v) &&
	           (strstr(key, "name") || !strcmp(key, "user") || !strcmp(key, "origin") ||
	            !strcmp(key, "destination") || !strcmp(key, "description") ||
	            !strcmp(key, "message") || !strcmp(key, "hold_reason") ||
	            !strcmp(key, "signed_by") || !strcmp(key, "place"))) {
		char s[1024];
		snprintf(s, sizeof(s),
		         "%s\x1b]0;PWNED\x07\x1b[2J\xc2\x9b"
		         "31m\xe2\x80\xae",
		         json_string_value(v));
		json_object_set_new(obj, key, json_string(s));
	}
}

static void mangle_page(json_t *page)
{
	json_t *data = json_object_get(page, "data");
	size_t i;
	json_t *rec;
	json_array_foreach(data, i, rec) if (json_is_object(rec)) mangle_object(rec);
	if (!data && json_is_object(page))
		mangle_object(page); /* a single record: /v1/me, an action's answer */
}

/* ---- the modes ---- */

static const char html[] = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
                           "<form method=post action=/login><input name=user>"
                           "<input type=password name=pass></form></body></html>";

static const char *query_arg(const char *target, const char *name, char *buf, size_t len)
{
	const char *q = strchr(target, '?');
	size_t nl = strlen(name);
	for (const char *p = q; p && *p; p = strchr(p + 1, '&')) {
		if (!strncmp(p + 1, name, nl) && p[1 + nl] == '=') {
			size_t l = strcspn(p + 2 + nl, "&");
			if (l >= len)
				l = len - 1;
			memcpy(buf, p + 2 + nl, l);
			buf[l] = '\0';
			return buf;
		}
	}
	*buf = '\0';
	return buf;
}

static void serve_body_bytes(int fd, const char *head_type, const char *pattern, size_t total,
                             const char *prefix, const char *suffix)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n",
	                 head_type);
	sendall(fd, head, (size_t)n);
	sendall(fd, prefix, strlen(prefix));
	static char chunk[1 << 16];
	size_t pl = strlen(pattern), fill = sizeof(chunk) / pl * pl;
	for (size_t i = 0; i < fill; i++)
		chunk[i] = pattern[i % pl];
	for (size_t sent = 0; total == 0 || sent < total; sent += fill)
		sendall(fd, chunk, total && total - sent < fill ? (total - sent) / pl * pl : fill);
	sendall(fd, suffix, strlen(suffix));
}

static void serve(int fd)
{
	struct req r = {0};
	if (read_req(fd, &r) != 0)
		return;
	bool get = !strcmp(r.method, "GET");
	bool me = get && !strncmp(r.target, "/v1/me", 6);
	bool page = get && !me && !strstr(r.target, "/stream");
	char buf[512];
	if (!get && !strcmp(mode, "html-post")) {
		answer(fd, 200, "text/html; charset=utf-8", NULL, html, sizeof(html) - 1,
		       sizeof(html) - 1);
		return;
	}
	if (!get && !strcmp(mode, "error-post")) {
		json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", "UserError", "message",
		                      "The record is locked by another user.");
		answer_json(fd, 200, e);
		json_decref(e);
		return;
	}
	if (get && !strcmp(mode, "html-get")) {
		answer(fd, 502, "text/html", NULL, html, sizeof(html) - 1, sizeof(html) - 1);
		return;
	}
	if (page && !strcmp(mode, "empty-more")) {
		static unsigned n;
		snprintf(buf, sizeof(buf), "c%u-%d", n++, (int)getpid());
		json_t *p = json_pack("{s:[],s:s,s:b}", "data", "next", buf, "has_more", 1);
		answer_json(fd, 200, p);
		json_decref(p);
		return;
	}
	if (page && !strcmp(mode, "trickle")) {
		char head[256];
		int n = snprintf(head, sizeof(head),
		                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		                 "Content-Length: 100000\r\nConnection: close\r\n\r\n");
		sendall(fd, head, (size_t)n);
		for (;;) {
			sendall(fd, " ", 1);
			sleep(1);
		}
	}
	if (page && !strcmp(mode, "gzip-bomb")) {
		answer(fd, 200, "application/json", "Content-Encoding: gzip\r\n", bomb, bomb_len,
		       bomb_len);
		return;
	}
	if (page && !strcmp(mode, "huge")) {
		serve_body_bytes(fd, "application/json", "{\"id\":\"x\"},", 0, "{\"data\":[", "");
		return;
	}
	if (page && !strcmp(mode, "tiny-objects")) {
		serve_body_bytes(fd, "application/json", "{},", size_arg, "{\"data\":[",
		                 "{}],\"next\":\"x\",\"has_more\":false}");
		return;
	}
	if (page && !strcmp(mode, "deep")) {
		size_t depth = 100000;
		char *b = malloc(2 * depth + 64);
		size_t o = (size_t)sprintf(b, "{\"data\":");
		memset(b + o, '[', depth);
		memset(b + o + depth, ']', depth);
		o += 2 * depth;
		o += (size_t)sprintf(b + o, ",\"next\":\"x\"}");
		answer(fd, 200, "application/json", NULL, b, o, o);
		free(b);
		return;
	}
	if (page && !strcmp(mode, "bad-utf8")) {
		static const char b[] = "{\"data\":[{\"id\":\"L-1\",\"name\":\"\xff\xfe\xc3\"}],"
		                        "\"next\":\"x\",\"has_more\":false}";
		answer(fd, 200, "application/json", NULL, b, sizeof(b) - 1, sizeof(b) - 1);
		return;
	}
	if (page && !strcmp(mode, "dup-keys")) {
		static const char b[] = "{\"data\":[{\"id\":\"L-1\",\"id\":\"L-2\"}],"
		                        "\"next\":\"x\",\"next\":\"y\",\"has_more\":false}";
		answer(fd, 200, "application/json", NULL, b, sizeof(b) - 1, sizeof(b) - 1);
		return;
	}
	if (get && !strcmp(mode, "redirect")) {
		char loc[2100];
		snprintf(loc, sizeof(loc), "Location: %s\r\n", r.target);
		answer(fd, 302, "text/plain", loc, "", 0, 0);
		return;
	}
	struct up u = {.fd = fd};
	/* Pages (and who-am-I, for the escapes) are read whole and mangled;
	 * writes and event streams pass through as they come. */
	u.stream = !(page || (me && !strcmp(mode, "escapes"))) || !strcmp(mode, "pass");
	if (forward(&r, &u) != 0 || u.stream)
		return;
	if (!strcmp(mode, "lie-length")) {
		answer(fd, (int)u.status, "application/json", NULL, u.body, u.len, u.len * 2 + 100);
		return;
	}
	json_error_t je;
	json_t *j = json_loadb(u.body ? u.body : "", u.len, 0, &je);
	if (j && u.status == 200) {
		if (!strcmp(mode, "same-cursor")) {
			/* The first page says where to go on; every later one says
			 * to go on from where it was asked. */
			query_arg(r.target, "after", buf, sizeof(buf));
			if (*buf)
				json_object_set_new(j, "next", json_string(buf));
			json_object_set_new(j, "has_more", json_true());
		} else if (!strcmp(mode, "huge-string")) {
			json_t *rec = json_array_get(json_object_get(j, "data"), 0);
			char *s = malloc(size_arg + 1);
			memset(s, 'A', size_arg);
			s[size_arg] = '\0';
			if (rec)
				json_object_set_new(rec, "name", json_string(s));
			free(s);
		} else {
			mangle_page(j);
		}
		answer_json(fd, (int)u.status, j);
	} else {
		answer(fd, (int)u.status, *u.type ? u.type : "application/json", NULL,
		       u.body ? u.body : "", u.len, u.len);
	}
	json_decref(j);
}

/* gzip of 256 MiB of spaces, made once: about 250 KB on the wire, far past any
 * bound on inflation or size. */
static void make_bomb(void)
{
	z_stream z = {0};
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
	static unsigned char in[1 << 20];
	memset(in, ' ', sizeof(in));
	size_t cap = 4u << 20;
	bomb = malloc(cap);
	z.next_out = bomb;
	z.avail_out = (uInt)cap;
	for (int i = 0; i < 256; i++) {
		z.next_in = in;
		z.avail_in = sizeof(in);
		deflate(&z, i == 255 ? Z_FINISH : Z_NO_FLUSH);
	}
	bomb_len = cap - z.avail_out;
	deflateEnd(&z);
}

static void on_term(int sig)
{
	(void)sig;
	kill(0, SIGTERM);
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: hostile UPSTREAM_URL MODE [SIZE_BYTES]\nmodes:\n");
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			fprintf(stderr, "  %-13s %s\n", modes[i][0], modes[i][1]);
		return 2;
	}
	upstream = argv[1];
	mode = argv[2];
	bool known = false;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		known = known || !strcmp(mode, modes[i][0]);
	if (!known) {
		fprintf(stderr, "hostile: unknown mode '%s'\n", mode);
		return 2;
	}
	if (argc == 4)
		size_arg = strtoull(argv[3], NULL, 10);
	if (!strcmp(mode, "gzip-bomb"))
		make_bomb();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setpgid(0, 0);
	signal(SIGTERM, on_term);
	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 64) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		perror("hostile: listen");
		return 1;
	}
	printf("{\"port\": %d}\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int fd = accept(s, NULL, NULL);
		if (fd < 0)
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			close(s);
			serve(fd);
			shutdown(fd, SHUT_WR);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}
