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

    @inline(__always)
    private static func loadU16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
