// Encoding primitives: little-endian fixed-width integers, LEB128 varints, zigzag, strings,
// and the fixed-point and half-float forms of Float that the records use (see Quantize.swift).

/// A growable byte buffer that records are encoded into. Reused between chunks so that
/// steady-state writing does not allocate.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }
    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    // MARK: - Fixed width

    @inline(__always) mutating func u8(_ v: UInt8) { bytes.append(v) }

    @inline(__always) mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    mutating func u32(_ v: UInt32) {
        for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }

    mutating func u64(_ v: UInt64) {
        for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
    }

    /// Overwrites 4 bytes at `at` (used for sizes known only after a block is written).
    mutating func patchU32(_ v: UInt32, at: Int) {
        for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) }
    }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    // MARK: - Variable width

    /// Unsigned LEB128: 7 bits per byte, high bit set on all but the last byte.
    @inline(__always) mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) mutating func varint(_ v: Int) { varint(UInt64(bitPattern: Int64(v))) }

    /// Zigzag then LEB128, so that small negative numbers stay small.
    @inline(__always) mutating func zigzag(_ v: Int) {
        let w = Int64(v)
        varint(UInt64(bitPattern: (w << 1) ^ (w >> 63)))
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    // MARK: - Floats

    @inline(__always) mutating func unit16(_ v: Float) { u16(Quantize.unit16(v)) }
    @inline(__always) mutating func half(_ v: Float) { u16(Float16(v).bitPattern) }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }

    // MARK: - Records

    /// Writes `kind`, then a length placeholder big enough for any record, runs `body`, and fills in
    /// the length. The length is a 4-byte "padded" varint (values < 2^28), so that it can be patched
    /// in place. A record of 256 MB or more throws `RecordTooLarge` (chunks are capped below that).
    mutating func record(_ kind: RecordKind, _ body: (inout ByteWriter) throws -> Void) throws {
        varint(kind.rawValue)
        let lengthAt = bytes.count
        bytes.append(contentsOf: [0x80, 0x80, 0x80, 0x00])
        let start = bytes.count
        try body(&self)
        if bytes.count - start >= (1 << 28) { throw RecordTooLarge(kind: kind, bytes: bytes.count - start) }
        let n = UInt32(bytes.count - start)
        bytes[lengthAt] = UInt8(n & 0x7F) | 0x80
        bytes[lengthAt + 1] = UInt8((n >> 7) & 0x7F) | 0x80
        bytes[lengthAt + 2] = UInt8((n >> 14) & 0x7F) | 0x80
        bytes[lengthAt + 3] = UInt8((n >> 21) & 0x7F)
    }
}

struct RecordTooLarge: Error {
    var kind: RecordKind
    var bytes: Int
}
