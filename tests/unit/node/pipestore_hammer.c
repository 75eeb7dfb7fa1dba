/*
 * Helper of tests/integration/node_killed.sh: `write DB` rewrites two
 * pipelines in one transaction, forever, every value of generation N
 * carrying N (and a few hundred KB of padding, so that each write takes a
 * while), printing N after each commit; `check DB` loads what is stored and
 * verifies that both pipelines exist and every value carries the same
 * generation, printing it.  The shell test kills the writer with SIGKILL
 * at random moments and runs the check: a crash must leave the old or the
 * new generation, never a mix.
 */
#include "node/lib.h"
#include "node/pipestore.h"
#include "core/db.h"

#include <jansson.h>

static json_t *pipeline(const char *name, json_int_t gen)
{
	json_t *insts = json_array();
	for (int i = 0; i < 40; i++) {
		char iid[32], pad[4096];
		snprintf(iid, sizeof(iid), "inst_%02d", i);
		memset(pad, 'a' + (int)(gen % 26), sizeof(pad) - 1);
		pad[sizeof(pad) - 1] = '\0';
		json_array_append_new(
		    insts, json_pack("{s:s,s:I,s:s}", "INSTANCE_ID", iid, "GEN", gen, "PAD", pad));
	}
	return json_pack("{s:s,s:s,s:I,s:[{s:s,s:o}]}", "NAME", name, "TYPE", "Void", "GEN", gen,
	                 "PLUGINS", "SIGNATURE", "ECHO_01", "INSTANCES", insts);
}

static int check(struct pipestore *ps)
{
	json_t *all = NULL;
	char *why = NULL;
	if (pipestore_load_all(ps, &all, NULL, &why)) {
		fprintf(stderr, "load: %s\n", why);
		return 1;
	}
	if (json_array_size(all) == 0) {
		printf("empty\n");
		json_decref(all);
		return 0;
	}
	if (json_array_size(all) != 2) {
		fprintf(stderr, "expected 2 pipelines, found %zu\n", json_array_size(all));
		return 1;
	}
	json_int_t gen = -1;
	size_t i;
	json_t *p;
	int bad = 0;
	json_array_foreach(all, i, p)
	{
		json_int_t g = json_integer_value(json_object_get(p, "GEN"));
		if (gen < 0)
			gen = g;
		if (g != gen)
			bad++;
		size_t j;
		json_t *inst;
		json_array_foreach(
		    json_object_get(json_array_get(json_object_get(p, "PLUGINS"), 0), "INSTANCES"),
		    j, inst)
		{
			if (json_integer_value(json_object_get(inst, "GEN")) != gen)
				bad++;
			const char *pad = json_string_value(json_object_get(inst, "PAD"));
			if (!pad || pad[0] != 'a' + (int)(gen % 26) || strlen(pad) != 4095)
				bad++;
		}
	}
	json_decref(all);
	if (bad) {
		fprintf(stderr, "mixed generations: %d values differ from %lld\n", bad,
		        (long long)gen);
		return 1;
	}
	printf("%lld\n", (long long)gen);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "write") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: pipestore_hammer write|check DB\n");
		return 2;
	}
	r1_alloc_setup_jansson();
	sqlite3 *db = NULL;
	char *why = NULL;
	if (db_open(argv[2], &db, &why)) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	struct pipestore *ps = pipestore_open(db, &why);
	if (!ps) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	int rc = 0;
	if (strcmp(argv[1], "check") == 0) {
		rc = check(ps);
	} else {
		for (json_int_t gen = 1;; gen++) {
			json_t *v[2] = {pipeline("p", gen), pipeline("q", gen)};
			if (pipestore_put_many(ps, v, 2, &why)) {
				fprintf(stderr, "write: %s\n", why);
				rc = 1;
				break;
			}
			json_decref(v[0]);
			json_decref(v[1]);
			printf("%lld\n", (long long)gen);
			fflush(stdout);
		}
	}
	pipestore_free(&ps);
	db_close(&db);
	return rc;
}
