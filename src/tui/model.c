/*
 * The console's model struct (see model.h): the streams and figures it
 * owns, the defaults, the hosted nodes' list and the CStore observer that
 * tells the app when a hosted replica changed; everything else in it is
 * borrowed and filled by the owner.
 */
#include "tui/lib.h"
#include "tui/model.h"
#include "core/clock.h"
#include "core/identity.h"
#include "core/netmap.h"
#include "node/cstore/cstore.h"
#include "node/node.h"
#include "node/r1fs/r1fs.h"

#include <time.h>

enum r1_err tui_model_init(struct tui_model *m)
{
	memset(m, 0, sizeof(*m));
	epoch_params_for(&m->epochs, EPOCH_NET_MAINNET);
	for (int k = 0; k < STREAM__COUNT; k++) {
		if (stream_init(&m->streams[k], 0, 0) != R1_OK) {
			tui_model_release(m);
			return R1_ERR_NOMEM;
		}
	}
	nodefigs_init(&m->figs);
	netjobs_init(&m->jobs);
	m->now_ms = tui_wall_ms();
	return R1_OK;
}

void tui_model_release(struct tui_model *m)
{
	for (int k = 0; k < STREAM__COUNT; k++)
		stream_release(&m->streams[k]);
	nodefigs_release(&m->figs);
	netjobs_release(&m->jobs);
}

/* ---- hosted nodes */

struct tui_host *tui_model_add_host(struct tui_model *m, const struct tui_host *h)
{
	if (m->n_hosts == TUI_HOSTS_MAX)
		return NULL;
	struct tui_host *x = &m->hosts[m->n_hosts++];
	*x = *h;
	x->observed = NULL;
	x->cstore_changes = 0;
	x->m = m;
	return x;
}

struct tui_host *tui_model_host(struct tui_model *m, const char *addr)
{
	for (size_t i = 0; addr && i < m->n_hosts; i++)
		if (addr_same(m->hosts[i].addr, addr))
			return &m->hosts[i];
	return NULL;
}

static void on_cstore_change(void *ctx, const char *key)
{
	(void)key;
	struct tui_host *h = ctx;
	h->cstore_changes++;
	if (h->m && h->m->on_host)
		h->m->on_host(h->m->on_host_ctx, h);
}

struct cstore *tui_host_cstore(struct tui_host *h)
{
	struct cstore *cs = h->node ? node_cstore(h->node) : h->cstore;
	if (cs) {
		/*
		 * Every time: a restarted CHAIN_STORE_BASE may have a new engine
		 * at the old one's address, without our observer.
		 */
		cstore_set_observer(cs, on_cstore_change, h);
		if (cs != h->observed)
			h->cstore_changes++;
		h->observed = cs;
	}
	return cs;
}

struct compute *tui_host_compute(const struct tui_host *h)
{
	return h->node ? node_compute(h->node) : h->compute;
}

struct r1fs *tui_host_r1fs(const struct tui_host *h)
{
	return h->node ? node_r1fs(h->node) : h->r1fs;
}

/* The view from a store alone (tests): pins and figures, no exchange. */
static json_t *r1fs_view_of(struct r1fs *fs)
{
	json_t *v = json_object(), *files = json_array();
	if (!v || !files) {
		json_decref(v);
		json_decref(files);
		return NULL;
	}
	struct r1fs_pin *pins = NULL;
	size_t np = 0;
	if (fs && r1fs_list_pins(fs, &pins, &np, NULL) == R1_OK)
		for (size_t i = 0; i < np; i++)
			json_array_append_new(
			    files, json_pack("{s:s,s:I,s:I,s:s?,s:[]}", "cid", pins[i].cid, "size",
			                     (json_int_t)pins[i].size, "created",
			                     (json_int_t)pins[i].created, "name", pins[i].name, "peers"));
	r1fs_pins_free(pins, np);
	json_object_set_new(v, "files", files);
	struct r1fs_store_stat st;
	if (fs && r1fs_store_stat(fs, &st, NULL) == R1_OK)
		json_object_set_new(v, "store",
		                    json_pack("{s:I,s:I,s:I,s:I}", "used", (json_int_t)st.used_bytes,
		                              "quota", (json_int_t)st.quota_bytes, "blocks",
		                              (json_int_t)st.blocks, "pins", (json_int_t)st.pins));
	json_object_set_new(v, "running", json_false());
	json_object_set_new(v, "http_port", json_integer(0));
	json_object_set_new(v, "transfers", json_array());
	json_object_set_new(v, "peers", json_array());
	return v;
}

json_t *tui_host_r1fs_view(struct tui_host *h)
{
	if (h->node)
		return node_r1fs_view(h->node); /* its R1FS_MANAGER's: exchange included */
	if (h->r1fs_view)
		return h->r1fs_view(h->r1fs_view_ctx);
	return r1fs_view_of(h->r1fs);
}

void tui_model_forget_hosts(struct tui_model *m)
{
	for (size_t i = 0; i < m->n_hosts; i++) {
		struct tui_host *h = &m->hosts[i];
		struct cstore *cs = h->node ? node_cstore(h->node) : h->cstore;
		if (cs && cs == h->observed)
			cstore_set_observer(cs, NULL, NULL);
	}
	memset(m->hosts, 0, sizeof(m->hosts));
	m->n_hosts = 0;
}

/* ---- figures */

bool tui_model_node_status(struct tui_model *m, const char *addr, const json_t *status,
                           int64_t now_ms)
{
	const struct nm_node *n = m->nm ? netmap_find_addr(m->nm, addr) : NULL;
	return n && nodefigs_update(&m->figs, n->index, status, now_ms);
}

const struct stream_entry *tui_model_add(struct tui_model *m, enum stream_kind k,
                                         const struct stream_msg *msg, int64_t now_ms)
{
	if (k == STREAM_PAYLOADS && msg->verified)
		netjobs_payload(&m->jobs, msg->sender, msg->body, now_ms);
	const struct stream_entry *e = stream_add(&m->streams[k], msg, now_ms);
	if (e && m->on_stream)
		m->on_stream(m->on_stream_ctx, k, e);
	return e;
}

int64_t tui_wall_ms(void)
{
	return r1_wall_ms();
}
