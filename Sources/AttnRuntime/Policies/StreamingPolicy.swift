// `streaming`: StreamingLLM (arXiv 2309.17453) [code: mit-han-lab/streaming-llm
// `StartRecentKVCache`]. The cache keeps the first `sink` entries and the `window` most recent
// ones; everything between is evicted as soon as the cache holds more than sink + window. The
// same entries go for every head (the reference cache is per layer).
//
// This project's reading: the prompt is prefilled densely and the cache is cut right after it
// (the reference chat demo's order); keys keep the RoPE of their original positions (the
// reference re-rotates keys to their cache slots instead; see docs/policies.md).

public final class StreamingPolicy: AttentionPolicy {
    public let name = "streaming"
    public let mode = AttentionPolicyMode.evicts
    public let sink: Int
    public let window: Int
    public var parameters: [(key: String, value: String)] { [("sink", "\(sink)"), ("window", "\(window)")] }

    public init(sink: Int = 4, window: Int = 64) throws {
        guard sink >= 0 else { throw PolicyError("policy streaming: sink=\(sink) must be ≥ 0") }
        guard window >= 1 else { throw PolicyError("policy streaming: window=\(window) must be ≥ 1") }
        self.sink = sink; self.window = window
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(sink: p.int("sink"),
                      window: p.int("window"))
    }

    public func reset(layers: Int, shape: AttentionShape) {}

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        (0..<cache.kvHeads).map { g in
            let n = cache.count(layer: layer, kvHead: g)
            return n > sink + window ? Array(sink ..< n - window) : []
        }
    }
}
