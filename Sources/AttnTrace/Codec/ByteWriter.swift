// Encoding primitives: little-endian fixed-width integers, LEB128 varints, zigzag, strings,
// and the fixed-point and half-float forms of Float that the records use (see Quantize.swift).

/// A growable byte buffer that records are encoded into. Reused between chunks so that
/// steady-state writing does not allocate.
///
/// Raw-pointer storage (the hot path stores bytes without Array's per-append checks) with
/// copy-on-write: a copy that is written to gets its own storage.
struct ByteWriter {
    private final class Storage {
        var base: UnsafeMutablePointer<UInt8>
        let capacity: Int
        init(capacity: Int) {
            self.capacity = max(capacity, 64)
            base = .allocate(capacity: self.capacity)
            base.initialize(repeating: 0, count: self.capacity)   // word loads past `count` read defined bytes
        }
        deinit { base.deallocate() }
    }

    private var storage: Storage
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 0) {
        storage = Storage(capacity: capacity)
        base = storage.base; self.capacity = storage.capacity
    }

    /// A copy of the bytes written so far.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    mutating func removeAll() { count = 0 }

    /// Makes room for `n` more bytes (and owns the storage); the `put` methods then store without checks.
    @inline(__always) mutating func reserve(_ n: Int) {
        if _slowPath(count + n > capacity || !isKnownUniquelyReferenced(&storage)) { grow(n) }
    }

    @inline(never) private mutating func grow(_ n: Int) {
        let newStorage = Storage(capacity: max(capacity * 2, count + n))
        newStorage.base.update(from: base, count: count)
        storage = newStorage
        base = newStorage.base; capacity = newStorage.capacity
    }

    // MARK: - Unchecked stores (after reserve)

    // Wrapping index arithmetic below: after `reserve`, count + n ≤ capacity cannot overflow.
    @inline(__always) mutating func putU8(_ v: UInt8) { base[count] = v; count &+= 1 }

    @inline(__always) mutating func putU16(_ v: UInt16) {
        base[count] = UInt8(truncatingIfNeeded: v); base[count &+ 1] = UInt8(truncatingIfNeeded: v >> 8)
        count &+= 2
    }

    /// Stores the 8 bytes of `v` (little-endian) and keeps the first `keeping` of them: the bit
    /// writer's flush. Needs 8 reserved bytes.
    @inline(__always) mutating func putWord(_ v: UInt64, keeping: Int) {
        UnsafeMutableRawPointer(base + count).storeBytes(of: v.littleEndian, as: UInt64.self)
        count &+= keeping
    }

    /// Appends `n` bytes from `src`, copied in whole words, the first two always (most top-sink
    /// bitstreams are shorter than 16 bytes: no loop branch to mispredict): reads and stores up to
    /// max(16, n + 7) bytes, so both sides need that room (here: max(16, n + 8) reserved).
    @inline(__always) mutating func putWords(_ src: UnsafeRawPointer, count n: Int) {
        let to = UnsafeMutableRawPointer(base + count)
        to.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
        to.storeBytes(of: src.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        var i = 16
        while i < n {
            to.storeBytes(of: src.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        count &+= n
    }

    /// Unsigned LEB128: 7 bits per byte, high bit set on all but the last byte. At most 10 bytes.
    @inline(__always) mutating func putVarint(_ v: UInt64) {
        var v = v
        var i = count
        while v >= 0x80 {
            base[i] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7; i &+= 1
        }
        base[i] = UInt8(truncatingIfNeeded: v)
        count = i &+ 1
    }

    /// Zigzag then LEB128, so that small negative numbers stay small.
    @inline(__always) mutating func putZigzag(_ v: Int) {
        let w = Int64(v)
        putVarint(UInt64(bitPattern: (w << 1) ^ (w >> 63)))
    }

    // MARK: - Checked stores

    @inline(__always) mutating func u8(_ v: UInt8) { reserve(1); putU8(v) }
    @inline(__always) mutating func u16(_ v: UInt16) { reserve(2); putU16(v) }

    mutating func u32(_ v: UInt32) {
        reserve(4)
        for s in 0..<4 { base[count + s] = UInt8(truncatingIfNeeded: v >> UInt32(8 * s)) }
        count += 4
    }

    mutating func u64(_ v: UInt64) {
        reserve(8)
        for s in 0..<8 { base[count + s] = UInt8(truncatingIfNeeded: v >> UInt64(8 * s)) }
        count += 8
    }

    /// Overwrites 4 bytes at `at` (used for sizes known only after a block is written).
    mutating func patchU32(_ v: UInt32, at: Int) {
        precondition(at >= 0 && at + 4 <= count)
        reserve(0)
        for i in 0..<4 { base[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) }
    }

    mutating func append(_ other: UnsafeRawBufferPointer) {
        reserve(other.count)
        if let src = other.baseAddress { (base + count).update(from: src.assumingMemoryBound(to: UInt8.self), count: other.count) }
        count += other.count
    }

    mutating func append(_ other: [UInt8]) { other.withUnsafeBytes { append($0) } }

    mutating func append(_ other: ByteWriter) { other.withUnsafeBytes { append($0) } }

    @inline(__always) mutating func varint(_ v: UInt64) { reserve(10); putVarint(v) }
    @inline(__always) mutating func varint(_ v: Int) { varint(UInt64(bitPattern: Int64(v))) }
    @inline(__always) mutating func zigzag(_ v: Int) { reserve(10); putZigzag(v) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(utf8.count)
            append(UnsafeRawBufferPointer(utf8))
        }
    }

    // MARK: - Floats

    @inline(__always) mutating func unit16(_ v: Float) { u16(Quantize.unit16(v)) }
    @inline(__always) mutating func half(_ v: Float) { u16(Quantize.half(v)) }

    // MARK: - Records

    /// Writes `kind`, then a length placeholder big enough for any record, runs `body`, and fills in
    /// the length. The length is a 4-byte "padded" varint (values < 2^28), so that it can be patched
    /// in place. A record of 256 MB or more throws `RecordTooLarge` (chunks are capped below that).
    mutating func record(_ kind: RecordKind, _ body: (inout ByteWriter) throws -> Void) throws {
        varint(kind.rawValue)
        let lengthAt = count
        u32(0x0080_8080)   // 80 80 80 00
        let start = count
        try body(&self)
        let n = count - start
        if n >= (1 << 28) { throw RecordTooLarge(kind: kind, bytes: n) }
        reserve(0)
        base[lengthAt] = UInt8(n & 0x7F) | 0x80
        base[lengthAt + 1] = UInt8((n >> 7) & 0x7F) | 0x80
        base[lengthAt + 2] = UInt8((n >> 14) & 0x7F) | 0x80
        base[lengthAt + 3] = UInt8((n >> 21) & 0x7F)
    }
}

struct RecordTooLarge: Error {
    var kind: RecordKind
    var bytes: Int
}
