// `attnscope bench <runtime|record|probe|trace|diff|view|quant-kernels>`: the benchmarks, one
// subcommand each. Benchmarks, not tests: their figures depend on the machine and its load.

import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: the runtime, recording, the recorder's trackers, the trace format, diff and the viewer.",
        discussion: "Without a subcommand: `bench runtime`.",
        subcommands: [BenchRuntime.self, BenchRecord.self, BenchProbe.self, BenchTrace.self, BenchDiff.self,
                      BenchView.self, BenchQuantKernels.self],
        defaultSubcommand: BenchRuntime.self)
}
