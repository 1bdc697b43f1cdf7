// The one place where runtime values become trace records: an attention probe that turns each
// head's probabilities into HeadMetrics (METHODS.md §16), selections and heatmap rows, keeps the
// running received-attention scores α_k, optionally runs a dense "shadow" attention over a
// never-evicted copy of the cache for recall and output error, and at the end of each step
// assembles a StepFrame with the KV residency and timings.
//
// Decode calls deliver all heads of a layer at once with the model's worker pool. The per-head
// work (HeadTracker, the dense shadow row, the captured row) goes to the pool's worker as side
// work (`WorkerPool.startSide`) while the model goes on with the layer's matrix products, since
// each head's state is its own; the recorder waits for it (`finishSide`) when the next attention
// call begins and at the step's end. Prefill rows go head by head on the calling thread.
//
// Timing honesty: everything this probe does happens inside the model's attention call, so it
// measures its own time per layer on the calling thread (side work: copying, handing over and
// waiting) and subtracts it from the attention time it reports. The
// layer's "rest" time is the time from this layer's attention start to the next layer's (the
// last layer: to the end of the step), minus attention and probe time.

import AttnRuntime
import AttnTrace
import Foundation

final class TraceRecorder: AttentionInputObserver {
    struct Options {
        var capture: CaptureLevel = .metrics
        /// Decode rows are captured every `rowInterval` steps (capture ≥ .rows); .full: every step.
        var rowInterval = 16
        /// Compute the dense reference for recall and output error.
        var denseShadow = true
        /// Largest stored side of the pooled prefill matrix.
        var prefillSide = 256
        /// Benchmarks: skip per-row work during prefill (the dense shadow is still filled).
        var skipPrefillRows = false
        /// The top-α positions are recomputed every this many decode steps (and at prefill);
        /// in between a head reports its latest list. The scan over all positions is the
        /// recorder's largest per-step cost at long contexts.
        var topSinkInterval = 8
        /// Without side work, a decode call's heads run in parallel when they hold at least this many keys in all
        /// (an estimate; 9 heads × a 410-key window = 3,690 keys went slightly better in parallel),
        /// and at steps that refresh the top-α lists (a scan over every position seen).
        var parallelMinKeys = 2048
        /// Decode: the heads of a layer go to the pool's worker as side work (`WorkerPool.startSide`)
        /// while the model goes on with the layer's matrix products, finished before the next
        /// attention call; false: a parallel loop over the heads inside the attention call.
        var sideWork = true
        /// Tests: each side item first waits this long, so that a missing wait for side work
        /// (the runtime overwriting what an item reads) shows in the results.
        var sideItemDelayNanos: UInt64 = 0
    }

    let options: Options
    private let layers: Int, heads: Int, kvHeads: Int, headDim: Int, capacity: Int
    /// The model's native window per layer: dense attention there is dense over the window.
    private let layerWindows: [Int?]
    private let topSinkCount = 8

    // Per step
    private var stepIndex = 0, phase = Phase.prefill, position = 0, queryCount = 0
    private var lastPosition: Int32 = 0
    private var captureRows = false
    // The per-head slots, written by pool threads (each head its own slot): raw buffers, so that
    // their addresses stay valid while side work runs.
    private let metrics: UnsafeMutableBufferPointer<HeadMetrics?>             // [L·H] for this step
    private let selections: UnsafeMutableBufferPointer<HeadSelection?>        // [L·H]
    private let decodeRows: UnsafeMutableBufferPointer<AttnTrace.AttentionRows?>   // [L·H] captured decode rows
    private var rows: [AttnTrace.AttentionRows] = []
    private var pooled: [[Float]] = []                   // [L·H] tile sums of the prefill matrix
    private var probeNanos: [UInt64]                     // [L] time spent in this probe
    private var layerStart: [UInt64]                     // [L] when layer l's attention call began

