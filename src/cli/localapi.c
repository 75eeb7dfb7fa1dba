/*
 * Finding a local node's HTTP API (see localapi.h): the environment, the
 * port file a hosted node writes in its directory (see chain_store_base.c
 * and r1fs_manager.c), the defaults.  Nothing here connects.
 */
#include "core/lib.h"
#include "cli/localapi.h"
#include "core/i18n.h"
#include "core/paths.h"

static bool parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 65535)
			return false;
	}
	if (v < 1)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool localapi_parse_url(const char *url, char *host, size_t hostsz, uint16_t *port)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *colon = strrchr(p, ':');
	if (!colon)
		return false;
	size_t plen = strcspn(colon + 1, "/"), hlen = (size_t)(colon - p);
	if (!parse_port(colon + 1, plen, port) || hlen == 0 || hlen >= hostsz)
		return false;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hostsz, "127.0.0.1");
	return true;
}

/* The port a node hosted here recorded in its directory, 0 when none. */
static uint16_t hosted_port(const char *alias, const char *port_file)
{
	struct r1_paths paths;
	char *dir = NULL;
	if (paths_init(&paths, NULL, NULL, NULL))
		return 0;
	enum r1_err e = paths_node_dir(&paths, alias, &dir, NULL);
	paths_release(&paths);
	if (e)
		return 0;
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", dir, port_file);
	r1_free(dir);
	FILE *f = buf_ok(&path) ? fopen(path.data, "r") : NULL;
	buf_release(&path);
	if (!f)
		return 0;
	char line[16] = "";
	uint16_t port = 0;
	if (fgets(line, sizeof(line), f) && !parse_port(line, strcspn(line, "\r\n"), &port))
		port = 0;
	fclose(f);
	return port;
}

enum r1_err localapi_find(const struct localapi_service *svc, long long port, const char *node,
                          struct localapi *out, char **why)
{
	*out = (struct localapi){.host = "127.0.0.1"};
	if (port) {
		if (port < 1 || port > 65535)
			return r1_fail(why, R1_ERR_INVAL, _("bad port %lld"), port);
		out->port = (uint16_t)port;
		return R1_OK;
	}
	if (node) {
		out->port = hosted_port(node, svc->port_file);
		out->remote = out->port == 0;
		return R1_OK;
	}
	const char *url = NULL;
	for (size_t i = 0; i < R1_ARRAY_LEN(svc->url_env) && !(url && *url); i++)
		url = svc->url_env[i] ? getenv(svc->url_env[i]) : NULL;
	if (!url || !*url) {
		out->port = svc->default_port;
		return R1_OK;
	}
	if (!localapi_parse_url(url, out->host, sizeof(out->host), &out->port))
		return r1_fail(why, R1_ERR_INVAL, _("cannot read the API address '%s'"), url);
	return R1_OK;
}
