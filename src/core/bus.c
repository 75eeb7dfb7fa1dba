/*
 * The transport-independent half of a bus endpoint (see bus.h): argument
 * checks, the subscription list, the inbound size gate, state changes and
 * counters.  A transport embeds struct bus first in its own struct and fills
 * in the ops; it never checks a topic or a size itself.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/topics.h"

static const char *const state_names[BUS_STATE__COUNT] = {
    [BUS_DISCONNECTED] = "disconnected",
    [BUS_CONNECTING] = "connecting",
    [BUS_CONNECTED] = "connected",
    [BUS_AUTH_REFUSED] = "auth-refused",
};

static const char *const drop_names[BUS_DROP__COUNT] = {
    [BUS_DROP_TOO_BIG_OUT] = "oversize-out", [BUS_DROP_TOO_BIG_IN] = "oversize-in",
    [BUS_DROP_OFFLINE] = "offline",          [BUS_DROP_OUT_FULL] = "out-queue-full",
    [BUS_DROP_IN_FULL] = "in-queue-full",
};

const char *bus_state_name(enum bus_state state)
{
	return (unsigned)state < BUS_STATE__COUNT ? state_names[state] : "unknown";
}

const char *bus_drop_name(enum bus_drop reason)
{
	return (unsigned)reason < BUS_DROP__COUNT ? drop_names[reason] : "unknown";
}

enum r1_err bus_init(struct bus *bus, const struct bus_ops *ops, struct loop *loop,
                     const char *client_id, struct r1_log *log)
{
	*bus = (struct bus){.ops = ops, .loop = loop, .log = log, .state = BUS_DISCONNECTED};
	bus->client_id = r1_strdup(client_id ? client_id : "");
	bus->state_reason = r1_strdup("");
	if (!bus->client_id || !bus->state_reason) {
		bus_release(bus);
		return R1_ERR_NOMEM;
	}
	return R1_OK;
}

void bus_release(struct bus *bus)
{
	for (size_t i = 0; i < bus->nsubs; i++)
		r1_free(bus->subs[i].filter);
	r1_free(bus->subs);
	r1_free(bus->client_id);
	r1_free(bus->state_reason);
	bus->subs = NULL;
	bus->client_id = bus->state_reason = NULL;
	bus->nsubs = bus->subs_cap = 0;
}

enum r1_err bus_open_sibling(struct bus *bus, const char *client_id, struct bus **out, char **why)
{
	*out = NULL;
	if (!client_id || !*client_id)
		return r1_fail(why, R1_ERR_INVAL, "bus: a sibling needs a client id");
	if (!bus->ops->sibling)
		return r1_fail(why, R1_ERR_STATE, "bus: a %s endpoint cannot open siblings",
		               bus->ops->kind);
	return bus->ops->sibling(bus, client_id, out, why);
}

void bus_free(struct bus **bp)
{
	if (*bp)
		(*bp)->ops->destroy(*bp);
	*bp = NULL;
}

enum r1_err bus_publish(struct bus *bus, const char *topic, const void *data, size_t len, int qos,
                        char **why)
{
	if (!topic_name_valid(topic))
		return r1_fail(why, R1_ERR_INVAL, "bus: cannot publish to topic \"%.80s\"",
		               topic ? topic : "(null)");
	if (qos < 0 || qos > 2)
		return r1_fail(why, R1_ERR_INVAL, "bus: QoS %d (want 0, 1 or 2)", qos);
	if (len && !data)
		return r1_fail(why, R1_ERR_INVAL, "bus: %zu bytes without a buffer", len);
	if (len > R1_MAX_MESSAGE_LEN) {
		bus->stats.dropped[BUS_DROP_TOO_BIG_OUT]++;
		return r1_fail(why, R1_ERR_TOOBIG, "bus: message of %zu bytes exceeds %u", len,
		               R1_MAX_MESSAGE_LEN);
	}
	enum r1_err err = bus->ops->publish(bus, topic, data, len, qos, why);
	if (!err)
		bus->stats.published++;
	return err;
}

static ssize_t sub_find(const struct bus *bus, const char *filter)
{
	for (size_t i = 0; i < bus->nsubs; i++)
		if (strcmp(bus->subs[i].filter, filter) == 0)
			return (ssize_t)i;
	return -1;
}

enum r1_err bus_subscribe(struct bus *bus, const char *filter, int qos, char **why)
{
	if (!topic_filter_valid(filter))
		return r1_fail(why, R1_ERR_INVAL, "bus: bad topic filter \"%.80s\"",
		               filter ? filter : "(null)");
	if (qos < 0 || qos > 2)
		return r1_fail(why, R1_ERR_INVAL, "bus: QoS %d (want 0, 1 or 2)", qos);
	ssize_t at = sub_find(bus, filter);
	if (at >= 0) {
		int old = bus->subs[at].qos;
		bus->subs[at].qos = qos;
		enum r1_err err = bus->ops->subscribe(bus, &bus->subs[at], why);
		if (err)
			bus->subs[at].qos = old;
		return err;
	}
	if (bus->nsubs == bus->subs_cap) {
		size_t cap = bus->subs_cap ? bus->subs_cap * 2 : 4;
		struct bus_sub *s = r1_reallocarray(bus->subs, cap, sizeof(*s));
		if (!s)
			return r1_fail(why, R1_ERR_NOMEM, "bus: out of memory");
		bus->subs = s;
		bus->subs_cap = cap;
	}
	char *copy = r1_strdup(filter);
	if (!copy)
		return r1_fail(why, R1_ERR_NOMEM, "bus: out of memory");
	bus->subs[bus->nsubs] = (struct bus_sub){copy, qos};
	enum r1_err err = bus->ops->subscribe(bus, &bus->subs[bus->nsubs], why);
	if (err)
		r1_free(copy);
	else
		bus->nsubs++;
	return err;
}

enum r1_err bus_unsubscribe(struct bus *bus, const char *filter, char **why)
{
	ssize_t at = filter ? sub_find(bus, filter) : -1;
	if (at < 0)
		return r1_fail(why, R1_ERR_NOTFOUND, "bus: not subscribed to \"%.80s\"",
		               filter ? filter : "(null)");
	enum r1_err err = bus->ops->unsubscribe(bus, filter, why);
	if (err)
		return err;
	r1_free(bus->subs[at].filter);
	bus->subs[at] = bus->subs[--bus->nsubs];
	return R1_OK;
}

bool bus_sub_match(const struct bus *bus, const char *topic, int *qos)
{
	bool any = false;
	int best = 0;
	for (size_t i = 0; i < bus->nsubs; i++) {
		if (topic_matches(bus->subs[i].filter, topic)) {
			any = true;
			best = R1_MAX(best, bus->subs[i].qos);
		}
	}
	if (qos)
		*qos = best;
	return any;
}

void bus_set_delivery(struct bus *bus, bus_deliver_fn fn, void *ctx)
{
	bus->deliver = fn;
	bus->deliver_ctx = ctx;
}

void bus_pause(struct bus *bus, bool paused)
{
	if (bus->paused == paused)
		return;
	bus->paused = paused;
	if (bus->ops->pause)
		bus->ops->pause(bus);
}

bool bus_paused(const struct bus *bus)
{
	return bus->paused;
}

void bus_set_state_cb(struct bus *bus, bus_state_fn fn, void *ctx)
{
	bus->on_state = fn;
	bus->state_ctx = ctx;
}

enum bus_state bus_state(const struct bus *bus, const char **reason)
{
	if (reason)
		*reason = bus->state_reason ? bus->state_reason : "";
	return bus->state;
}

void bus_get_stats(const struct bus *bus, struct bus_stats *out)
{
	*out = bus->stats;
}

const char *bus_client_id(const struct bus *bus)
{
	return bus->client_id;
}

const char *bus_kind(const struct bus *bus)
{
	return bus->ops->kind;
}

void bus_deliver(struct bus *bus, const char *topic, const uint8_t *payload, size_t len, int qos)
{
	if (len > R1_MAX_MESSAGE_LEN) {
		bus->stats.dropped[BUS_DROP_TOO_BIG_IN]++;
		return;
	}
	bus->stats.delivered++;
	if (bus->deliver)
		bus->deliver(bus->deliver_ctx, bus, topic, payload, len, qos);
}

void bus_set_state(struct bus *bus, enum bus_state state, const char *reason)
{
	if (!reason)
		reason = "";
	bool same_reason = bus->state_reason && strcmp(bus->state_reason, reason) == 0;
	if (state == bus->state && same_reason)
		return;
	bus->state = state;
	if (!same_reason) {
		char *copy = r1_strdup(reason);
		if (copy) { /* out of memory keeps the old reason: better than none */
			r1_free(bus->state_reason);
			bus->state_reason = copy;
		}
	}
	if (bus->on_state)
		bus->on_state(bus->state_ctx, bus, state, reason);
}
