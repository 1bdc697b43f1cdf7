@testable import AttnRecorder
import AttnRuntime
import AttnTestSupport
import AttnTrace
import Foundation
import XCTest

/// The recorder's decode path updates the heads of a layer in parallel on the model's pool, as
/// side work beside the model (the default); the same recorder running the heads in a parallel
/// loop inside the attention call (side work off), and fed head by head on the calling thread
/// (the AttentionProbe default, which also leaves the scaling of decode rows to the kernel, where
/// the recorder takes them unscaled and scales each head's itself), must give the same frames, bit for bit, on the reference model under a dense, an evicting, an observing and
/// a selecting policy (whose rows come from the selection path), with the dense shadow and row capture on (everything the per-head work writes).
final class RecorderParallelTests: XCTestCase {
    /// Hides the recorder's batch method, so the attention call falls back to one head at a time.
    /// Evictions are passed on too (a probe that dropped them would show in the KV residency).
    final class HeadByHead: AttentionInputObserver {
        let recorder: TraceRecorder
        init(_ recorder: TraceRecorder) { self.recorder = recorder }
        func attentionComputed(_ rows: HeadProbabilityRows) { recorder.attentionComputed(rows) }
        func attentionInputs(layer: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             positions: UnsafePointer<Int32>, tokens: Int) {
            recorder.attentionInputs(layer: layer, q: q, k: k, v: v, positions: positions, tokens: tokens)
        }
        func entriesEvicted(layer: Int, kvHead: Int, positions: [Int32]) {
            recorder.entriesEvicted(layer: layer, kvHead: kvHead, positions: positions)
        }
    }

    enum Delivery { case side, batch, headByHead }

    func record(policy spec: String, delivery: Delivery, gguf: GGUFFile, prompt: [Int32], steps: Int) throws -> [StepFrame] {
        let model = try Transformer(gguf: gguf, contextLength: prompt.count + steps + 1, threads: 2)
        let session = try RecordingSession(
            model: model, policy: try PolicyRegistry.make(spec),
            options: .init(capture: .full, denseShadow: true, topSinkInterval: 3, parallelMinKeys: 0,
                           sideWork: delivery == .side, sideItemDelayNanos: 400_000))
        let recorder = session.recorder
        if delivery == .headByHead { model.attention.probe = HeadByHead(recorder) }
        var frames: [StepFrame] = []
        var input = prompt
        for _ in 0..<steps {
            let recorded = session.step(input, next: { Int32(Sampler.argmax($0)) }, describe: { TokenInfo(id: $0, text: "") })
            frames.append(recorded.frame)
            input = [recorded.next]
        }
        // the pool ran every decode layer call's heads (as side work or in a loop), head by head never
        XCTAssertEqual(recorder.parallelBatches, delivery == .headByHead ? 0 : (steps - 1) * model.config.blockCount, spec)
        XCTAssertEqual(recorder.sideBatches, delivery == .side ? (steps - 1) * model.config.blockCount : 0, spec)
        return frames
    }

    /// Every float of a head's metrics as its bit pattern (NaN = NaN), with the top sinks.
    func bits(_ m: HeadMetrics) -> [UInt32] {
        [m.sinkMass1, m.sinkMass4, m.entropy, m.recall, m.oracleRecall, m.outputError, m.overlapKept, m.jaccard].map(\.bitPattern)
            + [UInt32(m.layer), UInt32(m.head), UInt32(m.visibleKV), UInt32(m.selected)]
            + m.topSinks.flatMap { [UInt32($0.position), $0.score.bitPattern] }
    }

    func testParallelHeadsMatchHeadByHead() throws {
        let gguf = try GGUFFile(path: try requireModel())
        let tokenizer = try BPETokenizer(gguf: gguf)
        let prompt = tokenizer.encode("The keeper climbed the steps of the tower every evening and lit the lamp.")
        for spec in ["dense", "streaming:sink=4,window=8", "h2o:heavy=6,window=6", "quest:page=2,budget=6,dense_layers=2"] {
            let serial = try record(policy: spec, delivery: .headByHead, gguf: gguf, prompt: prompt, steps: 9)
            for delivery in [Delivery.side, .batch] {
                let parallel = try record(policy: spec, delivery: delivery, gguf: gguf, prompt: prompt, steps: 9)
                XCTAssertEqual(parallel.count, serial.count)
                for (step, (a, b)) in zip(parallel, serial).enumerated() {
                    let context = "\(spec) \(delivery) step \(step)"
                    XCTAssertEqual(a.step.emittedToken, b.step.emittedToken, context)
                    XCTAssertEqual(a.metrics.count, 270, context)
                    XCTAssertEqual(a.metrics.map(bits), b.metrics.map(bits), context)
                    XCTAssertFalse(a.metrics.contains { $0.entropy.isNaN }, "\(context): every head reported")
                    XCTAssertEqual(a.selections, b.selections, context)
                    XCTAssertEqual(a.kv, b.kv, context)
                    XCTAssertEqual(a.rows.map { [$0.layer, $0.head, $0.cols] }, b.rows.map { [$0.layer, $0.head, $0.cols] }, context)
                    XCTAssertEqual(a.rows.map { $0.values.map(\.bitPattern) }, b.rows.map { $0.values.map(\.bitPattern) }, context)
                    if step > 0 { XCTAssertEqual(a.rows.count, 270, "\(context): a decode row per head (capture full)") }
                }
            }
        }
    }
}
