// What the trace benchmarks (trace, diff, view) share: a directory for the large traces they
// write and remove.

import ArgumentParser
import Foundation

/// `--dir` and `--keep`: where a benchmark writes its generated traces, and whether they stay.
struct ScratchTraceOptions: ParsableArguments {
    @Option(help: "Directory for the generated traces (not the repository).")
    var dir = "/tmp"

    @Flag(help: "Keep the generated traces.")
    var keep = false

    /// "<dir>/attnscope-bench-<pid>-<name>.atrace": a path no other run uses.
    func path(_ name: String) -> String {
        (dir as NSString).appendingPathComponent("attnscope-bench-\(getpid())-\(name).atrace")
    }

    /// Removes `paths` unless --keep.
    func cleanUp(_ paths: String...) {
        guard !keep else { return }
        for p in paths { try? FileManager.default.removeItem(atPath: p) }
    }
}
