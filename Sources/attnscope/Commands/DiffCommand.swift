import ArgumentParser
import Foundation
import AttnAnalysis
import AttnTrace

/// `attnscope diff A B`: thin wrapper over `TraceDiff` (AttnAnalysis). Exit 0 within tolerance,
/// 1 when not, 2 when the inputs cannot be read or compared.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two traces step by step, layer by layer, head by head.",
        discussion: """
            A is the baseline, B the new run. Exit status: 0 within tolerance, 1 when some metric, \
            selected set, attention row or emitted token differs, 2 when a file cannot be read or the \
            runs cannot be aligned. Tolerances: METRIC abs=X rel=Y, a pair differs when |a−b| > abs \
            and |a−b| > rel·|a|. Defaults and metric names: docs/headless.md.
            """)

    @Argument(help: "Baseline trace (.atrace).") var baseline: String
    @Argument(help: "New trace (.atrace).") var new: String
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(name: .customLong("tolerance"),
            help: ArgumentHelp("Override one tolerance, e.g. 'sink_mass_4 abs=0.01 rel=0.05' (repeatable).",
                               valueName: "metric abs=X rel=Y"))
    var tolerances: [String] = []
    @Option(name: .customLong("tolerance-file"), help: "A file of 'METRIC abs=X rel=Y' lines (# comments).")
    var toleranceFile: String?
    @Flag(help: "Also compare wall and per-layer times (excluded by default: they are noisy).") var timings = false
    @Flag(name: .customLong("common-prefix"),
          help: "Compare the common prefix when step counts differ; accept a truncated file up to its last complete chunk.")
    var commonPrefix = false
    @Flag(name: .customLong("ignore-model-name"), help: "Compare models of the same shape but another name.")
    var ignoreModelName = false
    @Option(help: "How many differences the text report lists.") var top = 20
    @Option(help: ArgumentHelp("Also write JUnit XML: one test case per metric family and layer.", valueName: "file.xml"))
    var junit: String?
    @Option(help: ArgumentHelp("Also write the report as one self-contained HTML file.", valueName: "report.html"))
    var report: String?

    func run() throws {
        var set = ToleranceSet.defaults
        if let path = toleranceFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIError("--tolerance-file \(path)", "cannot read the file")
            }
            do { try set.apply(file: String(decoding: data, as: UTF8.self)) } catch {
                throw CLIError("--tolerance-file \(path)", error)
            }
        }
        for t in tolerances {
            do { try set.apply(line: t) } catch { throw CLIError("--tolerance '\(t)'", error) }
        }
        if let junit { try OutputFile.check(junit, flag: "--junit") }
        if let report { try OutputFile.check(report, flag: "--report") }
        let a: TraceFile, b: TraceFile
        do { a = try openTrace(baseline) } catch { throw CLIError(baseline, error) }
        do { b = try openTrace(new) } catch { throw CLIError(new, error) }
        PageRelease.keepFreedHeap()
        let options = DiffOptions(tolerances: set, includeTimings: timings, commonPrefix: commonPrefix,
                                  ignoreModelName: ignoreModelName)
        let result: TraceDiffReport
        do { result = try TraceDiff.run(a, b, labels: (baseline, new), options: options) } catch {
            throw CLIError("\(baseline) vs \(new)", error)
        }
        if let junit { try OutputFile.write(result.renderJUnit(), to: junit, flag: "--junit") }
        if let report { try OutputFile.write(result.renderHTML(), to: report, flag: "--report") }
        // a reader that stops early (`| head`) still gets the verdict as the exit status
        if !result.withinTolerance { Stdout.closedStatus = 1 }
        Stdout.write(json ? result.renderJSON() : result.renderText(top: max(0, top)))
        if !result.withinTolerance { throw CLIError.verdict(status: 1) }
    }
}
