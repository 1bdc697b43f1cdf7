import CDeflate

/// CRC-32 (ISO-HDLC, as in zip and PNG: zlib's crc32); `crc` continues a previous value.
/// Computed by libdeflate (carry-less multiplication, PCLMULQDQ, when the CPU has it); the tests
/// check it against zlib's crc32 (ChecksumTests).
enum Checksum {
    /// Whether a stored CRC matches. The fuzz build (-D ATTNTRACE_FUZZ) accepts any CRC, so that
    /// mutated inputs reach the record decoders instead of stopping at the first checksum.
    @inline(__always) static func matches(_ stored: UInt32, _ computed: UInt32) -> Bool {
        #if ATTNTRACE_FUZZ
        return true
        #else
        return stored == computed
        #endif
    }

    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return libdeflate_crc32(crc, base, bytes.count)
    }

    /// The CRC of a chunk being encoded: over its length and step fields, then its payload.
    static func chunkCRC(_ w: ByteWriter) -> UInt32 {
        w.withUnsafeBytes { b in
            let c = crc32(UnsafeRawBufferPointer(rebasing: b[8..<16]))
            return crc32(UnsafeRawBufferPointer(rebasing: b[Format.chunkHeaderSize...]), continuing: c)
        }
    }

    static func crc32(_ bytes: [UInt8], range: Range<Int>, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[range]), continuing: crc) }
    }
}
