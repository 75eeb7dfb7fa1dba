/*
 * The network model (see netmap.h): nodes in insertion order, two chained
 * hash indexes (by key, by alias), the oracle table, and the rules that turn
 * heartbeats, NET_MON_01 maps and NetConfig replies into node records and
 * events.  It is not a transport, not a cache and not a view: it never reads
 * a clock, never touches the disk and never formats for a person.
 *
 * Trust: a heartbeat speaks for its sender only.  A NET_MON_01 map speaks
 * for many nodes, so it is applied only from a configured oracle.  While a
 * node's own heartbeats are fresh they win over what an oracle says of it;
 * an oracle's ONLINE report only extends "last seen".
 */
#include "core/lib.h"
#include "core/netmap.h"
#include "core/codec.h"
#include "core/proto.h"
#include "core/sanitize.h"

#include <math.h>

#define NM_OBSERVERS_MAX     16
#define NM_DEFAULT_MAX_NODES 1000000u
#define NM_AVAIL_UNSEEN      0xFFFFu

struct observer {
	netmap_observer_fn fn;
	void *ctx;
};

struct netmap {
	struct netmap_options opt;
	struct epoch_params epochs;
	uint8_t self_pub[R1_PUB_LEN];
	bool have_self;

	struct nm_node **nodes;
	size_t n_nodes, cap_nodes;
	size_t n_online;

	struct nm_node **by_addr; /* buckets, power of two */
	struct nm_node **by_alias;
	size_t n_buckets;

	struct nm_oracle oracles[NM_ORACLES_MAX];
	uint8_t oracle_pub[NM_ORACLES_MAX][R1_PUB_LEN];
	size_t n_oracles;

	struct observer observers[NM_OBSERVERS_MAX];
	size_t n_observers;

	struct netmap_stats stats;
};

/* ---- strings from the network ------------------------------------------ */

/*
 * Copy a string from the wire into dst[cap], sanitized (sanitize.h: escape
 * sequences and control characters removed, bad UTF-8 replaced) and cut on
 * a character boundary.  Returns whether dst changed.
 */
static bool copy_field(char *dst, size_t cap, const char *src)
{
	char tmp[512];
	const char *s = src ? src : "";
	r1_sanitize_into(tmp, R1_MIN(cap, sizeof(tmp)), s, strlen(s), 0);
	if (strcmp(dst, tmp) == 0)
		return false;
	memcpy(dst, tmp, strlen(tmp) + 1);
	return true;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A finite number (integer or real) in [lo, hi]. */
static bool jnum(const json_t *o, const char *key, double lo, double hi, double *out)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return false;
	double d = json_number_value(v);
	if (!isfinite(d) || d < lo || d > hi)
		return false;
	*out = d;
	return true;
}

/* true/false, or a number (Python sometimes sends 1/0). */
static bool jbool(const json_t *o, const char *key, bool *out)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v) != 0;
		return true;
	}
	return false;
}

/* The first space-separated token of a version string. */
static bool set_version(char *dst, const char *v)
{
	if (!v)
		return false;
	char tok[NM_VERSION_MAX + 1];
	size_t n = strcspn(v, " |");
	n = R1_MIN(n, sizeof(tok) - 1);
	memcpy(tok, v, n);
	tok[n] = '\0';
	return copy_field(dst, NM_VERSION_MAX + 1, tok);
}

static bool set_float(float *dst, double v)
{
	float f = (float)v;
	if (*dst == f)
		return false;
	*dst = f;
	return true;
}

/*
 * NET_MON_01 uptime text to seconds: "HH:MM:SS" with hours unbounded, or
 * Python's timedelta text "N day(s), H:MM:SS" (timefmt_elapsed writes both).
 */
static bool parse_uptime(const char *s, double *out)
{
	unsigned long days = 0, h = 0, m = 0, sec = 0;
	int used = 0;
	if (strstr(s, "day")) {
		char word[8];
		if (sscanf(s, "%lu %7[days], %lu:%lu:%lu%n", &days, word, &h, &m, &sec, &used) !=
		        5 ||
		    (strcmp(word, "day") && strcmp(word, "days")))
			return false;
	} else if (sscanf(s, "%lu:%lu:%lu%n", &h, &m, &sec, &used) != 3) {
		return false;
	}
	if (s[used] != '\0' || days > 1000000 || h > 100000000 || m > 59 || sec > 59)
		return false;
	*out = (double)days * 86400.0 + (double)h * 3600.0 + (double)m * 60.0 + (double)sec;
	return true;
}

/* ---- keys and indexes --------------------------------------------------- */

bool netmap_addr_key(const char *addr, size_t len, uint8_t pub[R1_PUB_LEN])
{
	if (!addr)
		return false;
	if (len >= 5 &&
	    (memcmp(addr, R1_ADDR_PREFIX, 5) == 0 || memcmp(addr, R1_ADDR_PREFIX_LEGACY, 5) == 0)) {
		addr += 5;
		len -= 5;
	}
	if (len != R1_ADDR_BODY_LEN)
		return false;
	size_t n = 0;
	if (base64_decode_into(addr, len, B64_URL, pub, R1_PUB_LEN, &n, NULL) || n != R1_PUB_LEN)
		return false;
	return pub[0] == 0x02 || pub[0] == 0x03;
}

static size_t hash_pub(const uint8_t pub[R1_PUB_LEN])
{
	uint64_t h;
	memcpy(&h, pub + 1, sizeof(h)); /* the X coordinate is already uniform */
	return (size_t)(h ^ (h >> 29));
}

