import Foundation

// Softmax over one row, with a SIMD exp (Cephes' expf polynomial, ≤ 2 ulp on [-87, 88]).
// Libm's scalar expf would cost ~5-10 ns per key; at 4K context a decode step needs ~1M of them.

/// e^x lane-wise. Inputs below -87.3 give 0 (flush), above 88.3 give +inf-like large values.
@inline(__always)
func simdExp(_ v: SIMD8<Float>) -> SIMD8<Float> {
    // (clamped/pointwiseMin are generic and not inlined: ~10x slower than these selects)
    var x0 = v.replacing(with: -87.3, where: v .< -87.3)
    x0.replace(with: 88.3, where: x0 .> 88.3)
    // n = round(x / ln 2); r = x - n·ln 2 (ln 2 split in two for precision)
    let n = (x0 * 1.44269504088896341).rounded(.toNearestOrEven)
    var r = x0.addingProduct(n, SIMD8(repeating: -0.693359375))
    r = r.addingProduct(n, SIMD8(repeating: 2.12194440e-4))
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let e = (p * (r * r) + r) + 1
    // 2^n through the exponent bits. n is integral and small, so adding 1.5·2^23 puts it in the
    // low mantissa bits (a vector Float→Int32 conversion without the stdlib's generic path).
    let nInt = unsafeBitCast(n + 12582912, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let bits = (nInt &+ 127) &<< 23
    let scale = unsafeBitCast(bits, to: SIMD8<Float>.self)
    var out = e * scale
    out.replace(with: 0, where: v .< -87.3)
    return out
}

/// max x[0 ..< n], 8 lanes at a time (−∞ for n = 0).
@inline(__always)
func largestValue(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    let xr = UnsafeRawPointer(x)
    var vmax = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= n {
        let v = xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        vmax.replace(with: v, where: v .> vmax)
        i += 8
    }
    var m = vmax.max()
    while i < n { m = max(m, x[i]); i += 1 }
    return m
}

/// x[i] = exp(x[i] - max) / Σ_j exp(x[j] - max) for i in 0 ..< n. Returns max + log Σ (the log-sum-exp).
@discardableResult
public func softmaxInPlace(_ x: UnsafeMutablePointer<Float>, count n: Int) -> Float {
    guard n > 0 else { return -.infinity }
    let xr = UnsafeMutableRawPointer(x)
    let mx = largestValue(x, count: n)
    let m8 = SIMD8<Float>(repeating: mx)
    var vsum = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
        let e = simdExp(xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8)
        xr.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
        vsum += e; i += 8
    }
    if i < n {
        var tail = SIMD8<Float>(repeating: -.infinity)
        for k in 0..<(n - i) { tail[k] = x[i + k] - mx }
        let e = simdExp(tail)
        for k in 0..<(n - i) { x[i + k] = e[k]; vsum[k] += e[k] }
    }
    let sum = vsum.sum()
    let inv = SIMD8<Float>(repeating: 1 / sum)
    i = 0
    while i + 8 <= n {
        xr.storeBytes(of: xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * inv, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { x[i] *= inv[0]; i += 1 }
    return mx + logf(sum)
}

/// The reference: the same in Double with libm exp.
public func softmaxNaive(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    guard n > 0 else { return }
    var mx = -Double.infinity
    for i in 0..<n { mx = max(mx, Double(x[i])) }
    var sum = 0.0
    var e = [Double](repeating: 0, count: n)
    for i in 0..<n { e[i] = exp(Double(x[i]) - mx); sum += e[i] }
    for i in 0..<n { x[i] = Float(e[i] / sum) }
}
