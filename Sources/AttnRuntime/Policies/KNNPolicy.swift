// `knn`: kNN attention, each decode query head attends to its `budget` keys of highest q·k
// (exact nearest neighbours by inner product, QueryHeadSelecting: per query head, so under GQA
// the heads of a group read different keys; cost in AttentionHooks.swift). Softmax is monotone,
// so these are also the head's `budget` largest weights: the sets equal `oracle:per=head`; `knn`
// is the method an approximate index (`retrieval`) stands in for, `oracle` the bound.
// Prefill is dense; the cache keeps every entry.

public final class KNNPolicy: AttentionPolicy, QueryHeadSelecting {
    public let name = "knn"
    public let mode = AttentionPolicyMode.selects
    public let budget: Int
    public var parameters: [(key: String, value: String)] { [("budget", "\(budget)")] }
    private let scores = ExactScores()

    public init(budget: Int = 256) throws {
        guard budget >= 1 else { throw PolicyError("policy knn: budget=\(budget) must be ≥ 1") }
        self.budget = budget
    }

    convenience init(_ p: inout PolicyParameters) throws { try self.init(budget: p.int("budget")) }

    public func reset(layers: Int, shape: AttentionShape) { scores.shape = shape }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] { [] }

    public func selectPerQueryHead(layer: Int, query q: UnsafePointer<Float>, cache: KVCache,
                                   into selection: inout [[Int]]) -> Bool {
        scores.selectTopScores(q: q, layer: layer, cache: cache, budget: budget, into: &selection)
    }
}
