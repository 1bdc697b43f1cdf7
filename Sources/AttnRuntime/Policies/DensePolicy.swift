// `dense`: full causal attention, nothing selected away, nothing evicted. The baseline every
// other policy is compared with.

public final class DensePolicy: AttentionPolicy {
    public let name = "dense"
    public let mode = AttentionPolicyMode.dense
    public var parameters: [(key: String, value: String)] { [] }
    private var kvHeads = 0

    public init() {}

    public func reset(layers: Int, shape: AttentionShape) { kvHeads = shape.kvHeads }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        Array(repeating: [], count: cache.kvHeads)
    }
}
