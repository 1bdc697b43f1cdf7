// MARK: - K-quant dequantization (naive, one 256-element super-block at a time)

/// The K-quant formats: a super-block of 256 elements (one row holds rowLength / 256 of them) split
/// into sub-blocks of 16 or 32 elements, each with its own small integer scale (and minimum) that
/// multiplies the super-block's f16 scale. Element e of a super-block is addressed as
/// e = 128 h + 32 k + l (h: half, k: quarter of the half, l: 0..<32) by the 2-bit formats and
/// e = 64 j + 32 s + l (j: pair of sub-blocks, s: 0 low nibble / 1 high nibble) by the 4/5-bit ones.
/// The arithmetic is done in f32 in the order ggml uses (scale products first), so the values
/// are those ggml and the `gguf` package produce.
extension Dequantize {
    /// The 6-bit scale and minimum of sub-block i (0..<8) packed in Q4_K's / Q5_K's 12 bytes:
    /// bytes 0-3 hold scales 0-3 (low 6 bits), bytes 4-7 minimums 0-3; scales and minimums 4-7
    /// keep their low 4 bits in bytes 8-11 (scale low nibble, minimum high nibble) and their
    /// top 2 bits in the spare top bits of bytes 0-3 (scales) and 4-7 (minimums).
    @inline(__always)
    static func kScaleMin(_ scales: UnsafeRawPointer, _ i: Int) -> (scale: UInt8, min: UInt8) {
        @inline(__always) func at(_ k: Int) -> UInt8 { scales.load(fromByteOffset: k, as: UInt8.self) }
        if i < 4 { return (at(i) & 63, at(i + 4) & 63) }
        return ((at(i + 4) & 0x0F) | (at(i - 4) >> 6) << 4, (at(i + 4) >> 4) | (at(i) >> 6) << 4)
    }

