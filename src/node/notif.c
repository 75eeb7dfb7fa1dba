/*
 * Notification bodies (see notif.h).  Every field the reference writes is
 * written, null where it has nothing, so readers that index fields
 * unconditionally (the SDK's transactions) never miss a key.
 */
#include "node/lib.h"
#include "node/notif.h"
#include "core/proto.h"

bool key_upper(const char *key, char *out, size_t cap)
{
	size_t n = strlen(key);
	if (n + 1 > cap)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = key[i];
		out[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	return true;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Truncate to `max` characters (UTF-8 code points), as msg[:255] does. */
static json_t *truncated(const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	while (s[i]) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
		i++;
	}
	return json_stringn(s, i);
}

json_t *notif_build(const struct notif_spec *s, const char *timestamp, json_t *extra)
{
	json_t *o = json_object();
	if (!o) {
		json_decref(extra);
		return NULL;
	}
	char info[1024];
	snprintf(info, sizeof(info), "EE app v%s, core v%s, SDK v%s, info text: %s", R1_APP_VERSION,
	         R1_CORE_VERSION, R1_SDK_VERSION, s->info ? s->info : "None");
	const char *tag = s->code ? notif_code_tag(s->code) : NULL;
	int rc = 0;
	rc |= json_object_set_new(o, K_MODULE, json_string(s->module ? s->module : "Node"));
	rc |= json_object_set_new(o, K_NOTIFICATION_TYPE,
	                          json_string(s->type ? s->type : NOTIF_TYPE_NORMAL));
	rc |= json_object_set_new(o, K_NOTIFICATION,
	                          truncated(s->msg ? s->msg : "", NOTIFICATION_TEXT_MAX));
	rc |= json_object_set_new(o, K_NOTIFICATION_CODE,
	                          s->code ? json_integer(s->code) : json_null());
	rc |= json_object_set_new(o, K_NOTIFICATION_TAG, str_or_null(tag));
	rc |= json_object_set_new(o, K_INFO, json_string(info));
	rc |= json_object_set_new(o, K_STREAM_NAME, str_or_null(s->stream));
	rc |= json_object_set_new(o, K_TIMESTAMP, json_string(timestamp ? timestamp : ""));
	rc |=
	    json_object_set_new(o, K_ERROR_CODE, s->code < 0 ? json_integer(s->code) : json_null());
	if (s->signature)
		rc |= json_object_set_new(o, K_SIGNATURE, json_string(s->signature));
	if (s->instance_id)
		rc |= json_object_set_new(o, K_INSTANCE_ID, json_string(s->instance_id));
	if (s->initiator_id || s->with_ids)
		rc |= json_object_set_new(o, K_INITIATOR_ID, str_or_null(s->initiator_id));
	if (s->session_id || s->with_ids)
		rc |= json_object_set_new(o, K_SESSION_ID, str_or_null(s->session_id));
	rc |= json_object_set_new(o, K_DISPLAYED, json_boolean(s->displayed));
	if (extra) {
		const char *key;
		json_t *v;
		json_object_foreach(extra, key, v)
		{
			char up[128];
			if (key_upper(key, up, sizeof(up)))
				rc |= json_object_set(o, up, v);
		}
		json_decref(extra);
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}
