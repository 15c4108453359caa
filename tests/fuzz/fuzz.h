/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c, docs/fuzzing.md): the
 * stream a byte picks, a private temporary directory, and a read of every text
 * field a mapper filled, so a pointer into freed or foreign memory shows under
 * ASan at once instead of somewhere later. */
#ifndef WAYBILL_FUZZ_H
#define WAYBILL_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_roles[] = {"erp", "tms", "telematics"};

/* The i-th stream of the waybill kind over all roles (i taken modulo their
 * count); *role is the role it belongs to. */
static inline const struct connector_stream *fuzz_stream(const struct connector_ops *k, unsigned i,
                                                         const char **role)
{
	size_t total = 0, n;
	for (size_t r = 0; r < 3; r++) {
		k->streams(fuzz_roles[r], &n);
		total += n;
	}
	i %= (unsigned)total;
	for (size_t r = 0; r < 3; r++) {
		const struct connector_stream *s = k->streams(fuzz_roles[r], &n);
		if (i < n) {
			*role = fuzz_roles[r];
			return &s[i];
		}
		i -= (unsigned)n;
	}
	return NULL;
}

/* Reads every field of an entity row (and its meta) so a bad pointer faults here. */
static inline size_t fuzz_touch_row(enum wb_entity e, const void *row)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	const struct wb_meta *m = row;
	size_t sum = strlen(m->id) + strlen(m->source) + strlen(m->ext_id);
	for (size_t i = 0; i < info->ncols; i++) {
		const char *at = (const char *)row + info->cols[i].offset;
		if (info->cols[i].type == WB_TEXT) {
			const char *s;
			memcpy(&s, at, sizeof(s));
			sum += s ? strlen(s) : 0;
		} else {
			unsigned char b[8];
			memcpy(b, at, sizeof(b));
			sum += b[0];
		}
	}
	return sum;
}

/* A private directory for one fuzzing process, on /dev/shm when there is one so
 * SQLite's fsyncs cost nothing; removed by the caller's atexit handler. */
static inline const char *fuzz_tmpdir(char *buf, size_t len)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(buf, len, "%s/waybill-fuzz.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(buf)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	return buf;
}

/* Writes data to path with mode 0600 (the config loader refuses anything wider). */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

#endif
