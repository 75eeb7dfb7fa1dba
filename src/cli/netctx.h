#ifndef R1_CLI_NETCTX_H
#define R1_CLI_NETCTX_H
/*
 * What the commands share: the settings (XDG paths, the config file, the
 * EE_* environment, the global flags), the user's identity, and, for the
 * commands that talk to a network, a running one: either the embedded local
 * network (an oracle node and the local node from src/node, in this
 * process, on an in-process bus) or a broker joined over MQTT, with the
 * netmap fed and the first map or heartbeats awaited.
 *
 * Functions here print what goes wrong (one line each, on stderr) and
 * return the exit status the command should end with.
 */
#include "core/lib.h"
#include "core/config.h"
#include "core/identity.h"
#include "core/paths.h"
#include "cli/args.h"

struct netctx_env {
	struct r1_paths paths;
	char *config_path;
	struct config_file file;
	struct r1_settings set;
};

/*
 * Paths, config file and settings from the global flags.  A config file
 * with bad lines fails with EXIT_USAGE after printing every bad line
 * (unless `tolerate_bad_file`, for `config show`).
 */
int netctx_env_load(struct netctx_env *env, const struct cli_global *g, bool tolerate_bad_file);
void netctx_env_release(struct netctx_env *env);

/*
 * The user's identity from the settings' key file.  When the file does not
 * exist and `create` is set, a new key is made there (as the SDK does on
 * first use) and a note goes to stderr.  EXIT_OK or EXIT_FAIL.
 */
int netctx_identity(const struct netctx_env *env, struct r1_identity *id, bool create);

#endif
