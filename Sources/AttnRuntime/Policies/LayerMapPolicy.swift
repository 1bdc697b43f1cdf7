// `layers`: a policy per layer (PolicyLayerMap.swift). Each call goes to the policy of its
// layer; every policy of the map is reset with the whole model's shape and keeps its own
// per-layer state, of which it uses only its layers'.
//
// Header: name `layers`, one parameter per range, key the range (`L0-1`) and value the policy's
// resolved spec (`quest:page=16,budget=256,dense_layers=2`), so `stats` and `info` show what each
// layer ran without a trace format change. The mode is the strongest of the map's: `evicts` if
// any range evicts, else `selects` if any selects, else `dense`.

public final class LayerMapPolicy: AttentionPolicy {
    public let name = "layers"
    public let map: PolicyLayerMap
    /// Where the map came from (a policy file's path), for messages.
    let source: String?
    /// [ranges] the policy of each range of `map`.
    public let policies: [AttentionPolicy]
    private var byLayer: [AttentionPolicy] = []
    private var current: AttentionPolicy?

    public init(map: PolicyLayerMap, source: String? = nil, make: (String) throws -> AttentionPolicy) throws {
        self.map = map; self.source = source
        policies = try map.ranges.map { r in
            do { return try make(r.spec) } catch let e as PolicyError { throw PolicyError("layer map: \(r.label): \(e.message)") }
        }
        if let nested = policies.first(where: { $0 is LayerMapPolicy }) {
            throw PolicyError("layer map: a range cannot hold another layer map (\(nested.specDescription))")
        }
    }

    public var mode: AttentionPolicyMode {
        let modes = policies.map(\.mode)
        return modes.contains(.evicts) ? .evicts : modes.contains(.selects) ? .selects : .dense
    }

    public var parameters: [(key: String, value: String)] {
        zip(map.ranges, policies).map { ($0.label, $1.specDescription) }
    }

    public var specDescription: String {
        zip(map.ranges, policies).map { "\($0.label)=\($1.specDescription)" }.joined(separator: ";")
    }

    /// The policy of the layer being called (set by `beginCall`, which runs before attention).
    public var observesAttention: Bool { current?.observesAttention ?? false }

    public func policy(layer: Int) -> AttentionPolicy { byLayer[layer] }

    public func check(layers: Int, shape: AttentionShape) throws {
        try map.check(layers: layers, shape: shape, path: source)
        for (r, p) in zip(map.ranges, policies) {
            do { try p.check(layers: layers, shape: shape) } catch let e as PolicyError { throw PolicyError("layer map: \(r.label): \(e.message)") }
        }
    }

    public func reset(layers: Int, shape: AttentionShape) {
        byLayer = []
        for (r, p) in zip(map.ranges, policies) {
            p.reset(layers: layers, shape: shape)
            for _ in r.layers { byLayer.append(p) }
        }
        current = nil
    }

    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {
        current = byLayer[layer]
        byLayer[layer].beginCall(layer: layer, queryCount: queryCount, cache: cache)
    }

    public func select(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool {
        let p = byLayer[layer]
        return p.mode == .selects && p.select(layer: layer, query: q, cache: cache, into: &selection)
    }

    public func observe(_ rows: HeadProbabilityRows) { byLayer[rows.layer].observe(rows) }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        byLayer[layer].endCall(layer: layer, queryCount: queryCount, cache: cache)
    }

    public func nativeWindowRemoved(layer: Int, kvHead g: Int, oldest count: Int) {
        byLayer[layer].nativeWindowRemoved(layer: layer, kvHead: g, oldest: count)
    }
}

// The hooks go to the layer's policy when it has them.
extension LayerMapPolicy: AttentionReweighting, QueryHeadSelecting {
    public func reweights(layer: Int) -> Bool {
        (byLayer[layer] as? AttentionReweighting)?.reweights(layer: layer) ?? false
    }

    public func reweight(_ row: UnsafeMutablePointer<Float>, count n: Int, keyPositions: UnsafePointer<Int32>,
                         queryPosition: Int32, layer: Int, head: Int) {
        (byLayer[layer] as? AttentionReweighting)?.reweight(row, count: n, keyPositions: keyPositions,
                                                             queryPosition: queryPosition, layer: layer, head: head)
    }

    public func selectPerQueryHead(layer: Int, query q: UnsafePointer<Float>, cache: KVCache,
                                   into selection: inout [[Int]]) -> Bool {
        guard let p = byLayer[layer] as? QueryHeadSelecting, byLayer[layer].mode == .selects else { return false }
        return p.selectPerQueryHead(layer: layer, query: q, cache: cache, into: &selection)
    }
}
