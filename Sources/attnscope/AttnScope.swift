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
            Sweep.self,
            // reading traces
            View.self,
            Render.self,
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

    /// Like ArgumentParser's own entry point, except that every failure is reported one way
    /// ("attnscope <command>: <file or flag>: <problem>", see CLIError) and a bad command line
    /// exits with status 2 (the project's status for "cannot do what was asked"), not 64.
    static func main() {
        Stdout.ignoreBrokenPipes()
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }   // --help, --version
            let sub = subcommand(named: arguments.first)
            if let e = error as? CLIError { fail(e, command: sub) }
            let (subject, problem) = ParseErrorText.split(message(for: error))
            fail(CLIError(subject, problem, usage: true), command: sub)
        }
        do {
            try command.run()
        } catch let e as CLIError {
            fail(e, command: type(of: command))
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            fail(CLIError(nil, "\(error)"), command: type(of: command))
        }
        Foundation.exit(0)
    }

    static func subcommand(named name: String?) -> ParsableCommand.Type? {
        configuration.subcommands.first { $0._commandName == name }
    }

    /// Prints the error (and the command's short usage when it asks for it) and exits.
    static func fail(_ e: CLIError, command: ParsableCommand.Type?) -> Never {
        let name = command.map { $0._commandName } ?? "attnscope"
        var text = name == "attnscope" ? "attnscope: \(e.description)" : e.line(command: name)
        if e.usage {
            let usage = command.map { usageString(for: $0) } ?? usageString()
            text += "\nUsage: \(usage)\n  See 'attnscope \(command == nil ? "" : name + " ")--help' for more information."
        }
        Stderr.line(text)
        Foundation.exit(e.status)
    }
}
