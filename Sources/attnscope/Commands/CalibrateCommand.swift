// `attnscope calibrate --policy tca`: one dense prefill of a calibration text, keeping the last
// --observe attention rows of every head, then TCACalibration per (layer, KV head); writes the
// budgets file that `--policy tca:budgets=FILE` reads.

import ArgumentParser
import AttnRuntime
import Foundation

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Calibrate a policy's per-head budgets on a text (TCA: kept attention mass ≥ τ).",
        discussion: """
            Runs one dense prefill of the calibration text (--text or --text-file, at most --tokens \
            tokens; without either, the built-in text: public-domain English prose, verse and \
            speeches, 2,770 tokens of SmolLM2), keeps the last --observe query rows of every head, and for each layer and KV \
            head picks the cheapest of TCA's 14 log-Gaussian budget candidates whose simulated \
            selection keeps at least --tau of those rows' attention mass (see docs/policies.md).
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Policy to calibrate (only tca).") var policy: String = "tca"
    @Option(help: "Calibration text.") var text: String?
    @Option(name: .customLong("text-file"), help: "File holding the calibration text.") var textFile: String?
    @Option(help: "Most tokens of the text to use.") var tokens: Int = 1024
    @Option(help: "Target kept mass τ in (0, 1].") var tau: Float = 0.9
    @Option(help: "Block size b (a power of two).") var block: Int = 32
    @Option(help: "Local window w (always kept).") var window: Int = 64
    @Option(help: "Redundancy weight α in [0, 1].") var alpha: Float = 0.5
    @Option(help: "Last query rows observed per head.") var observe: Int = 32
    @Option(help: "Output budgets file (JSON).") var out: String

    func run() throws { try calibrate() }

    private func calibrate() throws {
        guard policy.lowercased() == "tca" else { throw CLIError("--policy \(policy)", "only tca needs calibration") }
        guard tau > 0 && tau <= 1 else { throw CLIError("--tau \(tau)", "must be in (0, 1]") }
        guard block >= 1 && block & (block - 1) == 0 && block <= 4096 else { throw CLIError("--block \(block)", "must be a power of two ≤ 4096") }
        guard window >= 1 else { throw CLIError("--window \(window)", "must be ≥ 1") }
        guard alpha >= 0 && alpha <= 1 else { throw CLIError("--alpha \(alpha)", "must be in [0, 1]") }
        guard observe >= 1 else { throw CLIError("--observe \(observe)", "must be ≥ 1") }
        guard tokens >= 2 else { throw CLIError("--tokens \(tokens)", "must be ≥ 2") }
        try modelOptions.checkThreads()
        let body: String, source: String
        switch (text, textFile) {
        case (let t?, nil): body = t; source = "--text"
        case (nil, let f?):
            do { body = try String(contentsOfFile: f, encoding: .utf8) } catch { throw CLIError("--text-file \(f)", "cannot read (\(error.localizedDescription))") }
            source = "--text-file \(f)"
        case (nil, nil):
            body = CalibrationText.builtIn; source = "the built-in text"
            Stderr.line("attnscope calibrate: no --text or --text-file: using the built-in calibration text "
                        + "(public-domain English: \(CalibrationText.sources))")
        default: throw CLIError("--text-file", "give --text or --text-file, not both", usage: true)
        }
        guard FileManager.default.createFile(atPath: out, contents: nil) else { throw CLIError("--out \(out)", "cannot create the output file") }

        let path = try modelOptions.resolvedPath()
        let gguf: GGUFFile, tokenizer: any TextTokenizer
        do { gguf = try GGUFFile(path: path); tokenizer = try loadTokenizer(gguf: gguf) } catch { throw CLIError(path, error) }
        let ids = Array(tokenizer.encodePrompt(body).prefix(tokens))
        guard ids.count > window else { throw CLIError(source, "\(ids.count) tokens; calibration needs more than --window \(window)") }
        let model: Transformer
        do { model = try Transformer(gguf: gguf, contextLength: ids.count, threads: modelOptions.threads) } catch { throw CLIError(path, error) }
        let c = model.config
        let capture = LastRowsCapture(layers: c.blockCount, heads: c.headCount, lastRows: observe, promptLength: ids.count)
        model.attention.probe = capture
        _ = model.forward(tokens: ids, logits: .none)

        let groupSize = c.headCount / c.headCountKV
        var budgets: [[[Float]]] = [], kept: [[Float]] = []
        for l in 0..<c.blockCount {
            var layerBudgets: [[Float]] = [], layerKept: [Float] = []
            for g in 0..<c.headCountKV {
                let group = (g * groupSize ..< (g + 1) * groupSize).map { capture.rows[l][$0] }
                let r = TCACalibration.calibrate(group: group, block: block, window: window, alpha: alpha, tau: tau)
                layerBudgets.append(r.budgets); layerKept.append(r.keptMass)
            }
            budgets.append(layerBudgets); kept.append(layerKept)
        }
        let file = TCABudgets(model: (path as NSString).lastPathComponent, layers: c.blockCount, kvHeads: c.headCountKV,
                              block: block, window: window, tau: tau, alpha: alpha, calibrationTokens: ids.count,
                              budgets: budgets, keptMass: kept)
        do { try file.encoded().write(to: URL(fileURLWithPath: out)) } catch { throw CLIError("--out \(out)", "cannot write (\(error.localizedDescription))") }
        let prefix = ids.count - window
        let fractions = budgets.flatMap { $0 }.map { TCASelection.expectedKeep($0, block: block) / Float(block) }
        let keptEntries = Float(prefix) * fractions.reduce(0, +) / Float(fractions.count) + Float(window)
        Stdout.line("calibrated tca on \(ids.count) tokens: τ=\(tau), b=\(block), w=\(window), α=\(alpha); "
              + String(format: "mean kept share of older blocks %.1f%%, ≈ %.0f of %d entries kept; min kept mass %.3f → %@",
                       100 * fractions.reduce(0, +) / Float(fractions.count), keptEntries, ids.count,
                       kept.flatMap { $0 }.min() ?? 0, out))
    }
}

/// Keeps, per (layer, head), the prefill's last `lastRows` probability rows over all keys.
final class LastRowsCapture: AttentionProbe {
    private(set) var rows: [[[[Float]]]]   // [layer][head] → rows in position order
    private let firstKept: Int32

    init(layers: Int, heads: Int, lastRows: Int, promptLength: Int) {
        rows = Array(repeating: Array(repeating: [], count: heads), count: layers)
        firstKept = Int32(max(0, promptLength - lastRows))
    }

    func attentionComputed(_ r: HeadProbabilityRows) {
        for i in 0..<r.rowCount where r.queryPositions[i] >= firstKept {
            rows[r.layer][r.head].append(Array(r.row(i)))
        }
    }
}
