// MARK: - Tensor element types

/// The tensor element types this runtime can read, with ggml's numbering (`enum ggml_type`).
///
/// Quantized types store blocks of `blockSize` elements in `bytesPerBlock` bytes along ne0
/// (the fastest-varying dimension), so ne0 must be a multiple of `blockSize`.
/// Any other ggml type is rejected when the file is opened (`GGUFError.unsupportedTensorType`).
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2   // f16 d, 16 bytes of nibbles: w = d * (q - 8)
    case q4_1 = 3   // f16 d, f16 m, 16 bytes of nibbles: w = d * q + m
    case q5_0 = 6   // f16 d, 32 high bits, 16 bytes of nibbles: w = d * (q - 16)
    case q5_1 = 7   // f16 d, f16 m, 32 high bits, 16 bytes of nibbles: w = d * q + m
    case q8_0 = 8   // f16 d, 32 x int8: w = d * q
    // K-quants: super-blocks of 256 elements in sub-blocks of 16 or 32, each with its own scale.
    case q2_K = 10  // 16 4-bit scale/min pairs, 2-bit q, f16 d, f16 dmin
    case q3_K = 11  // high-bit mask, 2-bit low q, 16 6-bit scales, f16 d
    case q4_K = 12  // f16 d, f16 dmin, 8 6-bit scale/min pairs, 4-bit q
    case q5_K = 13  // as Q4_K plus a high-bit plane
    case q6_K = 14  // 4-bit low q, 2-bit high q, 16 int8 scales, f16 d
    case bf16 = 30

    /// Elements per block (1 for the plain float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return 256
        }
    }

    /// Bytes per block of `blockSize` elements.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q2_K: return 84    // scales[16] + qs[64] + d + dmin
        case .q3_K: return 110   // hmask[32] + qs[64] + scales[12] + d
        case .q4_K: return 144   // d + dmin + scales[12] + qs[128]
        case .q5_K: return 176   // d + dmin + scales[12] + qh[32] + qs[128]
        case .q6_K: return 210   // ql[128] + qh[64] + scales[16] + d
        }
    }

    /// True for the 256-element super-block formats (Q2_K ... Q6_K).
    public var isKQuant: Bool { blockSize == 256 }

    /// ggml's name for the type ("Q4_1", "F32", ...).
    public var description: String { GGMLType.name(rawValue: rawValue) }

    /// Bytes needed for one row of `count` elements, or nil if `count` is not a whole number of blocks
    /// or the size overflows.
    public func rowBytes(count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }

    /// ggml's name for any type number, including the ones this runtime does not support,
    /// so errors can say "Q4_K (12)" rather than only a number.
    public static func name(rawValue: UInt32) -> String {
        let names: [UInt32: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
            10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
            16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
            22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
            29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
        ]
        return names[rawValue] ?? "unknown type \(rawValue)"
    }
}
