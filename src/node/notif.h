#ifndef R1_NODE_NOTIF_H
#define R1_NODE_NOTIF_H
/*
 * The body of a node notification, as the reference builds it
 * (decentrai_object.py::_create_notification, then the orchestrator's INFO
 * prefix): MODULE, NOTIFICATION_TYPE, NOTIFICATION (at most 255
 * characters), NOTIFICATION_CODE, NOTIFICATION_TAG, INFO ("EE app v..,
 * core v.., SDK v.., info text: .."), STREAM_NAME, TIMESTAMP, ERROR_CODE
 * (the code when negative), then extra fields with upper-cased keys
 * (SIGNATURE, INSTANCE_ID, INITIATOR_ID, SESSION_ID, DISPLAYED, ...).
 *
 * The tag is always filled from the code (the reference fills it only for
 * plugin notifications; a tag more is harmless to every reader).  The
 * envelope (EE_PAYLOAD_PATH from STREAM_NAME/SIGNATURE/INSTANCE_ID, times,
 * signature) is added by the outbox.
 */
#include "core/common.h"

#include <jansson.h>

struct notif_spec {
	const char *module; /* "ConfigManager", "CommunicationManager", plugin class */
	const char *type;   /* NOTIF_TYPE_NORMAL ... */
	const char *msg;
	int code;                /* 0 = no code (null on the wire) */
	const char *info;        /* NULL = null info text */
	const char *stream;      /* NULL = null */
	const char *signature;   /* NULL = field absent */
	const char *instance_id; /* NULL = field absent */
	const char *initiator_id;
	const char *session_id;
	bool with_ids; /* write INITIATOR_ID / SESSION_ID even when NULL */
	bool displayed;
};

/*
 * A new notification object; `extra` (may be NULL) is an object whose
 * members are added with upper-cased keys, and is stolen.  `timestamp` is
 * the TIMESTAMP text ("%Y-%m-%d %H:%M:%S.%f").  NULL on OOM.
 */
json_t *notif_build(const struct notif_spec *s, const char *timestamp, json_t *extra);

/* Upper-case ASCII letters of a key into out (cap bytes); false if it does not fit. */
bool key_upper(const char *key, char *out, size_t cap);

#endif
