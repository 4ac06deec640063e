// PCRE2 with 8-bit code units (UTF-8 statements). Its API names are macros that expand to the
// `_8` functions, which is what Swift sees: `pcre2_compile_8`, `pcre2_match_8`, ...
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

// memmem (a GNU extension string.h declares only with _GNU_SOURCE), for the literal checks that
// rule a pattern out before PCRE2 matches it.
#include <stddef.h>
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
