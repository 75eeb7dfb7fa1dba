/*
 * Topic layout and topic-filter matching (see topics.h).  Strings only: no
 * bus, no message parsing; callers hand in the EE_DEST addresses they found.
 */
#include "core/lib.h"
#include "core/topics.h"
#include "core/utf8.h"

static const struct topic_channel_def channels[TOPIC__COUNT] = {
    [TOPIC_CONFIG] = {"CONFIG_CHANNEL", "config", true, 2},
    [TOPIC_CTRL] = {"CTRL_CHANNEL", "ctrl", false, 1},
    [TOPIC_NOTIF] = {"NOTIF_CHANNEL", "notif", false, 2},
    [TOPIC_PAYLOADS] = {"PAYLOADS_CHANNEL", "payloads", false, 2},
    [TOPIC_PAYLOADS_TO] = {"PAYLOADS_CHANNEL", "payloads", true, 2},
};

const struct topic_channel_def *topic_channel_def(enum topic_channel ch)
{
	return (unsigned)ch < TOPIC__COUNT ? &channels[ch] : NULL;
}

int topic_default_qos(enum topic_channel ch)
{
	return (unsigned)ch < TOPIC__COUNT ? channels[ch].qos : 0;
}

static bool topic_common_valid(const char *s, size_t *lenp)
{
	if (!s)
		return false;
	size_t n = strnlen(s, TOPIC_MAX_LEN + 1);
	*lenp = n;
	return n >= 1 && n <= TOPIC_MAX_LEN && r1_utf8_valid(s, n);
}

bool topic_name_valid(const char *topic)
{
	size_t n;
	return topic_common_valid(topic, &n) && !memchr(topic, '+', n) && !memchr(topic, '#', n);
}

bool topic_filter_valid(const char *filter)
{
	size_t n;
	if (!topic_common_valid(filter, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = filter[i];
		if (c != '+' && c != '#')
			continue;
		bool starts_level = i == 0 || filter[i - 1] == '/';
		bool ends_level = i + 1 == n || filter[i + 1] == '/';
		if (!starts_level || !ends_level || (c == '#' && i + 1 != n))
			return false;
	}
	return true;
}

bool topic_matches(const char *filter, const char *topic)
{
	if (topic[0] == '$' && (filter[0] == '+' || filter[0] == '#'))
		return false;
	const char *f = filter, *t = topic;
	for (;;) {
		const char *fe = strchrnul(f, '/'), *te = strchrnul(t, '/');
		size_t flen = (size_t)(fe - f), tlen = (size_t)(te - t);
		if (flen == 1 && *f == '#')
			return true;
		if (!(flen == 1 && *f == '+') && (flen != tlen || memcmp(f, t, flen) != 0))
			return false;
		if (!*fe && !*te)
			return true;
		if (!*te) /* the topic ended: only a trailing "/#" still matches */
			return strcmp(fe, "/#") == 0;
		if (!*fe)
			return false;
		f = fe + 1;
		t = te + 1;
	}
}

/* One topic level taken from outside: non-empty, no separators or wildcards. */
static enum r1_err level_check(const char *what, const char *s, char **why)
{
	if (!s || !*s)
		return r1_fail(why, R1_ERR_INVAL, "topics: empty %s", what);
	if (strpbrk(s, "/+#"))
		return r1_fail(why, R1_ERR_INVAL, "topics: %s \"%.80s\" holds '/', '+' or '#'",
		               what, s);
	return R1_OK;
}

static enum r1_err root_check(const char *root, char **why)
{
	/* A root may span levels ("a/b") but holds no wildcards and no empty level. */
	if (!root || !*root || strpbrk(root, "+#") || root[0] == '/' ||
	    root[strlen(root) - 1] == '/' || strstr(root, "//"))
		return r1_fail(why, R1_ERR_INVAL, "topics: bad root \"%.80s\"",
		               root ? root : "(null)");
	return R1_OK;
}

enum r1_err topic_make(const char *root, enum topic_channel ch, const char *addr, char **out,
                       char **why)
{
	const struct topic_channel_def *def = topic_channel_def(ch);
	if (!def)
		return r1_fail(why, R1_ERR_INVAL, "topics: unknown channel %d", (int)ch);
	if (!root)
		root = TOPIC_ROOT_DEFAULT;
	enum r1_err err = root_check(root, why);
	if (err)
		return err;
	if (def->addressed && (err = level_check("address", addr, why)))
		return err;
	if (!def->addressed && addr)
		return r1_fail(why, R1_ERR_INVAL, "topics: %s takes no address", def->name);
	struct buf b = BUF_INIT;
	buf_adds(&b, root);
	buf_addc(&b, '/');
	if (def->addressed) {
		buf_adds(&b, addr);
		buf_addc(&b, '/');
	}
	buf_adds(&b, def->leaf);
	if (buf_ok(&b) && b.len > TOPIC_MAX_LEN) {
		buf_release(&b);
		return r1_fail(why, R1_ERR_INVAL, "topics: topic longer than %u bytes",
		               TOPIC_MAX_LEN);
	}
	*out = buf_detach(&b, NULL);
	if (!*out)
		return r1_fail(why, R1_ERR_NOMEM, "topics: out of memory");
	return R1_OK;
}

void topic_list_release(struct topic_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		r1_free(l->topics[i]);
	r1_free(l->topics);
	*l = (struct topic_list){0};
}

enum r1_err topic_fanout(const char *root, const char *const *dests, size_t ndests,
                         struct topic_list *out, char **why)
{
	*out = (struct topic_list){0};
	if (!dests || ndests == 0)
		return r1_fail(why, R1_ERR_INVAL, "topics: EE_DEST lists no address");
	struct topic_list l = {r1_calloc(ndests, sizeof(char *)), 0};
	if (!l.topics)
		return r1_fail(why, R1_ERR_NOMEM, "topics: out of memory");
	enum r1_err err = R1_OK;
	for (size_t i = 0; i < ndests && !err; i++) {
		if ((err = level_check("EE_DEST address", dests[i], why)))
			break;
		struct buf addr = BUF_INIT;
		if (strncmp(dests[i], TOPIC_ADDR_PREFIX, strlen(TOPIC_ADDR_PREFIX)) != 0)
			buf_adds(&addr, TOPIC_ADDR_PREFIX);
		buf_adds(&addr, dests[i]);
		char *topic = NULL;
		if (!buf_ok(&addr))
			err = r1_fail(why, R1_ERR_NOMEM, "topics: out of memory");
		else
			err = topic_make(root, TOPIC_PAYLOADS_TO, buf_cstr(&addr), &topic, why);
		buf_release(&addr);
		if (err)
			break;
		bool repeat = false;
		for (size_t k = 0; k < l.count && !repeat; k++)
			repeat = strcmp(l.topics[k], topic) == 0;
		if (repeat)
			r1_free(topic);
		else
			l.topics[l.count++] = topic;
	}
	if (err) {
		topic_list_release(&l);
		return err;
	}
	*out = l;
	return R1_OK;
}
