/* The audit trail's key file and anchor file: where they are (the config's
 * "audit" object, else in Waybill's config directory) and the key itself. The key is
 * kept out of the cache so that whoever can write the cache cannot rewrite
 * the keyed chain (cache/audit.c); it gets the same care as a token file. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings/audit.h"
#include "settings/paths.h"
#include "settings/settings.h"

#define KEY_FILE "audit.key"
#define ANCHOR_FILE "audit-anchors.jsonl"

/* dir(config)/name, or name itself when absolute. NULL when out of memory
 * or too long. */
static char *beside(const char *config, const char *name)
{
	char copy[PATH_MAX], out[PATH_MAX];
	if (name[0] == '/')
		return strdup(name);
	snprintf(copy, sizeof(copy), "%s", config);
	if ((size_t)snprintf(out, sizeof(out), "%s/%s", dirname(copy), name) >= sizeof(out))
		return NULL;
	return strdup(out);
}

void settings_audit_init(struct settings *s)
{
	s->audit_auto_anchor = true;
}

int settings_audit_parse(struct settings *s, json_t *v, struct wb_err *err)
{
	if (!json_is_object(v))
		return wb_fail(err, WB_EINVALID,
		               "%s: audit: expected an object (key_file, anchor_file, auto_anchor)",
		               s->path);
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val)
	{
		char **dst = !strcmp(key, "key_file")      ? &s->audit_key_file
		             : !strcmp(key, "anchor_file") ? &s->audit_anchor_file
		                                           : NULL;
		if (!strcmp(key, "auto_anchor")) {
			if (!json_is_boolean(val))
				return wb_fail(err, WB_EINVALID,
				               "%s: audit.auto_anchor: expected true or false",
				               s->path);
			s->audit_auto_anchor = json_is_true(val);
			continue;
		}
		if (!dst)
			return wb_fail(
			        err, WB_EINVALID,
			        "%s: audit.%.40s: unknown key (known: key_file, anchor_file, "
			        "auto_anchor)",
			        s->path, key);
		const char *name = json_string_value(val);
		if (!name || !*name || strlen(name) != json_string_length(val))
			return wb_fail(err, WB_EINVALID, "%s: audit.%s: expected a file name",
			               s->path, key);
		char *p = beside(s->path, name);
		if (!p)
			return wb_fail(err, WB_EINVALID,
			               "%s: audit.%s: path too long or out of memory", s->path,
			               key);
		free(*dst);
		*dst = p;
	}
	return 0;
}

int settings_audit_paths(const struct settings *s, bool create, char *key, size_t key_len,
                         char *anchors, size_t anchors_len, struct wb_err *err)
{
	int rc = 0;
	if (s && s->audit_key_file)
		snprintf(key, key_len, "%s", s->audit_key_file);
	else
		rc = settings_config_dir_file(KEY_FILE, create, key, key_len, err);
	if (rc == 0 && s && s->audit_anchor_file)
		snprintf(anchors, anchors_len, "%s", s->audit_anchor_file);
	else if (rc == 0)
		rc = settings_config_dir_file(ANCHOR_FILE, create, anchors, anchors_len, err);
	return rc;
}

static int unhex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Reads and checks an open key file. */
static int read_key(int fd, const char *path, unsigned char key[SETTINGS_AUDIT_KEY_LEN],
                    struct wb_err *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return wb_fail(err, WB_EINVALID, "%s: the audit key is not a regular file", path);
	if (st.st_mode & 077)
		return wb_fail(err, WB_EDENIED,
		               "%s: may be read by group or others (mode %04o); it holds the audit "
		               "key: run chmod 600 %s",
		               path, (unsigned)(st.st_mode & 07777), path);
	char buf[2 * SETTINGS_AUDIT_KEY_LEN + 3];
	ssize_t n;
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return wb_fail(err, WB_EIO, "%s: cannot read the audit key: %s", path,
		               strerror(errno));
	size_t len = (size_t)n;
	if (len && buf[len - 1] == '\n')
		len--;
	int rc = 0;
	if (len != 2 * SETTINGS_AUDIT_KEY_LEN)
		rc = WB_EINVALID;
	for (size_t i = 0; rc == 0 && i < SETTINGS_AUDIT_KEY_LEN; i++) {
		int hi = unhex(buf[2 * i]), lo = unhex(buf[2 * i + 1]);
		if (hi < 0 || lo < 0)
			rc = WB_EINVALID;
		else
			key[i] = (unsigned char)(hi << 4 | lo);
	}
	explicit_bzero(buf, sizeof(buf));
	if (rc != 0) {
		explicit_bzero(key, SETTINGS_AUDIT_KEY_LEN);
		return wb_fail(err, rc,
		               "%s: not an audit key (expected 64 lower-case hex digits); move it "
		               "away to have a new one made, or set audit.key_file",
		               path);
	}
	return 0;
}

/* Makes a new key file at path: a private temporary file beside it, then
 * link(2), which fails when another process made one first (its key wins). */
static int make_key(const char *path, struct wb_err *err)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return wb_fail(err, WB_EINVALID, "%s: path too long", path);
	unsigned char key[SETTINGS_AUDIT_KEY_LEN];
	char hex[2 * SETTINGS_AUDIT_KEY_LEN + 1];
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return wb_fail(err, WB_EIO, "%s: no random bytes for the audit key: %s", path,
		               strerror(errno));
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * sizeof(key)] = '\n';
	explicit_bzero(key, sizeof(key));
	int fd = mkstemp(tmp);
	if (fd < 0) {
		explicit_bzero(hex, sizeof(hex));
		return wb_fail(err, WB_EIO, "%s: cannot create the audit key: %s", path,
		               strerror(errno));
	}
	int rc = 0;
	if (fchmod(fd, 0600) != 0 || write(fd, hex, sizeof(hex)) != (ssize_t)sizeof(hex) ||
	    fsync(fd) != 0)
		rc = wb_fail(err, WB_EIO, "%s: cannot write the audit key: %s", path,
		             strerror(errno));
	explicit_bzero(hex, sizeof(hex));
	close(fd);
	if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST)
		rc = wb_fail(err, WB_EIO, "%s: cannot put the audit key in place: %s", path,
		             strerror(errno));
	unlink(tmp);
	if (rc == 0) {
		char copy[PATH_MAX];
		snprintf(copy, sizeof(copy), "%s", path);
		int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return rc;
}

int settings_audit_key_load(const char *path, bool create,
                            unsigned char key[SETTINGS_AUDIT_KEY_LEN], int *found,
                            struct wb_err *err)
{
	*found = 0;
	/* O_NONBLOCK: a FIFO in the key's place must not hang the start. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && create) {
		int rc = make_key(path, err);
		if (rc != 0)
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return wb_fail(err, WB_EIO, "%s: cannot open the audit key: %s", path,
		               strerror(errno));
	}
	int rc = read_key(fd, path, key, err);
	close(fd);
	if (rc == 0)
		*found = 1;
	return rc;
}
