// Matrix-vector products on weights kept in their stored format: the decode path.
// W is row-major [rows, cols] (GGUF ne1 = rows, ne0 = cols); each row is cols/32 quant blocks
// (cols/256 super-blocks for the K-quants).

/// The weight formats the kernels read directly. Other stored types are converted to f32 at load.
public enum QuantFormat: Sendable, Equatable {
    case f32, q4_0, q4_1, q5_0, q8_0, q4_K, q5_K, q6_K

    /// Weights per block (rows are whole blocks).
    public var blockSize: Int { ggmlType.blockSize }

    /// Bytes of one row of `cols` weights (cols a multiple of `blockSize`).
    public func rowBytes(cols: Int) -> Int { cols / ggmlType.blockSize * ggmlType.bytesPerBlock }

    /// The loader's type with the same layout.
    public var ggmlType: GGMLType {
        switch self {
        case .f32: return .f32
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q8_0: return .q8_0
        case .q4_K: return .q4_K
        case .q5_K: return .q5_K
        case .q6_K: return .q6_K
        }
    }

    /// The format the kernels read `type` in directly, or nil when it is converted to f32 at load.
    public init?(_ type: GGMLType) {
        switch type {
        case .f32: self = .f32
        case .q4_0: self = .q4_0
        case .q4_1: self = .q4_1
        case .q5_0: self = .q5_0
        case .q8_0: self = .q8_0
        case .q4_K: self = .q4_K
        case .q5_K: self = .q5_K
        case .q6_K: self = .q6_K
        case .f16, .bf16, .q5_1, .q2_K, .q3_K: return nil
        }
    }

    /// Whether the fast kernels read Σx per 32 weights of the activation (`blockSums`).
    var needsBlockSums: Bool { self == .q4_0 || self == .q4_1 || self == .q5_0 || self == .q4_K || self == .q5_K }
}

/// out[r] = Σ_c W[r, c]·x[c] for r in `rows` (a slice, so threads can split the rows).
///
/// - out: [rows.count] written at out[0 ..< rows.count]
/// - w: the whole matrix, [totalRows, cols] in `format`
/// - x: [cols]; xSums: [cols/32] block sums of x (see `blockSums`), read only for Q4_0/Q4_1
public func matvecRows(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, format: QuantFormat,
                       _ x: UnsafePointer<Float>, xSums: UnsafePointer<Float>, cols: Int, rows: Range<Int>) {
    let rowBytes = format.rowBytes(cols: cols)
    let blocks = cols / 32
    switch format {
    case .q4_1:
        for (i, r) in rows.enumerated() { out[i] = dotQ4_1(w + r * rowBytes, x, xSums, blocks: blocks) }
    case .q4_0:
        for (i, r) in rows.enumerated() { out[i] = dotQ4_0(w + r * rowBytes, x, xSums, blocks: blocks) }
    case .q8_0:
        for (i, r) in rows.enumerated() { out[i] = dotQ8_0(w + r * rowBytes, x, blocks: blocks) }
    case .q5_0, .q4_K, .q5_K, .q6_K:
        matvecRowsKQuantFile(out, w, format: format, x, xSums: xSums, cols: cols, rows: rows)
    case .f32:
        let wf = w.assumingMemoryBound(to: Float.self)
        for (i, r) in rows.enumerated() { out[i] = dotF32(wf + r * cols, x, count: cols) }
    }
}

/// `matvecRows` for the formats of K-quant files, in functions of their own: inlined into one large
/// caller, the compiler stopped inlining the SIMD conversions of their inner loops (a call per 8 weights).
@inline(never)
func matvecRowsKQuantFile(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, format: QuantFormat,
                          _ x: UnsafePointer<Float>, xSums: UnsafePointer<Float>, cols: Int, rows: Range<Int>) {
    let rowBytes = format.rowBytes(cols: cols)
    switch format {
    case .q5_0: matvecQ5_0(out, w, rowBytes: rowBytes, x, xSums, blocks: cols / 32, rows: rows)
    case .q4_K: matvecQ4_K(out, w, rowBytes: rowBytes, x, xSums, blocks: cols / 256, rows: rows)
    case .q5_K: matvecQ5_K(out, w, rowBytes: rowBytes, x, xSums, blocks: cols / 256, rows: rows)
    case .q6_K: matvecQ6_K(out, w, rowBytes: rowBytes, x, blocks: cols / 256, rows: rows)
    default: preconditionFailure("\(format) is not a K-quant file format")
    }
}

