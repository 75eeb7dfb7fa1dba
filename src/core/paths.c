/*
 * The XDG directories of r1console and the few file operations every owner
 * of a file there needs: mkdir -p, atomic replace, bounded read (see
 * paths.h).  It decides where files live, not what is in them.
 */
#include "core/lib.h"
#include "core/paths.h"

#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <sys/stat.h>

#define APP_DIR       "r1console"
#define ALIAS_DIR_MAX 64

static const char *env_get(paths_env_fn env, void *ctx, const char *name)
{
	return env ? env(ctx, name) : getenv(name);
}

/* $XDG_x/r1console when absolute, else $HOME/<fallback>/r1console. */
static enum r1_err one_dir(char **out, paths_env_fn env, void *ctx, const char *var,
                           const char *fallback, char **why)
{
	struct buf b = BUF_INIT;
	const char *x = env_get(env, ctx, var);
	if (x && x[0] == '/') {
		buf_adds(&b, x);
	} else {
		const char *home = env_get(env, ctx, "HOME");
		if (!home || home[0] != '/')
			return r1_fail(why, R1_ERR_NOTFOUND,
			               "paths: neither $%s nor an absolute $HOME is set", var);
		buf_addf(&b, "%s/%s", home, fallback);
	}
	while (b.len > 1 && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	buf_addf(&b, "/%s", APP_DIR);
	if (!buf_ok(&b)) {
		buf_release(&b);
		return r1_fail(why, R1_ERR_NOMEM, "paths: out of memory");
	}
	*out = buf_detach(&b, NULL);
	return R1_OK;
}

enum r1_err paths_init(struct r1_paths *p, paths_env_fn env, void *env_ctx, char **why)
{
	memset(p, 0, sizeof(*p));
	enum r1_err e = one_dir(&p->config_dir, env, env_ctx, "XDG_CONFIG_HOME", ".config", why);
	if (!e)
		e = one_dir(&p->data_dir, env, env_ctx, "XDG_DATA_HOME", ".local/share", why);
	if (!e)
		e = one_dir(&p->state_dir, env, env_ctx, "XDG_STATE_HOME", ".local/state", why);
	if (e)
		paths_release(p);
	return e;
}

void paths_release(struct r1_paths *p)
{
	r1_free(p->config_dir);
	r1_free(p->data_dir);
	r1_free(p->state_dir);
	memset(p, 0, sizeof(*p));
}

char *paths_join(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, dir);
	if (b.len && b.data[b.len - 1] != '/')
		buf_addc(&b, '/');
	buf_adds(&b, name);
	return buf_detach(&b, NULL);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path); /* a file, a link or (visited last) an emptied directory */
	return 0;
}

void paths_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *paths_config_file(const struct r1_paths *p)
{
	return paths_join(p->config_dir, "config");
}

char *paths_cache_db(const struct r1_paths *p)
{
	return paths_join(p->state_dir, "cache.db");
}

char *paths_user_identity(const struct r1_paths *p)
{
	return paths_join(p->data_dir, "client/e2.pem");
}

char *paths_nodes_dir(const struct r1_paths *p)
{
	return paths_join(p->data_dir, "nodes");
}

bool paths_alias_ok(const char *alias)
{
	size_t n = alias ? strlen(alias) : 0;
	if (n == 0 || n > ALIAS_DIR_MAX || alias[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)alias[i];
		bool good = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		if (!good)
			return false;
	}
	return true;
}

enum r1_err paths_node_dir(const struct r1_paths *p, const char *alias, char **out, char **why)
{
	if (!paths_alias_ok(alias))
		return r1_fail(why, R1_ERR_INVAL,
		               "paths: '%s' is not a usable node alias (1-%d letters, digits, "
		               "'-', '_' or '.', not starting with '.')",
		               alias ? alias : "", ALIAS_DIR_MAX);
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/nodes/%s", p->data_dir, alias);
	if (!buf_ok(&b)) {
		buf_release(&b);
		return r1_fail(why, R1_ERR_NOMEM, "paths: out of memory");
	}
	*out = buf_detach(&b, NULL);
	return R1_OK;
}

