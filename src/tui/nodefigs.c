/*
 * Compute figures by node (see nodefigs.h): a slot table indexed by the
 * netmap's node index pointing into a dense array of records, filled
 * from statuses by compute_peer_from_status.  The two strings of a
 * compute_peer come from the network: they are sanitized on the way in.
 */
#include "tui/lib.h"
#include "tui/nodefigs.h"
#include "core/sanitize.h"

void nodefigs_init(struct nodefigs *f)
{
	memset(f, 0, sizeof(*f));
}

void nodefigs_release(struct nodefigs *f)
{
	r1_free(f->slot);
	r1_free(f->figs);
	memset(f, 0, sizeof(*f));
}

const struct nodefig *nodefigs_get(const struct nodefigs *f, uint32_t index)
{
	if (index >= f->nslot || !f->slot[index])
		return NULL;
	return &f->figs[f->slot[index] - 1];
}

size_t nodefigs_count(const struct nodefigs *f)
{
	return f->n;
}

const struct nodefig *nodefigs_at(const struct nodefigs *f, size_t i)
{
	return i < f->n ? &f->figs[i] : NULL;
}

static struct nodefig *slot_for(struct nodefigs *f, uint32_t index)
{
	if (index >= f->nslot) {
		size_t want = R1_MAX((size_t)index + 1, f->nslot * 2);
		uint32_t *s = r1_reallocarray(f->slot, want, sizeof(*s));
		if (!s)
			return NULL;
		memset(s + f->nslot, 0, (want - f->nslot) * sizeof(*s));
		f->slot = s;
		f->nslot = want;
	}
	if (f->slot[index])
		return &f->figs[f->slot[index] - 1];
	if (f->n == f->cap) {
		size_t want = f->cap ? f->cap * 2 : 16;
		struct nodefig *g = r1_reallocarray(f->figs, want, sizeof(*g));
		if (!g)
			return NULL;
		f->figs = g;
		f->cap = want;
	}
	memset(&f->figs[f->n], 0, sizeof(f->figs[f->n]));
	f->figs[f->n].index = index;
	f->slot[index] = (uint32_t)++f->n;
	return &f->figs[f->n - 1];
}

bool nodefigs_update(struct nodefigs *f, uint32_t index, const json_t *status, int64_t now_ms)
{
	struct compute_peer p;
	if (index == UINT32_MAX || !compute_peer_from_status(status, &p))
		return false;
	/* network text, cut at a byte limit: clean it once, here */
	char core[sizeof(p.core)], coretype[sizeof(p.coretype)];
	r1_sanitize_into(core, sizeof(core), p.core, strlen(p.core), 0);
	r1_sanitize_into(coretype, sizeof(coretype), p.coretype, strlen(p.coretype), 0);
	memcpy(p.core, core, sizeof(core));
	memcpy(p.coretype, coretype, sizeof(coretype));
	struct nodefig *g = slot_for(f, index);
	if (!g)
		return false;
	bool changed = g->when_ms == 0 || memcmp(&g->peer, &p, sizeof(p)) != 0;
	g->peer = p;
	g->when_ms = now_ms;
	return changed;
}