static size_t hash_alias(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static void alias_unlink(struct netmap *nm, struct nm_node *n)
{
	struct nm_node **pp = &nm->by_alias[hash_alias(n->info.alias) & (nm->n_buckets - 1)];
	for (; *pp; pp = &(*pp)->next_alias)
		if (*pp == n) {
			*pp = n->next_alias;
			n->next_alias = NULL;
			return;
		}
}

static void alias_link(struct netmap *nm, struct nm_node *n)
{
	struct nm_node **b = &nm->by_alias[hash_alias(n->info.alias) & (nm->n_buckets - 1)];
	n->next_alias = *b;
	*b = n;
}

static void addr_link(struct netmap *nm, struct nm_node *n)
{
	struct nm_node **b = &nm->by_addr[hash_pub(n->pub) & (nm->n_buckets - 1)];
	n->next_addr = *b;
	*b = n;
}

/* Double the buckets when the load passes 1.  False on OOM (indexes intact). */
static bool maybe_grow(struct netmap *nm)
{
	if (nm->n_nodes < nm->n_buckets)
		return true;
	size_t nb = nm->n_buckets * 2;
	struct nm_node **a = r1_calloc(nb, sizeof(*a));
	struct nm_node **b = r1_calloc(nb, sizeof(*b));
	if (!a || !b) {
		r1_free(a);
		r1_free(b);
		return false;
	}
	r1_free(nm->by_addr);
	r1_free(nm->by_alias);
	nm->by_addr = a;
	nm->by_alias = b;
	nm->n_buckets = nb;
	for (size_t i = 0; i < nm->n_nodes; i++) {
		addr_link(nm, nm->nodes[i]);
		alias_link(nm, nm->nodes[i]);
	}
	return true;
}

static struct nm_node *find_pub(const struct netmap *nm, const uint8_t pub[R1_PUB_LEN])
{
	for (struct nm_node *n = nm->by_addr[hash_pub(pub) & (nm->n_buckets - 1)]; n;
	     n = n->next_addr)
		if (memcmp(n->pub, pub, R1_PUB_LEN) == 0)
			return n;
	return NULL;
}

static void set_alias(struct netmap *nm, struct nm_node *n, const char *alias, unsigned *chg)
{
	char tmp[NM_ALIAS_MAX + 1];
	memcpy(tmp, n->info.alias, sizeof(tmp));
	if (!copy_field(tmp, sizeof(tmp), alias))
		return;
	alias_unlink(nm, n);
	memcpy(n->info.alias, tmp, sizeof(tmp));
	alias_link(nm, n);
	*chg |= NM_CHG_ALIAS;
}

/* ---- events ------------------------------------------------------------- */

static void emit(struct netmap *nm, const struct nm_event *ev)
{
	for (size_t i = 0; i < nm->n_observers; i++)
		nm->observers[i].fn(nm->observers[i].ctx, ev);
}

static void emit_node(struct netmap *nm, enum nm_event_type t, const struct nm_node *n,
                      unsigned changed)
{
	struct nm_event ev = {.type = t, .node = n, .changed = changed};
	emit(nm, &ev);
}

enum r1_err netmap_observe(struct netmap *nm, netmap_observer_fn fn, void *ctx)
{
	if (nm->n_observers >= NM_OBSERVERS_MAX)
		return R1_ERR_TOOBIG;
	nm->observers[nm->n_observers++] = (struct observer){fn, ctx};
	return R1_OK;
}

void netmap_unobserve(struct netmap *nm, netmap_observer_fn fn, void *ctx)
{
	for (size_t i = 0; i < nm->n_observers; i++)
		if (nm->observers[i].fn == fn && nm->observers[i].ctx == ctx) {
			memmove(&nm->observers[i], &nm->observers[i + 1],
			        (nm->n_observers - i - 1) * sizeof(nm->observers[0]));
			nm->n_observers--;
			return;
		}
}

/* ---- life cycle --------------------------------------------------------- */

static int oracle_slot(struct netmap *nm, const uint8_t pub[R1_PUB_LEN])
{
	for (size_t i = 0; i < nm->n_oracles; i++)
		if (memcmp(nm->oracle_pub[i], pub, R1_PUB_LEN) == 0)
			return (int)i;
	return -1;
}

static int oracle_add(struct netmap *nm, const uint8_t pub[R1_PUB_LEN], bool trusted)
{
	if (nm->n_oracles >= NM_ORACLES_MAX)
		return -1;
	size_t i = nm->n_oracles++;
	memcpy(nm->oracle_pub[i], pub, R1_PUB_LEN);
	memset(&nm->oracles[i], 0, sizeof(nm->oracles[i]));
	addr_format(pub, nm->oracles[i].addr);
	nm->oracles[i].trusted = trusted;
	return (int)i;
}

enum r1_err netmap_new(const struct netmap_options *opt, struct netmap **out, char **why)
{
	struct netmap *nm = r1_calloc(1, sizeof(*nm));
	if (!nm)
		return r1_fail(why, R1_ERR_NOMEM, "netmap: out of memory");
	nm->opt = *opt;
	nm->opt.self_addr = NULL;
	nm->opt.oracles = NULL;
	nm->opt.n_oracles = 0;
	if (!nm->opt.online_timeout_ms)
		nm->opt.online_timeout_ms = R1_ONLINE_TIMEOUT_S * 1000u;
	if (opt->epochs)
		nm->epochs = *opt->epochs;
	else
		epoch_params_for(&nm->epochs, EPOCH_NET_MAINNET);
	nm->opt.epochs = NULL;
	if (!nm->opt.max_nodes)
		nm->opt.max_nodes = NM_DEFAULT_MAX_NODES;
	enum r1_err e = R1_OK;
	if (opt->self_addr) {
		if (!netmap_addr_key(opt->self_addr, strlen(opt->self_addr), nm->self_pub)) {
			e = r1_fail(why, R1_ERR_INVAL, "netmap: our address '%s' is not an address",
			            opt->self_addr);
			goto fail;
		}
		nm->have_self = true;
	}
	for (size_t i = 0; i < opt->n_oracles; i++) {
		uint8_t pub[R1_PUB_LEN];
		const char *a = opt->oracles[i];
		if (!a || !netmap_addr_key(a, strlen(a), pub)) {
			e = r1_fail(why, R1_ERR_INVAL, "netmap: oracle '%s' is not an address",
			            a ? a : "");
			goto fail;
		}
		if (oracle_slot(nm, pub) >= 0)
			continue;
		if (oracle_add(nm, pub, true) < 0) {
			e = r1_fail(why, R1_ERR_TOOBIG, "netmap: more than %d oracles",
			            NM_ORACLES_MAX);
			goto fail;
		}
	}
	nm->n_buckets = 1024;
	nm->by_addr = r1_calloc(nm->n_buckets, sizeof(*nm->by_addr));
	nm->by_alias = r1_calloc(nm->n_buckets, sizeof(*nm->by_alias));
	if (!nm->by_addr || !nm->by_alias) {
		e = r1_fail(why, R1_ERR_NOMEM, "netmap: out of memory");
		goto fail;
	}
	*out = nm;
	return R1_OK;
fail:
	netmap_free(&nm);
	return e;
}

static void pipeline_release(struct nm_pipeline *p)
{
	for (size_t j = 0; j < p->n_instances; j++) {
		json_decref(p->instances[j].config);
		json_decref(p->instances[j].status);
	}
	r1_free(p->instances);
	json_decref(p->config);
	memset(p, 0, sizeof(*p));
}

static void pipelines_free(struct nm_pipeline *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pipeline_release(&p[i]);
	r1_free(p);
}

void netmap_free(struct netmap **pnm)
{
	struct netmap *nm = *pnm;
	if (!nm)
		return;
	for (size_t i = 0; i < nm->n_nodes; i++) {
		struct nm_node *n = nm->nodes[i];
		r1_free(n->whitelist);
		pipelines_free(n->pipelines, n->n_pipelines);
		r1_free(n);
	}
	r1_free(nm->nodes);
	r1_free(nm->by_addr);
	r1_free(nm->by_alias);
	r1_free(nm);
	*pnm = NULL;
}

/* A new node record for `pub`, indexed; NULL on OOM or at the cap. */
static struct nm_node *node_create(struct netmap *nm, const uint8_t pub[R1_PUB_LEN], int64_t now_ms)
{
	if (nm->n_nodes >= nm->opt.max_nodes)
		return NULL;
	if (nm->n_nodes == nm->cap_nodes) {
		size_t nc = nm->cap_nodes ? nm->cap_nodes * 2 : 1024;
		struct nm_node **grown = r1_reallocarray(nm->nodes, nc, sizeof(*grown));
		if (!grown)
			return NULL;
		nm->nodes = grown;
		nm->cap_nodes = nc;
	}
	struct nm_node *n = r1_calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	memcpy(n->pub, pub, R1_PUB_LEN);
	addr_format(pub, n->info.addr);
	if (eth_address_from_pub(pub, n->info.eth, NULL))
		n->info.eth[0] = '\0'; /* not on the curve: keep the node, no ETH */
	n->info.first_seen_ms = now_ms;
	n->self = nm->have_self && memcmp(pub, nm->self_pub, R1_PUB_LEN) == 0;
	n->avail_hist_last = -1;
	for (size_t i = 0; i < NM_AVAIL_HISTORY; i++)
		n->avail_hist[i] = NM_AVAIL_UNSEEN;
	int o = oracle_slot(nm, pub);
	n->trusted_oracle = o >= 0 && nm->oracles[o].trusted;
	n->index = (uint32_t)nm->n_nodes;
	nm->nodes[nm->n_nodes++] = n;
	addr_link(nm, n);
	alias_link(nm, n);
	(void)maybe_grow(nm); /* a failed grow only makes chains longer */
	return n;
}

/* ---- peering, whitelist, online ----------------------------------------- */

bool netmap_node_allows(const struct nm_node *n, const uint8_t pub[R1_PUB_LEN])
{
	for (size_t i = 0; i < n->n_whitelist; i++)
		if (memcmp(n->whitelist[i], pub, R1_PUB_LEN) == 0)
			return true;
	return false;
}

static void update_peered(const struct netmap *nm, struct nm_node *n, unsigned *chg)
{
	bool p =
	    !n->info.secured || n->self || (nm->have_self && netmap_node_allows(n, nm->self_pub));
	if (p != n->peered) {
		n->peered = p;
		*chg |= NM_CHG_PEERED;
	}
}

/* Replace the whitelist from a JSON list of address strings. */
static void set_whitelist(struct netmap *nm, struct nm_node *n, const json_t *list, unsigned *chg)
{
	if (!json_is_array(list))
		return;
	size_t cnt = R1_MIN(json_array_size(list), (size_t)NM_WHITELIST_MAX);
	uint8_t(*keys)[R1_PUB_LEN] = cnt ? r1_calloc(cnt, R1_PUB_LEN) : NULL;
	if (cnt && !keys)
		return; /* keep the old one rather than lose it */
	size_t k = 0;
	for (size_t i = 0; i < json_array_size(list) && k < cnt; i++) {
		const json_t *e = json_array_get(list, i);
		if (!json_is_string(e) ||
		    !netmap_addr_key(json_string_value(e), json_string_length(e), keys[k])) {
			nm->stats.entries_skipped++;
			continue;
		}
		k++;
	}
	bool same =
	    k == n->n_whitelist && (k == 0 || memcmp(keys, n->whitelist, k * R1_PUB_LEN) == 0);
	if (same) {
		r1_free(keys);
		return;
	}
	r1_free(n->whitelist);
	n->whitelist = k ? keys : NULL;
	if (!k)
		r1_free(keys);
	n->n_whitelist = (uint16_t)k;
	*chg |= NM_CHG_WHITELIST;
}

static bool is_online(const struct netmap *nm, const struct nm_node *n, int64_t now_ms)
{
	return n->info.last_seen_ms > 0 && !n->stale &&
	       now_ms - n->info.last_seen_ms <= (int64_t)nm->opt.online_timeout_ms;
}

/* Recompute online after last_seen moved; emits ONLINE when it came up. */
static void refresh_online(struct netmap *nm, struct nm_node *n, int64_t now_ms)
{
	bool on = is_online(nm, n, now_ms);
	if (on == n->online)
		return;
	n->online = on;
	if (on) {
		nm->n_online++;
		emit_node(nm, NM_EV_NODE_ONLINE, n, 0);
	} else {
		nm->n_online--;
		emit_node(nm, NM_EV_NODE_LOST, n, 0);
	}
}

/* ---- availability ------------------------------------------------------- */

int64_t netmap_epoch_of(const struct netmap *nm, int64_t utc_us)
{
	return epoch_id_at(&nm->epochs, utc_us);
}

static void history_put(struct nm_node *n, int64_t epoch, uint8_t value)
{
	if (n->avail_hist_last < 0) {
		n->avail_hist_last = epoch;
	} else if (epoch > n->avail_hist_last) {
		int64_t shift = epoch - n->avail_hist_last;
		if (shift >= NM_AVAIL_HISTORY) {
			for (size_t i = 0; i < NM_AVAIL_HISTORY; i++)
				n->avail_hist[i] = NM_AVAIL_UNSEEN;
		} else {
			memmove(n->avail_hist + shift, n->avail_hist,
			        (NM_AVAIL_HISTORY - (size_t)shift) * sizeof(n->avail_hist[0]));
			for (int64_t i = 0; i < shift; i++)
				n->avail_hist[i] = NM_AVAIL_UNSEEN;
		}
		n->avail_hist_last = epoch;
	}
	int64_t idx = n->avail_hist_last - epoch;
	if (idx >= 0 && idx < NM_AVAIL_HISTORY)
		n->avail_hist[idx] = value;
}

/* Record the epoch being counted into the history and stop counting. */
static void close_epoch(struct netmap *nm, struct nm_node *n)
{
	if (!n->tracking)
		return;
	int v = epoch_tracker_record(&n->tracker, &nm->epochs, NULL);
	int64_t epoch = n->tracker.epoch_id;
	history_put(n, epoch, (uint8_t)v);
	n->tracking = false;
	struct nm_event ev = {
	    .type = NM_EV_EPOCH_CLOSED, .node = n, .epoch = epoch, .avail = (uint8_t)v};
	emit(nm, &ev);
}

/* Register a heartbeat time; the epoch counted is the current one by now_ms. */
static void count_heartbeat(struct netmap *nm, struct nm_node *n, int64_t hb_utc_us, int64_t now_ms)
{
	if (hb_utc_us <= 0)
		return;
	int64_t current = epoch_id_at(&nm->epochs, now_ms * 1000);
	if (n->tracking && n->tracker.epoch_id != current)
		close_epoch(nm, n);
	if (!n->tracking) {
		epoch_tracker_init(&n->tracker, current);
		n->tracking = true;
	}
	(void)epoch_tracker_add(&n->tracker, &nm->epochs, hb_utc_us);
}

int netmap_node_avail(const struct netmap *nm, const struct nm_node *n, int64_t epoch)
{
	if (n->tracking && epoch == n->tracker.epoch_id)
		return epoch_tracker_record(&n->tracker, &nm->epochs, NULL);
	int64_t idx = n->avail_hist_last - epoch;
	if (n->avail_hist_last < 0 || idx < 0 || idx >= NM_AVAIL_HISTORY ||
	    n->avail_hist[idx] == NM_AVAIL_UNSEEN)
		return -1;
	return n->avail_hist[idx];
}

/* ---- heartbeats --------------------------------------------------------- */

static const char *const tag_keys[][2] = {
    {"EE_NT_CT", "CT"},
    {"EE_NT_REG", "REG"},
    {"EE_NT_DC", "DC"},
    {"EE_NT_IS_KYB", "KYB"},
};

/* Tags from an object holding EE_NT_* keys, as "CT=RO,REG=EU". */
static bool set_tags(char *dst, const json_t *o)
{
	if (!json_is_object(o))
		return false;
	char tmp[NM_TAGS_MAX * 2];
	size_t used = 0;
	tmp[0] = '\0';
	for (size_t i = 0; i < R1_ARRAY_LEN(tag_keys); i++) {
		const json_t *v = json_object_get(o, tag_keys[i][0]);
		char val[24];
		if (json_is_string(v))
			snprintf(val, sizeof(val), "%.20s", json_string_value(v));
		else if (json_is_boolean(v))
			snprintf(val, sizeof(val), "%s", json_is_true(v) ? "yes" : "no");
		else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			continue;
		int w = snprintf(tmp + used, sizeof(tmp) - used, "%s%s=%s", used ? "," : "",
		                 tag_keys[i][1], val);
		if (w < 0 || (size_t)w >= sizeof(tmp) - used)
			break;
		used += (size_t)w;
	}
	return copy_field(dst, NM_TAGS_MAX + 1, tmp);
}

/* Fields of nm_node_info that keys of a heartbeat or of a map entry set. */
struct str_field {
	const char *key;
	size_t off, cap; /* the char array's place and size */
};
struct num_field {
	const char *key;
	size_t off; /* a float */
	double max; /* larger values are ignored */
};

/* Copy those present in obj; returns NM_CHG_STATUS and NM_CHG_RESOURCES for what changed. */
static unsigned set_fields(struct nm_node_info *in, const json_t *obj, const struct str_field *strs,
                           size_t nstrs, const struct num_field *nums, size_t nnums)
{
	unsigned chg = 0;
	for (size_t i = 0; i < nstrs; i++) {
		const char *v = jstr(obj, strs[i].key);
		if (v && copy_field((char *)in + strs[i].off, strs[i].cap, v))
			chg |= NM_CHG_STATUS;
	}
	double d;
	for (size_t i = 0; i < nnums; i++)
		if (jnum(obj, nums[i].key, 0, nums[i].max, &d) &&
		    set_float((float *)((char *)in + nums[i].off), d))
			chg |= NM_CHG_RESOURCES;
	return chg;
}

static void set_gpus(struct nm_node_info *in, const json_t *gpus, unsigned *chg)
{
	uint16_t count = 0;
	const char *name = "";
	if (json_is_array(gpus)) {
		count = (uint16_t)R1_MIN(json_array_size(gpus), 1024u);
		const char *first = jstr(json_array_get(gpus, 0), "NAME");
		if (first)
			name = first;
	}
	if (count != in->gpu_count) {
		in->gpu_count = count;
		*chg |= NM_CHG_RESOURCES;
	}
	if (copy_field(in->gpu_name, sizeof(in->gpu_name), name))
		*chg |= NM_CHG_RESOURCES;
}

static struct nm_node *node_for(struct netmap *nm, const char *addr, int64_t now_ms, bool *is_new)
{
	uint8_t pub[R1_PUB_LEN];
	*is_new = false;
	if (!addr || !netmap_addr_key(addr, strlen(addr), pub))
		return NULL;
	struct nm_node *n = find_pub(nm, pub);
	if (!n) {
		n = node_create(nm, pub, now_ms);
		*is_new = n != NULL;
	}
	return n;
}

enum r1_err netmap_on_heartbeat(struct netmap *nm, const char *sender, const json_t *hb,
                                int64_t now_ms, int64_t hb_utc_us, char **why)
{
	if (!json_is_object(hb)) {
		nm->stats.rejected++;
		return r1_fail(why, R1_ERR_INVAL, "netmap: heartbeat is not an object");
	}
	uint8_t pub[R1_PUB_LEN];
	if (!sender || !netmap_addr_key(sender, strlen(sender), pub)) {
		nm->stats.rejected++;
		return r1_fail(why, R1_ERR_INVAL,
		               "netmap: heartbeat sender '%.60s' is not an address",
		               sender ? sender : "");
	}
	bool is_new = false;
	struct nm_node *n = find_pub(nm, pub);
	if (!n) {
		n = node_create(nm, pub, now_ms);
		if (!n) {
			nm->stats.rejected++;
			return nm->n_nodes >= nm->opt.max_nodes
			           ? r1_fail(why, R1_ERR_TOOBIG,
			                     "netmap: %zu nodes, no room for more", nm->n_nodes)
			           : r1_fail(why, R1_ERR_NOMEM, "netmap: out of memory");
		}
		is_new = true;
	}
	struct nm_node_info *in = &n->info;
	unsigned chg = 0;
	const char *alias = jstr(hb, K_EE_ID);
	if (alias)
		set_alias(nm, n, alias, &chg);
	if (set_version(in->version,
	                jstr(hb, K_VERSION) ? jstr(hb, K_VERSION) : jstr(hb, K_EE_VERSION)))
		chg |= NM_CHG_VERSION;
	const char *st = jstr(hb, K_DEVICE_STATUS);
	if (st && copy_field(in->status, sizeof(in->status), st))
		chg |= NM_CHG_STATUS;
	const char *tz = jstr(hb, K_EE_TIMEZONE);
	if (tz && copy_field(in->zone, sizeof(in->zone), tz))
		chg |= NM_CHG_STATUS;
	bool b;
	if (jbool(hb, K_SECURED, &b) && b != in->secured) {
		in->secured = b;
		chg |= NM_CHG_SECURED;
	}
	if (jbool(hb, K_EE_IS_SUPER, &b) && b != in->oracle) {
		in->oracle = b;
		chg |= NM_CHG_ORACLE;
	}
	if (jbool(hb, K_R1FS_ONLINE, &b) && b != in->r1fs_online) {
		in->r1fs_online = b;
		chg |= NM_CHG_STATUS;
	}
	static const struct str_field strs[] = {
	    {K_R1FS_ID, offsetof(struct nm_node_info, r1fs_id), NM_R1FS_ID_MAX + 1},
	    {K_R1FS_RELAY, offsetof(struct nm_node_info, r1fs_relay), NM_RELAY_MAX + 1},
	    {K_COMM_RELAY, offsetof(struct nm_node_info, comm_relay), NM_RELAY_MAX + 1},
	};
	static const struct num_field nums[] = {
	    {K_CPU_USED, offsetof(struct nm_node_info, cpu_used), 100000},
	    {K_MACHINE_MEMORY, offsetof(struct nm_node_info, mem_total), 1e9},
	    {K_AVAILABLE_MEMORY, offsetof(struct nm_node_info, mem_avail), 1e9},
	    {K_TOTAL_DISK, offsetof(struct nm_node_info, disk_total), 1e12},
	    {K_AVAILABLE_DISK, offsetof(struct nm_node_info, disk_avail), 1e12},
	};
	chg |= set_fields(in, hb, strs, R1_ARRAY_LEN(strs), nums, R1_ARRAY_LEN(nums));
	double d;
	if (jnum(hb, K_CPU_NR_CORES, 0, 65535, &d) && (uint16_t)d != in->cpu_cores) {
		in->cpu_cores = (uint16_t)d;
		chg |= NM_CHG_RESOURCES;
	}
	if (jnum(hb, K_UPTIME, 0, 1e12, &d))
		in->uptime_s = d;
	set_gpus(in, json_object_get(hb, K_GPUS), &chg);
	if (set_tags(in->tags, hb))
		chg |= NM_CHG_TAGS;
	set_whitelist(nm, n, json_object_get(hb, K_EE_WHITELIST), &chg);
	update_peered(nm, n, &chg);

	bool was_stale = n->stale;
	n->stale = false;
	n->have_heartbeat = true;
	n->last_hb_ms = now_ms;
	if (now_ms > in->last_seen_ms) {
		in->last_seen_ms = now_ms;
		chg |= NM_CHG_SEEN;
	}
	count_heartbeat(nm, n, hb_utc_us, now_ms);
	nm->stats.heartbeats++;

	if (is_new)
		emit_node(nm, NM_EV_NODE_NEW, n, 0);
	if (was_stale)
		chg |= NM_CHG_STATUS;
	refresh_online(nm, n, now_ms);
	if (!is_new && chg)
		emit_node(nm, NM_EV_NODE_CHANGED, n, chg);
	emit_node(nm, NM_EV_HEARTBEAT, n, 0);
	return R1_OK;
}

/* ---- NET_MON_01 --------------------------------------------------------- */

/* Apply one CURRENT_NETWORK entry reported by trusted oracle `oi`. */
static void apply_netmon_entry(struct netmap *nm, int oi, const char *key, const json_t *e,
                               int64_t now_ms)
{
	if (!json_is_object(e)) {
		nm->stats.entries_skipped++;
		return;
	}
	const char *addr = jstr(e, "address");
	if (!addr)
		addr = key;
	bool is_new;
	struct nm_node *n = node_for(nm, addr, now_ms, &is_new);
	if (!n) {
		nm->stats.entries_skipped++;
		return;
	}
	struct nm_node_info *in = &n->info;
	unsigned chg = 0;
	/* the node's own fresh heartbeats win over hearsay */
	bool firsthand =
	    n->have_heartbeat && now_ms - n->last_hb_ms <= (int64_t)nm->opt.online_timeout_ms;
	if (!firsthand) {
		const char *alias = jstr(e, "eeid");
		if (alias)
			set_alias(nm, n, alias, &chg);
		if (set_version(in->version, jstr(e, "version")))
			chg |= NM_CHG_VERSION;
		bool b;
		if (jbool(e, "secured", &b) && b != in->secured) {
			in->secured = b;
			chg |= NM_CHG_SECURED;
		}
		if (jbool(e, "is_supervisor", &b) && b != in->oracle) {
			in->oracle = b;
			chg |= NM_CHG_ORACLE;
		}
		if (jbool(e, "r1fs_online", &b) && b != in->r1fs_online) {
			in->r1fs_online = b;
			chg |= NM_CHG_STATUS;
		}
		static const struct str_field strs[] = {
		    {"node_utc", offsetof(struct nm_node_info, zone), NM_ZONE_MAX + 1},
		    {"r1fs_id", offsetof(struct nm_node_info, r1fs_id), NM_R1FS_ID_MAX + 1},
		    {"r1fs_relay", offsetof(struct nm_node_info, r1fs_relay), NM_RELAY_MAX + 1},
		    {"comm_relay", offsetof(struct nm_node_info, comm_relay), NM_RELAY_MAX + 1},
		    {"gpu_name", offsetof(struct nm_node_info, gpu_name), NM_GPU_NAME_MAX + 1},
		};
		static const struct num_field nums[] = {
		    {"cpu_used", offsetof(struct nm_node_info, cpu_used), 100000},
		    {"total_mem", offsetof(struct nm_node_info, mem_total), 1e9},
		    {"avail_mem", offsetof(struct nm_node_info, mem_avail), 1e9},
		    {"total_disk", offsetof(struct nm_node_info, disk_total), 1e12},
		    {"avail_disk", offsetof(struct nm_node_info, disk_avail), 1e12},
		};
		chg |= set_fields(in, e, strs, R1_ARRAY_LEN(strs), nums, R1_ARRAY_LEN(nums));
		double d;
		if (jnum(e, "total_cpu_cores", 0, 65535, &d) && (uint16_t)d != in->cpu_cores) {
			in->cpu_cores = (uint16_t)d;
			chg |= NM_CHG_RESOURCES;
		}
		const char *up = jstr(e, "uptime");
		if (up && parse_uptime(up, &d))
			in->uptime_s = d;
		if (set_tags(in->tags, json_object_get(e, "tags")))
			chg |= NM_CHG_TAGS;
		set_whitelist(nm, n, json_object_get(e, "whitelist"), &chg);
		update_peered(nm, n, &chg);
	}
	const char *working = jstr(e, "working");
	if (working && !firsthand && copy_field(in->status, sizeof(in->status), working))
		chg |= NM_CHG_STATUS;
	n->reporters |= 1u << oi;
	bool was_stale = n->stale;
	if (working && strcmp(working, NETMON_WORKING_ONLINE) == 0) {
		/* the oracle's own age of the node: it may be older than our
		 * online timeout even while the oracle still says ONLINE */
		double ago = 0;
		(void)jnum(e, "last_seen_sec", 0, 1e9, &ago);
		int64_t seen = now_ms - (int64_t)(ago * 1000.0);
		if (seen > in->last_seen_ms) {
			in->last_seen_ms = seen;
			chg |= NM_CHG_SEEN;
		}
		n->stale = false;
	}
	if (is_new)
		emit_node(nm, NM_EV_NODE_NEW, n, 0);
	if (was_stale && !n->stale)
		chg |= NM_CHG_STATUS;
	refresh_online(nm, n, now_ms);
	if (!is_new && chg)
		emit_node(nm, NM_EV_NODE_CHANGED, n, chg);
}

enum r1_err netmap_on_netmon(struct netmap *nm, const char *sender, const json_t *payload,
                             int64_t now_ms, char **why)
{
	uint8_t pub[R1_PUB_LEN];
	if (!sender || !netmap_addr_key(sender, strlen(sender), pub)) {
		nm->stats.rejected++;
		return r1_fail(why, R1_ERR_INVAL, "netmap: NET_MON_01 sender is not an address");
	}
	int oi = oracle_slot(nm, pub);
	bool trusted = oi >= 0 && nm->oracles[oi].trusted;
	if (!trusted && nm->opt.trust_any_oracle) {
		bool sup = false;
		(void)jbool(payload, K_IS_SUPERVISOR, &sup);
		if (sup) {
			if (oi < 0)
				oi = oracle_add(nm, pub, true);
			else
				nm->oracles[oi].trusted = true;
			trusted = oi >= 0;
		}
	}
	if (!trusted) {
		nm->stats.netmons_untrusted++;
		if (oi < 0)
			oi = oracle_add(nm, pub, false);
		if (oi >= 0) {
			nm->oracles[oi].rejected++;
			const char *a = jstr(payload, K_EE_ID);
			if (a)
				copy_field(nm->oracles[oi].alias, sizeof(nm->oracles[oi].alias), a);
		}
		return r1_fail(why, R1_ERR_AUTH, "netmap: NET_MON_01 from %s, not a trusted oracle",
		               sender);
	}
	const json_t *net = json_object_get(payload, K_CURRENT_NETWORK);
	if (!json_is_object(net)) {
		nm->stats.rejected++;
		return r1_fail(why, R1_ERR_INVAL, "netmap: NET_MON_01 without CURRENT_NETWORK");
	}
	struct nm_oracle *o = &nm->oracles[oi];
	const char *a = jstr(payload, K_EE_ID);
	if (a)
		copy_field(o->alias, sizeof(o->alias), a);
	const char *key;
	const json_t *e;
	uint32_t count = 0;
	json_object_foreach((json_t *)net, key, e)
	{
		if (count >= nm->opt.max_nodes)
			break;
		apply_netmon_entry(nm, oi, key, e, now_ms);
		count++;
	}
	o->nodes_reported = count;
	o->last_report_ms = now_ms;
	o->reports++;
	nm->stats.netmons++;
	const struct nm_node *self = find_pub(nm, pub);
	struct nm_event ev = {.type = NM_EV_ORACLE_REPORT, .node = self, .oracle = o};
	emit(nm, &ev);
	return R1_OK;
}

/* ---- NetConfig ---------------------------------------------------------- */

static const json_t *find_status(const json_t *statuses, const char *pipe, const char *sig,
                                 const char *iid)
{
	size_t i;
	const json_t *s;
	json_array_foreach(statuses, i, s)
	{
		const char *p = jstr(s, "STREAM_ID");
		const char *g = jstr(s, K_SIGNATURE);
		const char *d = jstr(s, K_INSTANCE_ID);
		if (p && g && d && strcmp(p, pipe) == 0 && strcasecmp(g, sig) == 0 &&
		    strcmp(d, iid) == 0)
			return s;
	}
	return NULL;
}

enum build_result { BUILD_OK, BUILD_SKIP, BUILD_NOMEM };

/* Build one pipeline record from its config; on SKIP or NOMEM *p holds nothing. */
static enum build_result build_pipeline(struct netmap *nm, struct nm_pipeline *p, const json_t *cfg,
                                        const json_t *statuses)
{
	memset(p, 0, sizeof(*p));
	const char *name = jstr(cfg, K_NAME);
	if (!json_is_object(cfg) || !name || !*name)
		return BUILD_SKIP;
	copy_field(p->name, sizeof(p->name), name);
	copy_field(p->type, sizeof(p->type), jstr(cfg, K_TYPE));
	copy_field(p->owner_alias, sizeof(p->owner_alias), jstr(cfg, K_INITIATOR_ID));
	const char *owner = jstr(cfg, K_INITIATOR_ADDR);
	uint8_t opub[R1_PUB_LEN];
	if (owner && netmap_addr_key(owner, strlen(owner), opub))
		addr_format(opub, p->owner_addr);
	if (!(p->config = json_deep_copy(cfg)))
		goto nomem;
	const json_t *plugins = json_object_get(cfg, K_PLUGINS);
	size_t i, j;
	const json_t *pl, *inst;
	size_t total = 0;
	json_array_foreach(plugins, i, pl) total +=
	    json_array_size(json_object_get(pl, K_INSTANCES));
	total = R1_MIN(total, (size_t)NM_INSTANCES_MAX);
	if (total && !(p->instances = r1_calloc(total, sizeof(*p->instances))))
		goto nomem;
	json_array_foreach(plugins, i, pl)
	{
		const char *sig = jstr(pl, K_SIGNATURE);
		if (!sig) {
			nm->stats.entries_skipped++;
			continue;
		}
		json_array_foreach(json_object_get(pl, K_INSTANCES), j, inst)
		{
			const char *iid = jstr(inst, K_INSTANCE_ID);
			if (!iid || p->n_instances >= total) {
				nm->stats.entries_skipped++;
				continue;
			}
			struct nm_instance *in = &p->instances[p->n_instances];
			copy_field(in->signature, sizeof(in->signature), sig);
			copy_field(in->instance_id, sizeof(in->instance_id), iid);
			const json_t *st = statuses ? find_status(statuses, name, sig, iid) : NULL;
			in->config = json_deep_copy(inst);
			in->status = st ? json_deep_copy(st) : NULL;
			p->n_instances++;
			if (!in->config || (st && !in->status))
				goto nomem;
		}
	}
	return BUILD_OK;
nomem:
	pipeline_release(p);
	return BUILD_NOMEM;
}

enum r1_err netmap_on_netconfig(struct netmap *nm, const char *sender, const json_t *data,
                                int64_t now_ms, char **why)
{
	const char *op = jstr(data, K_OP);
	const json_t *pipes = json_object_get(data, K_PIPELINES);
	if (!op || strcmp(op, NET_CONFIG_SET) != 0 || !json_is_array(pipes)) {
		nm->stats.rejected++;
		return r1_fail(why, R1_ERR_INVAL,
		               "netmap: NET_CONFIG_DATA is not a SET_CONFIG with "
		               "PIPELINES");
	}
	uint8_t pub[R1_PUB_LEN];
	struct nm_node *n = NULL;
	if (sender && netmap_addr_key(sender, strlen(sender), pub))
		n = find_pub(nm, pub);
	if (!n) {
		nm->stats.rejected++;
		return r1_fail(why, R1_ERR_NOTFOUND, "netmap: SET_CONFIG from unknown node %.60s",
		               sender ? sender : "");
	}
	const json_t *statuses = json_object_get(data, K_PLUGIN_STATUSES);
	if (!json_is_array(statuses))
		statuses = NULL;
	size_t cnt = R1_MIN(json_array_size(pipes), (size_t)NM_PIPELINES_MAX);
	struct nm_pipeline *v = cnt ? r1_calloc(cnt, sizeof(*v)) : NULL;
	if (cnt && !v)
		return r1_fail(why, R1_ERR_NOMEM, "netmap: out of memory");
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		enum build_result r = build_pipeline(nm, &v[k], json_array_get(pipes, i), statuses);
		if (r == BUILD_NOMEM) {
			pipelines_free(v, k);
			return r1_fail(why, R1_ERR_NOMEM, "netmap: out of memory");
		}
		if (r == BUILD_OK)
			k++;
		else
			nm->stats.entries_skipped++;
	}
	bool changed = k != n->n_pipelines || !n->pipelines_ms;
	for (size_t i = 0; !changed && i < k; i++)
		changed = !json_equal(v[i].config, n->pipelines[i].config);
	pipelines_free(n->pipelines, n->n_pipelines);
	n->pipelines = v;
	n->n_pipelines = (uint16_t)k;
	n->pipelines_ms = now_ms;
	nm->stats.netconfigs++;
	if (changed)
		emit_node(nm, NM_EV_PIPELINES_CHANGED, n, 0);
	return R1_OK;
}

