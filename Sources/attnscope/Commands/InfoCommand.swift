import ArgumentParser
import AttnTrace
import Foundation

/// `attnscope info FILE`: a short summary of a trace.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Summarise a trace: model, policy, steps, size by record kind, finalized or recovered.")

    @Argument(help: "The .atrace file.")
    var file: String

    func run() throws {
        let r: TraceReader
        do { r = try TraceReader(path: file) } catch { throw CLIError(file, error) }
        let text: [String]
        do { text = try Self.lines(r) } catch { throw CLIError(file, error) }
        Stdout.write(text.map { $0 + "\n" }.joined())
    }

    static func lines(_ r: TraceReader) throws -> [String] {
        let h = r.header, m = h.model
        var out: [String] = []
        out.append("file      \(r.path) (\(bytes(r.fileSize)))")
        switch r.status {
        case .finalized: out.append("status    finalized")
        case .recovered(let valid, let reason): out.append("status    recovered: \(bytes(valid)) intact; \(reason)")
        }
        out.append("producer  \(h.producer), created \(Date(timeIntervalSince1970: Double(h.createdUnixSeconds)))")
        out.append("model     \(m.name) (\(m.architecture)): \(m.layers) layers × \(m.heads) heads × \(m.kvHeads) KV heads, head dim \(m.headDim), context \(m.contextLength)")
        let params = h.policy.parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        out.append("policy    \(h.policy.name)\(params.isEmpty ? "" : ":" + params) (\(h.policy.mode.name))")
        out.append("capture   \(h.capture.name)\(h.rowInterval > 0 ? ", rows every \(h.rowInterval) steps" : "")")
        out.append("prompt    \(h.promptTokens.count) tokens")
        let s = try r.summary()
        let wallMs = Double(s.totalWallNanos) / 1e6
        let perTok = s.decodeSteps > 0 ? String(format: ", %.1f ms per step", wallMs / Double(s.steps)) : ""
        out.append("steps     \(r.stepCount) (\(s.steps - s.decodeSteps) prefill, \(s.decodeSteps) decode), wall \(String(format: "%.1f", wallMs)) ms\(perTok), last position \(s.lastPosition)")
        let damaged = r.damagedSteps()
        if let first = damaged.first {
            out.append("chunks    \(damaged.count) of \(r.stepCount) damaged; first at step \(first.step): \(first.error)")
        } else {
            out.append("chunks    all \(r.stepCount) intact (CRC checked)")
        }
        out.append("size by record kind:")
        let sizes = r.sizeByRecordKind()
        let total = max(1, r.fileSize)
        for (kind, n) in sizes where n > 0 {
            out.append("  " + kind.padding(toLength: 18, withPad: " ", startingAt: 0)
                       + String(format: "%12d B %6.1f %%", n, 100 * Double(n) / Double(total)))
        }
        out.append("unknown records skipped: \(r.unknownRecordCount)")
        return out
    }

    static func bytes(_ n: Int) -> String {
        if n < 10_000 { return "\(n) B" }
        if n < 10_000_000 { return String(format: "%.1f KB", Double(n) / 1e3) }
        if n < 10_000_000_000 { return String(format: "%.1f MB", Double(n) / 1e6) }
        return String(format: "%.2f GB", Double(n) / 1e9)
    }
}
