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

    func run() throws {
        PageRelease.keepFreedHeap()
        let reader: TraceFile
        do { reader = try openTrace(file) } catch { throw CLIError(file, error) }
        if let t = reader.truncation { Stderr.line("attnscope stats: note: \(file) \(t)") }
        let stats: RunStats
        do { stats = try RunStats.compute(reader, label: file) } catch { throw CLIError(file, error) }
        Stdout.write(json ? stats.renderJSON() : stats.renderText())
    }
}
