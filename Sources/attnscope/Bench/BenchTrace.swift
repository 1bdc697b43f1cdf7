import ArgumentParser
import AttnTrace
import Foundation

/// `attnscope bench trace`: the trace format's benchmark (docs/trace-format.md §9). Prints encode
/// throughput, record sizes, and open / recovery-scan times of a large trace written to --dir.
struct BenchTrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Benchmark the trace format: encode speed, record sizes, open and recovery-scan times.")

    @Option(help: "Size of the large trace in MB (written to --dir, deleted afterwards).") var sizeMb = 1024
    @OptionGroup var scratch: ScratchTraceOptions
    @Option(help: "Context length (keys visible to each decode step).") var context = 4096
    @Option(help: "Seconds to spend measuring encode throughput.") var encodeSeconds = 3.0

    /// 1: new top sinks every step; 2: + decode rows; 3: top sinks refreshed every 8 steps.
    enum EncodeCase: String, CaseIterable, ExpressibleByArgument { case one = "1", two = "2", three = "3" }

    @Option(help: "Encode cases to measure, comma-separated: 1 new top sinks every step, 2 + decode rows, 3 top sinks refreshed every 8 steps.",
            transform: NameList<EncodeCase>.init(parsing:))
    var encodeCases = NameList(EncodeCase.allCases)

    @Flag(help: "Measure encode throughput only (no record sizes, no large trace): for profilers.")
    var encodeOnly = false

    func validate() throws {
        try Check.range(sizeMb, 1...65536, "--size-mb")
        try Check.range(context, 64...(1 << 20), "--context")
        guard encodeSeconds > 0, encodeSeconds <= 600 else { throw CLIError("--encode-seconds \(encodeSeconds)", "must be in (0, 600]") }
    }

    func run() throws {
        try measure()
    }

    func shape(topSinks: Int, capture: CaptureLevel = .rows) -> SyntheticTrace.Shape {
        var s = SyntheticTrace.Shape.smolLM
        s.promptTokens = context; s.decodeSteps = 64; s.sinkTokens = 4; s.window = 1024
        s.topSinks = topSinks; s.capture = capture; s.rowInterval = 8
        return s
    }

    /// Decode frames 1...n of a sample, ready to be re-numbered.
    func frames(_ sample: SyntheticTrace, _ n: Int) -> [StepFrame] {
        (1...n).map { sample.frame(step: $0) }
    }

    func measure() throws {
        let clock = ContinuousClock()
        print("bench-trace: SmolLM2-135M shape 30 layers × 9 heads × 3 KV heads, context \(context), sink 4 + window 1024, \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // MARK: encode throughput
        // The sample draws new top sinks for every head at every step (the encoder's worst case);
        // the recorder reports a head's top-α list unchanged between refreshes (every 8 decode
        // steps by default), which the third row imitates.
        let cases = Set(encodeCases.values.compactMap { Int($0.rawValue) })
        for (number, label, capture, refresh) in [(1, "metrics + kv + selections, new top sinks every step", CaptureLevel.selections, 1),
                                                  (2, "+ decode rows of 4 heads every 8 steps", CaptureLevel.rows, 1),
                                                  (3, "metrics + kv + selections, top sinks refreshed every 8 steps as the recorder does", CaptureLevel.selections, 8)]
        where cases.contains(number) {
            let sample = SyntheticTrace(shape: shape(topSinks: 4, capture: capture), seed: 1)
            var fs = frames(sample, 64)
            for i in fs.indices where i % refresh != 0 {
                for k in fs[i].metrics.indices { fs[i].metrics[k].topSinks = fs[i - i % refresh].metrics[k].topSinks }
            }
            var enc = ChunkEncoder(header: sample.header)
            var bytes = 0, steps = 0
            let start = clock.now, cpuStart = threadCPUSeconds()
            while (clock.now - start) < .seconds(encodeSeconds) {
                for i in fs.indices {
                    fs[i].step.index = steps
                    try enc.encode(fs[i], step: steps)
                    bytes += enc.byteCount; steps += 1
                }
            }
            let secs = (clock.now - start).seconds, cpu = threadCPUSeconds() - cpuStart
            print(String(format: "encode throughput (%@): %.0f MB/s wall, %.0f MB/s per CPU-second  (%d steps, %.1f MB in %.2f s wall, %.2f s CPU; target ≥ 300)",
                         label, Double(bytes) / secs / 1e6, Double(bytes) / cpu / 1e6, steps, Double(bytes) / 1e6, secs, cpu))
            // The same work independent of the encoding's size (a smaller encoding lowers MB/s).
            let heads = Double(steps * sample.header.model.layers * sample.header.model.heads)
            print(String(format: "  = %.0f steps/s per CPU-second, %.2f M head records/s per CPU-second, %.1f µs CPU per step (%.0f steps/s wall)",
                         Double(steps) / cpu, heads / cpu / 1e6, cpu / Double(steps) * 1e6, Double(steps) / secs))
        }

        if encodeOnly { return }

        // MARK: record sizes
        let small = scratch.path("small")
        defer { try? FileManager.default.removeItem(atPath: small) }
        for (topSinks, placement) in [(4, SyntheticTrace.Shape.SinkPlacement.uniform), (8, .uniform), (8, .measured)] {
            var s = shape(topSinks: topSinks, capture: .selections)
            s.sinkPlacement = placement
            let sample = SyntheticTrace(shape: s, seed: 2)
            try writeRenumbered(small, header: sample.header, frames: frames(sample, 64), steps: 64)
            let (metrics, selections) = try recordBytes(small)
            let heads = Double(64 * 30 * 9)
            let where_ = placement == .uniform ? "spread uniformly over the context" : "placed as measured on SmolLM2"
            print(String(format: "metrics record, %d top sinks %@: %.1f bytes per (step, layer, head)  (target ≤ 32)",
                         topSinks, where_, Double(metrics) / heads))
            if topSinks == 4 {
                print(String(format: "selection, sink + window, same on every head: %.2f bytes per head per step  (target ≤ 8)",
                             Double(selections) / heads))
            }
        }
        // Every head with its own window: no head repeats the previous one.
        do {
            let sample = SyntheticTrace(shape: shape(topSinks: 4, capture: .selections), seed: 3)
            var fs = frames(sample, 64)
            for i in fs.indices {
                let end = fs[i].step.position + fs[i].step.queryCount
                for k in fs[i].selections.indices {
                    fs[i].selections[k].ranges = [0..<4, (end - 1000 - k)..<end]
                }
            }
            try writeRenumbered(small, header: sample.header, frames: fs, steps: 64)
            let (_, selections) = try recordBytes(small)
            print(String(format: "selection, sink + window, a different window on every head: %.2f bytes per head per step  (target ≤ 8)",
                         Double(selections) / Double(64 * 30 * 9)))
        }

        // MARK: 1 GB trace: write, open, recovery scan
        let big = scratch.path("large")
        defer { scratch.cleanUp(big) }
        let sample = SyntheticTrace(shape: shape(topSinks: 4, capture: .rows), seed: 4)
        var fs = frames(sample, 64)
        let target = sizeMb << 20
        let rssBeforeWrite = ProcessMemory.now().residentMB
        let writer = try TraceWriter(path: big, header: sample.header)
        let writeStart = clock.now, writeCPU = threadCPUSeconds()
        var step = 0
        while writer.bytesWritten < target {
            let i = step % fs.count
            fs[i].step.index = step
            try writer.append(fs[i])
            step += 1
        }
        let writeSecs = (clock.now - writeStart).seconds, writeCPUSecs = threadCPUSeconds() - writeCPU
        let footerOffset = writer.bytesWritten
        let rssAfterWrite = ProcessMemory.now().residentMB
        let finishStart = clock.now
        try writer.finish()
        let finishSecs = (clock.now - finishStart).seconds
        print(String(format: "large trace: %d steps, %.2f GB written in %.2f s wall, %.2f s CPU (%.0f MB/s wall through TraceWriter into the page cache); finish (footer + fsync) %.2f s; process RSS %.0f MB (%.0f MB before writing)",
                     step, Double(footerOffset) / 1e9, writeSecs, writeCPUSecs, Double(footerOffset) / writeSecs / 1e6, finishSecs,
                     rssAfterWrite, rssBeforeWrite))

        var opens: [Double] = []
        for _ in 0..<5 {
            let t = clock.now
            let r = try TraceReader(path: big)
            _ = try r.metrics(step: r.stepCount - 1, layer: 29, head: 8)
            opens.append((clock.now - t).seconds)
            guard r.status == .finalized, r.stepCount == step else { throw CLIError(big, "the large trace did not open as finalized") }
        }
        opens.sort()
        print(String(format: "open finalized %.2f GB trace + read one (layer, head) of the last step: %.1f ms (min of 5; max %.1f ms; target ≤ 50)",
                     Double(footerOffset) / 1e9, opens[0] * 1e3, opens[4] * 1e3))

        // Remove footer and trailer: the file now looks like a run that was killed.
        if truncate(big, off_t(footerOffset)) != 0 { throw CLIError(big, "truncate failed (errno \(errno))") }
        var scans: [Double] = []
        for _ in 0..<3 {
            let t = clock.now
            let r = try TraceReader(path: big)
            scans.append((clock.now - t).seconds)
            guard !r.status.isFinalized, r.stepCount == step else { throw CLIError(big, "the recovery scan found \(r.stepCount) of \(step) steps") }
        }
        scans.sort()
        let rss = ProcessMemory.now().residentMB
        print(String(format: "recovery scan of the unfinalized %.2f GB trace (every chunk CRC-checked, warm page cache): %.2f s (min of 3; max %.2f s; target ≤ 3); process RSS after the scans %.0f MB",
                     Double(footerOffset) / 1e9, scans[0], scans[2], rss))
    }

    func writeRenumbered(_ path: String, header: RunHeader, frames: [StepFrame], steps: Int) throws {
        let w = try TraceWriter(path: path, header: header)
        for s in 0..<steps {
            var f = frames[s % frames.count]
            f.step.index = s
            try w.append(f)
        }
        try w.finish()
    }

    func recordBytes(_ path: String) throws -> (metrics: Int, selections: Int) {
        let sizes = try TraceReader(path: path).sizeByRecordKind()
        let get = { (k: String) in sizes.first { $0.kind == k }?.bytes ?? 0 }
        return (get("metrics"), get("selections"))
    }
}
