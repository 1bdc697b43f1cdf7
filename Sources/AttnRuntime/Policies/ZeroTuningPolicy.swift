// `zerotuning`: ZeroTuning (arXiv 2505.11739) [code: FeijiangHan/ZeroTuning
// `modelling_llama.py::ZeroTuning_Attention`; METHODS.md §9]. After softmax and before A·V, for
// the chosen heads, the initial token's weight is scaled by γ and the row renormalised:
//   a'_0 = γ·a_0 / D,  a'_i = a_i / D,  D = (γ − 1)·a_0 + 1.
// Ratios among the other tokens are unchanged; γ > 1 flattens them, γ < 1 sharpens them. Equal
// to adding ln γ to the initial token's logit. Applied in prefill and decode (AttentionReweighting);
// the cache is untouched. "Initial token" = original position 0: once it is evicted (a layer map
// with an evicting policy on the same layer is impossible, one policy per layer) nothing changes.
// Layers: every layer the policy runs on; give other layers `dense` with a layer map. Heads:
// `heads=all` or a list. `attnscope calibrate --policy zerotuning` chooses heads and γ per layer
// (ZeroTuningCalibration.swift).

public final class ZeroTuningPolicy: AttentionPolicy, AttentionReweighting {
    public let name = "zerotuning"
    public let mode = AttentionPolicyMode.dense
    /// γ: the factor on the initial token's weight.
    public let gamma: Float
    /// Query heads scaled (nil: all).
    public let heads: [Int]?
    private var scaled: [Bool] = []   // [H]

    public var parameters: [(key: String, value: String)] { [("gamma", "\(gamma)"), ("heads", headListDescription(heads))] }

    public init(gamma: Float = 1.5, heads: [Int]? = nil) throws {
        guard gamma > 0, gamma.isFinite else { throw PolicyError("policy zerotuning: gamma=\(gamma) must be > 0") }
        self.gamma = gamma; self.heads = heads
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(gamma: p.float("gamma"), heads: p.heads("heads"))
    }

    public func check(layers: Int, shape: AttentionShape) throws {
        try checkHeads(heads, policy: name, shape: shape)
    }

    public func reset(layers: Int, shape: AttentionShape) {
        scaled = (0..<shape.heads).map { h in heads.map { $0.contains(h) } ?? true }
    }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] { [] }

    public func reweights(layer: Int) -> Bool { gamma != 1 && scaled.contains(true) }

    public func reweight(_ row: UnsafeMutablePointer<Float>, count n: Int, keyPositions: UnsafePointer<Int32>,
                         queryPosition: Int32, layer: Int, head: Int) {
        guard scaled[head], n > 0, keyPositions[0] == 0 else { return }
        Self.scaleInitial(row, count: n, gamma: gamma)
    }

    /// row[0] ← γ·a_0/D, row[i] ← a_i/D, D = (γ − 1)·a_0 + 1.
    static func scaleInitial(_ row: UnsafeMutablePointer<Float>, count n: Int, gamma: Float) {
        let a0 = row[0], inv = 1 / ((gamma - 1) * a0 + 1)
        for i in 1..<max(1, n) { row[i] *= inv }
        row[0] = gamma * a0 * inv
    }
}

/// "all" or the heads joined by '+', ranges folded ("0-3+7").
func headListDescription(_ heads: [Int]?) -> String {
    guard let heads, !heads.isEmpty else { return "all" }
    var parts: [String] = [], i = 0
    while i < heads.count {
        var j = i
        while j + 1 < heads.count && heads[j + 1] == heads[j] + 1 { j += 1 }
        parts.append(i == j ? "\(heads[i])" : "\(heads[i])-\(heads[j])")
        i = j + 1
    }
    return parts.joined(separator: "+")
}

/// A head list names only heads the model has.
func checkHeads(_ heads: [Int]?, policy: String, shape: AttentionShape) throws {
    if let bad = heads?.first(where: { $0 >= shape.heads }) {
        throw PolicyError("policy \(policy): heads names head \(bad); the model has \(shape.heads) heads (0-\(shape.heads - 1))")
    }
}
