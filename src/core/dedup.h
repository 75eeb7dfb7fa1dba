#ifndef R1_CORE_DEDUP_H
#define R1_CORE_DEDUP_H
/*
 * The generic half of the receive path (ingest), the part that needs no
 * cryptography: the 2 MB size gate, a bounded window of recently seen
 * message hashes (EE_HASH, 32 bytes) for de-duplication, and the drop
 * counters.  The reference keeps a deque of recent hashes for the same
 * purpose (base_comm_thread.already_received).
 *
 * The window is a fixed-size hash set with FIFO eviction: inserting into a
 * full window forgets the oldest hash.  Lookups and inserts are O(1).  The
 * hashes arrive before the signature is checked, so they are attacker
 * chosen: slots are picked with a keyed hash (SipHash with a random key per
 * window), which keeps crafted collisions from degrading the set.
 */
#include "core/common.h"
#include "core/err.h"

#define DEDUP_HASH_LEN 32

/*
 * Why the receive path dropped a message.  Ingest adds its own reasons
 * (malformed, bad signature, not for us, decrypt failure) before
 * INGEST_DROP__COUNT; ingest_drop_name's table grows with it.
 */
enum ingest_drop {
	INGEST_DROP_OVERSIZE,       /* above R1_MAX_MESSAGE_LEN */
	INGEST_DROP_DUPLICATE,      /* EE_HASH seen within the window */
	INGEST_DROP_MALFORMED,      /* not JSON, not an object, missing fields */
	INGEST_DROP_BAD_SIGNATURE,  /* the envelope does not verify */
	INGEST_DROP_NOT_FOR_US,     /* a command or encrypted payload for someone else */
	INGEST_DROP_DECRYPT_FAILED, /* addressed to us but does not decrypt */
	INGEST_DROP__COUNT
};

struct ingest_drops {
	uint64_t count[INGEST_DROP__COUNT];
};

/* "oversize", "duplicate", ... (a log and UI key, not translated); never NULL. */
const char *ingest_drop_name(enum ingest_drop reason);
/* Total of all reasons. */
uint64_t ingest_drops_total(const struct ingest_drops *d);
/*
 * The size gate: true when len is within R1_MAX_MESSAGE_LEN; otherwise
 * counts INGEST_DROP_OVERSIZE in drops (which may be NULL) and returns false.
 */
bool ingest_size_ok(size_t len, struct ingest_drops *drops);

struct dedup;

/*
 * A window remembering the last `window` hashes (1..2^24).
 * Errors: R1_ERR_INVAL, R1_ERR_NOMEM.
 */
enum r1_err dedup_new(size_t window, struct dedup **out, char **why);
void dedup_free(struct dedup **d);
/*
 * Seen before?  true when hash is in the window (the window is unchanged:
 * a repeat does not refresh its age); false when it is new, in which case it
 * is remembered, evicting the oldest hash if the window is full.
 */
bool dedup_seen(struct dedup *d, const uint8_t hash[DEDUP_HASH_LEN]);
/* Lookup only. */
bool dedup_contains(const struct dedup *d, const uint8_t hash[DEDUP_HASH_LEN]);
/* Hashes currently remembered, and the window size. */
size_t dedup_count(const struct dedup *d);
size_t dedup_window(const struct dedup *d);
void dedup_clear(struct dedup *d);

#endif
