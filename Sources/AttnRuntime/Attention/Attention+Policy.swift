// How `Attention.forward` drives an `AttentionPolicy` (the order is documented in
// AttentionPolicy.swift) and hands its inputs to a probe that wants them (the recorder's dense
// shadow). Kept apart from Attention.swift so that the kernels there stay readable.

/// A probe that also wants the raw inputs of every attention call, before attention runs
/// (e.g. to keep a never-evicted shadow cache for dense reference attention).
public protocol AttentionInputObserver: AttentionProbe {
    /// q: [T, H·d] after RoPE; k, v: [T, G·d] the new entries; positions: [T].
    func attentionInputs(layer: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         positions: UnsafePointer<Int32>, tokens: Int)
}

/// Hands each head's rows to the policy (when it observes attention) and then to the probe.
final class PolicyProbeTee: AttentionProbe {
    var policy: AttentionPolicy?
    var probe: AttentionProbe?

    func attentionComputed(_ rows: HeadProbabilityRows) {
        policy?.observe(rows)
        probe?.attentionComputed(rows)
    }

    /// The policy observes the heads one by one on this thread; the probe gets the whole batch.
    func attentionComputed(layer: Int, heads: UnsafeBufferPointer<HeadProbabilityRows>, pool: WorkerPool) {
        if let policy { for rows in heads { policy.observe(rows) } }
        probe?.attentionComputed(layer: layer, heads: heads, pool: pool)
    }
}

extension Attention {
    /// Who receives the probabilities of this call: nil when nobody needs them (the fast path).
    var rowReceiver: AttentionProbe? {
        guard let policy, policy.observesAttention else { return probe }
        tee.policy = policy
        tee.probe = probe
        return tee
    }

    /// The policy's reweighting hook when it changes rows of `layer` (AttentionHooks.swift).
    func reweighter(layer: Int) -> AttentionReweighting? {
        guard let r = policy as? AttentionReweighting, r.reweights(layer: layer) else { return nil }
        return r
    }

    func beginPolicyCall(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         positions: UnsafePointer<Int32>, tokens t: Int, layer: Int, cache: KVCache) {
        (probe as? AttentionInputObserver)?.attentionInputs(layer: layer, q: q, k: k, v: v, positions: positions, tokens: t)
        policy?.beginCall(layer: layer, queryCount: t, cache: cache)
    }

    func endPolicyCall(tokens t: Int, layer: Int, cache: KVCache) {
        guard let policy else { return }
        let drops = policy.endCall(layer: layer, queryCount: t, cache: cache)
        precondition(drops.isEmpty || drops.count == cache.kvHeads, "policy \(policy.name) returned \(drops.count) KV heads")
        for (g, drop) in drops.enumerated() where !drop.isEmpty {
            if let probe {
                let p = cache.positions(layer: layer, kvHead: g)
                probe.entriesEvicted(layer: layer, kvHead: g, positions: drop.sorted().map { p[$0] })
            }
            cache.remove(layer: layer, kvHead: g, indices: drop)
        }
    }
}
