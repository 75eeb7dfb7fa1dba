#ifndef R1_CLI_LOCALAPI_H
#define R1_CLI_LOCALAPI_H
/*
 * Where the CLI finds the HTTP API of a node on this machine (the routes
 * apps use), by the one rule `cstore` and `r1fs` share: --port N; else
 * --node ALIAS when that node is hosted here (the port it recorded in its
 * directory; a node that is not hosted here is for the network instead);
 * else the API URL of the environment, read as the TypeScript client reads
 * it; else the service's default port.  It reads the environment and one
 * small file, never the network, and prints nothing.
 */
#include "core/lib.h"

struct localapi_service {
	const char *port_file;  /* in the node's directory, e.g. "cstore-api.port" */
	const char *url_env[2]; /* the first one set wins, e.g. "CSTORE_API_URL" */
	uint16_t default_port;
};

struct localapi {
	char host[64]; /* numeric; "localhost" becomes 127.0.0.1 */
	uint16_t port;
	bool remote; /* --node names a node not hosted here: go over the network */
};

/*
 * Apply the rule to the --port value (0: not given) and --node (NULL: not
 * given).  R1_ERR_INVAL with a reason a person can read (a port outside
 * 1..65535, an API URL that is not "[http://]host:port[/]").
 */
enum r1_err localapi_find(const struct localapi_service *svc, long long port, const char *node,
                          struct localapi *out, char **why);

/*
 * "[scheme://]host:port[/]" into host and port, as the TypeScript client
 * takes its API URL.  False when it is not that.
 */
bool localapi_parse_url(const char *url, char *host, size_t hostsz, uint16_t *port);

#endif
