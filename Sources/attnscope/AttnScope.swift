import ArgumentParser
import Foundation

@main
struct AttnScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attnscope",
        abstract: "Profile and visualise transformer attention: record, view, diff.",
        version: "0.1.0",
        subcommands: [
            // one line per command; each lives in its own file named after it
            // recording and running the model
            Record.self,
            Generate.self,
            Perplexity.self,
            Calibrate.self,
            // reading traces
            View.self,
            Diff.self,
            Stats.self,
            Export.self,
            Info.self,
            Dump.self,
            // benchmarks
            Bench.self,
            BenchRecord.self,
            BenchProbe.self,
            BenchTrace.self,
            BenchDiff.self,
            BenchView.self,
        ]
    )

    /// Like ArgumentParser's own entry point, except that a bad command line exits with status 2
    /// (the project's status for "cannot do what was asked"), not 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
