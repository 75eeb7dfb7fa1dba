/* Placeholder so the archive is never empty; removed when node code lands. */
#include "node/lib.h"
int r1_node_placeholder(void);
int r1_node_placeholder(void)
{
	return 0;
}
