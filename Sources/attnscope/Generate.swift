// `attnscope generate`: continue a prompt with the runtime and report its speed.

import ArgumentParser
import AttnRuntime
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a prompt; prints the text, then prefill and decode tokens/s (on stderr).")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The prompt text (BOS is added only if the model file asks for it; SmolLM2 does not).")
    var prompt: String

    @Option(name: .short, help: "Tokens to generate (≥ 1).")
    var n: Int = 64

    @Flag(help: "Wrap the prompt in the model's chat template (ChatML) as a user message.")
    var chat = false

    @Option(help: "Sampling temperature; 0 = greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Sample only from the k most likely tokens (0 = off).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Sample from the smallest set of tokens with probability ≥ p (1 = off).")
    var topP: Float = 1

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("ignore-eos"), help: "Keep generating after the end-of-sequence token.")
    var ignoreEOS = false

    func run() throws {
        guard !prompt.isEmpty else { throw inputError("--prompt: the prompt is empty") }
        guard n >= 1 else { throw inputError("-n \(n): must be at least 1 token") }
        let settings = SamplerSettings(temperature: temperature, topK: topK, topP: topP, seed: seed)
        if let problem = settings.problem { throw inputError("sampling: \(problem)") }

        let (model, gguf) = try modelOptions.load()
        let tokenizer: any TextTokenizer
        do { tokenizer = try loadTokenizer(gguf: gguf) } catch { throw inputError("tokenizer: \(error)") }
        var text = prompt
        if chat {
            guard let wrapped = tokenizer.chatTemplate([ChatMessage(role: "user", content: prompt)]) else {
                throw inputError("--chat: the model file has no ChatML chat template")
            }
            text = wrapped
        }
        let ids = tokenizer.encode(text, addBOS: tokenizer.addsBOSByDefault, allowSpecial: chat)
        guard !ids.isEmpty else { throw inputError("--prompt: encodes to no tokens") }
        guard ids.count + n <= model.contextLength else {
            throw inputError("--prompt is \(ids.count) tokens; with -n \(n) that needs \(ids.count + n) positions, "
                + "more than the model's context of \(model.contextLength)")
        }

        var generator = Generator(model: model, sampler: settings,
                                  stopTokens: ignoreEOS ? [] : [tokenizer.eosID])
        var stream = TokenStreamDecoder(tokenizer: tokenizer)
        let out = FileHandle.standardOutput
        out.write(Data(prompt.utf8))
        let stats = generator.generate(prompt: ids, maxTokens: n) { id in
            out.write(Data(stream.append(id).utf8))
        }
        out.write(Data((stream.flush() + "\n").utf8))
        let report = String(format: """
            prefill: %d tokens in %.3f s (%.1f tokens/s)
            decode:  %d tokens in %.3f s (%.1f tokens/s)%@, %d threads
            """, stats.promptTokens, stats.prefillSeconds, stats.prefillTokensPerSecond,
            stats.decodeSteps, stats.decodeSeconds, stats.decodeTokensPerSecond,
            (stats.stoppedAtToken ? " (stopped at end-of-sequence)" : "") as NSString, model.threads)
        FileHandle.standardError.write(Data((report + "\n").utf8))
    }
}
