// `attnscope perplexity --policy P`: the first --ctx tokens of the file run token by token
// through the policy (the KV cache evolving as in generation, StreamingLLM's evaluation), then
// through dense attention on the same tokens; both perplexities and the difference are reported.
// Use a --ctx longer than the policy's budget, or the policy never drops anything.

import AttnRuntime
import Foundation

extension PerplexityCommand {
    func runWithPolicy(_ spec: String, model: Transformer, tokens ids: [Int32]) throws {
        let policy: AttentionPolicy
        do { policy = try PolicyRegistry.make(spec) } catch { throw CLIError("--policy \(spec)", error) }
        do { try policy.check(layers: model.config.blockCount, shape: model.attention.shape) } catch { throw CLIError("--policy \(spec)", error) }
        let tokens = Array(ids.prefix(ctx))
        say("perplexity: \(tokens.count) tokens token by token through \(policy.specDescription), then dense")
        let progress = isatty(STDERR_FILENO) != 0
        func measure(_ label: String, _ p: AttentionPolicy?) -> TokenByTokenPerplexity {
            let r = tokenByTokenPerplexity(model: model, tokens: tokens, policy: p) { done, total in
                if progress && (done % 32 == 0 || done == total) { Stderr.write("\r\u{1B}[K\(label): \(done)/\(total) tokens") }
            }
            if progress { Stderr.write("\r\u{1B}[K") }
            return r
        }
        let withPolicy = measure(policy.name, policy), dense = measure("dense", nil)
        let bytes = { (r: TokenByTokenPerplexity) in Double(r.residentEntries.reduce(0, +) * 2 * model.attention.shape.headDim * 4) / 1e6 }
        say(String(format: "%@: PPL = %.4f over %d tokens (KV %.2f MB at the end, %.1f tokens/s)", policy.specDescription as NSString,
                   withPolicy.perplexity, withPolicy.scoredTokens, bytes(withPolicy), Double(withPolicy.scoredTokens) / withPolicy.seconds))
        say(String(format: "dense: PPL = %.4f over %d tokens (KV %.2f MB at the end, %.1f tokens/s)", dense.perplexity,
                   dense.scoredTokens, bytes(dense), Double(dense.scoredTokens) / dense.seconds))
        say(String(format: "difference: %+.4f (%+.2f %%)", withPolicy.perplexity - dense.perplexity,
                   100 * (withPolicy.perplexity / dense.perplexity - 1)))
    }
}
