/*
 * authorized_addrs: parsing, rewriting and change detection (see
 * allowlist.h).  The rewrite rules follow the SDK's loader so that a file
 * edited by the reference's `add_allowed` script and by us stays the same
 * file: words are split on whitespace, the first is the address, the second
 * (unless it starts a comment) the alias.
 */
#include "node/lib.h"
#include "node/allowlist.h"
#include "core/paths.h"

#include <sys/stat.h>

#define ALLOWLIST_MAX_FILE (4u * 1024u * 1024u)
#define EVM_COMMENT        " # "
#define INVALID_COMMENT    " # INVALID: "

struct allowlist {
	char *path;
	struct allow_entry *entries;
	size_t n;
	/* what the file looked like when last read */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool have_stat;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next whitespace-separated word of [*p, end); false at the end. */
static bool next_word(const char **p, const char *end, const char **w, size_t *wlen)
{
	const char *s = *p;
	while (s < end && is_space(*s))
		s++;
	if (s >= end)
		return false;
	const char *e = s;
	while (e < end && !is_space(*e))
		e++;
	*w = s;
	*wlen = (size_t)(e - s);
	*p = e;
	return true;
}

static bool has_entry(const struct allow_entry *v, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].addr, addr) == 0)
			return true;
	return false;
}

enum r1_err allowlist_parse(const char *text, size_t len, struct allow_entry **entries, size_t *n,
                            struct buf *rewrite, bool *needs_rewrite, char **why)
{
	struct allow_entry *v = NULL;
	size_t count = 0, cap = 0;
	bool changed = false;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		/* the line, stripped */
		const char *ls = p, *lend = le;
		while (ls < lend && (is_space(*ls)))
			ls++;
		while (lend > ls && is_space(lend[-1]))
			lend--;
		p = nl ? nl + 1 : end;
		if (ls == lend)
			continue; /* blank lines are dropped, as the SDK drops them */
		const char *cur = ls, *w1, *w2 = NULL, *w3 = NULL;
		size_t l1, l2 = 0, l3 = 0;
		next_word(&cur, lend, &w1, &l1);
		bool has2 = next_word(&cur, lend, &w2, &l2);
		bool has3 = has2 && next_word(&cur, lend, &w3, &l3);
		(void)w3;
		(void)l3;
		size_t line_len = (size_t)(lend - ls);
		if (w1[0] == '#') {
			if (rewrite) {
				buf_add(rewrite, ls, line_len);
				buf_addc(rewrite, '\n');
			}
			continue;
		}
		uint8_t pub[R1_PUB_LEN];
		char *reason = NULL;
		if (addr_parse(w1, l1, pub, &reason) != R1_OK) {
			changed = true;
			if (rewrite) {
				buf_adds(rewrite, "# ");
				buf_add(rewrite, ls, line_len);
				buf_adds(rewrite, INVALID_COMMENT);
				buf_adds(rewrite, reason ? reason : "not an address");
				buf_addc(rewrite, '\n');
			}
			r1_free(reason);
			continue;
		}
		struct allow_entry e;
		memset(&e, 0, sizeof(e));
		addr_format(pub, e.addr);
		if (has2 && w2[0] != '#') {
			size_t al = R1_MIN(l2, sizeof(e.alias) - 1);
			memcpy(e.alias, w2, al);
		}
		if (rewrite) {
			buf_add(rewrite, ls, line_len);
			if (!has3) {
				char eth[R1_ETH_ADDR_LEN + 1];
				if (eth_address_from_pub(pub, eth, NULL) == R1_OK) {
					buf_adds(rewrite, EVM_COMMENT);
					buf_adds(rewrite, eth);
				}
			}
			buf_addc(rewrite, '\n');
		}
		if (!has3)
			changed = true;
		if (has_entry(v, count, e.addr))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct allow_entry *nv = r1_reallocarray(v, ncap, sizeof(*v));
			if (!nv) {
				r1_free(v);
				return r1_fail(why, R1_ERR_NOMEM,
				               "authorized_addrs: out of memory");
			}
			v = nv;
			cap = ncap;
		}
		v[count++] = e;
	}
	if (rewrite && !buf_ok(rewrite)) {
		r1_free(v);
		return r1_fail(why, R1_ERR_NOMEM, "authorized_addrs: out of memory");
	}
	*entries = v;
	*n = count;
	if (needs_rewrite)
		*needs_rewrite = changed;
	return R1_OK;
}

static void remember_stat(struct allowlist *al)
{
	struct stat st;
	if (stat(al->path, &st) != 0) {
		al->have_stat = false;
		return;
	}
	al->dev = st.st_dev;
	al->ino = st.st_ino;
	al->size = st.st_size;
	al->mtime = st.st_mtim;
	al->have_stat = true;
}

