// `attnscope record`: runs the model on a prompt with an attention policy, generates up to N
// tokens (stopping at the model's end token unless --ignore-eos), and streams one trace step per
// forward pass (prefill, then each decode step) through a bounded queue to a background writer.
// Ctrl-C stops after the current step and finishes the file.

import ArgumentParser
import AttnRecorder
import AttnRuntime
import AttnTrace
import Foundation

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run a model with an attention policy and record per-step attention metrics to a trace.",
        discussion: """
            Policies (--policy NAME or NAME:key=value,...; defaults shown; docs/policies.md):
            \(PolicyRegistry.helpLines.map { "  " + $0 }.joined(separator: "\n"))

            Capture levels: metrics (head metrics, KV residency, timings), selections (+ the \
            positions each head attended to), rows (+ the decode attention row every \
            --row-interval steps and the prefill matrix pooled into tiles), full (+ rows at \
            every step, prefill tiles up to 1024 per side). Decoding is greedy unless \
            --temperature is given, and stops at the model's end-of-sequence / end-of-turn token \
            (the last step records it) unless --ignore-eos; the summary says why it stopped. \
            Progress (prefill tokens, tokens/s, time left, then decode) is drawn on stderr when it \
            is a terminal.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Prompt text.") var prompt: String?
    @Option(name: .customLong("prompt-file"), help: "File holding the prompt text.") var promptFile: String?
    @Flag(help: "Wrap the prompt in the model's chat template (tokenizer.chat_template) as a user message.")
    var chat = false
    @Option(name: .short, help: "Most tokens to generate (the prefill step emits the first).") var n: Int = 32
    @Flag(name: .customLong("ignore-eos"), help: "Generate exactly -n tokens, past end-of-sequence / end-of-turn tokens (fixed-length profiling).")
    var ignoreEOS = false
    @Option(help: "Attention policy: NAME or NAME:key=value,... (\(PolicyRegistry.names.joined(separator: ", ")); listed below)") var policy: String = "dense"
    @Option(help: "Layer map file (JSON): a policy per layer range for one model shape (docs/policies.md).") var policyFile: String?
    @Option(help: "Capture level: metrics, selections, rows or full.") var capture = CaptureLevel.metrics
    @Option(name: .customLong("row-interval"), help: "Capture decode rows every K steps (capture ≥ rows).")
    var rowInterval: Int = 16
    @Flag(name: .customLong("no-dense-shadow"), help: "Skip the dense reference (recall and output error become NaN).")
    var noDenseShadow = false
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0
    @Option(help: "Sampler seed.") var seed: UInt64 = 0
    @Option(help: "Output trace file (.atrace).") var out: String
    @Flag(help: "Watch the run in the viewer while it records (follow mode; quitting the viewer stops the run).")
    var view = false

    func run() throws { if view { try recordWithViewer() } else { try record() } }

    private func record() throws {
        // Validate everything cheap before loading the model.
        let level = capture
        guard n >= 1 else { throw CLIError("-n \(n)", "must be ≥ 1") }
        guard rowInterval >= 1 else { throw CLIError("--row-interval \(rowInterval)", "must be ≥ 1") }
        let sampling = SamplerSettings(temperature: temperature, seed: seed)
        if let problem = sampling.problem { throw CLIError("--temperature \(temperature)", problem) }
        let raw = try promptText()
        let choice = try PolicyChoice(spec: policy, file: policyFile)
        let policyObject = choice.policy
        try modelOptions.checkThreads()

        let path = try modelOptions.resolvedPath()
        let gguf: GGUFFile, tokenizer: any TextTokenizer
        do { gguf = try GGUFFile(path: path); tokenizer = try loadTokenizer(gguf: gguf) } catch { throw CLIError(path, error) }
        var text = raw
        if chat {
            guard let wrapped = tokenizer.chatTemplate([ChatMessage(role: "user", content: raw)]) else {
                throw CLIError("--chat", "\(path) has no ChatML chat template (tokenizer.chat_template)")
            }
            text = wrapped
        }
        // The file decides BOS (Gemma adds it, SmolLM2 does not); control tokens a chat template wrote
        // become their own ids.
        let promptIDs = tokenizer.encodePrompt(text)
        guard !promptIDs.isEmpty else { throw CLIError(prompt != nil ? "--prompt" : "--prompt-file \(promptFile ?? "")", "encodes to no tokens") }
        let model: Transformer
        do {
            model = try Transformer(gguf: gguf, contextLength: promptIDs.count + n, threads: modelOptions.threads)
        } catch { throw CLIError(path, error) }
        guard promptIDs.count + n <= model.contextLength else {
            throw CLIError("-n \(n)", "prompt (\(promptIDs.count) tokens) + \(n) exceed the model's context \(model.contextLength)")
        }
        let c = model.config
        let session: RecordingSession
        do {
            session = try RecordingSession(model: model, policy: policyObject,
                                           options: .init(capture: level, rowInterval: rowInterval, denseShadow: !noDenseShadow))
        } catch { throw CLIError(choice.flag, error) }
        let header = session.header(
            producer: "attnscope \(AttnScope.configuration.version)", modelName: (path as NSString).lastPathComponent,
            prompt: text, promptTokens: promptIDs.map { TokenInfo(id: $0, text: tokenizer.tokenText($0)) },
            extra: [KeyValue("sampler", temperature == 0 ? "greedy" : "temperature=\(temperature),seed=\(seed)"),
                    KeyValue("kv_dtype", "f32")])
        do { try session.write(to: out, header: header) } catch { throw CLIError("--out \(out)", error) }
        let stop = InterruptFlag()
        let progress = ProgressLine()
        var sampler = Sampler(sampling)
        let stopIDs = ignoreEOS ? [] : tokenizer.stopIDs

        var tokens = promptIDs
        var decodeNanos: UInt64 = 0, decodeSteps = 0
        var failed: Error?
        var reason = StopReason.length(n)
        for step in 0..<n {
            if stop.isSet { reason = .interrupted; break }
            let input = step == 0 ? promptIDs : [tokens[tokens.count - 1]]
            var layerDone: ((Int) -> Void)?
            if step == 0 && progress.enabled {
                progress.startPrefill()
                let layers = c.blockCount, count = input.count
                layerDone = { progress.prefill(layersDone: $0, layers: layers, promptTokens: count) }
            }
            let recorded = session.step(input, layerDone: layerDone, next: { Int32(sampler.sample($0)) },
                                        describe: { TokenInfo(id: $0, text: tokenizer.tokenText($0)) })
            let next = recorded.next
            tokens.append(next)
            if step > 0 { decodeNanos += recorded.frame.step.wallNanos; decodeSteps += 1 }
            if !recorded.pushed { failed = session.writer?.failure; break }
            progress.decode(tokens: step + 1, total: n, decodeSteps: decodeSteps, decodeNanos: decodeNanos,
                            bytes: session.writer?.bytesWritten ?? 0)
            // the step that sampled the end token is recorded (it shows what ended the answer)
            if stopIDs.contains(next) { reason = .endToken(id: next, text: tokenizer.tokenText(next)); break }
        }
        progress.clear()
        do { try session.finishWriting() } catch { failed = failed ?? error }
        if let failed { throw CLIError("--out \(out)", "\(failed) (the trace is readable up to the last complete step)") }
        let rate = decodeNanos > 0
            ? String(format: "decode %.1f tokens/s", Double(decodeSteps) / (Double(decodeNanos) / 1e9))
            : "no decode steps"
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        var generated = Array(tokens[promptIDs.count...])
        if case .endToken = reason { generated.removeLast() }
        Stdout.line("recorded \(tokens.count - promptIDs.count) tokens (prompt \(promptIDs.count)) with \(policyObject.specDescription)"
                    + " to \(out): \(size) bytes, \(rate)")
        Stdout.line("stopped after \(generated.count) generated tokens: \(reason.description)")
        Stdout.line("generated: \(tokenizer.decode(generated))")
    }

    private func promptText() throws -> String {
        switch (prompt, promptFile) {
        case (let p?, nil): return p
        case (nil, let f?):
            do { return try String(contentsOfFile: f, encoding: .utf8) } catch { throw CLIError("--prompt-file \(f)", "cannot read (\(error.localizedDescription))") }
        case (nil, nil): throw CLIError("--prompt", "give --prompt TEXT or --prompt-file F", usage: true)
        default: throw CLIError("--prompt-file", "give either --prompt or --prompt-file, not both", usage: true)
        }
    }
}

/// Set by SIGINT (Ctrl-C): the run stops after the current step and finishes the trace.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in self.lock.lock(); self.set = true; self.lock.unlock() }
        source.resume()
    }

    deinit { source.cancel(); signal(SIGINT, SIG_DFL) }

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }
}

/// `--capture metrics|selections|rows|full`: the levels by the names traces show them with.
extension CaptureLevel: ExpressibleByArgument, CaseIterable {
    public static var allCases: [CaptureLevel] { (0...UInt8.max).lazy.compactMap(CaptureLevel.init(rawValue:)).map { $0 } }

    public init?(argument: String) {
        guard let level = Self.allCases.first(where: { $0.name == argument.lowercased() }) else { return nil }
        self = level
    }

    public var defaultValueDescription: String { name }
}
