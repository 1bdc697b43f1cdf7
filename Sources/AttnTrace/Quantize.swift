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
        return UInt16((c * unitScale).rounded())
    }

    @inline(__always) public static func fromUnit16(_ q: UInt16) -> Float {
        q == unitNaN ? .nan : Float(q) / unitScale
    }

    /// Codes per octave of the 8-bit log scale.
    static let logStepsPerOctave: Float = 12

    @inline(__always) public static func log8(_ v: Float) -> UInt8 {
        guard v > 0, v.isFinite else { return v == .infinity ? 255 : 0 }
        let c = 255 + (logStepsPerOctave * log2(v)).rounded()
        if c < 1 { return 0 }
        return UInt8(min(c, 255))
    }

    @inline(__always) public static func fromLog8(_ q: UInt8) -> Float {
        q == 0 ? 0 : log8Table[Int(q)]
    }

    static let log8Table: [Float] = (0..<256).map { c in
        c == 0 ? 0 : exp2((Float(c) - 255) / logStepsPerOctave)
    }

    /// Round trip through the stored form, so that callers (tests, diffs) can compare exactly.
    public static func roundUnit(_ v: Float) -> Float { fromUnit16(unit16(v)) }
    public static func roundHalf(_ v: Float) -> Float { Float(Float16(v)) }
    public static func roundLog(_ v: Float) -> Float { fromLog8(log8(v)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
