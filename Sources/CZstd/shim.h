// zstd from Debian (libzstd-dev): the classic protocol's CLIENT_ZSTD_COMPRESSION_ALGORITHM.
#include <zstd.h>
