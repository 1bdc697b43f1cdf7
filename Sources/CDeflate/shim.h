// libdeflate (Debian: libdeflate-dev): used only for libdeflate_crc32 in the trace format, which
// computes zlib's CRC-32 with PCLMULQDQ (several times faster than zlib 1.2.13's crc32).
#include <libdeflate.h>
