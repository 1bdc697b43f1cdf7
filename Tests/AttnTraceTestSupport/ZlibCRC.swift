// zlib's CRC-32: the reference the trace format's checksum (libdeflate) is checked against. Only
// the tests link zlib.

import CZlib

public enum ZlibCRC {
    /// CRC-32 (ISO-HDLC) of `bytes`, continuing `crc`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        var c = UInt(crc)
        var p = base.assumingMemoryBound(to: UInt8.self)
        var left = bytes.count
        while left > 0 {   // zlib takes a uInt length: feed at most 1 GB at a time
            let n = min(left, 1 << 30)
            c = CZlib.crc32(c, p, uInt(n))
            p += n; left -= n
        }
        return UInt32(truncatingIfNeeded: c)
    }
}
