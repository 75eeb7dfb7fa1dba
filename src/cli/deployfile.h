#ifndef R1_CLI_DEPLOYFILE_H
#define R1_CLI_DEPLOYFILE_H
/*
 * The job file of `r1console deploy FILE.json`: a pipeline config as the
 * SDK sends it, plus TARGETS, the nodes to deploy it on (aliases or
 * addresses):
 *
 *   {"NAME": "echo-job", "TYPE": "Void",
 *    "PLUGINS": [{"SIGNATURE": "ECHO_01",
 *                 "INSTANCES": [{"INSTANCE_ID": "e1", "PROCESS_DELAY": 5}]}],
 *    "TARGETS": ["node-a", "0xai_Avm..."]}
 *
 * Parsing checks everything that can be checked without the network and
 * stops at the first problem with one line that says what and where:
 * "job.json:3:17: invalid JSON: ...", "job.json: PLUGINS[0].INSTANCES[1]:
 * missing INSTANCE_ID", "job.json: TARGETS[1]: '0xai_x' is not a valid node
 * address".  Whether an alias names a node is the caller's check, once the
 * network is known.
 */
#include "core/lib.h"

#include <jansson.h>

#define DEPLOY_TARGETS_MAX 256
#define DEPLOY_FILE_MAX    (4u * 1024u * 1024u)

struct deploy_job {
	char *name;     /* NAME */
	json_t *config; /* the pipeline config without TARGETS (owned) */
	char **targets; /* as written: aliases or addresses */
	size_t n_targets;
};

/*
 * Parse `len` bytes of job text; `origin` names the file in messages.
 * R1_ERR_INVAL with one line in *why; R1_ERR_NOMEM.
 */
enum r1_err deploy_job_parse(const char *text, size_t len, const char *origin,
                             struct deploy_job *out, char **why);
/* Read and parse a file (R1_ERR_IO, R1_ERR_NOTFOUND, R1_ERR_TOOBIG as well). */
enum r1_err deploy_job_load(const char *path, struct deploy_job *out, char **why);
void deploy_job_release(struct deploy_job *job);

/* Whether a target is written as an address (then it must be a valid one). */
bool deploy_target_is_address(const char *t);

#endif
