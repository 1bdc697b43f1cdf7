import Foundation

/// Writes GGUF bytes by hand for tests, including deliberately broken ones.
/// Every field is appended explicitly, so a test can corrupt exactly one of them. Written from the
/// format description (ggml docs/gguf.md), independent of the reader under test: value types and
/// block sizes are its own tables.
public struct GGUFBuilder {
    /// GGUF metadata value types (gguf.md `gguf_metadata_value_type`).
    public enum ValueType: UInt32, Sendable {
        case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64
    }

    public enum Value {
        case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32), u64(UInt64), i64(Int64)
        case f32(Float), f64(Double), bool(Bool), string(String)
        case array(ValueType, [Value])
        /// Raw type number + raw payload, for malformed values.
        case raw(UInt32, [UInt8])
    }

    public struct Tensor {
        public var name: String
        public var type: UInt32
        public var shape: [UInt64]
        public var offset: UInt64? = nil  // nil: next aligned offset
        public var data: [UInt8]? = nil  // nil: deterministic filler of the right size

        public init(name: String, type: UInt32, shape: [UInt64], offset: UInt64? = nil, data: [UInt8]? = nil) {
            self.name = name; self.type = type; self.shape = shape; self.offset = offset; self.data = data
        }
    }

    public var magic: [UInt8] = Array("GGUF".utf8)
    public var version: UInt32 = 3
    public var metadata: [(String, Value)] = []
    public var tensors: [Tensor] = []
    public var alignment = 32
    /// Overrides of the header counts (for absurd-count tests).
    public var tensorCountOverride: UInt64? = nil
    public var metadataCountOverride: UInt64? = nil

    public init() {}

    public func bytes() -> [UInt8] {
        var out: [UInt8] = magic
        out.append(le: version)
        out.append(le: tensorCountOverride ?? UInt64(tensors.count))
        out.append(le: metadataCountOverride ?? UInt64(metadata.count))
        for (key, value) in metadata {
            out.appendString(key)
            GGUFBuilder.append(value, to: &out, withType: true)
        }
        var next: UInt64 = 0
        var blobs: [(UInt64, [UInt8])] = []
        for t in tensors {
            out.appendString(t.name)
            out.append(le: UInt32(t.shape.count))
            for d in t.shape { out.append(le: d) }
            out.append(le: t.type)
            let data = t.data ?? GGUFBuilder.filler(type: t.type, shape: t.shape)
            let offset = t.offset ?? next
            out.append(le: offset)
            blobs.append((offset, data))
            next = (offset &+ UInt64(data.count) &+ UInt64(alignment) &- 1) / UInt64(alignment) &* UInt64(alignment)
        }
        while out.count % alignment != 0 { out.append(0) }
        let written = blobs.filter { !$0.1.isEmpty }  // empty data: only the info is written (offset may be absurd)
        var section = [UInt8](repeating: 0, count: Int(written.map { $0.0 + UInt64($0.1.count) }.max() ?? 0))
        for (offset, data) in written { section.replaceSubrange(Int(offset)..<(Int(offset) + data.count), with: data) }
        return out + section
    }

    static func append(_ value: Value, to out: inout [UInt8], withType: Bool) {
        func type(_ t: ValueType) { if withType { out.append(le: t.rawValue) } }
        switch value {
        case .u8(let v): type(.uint8); out.append(v)
        case .i8(let v): type(.int8); out.append(UInt8(bitPattern: v))
        case .u16(let v): type(.uint16); out.append(le: v)
        case .i16(let v): type(.int16); out.append(le: v)
        case .u32(let v): type(.uint32); out.append(le: v)
        case .i32(let v): type(.int32); out.append(le: v)
        case .u64(let v): type(.uint64); out.append(le: v)
        case .i64(let v): type(.int64); out.append(le: v)
        case .f32(let v): type(.float32); out.append(le: v.bitPattern)
        case .f64(let v): type(.float64); out.append(le: v.bitPattern)
        case .bool(let v): type(.bool); out.append(v ? 1 : 0)
        case .string(let s): type(.string); out.appendString(s)
        case .array(let elementType, let values):
            type(.array)
            out.append(le: elementType.rawValue)
            out.append(le: UInt64(values.count))
            for v in values { append(v, to: &out, withType: false) }
        case .raw(let t, let payload):
            if withType { out.append(le: t) }
            out += payload
        }
    }

    /// (elements, bytes) per block of the ggml tensor types by number (ggml.h / gguf.md):
    /// F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K … Q6_K, BF16.
    public static let blockSizes: [UInt32: (elements: Int, bytes: Int)] = [
        0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
        10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 30: (1, 2),
    ]

    /// Deterministic bytes of the right size for a tensor (valid f16 scales for quant blocks).
    public static func filler(type: UInt32, shape: [UInt64]) -> [UInt8] {
        let count = Int(shape.reduce(1, *))
        guard let t = blockSizes[type] else { return [UInt8](repeating: 0x11, count: 64) }
        let size = count / t.elements * t.bytes
        var data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        if t.elements == 32 {
            for b in 0..<(count / 32) {  // scale d = 0.5 (0x3800), Q4_1 min m = -1 (0xBC00)
                data[b * t.bytes] = 0x00; data[b * t.bytes + 1] = 0x38
                if type == 3 { data[b * 20 + 2] = 0x00; data[b * 20 + 3] = 0xBC }
            }
        }
        return data
    }

    /// A complete, tiny llama model (1 layer, dim 64) with a 6-token vocabulary.
    public static func tinyLlama(architecture: String = "llama", dropTensor: String? = nil,
                          reshape: (String, [UInt64])? = nil) -> GGUFBuilder {
        var b = GGUFBuilder()
        b.metadata = [
            ("general.architecture", .string(architecture)),
            ("\(architecture).block_count", .u32(1)), ("\(architecture).context_length", .u32(128)),
            ("\(architecture).embedding_length", .u32(64)), ("\(architecture).feed_forward_length", .u32(96)),
            ("\(architecture).attention.head_count", .u32(4)), ("\(architecture).attention.head_count_kv", .u32(2)),
            ("\(architecture).rope.freq_base", .f32(10000)), ("\(architecture).attention.layer_norm_rms_epsilon", .f32(1e-5)),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.tokens", .array(.string, ["<s>", "</s>", "a", "b", "Ġ", "ab"].map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(.int32, [3, 3, 1, 1, 1, 1].map { .i32($0) })),
            ("tokenizer.ggml.merges", .array(.string, [.string("a b")])),
        ]
        let d: UInt64 = 64, f: UInt64 = 96, kv: UInt64 = 32
        var list: [(String, UInt32, [UInt64])] = [("token_embd.weight", 8, [d, 6]), ("output_norm.weight", 0, [d])]
        list += [("blk.0.attn_norm.weight", 0, [d]), ("blk.0.attn_q.weight", 3, [d, d]), ("blk.0.attn_k.weight", 3, [d, kv]),
                 ("blk.0.attn_v.weight", 2, [d, kv]), ("blk.0.attn_output.weight", 1, [d, d]), ("blk.0.ffn_norm.weight", 0, [d]),
                 ("blk.0.ffn_gate.weight", 30, [d, f]), ("blk.0.ffn_up.weight", 3, [d, f]), ("blk.0.ffn_down.weight", 3, [f, d])]
        for (name, type, shape) in list where name != dropTensor {
            b.tensors.append(Tensor(name: name, type: type, shape: reshape?.0 == name ? reshape!.1 : shape))
        }
        return b
    }
}

extension Array where Element == UInt8 {
    public mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    public mutating func appendString(_ s: String) {
        append(le: UInt64(s.utf8.count))
        append(contentsOf: s.utf8)
    }
}
