/* Writing a config file the way a file holding secrets must be written: a
 * private temporary file in the same directory, fsync, rename over the old
 * one, fsync of the directory (settings/settings.h, config_write_atomic). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings/settings.h"

int config_write_atomic(const char *path, const json_t *json, struct wb_err *err)
{
	char copy[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX];
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.waybill-config.XXXXXX", dir) >= sizeof(tmp))
		return wb_fail(err, WB_EINVALID, "%s: path too long", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return wb_fail(err, WB_EIO, "%s: cannot create a file in %s: %s", path, dir,
		               strerror(errno));
	int rc = 0;
	if (fchmod(fd, 0600) != 0 || json_dumpfd(json, fd, JSON_INDENT(2)) != 0 ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		rc = wb_fail(err, errno == ENOSPC ? WB_EFULL : WB_EIO, "%s: cannot write: %s", path,
		             strerror(errno));
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		rc = wb_fail(err, WB_EIO, "%s: cannot put in place: %s", path, strerror(errno));
		unlink(tmp);
		return rc;
	}
	/* The rename itself is durable only once the directory is. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
