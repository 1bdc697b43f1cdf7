// MARK: - f16 / bf16 <-> f32

/// IEEE half (f16) and bfloat16 conversions used by the quant formats (block scales) and F16/BF16 tensors.
public enum HalfFloat {
    /// f16 bits -> f32 (exact; compiles to vcvtph2ps with -mf16c).
    @inline(__always)
    public static func f16ToF32(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    /// f32 -> f16 bits, round to nearest even.
    @inline(__always)
    public static func f32ToF16(_ value: Float) -> UInt16 { Float16(value).bitPattern }

    /// bf16 bits -> f32 (exact: bf16 is the top half of an f32).
    @inline(__always)
    public static func bf16ToF32(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// f16 bits -> f32 by hand (no hardware conversion): the reference the fast path is tested against.
    public static func f16ToF32Naive(_ bits: UInt16) -> Float {
        let sign: Float = (bits & 0x8000) != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24                      // subnormal
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
