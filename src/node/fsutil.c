/*
 * Paths in the node directory (see fsutil.h).
 */
#include "node/lib.h"
#include "node/fsutil.h"

char *fs_join(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, dir);
	if (b.len && b.data[b.len - 1] != '/')
		buf_addc(&b, '/');
	buf_adds(&b, name);
	size_t n;
	return buf_detach(&b, &n);
}
