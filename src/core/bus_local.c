/*
 * The in-process bus (see bus_local.h).  A publish copies the bytes once into
 * a reference-counted message and puts a pointer to it on the queue of every
 * endpoint with a matching subscription; each endpoint drains its queue from
 * one deferred call per loop iteration.  Routing is a linear scan of the
 * endpoints' filters: fine for demo networks of tens of nodes, and the first
 * thing to replace with a topic tree if hundreds ever share a hub.
 */
#include "core/lib.h"
#include "core/bus_local.h"
#include "core/bus.h"
#include "core/loop.h"

struct local_msg {
	unsigned refs;
	size_t len;
	char *topic; /* points into data, after the payload */
	uint8_t data[];
};

struct queued {
	struct local_msg *msg;
	int qos;
};

struct endpoint {
	struct bus bus; /* first: a struct bus * is a struct endpoint * */
	struct bus_hub *hub;
	struct endpoint *prev, *next;
	struct queued *ring;
	size_t head, count, cap, max;
	struct loop_call drain;
};

struct bus_hub {
	struct loop *loop;
	struct r1_log *log;
	size_t queue_max;
	struct endpoint *first, *last;
	size_t count;
};

static void msg_unref(struct local_msg *m)
{
	if (--m->refs == 0)
		r1_free(m);
}

/* Append to the endpoint's ring; false when it is at its bound or out of memory. */
static bool ring_push(struct endpoint *ep, struct local_msg *m, int qos)
{
	if (ep->count >= ep->max)
		return false;
	if (ep->count == ep->cap) {
		size_t ncap = ep->cap ? ep->cap * 2 : 16;
		struct queued *r = r1_reallocarray(NULL, ncap, sizeof(*r));
		if (!r)
			return false;
		for (size_t i = 0; i < ep->count; i++)
			r[i] = ep->ring[(ep->head + i) % ep->cap];
		r1_free(ep->ring);
		ep->ring = r;
		ep->cap = ncap;
		ep->head = 0;
	}
	ep->ring[(ep->head + ep->count) % ep->cap] = (struct queued){m, qos};
	ep->count++;
	ep->bus.stats.queued = ep->count;
	m->refs++;
	return true;
}

static void drain(void *ctx)
{
	struct endpoint *ep = ctx;
	/* Only what was queued before this call: a callback that publishes to
	 * itself gets its message on the next iteration, not recursively. */
	size_t n = ep->count;
	while (n-- && ep->count && !ep->bus.paused) {
		struct queued q = ep->ring[ep->head];
		ep->head = (ep->head + 1) % ep->cap;
		ep->count--;
		ep->bus.stats.queued = ep->count;
		bus_deliver(&ep->bus, q.msg->topic, q.msg->data, q.msg->len, q.qos);
		msg_unref(q.msg);
	}
	if (ep->count && ep->hub && !ep->bus.paused)
		loop_call_schedule(ep->hub->loop, &ep->drain);
}

/* Paused: drain stops at the next message.  Resumed: drain what waited. */
static void local_pause(struct bus *bus)
{
	struct endpoint *ep = (struct endpoint *)bus;
	if (!bus->paused && ep->count && ep->hub)
		loop_call_schedule(ep->hub->loop, &ep->drain);
}

static enum r1_err local_publish(struct bus *bus, const char *topic, const void *data, size_t len,
                                 int qos, char **why)
{
	struct endpoint *self = (struct endpoint *)bus;
	struct bus_hub *hub = self->hub;
	if (!hub)
		return r1_fail(why, R1_ERR_STATE, "bus_local: endpoint %s has no hub",
		               bus->client_id);
	size_t tlen = strlen(topic);
	struct local_msg *m = NULL;
	for (struct endpoint *ep = hub->first; ep; ep = ep->next) {
		int sub_qos;
		if (!bus_sub_match(&ep->bus, topic, &sub_qos))
			continue;
		if (!m) {
			m = r1_malloc(sizeof(*m) + len + tlen + 1);
			if (!m)
				return r1_fail(why, R1_ERR_NOMEM, "bus_local: out of memory");
			m->refs = 1; /* ours, until the loop ends */
			m->len = len;
			if (len)
				memcpy(m->data, data, len);
			m->topic = (char *)m->data + len;
			memcpy(m->topic, topic, tlen + 1);
		}
		if (!ring_push(ep, m, R1_MIN(qos, sub_qos))) {
			ep->bus.stats.dropped[BUS_DROP_IN_FULL]++;
			continue;
		}
		if (!ep->bus.paused)
			loop_call_schedule(hub->loop, &ep->drain);
	}
	if (m)
		msg_unref(m);
	return R1_OK;
}

