// The progress line `record` draws on stderr while it runs, only when stderr is a terminal:
// during prefill the prompt tokens done (from the layers done: every layer costs the same),
// tokens/s and the time left; then the generated tokens, decode tokens/s and the trace size.
// A call costs one clock read unless the line is due (at most every `interval`), so the decode
// loop does not slow down for it.

import Foundation

final class ProgressLine {
    let enabled: Bool
    private let interval: UInt64 = 250_000_000
    private var last: UInt64 = 0
    private var prefillStart: UInt64 = 0
    private var drawn = false

    init(enabled: Bool = isatty(STDERR_FILENO) != 0) { self.enabled = enabled }

    /// Before the prefill's forward pass.
    func startPrefill() { prefillStart = DispatchTime.now().uptimeNanoseconds }

    /// After each layer of the prefill.
    func prefill(layersDone: Int, layers: Int, promptTokens: Int) {
        guard enabled, let now = due(force: false) else { return }
        let done = promptTokens * layersDone / max(1, layers)
        draw(Self.prefillText(done: done, total: promptTokens, seconds: Double(now - prefillStart) / 1e9))
    }

    /// After each step.
    func decode(tokens: Int, total: Int, decodeSteps: Int, decodeNanos: UInt64, bytes: Int) {
        guard enabled, due(force: tokens == total) != nil else { return }
        let rate = decodeNanos > 0 ? Double(decodeSteps) / (Double(decodeNanos) / 1e9) : 0
        draw(Self.decodeText(tokens: tokens, total: total, tokensPerSecond: rate, bytes: bytes))
    }

    func clear() {
        if enabled && drawn { Stderr.write("\r\u{1B}[K"); drawn = false }
    }

    private func due(force: Bool) -> UInt64? {
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || now - last >= interval else { return nil }
        last = now
        return now
    }

    private func draw(_ text: String) {
        Stderr.write("\r\u{1B}[K" + text)
        drawn = true
    }

    // MARK: - Text (pure)

    /// "prefill 2333/7000 tokens  105.2 tok/s  ETA 44 s".
    static func prefillText(done: Int, total: Int, seconds: Double) -> String {
        var text = "prefill \(done)/\(total) tokens"
        guard done > 0, seconds > 0 else { return text }
        let rate = Double(done) / seconds
        text += String(format: "  %.1f tok/s", rate)
        if done < total { text += "  ETA " + duration(Double(total - done) / rate) }
        return text
    }

    /// "tokens 12/64  31.2 tok/s  trace 1.4 MB".
    static func decodeText(tokens: Int, total: Int, tokensPerSecond: Double, bytes: Int) -> String {
        String(format: "tokens %d/%d  %.1f tok/s  trace %.1f MB", tokens, total, tokensPerSecond, Double(bytes) / 1e6)
    }

    /// "44 s", "3 min 05 s".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s < 60 ? "\(s) s" : String(format: "%d min %02d s", s / 60, s % 60)
    }
}
