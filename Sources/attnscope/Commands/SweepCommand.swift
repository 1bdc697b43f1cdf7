// `attnscope sweep`: each (policy, budget) runs a text token by token through the policy
// (`tokenByTokenPerplexity`, the KV cache evolving as in generation) beside dense on the same
// tokens, and the results go into one table: perplexity and its delta from dense, KV bytes
// resident at the end, decode tokens/s, attention ms per layer and token. CSV and JSON files and
// a terminal summary. The budget goes into the policy's own parameter (SweepBudget below), or
// wherever a spec writes `{budget}`.

import ArgumentParser
import AttnRuntime
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Perplexity and cost of policies across budgets, token by token beside dense (CSV, JSON, summary).",
        discussion: """
            Budgets go into: streaming window (= budget − sink), h2o heavy + window (half each), snapkv \
            capacity, quest/oracle/knn budget; any spec may write {budget} instead \
            (e.g. 'power:block={budget}').
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("policy"), help: "Policy spec (repeat for several).") var policies: [String] = []
    @Option(help: "Comma-separated budgets (entries attended or kept per head).") var budgets: String = "64,128,256,512,1024"
    @Option(name: .customLong("text-file"), help: "UTF-8 text; its first --tokens tokens are scored.") var textFile: String
    @Option(help: "Tokens fed (context length of the run, ≥ 2).") var tokens: Int = 1024
    @Option(help: "CSV output file.") var csv: String = "sweep.csv"
    @Option(help: "JSON output file.") var json: String = "sweep.json"

    func run() throws {
        guard !policies.isEmpty else { throw CLIError("--policy", "give at least one --policy", usage: true) }
        let budgetList = try budgets.split(separator: ",", omittingEmptySubsequences: false).map { item -> Int in
            guard let b = Int(item.trimmingCharacters(in: .whitespaces)), b >= 1 else {
                throw CLIError("--budgets \(budgets)", "'\(item)' is not a budget ≥ 1")
            }
            return b
        }
        guard tokens >= 2 else { throw CLIError("--tokens \(tokens)", "must be ≥ 2") }
        var runs: [(policy: String, budget: Int, spec: String, object: AttentionPolicy)] = []
        for p in policies {
            for b in budgetList {
                let spec: String
                do { spec = try SweepBudget.spec(p, budget: b) } catch { throw CLIError("--policy \(p)", error) }
                do { runs.append((p, b, spec, try PolicyRegistry.make(spec))) } catch { throw CLIError("--policy \(spec)", error) }
            }
        }
        try OutputFile.check(csv, flag: "--csv")
        try OutputFile.check(json, flag: "--json")
        guard let data = FileManager.default.contents(atPath: textFile), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("--text-file \(textFile)", "cannot read it as UTF-8 text")
        }
        try modelOptions.checkThreads()
        let (model, gguf) = try modelOptions.load(contextLength: tokens)
        let tokenizer: any TextTokenizer
        do { tokenizer = try loadTokenizer(gguf: gguf) } catch { throw CLIError(modelOptions.model ?? "--model", error) }
        var ids = tokenizer.encode(text, addBOS: tokenizer.addsBOSByDefault, allowSpecial: false)
        guard ids.count >= tokens else { throw CLIError("--text-file \(textFile)", "\(ids.count) tokens, fewer than --tokens \(tokens)") }
        ids = Array(ids.prefix(tokens))
        let layers = model.config.blockCount, shape = model.attention.shape
        for r in runs {
            do { try r.object.check(layers: layers, shape: shape) } catch { throw CLIError("--policy \(r.spec)", error) }
        }
        let bytesPerEntry = 2 * shape.headDim * 4
        let progress = isatty(STDERR_FILENO) != 0
        func measure(_ label: String, _ policy: AttentionPolicy?) -> SweepRow.Measured {
            let r = tokenByTokenPerplexity(model: model, tokens: ids, policy: policy) { done, total in
                if progress && (done % 32 == 0 || done == total) { Stderr.write("\r\u{1B}[K\(label): \(done)/\(total) tokens") }
            }
            if progress { Stderr.write("\r\u{1B}[K") }
            return SweepRow.Measured(perplexity: r.perplexity, kvBytes: r.residentEntries.reduce(0, +) * bytesPerEntry,
                                     tokensPerSecond: Double(r.scoredTokens) / r.seconds,
                                     attentionMsPerLayerToken: r.attentionSeconds * 1e3 / Double(layers * r.scoredTokens))
        }
        let dense = measure("dense", nil)
        var rows: [SweepRow] = []
        for (i, r) in runs.enumerated() {
            let m = measure("[\(i + 1)/\(runs.count)] \(r.spec)", r.object)
            rows.append(SweepRow(policy: r.policy, budget: r.budget, spec: r.object.specDescription, tokens: tokens,
                                 measured: m, dense: dense))
        }
        try OutputFile.write(SweepRow.csv(rows), to: csv, flag: "--csv")
        try OutputFile.write(SweepRow.json(rows), to: json, flag: "--json")
        say(String(format: "sweep: %d tokens token by token; dense PPL %.4f, %.1f tokens/s, attention %.4f ms/layer/token, KV %.2f MB",
                   tokens, dense.perplexity, dense.tokensPerSecond, dense.attentionMsPerLayerToken, Double(dense.kvBytes) / 1e6))
        Stdout.write(SweepRow.table(rows))
        say("wrote \(csv) and \(json)")
    }
}

/// Where a budget goes in a policy's spec.
enum SweepBudget {
    static func spec(_ policy: String, budget b: Int) throws -> String {
        if policy.contains("{budget}") { return policy.replacingOccurrences(of: "{budget}", with: "\(b)") }
        let name = policy.split(separator: ":", maxSplits: 1).first.map(String.init)?.lowercased() ?? policy
        let extra = policy.contains(":") ? "," + policy.split(separator: ":", maxSplits: 1)[1] : ""
        switch name {
        case "streaming":
            let sink = min(4, b - 1)
            return "streaming:sink=\(sink),window=\(b - sink)" + extra
        case "h2o": return "h2o:heavy=\(b / 2),window=\(b - b / 2)" + extra
        case "snapkv": return "snapkv:capacity=\(max(2, b)),window=\(max(1, min(32, b - 1)))" + extra
        case "quest", "oracle", "knn": return "\(name):budget=\(b)" + extra
        default:
            throw PolicyError("policy \(name) has no budget parameter; write {budget} where it goes (e.g. 'power:block={budget}')")
        }
    }
}

/// One (policy, budget) of a sweep.
struct SweepRow {
    struct Measured { var perplexity: Double; var kvBytes: Int; var tokensPerSecond: Double; var attentionMsPerLayerToken: Double }
    var policy: String, budget: Int, spec: String, tokens: Int
    var measured: Measured, dense: Measured

    static let header = ["policy", "budget", "spec", "tokens", "perplexity", "dense_perplexity", "perplexity_delta",
                         "kv_bytes", "dense_kv_bytes", "tokens_per_s", "dense_tokens_per_s", "attention_ms_per_layer_token",
                         "dense_attention_ms_per_layer_token"]

    var fields: [String] {
        [policy, "\(budget)", spec, "\(tokens)", fmt(measured.perplexity), fmt(dense.perplexity),
         fmt(measured.perplexity - dense.perplexity), "\(measured.kvBytes)", "\(dense.kvBytes)",
         fmt(measured.tokensPerSecond), fmt(dense.tokensPerSecond), fmt(measured.attentionMsPerLayerToken),
         fmt(dense.attentionMsPerLayerToken)]
    }

    private func fmt(_ x: Double) -> String { String(format: "%.6g", x) }

    static func csv(_ rows: [SweepRow]) -> String {
        func quote(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        return ([header] + rows.map(\.fields)).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    static func json(_ rows: [SweepRow]) -> String {
        func value(_ key: String, _ s: String) -> String {
            if ["policy", "spec"].contains(key) {
                return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            }
            return Double(s).map { $0.isFinite } == true ? s : "null"
        }
        let objects = rows.map { r in "  {" + zip(header, r.fields).map { "\"\($0)\": \(value($0, $1))" }.joined(separator: ", ") + "}" }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    /// The terminal summary: one line per row.
    static func table(_ rows: [SweepRow]) -> String {
        let width = max(4, rows.map(\.spec.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func right(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var out = pad("spec", width) + " " + [("budget", 7), ("PPL", 10), ("ΔPPL", 9), ("KV MB", 9), ("tok/s", 8), ("attn ms/l/t", 12)]
            .map { right($0.0, $0.1) }.joined(separator: " ") + "\n"
        for r in rows {
            out += pad(r.spec, width) + " " + right("\(r.budget)", 7) + " " + right(String(format: "%.4f", r.measured.perplexity), 10)
                + " " + right(String(format: "%+.4f", r.measured.perplexity - r.dense.perplexity), 9)
                + " " + right(String(format: "%.2f", Double(r.measured.kvBytes) / 1e6), 9)
                + " " + right(String(format: "%.1f", r.measured.tokensPerSecond), 8)
                + " " + right(String(format: "%.4f", r.measured.attentionMsPerLayerToken), 12) + "\n"
        }
        return out
    }
}
