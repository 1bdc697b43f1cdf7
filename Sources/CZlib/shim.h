// zlib (Debian: zlib1g-dev): used only for crc32 in the trace format.
#include <zlib.h>
