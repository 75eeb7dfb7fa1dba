#ifndef R1_TUI_STREAM_H
#define R1_TUI_STREAM_H
/*
 * A live stream of the console: the payloads, or the notifications, that
 * reached it, as a bounded ring of plain records ready to draw.  Each
 * record is made once, when the message arrives: the fields a table shows
 * are cut to size and sanitized, the body is kept as pretty JSON text
 * (still hostile: drawn through a textview, which sanitizes), and the
 * receive path's verdict (verified, encrypted, decrypted, why not) is
 * kept beside it for the detail pane.
 *
 * Records have a sequence number that is never reused, so a view can hold
 * on to "the record I show" and find out it was evicted.  The ring holds
 * at most `cap` records and `body_max` bytes of bodies; the oldest go first.
 */
#include "core/common.h"
#include "core/identity.h"

#include <jansson.h>

#define STREAM_NAME_MAX   64
#define STREAM_TEXT_MAX   200
#define STREAM_REASON_MAX 96
#define STREAM_BODY_MAX   (64u * 1024u) /* a body above this is cut */

enum stream_kind { STREAM_PAYLOADS, STREAM_NOTIFICATIONS, STREAM__COUNT };

struct stream_entry {
	uint64_t seq;                       /* 1, 2, ... */
	int64_t t_ms;                       /* arrival, wall clock */
	char sender[R1_ADDR_LEN + 1];       /* verified EE_SENDER, "" when unknown */
	char node[STREAM_NAME_MAX + 1];     /* EE_PAYLOAD_PATH[0], else EE_ID */
	char pipeline[STREAM_NAME_MAX + 1]; /* EE_PAYLOAD_PATH[1..3] ("" for null) */
	char signature[STREAM_NAME_MAX + 1];
	char instance[STREAM_NAME_MAX + 1];
	char ntype[24]; /* NOTIFICATION_TYPE */
	int code;       /* NOTIFICATION_CODE */
	bool has_code;
	char text[STREAM_TEXT_MAX + 1]; /* NOTIFICATION, or a payload's summary */
	char *body;                     /* pretty JSON, owned; NULL if it could not be made */
	size_t body_len;
	uint32_t wire_len;
	bool verified, encrypted, decrypted;
	char reason[STREAM_REASON_MAX + 1]; /* why not verified */
};

struct stream {
	struct stream_entry *ring;
	size_t cap, head, n; /* head: the oldest record's slot */
	size_t body_bytes, body_max;
	uint64_t next_seq;
	uint64_t total;   /* records ever added */
	uint64_t evicted; /* records pushed out */
};

/* What arrived, as the receive path describes it (ingest.h's r1_msg, flattened). */
struct stream_msg {
	const json_t *body; /* the merged message */
	const char *sender; /* may be NULL or "" */
	size_t wire_len;
	bool verified, encrypted, decrypted;
	const char *reason; /* may be NULL */
};

/* cap 0 = 2000 records, body_max 0 = 16 MiB.  R1_ERR_NOMEM. */
enum r1_err stream_init(struct stream *s, size_t cap, size_t body_max);
void stream_release(struct stream *s);

/*
 * Add a record made from m at now_ms; returns it (owned by the stream,
 * valid until it is evicted), or NULL when m->body is not an object.  Out
 * of memory for the body keeps the record without one.
 */
const struct stream_entry *stream_add(struct stream *s, const struct stream_msg *m, int64_t now_ms);
/* Records now, the i-th oldest (i < stream_count), a record by seq or NULL. */
size_t stream_count(const struct stream *s);
const struct stream_entry *stream_at(const struct stream *s, size_t i);
const struct stream_entry *stream_find(const struct stream *s, uint64_t seq);
/* The oldest record's seq (next_seq when empty). */
uint64_t stream_first_seq(const struct stream *s);

#endif
