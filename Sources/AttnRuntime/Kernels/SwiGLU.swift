import Foundation

// SwiGLU's gate: out[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^-x).

/// out [n] = silu(gate [n]) · up [n]. out may alias gate or up.
public func swiGLU(_ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count n: Int) {
    let g = UnsafeRawPointer(gate), u = UnsafeRawPointer(up), o = UnsafeMutableRawPointer(out)
    var i = 0
    while i + 8 <= n {
        let gv = g.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let uv = u.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let s = gv / (1 + simdExp(-gv))
        o.storeBytes(of: s * uv, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { out[i] = gate[i] / (1 + expf(-gate[i])) * up[i]; i += 1 }
}

/// The reference with libm exp in Double.
public func swiGLUNaive(_ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count n: Int) {
    for i in 0..<n {
        let gd = Double(gate[i])
        out[i] = Float(gd / (1 + exp(-gd)) * Double(up[i]))
    }
}
