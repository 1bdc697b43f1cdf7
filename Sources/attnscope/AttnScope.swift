import ArgumentParser
import Foundation

@main
struct AttnScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attnscope",
        abstract: "Profile and visualise transformer attention: record, view, diff.",
        version: "0.1.0",
        subcommands: [
            // one line per command; each lives in its own file named after it (Commands/, Bench/)
            // recording and running the model
            RecordCommand.self,
            GenerateCommand.self,
            PerplexityCommand.self,
            CalibrateCommand.self,
            SweepCommand.self,
            // reading traces
            ViewCommand.self,
            RenderCommand.self,
            DiffCommand.self,
            StatsCommand.self,
            ExportCommand.self,
            InfoCommand.self,
            DumpCommand.self,
            // benchmarks: `bench <runtime|record|probe|trace|diff|view|quant-kernels>`
            BenchCommand.self,
        ]
    )

    /// Names the benchmarks had before they became `bench` subcommands; still accepted, not listed.
    static let hiddenAliases = ["bench-record": ["bench", "record"], "bench-probe": ["bench", "probe"],
                                "bench-trace": ["bench", "trace"], "bench-diff": ["bench", "diff"],
                                "bench-view": ["bench", "view"]]

    /// Like ArgumentParser's own entry point, except that every failure is reported one way
    /// ("attnscope <command>: <file or flag>: <problem>", see CLIError) and a bad command line
    /// exits with status 2 (the project's status for "cannot do what was asked"), not 64.
    static func main() {
        Stdout.ignoreBrokenPipes()
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, let alias = hiddenAliases[first] { arguments.replaceSubrange(0..<1, with: alias) }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // --help and --version end here; every other error is a command line that cannot work
            // (validate() throws CLIError, which ArgumentParser would end with status 1)
            if exitCode(for: error) == .success { exit(withError: error) }
            let sub = subcommand(named: arguments)
            fail(ParseErrorText.error(message(for: error)), command: sub)
        }
        do {
            try command.run()
        } catch let e as CLIError {
            fail(e, command: type(of: command))
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            fail(CLIError(nil, "\(error)"), command: type(of: command))
        }
        Foundation.exit(0)
    }

    /// The deepest command the leading words of `arguments` name (`bench trace …` → BenchTrace,
    /// `bench --prefill 0` → its default, BenchRuntime).
    static func subcommand(named arguments: [String]) -> ParsableCommand.Type? {
        var found: ParsableCommand.Type?
        var level = configuration.subcommands
        for word in arguments {
            guard let next = level.first(where: { $0._commandName == word }) else { break }
            found = next
            level = next.configuration.subcommands
        }
        while let command = found, let fallback = command.configuration.defaultSubcommand { found = fallback }
        return found
    }

    /// "bench trace" for BenchTrace: the words that run the command.
    static func path(of command: ParsableCommand.Type) -> String {
        func search(_ level: [ParsableCommand.Type], _ prefix: [String]) -> [String]? {
            for c in level {
                let words = prefix + [c._commandName]
                if c == command { return words }
                if let found = search(c.configuration.subcommands, words) { return found }
            }
            return nil
        }
        return search(configuration.subcommands, [])?.joined(separator: " ") ?? command._commandName
    }

    /// The one place a command's failure becomes output and an exit status: prints the error
    /// (and the command's short usage when it asks for it), then exits with its status.
    static func fail(_ e: CLIError, command: ParsableCommand.Type?) -> Never {
        let name = command.map(path(of:)) ?? "attnscope"
        if !e.problem.isEmpty {
            var text = name == "attnscope" ? "attnscope: \(e.description)" : e.line(command: name)
            if e.usage {
                let usage = command.map { usageString(for: $0) } ?? usageString()
                text += "\nUsage: \(usage)\n  See 'attnscope \(command == nil ? "" : name + " ")--help' for more information."
            }
            Stderr.line(text)
        }
        Foundation.exit(e.status)
    }
}