/* ---- time --------------------------------------------------------------- */

void netmap_tick(struct netmap *nm, int64_t now_ms)
{
	int64_t current = epoch_id_at(&nm->epochs, now_ms * 1000);
	for (size_t i = 0; i < nm->n_nodes; i++) {
		struct nm_node *n = nm->nodes[i];
		if (n->online && !is_online(nm, n, now_ms))
			refresh_online(nm, n, now_ms);
		if (n->tracking && n->tracker.epoch_id < current)
			close_epoch(nm, n);
	}
}

/* ---- the cache's view --------------------------------------------------- */

enum r1_err netmap_restore(struct netmap *nm, const struct nm_node_info *info,
                           const uint8_t (*whitelist)[R1_PUB_LEN], size_t n_whitelist,
                           const struct nm_node **out, char **why)
{
	uint8_t pub[R1_PUB_LEN];
	if (!netmap_addr_key(info->addr, strnlen(info->addr, sizeof(info->addr)), pub))
		return r1_fail(why, R1_ERR_INVAL, "netmap: restored node has a bad address");
	struct nm_node *n = find_pub(nm, pub);
	if (n) {
		if (out)
			*out = n;
		return R1_ERR_EXISTS;
	}
	if (!(n = node_create(nm, pub, info->first_seen_ms)))
		return r1_fail(why, R1_ERR_NOMEM, "netmap: no room for a restored node");
	/* strings from the cache are sanitised again: the file is not trusted more than the wire */
	struct nm_node_info *in = &n->info;
	unsigned chg = 0;
	char alias[NM_ALIAS_MAX + 1];
	memcpy(alias, info->alias, sizeof(alias));
	alias[NM_ALIAS_MAX] = '\0';
	set_alias(nm, n, alias, &chg);
	static const struct {
		size_t off, cap;
	} strs[] = {
	    {offsetof(struct nm_node_info, version), NM_VERSION_MAX + 1},
	    {offsetof(struct nm_node_info, status), NM_STATUS_MAX + 1},
	    {offsetof(struct nm_node_info, zone), NM_ZONE_MAX + 1},
	    {offsetof(struct nm_node_info, r1fs_id), NM_R1FS_ID_MAX + 1},
	    {offsetof(struct nm_node_info, r1fs_relay), NM_RELAY_MAX + 1},
	    {offsetof(struct nm_node_info, comm_relay), NM_RELAY_MAX + 1},
	    {offsetof(struct nm_node_info, tags), NM_TAGS_MAX + 1},
	    {offsetof(struct nm_node_info, gpu_name), NM_GPU_NAME_MAX + 1},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(strs); i++) {
		char tmp[NM_RELAY_MAX + 1];
		memcpy(tmp, (const char *)info + strs[i].off, strs[i].cap);
		tmp[strs[i].cap - 1] = '\0';
		copy_field((char *)in + strs[i].off, strs[i].cap, tmp);
	}
	in->oracle = info->oracle;
	in->secured = info->secured;
	in->r1fs_online = info->r1fs_online;
	in->cpu_cores = info->cpu_cores;
	in->gpu_count = info->gpu_count;
	in->cpu_used = info->cpu_used;
	in->mem_total = info->mem_total;
	in->mem_avail = info->mem_avail;
	in->disk_total = info->disk_total;
	in->disk_avail = info->disk_avail;
	in->uptime_s = info->uptime_s;
	in->first_seen_ms = info->first_seen_ms;
	in->last_seen_ms = info->last_seen_ms;
	size_t k = R1_MIN(n_whitelist, (size_t)NM_WHITELIST_MAX);
	if (k) {
		n->whitelist = r1_calloc(k, R1_PUB_LEN);
		if (n->whitelist) {
			memcpy(n->whitelist, whitelist, k * R1_PUB_LEN);
			n->n_whitelist = (uint16_t)k;
		}
	}
	n->stale = true;
	update_peered(nm, n, &chg);
	emit_node(nm, NM_EV_NODE_NEW, n, 0);
	if (out)
		*out = n;
	return R1_OK;
}