static enum r1_err load(struct allowlist *al, char **why)
{
	char *text = NULL;
	size_t len = 0;
	char *err = NULL;
	enum r1_err e = paths_read_file(al->path, ALLOWLIST_MAX_FILE, &text, &len, &err);
	if (e && e != R1_ERR_NOTFOUND && why) {
		r1_free(*why);
		*why = err;
		err = NULL;
	}
	r1_free(err);
	if (e == R1_ERR_NOTFOUND) {
		e = paths_write_atomic(al->path, "\n", 1, 0644, why);
		if (e)
			return e;
		text = r1_strdup("");
		if (!text)
			return r1_fail(why, R1_ERR_NOMEM, "authorized_addrs: out of memory");
	} else if (e) {
		return e;
	}
	struct allow_entry *v = NULL;
	size_t n = 0;
	struct buf rw = BUF_INIT;
	bool needs = false;
	e = allowlist_parse(text, len, &v, &n, &rw, &needs, why);
	r1_free(text);
	if (e) {
		buf_release(&rw);
		return e;
	}
	if (needs) {
		e = paths_write_atomic(al->path, rw.data ? rw.data : "", rw.len, 0644, why);
		if (e) {
			buf_release(&rw);
			r1_free(v);
			return e;
		}
	}
	buf_release(&rw);
	r1_free(al->entries);
	al->entries = v;
	al->n = n;
	remember_stat(al);
	return R1_OK;
}

struct allowlist *allowlist_open(const char *path, char **why)
{
	struct allowlist *al = r1_calloc(1, sizeof(*al));
	if (!al || !(al->path = r1_strdup(path))) {
		r1_free(al);
		r1_fail(why, R1_ERR_NOMEM, "authorized_addrs: out of memory");
		return NULL;
	}
	if (load(al, why)) {
		allowlist_free(&al);
		return NULL;
	}
	return al;
}

void allowlist_free(struct allowlist **alp)
{
	struct allowlist *al = *alp;
	if (!al)
		return;
	r1_free(al->entries);
	r1_free(al->path);
	r1_free(al);
	*alp = NULL;
}

enum r1_err allowlist_refresh(struct allowlist *al, bool *changed, char **why)
{
	struct stat st;
	*changed = false;
	if (stat(al->path, &st) != 0) {
		if (errno == ENOENT) {
			/* removed: recreate empty, as the loader does */
			*changed = al->n > 0;
			return load(al, why);
		}
		return r1_fail(why, R1_ERR_IO, "%s: %s", al->path, strerror(errno));
	}
	if (al->have_stat && st.st_dev == al->dev && st.st_ino == al->ino &&
	    st.st_size == al->size && st.st_mtim.tv_sec == al->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == al->mtime.tv_nsec)
		return R1_OK;
	size_t before = al->n;
	struct allow_entry *old = r1_memdup(al->entries, before * sizeof(*old) + 1);
	enum r1_err e = load(al, why);
	if (!e)
		*changed = before != al->n ||
		           (before && old && memcmp(old, al->entries, before * sizeof(*old)) != 0);
	r1_free(old);
	return e;
}

enum r1_err allowlist_reload(struct allowlist *al, char **why)
{
	return load(al, why);
}

enum r1_err allowlist_add(struct allowlist *al, const char *addr, const char *alias, bool *added,
                          char **why)
{
	uint8_t pub[R1_PUB_LEN];
	*added = false;
	if (addr_parse(addr, strlen(addr), pub, why))
		return R1_ERR_INVAL;
	char full[R1_ADDR_LEN + 1];
	addr_format(pub, full);
	/* pick up an edit made meanwhile before appending to it */
	bool changed;
	enum r1_err e = allowlist_refresh(al, &changed, why);
	if (e)
		return e;
	if (allowlist_contains(al, full))
		return R1_OK;
	char *text = NULL;
	size_t len = 0;
	e = paths_read_file(al->path, ALLOWLIST_MAX_FILE, &text, &len, why);
	if (e)
		return e;
	char eth[R1_ETH_ADDR_LEN + 1];
	e = eth_address_from_pub(pub, eth, why);
	if (e) {
		r1_free(text);
		return e;
	}
	struct buf b = BUF_INIT;
	/* keep the existing lines (blank ones dropped), then the new one */
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *s = p;
		while (s < le && is_space(*s))
			s++;
		if (s < le) {
			buf_add(&b, p, (size_t)(le - p));
			buf_addc(&b, '\n');
		}
		p = nl ? nl + 1 : end;
	}
	r1_free(text);
	buf_adds(&b, full);
	if (alias && *alias) {
		buf_adds(&b, "  ");
		/* an alias is one word */
		for (const char *a = alias; *a; a++)
			buf_addc(&b, is_space(*a) || *a == '#' ? '_' : *a);
	}
	buf_adds(&b, EVM_COMMENT);
	buf_adds(&b, eth);
	buf_addc(&b, '\n');
	if (!buf_ok(&b)) {
		buf_release(&b);
		return r1_fail(why, R1_ERR_NOMEM, "authorized_addrs: out of memory");
	}
	e = paths_write_atomic(al->path, b.data, b.len, 0644, why);
	buf_release(&b);
	if (e)
		return e;
	e = load(al, why);
	if (!e)
		*added = true;
	return e;
}

bool allowlist_contains(const struct allowlist *al, const char *addr)
{
	for (size_t i = 0; i < al->n; i++)
		if (addr_same(al->entries[i].addr, addr))
			return true;
	return false;
}

size_t allowlist_count(const struct allowlist *al)
{
	return al->n;
}

const struct allow_entry *allowlist_entry(const struct allowlist *al, size_t i)
{
	return i < al->n ? &al->entries[i] : NULL;
}

const char *allowlist_path(const struct allowlist *al)
{
	return al->path;
}
