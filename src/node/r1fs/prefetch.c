/*
 * The read-ahead walk (see prefetch.h).  The walk keeps its own stack of
 * CIDs still to visit (bounded by the reader's depth limit times the links
 * of a node), fetches each block into a free slot of a small ring, and
 * pushes the children of dag-pb blocks.  A slot's buffer is swapped with
 * the reader's, so a ready block is never copied.
 */
#include "node/lib.h"
#include "node/r1fs/prefetch.h"

#include "node/r1fs/dagpb.h"

#include <pthread.h>

struct pending {
	struct r1fs_cid cid;
	unsigned depth;
};

struct ready {
	struct r1fs_cid cid;
	struct buf block;
};

struct dag_prefetch {
	dag_get_fn get;
	void *ctx;
	/* The walk's own (its thread only). */
	struct pending *stack;
	size_t n, cap;
	/* Shared, under m. */
	pthread_mutex_t m;
	pthread_cond_t cv;
	struct ready ring[DAG_PREFETCH_AHEAD];
	size_t head, count;
	bool ended; /* the walk is over: finished, failed or stopped */
	bool stop;
	pthread_t thread;
};

static bool push(struct dag_prefetch *p, const struct r1fs_cid *cid, unsigned depth)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? 2 * p->cap : 256;
		struct pending *s = r1_reallocarray(p->stack, ncap, sizeof(*s));
		if (!s)
			return false;
		p->stack = s;
		p->cap = ncap;
	}
	p->stack[p->n++] = (struct pending){*cid, depth};
	return true;
}

/* Queue the children of a fetched dag-pb block, first child on top. */
static bool push_children(struct dag_prefetch *p, const struct r1fs_cid *cid,
                          const struct buf *block, unsigned depth)
{
	if (cid->codec != R1FS_CODEC_DAGPB || depth + 1 >= DAG_READER_MAX_DEPTH)
		return true;
	struct dagpb_node node;
	if (dagpb_decode((const uint8_t *)block->data, block->len, &node, NULL) != R1_OK)
		return false; /* the reader will say what is wrong with it */
	bool good = true;
	for (size_t i = node.nlinks; i > 0 && good; i--)
		good = push(p, &node.links[i - 1].cid, depth + 1);
	dagpb_node_release(&node);
	return good;
}

static void *walk_main(void *arg)
{
	struct dag_prefetch *p = arg;
	struct buf block = BUF_INIT;
	while (p->n > 0) {
		struct pending next = p->stack[--p->n];
		if (p->get(p->ctx, &next.cid, &block, NULL) != R1_OK ||
		    !push_children(p, &next.cid, &block, next.depth))
			break;
		pthread_mutex_lock(&p->m);
		while (p->count == DAG_PREFETCH_AHEAD && !p->stop)
			pthread_cond_wait(&p->cv, &p->m);
		if (p->stop) {
			pthread_mutex_unlock(&p->m);
			break;
		}
		struct ready *r = &p->ring[(p->head + p->count) % DAG_PREFETCH_AHEAD];
		r->cid = next.cid;
		struct buf t = r->block;
		r->block = block;
		block = t;
		p->count++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->m);
	}
	buf_release(&block);
	pthread_mutex_lock(&p->m);
	p->ended = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->m);
	return NULL;
}

struct dag_prefetch *dag_prefetch_new(dag_get_fn get, void *ctx, const struct r1fs_cid *root)
{
	struct dag_prefetch *p = r1_calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->get = get;
	p->ctx = ctx;
	for (size_t i = 0; i < DAG_PREFETCH_AHEAD; i++)
		buf_init(&p->ring[i].block);
	pthread_mutex_init(&p->m, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (!push(p, root, 0) || pthread_create(&p->thread, NULL, walk_main, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->m);
		r1_free(p->stack);
		r1_free(p);
		return NULL;
	}
	return p;
}

void dag_prefetch_free(struct dag_prefetch **pp)
{
	struct dag_prefetch *p = *pp;
	if (!p)
		return;
	pthread_mutex_lock(&p->m);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->m);
	pthread_join(p->thread, NULL);
	for (size_t i = 0; i < DAG_PREFETCH_AHEAD; i++)
		buf_release(&p->ring[i].block);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->m);
	r1_free(p->stack);
	r1_free(p);
	*pp = NULL;
}

enum r1_err dag_prefetch_get(void *ctx, const struct r1fs_cid *cid, struct buf *out, char **why)
{
	struct dag_prefetch *p = ctx;
	pthread_mutex_lock(&p->m);
	while (p->count == 0 && !p->ended)
		pthread_cond_wait(&p->cv, &p->m);
	if (p->count > 0) {
		struct ready *r = &p->ring[p->head];
		if (r1fs_cid_equal(&r->cid, cid)) {
			struct buf t = *out;
			*out = r->block;
			r->block = t;
			p->head = (p->head + 1) % DAG_PREFETCH_AHEAD;
			p->count--;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->m);
			return R1_OK;
		}
		/* The reader went another way: the walk is of no more use. */
		p->stop = true;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->m);
	return p->get(p->ctx, cid, out, why);
}