/* ---- queries ------------------------------------------------------------ */

const struct nm_node *netmap_find_pub(const struct netmap *nm, const uint8_t pub[R1_PUB_LEN])
{
	return find_pub(nm, pub);
}

const struct nm_node *netmap_find_addr(const struct netmap *nm, const char *addr)
{
	uint8_t pub[R1_PUB_LEN];
	if (!addr || !netmap_addr_key(addr, strlen(addr), pub))
		return NULL;
	return find_pub(nm, pub);
}

const struct nm_node *netmap_find_eth(const struct netmap *nm, const char *eth)
{
	if (!eth || strlen(eth) != R1_ETH_ADDR_LEN)
		return NULL;
	for (size_t i = 0; i < nm->n_nodes; i++)
		if (strcasecmp(nm->nodes[i]->info.eth, eth) == 0)
			return nm->nodes[i];
	return NULL;
}

size_t netmap_find_alias(const struct netmap *nm, const char *alias, const struct nm_node **out,
                         size_t max)
{
	size_t found = 0;
	if (!alias)
		return 0;
	for (const struct nm_node *n = nm->by_alias[hash_alias(alias) & (nm->n_buckets - 1)]; n;
	     n = n->next_alias)
		if (strcmp(n->info.alias, alias) == 0) {
			if (found < max)
				out[found] = n;
			found++;
		}
	/* chains hold the newest first; give the oldest first */
	size_t k = R1_MIN(found, max);
	for (size_t i = 0; i < k / 2; i++) {
		const struct nm_node *t = out[i];
		out[i] = out[k - 1 - i];
		out[k - 1 - i] = t;
	}
	return found;
}