enum r1_err paths_mkdir_p(const char *dir, mode_t mode, char **why)
{
	char *d = r1_strdup(dir);
	if (!d)
		return r1_fail(why, R1_ERR_NOMEM, "paths: out of memory");
	size_t n = strlen(d);
	enum r1_err e = R1_OK;
	for (size_t i = 1; i <= n; i++) {
		if (d[i] != '/' && d[i] != '\0')
			continue;
		char saved = d[i];
		d[i] = '\0';
		if (mkdir(d, mode) != 0 && errno != EEXIST) {
			e = r1_fail(why, R1_ERR_IO, "mkdir %s: %s", d, strerror(errno));
			break;
		}
		d[i] = saved;
	}
	if (!e) {
		struct stat st;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			e = r1_fail(why, R1_ERR_IO, "mkdir %s: not a directory", dir);
	}
	r1_free(d);
	return e;
}

enum r1_err paths_mkdir_parent(const char *file, mode_t mode, char **why)
{
	char *d = r1_strdup(file);
	if (!d)
		return r1_fail(why, R1_ERR_NOMEM, "paths: out of memory");
	enum r1_err e = paths_mkdir_p(dirname(d), mode, why);
	r1_free(d);
	return e;
}

static enum r1_err write_all(int fd, const void *data, size_t len, const char *path, char **why)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return r1_fail(why, R1_ERR_IO, "write %s: %s", path, strerror(errno));
		}
		p += w;
		len -= (size_t)w;
	}
	return R1_OK;
}

enum r1_err paths_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                               char **why)
{
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	char *dircopy = r1_strdup(path);
	if (!buf_ok(&tmp) || !dircopy) {
		buf_release(&tmp);
		r1_free(dircopy);
		return r1_fail(why, R1_ERR_NOMEM, "paths: out of memory");
	}
	enum r1_err e = R1_OK;
	int fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		e = r1_fail(why, R1_ERR_IO, "create %s: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	e = write_all(fd, data, len, buf_cstr(&tmp), why);
	if (!e && fchmod(fd, mode) != 0)
		e = r1_fail(why, R1_ERR_IO, "chmod %s: %s", buf_cstr(&tmp), strerror(errno));
	if (!e && fsync(fd) != 0)
		e = r1_fail(why, R1_ERR_IO, "fsync %s: %s", buf_cstr(&tmp), strerror(errno));
	if (close(fd) != 0 && !e)
		e = r1_fail(why, R1_ERR_IO, "close %s: %s", buf_cstr(&tmp), strerror(errno));
	if (!e && rename(buf_cstr(&tmp), path) != 0)
		e = r1_fail(why, R1_ERR_IO, "rename to %s: %s", path, strerror(errno));
	if (e) {
		unlink(buf_cstr(&tmp));
		goto out;
	}
	int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
out:
	buf_release(&tmp);
	r1_free(dircopy);
	return e;
}

enum r1_err paths_read_file(const char *path, size_t max, char **out, size_t *len, char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return r1_fail(why, R1_ERR_NOTFOUND, "%s: no such file", path);
		return r1_fail(why, R1_ERR_IO, "open %s: %s", path, strerror(errno));
	}
	struct buf b = BUF_INIT;
	buf_init_max(&b, max + 1);
	enum r1_err e = R1_OK;
	for (;;) {
		char chunk[8192];
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = r1_fail(why, R1_ERR_IO, "read %s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			e = r1_fail(why, R1_ERR_TOOBIG, "%s: larger than %zu bytes", path, max);
			break;
		}
		buf_add(&b, chunk, (size_t)r);
		if (!buf_ok(&b)) {
			e = r1_fail(why, R1_ERR_NOMEM, "read %s: out of memory", path);
			break;
		}
	}
	close(fd);
	if (e) {
		buf_release(&b);
		return e;
	}
	if (!b.data)
		buf_adds(&b, "");
	size_t n = b.len;
	char *s = buf_detach(&b, NULL);
	if (!s)
		return r1_fail(why, R1_ERR_NOMEM, "read %s: out of memory", path);
	*out = s;
	if (len)
		*len = n;
	return R1_OK;
}
