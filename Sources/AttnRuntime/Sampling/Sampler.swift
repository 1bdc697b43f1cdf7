// Picks the next token from logits: greedy (temperature 0), or a draw from
// softmax(logits / temperature) restricted to the top-k tokens and then to the smallest set whose
// probability reaches top-p (nucleus), the order llama.cpp and HF transformers apply them in.
// Following transformers' convention, all logits processing happens in Float32.

import Foundation

public struct SamplerSettings: Sendable, Equatable {
    /// 0 = greedy (argmax); otherwise logits are divided by it before the softmax.
    public var temperature: Float
    /// Keep only the k most likely tokens (0 = all).
    public var topK: Int
    /// Keep the most likely tokens until their probability reaches p (1 = all).
    public var topP: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed
    }

    /// Why the settings are unusable, or nil.
    public var problem: String? {
        if !(temperature >= 0) || !temperature.isFinite { return "temperature \(temperature) must be ≥ 0" }
        if topK < 0 { return "top-k \(topK) must be ≥ 0" }
        if !(topP > 0 && topP <= 1) { return "top-p \(topP) must be in (0, 1]" }
        return nil
    }
}

public struct Sampler: Sendable {
    public let settings: SamplerSettings
    private var rng: Xoshiro256

    public init(_ settings: SamplerSettings) {
        precondition(settings.problem == nil, settings.problem ?? "")
        self.settings = settings
        rng = Xoshiro256(seed: settings.seed)
    }

    /// The index of the chosen token in `logits` [V].
    public mutating func sample(_ logits: [Float]) -> Int {
        if settings.temperature == 0 { return Sampler.argmax(logits) }
        // candidates sorted by logit, descending; top-k cut first
        var order = Array(logits.indices)
        let k = settings.topK > 0 ? min(settings.topK, logits.count) : logits.count
        if k < logits.count {
            order = Array(order.sorted { logits[$0] > logits[$1] }.prefix(k))
        } else {
            order.sort { logits[$0] > logits[$1] }
        }
        let maxLogit = logits[order[0]]
        var probs = order.map { expf((logits[$0] - maxLogit) / settings.temperature) }
        let total = probs.reduce(0, +)
        for i in probs.indices { probs[i] /= total }
        // top-p: the smallest prefix whose mass reaches p (always at least one token)
        var keep = probs.count
        if settings.topP < 1 {
            var mass: Float = 0
            for i in probs.indices {
                mass += probs[i]
                if mass >= settings.topP { keep = i + 1; break }
            }
        }
        let kept = probs[0..<keep].reduce(0, +)
        let r = rng.nextUnitFloat() * kept
        var acc: Float = 0
        for i in 0..<keep {
            acc += probs[i]
            if r < acc { return order[i] }
        }
        return order[keep - 1]
    }

    /// Index of the largest value (the first one on ties).
    public static func argmax(_ x: [Float]) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }
}