enum r1_err netmap_resolve(const struct netmap *nm, const char *name, const struct nm_node **out,
                           char **why)
{
	*out = NULL;
	if (!name || !*name)
		return r1_fail(why, R1_ERR_INVAL, "empty node name");
	const struct nm_node *n = netmap_find_addr(nm, name);
	if (!n && strncmp(name, "0x", 2) == 0 && strlen(name) == R1_ETH_ADDR_LEN)
		n = netmap_find_eth(nm, name);
	if (n) {
		*out = n;
		return R1_OK;
	}
	const struct nm_node *hits[2];
	size_t cnt = netmap_find_alias(nm, name, hits, 2);
	if (cnt == 1) {
		*out = hits[0];
		return R1_OK;
	}
	if (cnt > 1)
		return r1_fail(why, R1_ERR_EXISTS,
		               "alias '%s' names %zu nodes; use an address (%s or %s ...)", name,
		               cnt, hits[0]->info.addr, hits[1]->info.addr);
	return r1_fail(why, R1_ERR_NOTFOUND,
	               "no node '%s' is known (not an address, ETH address "
	               "or alias seen on the network)",
	               name);
}

size_t netmap_count(const struct netmap *nm)
{
	return nm->n_nodes;
}

const struct nm_node *netmap_at(const struct netmap *nm, size_t i)
{
	return i < nm->n_nodes ? nm->nodes[i] : NULL;
}

size_t netmap_online_count(const struct netmap *nm)
{
	return nm->n_online;
}

size_t netmap_oracle_count(const struct netmap *nm)
{
	return nm->n_oracles;
}

const struct nm_oracle *netmap_oracle_at(const struct netmap *nm, size_t i)
{
	return i < nm->n_oracles ? &nm->oracles[i] : NULL;
}

int netmap_oracle_index(const struct netmap *nm, const char *addr)
{
	uint8_t pub[R1_PUB_LEN];
	if (!addr || !netmap_addr_key(addr, strlen(addr), pub))
		return -1;
	for (size_t i = 0; i < nm->n_oracles; i++)
		if (memcmp(nm->oracle_pub[i], pub, R1_PUB_LEN) == 0)
			return (int)i;
	return -1;
}

const struct netmap_stats *netmap_get_stats(const struct netmap *nm)
{
	return &nm->stats;
}

uint32_t netmap_online_timeout_ms(const struct netmap *nm)
{
	return nm->opt.online_timeout_ms;
}

void netmap_set_online_timeout_ms(struct netmap *nm, uint32_t ms)
{
	nm->opt.online_timeout_ms = ms ? ms : R1_ONLINE_TIMEOUT_S * 1000u;
}