    // Across steps
    private let trackers: [HeadTracker]                  // [L·H] α_k, previous selection, top-α list
    private let topSinks: UnsafeMutableBufferPointer<[SinkScore]>   // [L·H] the trackers' latest top-α lists
    private var outputs: HeadOutputs { HeadOutputs(metrics: metrics, selections: selections, decodeRows: decodeRows, topSinks: topSinks) }

    // Dense shadow: keys/values of every position ever written, per (layer, kvHead), index = position.
    private var shadowKeys: [UnsafeMutablePointer<Float>] = []     // [L·G] → [capacity, d]
    private var shadowValues: [UnsafeMutablePointer<Float>] = []   // [L·G] → [capacity, d]
    private var lastQuery: [[Float]]                               // [L] → [H·d] the step's last query row
    private var scratch: [ShadowScratch] = []                      // [pool threads]
    /// Layer calls whose heads went through the pool (for tests).
    private(set) var parallelBatches = 0
    /// Of those, the ones run as side work beside the model (for tests).
    private(set) var sideBatches = 0

    // Side work: the pending layer's heads, copied where the runtime may change them before the
    // next attention call (the batch array, query positions, visible counts, evicted streams' keys).
    private var sidePool: WorkerPool?                  // set while side work is pending
    private var sideRows: UnsafeMutablePointer<AttnRuntime.AttentionRows>? = nil   // [H]
    private let sideQuery = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var sideVisible: UnsafeMutablePointer<Int>? = nil                      // [H]
    private var sideKeys: UnsafeMutablePointer<Int32>? = nil                       // [G, capacity]

    init(config: ModelConfig, capacity: Int, options: Options) {
        self.options = options
        layers = config.blockCount; heads = config.headCount; kvHeads = config.headCountKV
        headDim = config.headDim; self.capacity = capacity
        layerWindows = config.layerWindows
        let lh = layers * heads
        metrics = .allocate(capacity: lh); metrics.initialize(repeating: nil)
        selections = .allocate(capacity: lh); selections.initialize(repeating: nil)
        decodeRows = .allocate(capacity: lh); decodeRows.initialize(repeating: nil)
        probeNanos = Array(repeating: 0, count: layers)
        layerStart = Array(repeating: 0, count: layers)
        trackers = (0..<lh).map { _ in HeadTracker(capacity: capacity) }
        topSinks = .allocate(capacity: lh); topSinks.initialize(repeating: [])
        lastQuery = Array(repeating: [], count: layers)
        if options.denseShadow {
            for _ in 0..<(layers * kvHeads) {
                shadowKeys.append(.allocate(capacity: capacity * headDim))
                shadowValues.append(.allocate(capacity: capacity * headDim))
            }
        }
    }

    deinit {
        finishSide()   // no side item may outlive the buffers it reads
        shadowKeys.forEach { $0.deallocate() }
        shadowValues.forEach { $0.deallocate() }
        for buffer in [metrics.deinitialize(), selections.deinitialize(), decodeRows.deinitialize(), topSinks.deinitialize()] {
            buffer.deallocate()
        }
        sideRows?.deallocate(); sideVisible?.deallocate(); sideKeys?.deallocate(); sideQuery.deallocate()
    }

    // MARK: - Step boundaries

    func beginStep(index: Int, phase: Phase, position: Int, queryCount: Int) {
        stepIndex = index; self.phase = phase; self.position = position; self.queryCount = queryCount
        lastPosition = Int32(position + queryCount - 1)
        for i in metrics.indices { metrics[i] = nil; selections[i] = nil; decodeRows[i] = nil }
        rows.removeAll(keepingCapacity: true)
        for l in 0..<layers { probeNanos[l] = 0; layerStart[l] = 0 }
        captureRows = options.capture >= .rows
            && (options.capture == .full || phase == .prefill || options.rowInterval > 0 && index % options.rowInterval == 0)
        pooled = []
        if captureRows && phase == .prefill {
            let side = prefillGeometry().side
            pooled = Array(repeating: [Float](repeating: 0, count: side * side), count: layers * heads)
        }
    }

