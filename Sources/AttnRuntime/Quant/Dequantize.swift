// MARK: - Dequantization (naive, block by block)

/// Converts tensor data of every supported `GGMLType` to f32, one block at a time.
/// Output first, element counts explicit; `count` must be a whole number of blocks for the type.
/// These are the plain reference versions; fast fused kernels (dot products on quantized rows)
/// belong to the kernels and are tested against these.
public enum Dequantize {
    /// out[0..<count] = the `count` elements stored at `src` as `type`.
    public static func row(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, type: GGMLType, count: Int) {
        precondition(count % type.blockSize == 0, "count \(count) is not a whole number of \(type) blocks")
        switch type {
        case .f32: f32(out: out, src, count: count)
        case .f16: f16(out: out, src, count: count)
        case .bf16: bf16(out: out, src, count: count)
        case .q8_0: q8_0(out: out, src, count: count)
        case .q4_0: q4_0(out: out, src, count: count)
        case .q4_1: q4_1(out: out, src, count: count)
        case .q5_0: q5_0(out: out, src, count: count)
        case .q5_1: q5_1(out: out, src, count: count)
        case .q2_K: q2_K(out: out, src, count: count)
        case .q3_K: q3_K(out: out, src, count: count)
        case .q4_K: q4_K(out: out, src, count: count)
        case .q5_K: q5_K(out: out, src, count: count)
        case .q6_K: q6_K(out: out, src, count: count)
        }
    }

    /// Row `index` of a 2-D (or higher) tensor, as f32. out: [info.rowLength]
    public static func row(out: UnsafeMutablePointer<Float>, tensor info: GGUFTensorInfo, data: UnsafeRawBufferPointer, index: Int) {
        precondition(index >= 0 && index < info.rowCount, "row \(index) out of 0..<\(info.rowCount)")
        row(out: out, data.baseAddress! + index * info.rowBytes, type: info.type, count: info.rowLength)
    }

    /// The whole tensor as f32, in storage order (ne0 fastest). Returns [info.elementCount].
    public static func tensor(_ info: GGUFTensorInfo, data: UnsafeRawBufferPointer) -> [Float] {
        [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            for r in 0..<info.rowCount {
                row(out: buffer.baseAddress! + r * info.rowLength, tensor: info, data: data, index: r)
            }
            initialized = info.elementCount
        }
    }

    // MARK: Per type

    public static func f32(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
    }

    public static func f16(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for i in 0..<count { out[i] = HalfFloat.f16ToF32(loadU16(src, 2 * i)) }
    }

    public static func bf16(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for i in 0..<count { out[i] = HalfFloat.bf16ToF32(loadU16(src, 2 * i)) }
    }

    /// Q8_0 block (34 bytes): f16 d, int8 q[32]; w[i] = d * q[i].
    public static func q8_0(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 32) {
            let block = src + b * 34
            let d = HalfFloat.f16ToF32(loadU16(block, 0))
            for i in 0..<32 {
                out[b * 32 + i] = d * Float(Int8(bitPattern: block.load(fromByteOffset: 2 + i, as: UInt8.self)))
            }
        }
    }

    /// Q4_0 block (18 bytes): f16 d, 16 bytes of nibbles; w = d * (q - 8).
    /// Byte j holds element j in its low nibble and element j + 16 in its high nibble.
    public static func q4_0(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 32) {
            let block = src + b * 18
            let d = HalfFloat.f16ToF32(loadU16(block, 0))
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                out[b * 32 + j] = d * Float(Int(byte & 0x0F) - 8)
                out[b * 32 + j + 16] = d * Float(Int(byte >> 4) - 8)
            }
        }
    }

    /// Q4_1 block (20 bytes): f16 d, f16 m, 16 bytes of nibbles; w = d * q + m.
    /// Byte j holds element j in its low nibble and element j + 16 in its high nibble
    /// (NOT interleaved pairs: the nibble-order test fails if this is changed).
    public static func q4_1(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 32) {
            let block = src + b * 20
            let d = HalfFloat.f16ToF32(loadU16(block, 0))
            let m = HalfFloat.f16ToF32(loadU16(block, 2))
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                out[b * 32 + j] = d * Float(byte & 0x0F) + m
                out[b * 32 + j + 16] = d * Float(byte >> 4) + m
            }
        }
    }

    /// Q5_0 block (22 bytes): f16 d, u32 qh (bit j = high bit of element j), 16 bytes of nibbles
    /// in Q4_0's order; w = d * (q - 16) with q = nibble | high bit << 4.
    public static func q5_0(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 32) {
            let block = src + b * 22
            let d = HalfFloat.f16ToF32(loadU16(block, 0))
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 6 + j, as: UInt8.self)
                let lo = Int(byte & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                out[b * 32 + j] = d * Float(lo - 16)
                out[b * 32 + j + 16] = d * Float(hi - 16)
            }
        }
    }

    /// Q5_1 block (24 bytes): f16 d, f16 m, u32 qh, 16 bytes of nibbles (as Q5_0); w = d * q + m.
    public static func q5_1(out: UnsafeMutablePointer<Float>, _ src: UnsafeRawPointer, count: Int) {
        for b in 0..<(count / 32) {
            let block = src + b * 24
            let d = HalfFloat.f16ToF32(loadU16(block, 0))
            let m = HalfFloat.f16ToF32(loadU16(block, 2))
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 8 + j, as: UInt8.self)
                let lo = UInt32(byte & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
                let hi = UInt32(byte >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                out[b * 32 + j] = d * Float(lo) + m
                out[b * 32 + j + 16] = d * Float(hi) + m
            }
        }
    }

    @inline(__always)
    static func loadU16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
