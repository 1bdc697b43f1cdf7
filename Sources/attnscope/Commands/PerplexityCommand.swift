// `attnscope perplexity`: perplexity of a text file, computed the way llama.cpp's perplexity tool
// does so the figures are comparable: the text is tokenized without BOS and cut into
// non-overlapping chunks of --ctx tokens (a partial last chunk is dropped); each chunk is run from
// an empty cache, and only the second half of its predictions is scored (tokens ctx/2+1 ..< ctx,
// each predicted with at least ctx/2 tokens of context); a file that adds BOS (Gemma 3) gets BOS as
// each chunk's first token. PPL = exp(mean NLL over all scored tokens).

import ArgumentParser
import AttnRuntime
import Foundation

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a text file in non-overlapping chunks of --ctx tokens (llama.cpp's method).")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "UTF-8 text file to score.")
    var file: String

    @Option(help: "Tokens per chunk (≥ 4, at most the model's context).")
    var ctx: Int = 512

    @Option(name: .customLong("max-chunks"), help: "Score at most this many chunks (0 = all).")
    var maxChunks: Int = 0

    @Option(help: "Policy: the first --ctx tokens token by token through it, then dense on the same tokens (docs/policies.md).")
    var policy: String?

    func run() throws {
        guard ctx >= 4 else { throw CLIError("--ctx \(ctx)", "must be at least 4 tokens") }
        guard maxChunks >= 0 else { throw CLIError("--max-chunks \(maxChunks)", "must be ≥ 0") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError("--file \(file)", "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError("--file \(file)", "not UTF-8 text") }
        guard !text.isEmpty else { throw CLIError("--file \(file)", "the file is empty") }

        let (model, gguf) = try modelOptions.load(contextLength: nil)
        guard ctx <= model.contextLength else {
            throw CLIError("--ctx \(ctx)", "more than the model's context of \(model.contextLength)")
        }
        let tokenizer: any TextTokenizer
        do { tokenizer = try loadTokenizer(gguf: gguf) } catch { throw CLIError(modelOptions.model ?? "--model", error) }
        let ids = tokenizer.encode(text, addBOS: false, allowSpecial: false)
        guard ids.count >= ctx else {
            throw CLIError("--file \(file)", "\(ids.count) tokens, fewer than one chunk of --ctx \(ctx)")
        }
        if let policy { return try runWithPolicy(policy, model: model, tokens: ids) }
        let chunkCount = maxChunks > 0 ? min(maxChunks, ids.count / ctx) : ids.count / ctx
        say("perplexity: \(ids.count) tokens, \(chunkCount) chunks of \(ctx), scoring the second half of each")
        let t0 = now()
        let bos = tokenizer.addsBOSByDefault ? tokenizer.bosID : nil
        let result = chunkedPerplexity(model: model, tokens: ids, ctx: ctx, maxChunks: maxChunks, bos: bos) { c, running in
            Stdout.write(String(format: "[%d]%.4f,", c + 1, running))
        }
        let seconds = now() - t0
        say("")
        say(String(format: "Final estimate: PPL = %.4f over %d scored tokens (%d chunks of %d), %.1f tokens/s",
                   result.perplexity, result.scoredTokens, result.chunks, ctx, Double(result.chunks * ctx) / seconds))
    }
}
