// Dot products of one weight row with an f32 vector for the formats of llama.cpp's K-quant files:
// Q5_0 (32-element blocks) and the 256-element super-blocks Q4_K, Q5_K, Q6_K (layouts in
// Quant/Dequantize+KQuants.swift). The naive reference is `naiveRowDot` (Dequantize.row, then a
// Double dot); QuantDotTests checks these against it.
//
// Shapes: a row has `blocks` blocks (32 weights for Q5_0, 256 for the K-quants); x has as many
// weights' floats; xSums[b] = Σ x[32b ..< 32b + 32] (Q4_K / Q5_K subtract dmin·min·Σx per 32-weight
// sub-block, so their minimums cost one multiply-add per sub-block).

// Bits are picked out of 64-bit words (8 weights' bytes at once) rather than SIMD32<UInt8>: shifts
// and masks on 32-lane byte vectors compile to lane-by-lane loops through the stack.

private let lowNibbles: UInt64 = 0x0F0F_0F0F_0F0F_0F0F
private let lowBits: UInt64 = 0x0101_0101_0101_0101
private let lowPairs: UInt64 = 0x0303_0303_0303_0303

@inline(__always)
private func word(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

/// The 8 bytes of `q` (little-endian: byte i = weight i) as Int32 lanes, minus `offset`.
@inline(__always)
private func lanes(_ q: UInt64, minus offset: Int32 = 0) -> SIMD8<Float> {
    SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: unsafeBitCast(q, to: SIMD8<UInt8>.self)) &- offset)
}

/// Lane-wise partial sums of Σ q·x over 32 weights whose bytes are q0..q3 (8 weights each) and the
/// 32 floats at x32, minus `offset` from every q.
@inline(__always)
private func dot32(_ q0: UInt64, _ q1: UInt64, _ q2: UInt64, _ q3: UInt64, _ x32: UnsafeRawPointer,
                   minus offset: Int32 = 0) -> SIMD8<Float> {
    var s = lanes(q0, minus: offset) * x32.loadUnaligned(as: SIMD8<Float>.self)
    s = s.addingProduct(lanes(q1, minus: offset), x32.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
    s = s.addingProduct(lanes(q2, minus: offset), x32.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
    s = s.addingProduct(lanes(q3, minus: offset), x32.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    return s
}

/// Bit i of `bits` (0...255) as byte i of the result, shifted left by 4 (0 or 16 per byte).
/// Bit `bit` of each byte of h, moved to bit 4 (Q5_K's fifth bit of 8 weights).
@inline(__always)
private func high(_ h: UInt64, _ bit: UInt64) -> UInt64 { ((h >> bit) & lowBits) << 4 }

/// Q6_K's 6-bit q of 8 weights: the nibble at `shift` of the ql word, the bit pair at `pair` of the qh word.
@inline(__always)
private func q6(_ ql: UInt64, _ qh: UInt64, _ shift: UInt64, _ pair: UInt64) -> UInt64 {
    (ql >> shift) & lowNibbles | ((qh >> pair) & lowPairs) << 4
}

@inline(__always)
private func spreadBits(_ bits: UInt64) -> UInt64 {
    let picked = (bits &* lowBits) & 0x8040_2010_0804_0201   // byte i keeps bit i
    return (((picked &+ 0x7F7F_7F7F_7F7F_7F7F) >> 7) & lowBits) << 4
}

/// Σ w·x for a Q5_0 row: per block d·(Σ q·x − 16·Σx) with q = nibble | high bit << 4.
@inline(__always)
func dotQ5_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ xSums: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD8<Float>()
    var accOffset: Float = 0
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = row + b * 22
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        let qh = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
        let w0 = word(p, 6), w1 = word(p, 14)   // bytes 0-7 and 8-15 of the nibbles
        let s = dot32(w0 & lowNibbles | spreadBits(qh & 0xFF), w1 & lowNibbles | spreadBits((qh >> 8) & 0xFF),
                      (w0 >> 4) & lowNibbles | spreadBits((qh >> 16) & 0xFF), (w1 >> 4) & lowNibbles | spreadBits(qh >> 24),
                      xr + b * 128)
        acc = acc.addingProduct(s, SIMD8<Float>(repeating: d))
        accOffset += d * xSums[b]
    }
    return acc.sum() - 16 * accOffset
}

/// The eight (scale, minimum) pairs of a Q4_K / Q5_K super-block, unpacked from its 12 bytes.
@inline(__always)
private func kScalesMins(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
    var scales = SIMD8<Float>(), mins = SIMD8<Float>()
    for i in 0..<8 {
        let (s, m) = Dequantize.kScaleMin(p, i)
        scales[i] = Float(s); mins[i] = Float(m)
    }
    return (scales, mins)
}

/// Σ w·x for a Q4_K row: per 32-weight sub-block t, (d·scale_t)·Σ q·x − (dmin·min_t)·Σx.
@inline(__always)
func dotQ4_K(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ xSums: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD8<Float>()
    var accMin: Float = 0
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = row + b * 144
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self)), dmin = halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let (scales, mins) = kScalesMins(p + 4)
        let sums = UnsafeRawPointer(xSums + 8 * b).loadUnaligned(as: SIMD8<Float>.self)
        accMin += dmin * (mins * sums).sum()
        let ds = d * scales
        let xb = xr + b * 1024
        for j in 0..<4 {
            let q = 16 + 32 * j
            let w0 = word(p, q), w1 = word(p, q + 8), w2 = word(p, q + 16), w3 = word(p, q + 24)
            acc = acc.addingProduct(dot32(w0 & lowNibbles, w1 & lowNibbles, w2 & lowNibbles, w3 & lowNibbles, xb + 256 * j),
                                    SIMD8<Float>(repeating: ds[2 * j]))
            acc = acc.addingProduct(dot32((w0 >> 4) & lowNibbles, (w1 >> 4) & lowNibbles, (w2 >> 4) & lowNibbles,
                                          (w3 >> 4) & lowNibbles, xb + 256 * j + 128),
                                    SIMD8<Float>(repeating: ds[2 * j + 1]))
        }
    }
    return acc.sum() - accMin
}

