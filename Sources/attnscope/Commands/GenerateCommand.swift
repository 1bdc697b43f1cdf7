// `attnscope generate`: continue a prompt with the runtime and report its speed.

import ArgumentParser
import AttnRuntime
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt; prints the text, then why it stopped and prefill and decode tokens/s (on stderr).",
        discussion: """
            Generation stops at the model's end-of-sequence or end-of-turn token (said on stderr), \
            or after -n tokens; --ignore-eos always generates -n tokens (for timing runs). --chat \
            wraps the prompt in the model's chat template (tokenizer.chat_template) as a user turn, \
            so an instruct model answers it.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The prompt text (BOS is added only if the model file asks for it; SmolLM2 does not).")
    var prompt: String

    @Option(name: .short, help: "Tokens to generate (≥ 1).")
    var n: Int = 64

    @Flag(help: "Wrap the prompt in the model's chat template (tokenizer.chat_template, ChatML) as a user message.")
    var chat = false

    @Option(help: "Sampling temperature; 0 = greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Sample only from the k most likely tokens (0 = off).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Sample from the smallest set of tokens with probability ≥ p (1 = off).")
    var topP: Float = 1

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("ignore-eos"), help: "Generate exactly -n tokens, past the end-of-sequence / end-of-turn tokens.")
    var ignoreEOS = false

    func run() throws {
        guard !prompt.isEmpty else { throw CLIError("--prompt", "the prompt is empty") }
        guard n >= 1 else { throw CLIError("-n \(n)", "must be at least 1 token") }
        let settings = SamplerSettings(temperature: temperature, topK: topK, topP: topP, seed: seed)
        if let problem = settings.problem { throw CLIError("--temperature/--top-k/--top-p", problem) }

        let (model, gguf) = try modelOptions.load()
        let tokenizer: any TextTokenizer
        do { tokenizer = try loadTokenizer(gguf: gguf) } catch { throw CLIError(modelOptions.model ?? "--model", error) }
        var text = prompt
        if chat {
            guard let wrapped = tokenizer.chatTemplate([ChatMessage(role: "user", content: prompt)]) else {
                throw CLIError("--chat", "the model file has no ChatML chat template (tokenizer.chat_template)")
            }
            text = wrapped
        }
        let ids = tokenizer.encode(text, addBOS: tokenizer.addsBOSByDefault, allowSpecial: chat)
        guard !ids.isEmpty else { throw CLIError("--prompt", "encodes to no tokens") }
        guard ids.count + n <= model.contextLength else {
            throw CLIError("--prompt", "\(ids.count) tokens; with -n \(n) that needs \(ids.count + n) positions, "
                + "more than the model's context of \(model.contextLength)")
        }

        var generator = Generator(model: model, sampler: settings,
                                  stopTokens: ignoreEOS ? [] : tokenizer.stopIDs)
        var stream = TokenStreamDecoder(tokenizer: tokenizer)
        Stdout.write(prompt)
        let stats = generator.generate(prompt: ids, maxTokens: n) { id in
            Stdout.write(stream.append(id))
        }
        Stdout.write(stream.flush() + "\n")
        let reason: StopReason = stats.stopToken.map { .endToken(id: $0, text: tokenizer.tokenText($0)) } ?? .length(n)
        let report = String(format: """
            stopped after %d tokens: %@
            prefill: %d tokens in %.3f s (%.1f tokens/s)
            decode:  %d tokens in %.3f s (%.1f tokens/s), %d threads
            """, stats.generatedTokens, reason.description as NSString,
            stats.promptTokens, stats.prefillSeconds, stats.prefillTokensPerSecond,
            stats.decodeSteps, stats.decodeSeconds, stats.decodeTokensPerSecond, model.threads)
        Stderr.line(report)
    }
}
