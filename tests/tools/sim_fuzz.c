/* sim_fuzz: throws random and malformed HTTP requests at one waybill-sim service
 * over raw loopback sockets, then checks it still answers. Usage:
 *   sim_fuzz PORT TOKEN COUNT SEED
 * Exits 0 when every connection got an HTTP status line or was closed cleanly
 * and the service still serves GET /v1/me; prints a summary line. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned long long rng;
static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (unsigned)((rng >> 33) % n) : 0;
}

static int talk(int port, const char *req, size_t len, char *resp, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	size_t got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (got + 1 < cap && poll(&p, 1, 3000) > 0) {
		ssize_t n = recv(fd, resp + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	resp[got] = '\0';
	close(fd);
	return (int)got;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: sim_fuzz PORT TOKEN COUNT SEED\n");
		return 2;
	}
	int port = atoi(argv[1]), count = atoi(argv[3]);
	const char *tok = argv[2];
	rng = strtoull(argv[4], NULL, 10) + 1;
	static const char *const methods[] = {"GET",     "POST",  "PUT",    "DELETE", "HEAD",
	                                      "OPTIONS", "PATCH", "G\x01T", ""};
	static const char *const paths[] = {"/v1/loads",
	                                    "/v1/loads/L-1/release",
	                                    "/v1/loads/L-99999999999/assign",
	                                    "/v1/vehicles/V-1/hold",
	                                    "/v1/exceptions/X-1/approve",
	                                    "/v1/me",
	                                    "/v1/admin/faults",
	                                    "/v1/admin/clock",
	                                    "/v1/work_orders",
	                                    "/v1/invoices/INV-1/release",
	                                    "/v1/positions",
	                                    "/v1/loads?after=c1.ff.00",
	                                    "/v1/loads?limit=-5",
	                                    "/v1/stops?limit=99999999999999999999",
	                                    "/../../etc/passwd",
	                                    "/v1/%00",
	                                    "/v1/loads/L-0",
	                                    "/",
	                                    "*",
	                                    "/v1/staging?after=&limit=",
	                                    "/v1/orders/O-1/x/y/z"};
	static const char *const bodies[] = {"{}",
	                                     "{\"vehicle_id\":\"V-1\",\"driver_id\":\"D-1\"}",
	                                     "[1,2,3]",
	                                     "{",
	                                     "{\"expected_version\":\"x\"}",
	                                     "null",
	                                     "\"str\"",
	                                     "{\"service\":\"tms\",\"latency\":-1}",
	                                     "{\"advance_s\":1e99}",
	                                     "{\"override\":1,\"reason\":null}"};
	char *req = malloc(70000), *resp = malloc(1 << 20);
	if (!req || !resp)
		return 2;
	int answered = 0, closed = 0, refused = 0;
	for (int i = 0; i < count; i++) {
		size_t len = 0;
		if (rnd(10) == 0) { /* pure garbage */
			len = rnd(4000) + 1;
			for (size_t k = 0; k < len; k++)
				req[k] = (char)rnd(256);
		} else {
			char path[512];
			snprintf(path, sizeof path, "%s",
			         paths[rnd(sizeof paths / sizeof paths[0])]);
			for (unsigned m = rnd(3); m > 0; m--) { /* mutate a byte of the path */
				size_t pl = strlen(path);
				if (pl > 1)
					path[1 + rnd((unsigned)pl - 1)] = (char)(33 + rnd(94));
			}
			const char *b = bodies[rnd(sizeof bodies / sizeof bodies[0])];
			int clen = rnd(8) == 0 ? (int)rnd(100000) : (int)strlen(b);
			len = (size_t)snprintf(
			        req, 70000,
			        "%s %s HTTP/1.%u\r\nHost: 127.0.0.1\r\n%s%s%s%s%s%sContent-Length: "
			        "%d\r\n\r\n%s",
			        methods[rnd(sizeof methods / sizeof methods[0])], path, rnd(2),
			        rnd(4) ? "Authorization: Bearer " : "Authorization: Basic ",
			        rnd(5) ? tok : "wrong", "\r\n",
			        rnd(3) == 0 ? "Idempotency-Key: fz\r\n" : "",
			        rnd(4) == 0 ? "Accept-Encoding: gzip;q=0.5, br\r\n" : "",
			        rnd(6) == 0 ? "If-Match: \"W/x\"\r\nLast-Event-ID: -1\r\n" : "",
			        clen, b);
		}
		int n = talk(port, req, len, resp, 1 << 20);
		if (n < 0)
			refused++;
		else if (n >= 12 && strncmp(resp, "HTTP/1.", 7) == 0)
			answered++;
		else
			closed++;
	}
	char me[512];
	int n = snprintf(me, sizeof me,
	                 "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	                 "%s\r\nConnection: close\r\n\r\n",
	                 tok);
	int got = talk(port, me, (size_t)n, resp, 1 << 20);
	int alive = got > 12 && strncmp(resp + 9, "200", 3) == 0;
	printf("sim_fuzz: %d requests: %d answered, %d closed, %d refused; alive after: %s\n",
	       count, answered, closed, refused, alive ? "yes" : "no");
	free(req);
	free(resp);
	return alive && refused == 0 ? 0 : 1;
}
