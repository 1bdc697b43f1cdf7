import ArgumentParser
import Foundation
import AttnTrace
#if canImport(Glibc)
import Glibc
#endif

/// `attnscope bench diff`: writes two traces of about `--megabytes` MB each (a seeded sample run
/// and a copy with one head perturbed), times `attnscope diff` on them in a child process, and
/// reports read throughput and the child's peak RSS (getrusage RUSAGE_CHILDREN). Deletes the files.
struct BenchDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Benchmark: diff throughput (MB/s of trace read) and peak RSS on two large traces.")

    enum Content: String, ExpressibleByArgument, CaseIterable {
        case rows          // metrics + selections + 32 decode attention rows per step (rows dominate)
        case metrics       // metrics + selections only (per-head records dominate)
    }

    @Option(help: "Size of each trace in MB (10^6 bytes).") var megabytes = 1024
    @OptionGroup var scratch: ScratchTraceOptions
    @Option(help: "What the traces hold: rows or metrics.") var content: Content = .rows
    @Option(help: "Timed diff runs (the best and all are reported).") var runs = 3

    func validate() throws {
        try Check.atLeast(megabytes, 1, "--megabytes")
        try Check.atLeast(runs, 1, "--runs")
    }

    func run() throws {
        let a = scratch.path("a"), b = scratch.path("b")
        defer { scratch.cleanUp(a, b) }
        let target = megabytes * 1_000_000
        let t0 = Date()
        let steps = try writePair(a, b, targetBytes: target)
        let sizeA = fileBytes(a), sizeB = fileBytes(b)
        print("wrote \(steps) steps: A \(mb(sizeA)) MB, B \(mb(sizeB)) MB (content \(content.rawValue)) "
            + "in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")

        var seconds: [Double] = []
        var status: Int32 = 0
        var firstLine = ""
        for _ in 0..<runs {
            let out = (scratch.dir as NSString).appendingPathComponent("attnscope-bench-\(getpid())-out.txt")
            defer { try? FileManager.default.removeItem(atPath: out) }
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            p.arguments = ["diff", a, b]
            p.standardOutput = FileHandle(forWritingAtPath: out)
            let start = Date()
            try p.run()
            p.waitUntilExit()
            seconds.append(Date().timeIntervalSince(start))
            status = p.terminationStatus
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            firstLine = text.split(separator: "\n").first(where: { $0.hasPrefix("Summary") }).map(String.init) ?? ""
        }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let bytes = Double(sizeA + sizeB)
        let best = seconds.min() ?? .nan
        print("diff exit status \(status) (1 expected: one head perturbed); \(firstLine)")
        print("diff wall time: " + seconds.map { String(format: "%.2f s", $0) }.joined(separator: ", "))
        print(String(format: "throughput (best run): %.0f MB/s of trace read (%.0f MB in %.2f s)",
                     bytes / 1e6 / best, bytes / 1e6, best))
        let cpu = (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6) / Double(runs)
        print(String(format: "diff CPU time (user + sys, mean of %d runs): %.2f s = %.0f MB/s of trace read per CPU second",
                     runs, cpu, bytes / 1e6 / cpu))
        var load = [Double](repeating: 0, count: 3)
        if getloadavg(&load, 3) == 3 {
            print(String(format: "load average during the benchmark: %.2f (2 cores; wall time suffers when > 2)", load[0]))
        }
        print("peak RSS of the diff process: \(usage.ru_maxrss / 1024) MB (getrusage RUSAGE_CHILDREN ru_maxrss)")
        if status != 1 { throw CLIError("diff", "exit status \(status), expected 1 (one head perturbed)") }
    }

    /// Writes A (the sample run) and B (the same frames, one head's sink mass moved every 100
    /// steps) until A reaches `targetBytes`; returns the step count.
    private func writePair(_ a: String, _ b: String, targetBytes: Int) throws -> Int {
        var shape = SyntheticTrace.Shape.smolLM
        shape.decodeSteps = 10_000_000
        shape.capture = content == .rows ? .rows : .selections
        shape.rowInterval = 1
        shape.rowHeads = 32
        let sample = SyntheticTrace(shape: shape, seed: 42)
        let wa = try TraceWriter(path: a, header: sample.header)
        let wb = try TraceWriter(path: b, header: sample.header)
        var step = 0
        while wa.bytesWritten < targetBytes {
            var frame = sample.frame(step: step)
            try wa.append(frame)
            if step % 100 == 50 { frame.metrics[13].sinkMass4 = min(1, frame.metrics[13].sinkMass4 + 0.1) }
            try wb.append(frame)
            step += 1
        }
        try wa.finish()
        try wb.finish()
        return step
    }

    private func mb(_ bytes: Int) -> String { String(format: "%.0f", Double(bytes) / 1e6) }
}
