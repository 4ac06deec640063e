// PCRE2 with 8-bit code units (UTF-8 statements). Its API names are macros that expand to the
// `_8` functions, which is what Swift sees: `pcre2_compile_8`, `pcre2_match_8`, ...
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