@inline(never)
private func matvecQ5_0(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, rowBytes: Int, _ x: UnsafePointer<Float>,
                        _ xSums: UnsafePointer<Float>, blocks: Int, rows: Range<Int>) {
    for (i, r) in rows.enumerated() { out[i] = dotQ5_0(w + r * rowBytes, x, xSums, blocks: blocks) }
}

@inline(never)
private func matvecQ4_K(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, rowBytes: Int, _ x: UnsafePointer<Float>,
                        _ xSums: UnsafePointer<Float>, blocks: Int, rows: Range<Int>) {
    for (i, r) in rows.enumerated() { out[i] = dotQ4_K(w + r * rowBytes, x, xSums, blocks: blocks) }
}

@inline(never)
private func matvecQ5_K(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, rowBytes: Int, _ x: UnsafePointer<Float>,
                        _ xSums: UnsafePointer<Float>, blocks: Int, rows: Range<Int>) {
    for (i, r) in rows.enumerated() { out[i] = dotQ5_K(w + r * rowBytes, x, xSums, blocks: blocks) }
}

@inline(never)
private func matvecQ6_K(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, rowBytes: Int, _ x: UnsafePointer<Float>,
                        blocks: Int, rows: Range<Int>) {
    for (i, r) in rows.enumerated() { out[i] = dotQ6_K(w + r * rowBytes, x, blocks: blocks) }
}

/// The reference: out[r] = Σ_c W[r, c]·x[c], every weight decoded on its own, summed in Double.
public func matvecNaive(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, format: QuantFormat,
                        _ x: UnsafePointer<Float>, rows: Int, cols: Int) {
    let rowBytes = format.rowBytes(cols: cols)
    for r in 0..<rows { out[r] = naiveRowDot(w + r * rowBytes, format: format, x, count: cols) }
}

// MARK: - Dequantization of whole rows (the prefill path feeds these to sgemm)

/// out[r, c] = W[r, c] as f32 for r in `rows`; out is [rows.count, cols].
public func dequantizeRows(_ out: UnsafeMutablePointer<Float>, _ w: UnsafeRawPointer, format: QuantFormat,
                           cols: Int, rows: Range<Int>) {
    let rowBytes = format.rowBytes(cols: cols)
    let blocks = cols / 32
    for (i, r) in rows.enumerated() {
        let row = w + r * rowBytes
        let o = UnsafeMutableRawPointer(out + i * cols)
        switch format {
        case .f32:
            o.copyMemory(from: row, byteCount: cols * 4)
        case .q5_0, .q4_K, .q5_K, .q6_K:
            Dequantize.row(out: out + i * cols, row, type: format.ggmlType, count: cols)
        case .q4_1, .q4_0:
            let isQ41 = format == .q4_1
            let bb = isQ41 ? QuantBlockBytes.q4_1 : QuantBlockBytes.q4_0
            for b in 0..<blocks {
                let p = row + b * bb
                let d = SIMD8<Float>(repeating: halfToFloat(p.loadUnaligned(as: UInt16.self)))
                let m = SIMD8<Float>(repeating: isQ41 ? halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                                                      : -8 * d[0])
                let bytes = p.loadUnaligned(fromByteOffset: isQ41 ? 4 : 2, as: SIMD16<UInt8>.self)
                let lo = bytes & 0x0F, hi = bytes &>> 4
                let ob = o + b * 128
                ob.storeBytes(of: m.addingProduct(d, SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: lo.lowHalf))), as: SIMD8<Float>.self)
                ob.storeBytes(of: m.addingProduct(d, SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: lo.highHalf))), toByteOffset: 32, as: SIMD8<Float>.self)
                ob.storeBytes(of: m.addingProduct(d, SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: hi.lowHalf))), toByteOffset: 64, as: SIMD8<Float>.self)
                ob.storeBytes(of: m.addingProduct(d, SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: hi.highHalf))), toByteOffset: 96, as: SIMD8<Float>.self)
            }
        case .q8_0:
            for b in 0..<blocks {
                let p = row + b * QuantBlockBytes.q8_0
                let d = SIMD8<Float>(repeating: halfToFloat(p.loadUnaligned(as: UInt16.self)))
                let q = p.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self)
                let ob = o + b * 128
                ob.storeBytes(of: d * SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.lowHalf.lowHalf)), as: SIMD8<Float>.self)
                ob.storeBytes(of: d * SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.lowHalf.highHalf)), toByteOffset: 32, as: SIMD8<Float>.self)
                ob.storeBytes(of: d * SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.highHalf.lowHalf)), toByteOffset: 64, as: SIMD8<Float>.self)
                ob.storeBytes(of: d * SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q.highHalf.highHalf)), toByteOffset: 96, as: SIMD8<Float>.self)
            }
        }
    }
}
