/*
 * File helpers of the node directory (see fsutil.h).  Nothing here knows
 * about the files' formats.
 */
#include "node/lib.h"
#include "node/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>

enum r1_err fs_read_file(const char *path, size_t max, char **out, size_t *len, char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return r1_fail(why, R1_ERR_NOTFOUND, "%s: no such file", path);
		return r1_fail(why, R1_ERR_IO, "%s: %s", path, strerror(errno));
	}
	struct buf b = BUF_INIT;
	buf_init_max(&b, max + 1);
	char tmp[8192];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			close(fd);
			buf_release(&b);
			return r1_fail(why, R1_ERR_IO, "%s: %s", path, strerror(err));
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			close(fd);
			buf_release(&b);
			return r1_fail(why, R1_ERR_TOOBIG, "%s: larger than %zu bytes", path, max);
		}
		buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	if (!buf_ok(&b)) {
		buf_release(&b);
		return r1_fail(why, R1_ERR_NOMEM, "%s: out of memory", path);
	}
	buf_addc(&b, '\0');
	b.len--;
	size_t n = 0;
	*out = buf_detach(&b, &n);
	if (!*out)
		return r1_fail(why, R1_ERR_NOMEM, "%s: out of memory", path);
	if (len)
		*len = n;
	return R1_OK;
}

enum r1_err fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                            char **why)
{
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (!buf_ok(&tmp))
		return r1_fail(why, R1_ERR_NOMEM, "%s: out of memory", path);
	int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0) {
		enum r1_err e = r1_fail(why, R1_ERR_IO, "%s: %s", tmp.data, strerror(errno));
		buf_release(&tmp);
		return e;
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			close(fd);
			unlink(tmp.data);
			enum r1_err e = r1_fail(why, R1_ERR_IO, "%s: %s", tmp.data, strerror(err));
			buf_release(&tmp);
			return e;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		int err = errno;
		unlink(tmp.data);
		enum r1_err e = r1_fail(why, R1_ERR_IO, "%s: %s", tmp.data, strerror(err));
		buf_release(&tmp);
		return e;
	}
	if (rename(tmp.data, path) != 0) {
		int err = errno;
		unlink(tmp.data);
		enum r1_err e = r1_fail(why, R1_ERR_IO, "rename to %s: %s", path, strerror(err));
		buf_release(&tmp);
		return e;
	}
	buf_release(&tmp);
	return R1_OK;
}

enum r1_err fs_mkdir_p(const char *path, unsigned mode, char **why)
{
	char *p = r1_strdup(path);
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM, "mkdir %s: out of memory", path);
	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || end) {
			*s = '\0';
			if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
				enum r1_err e =
				    r1_fail(why, R1_ERR_IO, "mkdir %s: %s", p, strerror(errno));
				r1_free(p);
				return e;
			}
			if (end)
				break;
			*s = '/';
		}
	}
	r1_free(p);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return r1_fail(why, R1_ERR_IO, "%s: not a directory", path);
	return R1_OK;
}

char *fs_join(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, dir);
	if (b.len && b.data[b.len - 1] != '/')
		buf_addc(&b, '/');
	buf_adds(&b, name);
	size_t n;
	return buf_detach(&b, &n);
}
