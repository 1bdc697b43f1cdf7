// A recorded run: the policy installed on the model, a TraceRecorder attached as its attention
// probe, the run header, and the step drive every recording command and test goes through:
// begin step → forward pass → attention time per layer → finish step (the frame) → push to the
// background writer. The policy's evictions reach the recorder through the probe
// (`AttentionProbe.entriesEvicted`), so no driver has to carry them over.

import AttnRuntime
import AttnTrace
import Foundation

public final class RecordingSession {
    public let model: Transformer
    public let policy: AttentionPolicy
    public let recorder: TraceRecorder
    /// The background writer, once `write(to:header:)` opened the trace.
    public private(set) var writer: BackgroundTraceWriter?
    /// Recorded steps so far (the next step's index).
    public private(set) var stepCount = 0
    /// The recorder's time on the calling thread in the latest step: beginning it, its
    /// callbacks (with waits for its side work), finishing it and the push.
    public private(set) var lastRecorderNanos: UInt64 = 0

    /// One recorded step: its frame, the token picked from its logits, and whether the writer
    /// took the frame (false once the writer has failed; true without a writer).
    public struct Step {
        public let frame: StepFrame
        public let next: Int32
        public let pushed: Bool
    }

    /// Installs `policy` (throwing the policy's own error when it does not fit the model) and
    /// attaches a recorder with `options` as the model's probe.
    public init(model: Transformer, policy: AttentionPolicy, options: TraceRecorder.Options) throws {
        try Self.install(policy, on: model)
        self.model = model; self.policy = policy
        recorder = TraceRecorder(config: model.config, capacity: model.contextLength, options: options)
        attach()
    }

    /// Checks `policy` against the model's layers and shape, resets it and makes it the model's
    /// attention policy.
    public static func install(_ policy: AttentionPolicy, on model: Transformer) throws {
        try policy.check(layers: model.config.blockCount, shape: model.attention.shape)
        policy.reset(layers: model.config.blockCount, shape: model.attention.shape)
        model.attention.policy = policy
    }

    /// The recorder sees the model's attention calls (after `init`).
    public func attach() { model.attention.probe = recorder }

    /// Forward passes run unrecorded until `attach()` (benchmarks' untraced steps).
    public func detach() { model.attention.probe = nil }

    // MARK: - Run header

    /// The run header: the model's shape, the policy with its parameters, the capture settings,
    /// the prompt, and the threads and dense-shadow setting followed by `extra`.
    public func header(producer: String, modelName: String, prompt: String = "", promptTokens: [TokenInfo] = [],
                       extra: [KeyValue] = []) -> RunHeader {
        let c = model.config, o = recorder.options
        return RunHeader(
            producer: producer, createdUnixSeconds: Int64(Date().timeIntervalSince1970),
            model: ModelInfo(name: modelName, architecture: c.architecture, layers: c.blockCount,
                             heads: c.headCount, kvHeads: c.headCountKV, headDim: c.headDim,
                             contextLength: model.contextLength, vocabSize: c.vocabSize,
                             layerWindows: c.layerWindows.map { $0 ?? 0 }),
            policy: PolicyInfo(name: policy.name, mode: Self.traceMode(policy.mode),
                               parameters: policy.parameters.map { KeyValue($0.key, $0.value) }),
            capture: o.capture, rowInterval: o.capture >= .rows ? (o.capture == .full ? 1 : o.rowInterval) : 0,
            prompt: prompt, promptTokens: promptTokens,
            extra: [KeyValue("threads", "\(model.threads)"), KeyValue("dense_shadow", o.denseShadow ? "on" : "off")] + extra)
    }

    public static func traceMode(_ m: AttentionPolicyMode) -> PolicyMode {
        switch m { case .dense: .dense; case .selects: .selects; case .evicts: .evicts }
    }

    /// Opens the trace at `path` with `header`; every later step's frame is pushed to it.
    public func write(to path: String, header: RunHeader) throws {
        writer = BackgroundTraceWriter(writer: try TraceWriter(path: path, header: header))
    }

    /// Waits for the writer to put every pushed frame on disk and finalizes the trace.
    public func finishWriting() throws { try writer?.finish() }

    // MARK: - Step drive

    /// One recorded forward pass of `tokens` at the cache's next position.
    /// - phase: nil = prefill for the session's first step, decode after it
    /// - layerDone: the model's per-layer callback during this step (progress)
    /// - next: picks the next token from the logits (after the timed forward pass)
    /// - describe: the emitted token as the trace stores it (nil: none)
    @discardableResult
    public func step(_ tokens: [Int32], phase: Phase? = nil, layerDone: ((Int) -> Void)? = nil,
                     next: ([Float]) -> Int32, describe: (Int32) -> TokenInfo? = { _ in nil }) -> Step {
        let begin = DispatchTime.now().uptimeNanoseconds
        recorder.beginStep(index: stepCount, phase: phase ?? (stepCount == 0 ? .prefill : .decode),
                           position: model.cache.nextPosition, queryCount: tokens.count)
        let begun = DispatchTime.now().uptimeNanoseconds
        model.layerDone = layerDone
        let before = model.attentionSeconds
        let t0 = DispatchTime.now().uptimeNanoseconds
        let logits = model.forward(tokens: tokens)
        let t1 = DispatchTime.now().uptimeNanoseconds
        model.layerDone = nil
        let token = next(logits)
        let attn = zip(model.attentionSeconds, before).map { UInt64(max(0, $0 - $1) * 1e9) }
        let finish = DispatchTime.now().uptimeNanoseconds
        let frame = recorder.finishStep(wallNanos: t1 - t0, stepEnd: t1, attentionNanos: attn, emitted: describe(token),
                                        cache: model.cache)
        let pushed = writer?.push(frame) ?? true
        lastRecorderNanos = (begun - begin) + recorder.probeNanosThisStep + (DispatchTime.now().uptimeNanoseconds - finish)
        stepCount += 1
        return Step(frame: frame, next: token, pushed: pushed)
    }
}
