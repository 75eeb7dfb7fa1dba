#ifndef R1_NODE_CMDWHITELIST_H
#define R1_NODE_CMDWHITELIST_H
/*
 * Command templates any sender may use (the reference's
 * `whitelist_commands.json`): a JSON list of objects, each a template a
 * command matches when every key of the template is in the command with the
 * same value, recursively (objects match as subsets; a list in a template
 * matches when each of its items matches some item of the command's list).
 * This is the SDK's Logger.match_template.  The default file holds
 * {"ACTION": "FULL_HEARTBEAT"} and {"ACTION": "TIMERS_ONLY_HEARTBEAT"}.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

#define CMDWHITELIST_FILE "whitelist_commands.json"

/* The default templates (a new reference). */
json_t *cmdwhitelist_default(void);

/*
 * Load the templates from `path`, writing the defaults there first when the
 * file does not exist.  *out is a new reference to a JSON array.  A file
 * that is not a JSON list of objects is refused (R1_ERR_INVAL) and left
 * alone.  Errors: R1_ERR_IO, R1_ERR_INVAL, R1_ERR_NOMEM.
 */
enum r1_err cmdwhitelist_load(const char *path, json_t **out, char **why);
/* Rewrite `path` with the defaults (RESET_WHITELIST_COMMANDS_TO_TEMPLATE). */
enum r1_err cmdwhitelist_reset(const char *path, char **why);

/* Match one command (the decrypted message) against one template. */
bool cmdwhitelist_match(const json_t *command, const json_t *tmpl);
/* Whether any template of the list matches. */
bool cmdwhitelist_any(const json_t *templates, const json_t *command);

#endif
