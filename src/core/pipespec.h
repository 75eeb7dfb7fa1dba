#ifndef R1_CORE_PIPESPEC_H
#define R1_CORE_PIPESPEC_H
/*
 * A pipeline on a node as a control-plane client sees it, with the SDK's
 * life cycle of changes (base/pipeline.py, base/instance.py): what the node
 * confirmed (`config`), what we propose, what was sent and awaits
 * confirmation (`staged`).  Deploying turns the proposals into one command
 * and the list of notifications that confirm it, chosen as the SDK chooses:
 *
 *  - UPDATE_CONFIG with the whole proposed pipeline ({NAME, DEFAULT_PLUGIN:
 *    false, PLUGINS: [{SIGNATURE, INSTANCES: [{INSTANCE_ID, ...}]}], ...the
 *    pipeline keys}) when the pipeline's own keys changed, an instance was
 *    added or one is being removed;
 *  - BATCH_UPDATE_PIPELINE_INSTANCE ([{NAME, SIGNATURE, INSTANCE_ID,
 *    INSTANCE_CONFIG: {INSTANCE_ID, ...the changed keys}}]) when only
 *    existing instances changed;
 *  - nothing when nothing changed.
 *
 * Confirmations: PIPELINE_OK for the pipeline when its keys changed; for
 * each changed or new instance PIPELINE_OK and PLUGIN_CONFIG_OK; for each
 * removed instance PIPELINE_OK.
 *
 * Plain data: no clock, no transport.  Keys of configs are upper-cased as
 * the SDK does.  Objects handed in are copied.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/identity.h"

#include <jansson.h>

struct pipespec_instance {
	char *signature; /* upper-case */
	char *instance_id;
	json_t *config;   /* confirmed keys (without INSTANCE_ID) */
	json_t *proposed; /* pending keys, NULL = none */
	json_t *staged;   /* sent, awaiting confirmation */
	bool removing;    /* proposed for removal */
};

struct pipespec {
	char node_addr[R1_ADDR_LEN + 1];
	char *name;
	json_t *config;   /* confirmed pipeline keys (no NAME, no PLUGINS) */
	json_t *proposed; /* pending pipeline keys, NULL = none */
	json_t *staged;
	struct pipespec_instance *inst;
	size_t n_inst;
};

/* What a deploy sends and what confirms it. */
struct pipespec_expect {
	bool instance; /* false: the pipeline */
	char *signature, *instance_id;
	int ok_code, fail_code;
};

struct pipespec_plan {
	const char *action; /* ACT_UPDATE_CONFIG or ACT_BATCH_UPDATE_PIPELINE_INSTANCE */
	json_t *payload;
	struct pipespec_expect *expect;
	size_t n_expect;
};

/*
 * A new pipeline `name` for the node: `config` holds its keys (TYPE, ...)
 * and may hold PLUGINS, whose instances are added as new ones; NAME in it
 * is ignored.  Everything is proposed.  R1_ERR_INVAL (no name, bad address,
 * config or PLUGINS malformed: the reason says where), R1_ERR_NOMEM.
 */
enum r1_err pipespec_new(const char *node_addr, const char *name, const json_t *config,
                         struct pipespec **out, char **why);
/*
 * The pipeline as the node runs it (a full config from NetConfig, with NAME
 * and PLUGINS): everything confirmed, nothing proposed.
 */
enum r1_err pipespec_attach(const char *node_addr, const json_t *existing, struct pipespec **out,
                            char **why);
void pipespec_free(struct pipespec **p);

struct pipespec_instance *pipespec_find(struct pipespec *p, const char *signature,
                                        const char *instance_id);

/* Propose a new instance.  R1_ERR_EXISTS, R1_ERR_INVAL, R1_ERR_NOMEM. */
enum r1_err pipespec_add_instance(struct pipespec *p, const char *signature,
                                  const char *instance_id, const json_t *config, char **why);
/*
 * Propose changed keys for an instance (keys equal to the confirmed ones
 * are dropped, as update_instance_config does).  R1_ERR_NOTFOUND,
 * R1_ERR_STATE (a change is already awaiting confirmation), R1_ERR_INVAL.
 */
enum r1_err pipespec_update_instance(struct pipespec *p, const char *signature,
                                     const char *instance_id, const json_t *delta, char **why);
/* Propose removing an instance.  R1_ERR_NOTFOUND. */
enum r1_err pipespec_remove_instance(struct pipespec *p, const char *signature,
                                     const char *instance_id, char **why);
/* Propose pipeline keys (update_acquisition_parameters).  R1_ERR_INVAL. */
enum r1_err pipespec_update_config(struct pipespec *p, const json_t *delta, char **why);

/*
 * Turn the proposals into a plan and stage them.  R1_ERR_NOTFOUND when
 * there is nothing to deploy, R1_ERR_STATE when a deploy is already
 * awaiting confirmation.  Release the plan with pipespec_plan_release.
 */
enum r1_err pipespec_plan_deploy(struct pipespec *p, struct pipespec_plan *plan, char **why);
void pipespec_plan_release(struct pipespec_plan *plan);

/* After the deploy's transaction: apply what was staged (ok) or drop it. */
void pipespec_settle(struct pipespec *p, bool ok);

/* The full config as it would be proposed now (for display and tests). */
json_t *pipespec_full_config(const struct pipespec *p);

#endif