    /// Q4_K block (144 bytes): f16 d, f16 dmin, scales[12], qs[128].
    /// Byte 32 j + l of qs: low nibble = element 64 j + l (sub-block 2 j), high nibble =
    /// element 64 j + 32 + l (sub-block 2 j + 1); w = (d * scale) * q - dmin * min.
    public static func q4_K(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 256) {
            let block = src + b * 144
            let d = HalfFloat.f16ToF32(loadU16(block, 0)), dmin = HalfFloat.f16ToF32(loadU16(block, 2))
            let qs = block + 16
            for j in 0..<4 {
                for s in 0..<2 {
                    let (sc, mn) = kScaleMin(block + 4, 2 * j + s)
                    let scale = d * Float(sc), minimum = dmin * Float(mn)
                    for l in 0..<32 {
                        let q = (qs.load(fromByteOffset: 32 * j + l, as: UInt8.self) >> UInt8(4 * s)) & 0x0F
                        out[b * 256 + 64 * j + 32 * s + l] = scale * Float(q) - minimum
                    }
                }
            }
        }
    }

    /// Q5_K block (176 bytes): f16 d, f16 dmin, scales[12], qh[32], qs[128]: Q4_K's nibbles plus a
    /// fifth bit, bit t of qh[l] for element 32 t + l (sub-block t); w = (d * scale) * q - dmin * min.
    public static func q5_K(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 256) {
            let block = src + b * 176
            let d = HalfFloat.f16ToF32(loadU16(block, 0)), dmin = HalfFloat.f16ToF32(loadU16(block, 2))
            let qh = block + 16, qs = block + 48
            for j in 0..<4 {
                for s in 0..<2 {
                    let t = 2 * j + s
                    let (sc, mn) = kScaleMin(block + 4, t)
                    let scale = d * Float(sc), minimum = dmin * Float(mn)
                    for l in 0..<32 {
                        let low = (qs.load(fromByteOffset: 32 * j + l, as: UInt8.self) >> UInt8(4 * s)) & 0x0F
                        let high = (qh.load(fromByteOffset: l, as: UInt8.self) >> UInt8(t)) & 1
                        out[b * 256 + 32 * t + l] = scale * Float(low | high << 4) - minimum
                    }
                }
            }
        }
    }

    /// Q6_K block (210 bytes): ql[128], qh[64], int8 scales[16], f16 d. Element e = 128 h + 32 k + l:
    /// low 4 bits from ql[64 h + 32 (k & 1) + l] (low nibble for k < 2, high for k >= 2), high 2 bits
    /// (qh[32 h + l] >> 2 k) & 3; sub-block e / 16; w = (d * scale) * (q - 32).
    public static func q6_K(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 256) {
            let block = src + b * 210
            let ql = block, qh = block + 128, scales = block + 192
            let d = HalfFloat.f16ToF32(loadU16(block, 208))
            for h in 0..<2 {
                for k in 0..<4 {
                    for l in 0..<32 {
                        let e = 128 * h + 32 * k + l
                        let low = (ql.load(fromByteOffset: 64 * h + 32 * (k & 1) + l, as: UInt8.self) >> UInt8(4 * (k >> 1))) & 0x0F
                        let high = (qh.load(fromByteOffset: 32 * h + l, as: UInt8.self) >> UInt8(2 * k)) & 3
                        let scale = d * Float(scales.load(fromByteOffset: e / 16, as: Int8.self))
                        out[b * 256 + e] = scale * Float(Int(low | high << 4) - 32)
                    }
                }
            }
        }
    }

    /// Q2_K block (84 bytes): scales[16] (low nibble scale, high nibble minimum, per 16 elements),
    /// qs[64], f16 d, f16 dmin. Element e = 128 h + 32 k + l: q = (qs[32 h + l] >> 2 k) & 3;
    /// w = (d * scale) * q - dmin * min.
    public static func q2_K(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 256) {
            let block = src + b * 84
            let scales = block, qs = block + 16
            let d = HalfFloat.f16ToF32(loadU16(block, 80)), dmin = HalfFloat.f16ToF32(loadU16(block, 82))
            for h in 0..<2 {
                for k in 0..<4 {
                    for l in 0..<32 {
                        let e = 128 * h + 32 * k + l
                        let sm = scales.load(fromByteOffset: e / 16, as: UInt8.self)
                        let q = (qs.load(fromByteOffset: 32 * h + l, as: UInt8.self) >> UInt8(2 * k)) & 3
                        out[b * 256 + e] = d * Float(sm & 0x0F) * Float(q) - dmin * Float(sm >> 4)
                    }
                }
            }
        }
    }

    /// The signed 6-bit scale of sub-block i (0..<16) packed in Q3_K's 12 bytes: the low 4 bits are
    /// the low (i < 8) or high (i >= 8) nibble of byte i % 8, the top 2 bits are bits 2 (i / 4) and
    /// up of byte 8 + i % 4; the stored value is offset by 32.
    @inline(__always)
    static func q3Scale(_ scales: UnsafeRawPointer, _ i: Int) -> Int {
        let low = (scales.load(fromByteOffset: i % 8, as: UInt8.self) >> UInt8(4 * (i / 8))) & 0x0F
        let high = (scales.load(fromByteOffset: 8 + i % 4, as: UInt8.self) >> UInt8(2 * (i / 4))) & 3
        return Int(low | high << 4) - 32
    }

    /// Q3_K block (110 bytes): hmask[32], qs[64], scales[12], f16 d. Element e = 128 h + 32 k + l:
    /// low 2 bits (qs[32 h + l] >> 2 k) & 3, minus 4 when bit 4 h + k of hmask[l] is clear;
    /// sub-block e / 16; w = (d * scale) * q.
    public static func q3_K(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 256) {
            let block = src + b * 110
            let hmask = block, qs = block + 32, scales = block + 96
            let d = HalfFloat.f16ToF32(loadU16(block, 108))
            for h in 0..<2 {
                for k in 0..<4 {
                    for l in 0..<32 {
                        let e = 128 * h + 32 * k + l
                        let low = Int((qs.load(fromByteOffset: 32 * h + l, as: UInt8.self) >> UInt8(2 * k)) & 3)
                        let set = (hmask.load(fromByteOffset: l, as: UInt8.self) >> UInt8(4 * h + k)) & 1 != 0
                        out[b * 256 + e] = d * Float(q3Scale(scales, e / 16)) * Float(set ? low : low - 4)
                    }
                }
            }
        }
    }
}
