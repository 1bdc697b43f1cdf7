import ArgumentParser
import Foundation
import AttnAnalysis
import AttnTrace

/// `attnscope stats FILE`: thin wrapper over `RunStats` (AttnAnalysis).
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Per-run and per-head statistics of a trace: means, percentiles, head classes, sinks, KV memory.",
        discussion: "A truncated file is summarised up to its last complete chunk (with a note). Exit 2 when the file cannot be read.")

    @Argument(help: "Trace file (.atrace).") var file: String
    @Flag(help: "Print every number as JSON.") var json = false
    @Option(help: "Show the bookmarked head at the bookmarked step (a name from the trace's .marks file).")
    var bookmark: String?

    func run() throws {
        PageRelease.keepFreedHeap()
        let reader: TraceFile
        do { reader = try openTrace(file) } catch { throw CLIError(file, error) }
        let mark = try bookmark.map { try BookmarkOption.find($0, trace: file, header: reader.header, steps: reader.stepCount) }
        if let t = reader.truncation { Stderr.line("attnscope stats: note: \(file) \(t)") }
        let stats: RunStats
        do { stats = try RunStats.compute(reader, label: file) } catch { throw CLIError(file, error) }
        if let mark {
            let m: HeadMetrics, context: Int
            do {
                m = try reader.reader.metrics(step: mark.step, layer: mark.layer, head: mark.head)
                context = try reader.reader.stepInfo(mark.step).context
            } catch { throw CLIError(file, error) }
            guard let report = BookmarkReport(bookmark: mark, metrics: m, context: context, stats: stats) else {
                throw CLIError("--bookmark \(mark.name)", "no statistics for L\(mark.layer) H\(mark.head)")
            }
            Stdout.write(json ? report.renderJSON() : report.renderText(label: file))
            return
        }
        Stdout.write(json ? stats.renderJSON() : stats.renderText())
    }
}
