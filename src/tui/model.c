/*
 * The console's model struct (see model.h): the streams it owns and the
 * defaults; everything else in it is borrowed and filled by the owner.
 */
#include "tui/lib.h"
#include "tui/model.h"

#include <time.h>

enum r1_err tui_model_init(struct tui_model *m)
{
	memset(m, 0, sizeof(*m));
	epoch_params_for(&m->epochs, EPOCH_NET_MAINNET);
	for (int k = 0; k < STREAM__COUNT; k++) {
		if (stream_init(&m->streams[k], 0, 0) != R1_OK) {
			tui_model_release(m);
			return R1_ERR_NOMEM;
		}
	}
	m->now_ms = tui_wall_ms();
	return R1_OK;
}

void tui_model_release(struct tui_model *m)
{
	for (int k = 0; k < STREAM__COUNT; k++)
		stream_release(&m->streams[k]);
}

const struct stream_entry *tui_model_add(struct tui_model *m, enum stream_kind k,
                                         const struct stream_msg *msg, int64_t now_ms)
{
	const struct stream_entry *e = stream_add(&m->streams[k], msg, now_ms);
	if (e && m->on_stream)
		m->on_stream(m->on_stream_ctx, k, e);
	return e;
}

int64_t tui_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
