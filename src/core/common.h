#ifndef R1_CORE_COMMON_H
#define R1_CORE_COMMON_H
/*
 * The first include of every .c file in the project: config.h, the system
 * headers nearly every file needs, then banned.h.  Headers included after
 * this one must not redeclare the banned functions (the system headers are
 * already in, so their include guards keep them quiet).
 */
#include <config.h> /* autoconf's, not core/config.h */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define R1_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define R1_MIN(a, b) ((a) < (b) ? (a) : (b))
#define R1_MAX(a, b) ((a) > (b) ? (a) : (b))
#define R1_UNUSED __attribute__((unused))
#define R1_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define R1_WARN_UNUSED __attribute__((warn_unused_result))
#define R1_ALWAYS_INLINE inline __attribute__((always_inline))

/* Protocol limit: the reference drops serialized messages above 2 MB. */
#define R1_MAX_MESSAGE_LEN (2u * 1024u * 1024u)

#include "banned.h"

#endif
