import ArgumentParser
import Foundation
import AttnAnalysis
import AttnTrace

/// `attnscope export FILE --format chrome|csv|jsonl`: thin wrapper over the AttnAnalysis exporters.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a trace as Chrome trace-event JSON (Perfetto), CSV or JSON Lines.",
        discussion: "Columns and events are documented in docs/headless.md. Exit 2 when the file cannot be read or written.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case chrome, csv, jsonl }

    @Argument(help: "Trace file (.atrace).") var file: String
    @Option(help: "chrome, csv or jsonl.") var format: Format
    @Option(name: [.short, .long], help: "Output file ('-' or absent: standard output).") var output: String?

    func run() throws {
        PageRelease.keepFreedHeap()
        let reader: TraceFile
        do { reader = try openTrace(file) } catch { throw CLIError(file, error) }
        if let t = reader.truncation { Stderr.line("attnscope export: note: \(file) \(t)") }
        do {
            let toStdout = output == nil || output == "-"
            let out = toStdout ? TextOutput { Stdout.write($0) } : try TextOutput.file(output)
            switch format {
            case .chrome: try ChromeTraceExport.write(reader, to: out)
            case .csv: try CSVExport.write(reader, to: out)
            case .jsonl: try JSONLExport.write(reader, to: out)
            }
            try out.finish()
        } catch {
            throw CLIError(output ?? file, error)
        }
    }
}
