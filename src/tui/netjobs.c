/*
 * Jobs from payloads (see netjobs.h): a small array keyed by sender,
 * instance and job id, each entry holding the newest payload.  Which
 * payloads are jobs' is a table of signatures with the field that names
 * the job and the field (and values) that say it ended.
 */
#include "tui/lib.h"
#include "tui/netjobs.h"
#include "core/proto.h"

#include <strings.h>

static const struct {
	const char *signature;
	enum netjob_kind kind;
	const char *id_key;    /* the job's name in the payload */
	const char *state_key; /* its state */
	const char *const ended[3];
} kinds[] = {
    {"CHAIN_DIST_MASTER_01", NETJOB_CHAINDIST, "JOB_ID", "STATE", {"FINISHED", NULL, NULL}},
    {"MATMUL_JOB_01", NETJOB_MATMUL, "REQUEST_ID", "JOB_STATE", {"DONE", "FAILED", "CANCELLED"}},
};

void netjobs_init(struct netjobs *j)
{
	memset(j, 0, sizeof(*j));
}

void netjobs_release(struct netjobs *j)
{
	for (size_t i = 0; i < j->n; i++)
		json_decref(j->jobs[i].body);
	memset(j, 0, sizeof(*j));
}

static const char *path_part(const json_t *body, size_t i)
{
	return json_string_value(json_array_get(json_object_get(body, K_EE_PAYLOAD_PATH), i));
}

/* The slot for a new job: a free one, else the oldest finished, else the oldest. */
static struct netjob *new_slot(struct netjobs *j)
{
	if (j->n < NETJOBS_MAX)
		return &j->jobs[j->n++];
	struct netjob *old = NULL;
	for (int pass = 0; pass < 2 && !old; pass++)
		for (size_t i = 0; i < j->n; i++) {
			struct netjob *x = &j->jobs[i];
			if ((pass || x->finished) && (!old || x->when_ms < old->when_ms))
				old = x;
		}
	json_decref(old->body);
	memset(old, 0, sizeof(*old));
	return old;
}

bool netjobs_payload(struct netjobs *j, const char *sender, const json_t *body, int64_t now_ms)
{
	const char *sig = path_part(body, 2);
	const char *inst = path_part(body, 3);
	if (!sig)
		sig = json_string_value(json_object_get(body, K_SIGNATURE));
	if (!inst)
		inst = json_string_value(json_object_get(body, K_INSTANCE_ID));
	if (!sig || !sender || !*sender)
		return false;
	size_t k = 0;
	while (k < R1_ARRAY_LEN(kinds) && strcasecmp(kinds[k].signature, sig) != 0)
		k++;
	if (k == R1_ARRAY_LEN(kinds))
		return false;
	const char *state = json_string_value(json_object_get(body, kinds[k].state_key));
	if (!state)
		return false; /* another payload of the plugin (an answer to a command) */
	const char *id = json_string_value(json_object_get(body, kinds[k].id_key));
	char sid[NETJOBS_ID_MAX + 1], sinst[65], ssend[R1_ADDR_LEN + 1];
	snprintf(sid, sizeof(sid), "%s", id ? id : "");
	snprintf(sinst, sizeof(sinst), "%s", inst ? inst : "");
	snprintf(ssend, sizeof(ssend), "%s", sender);
	struct netjob *x = NULL;
	for (size_t i = 0; i < j->n && !x; i++) {
		struct netjob *y = &j->jobs[i];
		if (y->kind == kinds[k].kind && strcmp(y->sender, ssend) == 0 &&
		    strcmp(y->instance, sinst) == 0 && strcmp(y->id, sid) == 0)
			x = y;
	}
	if (!x) {
		x = new_slot(j);
		x->kind = kinds[k].kind;
		memcpy(x->sender, ssend, sizeof(ssend));
		memcpy(x->instance, sinst, sizeof(sinst));
		memcpy(x->id, sid, sizeof(sid));
		x->first_ms = now_ms;
	}
	json_decref(x->body);
	x->body = json_incref((json_t *)body);
	x->when_ms = now_ms;
	x->finished = false;
	for (size_t e = 0; e < R1_ARRAY_LEN(kinds[k].ended) && kinds[k].ended[e]; e++)
		x->finished |= strcmp(state, kinds[k].ended[e]) == 0;
	j->changes++;
	return true;
}
