// Rotary position embedding. Pair i (0 ..< d/2) of a head vector is rotated by the angle
// position · base^(-2i/d). Which two elements form pair i depends on how the weights were laid out:
//
//   .adjacentPairs  (x[2i], x[2i+1])      GGUF llama weights (permuted at conversion; llama.cpp's
//                                          "normal" RoPE, Meta's original complex-number form)
//   .halves         (x[i], x[i + d/2])    HF transformers' rotate_half / GPT-NeoX, e.g. Gemma GGUFs
//
// The wrong choice still produces text (SmolLM2 perplexity ~34 instead of ~7), so RoPETests checks it.

import Foundation

public enum RoPEStyle: Sendable, Equatable {
    case adjacentPairs
    case halves
}

/// cos[i], sin[i] of the angle position · base^(-2i/r) / factors[i] for i in 0 ..< r/2, r = rotated
/// dims (angles in Double); `factors` [r/2] are Llama 3's frequency factors (nil: all 1).
public func ropeAngles(cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>,
                       position: Int, rotatedDims d: Int, base: Float, factors: [Float]? = nil) {
    for i in 0..<(d / 2) {
        let invFreq = pow(Double(base), -Double(2 * i) / Double(d)) / Double(factors?[i] ?? 1)
        let angle = Double(position) * invFreq
        cos[i] = Float(Foundation.cos(angle))
        sin[i] = Float(Foundation.sin(angle))
    }
}

/// Rotates the first r dims of each of `heads` head vectors in x [heads, d] in place, with
/// cos/sin [r/2] of one position (r = d for SmolLM2; dims r ..< d are left as they are).
public func applyRoPE(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim d: Int, rotatedDims r: Int,
                      cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, style: RoPEStyle) {
    let half = r / 2
    for h in 0..<heads {
        let v = x + h * d
        for i in 0..<half {
            let (a, b) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half)
            let x0 = v[a], x1 = v[b]
            v[a] = x0 * cos[i] - x1 * sin[i]
            v[b] = x0 * sin[i] + x1 * cos[i]
        }
    }
}
