/* Placeholder so the archive is never empty; removed when tui code lands. */
#include "tui/lib.h"
int r1_tui_placeholder(void);
int r1_tui_placeholder(void)
{
	return 0;
}
