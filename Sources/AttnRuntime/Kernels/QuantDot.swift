// Dot products of one weight row, stored as quant blocks, with an f32 vector: the inner loop of
// decode. Each format has a naive version (dequantize element by element, then multiply) beside the
// fast one (SIMD8 per 8 weights, FMA); QuantDotTests checks them against each other.
//
// Shapes: a row has `blocks` blocks of 32 weights; x has blocks * 32 floats; xSums[b] is the sum of
// x[32b ..< 32b + 32] (used by the formats with an offset: Q4_1's m, Q4_0's -8).

// MARK: - Per-block sums of the activation

/// xSums[b] = Σ x[32b ..< 32b+32] for b in 0 ..< blocks.
public func blockSums(_ xSums: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, blocks: Int) {
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = xr + b * 128
        let s = p.loadUnaligned(as: SIMD8<Float>.self) + p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            + p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) + p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        xSums[b] = s.sum()
    }
}

// MARK: - Naive (reference) versions

/// One element of a quantized row, decoded from its block (the layouts in QuantBlocks.swift).
func naiveQuantElement(_ row: UnsafeRawPointer, format: QuantFormat, index i: Int) -> Float {
    let b = i / 32, j = i % 32
    switch format {
    case .q4_0:
        let p = row + b * QuantBlockBytes.q4_0
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        let byte = p.load(fromByteOffset: 2 + (j % 16), as: UInt8.self)
        let q = j < 16 ? Int(byte & 0x0F) : Int(byte >> 4)
        return d * Float(q - 8)
    case .q4_1:
        let p = row + b * QuantBlockBytes.q4_1
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        let m = halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let byte = p.load(fromByteOffset: 4 + (j % 16), as: UInt8.self)
        let q = j < 16 ? Int(byte & 0x0F) : Int(byte >> 4)
        return d * Float(q) + m
    case .q8_0:
        let p = row + b * QuantBlockBytes.q8_0
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        return d * Float(p.load(fromByteOffset: 2 + j, as: Int8.self))
    case .f32:
        return row.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
    case .q5_0, .q4_K, .q5_K, .q6_K:
        let type = format.ggmlType
        var block = [Float](repeating: 0, count: type.blockSize)
        let b = i / type.blockSize
        Dequantize.row(out: &block, row + b * type.bytesPerBlock, type: type, count: type.blockSize)
        return block[i % type.blockSize]
    }
}

/// Σ_i w[i] * x[i], decoding each weight on its own and summing in Double.
func naiveRowDot(_ row: UnsafeRawPointer, format: QuantFormat, _ x: UnsafePointer<Float>, count: Int) -> Float {
    var sum = 0.0
    if format.blockSize > 1 && format != .q4_0 && format != .q4_1 && format != .q8_0 {
        // The loader's reference dequantization of the whole row, then the same Double dot.
        var w = [Float](repeating: 0, count: count)
        Dequantize.row(out: &w, row, type: format.ggmlType, count: count)
        for i in 0..<count { sum += Double(w[i]) * Double(x[i]) }
        return Float(sum)
    }
    for i in 0..<count { sum += Double(naiveQuantElement(row, format: format, index: i)) * Double(x[i]) }
    return Float(sum)
}

// MARK: - Fast versions

/// Σ w·x for a Q4_1 row: per block d·Σ q·x + m·Σ x, with Σ x taken from xSums.
@inline(__always)
func dotQ4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ xSums: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD8<Float>()
    var accMin: Float = 0
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = row + b * QuantBlockBytes.q4_1
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        let m = halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let bytes = p.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        let s = nibbleDot(bytes, xr + b * 128)
        acc = acc.addingProduct(s, SIMD8<Float>(repeating: d))
        accMin += m * xSums[b]
    }
    return acc.sum() + accMin
}

/// Σ w·x for a Q4_0 row: per block d·(Σ q·x − 8·Σ x).
@inline(__always)
func dotQ4_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ xSums: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD8<Float>()
    var accOffset: Float = 0
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = row + b * QuantBlockBytes.q4_0
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        let bytes = p.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
        let s = nibbleDot(bytes, xr + b * 128)
        acc = acc.addingProduct(s, SIMD8<Float>(repeating: d))
        accOffset += d * xSums[b]
    }
    return acc.sum() - 8 * accOffset
}

/// Lane-wise partial sums of Σ q·x over one block of 32 nibbles (not yet reduced across lanes).
/// x32 points at the block's 32 floats.
@inline(__always)
func nibbleDot(_ bytes: SIMD16<UInt8>, _ x32: UnsafeRawPointer) -> SIMD8<Float> {
    let lo = bytes & 0x0F      // elements 0-15
    let hi = bytes &>> 4       // elements 16-31
    let x0 = x32.loadUnaligned(as: SIMD8<Float>.self)
    let x1 = x32.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
    let x2 = x32.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
    let x3 = x32.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
    var s = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: lo.lowHalf)) * x0
    s = s.addingProduct(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: lo.highHalf)), x1)
    s = s.addingProduct(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: hi.lowHalf)), x2)
    s = s.addingProduct(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: hi.highHalf)), x3)
    return s
}

/// Σ w·x for a Q8_0 row: per block d·Σ q·x.
@inline(__always)
func dotQ8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD8<Float>()
    let xr = UnsafeRawPointer(x)
    for b in 0..<blocks {
        let p = row + b * QuantBlockBytes.q8_0
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        let q = p.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self)
        let xb = xr + b * 128
        var s = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.lowHalf.lowHalf)) * xb.loadUnaligned(as: SIMD8<Float>.self)
        s = s.addingProduct(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.lowHalf.highHalf)),
                            xb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        s = s.addingProduct(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.highHalf.lowHalf)),
                            xb.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        s = s.addingProduct(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.highHalf.highHalf)),
                            xb.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
        acc = acc.addingProduct(s, SIMD8<Float>(repeating: d))
    }
    return acc.sum()
}

/// Σ w·x for an f32 row of `count` floats (count a multiple of 8 for the SIMD part; the rest scalar).
@inline(__always)
func dotF32(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
    let wr = UnsafeRawPointer(w), xr = UnsafeRawPointer(x)
    var i = 0
    while i + 16 <= count {
        acc0 = acc0.addingProduct(wr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                                  xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
        acc1 = acc1.addingProduct(wr.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self),
                                  xr.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self))
        i += 16
    }
    var sum = horizontalSum(acc0 + acc1)
    while i < count { sum += w[i] * x[i]; i += 1 }
    return sum
}

/// Σ of the 8 lanes. (A tree through `lowHalf`/`highHalf` looks cheaper but those accessors go
/// lane by lane, and the compiler then rebuilt the callers' loops out of 64-bit pieces.)
@inline(__always)
func horizontalSum(_ v: SIMD8<Float>) -> Float {
    v.sum()
}
