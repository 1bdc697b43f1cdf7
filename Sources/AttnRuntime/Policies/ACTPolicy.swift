// `act`: ACT, hidden attention sinks (arXiv 2406.15765) [code: GATECH-EIC/ACT
// `models/llama_modelling_aug.py::atten_process_eval`; METHODS.md §8].
//
// - Detection, per (layer, query head), on the prompt's attention map A [N, N] (the prefill
//   call, observed as computed): r_j = Σ_i A_ij / (N − j), the mean weight key j receives from
//   the N − j queries that see it. Key j is a sink if r_j > `threshold` (0.1, absolute); the
//   first detected index (normally token 0) is dropped, as the reference's `indices[1:]`.
// - Calibration, after softmax and before A·V (AttentionReweighting): for the sink columns S,
//   a_S ← β·a_S, and the removed mass (1 − β)·Σ_S a is spread over the other columns in
//   proportion to their weights, so the row still sums to 1.
// - This project's reading: the reference detects and calibrates in the same forward pass over
//   the whole sequence; here the per-row hook runs before the whole prefill map exists, so the
//   prefill is computed uncalibrated (it is what detection reads) and decode rows are calibrated.
//   Heads: `heads=all` or a list (the reference keeps the heads whose calibration helps, found
//   offline); layers: give the others `dense` with a layer map (the reference skips layers 0–1).

public final class ACTPolicy: AttentionPolicy, AttentionReweighting {
    public let name = "act"
    public let mode = AttentionPolicyMode.dense
    public let beta: Float
    public let threshold: Float
    public let heads: [Int]?
    public var parameters: [(key: String, value: String)] {
        [("beta", "\(beta)"), ("threshold", "\(threshold)"), ("heads", headListDescription(heads))]
    }

    private var shape = AttentionShape(heads: 1, kvHeads: 1, headDim: 1)
    private var calibrated: [Bool] = []                  // [H]
    private var columnSums: [[Double]] = []              // [layer · H + h] during the prefill call
    private var promptLength: [Int] = []                 // [layer]
    /// Detected hidden sinks per (layer · H + h): original positions, ascending.
    public private(set) var sinks: [[Int32]] = []
    private var prefillCall = false

    public init(beta: Float = 0.4, threshold: Float = 0.1, heads: [Int]? = nil) throws {
        guard (0...1).contains(beta) else { throw PolicyError("policy act: beta=\(beta) must be in 0...1") }
        self.beta = beta; self.threshold = threshold; self.heads = heads
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(beta: p.float("beta"), threshold: p.float("threshold"), heads: p.heads("heads"))
    }

    public var observesAttention: Bool { prefillCall }

    public func check(layers: Int, shape: AttentionShape) throws { try checkHeads(heads, policy: name, shape: shape) }

    public func reset(layers: Int, shape: AttentionShape) {
        self.shape = shape
        calibrated = (0..<shape.heads).map { h in heads.map { $0.contains(h) } ?? true }
        columnSums = Array(repeating: [], count: layers * shape.heads)
        sinks = Array(repeating: [], count: layers * shape.heads)
        promptLength = Array(repeating: 0, count: layers)
    }

    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {
        // detection on the first call of a layer with several rows and an empty cache before it
        prefillCall = queryCount > 1 && promptLength[layer] == 0 && cache.count(layer: layer, kvHead: 0) == queryCount
    }

    public func observe(_ rows: HeadProbabilityRows) {
        guard prefillCall, calibrated[rows.head] else { return }
        let i = rows.layer * shape.heads + rows.head
        if columnSums[i].count < rows.keyCount { columnSums[i] += [Double](repeating: 0, count: rows.keyCount - columnSums[i].count) }
        for r in 0..<rows.rowCount {
            let row = rows.row(r)
            for j in row.indices { columnSums[i][j] += Double(row[j]) }
        }
    }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        guard prefillCall else { return [] }
        prefillCall = false
        promptLength[layer] = queryCount
        let p = cache.positions(layer: layer, kvHead: 0)
        for h in 0..<shape.heads where calibrated[h] {
            let i = layer * shape.heads + h
            sinks[i] = Self.hiddenSinks(columnSums: columnSums[i], threshold: threshold).map { p[$0] }
            columnSums[i] = []
        }
        return []
    }

    /// Indices j with Σ_i A_ij / (N − j) > threshold, without the first one found (N = count).
    static func hiddenSinks(columnSums: [Double], threshold: Float) -> [Int] {
        let n = columnSums.count
        let found = (0..<n).filter { columnSums[$0] / Double(n - $0) > Double(threshold) }
        return Array(found.dropFirst())
    }

    public func reweights(layer: Int) -> Bool {
        promptLength[layer] > 0 && !prefillCall && (0..<shape.heads).contains { !sinks[layer * shape.heads + $0].isEmpty }
    }

    public func reweight(_ row: UnsafeMutablePointer<Float>, count n: Int, keyPositions: UnsafePointer<Int32>,
                         queryPosition: Int32, layer: Int, head: Int) {
        let s = sinks[layer * shape.heads + head]
        guard !s.isEmpty, n > 1 else { return }
        Self.calibrate(row, count: n, keyPositions: keyPositions, sinks: s, beta: beta)
    }

    /// a_S ← β·a_S; the other entries gain (1 − β)·Σ_S a in proportion to their weights.
    static func calibrate(_ row: UnsafeMutablePointer<Float>, count n: Int, keyPositions: UnsafePointer<Int32>,
                          sinks: [Int32], beta: Float) {
        var isSink = [Bool](repeating: false, count: n)
        var k = 0, sinkMass: Float = 0
        for j in 0..<n {   // both ascending
            while k < sinks.count && sinks[k] < keyPositions[j] { k += 1 }
            if k < sinks.count && sinks[k] == keyPositions[j] { isSink[j] = true; sinkMass += row[j] }
        }
        let rest = 1 - sinkMass
        guard sinkMass > 0, rest > 0 else { return }
        let gain = 1 + (1 - beta) * sinkMass / rest
        for j in 0..<n { row[j] *= isSink[j] ? beta : gain }
    }
}
