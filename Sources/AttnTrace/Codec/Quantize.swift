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
    /// Fast path: the float's exponent gives the octave; within it, the mantissa m is compared with
    /// the 12 thresholds b_k = 2^((k − 0.5) / 12) of one octave through `log8Cells`: the top 5
    /// mantissa bits pick a cell, which holds at most one threshold (cells are 2^-5 wide, thresholds
    /// at least 0.06 apart). No libm.
    @inline(__always) public static func log8(_ v: Float) -> UInt8 {
        guard v >= Float(bitPattern: 0x34DD_93CE) else { return 0 }   // t_1 = 2^(−254.5/12); also NaN, ≤ 0
        if v >= Float(bitPattern: 0x3F78_B651) { return 255 }           // t_255 = 2^(−0.5/12)
        let bits = v.bitPattern
        let e = Int((bits >> 23) & 0xFF) &- 127                       // v = 2^e · m, m in [1, 2); −22…−1
        let cell = log8Cells[Int((bits >> 18) & 31)]
        let k = Int(cell >> 24) &+ (bits & 0x3_FFFF >= cell & 0xFF_FFFF ? 1 : 0)
        return UInt8(truncatingIfNeeded: 255 &+ 12 &* e &+ k)         // 1…254 by the guards above
    }

    /// Per cell of the mantissa's top 5 bits: (thresholds b_k below the cell) << 24 | the low 18
    /// mantissa bits of the threshold inside the cell, or 2^18 when there is none.
    static let log8Cells: [UInt32] = [
        0x0003C02D, 0x01040000, 0x010395C2, 0x02040000, 0x0203E299, 0x03040000, 0x03040000, 0x0300ADC9,
        0x04040000, 0x0401FED7, 0x05040000, 0x0503DDB7, 0x06040000, 0x06040000, 0x060252D8, 0x07040000,
        0x07040000, 0x0701672A, 0x08040000, 0x08040000, 0x08012424, 0x09040000, 0x09040000, 0x090193CE,
        0x0A040000, 0x0A040000, 0x0A02C0C7, 0x0B040000, 0x0B040000, 0x0B040000, 0x0B00B651, 0x0C040000,
    ]

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
        let exp = (x >> 23) & 0xFF
        if exp &- 113 < 30 {   // 2^-14 ≤ |v| < 2^16: a normal half (or inf after rounding): inline, no branch
            let mant = x & 0x7F_FFFF, rest = mant & 0x1FFF
            var h = (exp &- 112) << 10 | (mant >> 13)
            h &+= rest &+ (h & 1) > 0x1000 ? 1 : 0   // to nearest, ties to even; may carry into the exponent: correct
            return UInt16(truncatingIfNeeded: (x >> 16) & 0x8000 | h)
        }
        return halfOutsideNormal(v)
    }

    /// `half` for zeros, subnormals, overflow, infinities and NaN.
    @inline(never) static func halfOutsideNormal(_ v: Float) -> UInt16 {
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
