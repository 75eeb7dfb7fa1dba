/*
 * libFuzzer target: envelope_verify_wire on arbitrary bytes, with the ETH
 * flag on and off.  Every input must give a verdict with a reason (or be
 * valid), and never crash.  Build: make fuzz (needs CC=clang).
 */
#include "core/lib.h"
#include "core/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct envelope_ctx ctx;
	static bool ready;
	if (!ready) {
		if (envelope_ctx_init(&ctx, NULL))
			abort();
		ready = true;
	}
	for (int eth = 0; eth < 2; eth++) {
		struct envelope_verdict v;
		enum envelope_status s =
		    envelope_verify_wire(&ctx, (const char *)data, size, eth, &v);
		if (s != v.status || (s != ENVELOPE_OK && !v.reason[0]))
			abort();
	}
	return 0;
}