/// Σ w·x for a Q5_K row: as Q4_K with a fifth bit per weight from qh (bit t of qh[l] for sub-block t).
@inline(__always)
func dotQ5_K(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ xSums: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD8<Float>()
    var accMin: Float = 0
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = row + b * 176
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self)), dmin = halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let (scales, mins) = kScalesMins(p + 4)
        let sums = UnsafeRawPointer(xSums + 8 * b).loadUnaligned(as: SIMD8<Float>.self)
        accMin += dmin * (mins * sums).sum()
        let ds = d * scales
        let h0 = word(p, 16), h1 = word(p, 24), h2 = word(p, 32), h3 = word(p, 40)
        let xb = xr + b * 1024
        for j in 0..<4 {
            let q = 48 + 32 * j, t = UInt64(2 * j)
            let w0 = word(p, q), w1 = word(p, q + 8), w2 = word(p, q + 16), w3 = word(p, q + 24)
            acc = acc.addingProduct(dot32(w0 & lowNibbles | high(h0, t), w1 & lowNibbles | high(h1, t),
                                          w2 & lowNibbles | high(h2, t), w3 & lowNibbles | high(h3, t), xb + 256 * j),
                                    SIMD8<Float>(repeating: ds[2 * j]))
            acc = acc.addingProduct(dot32((w0 >> 4) & lowNibbles | high(h0, t + 1), (w1 >> 4) & lowNibbles | high(h1, t + 1),
                                          (w2 >> 4) & lowNibbles | high(h2, t + 1), (w3 >> 4) & lowNibbles | high(h3, t + 1),
                                          xb + 256 * j + 128),
                                    SIMD8<Float>(repeating: ds[2 * j + 1]))
        }
    }
    return acc.sum() - accMin
}

/// Σ w·x for a Q6_K row: per 16-weight sub-block, (d·scale)·Σ (q − 32)·x.
@inline(__always)
func dotQ6_K(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD8<Float>()
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = row + b * 210
        let d = halfToFloat(p.loadUnaligned(fromByteOffset: 208, as: UInt16.self))
        for h in 0..<2 {
            let xh = xr + b * 1024 + h * 512
            let qh = 128 + 32 * h
            let h0 = word(p, qh), h1 = word(p, qh + 8), h2 = word(p, qh + 16), h3 = word(p, qh + 24)
            for k in 0..<4 {
                let ql = 64 * h + 32 * (k & 1)
                let shift = UInt64(4 * (k >> 1)), pair = UInt64(2 * k)
                let sub = 8 * h + 2 * k
                let x0 = xh + 128 * k
                // weights 0-15 of the 32 use scale `sub`, 16-31 scale `sub + 1`
                var s0 = lanes(q6(word(p, ql), h0, shift, pair), minus: 32) * x0.loadUnaligned(as: SIMD8<Float>.self)
                s0 = s0.addingProduct(lanes(q6(word(p, ql + 8), h1, shift, pair), minus: 32),
                                      x0.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                var s1 = lanes(q6(word(p, ql + 16), h2, shift, pair), minus: 32) * x0.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                s1 = s1.addingProduct(lanes(q6(word(p, ql + 24), h3, shift, pair), minus: 32),
                                      x0.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
                let sc0 = d * Float(p.load(fromByteOffset: 192 + sub, as: Int8.self))
                let sc1 = d * Float(p.load(fromByteOffset: 193 + sub, as: Int8.self))
                acc = acc.addingProduct(s0, SIMD8<Float>(repeating: sc0))
                acc = acc.addingProduct(s1, SIMD8<Float>(repeating: sc1))
            }
        }
    }
    return acc.sum()
}