    private func prefillGeometry() -> (tile: Int, side: Int) {
        let maxSide = options.capture == .full ? max(options.prefillSide, 1024) : options.prefillSide
        let tile = max(1, (queryCount + maxSide - 1) / maxSide)
        return (tile, (queryCount + tile - 1) / tile)
    }

    /// Time this probe spent on the main thread during the current step (all layers).
    var probeNanosThisStep: UInt64 { probeNanos.reduce(0, +) }

    /// The step's frame. attentionNanos: [L] time inside the attention call (probe included).
    func finishStep(wallNanos: UInt64, stepEnd: UInt64, attentionNanos: [UInt64], emitted: TokenInfo?,
                    cache: KVCache, evicted: [[[Int32]]]) -> StepFrame {
        finishSide()
        var times: [LayerTime] = []
        var probeTotal: UInt64 = 0
        for l in 0..<layers {
            let attn = attentionNanos[l] > probeNanos[l] ? attentionNanos[l] - probeNanos[l] : 0
            let end = l + 1 < layers ? layerStart[l + 1] : stepEnd
            let span = end > layerStart[l] ? end - layerStart[l] : 0
            let used = attn + probeNanos[l]
            times.append(LayerTime(attentionNanos: attn, restNanos: span > used ? span - used : 0))
            probeTotal += probeNanos[l]
        }
        let info = StepInfo(index: stepIndex, phase: phase, position: position, queryCount: queryCount,
                            emittedToken: emitted, wallNanos: wallNanos > probeTotal ? wallNanos - probeTotal : 0,
                            layerTimes: times)
        var kv: [KVResidency] = []
        for l in 0..<layers {
            for g in 0..<kvHeads {
                let n = cache.count(layer: l, kvHead: g)
                let ev = l < evicted.count && g < evicted[l].count ? evicted[l][g].map(Int.init) : []
                kv.append(KVResidency(layer: l, kvHead: g, entries: n, bytes: n * 2 * headDim * MemoryLayout<Float>.size,
                                      evicted: ev))
            }
        }
        rows.append(contentsOf: decodeRows.lazy.compactMap { $0 })   // layer by layer, head by head
        if !pooled.isEmpty {
            let (tile, side) = prefillGeometry()
            for l in 0..<layers {
                for h in 0..<heads {
                    var values = pooled[l * heads + h]
                    // Mean of each tile's cells (cells above the diagonal count as 0, as in pooledPrefill).
                    for ti in 0..<side {
                        let rowsIn = min(tile, queryCount - ti * tile)
                        for tj in 0..<side {
                            let colsIn = min(tile, queryCount - tj * tile)
                            values[ti * side + tj] /= Float(rowsIn * colsIn)
                        }
                    }
                    rows.append(.init(layer: l, head: h, kind: .prefillMatrix, rows: side, cols: side, tile: tile, values: values))
                }
            }
        }
        // moved out of the slots (a copy would retain each head's arrays again, on this thread)
        var m: [HeadMetrics] = [], sel: [HeadSelection] = []
        m.reserveCapacity(metrics.count)
        for i in metrics.indices { m.append(metrics[i].take() ?? Self.unknown(layer: i / heads, head: i % heads)) }
        if options.capture >= .selections {
            sel.reserveCapacity(selections.count)
            for i in selections.indices {
                sel.append(selections[i].take() ?? HeadSelection(layer: i / heads, head: i % heads, ranges: []))
            }
        }
        return StepFrame(step: info, metrics: m, kv: kv, selections: sel, rows: rows)
    }

    private static func unknown(layer: Int, head: Int) -> HeadMetrics {
        HeadMetrics(layer: layer, head: head, visibleKV: 0, selected: 0, sinkMass1: .nan, sinkMass4: .nan, entropy: .nan,
                    recall: .nan, outputError: .nan, overlapKept: .nan, jaccard: .nan, topSinks: [])
    }

