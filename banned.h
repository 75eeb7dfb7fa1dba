#ifndef R1_BANNED_H
#define R1_BANNED_H
/*
 * Functions we do not use, made to fail at compile time (the idea is Git's).
 * Included last by src/core/common.h, after every system header it needs.
 *  - strcpy/strcat/sprintf/vsprintf: no bound on the destination; use
 *    snprintf or struct buf.
 *  - strtok: hidden state; use strtok_r or an explicit scanner.
 *  - gmtime/localtime/ctime/asctime: static result buffers; use the _r forms.
 */
#define R1_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) R1_BANNED(strcpy)
#undef strcat
#define strcat(x, y) R1_BANNED(strcat)
#undef sprintf
#define sprintf(...) R1_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) R1_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) R1_BANNED(strtok)
#undef gmtime
#define gmtime(t) R1_BANNED(gmtime)
#undef localtime
#define localtime(t) R1_BANNED(localtime)
#undef ctime
#define ctime(t) R1_BANNED(ctime)
#undef asctime
#define asctime(t) R1_BANNED(asctime)

#endif
