// Skipping a head's top-sink bitstream fast (the diff's column decoder skips every head's sinks).
// The fast path reads 64-bit words straight from the record and accepts a stream only when every
// field is valid and the record has 8 readable bytes past each word it loads; anything else
// returns nil and the caller runs the checked walk (Codec+TopSinks.swift), which then throws the
// exact error. So the fast path never decides an error, only how quickly a valid stream is passed.

extension Codec {
    /// One past the last byte of the top-sink stream at `r.position`, and its sink count, if the
    /// stream is valid and not near the record's end; nil otherwise (use the checked walk).
    @inline(__always)
    static func fastTopSinksEnd(_ r: ByteReader) -> (end: Int, count: Int)? {
        guard let base = r.base else { return nil }
        let start = r.position, limit = r.count
        var bp = 0   // bits consumed
        // The next 57 or more bits, LSB first; nil when 8 bytes are not there to load.
        @inline(__always) func peek() -> UInt64? {
            let byte = start &+ (bp &>> 3)
            guard byte &+ 8 <= limit else { return nil }
            return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) &>> UInt64(bp & 7)
        }
        @inline(__always) func bits(_ width: Int) -> UInt64? {   // width ≤ 56
            guard let w = peek() else { return nil }
            bp &+= width
            return w & ((1 &<< UInt64(width)) &- 1)
        }
        // EG_k: z zero bits, a one bit, the low b − 1 bits of x = v + 2^k (b = z + 1 + k).
        @inline(__always) func expGolomb(_ k: Int) -> UInt64? {
            guard let w = peek(), w != 0 else { return nil }
            let z = w.trailingZeroBitCount
            let length = 2 &* z &+ 1 &+ k
            guard length <= 56 else { return nil }   // long codes: the checked walk
            let b = z &+ 1 &+ k
            let low = (w &>> UInt64(z &+ 1)) & ((1 &<< UInt64(b &- 1)) &- 1)
            bp &+= length
            return ((1 &<< UInt64(b &- 1)) | low) &- (1 &<< UInt64(k))
        }
        guard let count = expGolomb(3), count <= UInt64(Format.maxTopSinks) else { return nil }
        let n = Int(count)
        if n > 0 {
            guard var p = expGolomb(0), p <= UInt64(Format.maxPosition) else { return nil }
            if n >= 2 {
                guard let k = bits(4) else { return nil }
                for _ in 1..<n {
                    guard let gap = expGolomb(Int(k)), gap <= UInt64(Format.maxPosition) &- p else { return nil }
                    p &+= gap
                }
            }
            guard let top = bits(8) else { return nil }
            if n >= 2 {
                guard let width = bits(4), width <= 8 else { return nil }
                for _ in 0..<n {
                    guard let d = bits(Int(width)), d <= top else { return nil }
                }
            }
        }
        if bp & 7 != 0 {   // padding to the byte must be zero
            guard let w = peek(), w & ((1 &<< UInt64(8 &- (bp & 7))) &- 1) == 0 else { return nil }
        }
        return (start &+ ((bp &+ 7) &>> 3), n)
    }
}