static enum r1_err local_subscribe(struct bus *bus, const struct bus_sub *sub, char **why)
{
	(void)bus;
	(void)sub;
	(void)why;
	return R1_OK; /* the hub reads bus->subs at publish time */
}

static enum r1_err local_unsubscribe(struct bus *bus, const char *filter, char **why)
{
	(void)bus;
	(void)filter;
	(void)why;
	return R1_OK;
}

static void detach(struct endpoint *ep)
{
	struct bus_hub *hub = ep->hub;
	if (!hub)
		return;
	loop_call_cancel(hub->loop, &ep->drain);
	if (ep->prev)
		ep->prev->next = ep->next;
	else
		hub->first = ep->next;
	if (ep->next)
		ep->next->prev = ep->prev;
	else
		hub->last = ep->prev;
	hub->count--;
	ep->hub = NULL;
	ep->prev = ep->next = NULL;
}

static void local_destroy(struct bus *bus)
{
	struct endpoint *ep = (struct endpoint *)bus;
	detach(ep);
	while (ep->count) {
		msg_unref(ep->ring[ep->head].msg);
		ep->head = (ep->head + 1) % ep->cap;
		ep->count--;
	}
	r1_free(ep->ring);
	bus_release(&ep->bus);
	r1_free(ep);
}

static enum r1_err local_sibling(struct bus *bus, const char *client_id, struct bus **out,
                                 char **why)
{
	struct endpoint *ep = (struct endpoint *)bus;
	if (!ep->hub)
		return r1_fail(why, R1_ERR_STATE, "bus_local: the hub was closed");
	return bus_local_new(ep->hub, client_id, out, why);
}

static const struct bus_ops local_ops = {
    .kind = "local",
    .publish = local_publish,
    .subscribe = local_subscribe,
    .unsubscribe = local_unsubscribe,
    .sibling = local_sibling,
    .pause = local_pause,
    .destroy = local_destroy,
};

enum r1_err bus_hub_new(struct loop *loop, size_t queue_max, struct r1_log *log,
                        struct bus_hub **out, char **why)
{
	struct bus_hub *hub = r1_calloc(1, sizeof(*hub));
	if (!hub)
		return r1_fail(why, R1_ERR_NOMEM, "bus_local: out of memory");
	hub->loop = loop;
	hub->log = log;
	hub->queue_max = queue_max ? queue_max : BUS_LOCAL_QUEUE_DEFAULT;
	*out = hub;
	return R1_OK;
}

void bus_hub_free(struct bus_hub **hp)
{
	struct bus_hub *hub = *hp;
	if (!hub)
		return;
	while (hub->first) {
		struct endpoint *ep = hub->first;
		detach(ep);
		bus_set_state(&ep->bus, BUS_DISCONNECTED, "the local hub was closed");
	}
	r1_free(hub);
	*hp = NULL;
}

size_t bus_hub_endpoints(const struct bus_hub *hub)
{
	return hub->count;
}

enum r1_err bus_local_new(struct bus_hub *hub, const char *client_id, struct bus **out, char **why)
{
	if (!hub)
		return r1_fail(why, R1_ERR_STATE, "bus_local: no hub");
	if (!client_id || !*client_id)
		return r1_fail(why, R1_ERR_INVAL, "bus_local: empty client id");
	for (struct endpoint *ep = hub->first; ep; ep = ep->next)
		if (strcmp(ep->bus.client_id, client_id) == 0)
			return r1_fail(why, R1_ERR_EXISTS, "bus_local: client id %.80s is taken",
			               client_id);
	struct endpoint *ep = r1_calloc(1, sizeof(*ep));
	if (!ep || bus_init(&ep->bus, &local_ops, hub->loop, client_id, hub->log)) {
		r1_free(ep);
		return r1_fail(why, R1_ERR_NOMEM, "bus_local: out of memory");
	}
	ep->hub = hub;
	ep->max = hub->queue_max;
	loop_call_init(&ep->drain, drain, ep);
	ep->prev = hub->last;
	if (hub->last)
		hub->last->next = ep;
	else
		hub->first = ep;
	hub->last = ep;
	hub->count++;
	bus_set_state(&ep->bus, BUS_CONNECTED, "");
	*out = &ep->bus;
	return R1_OK;
}

void bus_local_set_queue_max(struct bus *bus, size_t queue_max)
{
	if (bus->ops != &local_ops)
		return;
	struct endpoint *ep = (struct endpoint *)bus;
	ep->max = queue_max ? queue_max : BUS_LOCAL_QUEUE_DEFAULT;
}
