/* A hostile source for bench/memory.sh: answers every page request of every
 * stream with an answer made to exhaust the client's memory, all at once.
 * Prints {"url":"http://127.0.0.1:PORT"} and serves until killed.
 *   bomb    gzip bomb: 256 MiB of {},{},... in about 256 KiB
 *   huge    a body of unknown length that never ends before 1 GiB
 *   dense4  {"data":[{},{},...]} of 3.9 MiB (under the 4 MiB limit), which
 *           costs 77x in jansson
 *   dense60 the same of 60 MiB (under the old 64 MiB limit)
 *   valid   1.5 MiB of the smallest records that map ({"id":"C-1","version":1}):
 *           a tree just under the parse cap, then a row for each
 *   mix     the above in turn across the streams and their retries
 * Usage: hostile_mem [MODE] */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

enum mode { BOMB, HUGE, DENSE4, DENSE60, VALID, MIX };
static enum mode mode = MIX;
static atomic_uint served;
static unsigned char *bomb;
static size_t bomb_len;

#define BOMB_PLAIN (256u << 20)
#define HUGE_LEN (1ull << 30)

/* {"data":[E,E,...,E],"next":"x","has_more":false} of len bytes, E being {}
 * or, for valid, the smallest record that maps; padded with spaces before its
 * last element so that it is valid JSON whatever len is. */
static void dense_at(uint64_t pos, char *buf, size_t n, uint64_t len, bool valid)
{
	static const char head[] = "{\"data\":[", tail[] = "],\"next\":\"x\",\"has_more\":false}";
	const char *el = valid ? "{\"id\":\"C-1\",\"version\":1}," : "{},";
	uint64_t el_len = strlen(el), hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	uint64_t mid = len - hl - tl - (el_len - 1);
	uint64_t pad_at = hl + mid - mid % el_len, last_at = hl + mid, tail_at = len - tl;
	for (size_t i = 0; i < n; i++, pos++) {
		if (pos < hl)
			buf[i] = head[pos];
		else if (pos >= tail_at)
			buf[i] = tail[pos - tail_at];
		else if (pos >= last_at)
			buf[i] = el[pos - last_at];
		else if (pos >= pad_at)
			buf[i] = ' ';
		else
			buf[i] = el[(pos - hl) % el_len];
	}
}

static void make_bomb(void)
{
	z_stream z = {0};
	deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&z, BOMB_PLAIN);
	bomb = malloc(cap);
	char chunk[1 << 16];
	z.next_out = bomb;
	z.avail_out = (uInt)cap;
	for (uint64_t pos = 0; pos < BOMB_PLAIN; pos += sizeof(chunk)) {
		dense_at(pos, chunk, sizeof(chunk), BOMB_PLAIN, false);
		z.next_in = (unsigned char *)chunk;
		z.avail_in = sizeof(chunk);
		deflate(&z, pos + sizeof(chunk) >= BOMB_PLAIN ? Z_FINISH : Z_NO_FLUSH);
	}
	bomb_len = cap - z.avail_out;
	deflateEnd(&z);
}

static ssize_t dense_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	uint64_t len = (uint64_t)(uintptr_t)cls & ~1ull;
	if (pos >= len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = len - pos < max ? (size_t)(len - pos) : max;
	dense_at(pos, buf, n, len, (uintptr_t)cls & 1);
	return (ssize_t)n;
}

static enum MHD_Result answer(struct MHD_Connection *c, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	if (!*con_cls) {
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 || strncmp(url, "/v1/", 4) != 0) {
		struct MHD_Response *r =
		        MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
		return answer(c, r);
	}
	enum mode m = mode;
	if (m == MIX)
		m = (enum mode)((served + strlen(url)) % MIX);
	served++;
	struct MHD_Response *r;
	uint64_t len = m == HUGE     ? HUGE_LEN
	               : m == DENSE4 ? (4u << 20) - (100u << 10)
	               : m == VALID  ? 3u << 19
	                             : 60u << 20;
	if (m == BOMB) {
		r = MHD_create_response_from_buffer(bomb_len, bomb, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Content-Encoding", "gzip");
	} else {
		/* huge: no Content-Length, so the client finds out while reading. */
		r = MHD_create_response_from_callback(
		        m == HUGE ? MHD_SIZE_UNKNOWN : len, 1 << 16, dense_reader,
		        (void *)(uintptr_t)(len | (m == VALID)), NULL);
	}
	return answer(c, r);
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"bomb", "huge", "dense4", "dense60", "valid", "mix"};
	for (int i = 0; argc > 1 && i <= MIX; i++)
		if (strcmp(argv[1], names[i]) == 0)
			mode = (enum mode)i;
	make_bomb();
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d =
	        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                         NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	                         MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "hostile_mem: cannot listen\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("{\"url\":\"http://127.0.0.1:%u\",\"mode\":\"%s\",\"bomb_bytes\":%zu}\n", info->port,
	       names[mode], bomb_len);
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	for (;;)
		pause();
}
