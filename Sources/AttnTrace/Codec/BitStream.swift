// Bit-level writing and reading for the top-sink bitstream (docs/trace-format.md §4.3): fields are
// packed least significant bit first, byte after byte; a stream ends zero-padded to a byte.
//
// Exp-Golomb of order k, EG_k(v): x = v + 2^k, b = bit length of x; (b − 1 − k) zero bits, a one
// bit, then the low b − 1 bits of x. Small values are short (EG_0(0) is one bit) and large ones grow
// logarithmically (a gap of 2^40 takes 81 bits at order 0).

/// Accumulates bits in a word and stores each full word into a ByteWriter that the caller has
/// reserved room in (the stream's bytes + 8: the last store is a whole word too).
struct BitWriter {
    private var acc: UInt64 = 0
    private var n = 0   // pending bits in acc, 0…63

    /// Appends the low `bits` bits of `v` (bits ≤ 56, v < 2^bits). Masking shifts and wrapping
    /// arithmetic: the ranges above keep every shift below 64 and nothing overflows.
    @_transparent mutating func put(_ v: UInt64, _ bits: Int, into w: inout ByteWriter) {
        acc |= v &<< UInt64(truncatingIfNeeded: n)
        if n &+ bits >= 64 {   // then n ≥ 8: the shift below is at most 56
            w.putWord(acc, keeping: 8)
            acc = v &>> UInt64(truncatingIfNeeded: 64 &- n)
            n = n &+ bits &- 64
        } else {
            n = n &+ bits
        }
    }

    /// EG_k(v) for v ≤ 2^41, k ≤ 15: one field when it is at most 56 bits long, else two.
    @_transparent mutating func putExpGolomb(_ v: UInt64, k: Int, into w: inout ByteWriter) {
        let x = v &+ (1 &<< UInt64(truncatingIfNeeded: k))
        let b = 64 &- x.leadingZeroBitCount
        let z = b &- 1 &- k
        let length = 2 &* b &- 1 &- k
        if length <= 56 {
            // z zeros, a one, then the low b − 1 bits of x: ((low << 1) | 1) << z.
            put(((x &<< 1 | 1) ^ (1 &<< UInt64(truncatingIfNeeded: b))) &<< UInt64(truncatingIfNeeded: z), length, into: &w)
        } else {
            put(1 &<< UInt64(truncatingIfNeeded: z), z &+ 1, into: &w)
            put(x ^ (1 &<< UInt64(truncatingIfNeeded: b &- 1)), b &- 1, into: &w)
        }
    }

    /// Stores the pending bits, zero-padded to a byte.
    @inline(__always) mutating func finish(into w: inout ByteWriter) {
        if n > 0 { w.putWord(acc, keeping: (n + 7) >> 3) }
        acc = 0; n = 0
    }
}

/// Reads a bitstream that starts at a ByteReader's position and must end inside its bytes.
/// Never reads outside them; running out is reported through `overrun`, not a crash.
struct BitReader {
    private let base: UnsafeRawPointer?
    private let start: Int        // byte offset of the stream's first byte
    private let end: Int          // byte offset just past the last readable byte
    private var next: Int         // next byte to load into acc
    private var acc: UInt64 = 0
    private var n = 0             // valid bits in acc

    init(_ r: ByteReader) {
        base = r.base; start = r.position; end = r.count; next = r.position
    }

    /// Bits consumed so far.
    var bitsRead: Int { (next - start) * 8 - n }
    /// Bytes the stream takes up to here, the last one partial (zero-padded by the writer).
    var bytesUsed: Int { (bitsRead + 7) >> 3 }
    /// Bits left in the record after what was consumed.
    var bitsLeft: Int { (end - next) * 8 + n }

    /// Tops the accumulator up to at least 56 bits, or with every byte left.
    @inline(__always) private mutating func refill() {
        if next + 8 <= end {
            let word = UInt64(littleEndian: base!.loadUnaligned(fromByteOffset: next, as: UInt64.self))
            acc |= word << UInt64(n)
            let take = (63 - n) >> 3
            next += take; n += take << 3
            // The bits of `word` above the taken bytes were or-ed in too: clear them.
            acc &= n == 64 ? ~0 : (1 << UInt64(n)) &- 1
        } else {
            while n <= 56 && next < end {
                acc |= UInt64(base!.load(fromByteOffset: next, as: UInt8.self)) << UInt64(n)
                next += 1; n += 8
            }
        }
    }

    /// The next `bits` bits (bits ≤ 56), or nil when the record ends first.
    @inline(__always) mutating func read(_ bits: Int) -> UInt64? {
        if n < bits { refill(); if n < bits { return nil } }
        let v = acc & ((1 << UInt64(bits)) &- 1)
        acc = bits == 64 ? 0 : acc >> UInt64(bits)
        n -= bits
        return v
    }

    /// Skips `bits` bits (any number), or returns false when the record ends first.
    mutating func skip(_ bits: Int) -> Bool {
        if bits > bitsLeft { return false }
        var left = bits
        while left > 0 {
            let step = min(left, 56)
            _ = read(step)
            left -= step
        }
        return true
    }

    enum ExpGolombFailure: Error { case overrun, tooLong }

    /// EG_k value; `tooLong` when it would exceed 2^41 + 2^k (a longer zero prefix than any writer
    /// makes), `overrun` when the record ends inside it.
    @inline(__always) mutating func readExpGolomb(k: Int) -> Result<UInt64, ExpGolombFailure> {
        if n < 56 { refill() }
        // All zero: a prefix longer than any value allows, or the record's last bytes are zeros.
        if acc == 0 { return .failure(n + k > 41 ? .tooLong : .overrun) }
        let z = acc.trailingZeroBitCount
        if z + k > 41 { return .failure(.tooLong) }
        acc >>= UInt64(z + 1); n -= z + 1
        guard let low = read(z + k) else { return .failure(.overrun) }
        return .success((1 << UInt64(z + k)) - (1 << UInt64(k)) + low)
    }

    /// The bits between the last field and the byte boundary (the writer's zero padding).
    mutating func paddingBits() -> UInt64 {
        let pad = (8 - (bitsRead & 7)) & 7
        return read(pad) ?? 0
    }
}
