import ArgumentParser

@main
struct AttnScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attnscope",
        abstract: "Profile and visualise transformer attention: record, view, diff.",
        version: "0.1.0",
        subcommands: [
            // one line per command; each lives in its own file named after it
            Generate.self,
            Perplexity.self,
            Bench.self,
            Dump.self,
            Info.self,
            BenchTrace.self,
            Record.self,
            Calibrate.self,
            BenchRecord.self,
        ]
    )
}
