// The one place where runtime values become trace records: an attention probe that turns each
// head's probabilities into HeadMetrics (METHODS.md §16), selections and heatmap rows, keeps the
// running received-attention scores α_k, optionally runs a dense "shadow" attention over a
// never-evicted copy of the cache for recall and output error, and at the end of each step
// assembles a StepFrame with the KV residency, the policy's evictions and timings.
//
// The recorder's concerns, one file each:
//   TraceRecorder+Callbacks.swift       what the attention call hands over (rows, inputs, evictions)
//   TraceRecorder+Heads.swift           one head's rows → α_k, metrics, selection, decode row
//   TraceRecorder+DenseShadow.swift     the never-evicted copy and the dense reference row
//   TraceRecorder+PrefillPooling.swift  the prefill matrix pooled into tiles
//   TraceRecorder+SideWork.swift        a decode layer's heads on the pool's worker beside the model
//   TraceRecorder+Timing.swift          attention / rest / probe time per layer
//   TraceRecorder+StepFrame.swift       the step's frame
// RecordingSession drives it step by step.

import AttnRuntime
import AttnTrace
import Foundation

public final class TraceRecorder: AttentionInputObserver {
    public struct Options: Sendable {
        public var capture: CaptureLevel
        /// Decode rows are captured every `rowInterval` steps (capture ≥ .rows); .full: every step.
        public var rowInterval: Int
        /// Compute the dense reference for recall and output error.
        public var denseShadow: Bool
        /// Largest stored side of the pooled prefill matrix.
        public var prefillSide: Int
        /// Benchmarks: skip per-row work during prefill (the dense shadow is still filled).
        public var skipPrefillRows: Bool
        /// The top-α positions are recomputed every this many decode steps (and at prefill);
        /// in between a head reports its latest list. The scan over all positions is the
        /// recorder's largest per-step cost at long contexts.
        public var topSinkInterval: Int
        /// Without side work, a decode call's heads run in parallel when they hold at least this many keys in all
        /// (an estimate; 9 heads × a 410-key window = 3,690 keys went slightly better in parallel),
        /// and at steps that refresh the top-α lists (a scan over every position seen).
        public var parallelMinKeys: Int
        /// Decode: the heads of a layer go to the pool's worker as side work (`WorkerPool.startSide`)
        /// while the model goes on with the layer's matrix products, finished before the next
        /// attention call; false: a parallel loop over the heads inside the attention call.
        public var sideWork: Bool
        /// Tests: each side item first waits this long, so that a missing wait for side work
        /// (the runtime overwriting what an item reads) shows in the results.
        public var sideItemDelayNanos: UInt64

        public init(capture: CaptureLevel = .metrics, rowInterval: Int = 16, denseShadow: Bool = true, prefillSide: Int = 256,
                    skipPrefillRows: Bool = false, topSinkInterval: Int = 8, parallelMinKeys: Int = 2048,
                    sideWork: Bool = true, sideItemDelayNanos: UInt64 = 0) {
            self.capture = capture; self.rowInterval = rowInterval; self.denseShadow = denseShadow
            self.prefillSide = prefillSide; self.skipPrefillRows = skipPrefillRows; self.topSinkInterval = topSinkInterval
            self.parallelMinKeys = parallelMinKeys; self.sideWork = sideWork; self.sideItemDelayNanos = sideItemDelayNanos
        }
    }

    public let options: Options
    let layers: Int, heads: Int, kvHeads: Int, headDim: Int, capacity: Int
    /// The model's native window per layer: dense attention there is dense over the window.
    let layerWindows: [Int?]
    let topSinkCount = 8

    // Per step
    var stepIndex = 0, phase = Phase.prefill, position = 0, queryCount = 0
    var lastPosition: Int32 = 0
    var captureRows = false
    // The per-head slots, written by pool threads (each head its own slot): raw buffers, so that
    // their addresses stay valid while side work runs.
    let metrics: UnsafeMutableBufferPointer<HeadMetrics?>             // [L·H] for this step
    let selections: UnsafeMutableBufferPointer<HeadSelection?>        // [L·H]
    let decodeRows: UnsafeMutableBufferPointer<AttnTrace.AttentionRows?>   // [L·H] captured decode rows
    var rows: [AttnTrace.AttentionRows] = []
    var pooled: [[Float]] = []                   // [L·H] tile sums of the prefill matrix
    var probeNanos: [UInt64]                     // [L] time spent in this probe
    var layerStart: [UInt64]                     // [L] when layer l's attention call began
    var evicted: [[[Int32]]]                     // [L][G] positions the policy evicted this step

    // Across steps
    let trackers: [HeadTracker]                  // [L·H] α_k, previous selection, top-α list
    let topSinks: UnsafeMutableBufferPointer<[SinkScore]>   // [L·H] the trackers' latest top-α lists
    var outputs: HeadOutputs { HeadOutputs(metrics: metrics, selections: selections, decodeRows: decodeRows, topSinks: topSinks) }

    // Dense shadow: keys/values of every position ever written, per (layer, kvHead), index = position.
    var shadowKeys: [UnsafeMutablePointer<Float>] = []     // [L·G] → [capacity, d]
    var shadowValues: [UnsafeMutablePointer<Float>] = []   // [L·G] → [capacity, d]
    var lastQuery: [[Float]]                               // [L] → [H·d] the step's last query row
    var scratch: [ShadowScratch] = []                      // [pool threads]
    /// Layer calls whose heads went through the pool (for tests).
    var parallelBatches = 0
    /// Of those, the ones run as side work beside the model (for tests).
    var sideBatches = 0

    // Side work: the pending layer's heads, copied where the runtime may change them before the
    // next attention call (the batch array, query positions, visible counts, evicted streams' keys).
    var sidePool: WorkerPool?                  // set while side work is pending
    var sideRows: UnsafeMutablePointer<HeadProbabilityRows>? = nil   // [H]
    let sideQuery = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var sideVisible: UnsafeMutablePointer<Int>? = nil                      // [H]
    var sideKeys: UnsafeMutablePointer<Int32>? = nil                       // [G, capacity]

    public init(config: ModelConfig, capacity: Int, options: Options) {
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
        evicted = Array(repeating: Array(repeating: [], count: kvHeads), count: layers)
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

    /// Starts a step: `queryCount` tokens at positions `position` ..< position + queryCount.
    public func beginStep(index: Int, phase: Phase, position: Int, queryCount: Int) {
        stepIndex = index; self.phase = phase; self.position = position; self.queryCount = queryCount
        lastPosition = Int32(position + queryCount - 1)
        for i in metrics.indices { metrics[i] = nil; selections[i] = nil; decodeRows[i] = nil }
        rows.removeAll(keepingCapacity: true)
        for l in 0..<layers {
            probeNanos[l] = 0; layerStart[l] = 0
            for g in 0..<kvHeads { evicted[l][g].removeAll(keepingCapacity: true) }
        }
        captureRows = options.capture >= .rows
            && (options.capture == .full || phase == .prefill || options.rowInterval > 0 && index % options.rowInterval == 0)
        beginPrefillPooling()
    }

    /// Whether this step recomputes the top-α lists.
    var refreshesTop: Bool {
        phase == .prefill || options.topSinkInterval <= 1 || stepIndex % options.topSinkInterval == 0
    }
}
