// `attnscope bench record`: decode speed per policy at given context lengths, with and without
// the recorder (tracing overhead), attention time per layer, KV bytes, and mean recall / output
// error from a separate run with the dense shadow on. A benchmark, not a test.

import ArgumentParser
import AttnRecorder
import AttnRuntime
import AttnTrace
import Foundation

struct BenchRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Benchmark policies: decode tokens/s (untraced vs traced), attention time per layer, KV bytes, recall.",
        discussion: """
            For each --context C and each --policy P: prefill C−1 tokens of the prompt text (repeated \
            as needed; untimed), then decode 2 × --decode-tokens greedy steps in blocks of 2, \
            untraced and traced at capture level metrics with the dense shadow off (trace written \
            to a temporary file) in the order U T T U U T T U … so that both modes see the same \
            mean context length. A traced step's time runs from beginStep to the return of the \
            push to the background writer. A second run with the shadow on gives mean recall and \
            output error over the decode steps.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("policy"), help: "Policy (repeat the flag for several): \(PolicyRegistry.names.joined(separator: ", ")).") var policies: [String] = []
    @Option(help: "Comma-separated context lengths (each ≥ 16).", transform: PositiveInts.init(parsing:))
    var contexts = PositiveInts([2048, 4096])
    @Option(name: .customLong("decode-tokens"), help: "Decode steps per mode.") var decodeTokens: Int = 32
    @Option(name: .customLong("prompt-file"), help: "Text whose tokens fill the context (repeated).") var promptFile: String?
    @Flag(name: .customLong("no-recall"), help: "Skip the dense-shadow run.") var noRecall = false

    func validate() throws {
        if let short = contexts.values.first(where: { $0 < 16 }) { throw CLIError("--contexts \(short)", "must be ≥ 16") }
        try Check.atLeast(decodeTokens, 8, "--decode-tokens")
        for p in policies { do { _ = try PolicyRegistry.make(p) } catch { throw CLIError("--policy \(p)", error) } }
    }

    func run() throws { try bench() }

    private func bench() throws {
        let list = policies.isEmpty ? ["dense"] : policies
        let ctxs = contexts.values
        let path = try modelOptions.resolvedPath()
        let gguf = try GGUFFile(path: path)
        let tokenizer = try loadTokenizer(gguf: gguf)
        var source: [Int32] = []
        if let promptFile {
            do { source = tokenizer.encode(try String(contentsOfFile: promptFile, encoding: .utf8), addBOS: false, allowSpecial: true) } catch { throw CLIError("--prompt-file \(promptFile)", error) }
        }
        if source.isEmpty { source = (0..<997).map { Int32(($0 * 7919 + 13) % 40000 + 100) } }
        say("attnscope bench record: \(ProcessInfo.processInfo.activeProcessorCount) cores, threads \(modelOptions.threads), load \(String(format: "%.2f", loadAverage()))")
        say("overhead = 1 − traced/untraced decode tokens/s (wall clock); probe = the recorder's time on the decode thread per traced step (its callbacks, with waits for its side work; finishStep; push) / untraced step time")
        say("median, fastest = the same from the median and from the fastest step times (less sensitive to other load on the machine)")
        say("context  policy                                  untraced tok/s  traced tok/s  overhead  median  fastest   probe  attn ms/layer/token  KV MB    recall  out_err")
        for ctx in ctxs {
            let prompt = (0..<(ctx - 1)).map { source[$0 % source.count] }
            for spec in list {
                let r = try measure(path: gguf, spec: spec, prompt: prompt, shadow: false)
                var recall = Float.nan, error = Float.nan
                if !noRecall { (recall, error) = try measureRecall(gguf: gguf, spec: spec, prompt: prompt) }
                let name = spec.count >= 40 ? spec : spec + String(repeating: " ", count: 40 - spec.count)
                say(String(format: "%7d  ", ctx) + name + String(format: " %14.1f  %12.1f  %7.1f%%  %5.1f%%  %6.1f%%  %5.1f%%  %19.3f  %6.2f  %6.3f  %7.4f",
                           r.untraced, r.traced, 100 * (1 - r.traced / r.untraced), 100 * r.medianOverhead,
                           100 * r.fastestOverhead, 100 * r.probeShare,
                           r.attnMsPerLayer, r.kvMB, recall, error))
            }
        }
        say("peak RSS \(peakRSSBytes() / 1_000_000) MB")
    }

    /// The model with `spec` installed and a recorder attached (capture level metrics).
    private func makeSession(_ gguf: GGUFFile, spec: String, capacity: Int, shadow: Bool) throws -> RecordingSession {
        let model = try Transformer(gguf: gguf, contextLength: capacity, threads: modelOptions.threads)
        let policy = try PolicyRegistry.make(spec)
        do {
            return try RecordingSession(model: model, policy: policy,
                                        options: .init(capture: .metrics, denseShadow: shadow, skipPrefillRows: shadow))
        } catch { throw CLIError("--policy", error) }
    }

    private func measure(path gguf: GGUFFile, spec: String, prompt: [Int32], shadow: Bool)
        throws -> (untraced: Double, traced: Double, medianOverhead: Double, fastestOverhead: Double, attnMsPerLayer: Double, kvMB: Double, probeShare: Double) {
        let session = try makeSession(gguf, spec: spec, capacity: prompt.count + 2 * decodeTokens + 2, shadow: shadow)
        let model = session.model, c = model.config
        session.detach()   // the prefill is untimed and untraced
        var next = Int32(Sampler.argmax(model.forward(tokens: prompt)))
        let tracePath = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-bench-\(getpid()).atrace").path
        defer { try? FileManager.default.removeItem(atPath: tracePath) }
        try session.write(to: tracePath, header: session.header(producer: "attnscope bench record", modelName: "bench"))
        var untracedNanos: UInt64 = 0, tracedNanos: UInt64 = 0
        var attnSeconds = 0.0, probeNanos: UInt64 = 0
        var untracedSteps: [UInt64] = [], tracedSteps: [UInt64] = []
        for step in 0..<(2 * decodeTokens) {
            let block = (step / 2) % 4
            let traced = block == 1 || block == 2   // U T T U: traced and untraced steps share a mean context
            if traced {
                session.attach()
                let t0 = DispatchTime.now().uptimeNanoseconds
                next = session.step([next], phase: .decode, next: { Int32(Sampler.argmax($0)) }).next
                let t1 = DispatchTime.now().uptimeNanoseconds
                // the probe's own time inside the step, plus beginStep, finishStep and the push
                probeNanos += session.lastRecorderNanos
                tracedNanos += t1 - t0; tracedSteps.append(t1 - t0)
            } else {
                session.detach()
                let before = model.attentionSeconds
                let t0 = DispatchTime.now().uptimeNanoseconds
                next = Int32(Sampler.argmax(model.forward(tokens: [next])))
                let t1 = DispatchTime.now().uptimeNanoseconds
                untracedNanos += t1 - t0; untracedSteps.append(t1 - t0)
                attnSeconds += zip(model.attentionSeconds, before).reduce(0) { $0 + ($1.0 - $1.1) }
            }
        }
        try session.finishWriting()
        let kvBytes = model.cache.totalEntries * 2 * c.headDim * 4
        func median(_ x: [UInt64]) -> Double {
            let s = x.sorted()
            return s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let u = Double(untracedSteps.count), t = Double(tracedSteps.count)
        return (u / (Double(untracedNanos) / 1e9), t / (Double(tracedNanos) / 1e9),
                1 - median(untracedSteps) / median(tracedSteps),
                1 - Double(untracedSteps.min() ?? 0) / Double(tracedSteps.min() ?? 1),
                attnSeconds * 1000 / (u * Double(c.blockCount)), Double(kvBytes) / 1e6,
                (Double(probeNanos) / t) / (Double(untracedNanos) / u))
    }

    /// Mean recall and output error over decode steps with the dense shadow on.
    private func measureRecall(gguf: GGUFFile, spec: String, prompt: [Int32]) throws -> (Float, Float) {
        let session = try makeSession(gguf, spec: spec, capacity: prompt.count + decodeTokens + 2, shadow: true)
        var next = session.step(prompt, next: { Int32(Sampler.argmax($0)) }).next
        var recall: Double = 0, error: Double = 0, count = 0
        for _ in 1...decodeTokens {
            let recorded = session.step([next], next: { Int32(Sampler.argmax($0)) })
            next = recorded.next
            for m in recorded.frame.metrics where m.recall.isFinite && m.outputError.isFinite {
                recall += Double(m.recall); error += Double(m.outputError); count += 1
            }
        }
        return (Float(recall / Double(max(1, count))), Float(error / Double(max(1, count))))
    }
}
