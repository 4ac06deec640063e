// zlib from Debian (zlib1g-dev): the classic protocol's CLIENT_COMPRESS.
#include <zlib.h>
