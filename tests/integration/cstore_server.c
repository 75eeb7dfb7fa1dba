/*
 * cstore_server: a CStore HTTP API backed by a three-node in-process test
 * network (tests/unit/cstore/net.c: real engines, real payload encryption),
 * for shell tests of the CLI and of the official TypeScript client.  It
 * serves node A's API on 127.0.0.1:PORT (0 = any), prints "PORT <n>" and
 * the three addresses once listening, and runs until SIGTERM or SIGINT.
 * Not the node: the full three-process test over mosquitto is in
 * cstore_nodes.sh.
 *
 *   cstore_server PORT [--readonly-key KEY]
 */
#include "node/lib.h"
#include "node/cstore/cstore_http.h"
#include "tests/tap.h"
#include "tests/unit/cstore/net.h"

#include <poll.h>
#include <signal.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: cstore_server PORT [--readonly-key KEY]\n");
		return 2;
	}
	r1_alloc_setup_jansson();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	cfg.timeout_ms = 2000;
	struct net net;
	net_init(&net, 3, &cfg, NULL);
	if (argc > 3 && strcmp(argv[2], "--readonly-key") == 0) {
		/* a key owned by node B, readonly, for refusal tests */
		struct cstore_write w = CSTORE_WRITE_INIT;
		w.readonly = true;
		enum cstore_outcome o;
		cstore_set(net.node[1].cs, argv[3], "\"owned by B\"", &w, NULL, NULL, &o, NULL,
		           NULL);
		net_run(&net);
	}
	struct httpapi_config hc = {.port = (uint16_t)atoi(argv[1])};
	struct httpapi_identity id = {net.node[0].id.addr, net.node[0].alias, net.node[0].id.eth,
	                              "devnet", "2.10.370"};
	struct cstore_http *server = NULL;
	char *why = NULL;
	if (cstore_http_new(net.node[0].cs, &hc, &id, NULL, &server, &why)) {
		fprintf(stderr, "cstore_server: %s\n", why);
		return 1;
	}
	struct httpapi *h = cstore_http_server(server);
	printf("PORT %u\n", httpapi_port(h));
	for (int i = 0; i < net.n; i++)
		printf("NODE %c %s\n", 'A' + i, net.node[i].id.addr);
	fflush(stdout);
	uint64_t last = 0;
	while (!stop) {
		int fds[2];
		size_t nfds = httpapi_fds(h, fds);
		struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
		int64_t t = httpapi_timeout_ms(h);
		poll(p, nfds, t < 0 || t > 10 ? 10 : (int)t);
		httpapi_run(h);
		net_run(&net);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (last)
			net_advance(&net, now - last);
		last = now;
	}
	cstore_http_free(&server);
	net_free(&net);
	return 0;
}
