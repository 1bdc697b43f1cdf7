import ArgumentParser
import AttnTrace

/// `attnscope dump FILE`: the stable, line-oriented text form of a trace (see docs/trace-format.md).
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a trace as stable, line-oriented text (for golden tests and reading by eye).")

    @Argument(help: "The .atrace file.")
    var file: String

    @Flag(name: .customLong("no-row-values"), help: "Omit attention row values (keep their shapes).")
    var noRowValues = false

    func run() throws {
        let reader: TraceReader
        do { reader = try TraceReader(path: file) } catch { throw CLIError(file, error) }
        var out = LineOutput()
        let unreadable: Int
        do { unreadable = try TraceDump.write(reader, includeRows: !noRowValues) { out.line($0) } } catch {
            out.flush()
            throw CLIError(file, error)
        }
        out.flush()
        if unreadable > 0 { throw CLIError(file, "\(unreadable) of \(reader.stepCount) steps could not be read (see the error lines)") }
    }
}