    // MARK: - Probe callbacks

    /// Decode rows come unscaled: `head` scales each (beside the model when it runs as side work).
    var acceptsUnscaledRows: Bool { true }

    func attentionInputs(layer: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         positions: UnsafePointer<Int32>, tokens t: Int) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        layerStart[layer] = t0
        defer { probeNanos[layer] += DispatchTime.now().uptimeNanoseconds - t0 }
        finishSide()   // the previous layer's heads read buffers this call will overwrite
        guard options.denseShadow else { return }
        let d = headDim, hd = heads * d
        lastQuery[layer] = Array(UnsafeBufferPointer(start: q + (t - 1) * hd, count: hd))
        for g in 0..<kvHeads {
            let keys = shadowKeys[layer * kvHeads + g], values = shadowValues[layer * kvHeads + g]
            for i in 0..<t {
                let p = Int(positions[i])
                guard p < capacity else { continue }
                (keys + p * d).update(from: k + i * kvHeads * d + g * d, count: d)
                (values + p * d).update(from: v + i * kvHeads * d + g * d, count: d)
            }
        }
    }

    func attentionComputed(_ r: AttnRuntime.AttentionRows) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { probeNanos[r.layer] += DispatchTime.now().uptimeNanoseconds - t0 }
        if phase == .prefill && options.skipPrefillRows { return }
        if scratch.isEmpty { scratch = [ShadowScratch(capacity: options.denseShadow ? capacity : 0, headDim: headDim)] }
        head(r, scratch: scratch[0], out: outputs)
    }

    /// A decode call's heads, spread over the model's pool (each head's tracker and output slot
    /// are its own; shared state is only read). Prefill pooling stays on this thread.
    func attentionComputed(layer: Int, heads: UnsafeBufferPointer<AttnRuntime.AttentionRows>, pool: WorkerPool) {
        finishSide()   // (done at the call's start already; `scratch` may grow below)
        // side work costs the caller no fork-join, so short rows go too
        let side = options.sideWork && phase == .decode && pool.threads > 1 && heads.allSatisfy { $0.rowCount == 1 }
        guard pooled.isEmpty, heads.count > 1,
              side || refreshesTop || heads.reduce(0, { $0 + $1.keyCount }) >= options.parallelMinKeys else {
            for r in heads { attentionComputed(r) }
            return
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { probeNanos[layer] += DispatchTime.now().uptimeNanoseconds - t0 }
        if phase == .prefill && options.skipPrefillRows { return }
        parallelBatches += 1
        while scratch.count < pool.threads {
            scratch.append(ShadowScratch(capacity: options.denseShadow ? capacity : 0, headDim: headDim))
        }
        if side {
            startSide(layer: layer, heads: heads, pool: pool)
            return
        }
        let scratch = self.scratch, out = outputs
        pool.parallelFor(heads.count) { range, worker in
            for i in range { self.head(heads[i], scratch: scratch[worker], out: out) }
        }
    }

    // MARK: - Heads as side work beside the model

    /// Copies what the runtime may change before the next attention call and hands the heads to
    /// the pool's worker; `finishSide` (at the next attention call and at the step's end) waits.
    private func startSide(layer: Int, heads: UnsafeBufferPointer<AttnRuntime.AttentionRows>, pool: WorkerPool) {
        sideBatches += 1
        let h = heads.count
        if sideRows == nil {
            sideRows = .allocate(capacity: h)
            sideVisible = .allocate(capacity: h)
            sideKeys = .allocate(capacity: kvHeads * capacity)
        }
        let rows = sideRows!, visible = sideVisible!, keys = sideKeys!
        sideQuery[0] = heads[0].queryPositions[0]
        var copiedKV = -1   // the KV head whose keys were copied last (a group's heads are consecutive)
        for (i, r) in heads.enumerated() {
            var row = r
            visible[i] = r.visibleCounts[0]
            row.visibleCounts = UnsafeBufferPointer(start: visible + i, count: 1)
            row.queryPositions = UnsafeBufferPointer(start: sideQuery, count: 1)
            if !r.keysStable {   // an evicting policy compacts the stream when the call returns
                let to = keys + r.kvHead * capacity
                if copiedKV != r.kvHead {
                    to.update(from: r.keyPositions.baseAddress!, count: r.keyCount)
                    copiedKV = r.kvHead
                }
                row.keyPositions = UnsafeBufferPointer(start: to, count: r.keyCount)
            }
            (rows + i).initialize(to: row)
        }
        sidePool = pool
        let delay = options.sideItemDelayNanos
        // unowned(unsafe): deinit waits for the side work before anything is freed
        pool.startSide(h) { [unowned(unsafe) self] i, worker in
            if delay > 0 {
                let until = DispatchTime.now().uptimeNanoseconds + delay
                while DispatchTime.now().uptimeNanoseconds < until {}
            }
            self.head(rows[i], scratch: self.scratch[worker], out: self.outputs)
        }
    }

    /// Waits for the pending side work (running the heads no worker took).
    private func finishSide() {
        guard let pool = sidePool else { return }
        pool.finishSide()
        sidePool = nil
    }

    /// Whether this step recomputes the top-α lists.
    private var refreshesTop: Bool {
        phase == .prefill || options.topSinkInterval <= 1 || stepIndex % options.topSinkInterval == 0
    }

    /// Where `head` writes its results: slot layer·H + head of each [L·H] array.
    private struct HeadOutputs: @unchecked Sendable {
        let metrics: UnsafeMutableBufferPointer<HeadMetrics?>
        let selections: UnsafeMutableBufferPointer<HeadSelection?>
        let decodeRows: UnsafeMutableBufferPointer<AttnTrace.AttentionRows?>
        let topSinks: UnsafeMutableBufferPointer<[SinkScore]>
    }

    /// One head's rows: α_k for each, prefill pooling, and the last row's metrics. Touches only
    /// this head's tracker and slots (and `pooled`, which is empty unless rows go head by head).
    /// A decode row arrives unscaled (`acceptsUnscaledRows`): scaled here first, on whichever
    /// thread runs the head.
    private func head(_ unscaled: AttnRuntime.AttentionRows, scratch: ShadowScratch, out: HeadOutputs) {
        let r = unscaled.scaleInPlace()
        let slot = r.layer * heads + r.head
        for i in 0..<r.rowCount {
            let row = r.row(i)
            let keys = UnsafeBufferPointer(rebasing: r.keyPositions[0 ..< row.count])
            if !pooled.isEmpty { pool(row: row, keys: keys, query: Int(r.queryPositions[i]) - position, slot: slot) }
            if r.queryPositions[i] == lastPosition {
                lastRow(r, row: row, keys: keys, entropy: r.entropies.map { $0[i] }, slot: slot, scratch: scratch, out: out)
            } else {
                trackers[slot].add(row, keyPositions: keys)
            }
        }
    }

    private func pool(row: UnsafeBufferPointer<Float>, keys: UnsafeBufferPointer<Int32>, query: Int, slot: Int) {
        let (tile, side) = prefillGeometry()
        let base = (query / tile) * side
        pooled[slot].withUnsafeMutableBufferPointer { out in
            for j in 0..<row.count {
                let k = Int(keys[j]) - position
                if k >= 0 && k < queryCount { out[base + k / tile] += row[j] }
            }
        }
    }

    /// Metrics of the step's last query row for one head.
    private func lastRow(_ r: AttnRuntime.AttentionRows, row: UnsafeBufferPointer<Float>, keys: UnsafeBufferPointer<Int32>,
                         entropy: Float?, slot: Int, scratch: ShadowScratch, out: HeadOutputs) {
        var recall = Float.nan, error = Float.nan
        if options.denseShadow, !lastQuery[r.layer].isEmpty {
            (recall, error) = shadow(r, row: row, keys: keys, scratch: scratch)
        }
        let tracker = trackers[slot]
        let stats = tracker.lastRow(row, keyPositions: keys, entropy: entropy, keyEdits: r.keyEdits,
                                    compareWithPrevious: stepIndex > 0, refreshTop: refreshesTop,
                                    topCount: topSinkCount)
        if stats.topRefreshed { out.topSinks[slot] = tracker.topSinks.map { SinkScore(position: $0.position, score: $0.score) } }
        out.metrics[slot] = HeadMetrics(
            layer: r.layer, head: r.head, visibleKV: r.selectedFrom ?? stats.visible, selected: stats.visible,
            sinkMass1: stats.sinkMass1, sinkMass4: stats.sinkMass4, entropy: stats.entropy,
            recall: recall, outputError: error, overlapKept: stats.overlapKept, jaccard: stats.jaccard,
            topSinks: out.topSinks[slot])
        if options.capture >= .selections {
            out.selections[slot] = HeadSelection(layer: r.layer, head: r.head, ranges: tracker.selection)
        }
        if captureRows && phase == .decode {
            var values = [Float](repeating: 0, count: Int(lastPosition) + 1)
            for j in 0..<row.count where Int(keys[j]) < values.count { values[Int(keys[j])] = row[j] }
            out.decodeRows[slot] = .init(layer: r.layer, head: r.head, kind: .decodeRow, rows: 1, cols: values.count, tile: 1,
                                         values: values)
        }
    }

    /// Recall and relative output error of one head's row against dense attention over the shadow cache.
    private func shadow(_ r: AttnRuntime.AttentionRows, row: UnsafeBufferPointer<Float>, keys: UnsafeBufferPointer<Int32>,
                        scratch: ShadowScratch) -> (recall: Float, error: Float) {
        let n = Int(lastPosition) + 1
        let g = r.kvHead, d = headDim
        let keysAll = shadowKeys[r.layer * kvHeads + g], valuesAll = shadowValues[r.layer * kvHeads + g]
        // positions before lo are outside a windowed layer's window: dense attention gives them 0
        let lo = layerWindows[r.layer].map { max(0, n - $0) } ?? 0
        if lo > 0 { scratch.denseProbs.update(repeating: 0, count: lo) }
        return lastQuery[r.layer].withUnsafeBufferPointer { q in
            HeadStatistics.denseRow(probs: scratch.denseProbs + lo, out: scratch.denseOut, q: q.baseAddress! + r.head * d,
                                    keys: keysAll + lo * d, values: valuesAll + lo * d, count: n - lo, headDim: d)
            HeadStatistics.output(scratch.sparseOut, probs: row, positions: keys, values: valuesAll, headDim: d)
            return (HeadStatistics.recall(selected: keys, dense: UnsafeBufferPointer(start: scratch.denseProbs, count: n)),
                    HeadStatistics.relativeError(UnsafeBufferPointer(start: scratch.sparseOut, count: d),
                                                 reference: UnsafeBufferPointer(start: scratch.denseOut, count: d)))
        }
    }
}

/// One thread's buffers for the dense shadow row.
private final class ShadowScratch: @unchecked Sendable {
    let denseProbs: UnsafeMutablePointer<Float>   // [capacity]
    let denseOut: UnsafeMutablePointer<Float>     // [d]
    let sparseOut: UnsafeMutablePointer<Float>    // [d]

    init(capacity: Int, headDim: Int) {
        denseProbs = .allocate(capacity: max(1, capacity))
        denseOut = .allocate(capacity: headDim)
        sparseOut = .allocate(capacity: headDim)
    }

    deinit { denseProbs.deallocate(); denseOut.deallocate(); sparseOut.deallocate() }
}
