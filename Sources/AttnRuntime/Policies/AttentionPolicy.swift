// The policy interface: what every layer's attention call asks a KV/sparsity policy
// (METHODS.md §0). One object per run; it keeps its own state across layers and steps.
//
// The attention call (`Attention.forward`, see Attention+Policy.swift) drives it in this order,
// for each layer of each forward pass (prefill: T query rows; decode: T = 1):
//   1. the new keys/values are appended to the cache;
//   2. `beginCall(layer:queryCount:cache:)`;
//   2a. decode calls (one query row) only: `select(layer:query:cache:into:)`. A selecting policy
//      names, per KV head, the stream indices the query attends to; attention then runs over
//      those entries only (gathered, Attention+Selection.swift) and the cache is not touched;
//   3. attention is computed; when `observesAttention` is true, `observe(_:)` receives every
//      head's probabilities (columns = stream indices of the head's KV stream, or, after a
//      selection, indices into the selection; `keyPositions` always names the columns);
//   4. `endCall(layer:queryCount:cache:)` returns, per KV head, the stream indices to evict;
//      the attention call removes them from the cache and remembers their positions.
// So the current query always sees the pre-eviction cache (H2O's order, METHODS.md §3).
//
// Under GQA (H query heads share G < H KV streams) an evicting policy scores per query head and
// evicts per KV head: this project combines the H/G query heads of a group by SUM of their scores
// (an adaptation the papers do not specify; see docs/policies.md).
//
// A selection is likewise per KV head, not per query head: the group's query heads attend to the
// same gathered entries, so the split-key kernel still reads each gathered key once for the
// whole group, and the gather moves G (not H) sets of rows. A method defined per query head
// (Quest) combines the group's scores by SUM, as the evicting policies do.

/// Whether a policy restricts what queries attend to, or removes entries from the cache.
public enum AttentionPolicyMode: String, Sendable {
    case dense     // full causal attention
    case selects   // the cache keeps everything; queries attend to a subset
    case evicts    // entries leave the cache; KV bytes drop
}

public protocol AttentionPolicy: AnyObject {
    /// Command-line name (`streaming`, `h2o` …).
    var name: String { get }
    var mode: AttentionPolicyMode { get }
    /// Resolved parameters (defaults filled in), in a fixed order, for the trace header.
    var parameters: [(key: String, value: String)] { get }
    /// True when `observe` must see every head's probabilities (costs a copy-out per head).
    var observesAttention: Bool { get }
    /// `name` or `name:k=v,...` as it would be typed on the command line (a default below).
    var specDescription: String { get }

    /// Throws a PolicyError when the policy cannot run on this model (e.g. a budgets file for
    /// another model). Called before `reset`.
    func check(layers: Int, shape: AttentionShape) throws
    /// Forgets all state; called before a run starts with an empty cache.
    func reset(layers: Int, shape: AttentionShape)
    /// Before attention is computed for `layer`; the new entries are already in the cache.
    func beginCall(layer: Int, queryCount: Int, cache: KVCache)
    /// Selecting policies, decode calls (one query row) only, after `beginCall`: fill
    /// `selection[g]` (G arrays, passed in empty with their capacity kept) with the ascending
    /// stream indices KV head g's query heads attend to (at least one each, normally including
    /// the newest entry) and return true; return false to attend to every entry.
    /// q: [H·d] the query after RoPE. Calls with several query rows (prefill) are always dense.
    func select(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool
    /// Probabilities of one head over a block of this call's query rows.
    func observe(_ rows: HeadProbabilityRows)
    /// After attention for `layer`: stream indices to evict, per KV head ([G] arrays; empty = none).
    /// The policy compacts its own per-entry state to match before returning.
    func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]]
    /// After `endCall`, on a layer with a native sliding window (Gemma 3): the `count` oldest
    /// entries of KV head g's stream (stream indices 0 ..< count) left the cache because no later
    /// query can see them. A policy that keeps per-entry state drops theirs.
    func nativeWindowRemoved(layer: Int, kvHead g: Int, oldest count: Int)
}

extension AttentionPolicy {
    public var observesAttention: Bool { false }
    public func check(layers: Int, shape: AttentionShape) throws {}
    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {}
    public func select(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool {
        false
    }
    public func observe(_ rows: HeadProbabilityRows) {}
    public func nativeWindowRemoved(layer: Int, kvHead g: Int, oldest count: Int) {}
    public var specDescription: String {
        parameters.isEmpty ? name : name + ":" + parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

// MARK: - Helpers shared by evicting policies

/// Keeps `keep` (stream indices) and returns the complement in 0 ..< n, ascending.
func complement(of keep: [Int], count n: Int) -> [Int] {
    var kept = [Bool](repeating: false, count: n)
    for i in keep where i >= 0 && i < n { kept[i] = true }
    return (0..<n).filter { !kept[$0] }
}

/// Indices of the `k` largest scores among indices `range`, ties to the older (smaller) index.
func topIndices(_ scores: [Float], in range: Range<Int>, k: Int) -> [Int] {
    guard k > 0, !range.isEmpty else { return [] }
    if k >= range.count { return Array(range) }
    let sorted = range.sorted { a, b in scores[a] != scores[b] ? scores[a] > scores[b] : a < b }
    return Array(sorted.prefix(k)).sorted()
}

/// Removes the entries at `drop` (ascending or not) from a per-entry array.
func compact<T>(_ values: inout [T], dropping drop: [Int]) {
    guard !drop.isEmpty else { return }
    var gone = [Bool](repeating: false, count: values.count)
    for i in drop { gone[i] = true }
    var w = 0
    for r in values.indices where !gone[r] {
        values[w] = values[r]; w += 1
    }
    values.removeLast(values.count - w)
}
