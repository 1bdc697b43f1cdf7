// Block layouts of the quantized weight formats the kernels read directly (ggml's layouts).
// Every block holds 32 weights of one row, along the row (GGUF's ne0).
//
//   Q4_0: f16 d, 16 bytes of nibbles            w = d * (q - 8)
//   Q4_1: f16 d, f16 m, 16 bytes of nibbles     w = d * q + m
//   Q8_0: f16 d, 32 x int8                      w = d * q
//
// Nibble order (Q4_0 and Q4_1): byte i holds element i in its low nibble and element i + 16 in
// its high nibble, so the low nibbles are elements 0-15 and the high nibbles 16-31.

/// Weights per quant block.
public let quantBlockSize = 32

/// Block sizes in bytes.
public enum QuantBlockBytes {
    public static let q4_0 = 18
    public static let q4_1 = 20
    public static let q8_0 = 34
}

/// An f16 bit pattern as a Float (the loader's `HalfFloat`, F16C `vcvtph2ps` with this target's flags).
@inline(__always)
func halfToFloat(_ bits: UInt16) -> Float { HalfFloat.f16ToF32(bits) }
