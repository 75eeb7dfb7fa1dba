#ifndef R1_CORE_CONFIG_H
#define R1_CORE_CONFIG_H
/*
 * r1console's configuration: the file $XDG_CONFIG_HOME/r1console/config with
 * named network profiles, the EE_* environment variables the Python SDK also
 * reads, and command-line flags.  Later sources win:
 *
 *     built-in defaults < profile in the file < environment < flags
 *
 * The file is INI-like, one setting per line:
 *
 *     # comments take whole lines (values may contain '#')
 *     alias = ops-console
 *     profile = mainnet
 *
 *     [profile mainnet]
 *     broker = mqtts://user:secret@broker.example.com:8883
 *     root = naeural
 *     oracles = 0xai_Aj1F..., 0xai_AzyS...
 *     identity = /home/me/.local/share/r1console/client/e2.pem
 *     timeout = 10
 *     online-timeout = 60
 *     encrypt = yes
 *     cafile = /etc/ssl/certs/my-ca.pem
 *
 * Top-level keys, before any section: `alias` (our INITIATOR_ID and
 * SESSION_ID), `profile` (the one used without --profile) and `theme` (the
 * console's colours: default, light, 16color, high-contrast, mono).  Profile
 * keys:
 * `broker` ("local", the default, is the embedded local network: an oracle
 * and a node in this process, no broker; or mqtt[s]://user:pass@host:port),
 * `root` (topic root, "naeural"), `oracles` (addresses whose NET_MON_01 maps
 * are trusted, separated by commas or spaces; the key may repeat),
 * `identity` (key file), `timeout` (seconds a command waits for its
 * confirmation, 10), `online-timeout` (seconds without news before a node is
 * offline, 60), `encrypt` (yes/no: commands encrypted to the node, yes),
 * `cafile` (CA bundle for mqtts).  Values may be wrapped in double quotes.
 * Every bad line gives one message naming the file, the line and what is
 * wrong; parsing goes on so all of them are reported at once.
 *
 * Environment (as the SDK, section 1.3 of the reference): EE_MQTT_HOST
 * (EE_HOSTNAME, EE_HOST), EE_MQTT_PORT (EE_PORT), EE_MQTT_USER (EE_USERNAME,
 * EE_USER, AIXP_USERNAME, AIXP_USER), EE_MQTT (EE_PASSWORD, EE_PASS,
 * EE_PWD, AIXP_PASSWORD), EE_SECURED (EE_MQTT_SECURED), EE_CERT_PATH,
 * EE_ROOT_TOPIC, EE_SDK_ALIAS, EE_MQTT_COMMAND_QOS, EE_MQTT_HEARTBEAT_QOS.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/paths.h"

#define CONFIG_FILE_MAX (256u * 1024u)
#define CONFIG_NAME_MAX 64

/* A broker as a URL describes it: local, or mqtt[s]://user:pass@host:port. */
struct r1_broker {
	bool local; /* the embedded in-process network */
	bool tls;   /* mqtts:// or EE_SECURED */
	char *host;
	int port;   /* 1883 or 8883 unless given */
	char *user; /* NULL when none */
	char *pass;
	char *cafile; /* NULL: the system's CAs */
};

/* A profile as the file gives it: NULL / 0 / -1 mean "not set here". */
struct config_profile {
	char *name;
	char *broker; /* the URL text, checked by config_broker_parse */
	char *root;
	char **oracles;
	size_t n_oracles;
	char *identity;
	char *cafile;
	double timeout_s;
	double online_timeout_s;
	int encrypt; /* -1 unset, 0 no, 1 yes */
	int line;    /* where its section starts */
};

struct config_file {
	char *origin; /* the path, for messages */
	char *alias;
	char *default_profile;
	char *theme; /* the console's theme, NULL = not set */
	struct config_profile *profiles;
	size_t n_profiles;
	char **errors; /* "FILE:LINE: what is wrong", one per bad line */
	size_t n_errors;
};

/*
 * Parse config text.  Bad lines are collected in out->errors (the function
 * still returns R1_OK); only R1_ERR_NOMEM and R1_ERR_TOOBIG (text above
 * CONFIG_FILE_MAX) fail.  `origin` names the file in messages.
 */
enum r1_err config_file_parse(const char *text, size_t len, const char *origin,
                              struct config_file *out, char **why);
/* Read and parse a file; a missing file is an empty config (R1_OK). */
enum r1_err config_file_load(const char *path, struct config_file *out, char **why);
void config_file_release(struct config_file *cf);
/* The profile called `name`, or NULL. */
const struct config_profile *config_file_profile(const struct config_file *cf, const char *name);

/*
 * Change one setting in the file at `path`, keeping every other line,
 * comment and the order as they are: `section` NULL is the top level,
 * otherwise the profile of that name (created at the end when missing).
 * `value` NULL removes the key.  The file is replaced atomically, mode
 * 0600 (it may hold a password).  The result is parsed before it is
 * written: R1_ERR_INVAL if the change would make a bad line.  R1_ERR_IO.
 */
enum r1_err config_file_set(const char *path, const char *section, const char *key,
                            const char *value, char **why);

/* Parse a broker URL ("local", "mqtt://h:p", "mqtts://u:p@h", "h:p"). R1_ERR_INVAL. */
enum r1_err config_broker_parse(const char *url, struct r1_broker *out, char **why);
void config_broker_release(struct r1_broker *b);
/* The broker as a URL, with the password replaced by "***" unless show_pass. */
char *config_broker_url(const struct r1_broker *b, bool show_pass);

/* What the command line asked for; NULL / 0 mean "not given". */
struct config_flags {
	const char *profile;
	const char *broker;
	const char *root;
	const char *identity;
	const char *alias;
	double timeout_s;
	double online_timeout_s;
};

/* The settings a program runs with. */
struct r1_settings {
	char *profile; /* name of the profile used ("local" when none) */
	char *alias;
	struct r1_broker broker;
	char *root;
	char **oracles; /* 0xai_ addresses as configured */
	size_t n_oracles;
	char *identity;      /* key file path */
	unsigned timeout_ms; /* a transaction's timeout */
	unsigned online_timeout_ms;
	bool encrypt;    /* commands encrypted to the node */
	int command_qos; /* 0..2 */
	int heartbeat_qos;
	char *broker_from; /* "default", "profile NAME", "environment", "flag" */
};

typedef const char *(*config_env_fn)(void *ctx, const char *name);

/*
 * Combine defaults, the file, the environment (`env` NULL = getenv) and
 * `flags` into `out`.  A --profile that does not exist, a bad broker URL,
 * a bad EE_* value or a bad flag fail with R1_ERR_INVAL and one line saying
 * which.  The file's own bad lines are not checked here (see errors).
 */
enum r1_err config_resolve(const struct config_file *cf, const struct config_flags *flags,
                           config_env_fn env, void *env_ctx, const struct r1_paths *paths,
                           struct r1_settings *out, char **why);
void config_settings_release(struct r1_settings *s);

#endif
