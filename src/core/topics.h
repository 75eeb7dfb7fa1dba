#ifndef R1_CORE_TOPICS_H
#define R1_CORE_TOPICS_H
/*
 * The Ratio1 topic layout and MQTT topic-filter rules (reference section
 * 1.1).  Under a root (default "naeural"):
 *
 *   <root>/<addr>/config    commands to one node            QoS 2
 *   <root>/ctrl             heartbeats                      QoS 1
 *   <root>/notif            notifications                   QoS 2
 *   <root>/payloads         broadcast payloads              QoS 2
 *   <root>/<addr>/payloads  payloads addressed by EE_DEST   QoS 2
 *
 * The QoS column is the node side's production configuration (the SDK's own
 * default is 0).  Addresses in topics are the full "0xai_..." form.
 *
 * The matcher implements MQTT 3.1.1 section 4.7: '+' is one whole level
 * (possibly empty), '#' is the last level and also matches its parent, and a
 * filter starting with a wildcard never matches a topic starting with '$'.
 */
#include "core/common.h"
#include "core/err.h"

#define TOPIC_ROOT_DEFAULT "naeural"
#define TOPIC_ADDR_PREFIX  "0xai_"
/* MQTT's limit on a topic's length in bytes. */
#define TOPIC_MAX_LEN 65535u

enum topic_channel {
	TOPIC_CONFIG,      /* <root>/<addr>/config */
	TOPIC_CTRL,        /* <root>/ctrl */
	TOPIC_NOTIF,       /* <root>/notif */
	TOPIC_PAYLOADS,    /* <root>/payloads */
	TOPIC_PAYLOADS_TO, /* <root>/<addr>/payloads */
	TOPIC__COUNT
};

struct topic_channel_def {
	const char *name; /* the reference's channel name, "CONFIG_CHANNEL" */
	const char *leaf; /* last level: "config", "ctrl", ... */
	bool addressed;   /* has an <addr> level */
	int qos;          /* node-side default */
};

/* The table row of a channel; NULL when ch is out of range. */
const struct topic_channel_def *topic_channel_def(enum topic_channel ch);
/* Default QoS of a channel (0 when ch is out of range). */
int topic_default_qos(enum topic_channel ch);

/*
 * Build the topic of a channel into a new string (*out, free with r1_free).
 * root NULL means TOPIC_ROOT_DEFAULT; addr is required exactly when the
 * channel is addressed and is used as given.  Errors: R1_ERR_INVAL (bad
 * root or addr, with the reason), R1_ERR_NOMEM.
 */
enum r1_err topic_make(const char *root, enum topic_channel ch, const char *addr, char **out,
                       char **why);

/* A list of topics, owned by the struct. */
struct topic_list {
	char **topics;
	size_t count;
};
void topic_list_release(struct topic_list *l);

/*
 * Fan an addressed payload out: one <root>/<addr>/payloads per EE_DEST
 * entry, in order, without repeats; "0xai_" is prefixed where missing (as
 * the reference's _normalize_publish_targets does).  The caller publishes
 * the same bytes to each.  On error *out is left empty.  Errors:
 * R1_ERR_INVAL (no destinations, or one that is empty or holds '/', '+',
 * '#'), R1_ERR_NOMEM.
 */
enum r1_err topic_fanout(const char *root, const char *const *dests, size_t ndests,
                         struct topic_list *out, char **why);

/* A topic one may publish to: 1..65535 bytes of UTF-8, no wildcard, no U+0000. */
bool topic_name_valid(const char *topic);
/* A filter one may subscribe to (wildcards only as whole levels, '#' last). */
bool topic_filter_valid(const char *filter);
/*
 * Does `filter` match `topic`?  Callers validate both first (bus_subscribe
 * and bus_publish do); on invalid input the answer is meaningless but the
 * function still reads nothing past either string.
 */
bool topic_matches(const char *filter, const char *topic);

#endif
