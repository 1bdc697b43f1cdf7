import Foundation

// GeGLU's gate with the tanh approximation of GELU (Gemma):
//   out[i] = gelu(gate[i]) · up[i],  gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
// Since ½(1 + tanh z) = 1 / (1 + e^(−2z)), gelu(x) = x / (1 + e^(−2z)).

/// out [n] = gelu_tanh(gate [n]) · up [n]. out may alias gate or up.
public func gegluTanh(_ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count n: Int) {
    let g = UnsafeRawPointer(gate), u = UnsafeRawPointer(up), o = UnsafeMutableRawPointer(out)
    let c = Float((2.0 / Double.pi).squareRoot())
    var i = 0
    while i + 8 <= n {
        let x = g.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let uv = u.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let z = c * (x + 0.044715 * x * x * x)
        o.storeBytes(of: x / (1 + simdExp(-2 * z)) * uv, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n {
        let x = gate[i], z = c * (x + 0.044715 * x * x * x)
        out[i] = x / (1 + expf(-2 * z)) * up[i]
        i += 1
    }
}

/// The reference: the tanh form in Double.
public func gegluTanhNaive(_ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count n: Int) {
    for i in 0..<n {
        let x = Double(gate[i])
        let gelu = 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        out[i] = Float(gelu * Double(up[i]))
    }
}
