// RMSNorm: out[i] = x[i] / sqrt(mean(x²) + eps) · w[i]   (Llama; no mean subtraction, no bias)

/// out [n] = rmsnorm(x [n]) · w [n]. out may alias x.
public func rmsNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                    count n: Int, eps: Float) {
    var acc = SIMD8<Float>()
    let xr = UnsafeRawPointer(x)
    var i = 0
    while i + 8 <= n {
        let v = xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        acc = acc.addingProduct(v, v); i += 8
    }
    var ss = acc.sum()
    while i < n { ss += x[i] * x[i]; i += 1 }
    let scale = 1 / (ss / Float(n) + eps).squareRoot()
    for j in 0..<n { out[j] = x[j] * scale * w[j] }
}

/// The reference, summing in Double.
public func rmsNormNaive(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                         count n: Int, eps: Float) {
    var ss = 0.0
    for i in 0..<n { ss += Double(x[i]) * Double(x[i]) }
    let scale = 1 / (ss / Double(n) + Double(eps)).squareRoot()
    for j in 0..<n { out[j] = Float(Double(x[j]) * scale * Double(w[j])) }
}
