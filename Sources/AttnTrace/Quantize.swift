// How Floats are stored. Three forms, each documented in docs/trace-format.md §Numbers:
//   unit16  [0, 1] quantities (sink mass, entropy, recall, overlap): u16 fixed point, step 1/65534,
//           0xFFFF = NaN. Finer than f16 near 1 (f16 steps by 2^-11 there). Values outside [0, 1]
//           are clamped.
//   half    unbounded quantities (output error): IEEE 754 binary16.
//   log8    probabilities for heatmaps and sink scores: 0 = exactly 0 (or below 2^-21), else
//           code c in 1…255 stands for 2^((c − 255) / 12), i.e. 12 codes per octave, ±2.9 %.

public enum Quantize {
    static let unitScale: Float = 65534
    static let unitNaN: UInt16 = 0xFFFF

    @inline(__always) public static func unit16(_ v: Float) -> UInt16 {
        if v.isNaN { return unitNaN }
        let c = min(max(v, 0), 1)
        return UInt16(c * unitScale + 0.5)   // round half up; c ≥ 0 (avoids a libm roundf call)
    }

    @inline(__always) public static func fromUnit16(_ q: UInt16) -> Float {
        q == unitNaN ? .nan : Float(q) / unitScale
    }

    /// Codes per octave of the 8-bit log scale.
    static let logStepsPerOctave: Float = 12

    /// log8 code of `v`: the number of thresholds t_c = 2^((c − 255.5) / 12), c = 1…255, that are ≤ v
    /// (that is, round(255 + 12·log2 v) clamped to 0…255, with exact float thresholds).
    /// Fast path: the float's exponent gives the octave; its mantissa is compared with the 12
    /// thresholds b_k = 2^((k − 0.5) / 12) of one octave (bit patterns: positive floats order like
    /// their bits). No tables, no libm.
    @inline(__always) public static func log8(_ v: Float) -> UInt8 {
        guard v >= Float(bitPattern: 0x34DD_93CE) else { return 0 }   // t_1 = 2^(−254.5/12); also NaN, ≤ 0
        if v >= Float(bitPattern: 0x3F78_B651) { return 255 }           // t_255 = 2^(−0.5/12)
        let bits = v.bitPattern
        let e = Int((bits >> 23) & 0xFF) - 127                        // v = 2^e · m, m in [1, 2)
        let m = (bits & 0x7F_FFFF) | 0x3F80_0000                      // bits of m
        var k = 0
        k += m >= 0x3F83_C02D ? 1 : 0; k += m >= 0x3F8B_95C2 ? 1 : 0; k += m >= 0x3F93_E299 ? 1 : 0
        k += m >= 0x3F9C_ADC9 ? 1 : 0; k += m >= 0x3FA5_FED7 ? 1 : 0; k += m >= 0x3FAF_DDB7 ? 1 : 0
        k += m >= 0x3FBA_52D8 ? 1 : 0; k += m >= 0x3FC5_672A ? 1 : 0; k += m >= 0x3FD1_2424 ? 1 : 0
        k += m >= 0x3FDD_93CE ? 1 : 0; k += m >= 0x3FEA_C0C7 ? 1 : 0; k += m >= 0x3FF8_B651 ? 1 : 0
        return UInt8(255 + 12 * e + k)
    }

    /// The definition of log8, counting thresholds one by one (the fast version is tested against it).
    public static func log8Reference(_ v: Float) -> UInt8 {
        var c = 0
        for t in 1...255 where v >= Float(exp2((Double(t) - 255.5) / 12)) { c = t }
        return UInt8(c)
    }

    @inline(__always) public static func fromLog8(_ q: UInt8) -> Float {
        q == 0 ? 0 : log8Table[Int(q)]
    }

    static let log8Table: [Float] = (0..<256).map { c in
        c == 0 ? 0 : exp2((Float(c) - 255) / logStepsPerOctave)
    }

    /// IEEE binary16 bits of `v` (round to nearest even), without the libgcc call that Float16(v)
    /// becomes on x86-64 without F16C. Equal to `Float16(v).bitPattern` (tested).
    @inline(__always) public static func half(_ v: Float) -> UInt16 {
        let x = v.bitPattern
        let sign = UInt16((x >> 16) & 0x8000)
        let exp = Int((x >> 23) & 0xFF)
        let mant = x & 0x7F_FFFF
        if exp == 0xFF { return sign | 0x7C00 | (mant != 0 ? UInt16(0x200 | (mant >> 13)) : 0) }   // inf, NaN
        let e = exp - 127 + 15
        if e >= 31 { return sign | 0x7C00 }                         // overflow → inf
        if e <= 0 {                                                 // subnormal half, or zero
            if e < -10 { return sign }
            let m = mant | 0x80_0000                                // 24-bit significand
            let shift = UInt32(14 - e)                              // 14…24
            var h = m >> shift
            let rest = m & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            if rest > halfway || (rest == halfway && h & 1 == 1) { h += 1 }
            return sign | UInt16(h)
        }
        var h = UInt32(e) << 10 | (mant >> 13)
        let rest = mant & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) { h += 1 }   // may carry into the exponent: correct
        return sign | UInt16(h)
    }

    /// Round trip through the stored form, so that callers (tests, diffs) can compare exactly.
    public static func roundUnit(_ v: Float) -> Float { fromUnit16(unit16(v)) }
    public static func roundHalf(_ v: Float) -> Float { Float(Float16(bitPattern: half(v))) }
    public static func roundLog(_ v: Float) -> Float { fromLog8(log8(v)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
